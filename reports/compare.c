/*
 * reports/compare.c — `socklab report --compare A,B[,C...]`: line up the
 * same cases of several runs (same parameters, the "repeat" key aside),
 * summarise each metric per run over the case's repeats (median, min, max,
 * n), and tell a change from noise with a test that needs no
 * distribution: a change is significant when an exact Mann-Whitney test of
 * the two runs' repeats gives p <= 0.10, judged only when the runs have
 * enough repeats for that to be possible (docs/reports.md says why). The
 * first run is the
 * baseline; every other run is compared with it. Text and Markdown share
 * the table layout of render_text.c / render_md.c; CSV and JSON carry
 * every number.
 */
#include "util/json.h"
#include "reports/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct rpt_cmp_metric all_metrics[] = {
	{"throughput_rps", "throughput_rps", NULL, RPT_HIGHER, 1},
	{"p50_us", "p50_us", NULL, RPT_LOWER, 1},
	{"p99_us", "p99_us", NULL, RPT_LOWER, 1},
	{"p999_us", "p999_us", NULL, RPT_LOWER, 1},
	{"errors", "errors", NULL, RPT_LOWER, 0},
	{"loss_pct", "loss_pct", NULL, RPT_LOWER, 2},
	{"server_cpu_s", "server.cpu_user_s", "server.cpu_sys_s", RPT_LOWER, 3},
	{"server_maxrss_kb", "server.maxrss_kb", NULL, RPT_LOWER, 0},
	{"sticky_msgs", "align.sticky_msgs", NULL, RPT_NUMBER, 0},
	{"half_msgs", "align.half_msgs", NULL, RPT_NUMBER, 0},
	{"udp_received", "udp.received", NULL, RPT_NUMBER, 0},
	{"udp_rcvbuf_dropped", "udp.rcvbuf_dropped", NULL, RPT_NUMBER, 0},
};
#define NALL (sizeof(all_metrics) / sizeof(all_metrics[0]))

static bool metric_value(const struct rpt_cmp_metric *m, const struct rpt_case *c, double *v)
{
	const double *a = rpt_metric(c, m->name);
	const double *b = m->plus ? rpt_metric(c, m->plus) : NULL;
	if (!a && !b)
		return false;
	*v = (a ? *a : 0) + (b ? *b : 0);
	return isfinite(*v);
}

