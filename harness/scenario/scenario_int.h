/*
 * harness/scenario/scenario_int.h — what the scenario loader's files share and
 * nobody else needs: the YAML tree with its marks, the error formatter and
 * the value parsers. Public API: harness/scenario/scenario.h.
 */
#ifndef SOCKLAB_HARNESS_SCENARIO_SCENARIO_INT_H
#define SOCKLAB_HARNESS_SCENARIO_SCENARIO_INT_H

#include "harness/scenario/scenario.h"

#include <stdarg.h>

#define SCN_MAX_DEPTH 32

enum scn_node_kind { SCN_N_SCALAR, SCN_N_SEQ, SCN_N_MAP };

/* One YAML node; positions are 1-based. */
struct scn_node {
	enum scn_node_kind kind;
	int line, col;
	int end_line;
	char *text;                /* scalar: its value, NUL-terminated */
	bool quoted;               /* scalar: '...' or "..." */
	bool block;                /* scalar: | or > */
	struct scn_node **kids;    /* map: key, value, key, value, ... */
	size_t nkids, cap;
};

/* Parse YAML text into a tree (caller frees with scn_node_free). *root is
 * NULL for an empty file. Returns 0 or -EINVAL/-ENOMEM with err filled. */
int scn_yaml_parse(const char *file, const char *text, size_t len,
		   struct scn_node **root, struct scn_error *err);
void scn_node_free(struct scn_node *n);

/* Fill err ("FILE:LINE:COL: PATH: msg") and return -EINVAL. */
int scn_fail(struct scn_error *err, const char *file, int line, int col,
	     const char *path, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* One key as written: a single value, or the values of a matrix list. */
struct scn_slot {
	const struct scn_key *key;
	struct scn_param *vals;
	size_t n;
	bool is_list;
	int line, col;             /* the value node (the list for a matrix) */
};

/* scn->priv: owns every string and array the cases point into. */
struct scn_store {
	struct scn_slot *slots;
	size_t nslots, cap;
	char **strs;
	size_t nstrs, strcap;
	struct scn_param *params;
};

/* Expand the slots of s into s->cases and check each case; errors at the
 * node of the offending value. 0, -EINVAL or -ENOMEM. */
int scn_expand(struct scn *s, const char *file, struct scn_error *err);

/* ---- values (harness/scenario/scenario_value.c) ---- */

/* Each returns 0 or -EINVAL; -ERANGE when the number is too large for 64
 * bits. */
int scn_parse_uint(const char *s, unsigned long long *out);
int scn_parse_size(const char *s, uint64_t *out);
int scn_parse_duration_ns(const char *s, uint64_t *out);
int scn_parse_bool(const char *s, bool *out);
int scn_parse_float(const char *s, double *out);
/* Damerau (optimal string alignment) edit distance, capped at 99. */
unsigned scn_edit_distance(const char *a, const char *b);

/* 4096 -> "4k", 1073741824 -> "1g", else bytes; 0.2 -> "200ms". */
void scn_fmt_size(double bytes, char *buf, size_t len);
void scn_fmt_duration(double sec, char *buf, size_t len);
/* What k expects, for "expected ..., got ..." ("a positive integer"). */
void scn_value_describe(const struct scn_key *k, char *buf, size_t len);

/*
 * Check text against key k (range, choices, k->check). On success returns 0
 * with the normalised value in norm (len bytes). On failure -EINVAL with
 * the message ("expected a positive integer, got 'many'") in msg.
 */
int scn_value_check(const struct scn_key *k, const char *text, char *norm, size_t len,
		    char *msg, size_t msglen);

/*
 * Parse a threshold expression. On failure -EINVAL with msg and *bad_off,
 * the byte offset of the bad token in text.
 */
int scn_threshold_parse(const char *text, struct scn_threshold *t, size_t *bad_off,
			char *msg, size_t msglen);

/* The schema rows' setters (scenario_settings.c), one per field of
 * struct scn_settings. */
int scn_set_proto(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_target(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_clients(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_duration(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_requests(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_rate(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_flood(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_size(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_framing(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_pattern(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_nodelay(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_cork(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_think(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_per_request(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_file(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_file_root(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_threads(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_topology(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_link_rate(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_link_loss(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_link_burst(struct scn_settings *st, const char *v, char *msg, size_t len);
int scn_set_sample_queues(struct scn_settings *st, const char *v, char *msg, size_t len);

/* Checks used by the schema and the docs generator. */
int scn_check_model(const char *v, char *msg, size_t len);
int scn_check_handler(const char *v, char *msg, size_t len);

#endif
