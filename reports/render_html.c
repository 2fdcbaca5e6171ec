/*
 * reports/render_html.c — the HTML report: one self-contained file (no
 * scripts, no network, no external fonts; the system font stack), readable
 * on a classroom projector, and well-formed XML as well as HTML so that
 * tests can parse it. For one run: a title and the run's metadata, then
 * inline SVG charts (reports/svg.c) — throughput against the client count,
 * one line per model (or per combination of the other varying parameters);
 * latency percentiles per case (p50/p99/p99.9, log scale); for captured TCP
 * cases the sticky-packet timeline of one flow (app sends, wire segments,
 * app recvs to scale in bytes and time); for UDP cases a stacked bar of
 * where every datagram went — and the case table below. For --compare,
 * throughput per case and run as grouped bars, then the comparison table.
 */
#include "reports/format.h"
#include "reports/report.h"
#include "reports/svg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BARS 40         /* latency chart: cases beyond are left out (said so) */
#define MAX_TIMELINES 4     /* sticky-packet timelines drawn */
#define TL_WINDOW 20        /* a timeline shows the bytes of the first 20 sends */

static const char style[] =
	"body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans',"
	" 'DejaVu Sans', sans-serif; font-size: 20px; color: #111; background: #fff;"
	" margin: 24px auto; max-width: 1400px; padding: 0 24px; line-height: 1.4; }\n"
	"h1 { font-size: 34px; margin: 0 0 8px; }\n"
	"h2 { font-size: 28px; margin: 40px 0 8px; border-bottom: 3px solid #111; }\n"
	"p.meta { font-size: 18px; color: #333; margin: 4px 0; }\n"
	"svg.chart { display: block; width: 100%; max-width: 1200px; height: auto; margin: 16px 0;"
	" border: 1px solid #bbb; }\n"
	"table { border-collapse: collapse; font-size: 18px; margin: 12px 0; }\n"
	"th, td { border: 1px solid #888; padding: 5px 8px; }\n"
	"th { background: #e8e8e8; text-align: left; vertical-align: bottom; }\n"
	"ol.notes { font-size: 18px; }\n"
	"td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
	"th.num { text-align: right; }\n"
	"td.best { font-weight: bold; background: #cdebd9; }\n"
	"td.bad { color: #b00020; font-weight: bold; }\n"
	"tr.group td { border-top: 4px solid #111; }\n"
	"div.wide { overflow-x: auto; }\n"
	"p.note { font-size: 18px; }\n"
	"p.bad { color: #b00020; font-weight: bold; }\n";

static void esc(FILE *f, const char *s)
{
	svg_escape(f, s);
}

/* A column label that may wrap after each '_' (server_<wbr/>maxrss_<wbr/>kb): narrow columns. */
static void esc_label(FILE *f, const char *s)
{
	const char *u;
	while ((u = strchr(s, '_')) != NULL) {
		char part[256];
		size_t n = (size_t)(u - s) + 1;
		if (n >= sizeof(part))
			n = sizeof(part) - 1;
		memcpy(part, s, n);
		part[n] = '\0';
		esc(f, part);
		fputs("<wbr/>", f);
		s += n;
	}
	esc(f, s);
}

static void head(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
	      "<head>\n<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>", f);
	esc(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
	esc(f, title);
	fputs("</h1>\n", f);
}

static void meta(FILE *f, const struct rpt_run *r)
{
	fputs("<p class=\"meta\">", f);
	fprintf(f, "status <b>");
	esc(f, r->status ? r->status : "?");
	fprintf(f, "</b>, %zu case%s, started ", r->ncases, r->ncases == 1 ? "" : "s");
	esc(f, r->started ? r->started : "-");
	fputs(", ended ", f);
	esc(f, r->ended ? r->ended : "-");
	fputs("</p>\n<p class=\"meta\">host ", f);
	esc(f, r->host ? r->host : "?");
	fputs(", ", f);
	esc(f, r->kernel ? r->kernel : "?");
	fputs(", ", f);
	esc(f, r->cpu_model ? r->cpu_model : "?");
	if (r->cpus >= 0)
		fprintf(f, " (%lld CPUs)", (long long)r->cpus);
	fputs("; socklab ", f);
	esc(f, r->version ? r->version : "?");
	fputs(" (", f);
	esc(f, r->git ? r->git : "?");
	fputs("); scenario ", f);
	esc(f, r->scenario_path ? r->scenario_path : "-");
	fputs("</p>\n", f);
}

