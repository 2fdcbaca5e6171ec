/*
 * reports/render_md.c — the Markdown report, to paste into an issue or a
 * wiki: a heading naming the run, and the case table (reports/table.c) as
 * a GitHub table with numbers right-aligned, the best value of each metric
 * column in bold, an empty row between groups. rpt_table_md lays out any
 * rpt_table, so the comparison report (reports/compare.c) shares it.
 */
#include "reports/format.h"
#include "reports/report.h"

#include <ctype.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

/*
 * A cell's text, escaped so that it stays one cell and literal: the pipe,
 * the backslash and the characters that start emphasis, code, links or
 * HTML get a backslash (not '~': the compare table's noise mark); '_' too unless between letters or digits (where
 * GFM never reads it as emphasis, and "throughput_rps" stays readable);
 * control characters become spaces.
 */
void rpt_md_cell(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; u[i]; i++) {
		unsigned char ch = u[i];
		bool word_us = ch == '_' && i > 0 && isalnum(u[i - 1]) && isalnum(u[i + 1]);
		if (strchr("\\|*`<>[]", ch) || (ch == '_' && !word_us))
			fputc('\\', f);
		fputc(ch < 0x20 || ch == 0x7f ? ' ' : ch, f);
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
			/* Bold: the best value, or (--compare) a significant change either way. */
			bool best = t->best[i * t->ncols + c] || (t->worse && t->worse[i * t->ncols + c]);
			fprintf(f, " %s", best ? "**" : "");
			rpt_md_cell(f, t->cells[i * t->ncols + c]);
			fprintf(f, "%s |", best ? "**" : "");
		}
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

static void note_line(FILE *f, size_t n, const char *text)
{
	fprintf(f, "%zu. ", n);
	rpt_md_cell(f, text);
	fputc('\n', f);
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
	bool any_best = false, grouped = false;
	for (size_t i = 0; i < t.nrows * t.ncols; i++)
		any_best = any_best || t.best[i];
	for (size_t i = 0; i < t.nrows; i++)
		grouped = grouped || t.group_start[i];
	if (rc == 0 && any_best)
		fprintf(f, "\n**Bold**: best in its %s, among ok and failed cases: highest"
			" throughput, lowest latency, errors, loss, CPU and memory.\n",
			grouped ? "group (between empty rows)" : "column");
	if (rc == 0 && t.nnotes)
		fputc('\n', f);
	if (rc == 0)
		rc = rpt_table_notes(r, &t, f, note_line);
	rpt_table_free(&t);
	if (rc == 0 && ferror(f))
		rc = -EIO;
	return rc;
}

static int md_run(const struct rpt_run *r, FILE *f, bool colour)
{
	(void)colour;
	return rpt_render_md(r, f);
}

static int md_compare(const struct rpt_compare *c, FILE *f, bool colour)
{
	(void)colour;
	return rpt_render_compare_md(c, f);
}

const struct rpt_format rpt_format_md = {
	.name = "md",
	.help = "GitHub Markdown tables, best values in bold",
	.run = md_run,
	.compare = md_compare,
};
