/*
 * harness/scenario/scenario.h — scenario files: load a YAML scenario, validate it
 * against one schema table, expand its matrix into cases, resolve a case
 * into typed settings (the clients' ld_config, the namespace pair), and
 * turn a case into the argv of `socklab serve`, `socklab relay` and
 * `socklab load`.
 *
 * A scenario is parsed with libyaml's event API so that every node keeps its
 * line and column; every error is one line, exactly
 *
 *     FILE:LINE:COL: KEY.PATH: message
 *
 * with a 1-based position of the offending node (or of the bad token inside
 * a threshold expression). Loading never writes anything anywhere; on error
 * the caller prints err.text and exits 2.
 *
 * Matrix: any scalar key under `server`, `relay` or `clients` may be given a YAML
 * sequence instead; the scenario expands to the cartesian product, the
 * first-declared key varying slowest. An empty list, or more than
 * SCN_MAX_CASES cases, is an error.
 *
 * The schema (every key, its type, range, default, doc and the flag it maps
 * to) is scn_schema[] in harness/scenario/scenario_schema.c; docs/scenarios.md is
 * generated from it by scn_schema_markdown().
 */
#ifndef SOCKLAB_HARNESS_SCENARIO_SCENARIO_H
#define SOCKLAB_HARNESS_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clients/engine.h"
#include "harness/netns/netns.h"

#define SCN_MAX_CASES 10000
#define SCN_MAX_THRESHOLDS 64
#define SCN_MAX_BYTES (1u << 20)   /* a larger scenario file is refused */

/* ---- the schema ---- */

enum scn_type {
	SCN_T_INT,        /* whole number within [min, max] */
	SCN_T_SIZE,       /* bytes: 512, 4k, 1m (powers of 1024) */
	SCN_T_DURATION,   /* 10s, 200ms, 50us, 2m, 1h; a bare number only 0 */
	SCN_T_BOOL,       /* true/false (yes/no, on/off) */
	SCN_T_STRING,     /* any text; `check` may restrict it */
	SCN_T_PATH,       /* a file or directory; a relative one written in a
			     scenario file is taken from that file's directory */
	SCN_T_ENUM,       /* one of `choices` ("a|b|c") */
	SCN_T_FLOAT,      /* number within [min, max] */
	SCN_T_MAP,        /* a section: server, clients, target, capture */
	SCN_T_LIST,       /* thresholds: a list of expressions */
};

/*
 * Extra validation of one value (handler spec, size distribution, ...):
 * returns 0, or -EINVAL with the message (no key path, no position) in msg.
 */
typedef int (*scn_check_fn)(const char *value, char *msg, size_t len);

/*
 * Set the key's field of a case's typed settings (struct scn_settings,
 * below) from its normalised value: 0, or -EINVAL with the reason (no key
 * path, no position) in msg.
 */
struct scn_settings;
typedef int (*scn_set_fn)(struct scn_settings *st, const char *value, char *msg, size_t len);

struct scn_key {
	const char *path;          /* "clients.count" */
	enum scn_type type;
	const char *choices;       /* SCN_T_ENUM: "tcp|udp|..."; else NULL */
	double min, max;           /* INT, SIZE (bytes), DURATION (s), FLOAT */
	const char *def;           /* default as text; NULL: none / computed */
	const char *doc;           /* one line */
	const char *flag;          /* "serve --workers", "load --clients", or NULL */
	const char *example;       /* a YAML value */
	scn_check_fn check;        /* may be NULL */
	scn_set_fn set;            /* its field in scn_settings; NULL: none (the
	                              key goes to a child's argv, or is the
	                              scenario's own, like warmup) */
};

/* The table, terminated by a row with path NULL. */
extern const struct scn_key scn_schema[];
/* Row for a full key path, NULL if none. */
const struct scn_key *scn_schema_find(const char *path);
/* Write the key reference of docs/scenarios.md (Markdown). 0 or -errno. */
int scn_schema_markdown(FILE *f);

