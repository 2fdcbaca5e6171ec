/*
 * reports/render_md.c — the Markdown report, to paste into an issue or a
 * wiki: a heading naming the run, a line of its metadata, and the case
 * table (reports/table.c) as a GitHub table with numbers right-aligned and
 * the best value of each metric column in bold.
 */
#include "reports/report.h"

#include <errno.h>
#include <string.h>

/* A cell with '|' escaped and line breaks as spaces, so that it stays one cell. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
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
	md_cell(f, title);
	fprintf(f, "\n\n");
	if (t.nrows == 0) {
		fprintf(f, "(no cases)\n");
		goto out;
	}
	fputc('|', f);
	for (size_t c = 0; c < t.ncols; c++) {
		fputc(' ', f);
		md_cell(f, t.cols[c].label);
		fprintf(f, " |");
	}
	fprintf(f, "\n|");
	for (size_t c = 0; c < t.ncols; c++) {
		bool num = t.cols[c].better == RPT_HIGHER || t.cols[c].better == RPT_LOWER;
		fprintf(f, " %s |", num ? "---:" : "---");
	}
	fputc('\n', f);
	for (size_t i = 0; i < t.nrows; i++) {
		fputc('|', f);
		for (size_t c = 0; c < t.ncols; c++) {
			bool best = t.best[i * t.ncols + c];
			fprintf(f, " %s", best ? "**" : "");
			md_cell(f, t.cells[i * t.ncols + c]);
			fprintf(f, "%s |", best ? "**" : "");
		}
		fputc('\n', f);
	}
out:
	rpt_table_free(&t);
	if (ferror(f))
		rc = -EIO;
	return rc;
}
