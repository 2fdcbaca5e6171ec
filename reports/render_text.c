/*
 * reports/render_text.c — the terminal report: a title line naming the
 * run, then the case table (reports/table.c) aligned in columns, numbers
 * right-aligned, the best value of each metric column followed by '*', a
 * rule of dashes between groups (reports/table.c decides the groups).
 * With colour (stdout a TTY, never a file) the best cells are bold green,
 * the header bold and a status other than ok red. rpt_table_text lays out
 * any rpt_table, so the comparison report (reports/compare.c) shares it.
 * Widths are display columns (svg_text_cols: a CJK character takes two),
 * and control characters in the store's strings are printed as '?' so that
 * a stored value cannot move the cursor or recolour the terminal.
 */
#include "reports/format.h"
#include "reports/report.h"
#include "reports/svg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BOLD "\033[1m"
#define GREEN "\033[1;32m"
#define RED "\033[31m"
#define RESET "\033[0m"

void rpt_text_cell(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

int rpt_table_text(const struct rpt_table *t, FILE *f, bool colour)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(*w));
	bool *marked = calloc(t->ncols ? t->ncols : 1, sizeof(*marked));
	bool any_mark = false;
	if (!w || !marked) {
		free(w);
		free(marked);
		return -ENOMEM;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		for (size_t i = 0; i < t->nrows && !t->best_unstarred; i++)
			if (t->best[i * t->ncols + c])
				marked[c] = any_mark = true;
		w[c] = svg_text_cols(t->cols[c].label);
		for (size_t i = 0; i < t->nrows; i++) {
			size_t n = svg_text_cols(t->cells[i * t->ncols + c]) + (marked[c] ? 1 : 0);
			if (n > w[c])
				w[c] = n;
		}
	}
	for (size_t c = 0; c < t->ncols; c++) {
		bool num = rpt_col_numeric(t->cols[c].better);
		bool last = c + 1 == t->ncols;
		int pad = (int)(w[c] - svg_text_cols(t->cols[c].label));
		fprintf(f, "%s%*s%s", c ? "  " : "", num ? pad : 0, "", colour ? BOLD : "");
		rpt_text_cell(f, t->cols[c].label);
		fprintf(f, "%s%*s", colour ? RESET : "", num || last ? 0 : pad, "");
	}
	fputc('\n', f);
	size_t total = 0;
	for (size_t c = 0; c < t->ncols; c++)
		total += w[c] + (c ? 2 : 0);
	for (size_t i = 0; i < t->nrows; i++) {
		if (t->group_start[i]) {
			for (size_t k = 0; k < total; k++)
				fputc('-', f);
			fputc('\n', f);
		}
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[i * t->ncols + c];
			bool best = t->best[i * t->ncols + c];
			bool num = rpt_col_numeric(t->cols[c].better);
			bool last = c + 1 == t->ncols;
			const char *on = "";
			if (colour && best)
				on = GREEN;
			else if (colour && t->worse && t->worse[i * t->ncols + c])
				on = RED;
			else if (colour && t->cols[c].better == RPT_TEXT && !rpt_status_ok(cell))
				on = RED;
			size_t len = svg_text_cols(cell) + (marked[c] ? 1 : 0);
			int pad = (int)(w[c] - len);
			fprintf(f, "%s%*s%s", c ? "  " : "", num ? pad : 0, "", on);
			rpt_text_cell(f, cell);
			fprintf(f, "%s%s", *on ? RESET : "",
				marked[c] ? (best ? "*" : (last ? "" : " ")) : "");
			if (!num && !last)
				fprintf(f, "%*s", pad, "");
		}
		fputc('\n', f);
	}
	free(w);
	free(marked);
	return ferror(f) ? -EIO : any_mark;
}

static void note_line(FILE *f, size_t n, const char *text)
{
	fprintf(f, "[%zu] ", n);
	rpt_text_cell(f, text);
	fputc('\n', f);
}

int rpt_render_text(const struct rpt_run *r, FILE *f, bool colour)
{
	struct rpt_table t;
	char title[1024];
	int rc = rpt_table_build(r, &t);
	if (rc != 0)
		return rc;
	rpt_run_title(r, title, sizeof(title));
	fputs(colour ? BOLD : "", f);
	rpt_text_cell(f, title);
	fprintf(f, "%s\n\n", colour ? RESET : "");
	if (t.nrows == 0) {
		fprintf(f, "(no cases)\n");
	} else if ((rc = rpt_table_text(&t, f, colour)) >= 0) {
		bool grouped = false;
		for (size_t i = 0; i < t.nrows; i++)
			grouped = grouped || t.group_start[i];
		if (rc > 0)
			fprintf(f, "\n* best in its %s, among ok and failed cases: highest throughput,"
				" lowest latency, errors, loss, CPU and memory\n",
				grouped ? "group (between rules)" : "column");
		if (t.nnotes)
			fputc('\n', f);
		rc = rpt_table_notes(r, &t, f, note_line);
	}
	rpt_table_free(&t);
	if (rc == 0 && ferror(f))
		rc = -EIO;
	return rc;
}

const struct rpt_format rpt_format_text = {
	.name = "text",
	.help = "aligned columns for a terminal, best values marked (the default)",
	.run = rpt_render_text,
	.compare = rpt_render_compare_text,
};