/* ---- thresholds ---- */

enum scn_metric {
	SCN_M_REQUESTS, SCN_M_ERRORS, SCN_M_ERROR_PCT, SCN_M_THROUGHPUT_RPS,
	SCN_M_THROUGHPUT_MBPS, SCN_M_MEAN_US, SCN_M_P50_US, SCN_M_P90_US,
	SCN_M_P99_US, SCN_M_P999_US, SCN_M_MAX_US, SCN_M_LOSS_PCT, SCN_M_DUPS,
	SCN_M_REORDERED, SCN_M_CONNECT_ERRORS, SCN_M_TIMEOUTS,
	SCN_M_COUNT
};

struct scn_metric_info {
	const char *name;          /* "p99_us" */
	const char *doc;
};
extern const struct scn_metric_info scn_metrics[SCN_M_COUNT];

enum scn_op { SCN_LT, SCN_LE, SCN_GT, SCN_GE, SCN_EQ, SCN_NE };

struct scn_threshold {
	enum scn_metric metric;
	enum scn_op op;
	double value;
	char *text;                /* as written, e.g. "p99_us < 2000" */
	int line, col;             /* where it was written */
};

/* Does measured value v pass threshold t? */
bool scn_threshold_ok(const struct scn_threshold *t, double v);
const char *scn_op_str(enum scn_op op);

/* ---- scenarios and cases ---- */

struct scn_param {
	const char *key;           /* full path, a string of scn_schema[] */
	const char *value;         /* normalised text ("true", "4k", "epoll") */
	int line, col;             /* where given; 0 when it is a default */
};

struct scn_case {
	size_t index;              /* 0-based, in expansion order */
	struct scn_param *params;  /* in scn_schema[] order */
	size_t nparams;
};

struct scn_capture {
	bool enabled;
	char *pcap_dir;            /* NULL: do not save a .pcap */
	unsigned snaplen;
};

struct scn {
	char *file;                /* as given to scn_load */
	char *text;                /* the whole file, NUL-terminated (the store keeps it) */
	char *name;
	char *description;         /* "" when absent */
	bool has_server;           /* else a target someone else started */
	bool has_relay;            /* a `relay:` section: clients go through it */
	uint64_t warmup_ns;
	unsigned repeat;
	struct scn_capture capture;
	struct scn_threshold *thresholds;
	size_t nthresholds;
	const char **vary;         /* keys given as lists, in declaration order */
	size_t nvary;
	struct scn_case *cases;
	size_t ncases;
	void *priv;                /* storage the params point into */
};

struct scn_error {
	char file[256];
	int line, col;             /* 1-based; 0 when the file could not be read */
	char path[128];            /* "clients.count" */
	char msg[512];
	char text[1024];           /* "FILE:LINE:COL: KEY.PATH: message" */
};

/*
 * Load, validate and expand the scenario at path. Returns 0 with *out (caller
 * frees with scn_free), or a negative errno with err filled: -EINVAL for a
 * bad scenario, -ENOMEM, or the error of reading the file.
 */
int scn_load(const char *path, struct scn **out, struct scn_error *err);
/* The same from memory; file is only used in messages. */
int scn_load_string(const char *file, const char *text, size_t len,
		    struct scn **out, struct scn_error *err);
void scn_free(struct scn *s);

/* Value of key in case c (default included), NULL if unset. */
const char *scn_case_get(const struct scn_case *c, const char *key);
/* The same with its position; NULL if unset. */
const struct scn_param *scn_case_param(const struct scn_case *c, const char *key);
/* "model=epoll count=10" for the keys that vary; caller frees. NULL: -ENOMEM. */
char *scn_case_label(const struct scn *s, const struct scn_case *c);

enum scn_phase {
	SCN_PHASE_MEASURE,         /* clients.duration / clients.requests */
	SCN_PHASE_WARMUP,          /* --duration WARMUP, no --requests */
};

