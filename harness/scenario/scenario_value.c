/*
 * harness/scenario/scenario_value.c — scalar values of a scenario: whole numbers,
 * sizes, durations, booleans, floats, enums, checked against one schema row
 * and normalised; threshold expressions; the edit distance behind
 * did-you-mean. Pure functions on strings, no positions: the caller adds
 * file, line and column.
 */
#include "harness/scenario/scenario_int.h"
#include "util/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Sizes and durations in util/units.h's grammar, so a value means the same
 * in a scenario and on the command line. */

int scn_parse_size(const char *s, uint64_t *out)
{
	char why[128] = "";
	return unit_size(s, out, why, sizeof(why));
}

int scn_parse_duration_ns(const char *s, uint64_t *out)
{
	char why[128] = "";
	return unit_duration_ns(s, out, why, sizeof(why));
}

int scn_parse_uint(const char *s, unsigned long long *out)
{
	char *end;
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	*out = v;
	return 0;
}

int scn_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};
	for (int i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int scn_parse_float(const char *s, double *out)
{
	char *end;
	if (!s[0] || isspace((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

unsigned scn_edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	unsigned d[33][33];
	if (n > 32 || m > 32)
		return 99;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[n][m] > 99 ? 99 : d[n][m];
}

/* Written as util/units writes them, so the messages match the flags'. */
void scn_fmt_size(double v, char *buf, size_t len)
{
	unit_fmt_size((uint64_t)v, buf, len);
}

void scn_fmt_duration(double sec, char *buf, size_t len)
{
	unit_fmt_duration((uint64_t)llround(sec * 1e9), buf, len);
}

/* What key k expects, for "expected ..." messages. */
static void describe(const struct scn_key *k, bool range, char *buf, size_t len)
{
	char lo[32], hi[32];
	switch (k->type) {
	case SCN_T_INT:
		if (k->min == 1 && !range)
			snprintf(buf, len, "a positive integer");
		else if (k->min == 1)
			snprintf(buf, len, "a positive integer, at most %.0f", k->max);
		else
			snprintf(buf, len, "a whole number from %.0f to %.0f", k->min, k->max);
		break;
	case SCN_T_SIZE:
		scn_fmt_size(k->min, lo, sizeof(lo));
		scn_fmt_size(k->max, hi, sizeof(hi));
		if (range)
			snprintf(buf, len, "a size from %s to %s", lo, hi);
		else
			snprintf(buf, len, "a size like 512, 4k, 1m");
		break;
	case SCN_T_DURATION:
		scn_fmt_duration(k->min, lo, sizeof(lo));
		scn_fmt_duration(k->max, hi, sizeof(hi));
		if (range)
			snprintf(buf, len, "a duration from %s to %s", lo, hi);
		else
			snprintf(buf, len, "a duration like 10s, 200ms");
		break;
	case SCN_T_BOOL:
		snprintf(buf, len, "true or false");
		break;
	case SCN_T_FLOAT:
		snprintf(buf, len, range ? "a number from %g to %g" : "a number", k->min, k->max);
		break;
	case SCN_T_ENUM: {
		size_t n = (size_t)snprintf(buf, len, "one of ");
		for (const char *c = k->choices; *c && n + 3 < len; c++, n++) {
			if (*c == '|') {
				buf[n++] = ',';
				buf[n] = ' ';
			} else {
				buf[n] = *c;
			}
		}
		buf[n < len ? n : len - 1] = '\0';
		break;
	}
	default:
		snprintf(buf, len, "text");
		break;
	}
}

static bool enum_has(const char *choices, const char *v)
{
	size_t n = strlen(v);
	for (const char *c = choices; c; c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL) {
		const char *e = strchr(c, '|');
		size_t cl = e ? (size_t)(e - c) : strlen(c);
		if (cl == n && n && strncmp(c, v, n) == 0)
			return true;
	}
	return false;
}

/* Parse and range-check by type; sets norm. 1 when out of range. */
static int typed(const struct scn_key *k, const char *v, char *norm, size_t len)
{
	unsigned long long u;
	uint64_t x;
	double f;
	bool b;
	int rc;

	switch (k->type) {
	case SCN_T_INT:
		/* Too large for 64 bits is out of range, not a wrong type. */
		if ((rc = scn_parse_uint(v, &u)) < 0)
			return rc == -ERANGE ? 1 : -EINVAL;
		if ((double)u < k->min || (double)u > k->max)
			return 1;
		snprintf(norm, len, "%llu", u);
		return 0;
	case SCN_T_SIZE:
	case SCN_T_DURATION:
		rc = k->type == SCN_T_SIZE ? scn_parse_size(v, &x) : scn_parse_duration_ns(v, &x);
		if (rc < 0)
			return rc == -ERANGE ? 1 : -EINVAL;
		f = k->type == SCN_T_SIZE ? (double)x : (double)x / 1e9;
		if (f < k->min || f > k->max)
			return 1;
		break;
	case SCN_T_FLOAT:
		if (scn_parse_float(v, &f) < 0)
			return -EINVAL;
		if (f < k->min || f > k->max)
			return 1;
		break;
	case SCN_T_BOOL:
		if (scn_parse_bool(v, &b) < 0)
			return -EINVAL;
		snprintf(norm, len, "%s", b ? "true" : "false");
		return 0;
	case SCN_T_ENUM:
		if (!enum_has(k->choices, v))
			return -EINVAL;
		break;
	default:
		break;
	}
	snprintf(norm, len, "%s", v);
	return 0;
}

void scn_value_describe(const struct scn_key *k, char *buf, size_t len)
{
	describe(k, false, buf, len);
}

int scn_value_check(const struct scn_key *k, const char *text, char *norm, size_t len,
		    char *msg, size_t msglen)
{
	char want[256];
	if (strlen(text) >= len) {
		snprintf(msg, msglen, "value too long (at most %zu characters)", len - 1);
		return -EINVAL;
	}
	int rc = typed(k, text, norm, len);
	if (rc != 0) {
		describe(k, rc > 0, want, sizeof(want));
		if (text[0])
			snprintf(msg, msglen, "expected %s, got '%.64s'", want, text);
		else
			snprintf(msg, msglen, "expected %s, got nothing", want);
		return -EINVAL;
	}
	if (k->check && k->check(norm, msg, msglen) < 0)
		return -EINVAL;
	return 0;
}

/* ---- thresholds: METRIC OP NUMBER ---- */

static size_t skip_space(const char *s, size_t i)
{
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	return i;
}

static int metric_lookup(const char *name, size_t n, char *msg, size_t msglen)
{
	char buf[40];
	unsigned best = 99, d[SCN_M_COUNT];

	for (int m = 0; m < SCN_M_COUNT; m++)
		if (strlen(scn_metrics[m].name) == n && strncmp(scn_metrics[m].name, name, n) == 0)
			return m;
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < 32 ? n : 32), name);
	for (int m = 0; m < SCN_M_COUNT; m++) {
		d[m] = scn_edit_distance(buf, scn_metrics[m].name);
		if (d[m] < best)
			best = d[m];
	}
	if (best > 2) {
		snprintf(msg, msglen, "unknown metric '%s' (see docs/scenarios.md for the list)", buf);
		return -EINVAL;
	}
	/* Name every metric at the best distance: p98_us is as near p90_us as p99_us. */
	size_t k = (size_t)snprintf(msg, msglen, "unknown metric '%s' (did you mean", buf);
	const char *sep = " ";
	for (int m = 0; m < SCN_M_COUNT && k < msglen; m++) {
		if (d[m] != best)
			continue;
		k += (size_t)snprintf(msg + k, msglen - k, "%s'%s'", sep, scn_metrics[m].name);
		sep = " or ";
	}
	if (k < msglen)
		snprintf(msg + k, msglen - k, "?)");
	return -EINVAL;
}

static int parse_op(const char *s, enum scn_op *op)
{
	static const struct { const char *s; enum scn_op op; } ops[] = {
		{"<=", SCN_LE}, {">=", SCN_GE}, {"==", SCN_EQ}, {"!=", SCN_NE},
		{"<", SCN_LT}, {">", SCN_GT},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].s);
		if (strncmp(s, ops[i].s, n) == 0) {
			*op = ops[i].op;
			return (int)n;
		}
	}
	return -EINVAL;
}