/*
 * Part `part` of an rpt_table as an HTML table: the parameter columns and
 * the part's columns. The capture and UDP parts keep only the rows that
 * have a value in them, so that a 23-column table becomes two or three
 * that fit a projector. Group rows get a heavy rule. heading (raw HTML, may
 * be NULL) goes before the table, when it has rows. Returns the rows drawn.
 */
static size_t html_table(FILE *f, const struct rpt_table *t, enum rpt_part part,
			 const char *heading)
{
	bool any_col = false;
	for (size_t c = t->nparam_cols; c < t->ncols; c++)
		any_col = any_col || t->cols[c].part == part;
	if (!any_col)
		return 0;
	size_t drawn = 0;
	for (size_t i = 0; i < t->nrows; i++) {
		bool show = part == RPT_PART_MAIN;
		for (size_t c = t->nparam_cols; c < t->ncols && !show; c++)
			show = t->cols[c].part == part && strcmp(t->cells[i * t->ncols + c], "-") != 0;
		if (!show)
			continue;
		if (drawn++ == 0) {
			fputs(heading ? heading : "", f);
			fputs("<div class=\"wide\"><table>\n<thead><tr>", f);
			for (size_t c = 0; c < t->ncols; c++) {
				if (c >= t->nparam_cols && t->cols[c].part != part)
					continue;
				fputs(rpt_col_numeric(t->cols[c].better) ? "<th class=\"num\">" : "<th>", f);
				esc_label(f, t->cols[c].label);
				fputs("</th>", f);
			}
			fputs("</tr></thead>\n<tbody>\n", f);
		}
		fputs(t->group_start[i] && drawn > 1 ? "<tr class=\"group\">" : "<tr>", f);
		for (size_t c = 0; c < t->ncols; c++) {
			if (c >= t->nparam_cols && t->cols[c].part != part)
				continue;
			const char *cell = t->cells[i * t->ncols + c];
			bool num = rpt_col_numeric(t->cols[c].better);
			bool best = t->best[i * t->ncols + c];
			bool worse = t->worse && t->worse[i * t->ncols + c];
			bool bad = worse || (t->cols[c].better == RPT_TEXT && !rpt_status_ok(cell));
			const char *cls[3] = {num ? "num" : NULL, best ? "best" : NULL, bad ? "bad" : NULL};
			fputs("<td", f);
			for (int k = 0, first = 1; k < 3; k++)
				if (cls[k]) {
					fprintf(f, "%s%s", first ? " class=\"" : " ", cls[k]);
					first = 0;
				}
			fputs(num || best || bad ? "\">" : ">", f);
			esc(f, cell);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	if (drawn)
		fputs("</tbody>\n</table></div>\n", f);
	return drawn;
}

/*
 * A label for a table row: its parameter cells joined with " / ", or with
 * keys ("nodelay=true, clients=10") when there is room for them. Caller frees.
 */
static char *row_label(const struct rpt_table *t, size_t row, bool keys)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	for (size_t c = 0; c < t->nparam_cols; c++)
		if (keys)
			fprintf(m, "%s%s=%s", c ? ", " : "", t->cols[c].label, t->cells[row * t->ncols + c]);
		else
			fprintf(m, "%s%s", c ? " / " : "", t->cells[row * t->ncols + c]);
	if (t->nparam_cols == 0)
		fprintf(m, "case %zu", row);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static double metric_or_nan(const struct rpt_case *c, const char *name)
{
	const double *v = rpt_metric(c, name);
	return v ? *v : NAN;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * Throughput per configuration as bars, when no numeric parameter varies
 * (only the model does, at one client count; or a single case): one bar
 * per distinct set of parameter cells (repeat aside), in table order, the
 * median of its repeats with a whisker from the lowest to the highest.
 */
static int chart_throughput_bars(FILE *f, const struct rpt_run *r, const struct rpt_table *t)
{
	size_t n = t->nrows ? t->nrows : 1, ncat = 0, dropped = 0;
	char **cats = calloc(n, sizeof(*cats));
	double *v = calloc(3 * n, sizeof(*v)), *tmp = calloc(n, sizeof(*tmp));
	size_t *of = calloc(n, sizeof(*of));
	bool ranges = false, any = false;
	int rc = 0;
	if (!cats || !v || !tmp || !of) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t row = 0; row < t->nrows; row++) {
		char *lab = NULL;
		size_t len = 0, k;
		FILE *m = open_memstream(&lab, &len);
		if (!m) {
			rc = -ENOMEM;
			goto out;
		}
		bool first = true;
		for (size_t c = 0; c < t->nparam_cols; c++) {
			if (strcmp(t->cols[c].label, "repeat") == 0)
				continue;
			fprintf(m, "%s%s", first ? "" : " / ", t->cells[row * t->ncols + c]);
			first = false;
		}
		if (first)
			fputs("all cases", m);
		if (fclose(m) != 0) {
			free(lab);
			rc = -ENOMEM;
			goto out;
		}
		for (k = 0; k < ncat && strcmp(cats[k], lab) != 0; k++)
			;
		if (k < ncat) {
			free(lab);
		} else if (ncat == MAX_BARS) {
			free(lab);
			k = SIZE_MAX;
			dropped++;
		} else {
			cats[ncat++] = lab;
		}
		of[row] = k;
	}
	double *lo = v + n, *hi = v + 2 * n;
	for (size_t k = 0; k < ncat; k++) {
		size_t nt = 0;
		for (size_t row = 0; row < t->nrows; row++) {
			double x = metric_or_nan(&r->cases[t->row_case[row]], "throughput_rps");
			if (of[row] == k && isfinite(x))
				tmp[nt++] = x;
		}
		qsort(tmp, nt, sizeof(*tmp), cmp_dbl);
		v[k] = !nt ? NAN : nt % 2 ? tmp[nt / 2] : (tmp[nt / 2 - 1] + tmp[nt / 2]) / 2;
		lo[k] = nt > 1 ? tmp[0] : NAN;
		hi[k] = nt > 1 ? tmp[nt - 1] : NAN;
		ranges = ranges || nt > 1;
		any = any || nt > 0;
	}
	if (!any)
		goto out;
	struct svg_series ss = {.name = "throughput", .y = v, .n = ncat, .lo = lo, .hi = hi};
	struct svg_chart ch = {.title = ranges ? "Throughput per case: median, whiskers min to max"
					       " of the repeats" : "Throughput per case",
			       .x_label = "case (the varying parameters, in table order)",
			       .y_label = "throughput (requests/s)", .id = "chart-throughput"};
	fputs("<h2>Throughput</h2>\n", f);
	rc = svg_bar_chart(f, &ch, (const char *const *)cats, ncat, &ss, 1);
	if (rc == -EINVAL)
		rc = 0;
	else if (rc == 0 && dropped)
		fprintf(f, "<p class=\"note\">The first %d configurations.</p>\n", MAX_BARS);
out:
	for (size_t k = 0; cats && k < ncat; k++)
		free(cats[k]);
	free(cats);
	free(v);
	free(tmp);
	free(of);
	return rc;
}

/*
 * Throughput against the first numeric varying key that has at least two
 * values (preferring one named *clients*), one line per combination of the
 * other varying keys, the median over repeats at each point; bars when no
 * numeric key varies.
 */
static int chart_throughput(FILE *f, const struct rpt_run *r, const struct rpt_table *t,
			    const char **keys, size_t nkeys)
{
	size_t xk = nkeys;
	for (size_t k = 0; k < nkeys; k++) {
		if (strcmp(keys[k], "repeat") == 0)
			continue;
		bool numeric = true, two = false;
		const char *first = NULL;
		for (size_t i = 0; i < r->ncases && numeric; i++) {
			const char *v = rpt_param(&r->cases[i], keys[k]);
			char *end;
			if (!v || (strtod(v, &end), end == v || *end))
				numeric = false;
			else if (!first)
				first = v;
			else if (strcmp(first, v) != 0)
				two = true;
		}
		if (numeric && two && (xk == nkeys || strstr(keys[k], "clients")))
			xk = k;
	}
	if (xk == nkeys)
		return chart_throughput_bars(f, r, t);
	size_t n = r->ncases;
	char **series = calloc(n, sizeof(*series));
	size_t *of = calloc(n, sizeof(*of));
	/* Series s's points are xs/ys[off[s] ..]: at most one per row, n in all. */
	double *xs = calloc(n, sizeof(*xs)), *ys = calloc(n, sizeof(*ys));
	size_t *np = calloc(n, sizeof(*np)), *off = calloc(n + 1, sizeof(*off)), ns = 0;
	double *tmp = calloc(n, sizeof(*tmp));
	struct svg_series *ss = calloc(n, sizeof(*ss));
	int rc = 0;
	if (!series || !of || !xs || !ys || !np || !off || !tmp || !ss) {
		rc = -ENOMEM;
		goto out;
	}
	/* Rows in table order, so that lines come in the groups' order. */
	for (size_t row = 0; row < n && rc == 0; row++) {
		const struct rpt_case *c = &r->cases[t->row_case[row]];
		char *name = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&name, &len);
		if (!m) {
			rc = -ENOMEM;
			break;
		}
		bool any = false;
		for (size_t k = 0; k < nkeys; k++) {
			if (k == xk || strcmp(keys[k], "repeat") == 0)
				continue;
			const char *v = rpt_param(c, keys[k]);
			fprintf(m, "%s%s", any ? ", " : "", v ? v : "-");
			any = true;
		}
		if (!any)
			fputs("throughput", m);
		if (fclose(m) != 0) {
			free(name);
			rc = -ENOMEM;
			break;
		}
		size_t s;
		for (s = 0; s < ns; s++)
			if (strcmp(series[s], name) == 0)
				break;
		if (s == ns)
			series[ns++] = name;
		else
			free(name);
		of[row] = s;
	}
	for (size_t row = 0; rc == 0 && row < n; row++)
		off[of[row] + 1]++;
	for (size_t s = 0; rc == 0 && s < ns; s++)
		off[s + 1] += off[s];
	for (size_t s = 0; rc == 0 && s < ns; s++) {
		/* Each x of the series once, the median of its rows' throughput. */
		for (size_t row = 0; row < n; row++) {
			if (of[row] != s)
				continue;
			double x = strtod(rpt_param(&r->cases[t->row_case[row]], keys[xk]), NULL);
			bool seen = false;
			for (size_t j = 0; j < np[s]; j++)
				seen = seen || xs[off[s] + j] == x;
			if (seen)
				continue;
			size_t nt = 0;
			for (size_t q = 0; q < n; q++) {
				const struct rpt_case *c = &r->cases[t->row_case[q]];
				double v = metric_or_nan(c, "throughput_rps");
				if (of[q] == s && strtod(rpt_param(c, keys[xk]), NULL) == x && isfinite(v))
					tmp[nt++] = v;
			}
			qsort(tmp, nt, sizeof(*tmp), cmp_dbl);
			xs[off[s] + np[s]] = x;
			ys[off[s] + np[s]] = !nt ? NAN : nt % 2 ? tmp[nt / 2] :
					    (tmp[nt / 2 - 1] + tmp[nt / 2]) / 2;
			np[s]++;
		}
		ss[s] = (struct svg_series){.name = series[s], .x = &xs[off[s]], .y = &ys[off[s]],
					    .n = np[s]};
	}
	if (rc == 0) {
		/* 1, 10, 100 clients on a linear axis cram 1 and 10 together: a log
		 * axis when the values span 10x or more, ticked at the measured ones. */
		size_t nd = 0;  /* tmp: the distinct x values */
		for (size_t row = 0; row < n; row++) {
			double x = strtod(rpt_param(&r->cases[t->row_case[row]], keys[xk]), NULL);
			size_t j = 0;
			while (j < nd && tmp[j] != x)
				j++;
			if (j == nd)
				tmp[nd++] = x;
		}
		bool xlog = svg_log_worth(tmp, nd);
		bool given = xlog && nd <= 12;      /* more would crowd the axis: nice ticks */
		const char *dot = strrchr(keys[xk], '.');
		char xl[200];
		snprintf(xl, sizeof(xl), "%s (%s%s)", strstr(keys[xk], "clients") ? "clients" :
			 dot ? dot + 1 : keys[xk], keys[xk], xlog ? ", log scale" : "");
		struct svg_chart ch = {.title = "Throughput against clients, one line per configuration",
				       .x_label = xl, .y_label = "throughput (requests/s)",
				       .y_from_zero = true, .id = "chart-throughput", .x_log = xlog,
				       .x_ticks = given ? tmp : NULL, .nx_ticks = given ? nd : 0};
		if (!strstr(keys[xk], "clients"))
			ch.title = "Throughput, one line per configuration";
		fputs("<h2>Throughput</h2>\n", f);
		rc = svg_line_chart(f, &ch, ss, ns);
		if (rc == -EINVAL) {    /* no throughput measured: no chart */
			fputs("<p class=\"note\">No throughput was measured.</p>\n", f);
			rc = 0;
		}
	}
out:
	for (size_t s = 0; series && s < ns; s++)
		free(series[s]);
	free(series);
	free(of);
	free(xs);
	free(ys);
	free(np);
	free(off);
	free(tmp);
	free(ss);
	return rc;
}

static int chart_latency(FILE *f, const struct rpt_run *r, const struct rpt_table *t)
{
	static const char *const names[] = {"p50_us", "p99_us", "p999_us"};
	static const char *const labels[] = {"p50", "p99", "p99.9"};
	size_t n = t->nrows < MAX_BARS ? t->nrows : MAX_BARS;
	char **cats = calloc(n ? n : 1, sizeof(*cats));
	double *v = calloc(3 * (n ? n : 1), sizeof(*v));
	int rc = 0;
	bool any = false;
	if (!cats || !v) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(cats[i] = row_label(t, i, false))) {
			rc = -ENOMEM;
			goto out;
		}
		for (int k = 0; k < 3; k++) {
			v[k * n + i] = metric_or_nan(&r->cases[t->row_case[i]], names[k]);
			any = any || (isfinite(v[k * n + i]) && v[k * n + i] > 0);
		}
	}
	if (!any)
		goto out;
	struct svg_series ss[3];
	for (int k = 0; k < 3; k++)
		ss[k] = (struct svg_series){.name = labels[k], .y = &v[k * n], .n = n};
	struct svg_chart ch = {.title = "Latency percentiles per case (log scale)",
			       .x_label = "case (the varying parameters, in table order)",
			       .y_label = "latency (µs, log scale)", .y_log = true,
			       .id = "chart-latency"};
	fputs("<h2>Latency</h2>\n", f);
	rc = svg_bar_chart(f, &ch, (const char *const *)cats, n, ss, 3);
	if (rc == -EINVAL)      /* nothing a log axis can show: no chart, not no report */
		rc = 0;
	else if (rc == 0 && n < t->nrows)
		fprintf(f, "<p class=\"note\">The first %d of %zu cases.</p>\n", MAX_BARS, t->nrows);
