/*
 * reports/table.c — the case table that the text and Markdown reports
 * print: one row per case in case order, the parameters that vary across
 * the matrix as columns, then the headline metrics formatted for reading,
 * with the best value of each metric column marked. Renderers only lay the
 * cells out; what a column is and which cell is best is decided here, once.
 */
#include "reports/report.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A headline metric column: its metric (or two summed), decimals, which is best. */
struct metric_col {
	const char *label;
	const char *name, *plus;    /* plus: a second metric added (CPU user + sys) */
	int decimals;
	enum rpt_better better;
	const char *if_any;         /* shown only when a case has this metric; NULL: always */
	enum rpt_part part;
};

static const struct metric_col metric_cols[] = {
	{"throughput_rps", "throughput_rps", NULL, 1, RPT_HIGHER, NULL, RPT_PART_MAIN},
	{"p50_us", "p50_us", NULL, 1, RPT_LOWER, NULL, RPT_PART_MAIN},
	{"p99_us", "p99_us", NULL, 1, RPT_LOWER, NULL, RPT_PART_MAIN},
	{"p999_us", "p999_us", NULL, 1, RPT_LOWER, NULL, RPT_PART_MAIN},
	{"errors", "errors", NULL, 0, RPT_LOWER, NULL, RPT_PART_MAIN},
	{"loss_pct", "loss_pct", NULL, 2, RPT_LOWER, "loss_pct", RPT_PART_MAIN},
	{"server_cpu_s", "server.cpu_user_s", "server.cpu_sys_s", 3, RPT_LOWER, NULL, RPT_PART_MAIN},
	{"server_maxrss_kb", "server.maxrss_kb", NULL, 0, RPT_LOWER, NULL, RPT_PART_MAIN},
	{"sends", "align.sends", NULL, 0, RPT_NUMBER, "align.sends", RPT_PART_TCP},
	{"segments", "align.segments", NULL, 0, RPT_NUMBER, "align.sends", RPT_PART_TCP},
	{"recvs", "align.recvs", NULL, 0, RPT_NUMBER, "align.sends", RPT_PART_TCP},
	{"sticky", "align.sticky_msgs", NULL, 0, RPT_NUMBER, "align.sends", RPT_PART_TCP},
	{"half", "align.half_msgs", NULL, 0, RPT_NUMBER, "align.sends", RPT_PART_TCP},
	{"sent", "udp.sent", NULL, 0, RPT_NUMBER, "udp.sent", RPT_PART_UDP},
	{"refused", "udp.refused", NULL, 0, RPT_NUMBER, "udp.sent", RPT_PART_UDP},
	{"wire", "udp.wire", NULL, 0, RPT_NUMBER, "udp.sent", RPT_PART_UDP},
	/* The newer terms only in a run that has them (a relay, a link). */
	{"wire_relayed", "udp.wire_relayed", NULL, 0, RPT_NUMBER, "udp.wire_relayed", RPT_PART_UDP},
	{"relay_rcvbuf_drop", "udp.relay_rcvbuf_dropped", NULL, 0, RPT_NUMBER,
	 "udp.relay_rcvbuf_dropped", RPT_PART_UDP},
	{"relay_drop", "udp.relay_dropped", NULL, 0, RPT_NUMBER, "udp.sent", RPT_PART_UDP},
	{"link_drop", "udp.link_dropped", NULL, 0, RPT_NUMBER, "udp.link_dropped", RPT_PART_UDP},
	{"link_rate_drop", "udp.link_rate_dropped", NULL, 0, RPT_NUMBER, "udp.link_rate_dropped",
	 RPT_PART_UDP},
	{"rcvbuf_drop", "udp.rcvbuf_dropped", NULL, 0, RPT_NUMBER, "udp.sent", RPT_PART_UDP},
	{"truncated", "udp.truncated", NULL, 0, RPT_NUMBER, "udp.sent", RPT_PART_UDP},
	{"received", "udp.received", NULL, 0, RPT_NUMBER, "udp.sent", RPT_PART_UDP},
	{"unread", "udp.unread", NULL, 0, RPT_NUMBER, "udp.unread", RPT_PART_UDP},
	{"unaccounted", "udp.unaccounted", NULL, 0, RPT_NUMBER, "udp.sent", RPT_PART_UDP},
};

