/*
 * reports/formats.c — the table of report formats (reports/format.h).
 * Adding a format is adding its file and a row here.
 */
#include "reports/format.h"

#include <string.h>

extern const struct rpt_format rpt_format_text, rpt_format_md, rpt_format_csv,
	rpt_format_json, rpt_format_html;

const struct rpt_format *const rpt_formats[] = {
	&rpt_format_text,
	&rpt_format_md,
	&rpt_format_csv,
	&rpt_format_json,
	&rpt_format_html,
	NULL,
};

const struct rpt_format *rpt_format_find(const char *name)
{
	for (const struct rpt_format *const *p = rpt_formats; name && *p; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

const struct rpt_format *rpt_format_default(void)
{
	return rpt_formats[0];
}

size_t rpt_format_names(char *buf, size_t len)
{
	size_t need = 0;
	if (len)
		buf[0] = '\0';
	for (const struct rpt_format *const *p = rpt_formats; *p; p++) {
		const char *sep = p == rpt_formats ? "" : ", ";
		int n = snprintf(need < len ? buf + need : NULL, need < len ? len - need : 0,
				 "%s%s", sep, (*p)->name);
		need += n > 0 ? (size_t)n : 0;
	}
	return need;
}

void rpt_format_help(FILE *f, const char *indent)
{
	for (const struct rpt_format *const *p = rpt_formats; *p; p++)
		fprintf(f, "%s%-6s %s%s\n", indent, (*p)->name, (*p)->help,
			(*p)->compare ? "" : " (no --compare)");
}
