/*
 * harness/store/store_params.c — a case's parameters on their way into `cases`:
 * the whole ordered list as a JSON object of strings (escaped per RFC 8259),
 * and the common ones as typed columns so that a report can ORDER BY clients
 * or GROUP BY model without JSON functions.
 *
 * A typed column takes the value parsed with the scenario's own units
 * (sizes in powers of 1024, durations in seconds, booleans as 0/1). A value
 * that does not parse (a size distribution such as "64..1024") is stored as
 * the text given: SQLite keeps it in the column unchanged, and the JSON
 * always has the exact text.
 */
#include "harness/store/store_int.h"

#include "util/buf.h"
#include "util/json.h"
#include "util/units.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- JSON ---- */

int db_params_json(const struct db_param *params, size_t n, char **out)
{
	struct net_buf b = {0};
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!params[i].key || !params[i].value)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(params[i].key, params[j].key) == 0)
				return -EINVAL;
	}
	rc = net_buf_append(&b, "{", 1);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (i > 0)
			rc = net_buf_append(&b, ",", 1);
		if (rc == 0)
			rc = net_json_string(&b, params[i].key);
		if (rc == 0)
			rc = net_buf_append(&b, ":", 1);
		if (rc == 0)
			rc = net_json_string(&b, params[i].value);
	}
	if (rc == 0)
		rc = net_buf_append(&b, "}", 2);   /* with the NUL */
	if (rc != 0) {
		net_buf_free(&b);
		return rc;
	}
	*out = (char *)b.data;
	return 0;
}

int db_json_array(const char *const *items, size_t n, char **out)
{
	struct net_buf b = {0};
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!items[i])
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(items[i], items[j]) == 0)
				return -EINVAL;
	}
	rc = net_buf_append(&b, "[", 1);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (i > 0)
			rc = net_buf_append(&b, ",", 1);
		if (rc == 0)
			rc = net_json_string(&b, items[i]);
	}
	if (rc == 0)
		rc = net_buf_append(&b, "]", 2);   /* with the NUL */
	if (rc != 0) {
		net_buf_free(&b);
		return rc;
	}
	*out = (char *)b.data;
	return 0;
}

/* ---- typed columns ---- */

enum col_type { COL_TEXT, COL_INT, COL_SIZE, COL_DURATION, COL_BOOL, COL_REAL };

struct param_col {
	const char *column;
	enum col_type type;
	const char *keys[3];   /* full keys, preferred first */
	const char *suffix;    /* else the first key whose last part is this */
};

/* In the order of the columns in ST_CASE_INSERT (?5 .. ?15). */
static const struct param_col cols[DB_PARAM_COLUMNS] = {
	{"proto", COL_TEXT, {"server.proto", "target.proto", "clients.proto"}, "proto"},
	{"model", COL_TEXT, {"server.model"}, "model"},
	{"handler", COL_TEXT, {"server.handler"}, "handler"},
	{"workers", COL_INT, {"server.workers"}, "workers"},
	{"clients", COL_INT, {"clients.count"}, NULL},
	{"duration_s", COL_DURATION, {"clients.duration", "duration"}, "duration"},
	{"size", COL_SIZE, {"clients.size"}, "size"},
	{"framing", COL_TEXT, {"clients.framing", "server.framing"}, "framing"},
	{"pattern", COL_TEXT, {"clients.pattern"}, "pattern"},
	{"nodelay", COL_BOOL, {"clients.nodelay", "server.nodelay"}, "nodelay"},
	{"rate", COL_REAL, {"clients.rate"}, "rate"},
};

const char *db_param_column(int i)
{
	return i >= 0 && i < DB_PARAM_COLUMNS ? cols[i].column : NULL;
}

static const char *find_value(const struct param_col *c, const struct db_param *p, size_t n)
{
	for (size_t k = 0; k < sizeof c->keys / sizeof c->keys[0] && c->keys[k]; k++)
		for (size_t i = 0; i < n; i++)
			if (strcmp(p[i].key, c->keys[k]) == 0)
				return p[i].value;
	if (!c->suffix)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *dot = strrchr(p[i].key, '.');
		if (strcmp(dot ? dot + 1 : p[i].key, c->suffix) == 0)
			return p[i].value;
	}
	return NULL;
}

/* A number and the rest of the string; false when there is no number. */
static bool number(const char *s, double *v, const char **rest)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(*v))
		return false;
	while (*end == ' ')
		end++;
	*rest = end;
	return true;
}

static bool parse_int(const char *s, long long *out)
{
	char *end;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return end != s && *end == '\0' && errno == 0;
}

/* Sizes and durations in util/units.h's grammar, the one the scenario
 * loader checked them with; durations in seconds. */
static bool parse_size(const char *s, long long *out)
{
	char e[128];
	uint64_t v;
	if (unit_size(s, &v, e, sizeof(e)) < 0 || v > (uint64_t)LLONG_MAX)
		return false;
	*out = (long long)v;
	return true;
}

static bool parse_duration(const char *s, double *out)
{
	char e[128];
	uint64_t ns;
	if (unit_duration_ns(s, &ns, e, sizeof(e)) < 0)
		return false;
	*out = (double)ns / 1e9;
	return true;
}

static bool parse_bool(const char *s, long long *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return true;
		}
	}
	return false;
}

/* 5000, 2.5e3, or 5000/s: per second. */
static bool parse_rate(const char *s, double *out)
{
	const char *rest;
	return number(s, out, &rest) && (*rest == '\0' || strcmp(rest, "/s") == 0);
}

static int bind_col(sqlite3_stmt *st, int i, enum col_type type, const char *v)
{
	long long n;
	double d;

	if (!v)
		return sqlite3_bind_null(st, i);
	switch (type) {
	case COL_INT:
		if (parse_int(v, &n))
			return sqlite3_bind_int64(st, i, n);
		break;
	case COL_SIZE:
		if (parse_size(v, &n))
			return sqlite3_bind_int64(st, i, n);
		break;
	case COL_BOOL:
		if (parse_bool(v, &n))
			return sqlite3_bind_int64(st, i, n);
		break;
	case COL_DURATION:
		if (parse_duration(v, &d))
			return sqlite3_bind_double(st, i, d);
		break;
	case COL_REAL:
		if (parse_rate(v, &d))
			return sqlite3_bind_double(st, i, d);
		break;
	case COL_TEXT:
		break;
	}
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

int db_params_bind(sqlite3_stmt *st, int first, const struct db_param *p, size_t n)
{
	for (int i = 0; i < DB_PARAM_COLUMNS; i++) {
		int rc = bind_col(st, first + i, cols[i].type, find_value(&cols[i], p, n));
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}
