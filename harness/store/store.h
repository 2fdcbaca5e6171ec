/*
 * harness/store/store.h — the SQLite store: one file (default ./socklab.db) that
 * keeps every run of a scenario, its cases with their parameters, the
 * metrics each case measured, latency histogram buckets and threshold
 * results, so that `socklab report` and the sqlite3 shell can compare cases
 * and runs. The schema (tables, views, units) is documented in docs/store.md.
 *
 * The file is in WAL mode with synchronous=NORMAL: a committed transaction
 * survives a crash of the writer (kill -9), readers never block the writer,
 * and a writer waits up to DB_BUSY_TIMEOUT_MS for another one. The schema
 * carries a version; db_open applies the migrations the file lacks, each in
 * its own transaction, and refuses a file newer than this build.
 *
 * Batching: the writes of a case's results (metrics, buckets, thresholds,
 * capture rows) made outside an explicit db_tx_begin open one implicit
 * transaction, which db_case_end (or db_run_end, db_tx_commit, db_close)
 * commits. Begin and end of runs and cases are committed at once when no
 * transaction is open, so a run stopped half-way shows its finished and
 * partial cases.
 *
 * Threads and processes: a struct db is used by one thread at a time. Any
 * number of processes may open the same file. After fork() the child must
 * not touch the parent's handle; it opens its own.
 *
 * Errors: 0 or a negative errno (-EINVAL bad argument, -ENOENT unknown run
 * or case, -EBUSY locked for longer than the busy timeout, -ENOTSUP schema
 * newer than this build, -ENOMEM, -EIO and friends for the file); the text
 * of the last failure is db_errmsg(db), or the caller's buffer for db_open.
 */
#ifndef SOCKLAB_HARNESS_STORE_STORE_H
#define SOCKLAB_HARNESS_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#define DB_DEFAULT_PATH "socklab.db"
#define DB_BUSY_TIMEOUT_MS 5000

/*
 * Metric names the views pivot (docs/store.md lists them with units). They
 * are the names threshold expressions use, so a threshold's observed value is
 * the metric of the same name.
 */
#define DB_M_REQUESTS        "requests"           /* count */
#define DB_M_ERRORS          "errors"             /* count */
#define DB_M_THROUGHPUT_RPS  "throughput_rps"     /* requests per second */
#define DB_M_THROUGHPUT_MBPS "throughput_mbps"    /* payload megabits per second */
#define DB_M_P50_US          "p50_us"             /* latency, microseconds */
#define DB_M_P90_US          "p90_us"
#define DB_M_P99_US          "p99_us"
#define DB_M_P999_US         "p999_us"
#define DB_M_MAX_US          "max_us"
#define DB_M_LOSS_PCT        "loss_pct"           /* UDP datagrams lost, percent */
#define DB_M_SRV_CPU_USER_S  "server.cpu_user_s"  /* getrusage of the server child */
#define DB_M_SRV_CPU_SYS_S   "server.cpu_sys_s"
#define DB_M_SRV_MAXRSS_KB   "server.maxrss_kb"
#define DB_H_LATENCY_NS      "latency_ns"         /* the latency histogram */

struct db;

/* Status of a run or a case. */
enum db_status {
	DB_RUNNING,        /* begun, not ended (or its writer died: db_run_reap_stale) */
	DB_OK,
	DB_FAILED,         /* ran to the end, a threshold failed */
	DB_INTERRUPTED,    /* stopped by SIGINT/SIGTERM; what was measured is kept */
	DB_ERROR,          /* could not run (server did not start, ...) */
	DB_SKIPPED,        /* not run, on purpose: e.g. topology pair without root;
			    * the reason is the case's error text. Not a failure. */
};

/* "running", "ok", "failed", "interrupted", "error", "skipped"; NULL if out
 * of range. */
const char *db_status_name(enum db_status s);

/* ---- the handle ---- */

/*
 * Open (creating if needed) the store at path, or ":memory:". Sets WAL,
 * synchronous=NORMAL, foreign keys and the busy timeout, then migrates the
 * schema to db_schema_version(). On failure returns a negative errno with the
 * reason in err (e.g. "socklab.db: schema version 7 is newer than this
 * socklab knows (1); use a newer socklab"). Caller frees with db_close.
 */
int db_open(const char *path, struct db **out, char *err, size_t errlen);
/*
 * Close: commits an implicit batch, rolls back an explicit transaction that
 * was not committed, finalizes the cached statements. NULL is ignored.
 * Returns 0 or the error of the final commit.
 */
int db_close(struct db *db);
/* Text of the last failure on this handle ("" when none). */
const char *db_errmsg(const struct db *db);
/* The schema version this build writes (the number of migrations). */
int db_schema_version(void);
/* The underlying connection, for read queries (reports, tests). Owned by db. */
sqlite3 *db_sqlite(struct db *db);

/* ---- transactions ---- */