/* The column's value for a case; false when not measured. */
static bool col_value(const struct metric_col *m, const struct rpt_case *c, double *v)
{
	const double *a = rpt_metric(c, m->name);
	const double *b = m->plus ? rpt_metric(c, m->plus) : NULL;
	if (!a && !b)
		return false;
	*v = (a ? *a : 0) + (b ? *b : 0);
	return true;
}

/* The key's last dotted part, unless another of the n keys has the same one. */
static const char *param_label(const char *const *keys, size_t n, size_t k)
{
	const char *dot = strrchr(keys[k], '.');
	const char *last = dot ? dot + 1 : keys[k];
	for (size_t i = 0; i < n; i++) {
		if (i == k)
			continue;
		const char *d = strrchr(keys[i], '.');
		if (strcmp(d ? d + 1 : keys[i], last) == 0)
			return keys[k];
	}
	return last;
}

/* Every case's value of key reads as a number (a case without the key counts as one). */
static bool key_numeric(const struct rpt_run *r, const char *key)
{
	for (size_t i = 0; i < r->ncases; i++) {
		const char *v = rpt_param(&r->cases[i], key);
		char *end;
		if (!v)
			continue;
		strtod(v, &end);
		if (end == v || *end)
			return false;
	}
	return true;
}

/* The cases have at least two values of key. */
static bool key_varies(const struct rpt_run *r, const char *key)
{
	const char *first = NULL;
	for (size_t i = 0; i < r->ncases; i++) {
		const char *v = rpt_param(&r->cases[i], key);
		v = v ? v : "";
		if (!first)
			first = v;
		else if (strcmp(first, v) != 0)
			return true;
	}
	return false;
}

size_t rpt_sort_keys(const struct rpt_run *r, const char **keys, size_t cap, size_t *inner)
{
	size_t n = 0;
	*inner = SIZE_MAX;
	/* Constant keys first (they never split a group), then numbers, then names. */
	for (int pass = 0; pass < 3; pass++)
		for (size_t k = 0; k < r->nvarying && n < cap; k++) {
			const char *key = r->varying[k];
			int p = !key_varies(r, key) ? 0 : key_numeric(r, key) ? 1 : 2;
			if (p != pass || strcmp(key, "repeat") == 0)
				continue;
			if (pass > 0)
				*inner = n;
			keys[n++] = key;
		}
	for (size_t k = 0; k < r->nparam_keys && n < cap; k++)
		if (strcmp(r->param_keys[k], "repeat") == 0)
			keys[n++] = r->param_keys[k];
	if (*inner == SIZE_MAX)
		*inner = n;
	return n;
}

/* Sorting context: qsort has no user pointer, and the sort is short-lived. */
struct sort_ctx {
	const struct rpt_run *r;
	const char **keys;
	bool *numeric;
	size_t nkeys;
};

/* Position of value v of key k in matrix order (first appearance). */
static size_t first_seen(const struct rpt_run *r, const char *key, const char *v)
{
	for (size_t i = 0; i < r->ncases; i++) {
		const char *w = rpt_param(&r->cases[i], key);
		if (w && v && strcmp(w, v) == 0)
			return i;
	}
	return r->ncases;
}