/* The case's params (repeat aside) as one string, keys sorted; caller frees. */
static char *signature(const struct rpt_case *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	const char *prev = "";
	/* Selection by smallest key greater than the previous: params are few. */
	for (;;) {
		const struct rpt_param *next = NULL;
		for (size_t i = 0; i < c->nparams; i++)
			if (strcmp(c->params[i].key, prev) > 0 && strcmp(c->params[i].key, "repeat") != 0 &&
			    (!next || strcmp(c->params[i].key, next->key) < 0))
				next = &c->params[i];
		if (!next)
			break;
		fprintf(f, "%s=%s%c", next->key, next->value, 0x1f);
		prev = next->key;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double rpt_disjoint_chance(size_t na, size_t nb)
{
	double c = 1;           /* C(na + nb, nb), built up term by term */
	for (size_t i = 1; i <= nb; i++)
		c = c * (double)(na + i) / (double)i;
	return 2 / c;
}

/*
 * Number of orderings of m values of one sample and n of the other whose
 * U statistic (pairs where the first sample's value is below) is u, for
 * every u in 0..m*n: the classic recurrence f(m, n, u) = f(m-1, n, u-n) +
 * f(m, n-1, u), one row of n at a time. Doubles hold C(m+n, m) exactly
 * enough for the sizes allowed. Returns a malloc'd array of m*n+1 counts.
 */
static double *mw_counts(size_t m, size_t n)
{
	size_t umax = m * n;
	/* f[i][j][u] for fixed i is built from row i-1; keep rows over j. */
	double *prev = calloc((n + 1) * (umax + 1), sizeof(double));
	double *cur = calloc((n + 1) * (umax + 1), sizeof(double));
	double *out = calloc(umax + 1, sizeof(double));
	if (!prev || !cur || !out) {
		free(prev);
		free(cur);
		free(out);
		return NULL;
	}
#define F(a, j, u) (a)[(j) * (umax + 1) + (u)]
	for (size_t j = 0; j <= n; j++)
		F(prev, j, 0) = 1;             /* i = 0: one ordering, U = 0 */
	for (size_t i = 1; i <= m; i++) {
		memset(cur, 0, (n + 1) * (umax + 1) * sizeof(double));
		F(cur, 0, 0) = 1;
		for (size_t j = 1; j <= n; j++)
			for (size_t u = 0; u <= i * j; u++)
				F(cur, j, u) = (u >= j ? F(prev, j, u - j) : 0) + F(cur, j - 1, u);
		double *t = prev;
		prev = cur;
		cur = t;
	}
	memcpy(out, &F(prev, n, 0), (umax + 1) * sizeof(double));
#undef F
	free(prev);
	free(cur);
	return out;
}

double rpt_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
	if (!na || !nb || na * nb > RPT_MW_MAX_PAIRS)
		return NAN;
	double u = 0;                  /* pairs with a below b, ties one half */
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			u += a[i] < b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
	double *f = mw_counts(na, nb);
	if (!f)
		return NAN;
	double total = 0, lo = 0, hi = 0;
	for (size_t k = 0; k <= na * nb; k++) {
		total += f[k];
		if ((double)k <= u)
			lo += f[k];
		if ((double)k >= u)
			hi += f[k];
	}
	free(f);
	double p = 2 * (lo < hi ? lo : hi) / total;
	return p < 1 ? p : 1;
}

enum rpt_sig rpt_compare_sig(const struct rpt_stat *st)
{
	return (enum rpt_sig)st->sig;
}

/* st (run k) against base (run 0), from their values. */
static void judge(struct rpt_stat *st, const struct rpt_stat *base, const double *bv,
		  const double *v)
{
	st->sig = RPT_SIG_UNKNOWN;
	st->p = NAN;
	if (st->n < 2 || base->n < 2)
		return;
	st->p = rpt_mann_whitney_p(bv, base->n, v, st->n);
	/* Too few repeats for any outcome to be rare enough: no verdict. */
	if (isnan(st->p) ||
	    rpt_disjoint_chance(base->n, st->n) > RPT_SIG_CHANCE * (1 + 1e-9))
		return;
	st->sig = st->p <= RPT_SIG_CHANCE * (1 + 1e-9) ? RPT_SIG_YES : RPT_SIG_NOISE;
}

void rpt_compare_free(struct rpt_compare *c)
{
	for (size_t i = 0; i < c->ncases; i++) {
		free(c->cases[i].stats);
		free(c->cases[i].present);
	}
	free(c->cases);
	free(c->keys);
	free((void *)c->metrics);
	memset(c, 0, sizeof(*c));
}

/* Add the run's cases to the list in the given order; sigs parallel to c->cases. */
static int add_cases(struct rpt_compare *c, char ***sigs, const struct rpt_run *r,
		     const size_t *order)
{
	for (size_t k = 0; k < r->ncases; k++) {
		const struct rpt_case *rc = &r->cases[order ? order[k] : k];
		char *sig = signature(rc);
		if (!sig)
			return -ENOMEM;
		bool found = false;
		for (size_t i = 0; i < c->ncases && !found; i++)
			found = strcmp((*sigs)[i], sig) == 0;
		if (found) {
			free(sig);
			continue;
		}
		struct rpt_cmp_case *a = realloc(c->cases, (c->ncases + 1) * sizeof(*a));
		char **s = realloc(*sigs, (c->ncases + 1) * sizeof(*s));
		if (a)
			c->cases = a;
		if (s)
			*sigs = s;
		if (!a || !s) {
			free(sig);
			return -ENOMEM;
		}
		s[c->ncases] = sig;
		a[c->ncases] = (struct rpt_cmp_case){.rep = rc};
		c->ncases++;
	}
	return 0;
}

/* Median, min, max of metric m over the run's cases whose signature (rsig) is sig. */
static void fill_stat(const struct rpt_run *r, char *const *rsig, const char *sig,
		      const struct rpt_cmp_metric *m, struct rpt_stat *st, double *vals)
{
	size_t n = 0;
	for (size_t i = 0; i < r->ncases; i++) {
		double v;
		if (strcmp(rsig[i], sig) == 0 && metric_value(m, &r->cases[i], &v))
			vals[n++] = v;
	}
	st->n = n;
	if (!n)
		return;
	qsort(vals, n, sizeof(*vals), cmp_double);
	st->min = vals[0];
	st->max = vals[n - 1];
	st->median = n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
}

/* Every case's signature, computed once per run; caller frees with free_sigs. */
static char **run_sigs(const struct rpt_run *r)
{
	char **a = calloc(r->ncases ? r->ncases : 1, sizeof(*a));
	for (size_t i = 0; a && i < r->ncases; i++)
		if (!(a[i] = signature(&r->cases[i]))) {
			for (size_t j = 0; j < i; j++)
				free(a[j]);
			free(a);
			return NULL;
		}
	return a;
}

static void free_sigs(char **a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		free(a[i]);
	free(a);
}

int rpt_compare_build(struct rpt_run *const *runs, size_t n, struct rpt_compare *c)
{
	struct rpt_table t = {0};
	char **sigs = NULL, ***rsigs = NULL;
	double *vals = NULL, *bvals = NULL;   /* one run's values, the baseline's */
	size_t maxcases = 1, inner;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (n < 2)
		return -EINVAL;
	c->runs = runs;
	c->nruns = n;
	struct rpt_cmp_metric *ms = calloc(NALL, sizeof(*ms));
	if (!ms)
		return -ENOMEM;
	c->metrics = ms;
	for (size_t m = 0; m < NALL; m++) {
		bool any = false;
		for (size_t k = 0; k < n && !any; k++)
			for (size_t i = 0; i < runs[k]->ncases && !any; i++) {
				double v;
				any = metric_value(&all_metrics[m], &runs[k]->cases[i], &v);
			}
		if (any)
			ms[c->nmetrics++] = all_metrics[m];
	}
	size_t maxkeys = 1;
	for (size_t k = 0; k < n; k++) {
		maxkeys += runs[k]->nvarying + runs[k]->nparam_keys;
		if (runs[k]->ncases > maxcases)
			maxcases = runs[k]->ncases;
	}
	if (!(c->keys = calloc(maxkeys, sizeof(*c->keys))) ||
	    !(vals = calloc(maxcases, sizeof(*vals))) ||
	    !(bvals = calloc(maxcases, sizeof(*bvals)))) {
		rc = -ENOMEM;
		goto out;
	}
	size_t nk = rpt_sort_keys(runs[0], c->keys, maxkeys, &inner);
	for (size_t i = 0; i < nk; i++)
		if (strcmp(c->keys[i], "repeat") != 0)
			c->keys[c->nkeys++] = c->keys[i];
	for (size_t k = 1; k < n; k++)
		for (size_t v = 0; v < runs[k]->nvarying; v++) {
			bool have = strcmp(runs[k]->varying[v], "repeat") == 0;
			for (size_t i = 0; i < c->nkeys && !have; i++)
				have = strcmp(c->keys[i], runs[k]->varying[v]) == 0;
			if (!have)
				c->keys[c->nkeys++] = runs[k]->varying[v];
		}
	if ((rc = rpt_table_build(runs[0], &t)) != 0)
		goto out;
	rc = add_cases(c, &sigs, runs[0], t.row_case);
	for (size_t k = 1; rc == 0 && k < n; k++)
		rc = add_cases(c, &sigs, runs[k], NULL);
	/*
	 * A key the runs do not vary can still tell their cases apart (run 4
	 * used duration: 500ms, run 1 700ms): show it, or two rows would look
	 * the same with no reason given.
	 */
	for (size_t k = 0; rc == 0 && k < n; k++)
		for (size_t p = 0; p < runs[k]->nparam_keys; p++) {
			const char *key = runs[k]->param_keys[p];
			bool have = strcmp(key, "repeat") == 0, differ = false;
			for (size_t i = 0; i < c->nkeys && !have; i++)
				have = strcmp(c->keys[i], key) == 0;
			const char *v0 = c->ncases ? rpt_param(c->cases[0].rep, key) : NULL;
			for (size_t i = 1; i < c->ncases && !have && !differ; i++) {
				const char *v = rpt_param(c->cases[i].rep, key);
				differ = strcmp(v ? v : "", v0 ? v0 : "") != 0;
			}
			if (!have && differ)
				c->keys[c->nkeys++] = key;
		}
	if (rc == 0 && !(rsigs = calloc(n, sizeof(*rsigs))))
		rc = -ENOMEM;
	for (size_t k = 0; rc == 0 && k < n; k++)
		if (!(rsigs[k] = run_sigs(runs[k])))
			rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < c->ncases; i++) {
		if (!(c->cases[i].stats = calloc(n * (c->nmetrics ? c->nmetrics : 1),
						 sizeof(struct rpt_stat))) ||
		    !(c->cases[i].present = calloc(n, sizeof(bool)))) {
			rc = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < n; k++)
			for (size_t j = 0; j < runs[k]->ncases && !c->cases[i].present[k]; j++)
				c->cases[i].present[k] = strcmp(rsigs[k][j], sigs[i]) == 0;
		for (size_t m = 0; m < c->nmetrics; m++) {
			struct rpt_stat *base = &c->cases[i].stats[m];
			fill_stat(runs[0], rsigs[0], sigs[i], &ms[m], base, bvals);
			base->sig = RPT_SIG_UNKNOWN;
			base->p = NAN;
			for (size_t k = 1; k < n; k++) {
				struct rpt_stat *st = &c->cases[i].stats[k * c->nmetrics + m];
				fill_stat(runs[k], rsigs[k], sigs[i], &ms[m], st, vals);
				judge(st, base, bvals, vals);
			}
		}
	}
out:
	for (size_t k = 0; rsigs && k < n; k++)
		free_sigs(rsigs[k], runs[k]->ncases);
	free(rsigs);
	for (size_t i = 0; sigs && i < c->ncases; i++)
		free(sigs[i]);
	free(sigs);
	free(vals);
	free(bvals);
	rpt_table_free(&t);
	if (rc != 0)
		rpt_compare_free(c);
	return rc;
}