/*
 * Explicit transactions nest by count: only the outermost begin/commit talk
 * to SQLite (BEGIN IMMEDIATE / COMMIT). A rollback at any depth discards the
 * whole outermost transaction. An implicit batch that is open when
 * db_tx_begin is called becomes part of the explicit transaction.
 */
int db_tx_begin(struct db *db);
int db_tx_commit(struct db *db);
int db_tx_rollback(struct db *db);

/* ---- runs ---- */

/* What the machine is; filled by db_host_meta. */
struct db_host {
	char host[256];        /* gethostname */
	char kernel[512];      /* uname: "Linux 6.1.0-18-amd64 #1 SMP ... x86_64" */
	char cpu_model[256];   /* /proc/cpuinfo "model name" (or "unknown") */
	long cpus;             /* online CPUs */
};

/* Fill h from gethostname, uname and /proc/cpuinfo. 0 or -errno. */
int db_host_meta(struct db_host *h);

struct db_run_meta {
	const char *name;             /* scenario name; required */
	const char *scenario_path;    /* as given on the command line; may be NULL */
	const char *scenario_text;    /* the whole file (stored); may be NULL */
	const char *scenario_sha256;  /* hex; NULL: computed from scenario_text */
	const struct db_host *host;   /* NULL: db_run_begin calls db_host_meta */
	const char *version;          /* NULL: SOCKLAB_VERSION */
	const char *git;              /* NULL: SOCKLAB_GIT */
};

/*
 * Insert a run with status 'running', started now (UTC, ms), and this
 * process's pid; *run_id is its id. Committed at once unless a transaction
 * is open.
 */
int db_run_begin(struct db *db, const struct db_run_meta *meta, int64_t *run_id);
/*
 * The parameter keys that vary across the run's matrix, in matrix order
 * ("server.model", "clients.count"); stored as a JSON array that reports
 * group by. When never set, db_run_end derives it from the cases.
 */
int db_run_set_varying(struct db *db, int64_t run_id, const char *const *keys, size_t n);
/*
 * Set the run's final status (DB_OK, DB_FAILED, DB_INTERRUPTED, DB_ERROR)
 * and end time, and commit the implicit batch if one is open.
 */
int db_run_end(struct db *db, int64_t run_id, enum db_status status);
/*
 * Runs still 'running' that were started on this host by a process that no
 * longer exists (killed with -9, power loss) are marked 'interrupted', with
 * their running cases. *n (may be NULL) gets how many runs.
 */
int db_run_reap_stale(struct db *db, int *n);

/* ---- cases ---- */

/* One parameter of a case, as the scenario loader gives it. */
struct db_param {
	const char *key;       /* "server.model" */
	const char *value;     /* "epoll" */
};

/*
 * Insert case number index (0-based, matrix order) of run_id with status
 * 'running'. params are stored in order as a JSON object of strings; the
 * common ones also fill typed columns (docs/store.md: proto, model, handler,
 * workers, clients, duration_s, size, framing, pattern, nodelay, rate).
 * A key given twice is -EINVAL. Committed at once unless a transaction is
 * open.
 */
int db_case_begin(struct db *db, int64_t run_id, size_t index,
		  const struct db_param *params, size_t nparams, int64_t *case_id);
/*
 * Set the case's final status and end time; error is a message for
 * DB_ERROR (may be NULL). Commits the implicit batch.
 */
int db_case_end(struct db *db, int64_t case_id, enum db_status status, const char *error);

/* The children a case starts from a generated argv. */
enum db_child {
	DB_CHILD_SERVER,   /* cases.server_cmd */
	DB_CHILD_RELAY,    /* cases.relay_cmd */
};
/*
 * The command line that started the case's server or relay, as a shell
 * reads it (util/cmdline.h), so the case can be started again by hand.
 * Schema version 4. In the case's batch.
 */
int db_case_command(struct db *db, int64_t case_id, enum db_child child, const char *cmd);

/*
 * One measured number. Recording a name again replaces the value. A NaN is
 * stored as NULL (e.g. a percentile of no samples).
 */
int db_case_metric(struct db *db, int64_t case_id, const char *name, double value);

/*
 * One histogram bucket: count samples in it, value its inclusive upper bound
 * (clients/hist.h: hist_iter's hi), so a CDF over buckets reads "at most".
 */
struct db_bucket {
	int64_t value;
	uint64_t count;
};

/*
 * A histogram (e.g. DB_H_LATENCY_NS), replacing any earlier one of the same
 * name for the case. Buckets with count 0 are not stored.
 */
int db_case_hist(struct db *db, int64_t case_id, const char *name,
		 const struct db_bucket *b, size_t n);
/*
 * The result of one threshold ("p99_us < 2000"): whether it passed and the
 * value it was checked against (NaN: not measured, stored as NULL).
 */
int db_case_threshold(struct db *db, int64_t case_id, const char *expr,
		      bool passed, double observed);

/* ---- capture (schema version 2; harness/store/store_capture.c) ---- */

