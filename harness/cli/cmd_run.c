/*
 * harness/cli/cmd_run.c — `socklab run FILE.yaml`: load and validate the
 * scenario (any error: file:line:col, exit 2, nothing written), run its
 * cases, store them, print a summary. Exit 1 when a threshold failed or a
 * case errored, 130 when interrupted (what was measured is stored).
 */
#include "harness/cli/cli.h"
#include "harness/runner/runner.h"
#include "harness/scenario/scenario.h"
#include "harness/store/store.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define VERB "run"

static atomic_int cancelled;

/* The first Ctrl-C stops the run in order; a second one is not caught. */
static void on_signal(int sig)
{
	atomic_store(&cancelled, 1);
	signal(sig, SIG_DFL);
}

static void help(FILE *f)
{
	fprintf(f,
		"usage: socklab run FILE.yaml [--db FILE] [--json] [--quiet]\n"
		"\n"
		"Run a scenario: for each case of its matrix start the server, warm up,\n"
		"measure with the clients, stop the server, and store everything in SQLite.\n"
		"Scenario keys are documented in docs/scenarios.md.\n"
		"\n"
		"  --db FILE    the SQLite store (default ./%s)\n"
		"  --json       print the summary as one JSON object\n"
		"  --quiet      no progress lines, only the summary\n"
		"  -h, --help   this text\n"
		"\n"
		"Exit status: 0 ok, 1 a threshold failed or a case errored, 2 bad input,\n"
		"130 interrupted (Ctrl-C; what was measured is stored as interrupted).\n",
		DB_DEFAULT_PATH);
}

static const struct option opts[] = {
	{"db", required_argument, NULL, 'd'},
	{"json", no_argument, NULL, 'j'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {.db_path = DB_DEFAULT_PATH, .out = stdout, .progress = stderr,
			     .cancel = &cancelled};
	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, ":hq", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'h':
			help(stdout);
			return CLI_OK;
		case 'd': o.db_path = optarg; break;
		case 'j': o.json = true; break;
		case 'q': o.quiet = true; break;
		default:
			cli_bad_flag(VERB, optopt, argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "socklab run: expected one scenario file (see 'socklab run --help')\n");
		return CLI_USAGE;
	}
	struct scn *s = NULL;
	struct scn_error err;
	if (scn_load(argv[optind], &s, &err) < 0) {
		fprintf(stderr, "%s\n", err.text);
		return CLI_USAGE;
	}
	o.tty = isatty(STDERR_FILENO);
	atomic_store(&cancelled, 0);
	int rc = cli_on_stop(on_signal);
	if (rc < 0) {
		fprintf(stderr, "socklab run: sigaction: %s\n", strerror(-rc));
		scn_free(s);
		return CLI_FAILED;
	}
	struct run_result res;
	char why[600];
	rc = run_scenario(s, &o, &res, why, sizeof(why));
	scn_free(s);
	if (rc < 0) {
		fprintf(stderr, "socklab run: %s\n", why);
		return res.usage ? CLI_USAGE : CLI_FAILED;
	}
	switch (res.status) {
	case DB_OK: return CLI_OK;
	case DB_INTERRUPTED: return CLI_INTERRUPTED;
	default: return CLI_FAILED;
	}
}