/* Length of the token at s (up to white space), for messages. */
static int tok_len(const char *s)
{
	int n = 0;
	while (s[n] && s[n] != ' ' && s[n] != '\t' && n < 32)
		n++;
	return n;
}

int scn_threshold_parse(const char *text, struct scn_threshold *t, size_t *bad_off,
			char *msg, size_t msglen)
{
	size_t i = skip_space(text, 0), start = i;
	int n, m;

	*bad_off = i;
	if (!text[i]) {
		snprintf(msg, msglen, "empty threshold (expected e.g. 'p99_us < 2000')");
		return -EINVAL;
	}
	while (isalnum((unsigned char)text[i]) || text[i] == '_')
		i++;
	if (i == start) {
		snprintf(msg, msglen, "expected a metric name like p99_us, got '%.*s'",
			 tok_len(text + i), text + i);
		return -EINVAL;
	}
	if ((m = metric_lookup(text + start, i - start, msg, msglen)) < 0)
		return -EINVAL;
	i = skip_space(text, i);
	*bad_off = i;
	if ((n = parse_op(text + i, &t->op)) < 0) {
		snprintf(msg, msglen, "expected an operator (< <= > >= == !=), got '%.*s'",
			 tok_len(text + i), text + i);
		return -EINVAL;
	}
	i = skip_space(text, i + (size_t)n);
	*bad_off = i;
	char *end;
	errno = 0;
	t->value = strtod(text + i, &end);
	if (end == text + i || errno || !isfinite(t->value) || isspace((unsigned char)text[i])) {
		snprintf(msg, msglen, "expected a number, got '%.*s'", tok_len(text + i), text + i);
		return -EINVAL;
	}
	i = skip_space(text, (size_t)(end - text));
	if (text[i]) {
		*bad_off = i;
		snprintf(msg, msglen, "unexpected '%.*s' after the number (units are part of "
			 "the metric's name, e.g. p99_us)", tok_len(text + i), text + i);
		return -EINVAL;
	}
	t->metric = (enum scn_metric)m;
	return 0;
}

bool scn_threshold_ok(const struct scn_threshold *t, double v)
{
	switch (t->op) {
	case SCN_LT: return v < t->value;
	case SCN_LE: return v <= t->value;
	case SCN_GT: return v > t->value;
	case SCN_GE: return v >= t->value;
	case SCN_EQ: return v == t->value;
	case SCN_NE: return v != t->value;
	}
	return false;
}

const char *scn_op_str(enum scn_op op)
{
	static const char *const s[] = {"<", "<=", ">", ">=", "==", "!="};
	return (unsigned)op < 6 ? s[op] : "?";
}
