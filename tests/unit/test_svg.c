/*
 * tests/unit/test_svg.c — reports/svg.c, the chart module the HTML report
 * and `socklab demo --html` share: nice ticks (linear 1-2-5 steps covering
 * the range, log decades, 1-2-5 within a short log range), tick labels,
 * XML escaping, and the charts' contracts: one polyline per series, one
 * bar per usable value (NaN and, on a log axis, values <= 0 skipped), a
 * span rect per timeline event, and -EINVAL for what cannot be drawn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "reports/svg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_ticks_linear(void **state)
{
	(void)state;
	double t[64];
	int n = svg_ticks(0, 9.3, 6, false, t, 64);
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++)
		assert_true(fabs(t[i] - 2.0 * i) < 1e-9);
	n = svg_ticks(990, 1010, 5, false, t, 64);
	assert_true(n >= 2 && t[0] <= 990 && t[n - 1] >= 1010);
	assert_true(fabs(t[1] - t[0] - 5) < 1e-9);
	/* One value: a range around it. */
	n = svg_ticks(7, 7, 6, false, t, 64);
	assert_true(n >= 2 && t[0] < 7 && t[n - 1] > 7);
	/* The cap is kept by taking bigger steps. */
	n = svg_ticks(0, 1000, 200, false, t, 3);
	assert_true(n >= 2 && n <= 3 && t[0] <= 0 && t[n - 1] >= 1000);
	assert_int_equal(svg_ticks(2, 1, 6, false, t, 64), -EINVAL);
	assert_int_equal(svg_ticks(NAN, 1, 6, false, t, 64), -EINVAL);
}

static void test_ticks_log(void **state)
{
	(void)state;
	double t[64];
	int n = svg_ticks(3, 4000, 6, true, t, 64);
	assert_int_equal(n, 5);
	assert_true(t[0] == 1 && t[4] == 10000);
	n = svg_ticks(20, 45, 6, true, t, 64);
	assert_int_equal(n, 2);
	assert_true(fabs(t[0] - 20) < 1e-9 && fabs(t[1] - 50) < 1e-9);
	assert_int_equal(svg_ticks(0, 10, 6, true, t, 64), -EINVAL);
}

static void test_fmt_and_escape(void **state)
{
	(void)state;
	char b[32];
	const struct {
		double v;
		const char *s;
	} cases[] = {{0, "0"}, {-0.0, "0"}, {0.5, "0.5"}, {2500, "2500"}, {25000, "25k"},
		     {1.2e6, "1.2M"}, {3e9, "3G"}, {-40, "-40"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		svg_fmt_tick(b, sizeof(b), cases[i].v);
		assert_string_equal(b, cases[i].s);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	svg_escape(f, "<a & 'b' \"c\">\x01");
	svg_escape(f, NULL);
	fclose(f);
	assert_string_equal(buf, "&lt;a &amp; &#39;b&#39; &quot;c&quot;&gt; ");
	free(buf);
	assert_string_equal(svg_colour(0), svg_colour(8));
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A memory stream for a chart; mem_done closes it and returns the text (caller frees). */
static char *mem_buf;
static size_t mem_len;

static FILE *mem_open(void)
{
	FILE *f = open_memstream(&mem_buf, &mem_len);
	assert_non_null(f);
	return f;
}

static char *mem_done(FILE *f)
{
	assert_int_equal(fclose(f), 0);
	return mem_buf;
}

static void test_charts(void **state)
{
	(void)state;
	int rc;
	char *out;
	double x[] = {1, 10, 100}, y1[] = {100, 900, 3000}, y2[] = {90, NAN, 2500};
	struct svg_series s[] = {{"epoll", x, y1, 3}, {"thread <&>", x, y2, 3}};
	struct svg_chart c = {.title = "T", .x_label = "clients", .y_label = "requests/s"};
	FILE *f = mem_open();
	rc = svg_line_chart(f, &c, s, 2);
	out = mem_done(f);
	assert_int_equal(rc, 0);
	assert_int_equal(count(out, "<polyline"), 2);
	assert_int_equal(count(out, "<circle"), 2 + 2 + 3);   /* legend 2, points 3 + 2 */
	assert_non_null(strstr(out, "thread &lt;&amp;&gt;"));
	assert_int_equal(count(out, "<svg"), 1);
	assert_int_equal(count(out, "</svg>"), 1);
	free(out);

	const char *cats[] = {"a", "b", "c"};
	double v[] = {5, -1, 50};
	struct svg_series b = {"p99", NULL, v, 3};
	c.y_log = true;
	f = mem_open();
	rc = svg_bar_chart(f, &c, cats, 3, &b, 1);
	out = mem_done(f);
	assert_int_equal(rc, 0);
	assert_int_equal(count(out, "</title></rect>"), 2);       /* -1 skipped on a log axis */
	free(out);
	double none[] = {0, -1, NAN};
	b.y = none;
	f = mem_open();
	rc = svg_bar_chart(f, &c, cats, 3, &b, 1);
	out = mem_done(f);
	assert_int_equal(rc, -EINVAL);
	free(out);
	b.n = 2;                                                 /* n must equal ncat */
	f = mem_open();
	rc = svg_bar_chart(f, &c, cats, 3, &b, 1);
	out = mem_done(f);
	assert_int_equal(rc, -EINVAL);
	free(out);

	double r1[] = {9, 0}, r2[] = {991, 10};
	struct svg_series st[] = {{"received", NULL, r1, 2}, {"dropped", NULL, r2, 2}};
	c.y_log = false;
	f = mem_open();
	rc = svg_stacked_bar_chart(f, &c, cats, 2, st, 2);
	out = mem_done(f);
	assert_int_equal(rc, 0);
	assert_int_equal(count(out, "</title></rect>"), 3);      /* the 0 is not drawn */
	assert_non_null(strstr(out, ">1000</text>"));            /* the first bar's total */
	free(out);

	struct svg_span sends[] = {{0, 0, 6}, {10, 6, 12}}, recv[] = {{50, 0, 12}};
	struct svg_lane lanes[] = {{"sends", sends, 2}, {"recvs", recv, 1}};
	f = mem_open();
	rc = svg_timeline(f, &c, lanes, 2);
	out = mem_done(f);
	assert_int_equal(rc, 0);
	assert_int_equal(count(out, "class=\"lane\""), 2);
	assert_int_equal(count(out, "</title></rect>"), 3);
	free(out);

	c.title = NULL;
	f = mem_open();
	rc = svg_line_chart(f, &c, s, 2);
	out = mem_done(f);
	assert_int_equal(rc, -EINVAL);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ticks_linear),
		cmocka_unit_test(test_ticks_log),
		cmocka_unit_test(test_fmt_and_escape),
		cmocka_unit_test(test_charts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