out:
	for (size_t i = 0; cats && i < n; i++)
		free(cats[i]);
	free(cats);
	free(v);
	return rc;
}

static int chart_timelines(FILE *f, const struct rpt_run *r, const struct rpt_table *t)
{
	static const char *const lane_names[RPT_TL_LANES] = {
		"app sends (client)", "wire segments (client to server)", "app recvs (server)"};
	int drawn = 0, rc = 0;
	for (size_t row = 0; row < t->nrows && drawn < MAX_TIMELINES && rc == 0; row++) {
		const struct rpt_case *c = &r->cases[t->row_case[row]];
		const struct rpt_timeline *tl = c->timeline;
		if (!tl || !tl->n[RPT_TL_SENDS])
			continue;
		/*
		 * A window on the first TL_WINDOW sends' bytes: 200 sends of 6 bytes
		 * drawn whole are 3 px each. Spans that start in the window are
		 * drawn, cut at its end (their tooltips keep the true range).
		 */
		size_t ws = tl->n[RPT_TL_SENDS] < TL_WINDOW ? tl->n[RPT_TL_SENDS] : TL_WINDOW;
		double limit = 0;
		for (size_t j = 0; j < ws; j++)
			if (tl->lane[RPT_TL_SENDS][j].hi > limit)
				limit = tl->lane[RPT_TL_SENDS][j].hi;
		double tmax = 0;
		for (int k = 0; k < RPT_TL_LANES; k++)
			for (size_t j = 0; j < tl->n[k]; j++)
				if (tl->lane[k][j].lo < limit && tl->lane[k][j].t_us > tmax)
					tmax = tl->lane[k][j].t_us;
		double scale = tmax >= 10000 ? 1000 : 1;    /* ms beyond 10 ms */
		struct svg_span *sp[RPT_TL_LANES] = {NULL};
		struct svg_lane lanes[RPT_TL_LANES];
		size_t cnt[RPT_TL_LANES] = {0};
		for (int k = 0; k < RPT_TL_LANES && rc == 0; k++) {
			if (tl->n[k] && !(sp[k] = calloc(tl->n[k], sizeof(*sp[k])))) {
				rc = -ENOMEM;
				break;
			}
			for (size_t j = 0; j < tl->n[k]; j++) {
				const struct rpt_span *e = &tl->lane[k][j];
				if (e->lo >= limit)
					continue;
				sp[k][cnt[k]++] = (struct svg_span){e->t_us / scale, e->lo,
								    e->hi < limit ? e->hi : limit};
			}
			lanes[k] = (struct svg_lane){lane_names[k], sp[k], cnt[k]};
		}
		char *label = rc == 0 ? row_label(t, row, true) : NULL;
		if (rc == 0 && !label)
			rc = -ENOMEM;
		if (rc == 0) {
			char title[512];
			snprintf(title, sizeof(title), "%s, first %.0f bytes: %zu send%s → %zu segment%s"
				 " → %zu recv%s", label, limit, cnt[0], cnt[0] == 1 ? "" : "s", cnt[1],
				 cnt[1] == 1 ? "" : "s", cnt[2], cnt[2] == 1 ? "" : "s");
			struct svg_chart ch = {.title = title,
					       .x_label = scale > 1 ? "time since the first event (ms)" :
							"time since the first event (µs)",
					       .y_label = "stream offset (bytes)", .height = 600};
			if (drawn == 0)
				fputs("<h2>Sticky packets: how the sends met the wire and the reader</h2>\n"
				      "<p class=\"note\">Each bar is one call or one segment, drawn from its"
				      " first to its last byte: a segment when it was captured, a send"
				      " when its call began (so the segment it put on the wire is at or"
				      " right of it; in a store without that time, when it returned), a"
				      " recv when it returned. One tall recv bar covering"
				      " several send bars: the"
				      " messages stuck together.</p>\n", f);
			rc = svg_timeline(f, &ch, lanes, RPT_TL_LANES);
			if (rc == -EINVAL)
				rc = 0;
			drawn++;
		}
		free(label);
		for (int k = 0; k < RPT_TL_LANES; k++)
			free(sp[k]);
	}
	return rc;
}