size_t rpt_compare_matched(const struct rpt_compare *c, size_t k)
{
	size_t n = 0;
	for (size_t i = 0; i < c->ncases; i++)
		n += c->cases[i].present[0] && c->cases[i].present[k];
	return n;
}

void rpt_compare_notes(const struct rpt_compare *c, FILE *f)
{
	for (size_t k = 1; k < c->nruns; k++)
		if (rpt_compare_matched(c, k) == 0)
			fprintf(f, "run %lld shares no case with the baseline run %lld: cases line up only"
				" when all their parameters (repeat aside) are equal.\n",
				(long long)c->runs[k]->id, (long long)c->runs[0]->id);
}

static const char *sig_mark(enum rpt_sig s)
{
	return s == RPT_SIG_YES ? " !" : s == RPT_SIG_NOISE ? " ~" : " ?";
}

static int set_cell(struct rpt_table *t, size_t row, size_t col, const char *s)
{
	return (t->cells[row * t->ncols + col] = strdup(s)) ? 0 : -ENOMEM;
}

int rpt_compare_table(const struct rpt_compare *c, struct rpt_table *t)
{
	size_t ncols = c->nkeys + 1 + c->nruns + 2 * (c->nruns - 1);
	size_t nrows = c->ncases * c->nmetrics;
	int rc = 0;
	char buf[400];

	memset(t, 0, sizeof(*t));
	t->cols = calloc(ncols, sizeof(*t->cols));
	t->cells = calloc(ncols * (nrows ? nrows : 1), sizeof(*t->cells));
	t->best = calloc(ncols * (nrows ? nrows : 1), sizeof(*t->best));
	t->row_case = calloc(nrows ? nrows : 1, sizeof(*t->row_case));
	t->group_start = calloc(nrows ? nrows : 1, sizeof(*t->group_start));
	t->worse = calloc(ncols * (nrows ? nrows : 1), sizeof(*t->worse));
	if (!t->cols || !t->cells || !t->best || !t->row_case || !t->group_start || !t->worse) {
		rpt_table_free(t);
		return -ENOMEM;
	}
	t->ncols = ncols;
	t->nrows = nrows;
	t->nparam_cols = c->nkeys;
	t->best_unstarred = true;   /* "!" marks a significant change */
	size_t col = 0;
	for (size_t k = 0; k < c->nkeys; k++) {
		const char *dot = strrchr(c->keys[k], '.');
		t->cols[col++] = (struct rpt_col){.label = strdup(dot ? dot + 1 : c->keys[k]), .better = RPT_PARAM};
	}
	t->cols[col++] = (struct rpt_col){.label = strdup("metric"), .better = RPT_PARAM};
	for (size_t k = 0; k < c->nruns; k++) {
		snprintf(buf, sizeof(buf), "run %lld", (long long)c->runs[k]->id);
		t->cols[col++] = (struct rpt_col){.label = strdup(buf), .better = RPT_NUMBER};
		if (k == 0)
			continue;
		t->cols[col++] = (struct rpt_col){.label = strdup("diff"), .better = RPT_NUMBER};
		t->cols[col++] = (struct rpt_col){.label = strdup("diff%"), .better = RPT_NUMBER};
	}
	for (size_t i = 0; i < ncols; i++)
		if (!t->cols[i].label)
			rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < c->ncases; i++) {
		const struct rpt_cmp_case *cc = &c->cases[i];
		for (size_t m = 0; rc == 0 && m < c->nmetrics; m++) {
			size_t row = i * c->nmetrics + m;
			const struct rpt_cmp_metric *mt = &c->metrics[m];
			int d = mt->decimals;
			t->row_case[row] = i;
			t->group_start[row] = i > 0 && m == 0;
			col = 0;
			for (size_t k = 0; rc == 0 && k < c->nkeys; k++) {
				const char *v = m == 0 ? rpt_param(cc->rep, c->keys[k]) : "";
				rc = set_cell(t, row, col++, v ? v : "-");
			}
			if (rc == 0)
				rc = set_cell(t, row, col++, mt->label);
			const struct rpt_stat *base = &cc->stats[m];
			for (size_t k = 0; rc == 0 && k < c->nruns; k++) {
				const struct rpt_stat *st = &cc->stats[k * c->nmetrics + m];
				if (st->n)
					rpt_fmt(buf, sizeof(buf), st->median, d, false);
				else
					snprintf(buf, sizeof(buf), "-");
				rc = set_cell(t, row, col++, buf);
				if (k == 0 || rc)
					continue;
				if (st->n && base->n)
					rpt_fmt(buf, sizeof(buf), st->median - base->median, d, true);
				else
					snprintf(buf, sizeof(buf), "-");
				rc = set_cell(t, row, col++, buf);
				enum rpt_sig s = rpt_compare_sig(st);
				if (!st->n || !base->n)
					snprintf(buf, sizeof(buf), "-");
				else if (base->median == 0)
					snprintf(buf, sizeof(buf), "%s%s",
						 st->median == 0 ? "+0.0%" : "n/a", sig_mark(s));
				else
					snprintf(buf, sizeof(buf), "%+.1f%%%s",
						 100 * (st->median - base->median) / fabs(base->median),
						 sig_mark(s));
				if (rc == 0)
					rc = set_cell(t, row, col, buf);
				/* Highlighted by direction: better (best) or worse; a count with no better side is neither. */
				bool sig = s == RPT_SIG_YES && st->n && base->n;
				bool up = st->median > base->median;
				if (sig && mt->better == RPT_HIGHER)
					t->best[row * t->ncols + col] = up, t->worse[row * t->ncols + col] = !up;
				else if (sig && mt->better == RPT_LOWER)
					t->best[row * t->ncols + col] = !up, t->worse[row * t->ncols + col] = up;
				col++;
			}
		}
	}
	if (rc != 0)
		rpt_table_free(t);
	return rc;
}

