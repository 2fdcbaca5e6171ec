/*
 * harness/runner/runner.h — run a loaded scenario case by case and store it.
 *
 * Process and thread model. The runner is the `socklab run` process. For
 * each case (times `repeat`) it starts the server as a child process
 * (harness/runner/child.h: `socklab serve` with the case's flags, port 0), runs the
 * warmup and then the measured phase with the load engine in-process
 * (clients/engine.h; its worker threads end with each phase), stops the
 * server, and writes the case — parameters, metrics, the latency histogram,
 * the server's counters and resource use, threshold verdicts — to the
 * store in one transaction. A scenario with a `target` skips the server.
 *
 * Interruption: *cancel (set by the caller's SIGINT/SIGTERM handler) ends
 * the current phase early; what was measured is stored, the case and the
 * run are marked interrupted, and the server is stopped on every path.
 */
#ifndef SOCKLAB_HARNESS_RUNNER_H
#define SOCKLAB_HARNESS_RUNNER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "harness/scenario/scenario.h"

struct run_opts {
	const char *db_path;
	bool json;            /* summary as one JSON object on out */
	bool quiet;           /* no progress, only the summary */
	bool tty;             /* progress as a live line (stderr is a terminal) */
	FILE *out;            /* the summary */
	FILE *progress;       /* progress lines (stderr) */
	atomic_int *cancel;   /* nonzero: stop at once, store as interrupted */
};

/*
 * Run every case of s and store the run in opts->db_path. Returns the exit
 * status: CLI_OK, CLI_FAILED (a threshold failed or a case errored),
 * CLI_USAGE (the database could not be opened), CLI_INTERRUPTED.
 */
int run_scenario(const struct scn *s, const struct run_opts *opts);

#endif