static int chart_udp(FILE *f, const struct rpt_run *r, const struct rpt_table *t)
{
	/* Every sink of the balance (udp_acct.h), so a bar adds up to sent
	 * (+ the relay's duplicates). A term the run lacks is NaN: no segment. */
	static const char *const names[] = {
		"udp.received", "udp.unread", "udp.truncated", "udp.rcvbuf_dropped",
		"udp.relay_rcvbuf_dropped", "udp.relay_dropped", "udp.link_dropped",
		"udp.link_rate_dropped", "udp.unaccounted",
	};
	static const char *const labels[] = {
		"received", "still queued at the server", "truncated",
		"dropped: server receive buffer full", "dropped: relay receive buffer full",
		"dropped by the relay", "dropped by the link's loss rule",
		"dropped by the link's rate limit (tbf)", "unaccounted",
	};
	const size_t nk = sizeof(names) / sizeof(names[0]);
	size_t n = 0;
	int rc = 0;
	char **cats = calloc(t->nrows ? t->nrows : 1, sizeof(*cats));
	double *v = calloc(nk * (t->nrows ? t->nrows : 1), sizeof(*v));
	if (!cats || !v) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t row = 0; row < t->nrows && n < MAX_BARS; row++) {
		const struct rpt_case *c = &r->cases[t->row_case[row]];
		if (!rpt_metric(c, "udp.sent"))
			continue;
		if (!(cats[n] = row_label(t, row, true))) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n == 0)
		goto out;
	for (size_t k = 0; k < nk; k++) {
		size_t i = 0;
		for (size_t row = 0; row < t->nrows && i < n; row++) {
			const struct rpt_case *c = &r->cases[t->row_case[row]];
			if (rpt_metric(c, "udp.sent"))
				v[k * n + i++] = metric_or_nan(c, names[k]);
		}
	}
	/* Only the terms the run has (a relay's, a link's): no legend entry
	 * for what no case measured. */
	struct svg_series ss[sizeof(names) / sizeof(names[0])];
	size_t ns = 0;
	for (size_t k = 0; k < nk; k++) {
		bool any = false;
		for (size_t i = 0; i < n && !any; i++)
			any = !isnan(v[k * n + i]);
		if (any)
			ss[ns++] = (struct svg_series){.name = labels[k], .y = &v[k * n], .n = n};
	}
	struct svg_chart ch = {.title = "Where every datagram went (client to server)",
			       .x_label = "datagrams sent by the application",
			       .height = (int)(200 + 90 * n < 1400 ? 200 + 90 * n : 1400),
			       .id = "chart-udp"};
	fputs("<h2>UDP: where every datagram went</h2>\n", f);
	rc = svg_stacked_bar_chart(f, &ch, (const char *const *)cats, n, ss, ns);
	if (rc == -EINVAL)
		rc = 0;
