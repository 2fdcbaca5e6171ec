/*
 * reports/render_csv.c — the CSV report (RFC 4180): a header row, then one
 * row per case in case order: case index, status, error, every parameter
 * any case has (full keys, first-seen order), every metric any case has
 * (the metrics table's names, sorted). Numbers are the shortest text that
 * reads back to the stored double; an empty field is "not set / not
 * measured".
 */
#include "util/json.h"
#include "reports/format.h"
#include "reports/report.h"

#include <errno.h>
#include <string.h>

void rpt_csv_field(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int rpt_render_csv(const struct rpt_run *r, FILE *f)
{
	fputs("case,status,error", f);
	for (size_t k = 0; k < r->nparam_keys; k++) {
		fputc(',', f);
		rpt_csv_field(f, r->param_keys[k]);
	}
	for (size_t m = 0; m < r->nmetric_names; m++) {
		fputc(',', f);
		rpt_csv_field(f, r->metric_names[m]);
	}
	fputs("\r\n", f);
	for (size_t i = 0; i < r->ncases; i++) {
		const struct rpt_case *c = &r->cases[i];
		fprintf(f, "%lld,", (long long)c->index);
		rpt_csv_field(f, c->status);
		fputc(',', f);
		rpt_csv_field(f, c->error);
		for (size_t k = 0; k < r->nparam_keys; k++) {
			fputc(',', f);
			rpt_csv_field(f, rpt_param(c, r->param_keys[k]));
		}
		for (size_t m = 0; m < r->nmetric_names; m++) {
			const double *v = rpt_metric(c, r->metric_names[m]);
			char buf[40];
			fputc(',', f);
			if (v) {
				net_num_shortest(buf, sizeof(buf), *v);
				fputs(buf, f);
			}
		}
		fputs("\r\n", f);
	}
	return ferror(f) ? -EIO : 0;
}

static int csv_run(const struct rpt_run *r, FILE *f, bool colour)
{
	(void)colour;
	return rpt_render_csv(r, f);
}

static int csv_compare(const struct rpt_compare *c, FILE *f, bool colour)
{
	(void)colour;
	return rpt_render_compare_csv(c, f);
}

const struct rpt_format rpt_format_csv = {
	.name = "csv",
	.help = "one row per case, every parameter and metric (RFC 4180)",
	.run = csv_run,
	.compare = csv_compare,
};
