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
#include <stdlib.h>
#include <string.h>

/* A headline metric column: its metric (or two summed), decimals, which is best. */
struct metric_col {
	const char *label;
	const char *name, *plus;    /* plus: a second metric added (CPU user + sys) */
	int decimals;
	enum rpt_better better;
	bool only_if_any;           /* the column is left out when no case has it */
};

static const struct metric_col metric_cols[] = {
	{"throughput_rps", "throughput_rps", NULL, 1, RPT_HIGHER, false},
	{"p50_us", "p50_us", NULL, 1, RPT_LOWER, false},
	{"p99_us", "p99_us", NULL, 1, RPT_LOWER, false},
	{"p999_us", "p999_us", NULL, 1, RPT_LOWER, false},
	{"errors", "errors", NULL, 0, RPT_LOWER, false},
	{"loss_pct", "loss_pct", NULL, 2, RPT_LOWER, true},
	{"server_cpu_s", "server.cpu_user_s", "server.cpu_sys_s", 3, RPT_LOWER, false},
	{"server_maxrss_kb", "server.maxrss_kb", NULL, 0, RPT_LOWER, false},
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

/* The key's last dotted part, unless another varying key has the same one. */
static const char *param_label(const struct rpt_run *r, size_t k)
{
	const char *dot = strrchr(r->varying[k], '.');
	const char *last = dot ? dot + 1 : r->varying[k];
	for (size_t i = 0; i < r->nvarying; i++) {
		if (i == k)
			continue;
		const char *d = strrchr(r->varying[i], '.');
		if (strcmp(d ? d + 1 : r->varying[i], last) == 0)
			return r->varying[k];
	}
	return last;
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
	memset(t, 0, sizeof(*t));
}

static int add_col(struct rpt_table *t, const char *label, enum rpt_better b)
{
	struct rpt_col *c = &t->cols[t->ncols];
	if (!(c->label = strdup(label)))
		return -ENOMEM;
	c->better = b;
	t->ncols++;
	return 0;
}

int rpt_table_build(const struct rpt_run *r, struct rpt_table *t)
{
	const size_t nm = sizeof(metric_cols) / sizeof(metric_cols[0]);
	bool use[sizeof(metric_cols) / sizeof(metric_cols[0])];
	size_t maxcols = r->nvarying + nm + 1;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	for (size_t m = 0; m < nm; m++) {
		use[m] = !metric_cols[m].only_if_any;
		for (size_t i = 0; !use[m] && i < r->ncases; i++) {
			double v;
			use[m] = col_value(&metric_cols[m], &r->cases[i], &v);
		}
	}
	t->nrows = r->ncases;
	t->cols = calloc(maxcols, sizeof(*t->cols));
	t->cells = calloc(maxcols * (r->ncases ? r->ncases : 1), sizeof(*t->cells));
	t->best = calloc(maxcols * (r->ncases ? r->ncases : 1), sizeof(*t->best));
	double *vals = calloc(r->ncases ? r->ncases : 1, sizeof(*vals));
	bool *has = calloc(r->ncases ? r->ncases : 1, sizeof(*has));
	if (!t->cols || !t->cells || !t->best || !vals || !has) {
		rc = -ENOMEM;
		goto out;
	}
	/* Cells are indexed with the final column count, so lay out columns first. */
	for (size_t k = 0; rc == 0 && k < r->nvarying; k++)
		rc = add_col(t, param_label(r, k), RPT_PARAM);
	for (size_t m = 0; rc == 0 && m < nm; m++)
		if (use[m])
			rc = add_col(t, metric_cols[m].label, metric_cols[m].better);
	if (rc == 0)
		rc = add_col(t, "status", RPT_TEXT);
	size_t col = 0;
	for (size_t k = 0; rc == 0 && k < r->nvarying; k++, col++)
		for (size_t i = 0; rc == 0 && i < r->ncases; i++) {
			const char *v = rpt_param(&r->cases[i], r->varying[k]);
			if (!(t->cells[i * t->ncols + col] = strdup(v ? v : "-")))
				rc = -ENOMEM;
		}
	for (size_t m = 0; rc == 0 && m < nm; m++) {
		if (!use[m])
			continue;
		const struct metric_col *mc = &metric_cols[m];
		size_t nhas = 0;
		bool differ = false;
		double best = 0;
		for (size_t i = 0; i < r->ncases; i++) {
			has[i] = col_value(mc, &r->cases[i], &vals[i]) && isfinite(vals[i]);
			if (!has[i])
				continue;
			if (nhas && vals[i] != best)
				differ = true;
			if (!nhas || (mc->better == RPT_HIGHER ? vals[i] > best : vals[i] < best))
				best = vals[i];
			nhas++;
		}
		for (size_t i = 0; rc == 0 && i < r->ncases; i++) {
			char buf[330];   /* any double at %.7f */
			if (has[i] && fabs(vals[i]) < 1e15)
				snprintf(buf, sizeof(buf), "%.*f", mc->decimals & 7, vals[i]);
			else if (has[i])
				snprintf(buf, sizeof(buf), "%.6g", vals[i]);
			else
				snprintf(buf, sizeof(buf), "-");
			if (!(t->cells[i * t->ncols + col] = strdup(buf)))
				rc = -ENOMEM;
			t->best[i * t->ncols + col] = has[i] && nhas > 1 && differ && vals[i] == best;
		}
		col++;
	}
	for (size_t i = 0; rc == 0 && i < r->ncases; i++)
		if (!(t->cells[i * t->ncols + col] = strdup(r->cases[i].status)))
			rc = -ENOMEM;
out:
	free(vals);
	free(has);
	if (rc != 0)
		rpt_table_free(t);
	return rc;
}

int rpt_run_title(const struct rpt_run *r, char *buf, size_t len)
{
	int n = snprintf(buf, len, "run %lld %s: %s, %zu case%s, started %s, ended %s, host %s",
			 (long long)r->id, r->name ? r->name : "?", r->status ? r->status : "?",
			 r->ncases, r->ncases == 1 ? "" : "s", r->started ? r->started : "-",
			 r->ended ? r->ended : "-", r->host ? r->host : "?");
	return n < 0 ? -EIO : 0;
}