/* How a case's capture went: cases.capture_status. */
enum db_capture_status {
	DB_CAP_OK,            /* captured */
	DB_CAP_UNAVAILABLE,   /* could not start (permission, interface, Unix socket) */
	DB_CAP_ERROR,         /* started, then failed; what it saw is kept */
};
/* "ok", "unavailable", "error"; NULL if out of range. */
const char *db_capture_status_name(enum db_capture_status s);

/*
 * A case's capture status and self-check. Integers below 0 are "not known"
 * and stored as NULL (e.g. the MTU of an interface that does not exist, the
 * packet counts of a capture that never started); NULL strings likewise.
 */
struct db_capture {
	enum db_capture_status status;
	const char *reason;           /* why not ok; NULL when ok */
	const char *iface, *filter, *pcap_path;
	const char *start_utc;        /* when the capture started (the zero of t_ns) */
	int64_t snaplen, buffer_bytes;
	int immediate;                /* 1, 0, or < 0 unknown */
	int link_type;                /* DLT_ value */
	int64_t mtu;
	int tso, gso, gro;            /* 1 on, 0 off */
	int64_t received, dropped, if_dropped;   /* pcap_stats */
	int64_t captured, malformed;  /* frames the capture read; of them unparseable */
	int64_t segments_seen, segments_stored;
	int segments_capped;          /* 1: more segments than stored */
};
/*
 * Set the case's capture_status/capture_error and its capture_info row
 * (replacing an earlier one). In the case's batch.
 */
int db_case_capture(struct db *db, int64_t case_id, const struct db_capture *c);

/* One direction of a flow: the counters of flows.h's struct cap_dir. */
struct db_flow_dir {
	int64_t packets, bytes, segments, payload_bytes, retrans, retrans_bytes, truncated;
};

/* One conversation, oriented client -> server (the server owns the case's port). */
struct db_flow {
	int64_t idx;                  /* first-seen order in the capture, 0-based */
	const char *proto;            /* "tcp" or "udp" */
	int ipver;
	const char *client_addr, *server_addr;   /* without port: "127.0.0.1", "::1" */
	unsigned client_port, server_port;
	unsigned reuse;               /* earlier flows on this 5-tuple in the case */
	int64_t first_ns, last_ns;    /* from the capture's start */
	struct db_flow_dir c2s, s2c;
};
/* Insert a flow of case_id; *flow_id gets its id. -EINVAL for a flow given
 * twice (same idx or 5-tuple and reuse). In the case's batch. */
int db_capture_flow(struct db *db, int64_t case_id, const struct db_flow *f, int64_t *flow_id);

/* One TCP packet with payload or SYN/FIN/RST, or one UDP datagram. */
struct db_segment {
	int dir;                      /* 0 client->server, 1 server->client */
	int64_t t_ns;                 /* from the capture's start */
	int64_t rel_seq, rel_ack;     /* TCP, relative to each side's ISN; < 0: NULL (UDP) */
	uint32_t len;                 /* payload bytes per the headers */
	int flags;                    /* TCP flag bits; < 0: NULL (UDP) */
	bool retrans, offload;
};
/* Insert n segments of flow_id, in order. In the case's batch. */
int db_capture_segments(struct db *db, int64_t flow_id, const struct db_segment *s, size_t n);

/* ---- app-boundary alignment (schema version 3; harness/store/store_align.c) ---- */

/* harness/capture/align_app.h */
struct al_flow;
struct al_event;
struct al_flow_dir;
/*
 * The case's TCP flows as stored by db_capture_flow (id, idx, ports), in
 * idx order. *out: caller frees with free() (NULL when none). 0 or -errno
 * (text in db_errmsg).
 */
int db_case_tcp_flows(struct db *db, int64_t case_id, struct al_flow **out, size_t *n);
/*
 * Insert the matched events of a case in order: an AL_EV_SAMPLE as a
 * sock_samples row, any other as an app_events row. In the case's batch.
 */
int db_case_app_events(struct db *db, int64_t case_id, const struct al_event *ev, size_t n);
/* Insert (or replace) the flow_align rows of the aligned directions. In the case's batch. */
int db_case_flow_align(struct db *db, const struct al_flow_dir *dirs, size_t n);

/* ---- UDP accounting (harness/store/store_udp.c) ---- */

struct udp_acct;
/*
 * Complete a from what the case stored (server.udp.* and relay.* metrics,
 * the capture's UDP flows), compute unaccounted and write the case's
 * udp_accounting row in its batch (harness/store/store_udp.c). 0 or the store's
 * -errno (text in db_errmsg).
 */
int db_case_udp_accounting(struct db *db, int64_t case_id, struct udp_acct *a);

/* ---- helpers (exposed for tests and reports) ---- */

/*
 * params as a JSON object {"key":"value",...} in the given order; every
 * string escaped per RFC 8259. *out is NUL-terminated; caller frees with
 * free(). 0, -EINVAL (NULL key or value, duplicate key) or -ENOMEM.
 */
int db_params_json(const struct db_param *params, size_t n, char **out);
/* Now as UTC ISO 8601 with milliseconds: "2024-05-01T12:34:56.789Z". */
void db_utc_now(char buf[32]);

#endif
