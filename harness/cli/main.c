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

static void list_verbs(FILE *f)
{
	fprintf(f, "verbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nsocklab %s (%s)\n", SOCKLAB_VERSION, SOCKLAB_GIT);
}

struct top_args {
	bool version;
};

static const struct cli_flag flags[] = {
	{"version", 0, NULL, CLI_TRUE(struct top_args, version), "print the version and exit"},
	{0},
};

static const struct cli_spec spec = {
	.usage = "VERB [FLAGS]   (socklab VERB --help for its flags)",
	.summary = "A network testing harness: built-in servers, simulated clients, an\n"
		   "impairment relay, captures, scenarios and reports, on loopback.",
	.flags = flags,
	.notes = "",
	.more_help = list_verbs,
};

/* socklab's own flags (argv[1] starts with '-'): the exit status. */
static int top_level(char **argv)
{
	struct top_args a = {false};
	int status;
	if (strcmp(argv[1], "--") == 0) {   /* the end of no flags: not a verb either */
		fprintf(stderr, "socklab: '--': give a verb (socklab --help)\n");
		return CLI_USAGE;
	}
	if (!cli_args(&spec, 2, argv, &a, &status))
		return status;
	printf("socklab %s (%s)\n", SOCKLAB_VERSION, SOCKLAB_GIT);
	return CLI_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_help(&spec, stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "help") == 0) {
		cli_help(&spec, stdout);
		return CLI_OK;
	}
	if (argv[1][0] == '-')
		return top_level(argv);
	/* Writes to a closed peer are EPIPE errors, never a fatal signal. */
	signal(SIGPIPE, SIG_IGN);
	cli_raise_nofile();
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].main(argc - 1, argv + 1);
	fprintf(stderr, "socklab: unknown verb '%s'\n", argv[1]);
	cli_help(&spec, stderr);
	return CLI_USAGE;
}
