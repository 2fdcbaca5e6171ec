/*
 * reports/format.h — the output formats of `socklab report`, as the server
 * models are (servers/model.h): each format is one file exporting one
 * const struct rpt_format, listed in the table of reports/formats.c and
 * looked up by name. Adding a format is adding its file and a row.
 *
 * A format renders one run (run, required) and may render a comparison of
 * several (compare; NULL: the format cannot compare runs, and
 * rpt_format_compare says so with -ENOTSUP). Both write to f and return 0
 * or -errno (-EIO when the stream failed, -ENOMEM); colour: f is a
 * terminal that takes ANSI colours (only text uses it). Callers go through
 * the wrappers below, never through the table's pointers.
 */
#ifndef SOCKLAB_REPORTS_FORMAT_H
#define SOCKLAB_REPORTS_FORMAT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "reports/report.h"

struct rpt_format {
	const char *name;          /* what --format takes: "md" */
	const char *help;          /* one line for --help */
	int (*run)(const struct rpt_run *r, FILE *f, bool colour);
	int (*compare)(const struct rpt_compare *c, FILE *f, bool colour);   /* may be NULL */
};

/* NULL-terminated table of every format; the first is the default. */
extern const struct rpt_format *const rpt_formats[];

/* The format called name, or NULL (also for a NULL name). */
const struct rpt_format *rpt_format_find(const char *name);
/* The default format (text). */
const struct rpt_format *rpt_format_default(void);
/* The names in table order, ", "-separated ("text, md, csv, json, html"),
 * into buf (truncated to len, always NUL-terminated when len > 0); the
 * length the whole list needs, as snprintf. */
size_t rpt_format_names(char *buf, size_t len);
/* One line per format for --help: indent, the name padded, its help (and
 * "(no --compare)" for a format without compare). */
void rpt_format_help(FILE *f, const char *indent);

static inline bool rpt_format_can_compare(const struct rpt_format *fmt)
{
	return fmt->compare != NULL;
}

static inline int rpt_format_run(const struct rpt_format *fmt, const struct rpt_run *r,
				 FILE *f, bool colour)
{
	return fmt->run(r, f, colour);
}

/* -ENOTSUP when the format cannot compare runs. */
static inline int rpt_format_compare(const struct rpt_format *fmt, const struct rpt_compare *c,
				     FILE *f, bool colour)
{
	return fmt->compare ? fmt->compare(c, f, colour) : -ENOTSUP;
}

#endif