static void compare_title(const struct rpt_compare *c, FILE *f, bool md)
{
	fputs(md ? "## compare " : "compare ", f);
	for (size_t k = 0; k < c->nruns; k++) {
		const struct rpt_run *r = c->runs[k];
		fprintf(f, "%srun %lld ", k ? (md ? " vs " : " vs ") : "", (long long)r->id);
		if (md)
			rpt_md_cell(f, r->name ? r->name : "?");
		else
			rpt_text_cell(f, r->name ? r->name : "?");
		fprintf(f, " (%s)", r->started ? r->started : "-");
	}
	fprintf(f, "; baseline run %lld\n\n", (long long)c->runs[0]->id);
}

static const char legend[] =
	"values are medians over a case's repeats; diff and diff% against the baseline.\n"
	"! significant: the repeats of the two runs differ (exact Mann-Whitney, p <= 0.10);"
	" ~ within the runs' noise;\n"
	"? no verdict: a run has fewer than 2 repeats of the case, or too few for any outcome to\n"
	"  be rare (2 and 2 repeats: at best 1 in 3 by chance; 3 and 3: 1 in 10). See docs/reports.md.\n";

int rpt_render_compare_text(const struct rpt_compare *c, FILE *f, bool colour)
{
	struct rpt_table t;
	int rc = rpt_compare_table(c, &t);
	if (rc != 0)
		return rc;
	compare_title(c, f, false);
	if (t.nrows == 0)
		fputs("(no cases)\n", f);
	else if ((rc = rpt_table_text(&t, f, colour)) >= 0)
		rc = 0;
	if (rc == 0) {
		fprintf(f, "\n%s", legend);
		rpt_compare_notes(c, f);
	}
	rpt_table_free(&t);
	return rc == 0 && ferror(f) ? -EIO : rc;
}

