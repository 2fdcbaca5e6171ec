/*
 * reports/render_md.c — the Markdown report, to paste into an issue or a
 * wiki: a heading naming the run, and the case table (reports/table.c) as
 * a GitHub table with numbers right-aligned, the best value of each metric
 * column in bold, an empty row between groups. rpt_table_md lays out any
 * rpt_table, so the comparison report (reports/compare.c) shares it.
 */
#include "reports/report.h"

#include <errno.h>
#include <string.h>

void rpt_md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
}

int rpt_table_md(const struct rpt_table *t, FILE *f)
{
	fputc('|', f);
	for (size_t c = 0; c < t->ncols; c++) {
		fputc(' ', f);
		rpt_md_cell(f, t->cols[c].label);
		fprintf(f, " |");
	}
	fprintf(f, "\n|");
	for (size_t c = 0; c < t->ncols; c++)
		fprintf(f, " %s |", rpt_col_numeric(t->cols[c].better) ? "---:" : "---");
	fputc('\n', f);
	for (size_t i = 0; i < t->nrows; i++) {
		if (t->group_start[i]) {
			/* An empty row: Markdown tables have no rules between rows. */
			fputc('|', f);
			for (size_t c = 0; c < t->ncols; c++)
				fputs("  |", f);
			fputc('\n', f);
		}
		fputc('|', f);
		for (size_t c = 0; c < t->ncols; c++) {
			bool best = t->best[i * t->ncols + c];
			fprintf(f, " %s", best ? "**" : "");
			rpt_md_cell(f, t->cells[i * t->ncols + c]);
			fprintf(f, "%s |", best ? "**" : "");
		}
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

int rpt_render_md(const struct rpt_run *r, FILE *f)
{
	struct rpt_table t;
	char title[1024];
	int rc = rpt_table_build(r, &t);
	if (rc != 0)
		return rc;
	rpt_run_title(r, title, sizeof(title));
	fprintf(f, "## ");
	rpt_md_cell(f, title);
	fprintf(f, "\n\n");
	if (t.nrows == 0)
		fprintf(f, "(no cases)\n");
	else
		rc = rpt_table_md(&t, f);
	rpt_table_free(&t);
	if (rc == 0 && ferror(f))
		rc = -EIO;
	return rc;
}