static int cmp_rows(const struct sort_ctx *sc, size_t a, size_t b, size_t upto)
{
	for (size_t k = 0; k < upto; k++) {
		const char *va = rpt_param(&sc->r->cases[a], sc->keys[k]);
		const char *vb = rpt_param(&sc->r->cases[b], sc->keys[k]);
		if (sc->numeric[k] && va && vb) {
			double x = strtod(va, NULL), y = strtod(vb, NULL);
			if (x != y)
				return x < y ? -1 : 1;
			continue;
		}
		size_t x = first_seen(sc->r, sc->keys[k], va), y = first_seen(sc->r, sc->keys[k], vb);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/* Insertion sort of row indexes: stable, and matrices are small. */
static void sort_rows(const struct sort_ctx *sc, size_t *rows, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		size_t v = rows[i], j = i;
		while (j > 0 && cmp_rows(sc, rows[j - 1], v, sc->nkeys) > 0) {
			rows[j] = rows[j - 1];
			j--;
		}
		rows[j] = v;
	}
}

void rpt_table_free(struct rpt_table *t)
{
	for (size_t i = 0; i < t->ncols; i++)
		free(t->cols[i].label);
	free(t->cols);
	if (t->cells)
		for (size_t i = 0; i < t->ncols * t->nrows; i++)
			free(t->cells[i]);
	free(t->cells);
	free(t->best);
	free(t->worse);
	free(t->row_case);
	free(t->group_start);
	free(t->note);
	memset(t, 0, sizeof(*t));
}

static int add_col(struct rpt_table *t, const char *label, enum rpt_better b, enum rpt_part part)
{
	struct rpt_col *c = &t->cols[t->ncols];
	if (!(c->label = strdup(label)))
		return -ENOMEM;
	c->better = b;
	c->part = part;
	t->ncols++;
	return 0;
}

/* Which metric columns the run shows. */
static void pick_cols(const struct rpt_run *r, bool *use, size_t nm)
{
	for (size_t m = 0; m < nm; m++) {
		const char *trig = metric_cols[m].if_any;
		use[m] = !trig;
		for (size_t i = 0; !use[m] && i < r->ncases; i++)
			use[m] = rpt_metric(&r->cases[i], trig) != NULL;
	}
}

/*
 * A case competes for the best marks only when it ran to its end: ok, or
 * failed (a threshold was missed, the numbers are whole). An interrupted,
 * erroneous, skipped or still-running case has partial or no numbers.
 */
bool rpt_case_ranked(const struct rpt_case *c)
{
	return c->status && (strcmp(c->status, "ok") == 0 || strcmp(c->status, "failed") == 0);
}

/*
 * Fill the metric column col of metric m, marking the best cells: within
 * each group (rows from one group_start to the next), among ranked cases.
 */
static int fill_metric(const struct rpt_run *r, struct rpt_table *t, const struct metric_col *mc,
		       size_t col, double *vals, bool *has)
{
	for (size_t i = 0; i < t->nrows; i++) {
		const struct rpt_case *c = &r->cases[t->row_case[i]];
		char buf[64];
		has[i] = col_value(mc, c, &vals[i]) && isfinite(vals[i]);
		if (has[i])
			rpt_fmt(buf, sizeof(buf), vals[i], mc->decimals, false);
		else
			snprintf(buf, sizeof(buf), "-");
		if (!(t->cells[i * t->ncols + col] = strdup(buf)))
			return -ENOMEM;
	}
	if (mc->better == RPT_NUMBER)
		return 0;
	for (size_t g0 = 0, g1; g0 < t->nrows; g0 = g1) {
		for (g1 = g0 + 1; g1 < t->nrows && !t->group_start[g1]; g1++)
			;
		size_t nhas = 0;
		bool differ = false;
		double best = 0;
		for (size_t i = g0; i < g1; i++) {
			if (!has[i] || !rpt_case_ranked(&r->cases[t->row_case[i]]))
				continue;
			if (nhas && vals[i] != best)
				differ = true;
			if (!nhas || (mc->better == RPT_HIGHER ? vals[i] > best : vals[i] < best))
				best = vals[i];
			nhas++;
		}
		for (size_t i = g0; i < g1; i++)
			t->best[i * t->ncols + col] = has[i] && nhas > 1 && differ && vals[i] == best &&
						      rpt_case_ranked(&r->cases[t->row_case[i]]);
	}
	return 0;
}

/* Number the rows that need a note (rpt_case_note), in table order, and cite it in the status cell. */
static int number_notes(const struct rpt_run *r, struct rpt_table *t, size_t col)
{
	for (size_t i = 0; i < t->nrows; i++) {
		const struct rpt_case *c = &r->cases[t->row_case[i]];
		if (!rpt_case_note(c, NULL))
			continue;
		char buf[256];
		t->note[i] = ++t->nnotes;
		snprintf(buf, sizeof(buf), "%s [%zu]", c->status, t->note[i]);
		char *d = strdup(buf);
		if (!d)
			return -ENOMEM;
		free(t->cells[i * t->ncols + col]);
		t->cells[i * t->ncols + col] = d;
	}
	return 0;
}

/* What a status means, for a note. */
static const char *status_words(const char *st)
{
	static const struct {
		const char *status, *words;
	} w[] = {
		{"failed", "failed: a threshold was missed (the numbers are whole)"},
		{"interrupted", "interrupted before it finished: its numbers are partial"},
		{"error", "error: the case did not run as asked"},
		{"skipped", "skipped: not run on purpose"},
		{"running", "never finished (still running, or socklab was killed)"},
	};
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (strcmp(st, w[i].status) == 0)
			return w[i].words;
	return NULL;
}

bool rpt_case_note(const struct rpt_case *c, FILE *f)
{
	bool bad = c->status && strcmp(c->status, "ok") != 0;
	bool cap = c->capture_status && strcmp(c->capture_status, "ok") != 0;
	if (!f || (!bad && !cap))
		return bad || cap;
	fprintf(f, "case %lld: ", (long long)c->index);
	if (bad) {
		const char *w = status_words(c->status);
		fputs(w ? w : c->status, f);
		if (c->error && *c->error)
			fprintf(f, ": %s", c->error);
	}
	if (cap) {
		bool unav = strcmp(c->capture_status, "unavailable") == 0;
		fprintf(f, "%s%s", bad ? "; " : "", unav ? "capture unavailable" :
			strcmp(c->capture_status, "error") == 0 ? "capture failed (what it saw is kept)" :
			"capture ");
		if (!unav && strcmp(c->capture_status, "error") != 0)
			fputs(c->capture_status, f);
		if (c->capture_error && *c->capture_error)
			fprintf(f, ": %s", c->capture_error);
	}
	return true;
}

/* rpt_case_note's text in a malloc'd string (caller frees); NULL: no memory. */
static char *note_text(const struct rpt_case *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	rpt_case_note(c, m);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The case of note number n (1-based) of table t, or NULL. */
static const struct rpt_case *note_case(const struct rpt_run *r, const struct rpt_table *t,
					size_t n)
{
	for (size_t i = 0; t->note && i < t->nrows; i++)
		if (t->note[i] == n)
			return &r->cases[t->row_case[i]];
	return NULL;
}

int rpt_table_notes(const struct rpt_run *r, const struct rpt_table *t, FILE *f,
		    void (*line)(FILE *f, size_t n, const char *text))
{
	for (size_t n = 1; n <= t->nnotes; n++) {
		char *s = note_text(note_case(r, t, n));
		if (!s)
			return -ENOMEM;
		line(f, n, s);
		free(s);
	}
	return 0;
}

int rpt_table_build(const struct rpt_run *r, struct rpt_table *t)
{
	const size_t nm = sizeof(metric_cols) / sizeof(metric_cols[0]);
	bool use[sizeof(metric_cols) / sizeof(metric_cols[0])];
	size_t nrows = r->ncases ? r->ncases : 1, inner;
	size_t maxkeys = r->nvarying + 1;
	size_t maxcols = maxkeys + nm + 1;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	pick_cols(r, use, nm);
	t->nrows = r->ncases;
	t->cols = calloc(maxcols, sizeof(*t->cols));
	t->cells = calloc(maxcols * nrows, sizeof(*t->cells));
	t->best = calloc(maxcols * nrows, sizeof(*t->best));
	t->row_case = calloc(nrows, sizeof(*t->row_case));
	t->group_start = calloc(nrows, sizeof(*t->group_start));
	t->note = calloc(nrows, sizeof(*t->note));
	const char **keys = calloc(maxkeys, sizeof(*keys));
	bool *numeric = calloc(maxkeys, sizeof(*numeric));
	double *vals = calloc(nrows, sizeof(*vals));
	bool *has = calloc(nrows, sizeof(*has));
	if (!t->cols || !t->cells || !t->best || !t->row_case || !t->group_start || !t->note || !keys ||
	    !numeric || !vals || !has) {
		rc = -ENOMEM;
		goto out;
	}
	size_t nkeys = rpt_sort_keys(r, keys, maxkeys, &inner);
	for (size_t k = 0; k < nkeys; k++)
		numeric[k] = key_numeric(r, keys[k]);
	struct sort_ctx sc = {r, keys, numeric, nkeys};
	for (size_t i = 0; i < r->ncases; i++)
		t->row_case[i] = i;
	sort_rows(&sc, t->row_case, r->ncases);
	/* The outer keys are those before the innermost one. */
	for (size_t i = 1; i < r->ncases; i++)
		t->group_start[i] = inner > 0 && inner < nkeys &&
				    cmp_rows(&sc, t->row_case[i - 1], t->row_case[i], inner) != 0;

	/* Cells are indexed with the final column count, so lay out columns first. */
	for (size_t k = 0; rc == 0 && k < nkeys; k++)
		rc = add_col(t, param_label(keys, nkeys, k), RPT_PARAM, RPT_PART_MAIN);
	t->nparam_cols = nkeys;
	for (size_t m = 0; rc == 0 && m < nm; m++)
		if (use[m])
			rc = add_col(t, metric_cols[m].label, metric_cols[m].better, metric_cols[m].part);
	if (rc == 0)
		rc = add_col(t, "status", RPT_TEXT, RPT_PART_MAIN);
	size_t col = 0;
	for (size_t k = 0; rc == 0 && k < nkeys; k++, col++)
		for (size_t i = 0; rc == 0 && i < r->ncases; i++) {
			const char *v = rpt_param(&r->cases[t->row_case[i]], keys[k]);
			if (!(t->cells[i * t->ncols + col] = strdup(v ? v : "-")))
				rc = -ENOMEM;
		}
	for (size_t m = 0; rc == 0 && m < nm; m++)
		if (use[m])
			rc = fill_metric(r, t, &metric_cols[m], col++, vals, has);
	for (size_t i = 0; rc == 0 && i < r->ncases; i++)
		if (!(t->cells[i * t->ncols + col] = strdup(r->cases[t->row_case[i]].status)))
			rc = -ENOMEM;
	if (rc == 0)
		rc = number_notes(r, t, col);
out:
	free(keys);
	free(numeric);
	free(vals);
	free(has);
	if (rc != 0)
		rpt_table_free(t);
	return rc;
}

void rpt_fmt(char *buf, size_t len, double v, int decimals, bool sign)
{
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (fabs(v) < 1e15)
		snprintf(buf, len, sign ? "%+.*f" : "%.*f", decimals & 7, v);
	else
		snprintf(buf, len, sign ? "%+.6g" : "%.6g", v);
}

int rpt_run_title(const struct rpt_run *r, char *buf, size_t len)
{
	int n = snprintf(buf, len, "run %lld %s: %s, %zu case%s, started %s, ended %s, host %s",
			 (long long)r->id, r->name ? r->name : "?", r->status ? r->status : "?",
			 r->ncases, r->ncases == 1 ? "" : "s", r->started ? r->started : "-",
			 r->ended ? r->ended : "-", r->host ? r->host : "?");
	return n < 0 ? -EIO : 0;
}
