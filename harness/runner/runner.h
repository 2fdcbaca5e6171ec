/*
 * harness/runner/runner.h — run a loaded scenario case by case and store it.
 *
 * Process and thread model. The runner is the `socklab run` process, one
 * thread (the runner's) plus, on a terminal, a progress thread that only
 * redraws the live line. For each case (times `repeat`, the whole matrix
 * once per repeat) the runner's thread resolves the case's typed settings
 * (scn_case_settings) and runs the stage table (stage.h, stages.c):
 *
 *   netns    topology pair: two network namespaces, made per case
 *   server   `socklab serve` as a child process (this very binary, with the
 *            case's generated argv, port 0), forked from inside the server
 *            namespace; it dies with the runner (PR_SET_PDEATHSIG)
 *   relay    `socklab relay` as a second child in front of it
 *   load     the load engine in-process (clients/engine.h): warmup, then
 *            the measured phase; its worker threads, created inside the
 *            client namespace (setns moves only the calling thread, which
 *            enters it around each phase), end with each phase
 *   capture  libpcap in-process around the measured phase
 *   udp, align  accounting and alignment read back after the case
 *
 * then writes the case — parameters, metrics, the latency histogram, the
 * server's counters and resource use, threshold verdicts — to the store in
 * one transaction. A scenario with a `target` has no server stage.
 *
 * Interruption: *cancel (set by the caller's SIGINT/SIGTERM handler) ends
 * the current phase early; what was measured is stored, the case and the
 * run are marked interrupted, and every stage that began is torn down (the
 * children stopped and reaped, the namespaces removed) on every path.
 *
 * Output: nothing here writes to stderr. Progress lines and warnings go to
 * run_opts.progress, the summary to run_opts.out; a run that cannot start
 * returns its reason to the caller (harness/cli/cmd_run.c), which maps the
 * run's status to the exit code.
 */
#ifndef SOCKLAB_HARNESS_RUNNER_RUNNER_H
#define SOCKLAB_HARNESS_RUNNER_RUNNER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "harness/scenario/scenario.h"
#include "harness/store/store.h"

struct run_opts {
	const char *db_path;
	bool json;            /* summary as one JSON object on out */
	bool quiet;           /* no progress, only the summary */
	bool tty;             /* progress as a live line (stderr is a terminal) */
	FILE *out;            /* the summary */
	FILE *progress;       /* progress lines and warnings (stderr) */
	atomic_int *cancel;   /* nonzero: stop at once, store as interrupted */
};

struct run_result {
	enum db_status status;   /* the run's: ok, failed (a threshold), error
	                            (a case errored), interrupted */
	int64_t run_id;
	bool usage;              /* run_scenario failed on the caller's input
	                            (the database could not be opened) */
	bool unstored;           /* a store write failed (a full disk): the run
	                            ended there, status error, the reason in
	                            err; the cases before it are stored */
};

/*
 * Run every case of s and store the run in opts->db_path; the summary goes
 * to opts->out, progress and warnings to opts->progress (nothing to stderr
 * of its own). Returns 0 with *res filled when the run ran, whatever its
 * status, or -errno when it could not start, with the reason in err
 * ("--db: ..." with res->usage, "out of memory", the store's error).
 */
int run_scenario(const struct scn *s, const struct run_opts *opts, struct run_result *res,
		 char *err, size_t errlen);

#endif
