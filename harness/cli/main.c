/*
 * harness/cli/main.c — `socklab VERB ...`: find the verb and run it. Only
 * main() decides the exit status; verbs return it.
 */
#include "harness/cli/cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const struct cli_verb verbs[] = {
	{"run", "run a scenario file, store the results, print a summary", cmd_run},
	{"serve", "run one built-in server (model x handler) until Ctrl-C", cmd_serve},
	{"load", "drive simulated clients at a server on loopback", cmd_load},
	{"relay", "relay to a server on loopback with seeded loss, delay, re-chunking", cmd_relay},
	{"analyze", "per-conversation statistics of a pcap file (tshark-exact counts)", cmd_analyze},
	{"report", "a stored run's cases, or runs compared (text, md, csv, json, html)", cmd_report},
	{"demo", "classroom walk-throughs: sticky, udp, concurrency (measured live)", cmd_demo},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: socklab VERB [FLAGS]   (socklab VERB --help for its flags)\n\nverbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nsocklab %s (%s)\n", SOCKLAB_VERSION, SOCKLAB_GIT);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("socklab %s (%s)\n", SOCKLAB_VERSION, SOCKLAB_GIT);
		return CLI_OK;
	}
	/* Writes to a closed peer are EPIPE errors, never a fatal signal. */
	signal(SIGPIPE, SIG_IGN);
	cli_raise_nofile();
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].main(argc - 1, argv + 1);
	fprintf(stderr, "socklab: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
