/*
 * tests/unit/test_formats.c — the table of report formats (reports/format.h):
 * every row complete and its name unique, lookup by name, an unknown name
 * refused, the name list and --help lines built from the table, and every
 * format rendering a run with no cases and a comparison of two such runs
 * (or saying it cannot compare).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib/testlib.h"

#include "reports/format.h"

static void test_rows_complete(void **state)
{
	(void)state;
	size_t n = 0;
	for (const struct rpt_format *const *p = rpt_formats; *p; p++, n++) {
		assert_non_null((*p)->name);
		assert_true((*p)->name[0] != '\0');
		assert_non_null((*p)->help);
		assert_true((*p)->help[0] != '\0');
		assert_non_null((*p)->run);
		for (const struct rpt_format *const *q = rpt_formats; q != p; q++)
			assert_string_not_equal((*q)->name, (*p)->name);
	}
	assert_int_equal(n, 5);
	assert_ptr_equal(rpt_format_default(), rpt_format_find("text"));
}

static void test_find(void **state)
{
	(void)state;
	for (const struct rpt_format *const *p = rpt_formats; *p; p++)
		assert_ptr_equal(rpt_format_find((*p)->name), *p);
	assert_string_equal(rpt_format_find("md")->name, "md");
	assert_null(rpt_format_find("pdf"));
	assert_null(rpt_format_find(""));
	assert_null(rpt_format_find("TEXT"));
	assert_null(rpt_format_find("tex"));
	assert_null(rpt_format_find(NULL));
}

static void test_names(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(rpt_format_names(buf, sizeof(buf)), strlen("text, md, csv, json, html"));
	assert_string_equal(buf, "text, md, csv, json, html");
	char small[8];
	assert_int_equal(rpt_format_names(small, sizeof(small)), strlen(buf));
	assert_string_equal(small, "text, m");
	assert_int_equal(rpt_format_names(NULL, 0), strlen(buf));
}

static void test_help(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	rpt_format_help(f, "  ");
	assert_int_equal(fclose(f), 0);
	size_t lines = 0;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 5);
	assert_non_null(strstr(text, "  html   "));
	assert_null(strstr(text, "no --compare"));
	free(text);
}

/* A format without compare: the wrapper refuses, nothing is written. */
static int only_run(const struct rpt_run *r, FILE *f, bool colour)
{
	(void)r;
	(void)colour;
	return fputs("run\n", f) < 0 ? -EIO : 0;
}

static void test_no_compare(void **state)
{
	(void)state;
	const struct rpt_format fmt = {.name = "x", .help = "a test format", .run = only_run};
	assert_false(rpt_format_can_compare(&fmt));
	struct rpt_compare c = {0};
	assert_int_equal(rpt_format_compare(&fmt, &c, stdout, false), -ENOTSUP);
	for (const struct rpt_format *const *p = rpt_formats; *p; p++)
		assert_true(rpt_format_can_compare(*p));
}

/* Every format renders an empty run and compares two of them. */
static void test_render_empty(void **state)
{
	(void)state;
	struct rpt_run a = {.id = 1, .name = "empty", .status = "ok", .cpus = -1};
	struct rpt_run b = {.id = 2, .name = "empty", .status = "ok", .cpus = -1};
	struct rpt_run *runs[] = {&a, &b};
	for (const struct rpt_format *const *p = rpt_formats; *p; p++) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		assert_non_null(f);
		assert_int_equal(rpt_format_run(*p, &a, f, false), 0);
		struct rpt_compare c;
		assert_int_equal(rpt_compare_build(runs, 2, &c), 0);
		assert_int_equal(rpt_format_compare(*p, &c, f, false), 0);
		rpt_compare_free(&c);
		assert_int_equal(fclose(f), 0);
		assert_true(len > 0);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_complete),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_no_compare),
		cmocka_unit_test(test_render_empty),
	};
	return tl_run_group(tests, NULL, NULL);
}