out:
	for (size_t i = 0; cats && i < n; i++)
		free(cats[i]);
	free(cats);
	free(v);
	return rc;
}

/* A numbered list item: <ol> numbers it. */
static void note_line(FILE *f, size_t n, const char *text)
{
	(void)n;
	fputs("<li>", f);
	esc(f, text);
	fputs("</li>\n", f);
}

int rpt_render_html(const struct rpt_run *r, FILE *f)
{
	struct rpt_table t;
	char title[1024];
	int rc = rpt_table_build(r, &t);
	if (rc != 0)
		return rc;
	size_t inner, cap = r->nvarying + 1;
	const char **keys = calloc(cap, sizeof(*keys));
	if (!keys) {
		rpt_table_free(&t);
		return -ENOMEM;
	}
	size_t nkeys = rpt_sort_keys(r, keys, cap, &inner);
	snprintf(title, sizeof(title), "socklab report: run %lld %s", (long long)r->id,
		 r->name ? r->name : "?");
	head(f, title);
	meta(f, r);
	if (t.nrows) {
		rc = chart_throughput(f, r, &t, keys, nkeys);
		if (rc == 0)
			rc = chart_latency(f, r, &t);
		if (rc == 0)
			rc = chart_timelines(f, r, &t);
		if (rc == 0)
			rc = chart_udp(f, r, &t);
		html_table(f, &t, RPT_PART_MAIN, "<h2>Cases</h2>\n");
		fputs("<p class=\"note\">Highlighted: the best value of its group (the rows between"
		      " heavy lines, which share every outer parameter), among the cases that ran to"
		      " their end (ok, or failed a threshold): highest throughput; lowest latency,"
		      " errors, loss, CPU and memory.</p>\n", f);
		if (t.nnotes)
			fputs("<ol class=\"notes\" id=\"notes\">\n", f);
		if (rc == 0)
			rc = rpt_table_notes(r, &t, f, note_line);
		if (t.nnotes)
			fputs("</ol>\n", f);
		if (html_table(f, &t, RPT_PART_TCP, "<h2 id=\"table-tcp\">Captured TCP streams</h2>\n"))
			fputs("<p class=\"note\">The client-to-server stream of each case's captured flows:"
			      " the client's sends, the wire segments carrying data, the server's recvs;"
			      " sticky: messages that shared a recv with another; half: messages a recv"
			      " returned only part of.</p>\n", f);
		if (html_table(f, &t, RPT_PART_UDP, "<h2 id=\"table-udp\">UDP accounting</h2>\n"))
			fputs("<p class=\"note\">Every datagram the client sent, followed: refused by the"
			      " sender's kernel, seen on the wire, dropped by the relay, dropped because the"
			      " receive buffer was full, truncated, received; unaccounted: none of"
			      " these.</p>\n", f);
	} else {
		fputs("<p class=\"note\">(no cases)</p>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	free(keys);
	rpt_table_free(&t);
	if (rc == 0 && ferror(f))
		rc = -EIO;
	return rc;
}

int rpt_render_compare_html(const struct rpt_compare *c, FILE *f)
{
	struct rpt_table t;
	char title[1024];
	int rc = rpt_compare_table(c, &t);
	if (rc != 0)
		return rc;
	int n = snprintf(title, sizeof(title), "socklab compare:");
	for (size_t k = 0; k < c->nruns && n > 0 && (size_t)n < sizeof(title); k++)
		n += snprintf(title + n, sizeof(title) - (size_t)n, "%s run %lld %s", k ? " vs" : "",
			      (long long)c->runs[k]->id, c->runs[k]->name ? c->runs[k]->name : "?");
	head(f, title);
	for (size_t k = 0; k < c->nruns; k++) {
		fprintf(f, "<p class=\"meta\">run %lld", (long long)c->runs[k]->id);
		fputs(k ? "" : " (baseline)", f);
		fputs(": started ", f);
		esc(f, c->runs[k]->started ? c->runs[k]->started : "-");
		fputs(", git ", f);
		esc(f, c->runs[k]->git ? c->runs[k]->git : "?");
		fputs("</p>\n", f);
	}
	size_t m = 0;
	while (m < c->nmetrics && strcmp(c->metrics[m].label, "throughput_rps") != 0)
		m++;
	size_t ncat = c->ncases < MAX_BARS ? c->ncases : MAX_BARS;
	if (m < c->nmetrics && ncat) {
		char **cats = calloc(ncat, sizeof(*cats));
		/* v: medians, then the min and the max of each run's repeats. */
		double *v = calloc(3 * ncat * c->nruns, sizeof(*v));
		double *lo = v ? v + ncat * c->nruns : NULL, *hi = v ? lo + ncat * c->nruns : NULL;
		char (*names)[64] = calloc(c->nruns, sizeof(*names));
		struct svg_series *ss = calloc(c->nruns, sizeof(*ss));
		bool ranges = false;
		if (!cats || !v || !names || !ss)
			rc = -ENOMEM;
		for (size_t i = 0; rc == 0 && i < ncat; i++) {
			char *buf = NULL;
			size_t len = 0;
			FILE *mf = open_memstream(&buf, &len);
			if (!mf) {
				rc = -ENOMEM;
				break;
			}
			for (size_t k = 0; k < c->nkeys; k++) {
				const char *p = rpt_param(c->cases[i].rep, c->keys[k]);
				fprintf(mf, "%s%s", k ? " / " : "", p ? p : "-");
			}
			if (fclose(mf) != 0) {
				free(buf);
				rc = -ENOMEM;
				break;
			}
			cats[i] = buf;
			for (size_t k = 0; k < c->nruns; k++) {
				const struct rpt_stat *st = &c->cases[i].stats[k * c->nmetrics + m];
				v[k * ncat + i] = st->n ? st->median : NAN;
				/* A range only where there are repeats: one value has none. */
				lo[k * ncat + i] = st->n > 1 ? st->min : NAN;
				hi[k * ncat + i] = st->n > 1 ? st->max : NAN;
				ranges = ranges || st->n > 1;
			}
		}
		for (size_t k = 0; rc == 0 && k < c->nruns; k++) {
			snprintf(names[k], sizeof(names[k]), "run %lld", (long long)c->runs[k]->id);
			ss[k] = (struct svg_series){.name = names[k], .y = &v[k * ncat], .n = ncat,
						    .lo = &lo[k * ncat], .hi = &hi[k * ncat]};
		}
		if (rc == 0) {
			struct svg_chart ch = {.title = ranges ?
					       "Throughput per case and run: median, whiskers min to max of the repeats" :
					       "Throughput per case and run",
					       .x_label = "case (the varying parameters)",
					       .y_label = "throughput (requests/s)", .id = "chart-compare"};
			fputs("<h2>Throughput</h2>\n", f);
			rc = svg_bar_chart(f, &ch, (const char *const *)cats, ncat, ss, c->nruns);
			if (rc == -EINVAL) {
				fputs("<p class=\"note\">No throughput was measured.</p>\n", f);
				rc = 0;
			} else if (rc == 0 && ranges) {
				fputs("<p class=\"note\">Each bar is the median of the case's repeats in that"
				      " run; its whisker spans the lowest to the highest repeat. Bars without"
				      " a whisker had a single value. Whiskers show the spread; whether a"
				      " change is larger than the runs' own noise is the table's verdict (!,"
				      " an exact Mann-Whitney test, which needs 3 repeats or more in each"
				      " run: see docs/reports.md).</p>\n", f);
			}
			if (rc == 0 && ncat < c->ncases)
				fprintf(f, "<p class=\"note\">The first %zu of %zu cases.</p>\n", ncat,
					c->ncases);
		}
		for (size_t i = 0; cats && i < ncat; i++)
			free(cats[i]);
		free(cats);
		free(v);
		free(names);
		free(ss);
	}
	if (rc == 0) {
		for (size_t k = 1; k < c->nruns; k++)
			if (rpt_compare_matched(c, k) == 0)
				fprintf(f, "<p class=\"note bad\">Run %lld shares no case with the baseline run"
					" %lld: cases line up only when all their parameters (repeat aside) are"
					" equal.</p>\n", (long long)c->runs[k]->id, (long long)c->runs[0]->id);
		html_table(f, &t, RPT_PART_MAIN, "<h2>Cases</h2>\n");
		fputs("<p class=\"note\">Values are medians over a case's repeats; diff and diff% are"
		      " against the baseline. ! significant: the repeats of the two runs differ (exact"
		      " two-sided Mann-Whitney test, p &#8804; 0.10), highlighted green when better and"
		      " red when worse; ~ within the runs' noise; ? no verdict: fewer than 2 values in"
		      " a run, or too few repeats for any p to reach 0.10 (2 and 2 repeats cannot go"
		      " below 1 in 3; 3 and 3 are needed).</p>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	rpt_table_free(&t);
	if (rc == 0 && ferror(f))
		rc = -EIO;
	return rc;
}

static int html_run(const struct rpt_run *r, FILE *f, bool colour)
{
	(void)colour;
	return rpt_render_html(r, f);
}

static int html_compare(const struct rpt_compare *c, FILE *f, bool colour)
{
	(void)colour;
	return rpt_render_compare_html(c, f);
}

const struct rpt_format rpt_format_html = {
	.name = "html",
	.help = "one self-contained page with SVG charts",
	.run = html_run,
	.compare = html_compare,
};