/* ---- a case's typed settings (scenario_settings.c) ---- */

/*
 * What the runner needs of one case, parsed once from its parameters by the
 * schema rows' setters: the clients' load config for each phase, the
 * namespace pair and its link. The server and the relay are children and
 * get a generated argv instead (scn_case_serve_argv, scn_case_relay_argv).
 */
struct scn_settings {
	struct ld_config load;     /* the measured phase (cancel, live_replies and
	                              log_capacity are the runner's to set) */
	struct ld_config warmup;   /* the warmup: the same clients for
	                              scn.warmup_ns, no request limit (run
	                              only when warmup_ns > 0) */
	const char *target;        /* target.address of a target scenario, else NULL */
	bool pair;                 /* topology: pair */
	struct netns_link link;    /* its link; zero fields: not applied */
	bool link_rate, link_loss; /* link.rate / link.loss given: their drop
	                              counters are read after the case */
	bool sample_queues;        /* server.sample_queues given */
	/* The server writes its app boundary events (serve --app-log): a tcp
	 * server whose case is captured or samples its queues. */
	bool server_app_log;
	bool duration_given;       /* the resolver's: clients.duration was given */
};

/*
 * Resolve case c of s into st. A scenario key the case gave is set by its
 * schema row's setter; a key left to its default keeps the engine's own
 * (ld_config_init), as the generated command lines do. A target
 * scenario's target.address is parsed for its proto and must be loopback.
 * Returns 0, or -EINVAL with err filled as by scn_load: err->path the key,
 * err->msg the reason, the position of the value, err->text the whole
 * line. The loader resolves every case this way, so at run time this only
 * fails on memory the loader never saw.
 */
int scn_case_settings(const struct scn *s, const struct scn_case *c, struct scn_settings *st,
		      struct scn_error *err);
/*
 * The clients' target (the address the server or the relay reported, or
 * st->target), parsed per the case's proto into both phases, and the
 * whole checked as `socklab load` checks its flags (ld_config_check): a
 * combination the matrix allows but the clients do not (nodelay on udp).
 * 0, or -EINVAL with "KEY: reason" in err, in scenario keys. Whether the
 * address is loopback is the caller's to check (it may be in the runner's
 * own namespace pair).
 */
int scn_settings_target(struct scn_settings *st, const char *addr, char *err, size_t errlen);

/*
 * NULL-terminated argv for the case's server: {prog, "serve", flags...},
 * or {"serve", flags...} when prog is NULL (to call cmd_serve directly).
 * -EINVAL if the scenario has a target instead of a server. Caller frees
 * with scn_argv_free.
 */
int scn_case_serve_argv(const struct scn *s, const struct scn_case *c,
			const char *prog, char ***argv);
/*
 * argv for `socklab load`, likewise. target is the address the server
 * reported ("127.0.0.1:40123", a socket path); NULL for a target scenario,
 * which uses target.address. -EINVAL if no target is known.
 */
int scn_case_load_argv(const struct scn *s, const struct scn_case *c,
		       const char *prog, const char *target, enum scn_phase phase,
		       char ***argv);
/*
 * argv for `socklab relay` when the scenario has a `relay:` section:
 * {prog, "relay", "--proto", P, "--listen", LOOPBACK:0, "--to", to, flags...}
 * where to is the server's address (NULL: target.address). -EINVAL
 * without a relay section or an address.
 */
int scn_case_relay_argv(const struct scn *s, const struct scn_case *c,
			const char *prog, const char *to, char ***argv);
/* Append "flag value" to a NULL-terminated argv of the functions above
 * (the last of a repeated flag wins in socklab's verbs). 0 or -ENOMEM,
 * argv unchanged then. */
int scn_argv_append(char ***argv, const char *flag, const char *value);
void scn_argv_free(char **argv);

#endif
