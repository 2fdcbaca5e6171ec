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

#include <stddef.h>
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

struct run_args {
	struct run_opts o;
	const char *file[1];
};

#define R struct run_args
static const struct cli_flag flags[] = {
	{"db", 0, "FILE", CLI_STR(R, o.db_path), "the SQLite store (default ./" DB_DEFAULT_PATH ")"},
	{"json", 0, NULL, CLI_TRUE(R, o.json), "print the summary as one JSON object"},
	{"quiet", 'q', NULL, CLI_TRUE(R, o.quiet), "no progress lines, only the summary"},
	{0},
};
#undef R

static const struct cli_spec spec = {
	.verb = VERB,
	.usage = "FILE.yaml [--db FILE] [--json] [--quiet]",
	.summary = "Run a scenario: for each case of its matrix start the server, warm up,\n"
		   "measure with the clients, stop the server, and store everything in SQLite.\n"
		   "Scenario keys are documented in docs/scenarios.md.",
	.flags = flags,
	.notes = "Exit status: 0 ok, 1 a threshold failed or a case errored, 2 bad input,\n"
		 "130 interrupted (Ctrl-C; what was measured is stored as interrupted).\n",
	.min_args = 1,
	.max_args = 1,
	.args_off = offsetof(struct run_args, file),
	.args_missing = "expected one scenario file (see 'socklab run --help')",
};

int cmd_run(int argc, char **argv)
{
	struct run_args a = {.o = {.db_path = DB_DEFAULT_PATH, .out = stdout, .progress = stderr,
				   .cancel = &cancelled}};
	struct run_opts o;
	int status;

	if (!cli_args(&spec, argc, argv, &a, &status))
		return status;
	o = a.o;
	struct scn *s = NULL;
	struct scn_error err;
	if (scn_load(a.file[0], &s, &err) < 0) {
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
	if (res.unstored) {   /* the summary said which; say it where errors go */
		fprintf(stderr, "socklab run: %s\n", why);
		return CLI_FAILED;
	}
	switch (res.status) {
	case DB_OK: return CLI_OK;
	case DB_INTERRUPTED: return CLI_INTERRUPTED;
	default: return CLI_FAILED;
	}
}