int rpt_render_compare_md(const struct rpt_compare *c, FILE *f)
{
	struct rpt_table t;
	int rc = rpt_compare_table(c, &t);
	if (rc != 0)
		return rc;
	compare_title(c, f, true);
	if (t.nrows == 0)
		fputs("(no cases)\n", f);
	else
		rc = rpt_table_md(&t, f);
	if (rc == 0) {
		fprintf(f, "\n%s", legend);
		rpt_compare_notes(c, f);
	}
	rpt_table_free(&t);
	return rc == 0 && ferror(f) ? -EIO : rc;
}

static void num(FILE *f, double v)
{
	char buf[40];
	net_num_shortest(buf, sizeof(buf), v);
	fputs(buf, f);
}

static const char *sig_name(enum rpt_sig s)
{
	return s == RPT_SIG_YES ? "yes" : s == RPT_SIG_NOISE ? "no" : "unknown";
}

/*
 * One row per case and metric: the params (full keys), metric, then per
 * run run<ID>_median, _min, _max, _n and, after the baseline, _diff,
 * _rel (a fraction), _p (the Mann-Whitney p-value, empty when not judged)
 * and _significant (yes, no, unknown).
 */
int rpt_render_compare_csv(const struct rpt_compare *c, FILE *f)
{
	for (size_t k = 0; k < c->nkeys; k++) {
		rpt_csv_field(f, c->keys[k]);
		fputc(',', f);
	}
	fputs("metric", f);
	for (size_t k = 0; k < c->nruns; k++) {
		long long id = (long long)c->runs[k]->id;
		fprintf(f, ",run%lld_median,run%lld_min,run%lld_max,run%lld_n", id, id, id, id);
		if (k)
			fprintf(f, ",run%lld_diff,run%lld_rel,run%lld_p,run%lld_significant", id, id,
				id, id);
	}
	fputs("\r\n", f);
	for (size_t i = 0; i < c->ncases; i++)
		for (size_t m = 0; m < c->nmetrics; m++) {
			const struct rpt_stat *base = &c->cases[i].stats[m];
			for (size_t k = 0; k < c->nkeys; k++) {
				rpt_csv_field(f, rpt_param(c->cases[i].rep, c->keys[k]));
				fputc(',', f);
			}
			rpt_csv_field(f, c->metrics[m].label);
			for (size_t k = 0; k < c->nruns; k++) {
				const struct rpt_stat *st = &c->cases[i].stats[k * c->nmetrics + m];
				fputc(',', f);
				if (st->n) {
					num(f, st->median);
					fputc(',', f);
					num(f, st->min);
					fputc(',', f);
					num(f, st->max);
				} else {
					fputs(",,", f);
				}
				fprintf(f, ",%zu", st->n);
				if (!k)
					continue;
				fputc(',', f);
				if (st->n && base->n)
					num(f, st->median - base->median);
				fputc(',', f);
				if (st->n && base->n && base->median != 0)
					num(f, (st->median - base->median) / fabs(base->median));
				fputc(',', f);
				if (!isnan(st->p))
					num(f, st->p);
				fprintf(f, ",%s", st->n && base->n ? sig_name(rpt_compare_sig(st)) : "");
			}
			fputs("\r\n", f);
		}
	return ferror(f) ? -EIO : 0;
}

