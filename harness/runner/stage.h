/*
 * harness/runner/stage.h — a case as a table of stages: the contract.
 *
 * A case is run by one short loop (run_stages, stage.c) over a const table
 * of stages (stages.c), in the manner of curl's connection filters: each
 * stage is a struct run_stage of hooks, fills only those it needs, and
 * NULL hooks are skipped. The passes, in order:
 *
 *   begin           forward; set up (namespaces, children). Stops at the
 *                   first failure (-errno, text by run_case_fail) or skip
 *                   (RUN_STAGE_SKIP: the case is recorded as skipped).
 *   before_measure  forward, only when every begin succeeded: warmup,
 *                   then what must start after it (the capture). Stops at
 *                   the first failure.
 *   measure         forward, only when every before_measure succeeded:
 *                   the measured phase (one stage has it: load).
 *   after_measure   REVERSE, every stage whose begin was called: stop
 *                   what runs (the relay before the UDP accounting's end
 *                   before the server), derive the metrics.
 *   store           forward, the same stages: write what the stage
 *                   measured into the case's batch (rc->db, rc->case_id).
 *   finish          forward, the same stages, after every store: what
 *                   reads back the others' rows (UDP accounting, alignment).
 *   teardown        REVERSE, every stage whose begin was called (also the
 *                   one whose begin failed: teardown must be safe on half
 *                   a begin), on every path, Ctrl-C included.
 *
 * store and finish stop at the first store error (rc->db_rc). The cancel
 * flag (*rc->cancel) is checked before every begin, before_measure and
 * measure: an interrupted case goes straight to after_measure.
 *
 * State: what a stage keeps for itself is its `priv` (priv_size bytes,
 * zeroed, allocated by the loop before begin and kept until the run's
 * summary: release what it owns in teardown, keep what the summary
 * prints). What stages tell each other is in struct run_case under
 * "published by the stages". Adding a stage is one file exporting one
 * const struct run_stage, and one row in stages.c.
 *
 * Threads: every hook runs on the runner's thread; a stage that enters a
 * network namespace (netns_enter) leaves it before it returns.
 */
#ifndef SOCKLAB_HARNESS_RUNNER_STAGE_H
#define SOCKLAB_HARNESS_RUNNER_STAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clients/engine.h"
#include "harness/scenario/scenario.h"
#include "harness/store/store.h"
#include "net/addr.h"

#define RUN_STAGE_SKIP 1   /* begin: the case cannot run here (no root) */
#define RUN_MAX_STAGES 16

struct run_case;
struct child;
struct cap_case;

struct run_stage {
	const char *name;
	size_t priv_size;                  /* 0: no private state (priv NULL) */
	/* Does the stage apply to this case? NULL: always. A stage that does
	 * not runs no hook at all. */
	bool (*wanted)(const struct run_case *rc);
	int (*begin)(struct run_case *rc, void *priv);
	int (*before_measure)(struct run_case *rc, void *priv);
	int (*measure)(struct run_case *rc, void *priv);
	int (*after_measure)(struct run_case *rc, void *priv);
	int (*store)(struct run_case *rc, void *priv);    /* 0 or the store's -errno */
	int (*finish)(struct run_case *rc, void *priv);   /* likewise */
	void (*teardown)(struct run_case *rc, void *priv);
	/* The run's summary, after every case: lines "     ..." of the text
	 * summary, and JSON members with a leading comma. */
	void (*summary_text)(FILE *f, const void *priv);
	void (*summary_json)(FILE *f, const void *priv);
};

/* What one execution of a case leaves for the run's summary. */
struct run_out {
	size_t index;                      /* row index in the run */
	const struct scn_case *c;
	unsigned rep;
	enum db_status status;
	char error[512];
	double m[SCN_M_COUNT];             /* threshold metrics, NAN if not measured */
	bool failed[SCN_MAX_THRESHOLDS];   /* per threshold */
	unsigned nfailed;
	bool unstored;                     /* its final write failed: the store
	                                      does not hold what is shown */
	void *priv[RUN_MAX_STAGES];        /* each stage's priv; NULL: not run */
};

/* One case being run: what the runner gives, what the stages publish. */
struct run_case {
	/* given by the runner */
	const struct scn *s;
	const struct scn_case *c;
	struct run_out *out;
	struct scn_settings set;           /* the case's typed settings */
	struct db *db;
	int64_t run_id, case_id;
	atomic_int *cancel;                /* nonzero: stop, store as interrupted */
	atomic_uint_fast64_t *live;        /* replies so far, for the progress line */
	void (*warn)(void *arg, const char *msg);   /* a warning line; the case goes on */
	void *warn_arg;

	/* published by the stages */
	const char *ns_client, *ns_server; /* netns: the pair's names; NULL on loopback */
	const struct child *srv;           /* server: the child (NULL: a target) */
	const char *srv_app_log;           /* server: its --app-log file, or NULL */
	char target[NET_ADDRSTRLEN];       /* where the clients go: target.address,
	                                      the server's, the relay's */
	char behind[NET_ADDRSTRLEN];       /* relay: the address behind it, or "" */
	struct cap_case *cap;              /* capture: NULL when off */
	size_t client_log;                 /* align: client events to keep (the
	                                      measured phase's log_capacity) */
	const struct ld_config *cfg;       /* load: the measured phase's config */
	struct ld_result res;              /* load: the measured phase (measured) */
	bool measured;
	bool warmed;                       /* load: a warmup ran, and its */
	struct ld_udp warm_udp;            /* datagram counts */

	/* the case's first error */
	int rc;                            /* 0, RUN_STAGE_SKIP or -errno */
	char err[512];
	int db_rc;                         /* the first store error */
};

/*
 * Run the hooks of the n stages of table over rc (see the top of this
 * file). rc->out->priv[] receives each stage's state. Returns rc->rc.
 */
int run_stages(const struct run_stage *const *table, size_t n, struct run_case *rc);

/* Record the case's first error (code < 0) with its text; returns code. */
int run_case_fail(struct run_case *rc, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A warning line through rc->warn ("capture unavailable: ..."). */
void run_case_warn(struct run_case *rc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* netns_leave(saved); a failure (the thread is still inside) is the
 * case's error. 0 or -errno. */
int run_case_leave_ns(struct run_case *rc, int saved);
/* True while the case has no error and is not interrupted. */
bool run_case_ok(const struct run_case *rc);

/* The table (stages.c), in begin order. */
extern const struct run_stage *const run_stage_table[];
extern const size_t run_stage_count;

/* The stages (stage_*.c). */
extern const struct run_stage run_stage_netns, run_stage_server, run_stage_udp,
	run_stage_relay, run_stage_load, run_stage_capture, run_stage_align;

#endif