static void json_num(FILE *f, bool have, double v)
{
	net_json_number(f, have ? v : NAN);
}

/* Shape documented in docs/reports.md ("--compare JSON"). */
int rpt_render_compare_json(const struct rpt_compare *c, FILE *f)
{
	fputs("{\n  \"runs\": [", f);
	for (size_t k = 0; k < c->nruns; k++) {
		const struct rpt_run *r = c->runs[k];
		fprintf(f, "%s\n    {\"id\": %lld, \"name\": ", k ? "," : "", (long long)r->id);
		net_json_fputs(f, r->name);
		fputs(", \"status\": ", f);
		net_json_fputs(f, r->status);
		fputs(", \"started\": ", f);
		net_json_fputs(f, r->started);
		fputs(", \"git\": ", f);
		net_json_fputs(f, r->git);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"baseline\": %lld,\n  \"cases\": [", (long long)c->runs[0]->id);
	for (size_t i = 0; i < c->ncases; i++) {
		const struct rpt_case *rep = c->cases[i].rep;
		fprintf(f, "%s\n    {\"params\": {", i ? "," : "");
		bool first = true;
		for (size_t p = 0; p < rep->nparams; p++) {
			if (strcmp(rep->params[p].key, "repeat") == 0)
				continue;
			fputs(first ? "" : ", ", f);
			first = false;
			net_json_fputs(f, rep->params[p].key);
			fputs(": ", f);
			net_json_fputs(f, rep->params[p].value);
		}
		fputs("},\n     \"metrics\": {", f);
		for (size_t m = 0; m < c->nmetrics; m++) {
			const struct rpt_stat *base = &c->cases[i].stats[m];
			fprintf(f, "%s\n      ", m ? "," : "");
			net_json_fputs(f, c->metrics[m].label);
			fputs(": [", f);
			for (size_t k = 0; k < c->nruns; k++) {
				const struct rpt_stat *st = &c->cases[i].stats[k * c->nmetrics + m];
				bool both = st->n && base->n;
				fprintf(f, "%s{\"run\": %lld, \"n\": %zu, \"median\": ", k ? ", " : "",
					(long long)c->runs[k]->id, st->n);
				json_num(f, st->n, st->median);
				fputs(", \"min\": ", f);
				json_num(f, st->n, st->min);
				fputs(", \"max\": ", f);
				json_num(f, st->n, st->max);
				if (k) {
					fputs(", \"diff\": ", f);
					json_num(f, both, st->median - base->median);
					fputs(", \"rel\": ", f);
					json_num(f, both && base->median != 0,
						 (st->median - base->median) / fabs(base->median));
					fputs(", \"p\": ", f);
					json_num(f, !isnan(st->p), st->p);
					fputs(", \"significant\": ", f);
					enum rpt_sig s = rpt_compare_sig(st);
					fputs(!both || s == RPT_SIG_UNKNOWN ? "null" :
					      s == RPT_SIG_YES ? "true" : "false", f);
				}
				fputc('}', f);
			}
			fputc(']', f);
		}
		fputs("}}", f);
	}
	fputs(c->ncases ? "\n  ]\n}\n" : "]\n}\n", f);
	return ferror(f) ? -EIO : 0;
}
