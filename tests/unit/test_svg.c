/*
 * tests/unit/test_svg.c — reports/svg.c, the chart module the HTML report
 * and `socklab demo --html` share: nice ticks (linear 1-2-5 steps covering
 * the range, log decades, 1-2-5 within a short log range), tick labels,
 * XML escaping, and the charts' contracts: one polyline per series, one
 * bar per usable value (NaN and, on a log axis, values <= 0 skipped), a
 * span rect per timeline event, and -EINVAL for what cannot be drawn;
 * 24+ line series all styled differently (colour, dash, marker), 9 stacked
 * segments all coloured differently with the bar kept visible under a long
 * legend, when a log axis is chosen and ticks at given values, and 36 long
 * category labels rotated with the chart grown to hold them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include "reports/svg.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
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
	struct svg_series s[] = {{.name = "epoll", .x = x, .y = y1, .n = 3},
				 {.name = "thread <&>", .x = x, .y = y2, .n = 3}};
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
	struct svg_series b = {.name = "p99", .y = v, .n = 3};
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
	struct svg_series st[] = {{.name = "received", .y = r1, .n = 2},
				  {.name = "dropped", .y = r2, .n = 2}};
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


/* s is valid UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF). */
static bool utf8_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	while (*u) {
		unsigned c = *u, cp, min;
		int n;
		if (c < 0x80) {
			u++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 2, cp = c & 0x1F, min = 0x80;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 3, cp = c & 0x0F, min = 0x800;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 4, cp = c & 0x07, min = 0x10000;
		else
			return false;
		for (int i = 1; i < n; i++) {
			if ((u[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		u += n;
	}
	return true;
}

static void test_text_cols(void **state)
{
	(void)state;
	assert_int_equal(svg_text_cols("abc"), 3);
	assert_int_equal(svg_text_cols("中文"), 4);
	assert_int_equal(svg_text_cols("한글"), 4);
	assert_int_equal(svg_text_cols("ｘ"), 2);                  /* fullwidth x */
	assert_int_equal(svg_text_cols("e\xCC\x81"), 1);            /* e + combining acute */
	assert_int_equal(svg_text_cols("µs → ms"), 7);
	assert_int_equal(svg_text_cols("\xff" "a"), 2);            /* an invalid byte: 1 */
	assert_int_equal(svg_text_cols(""), 0);
	assert_int_equal(svg_text_cols(NULL), 0);

	/* Each byte of invalid UTF-8 becomes U+FFFD: a truncated sequence, a lone continuation, an overlong '/'. */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	svg_escape(f, "a\xe4\xb8" "b\x80" "c\xc0\xaf" "中");
	fclose(f);
	assert_string_equal(buf, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "中");
	assert_true(utf8_ok(buf));
	free(buf);
}

/* Every line of every wrap is valid UTF-8 within maxc columns, and the lines give back the text. */
static void check_wrap(const char *s, size_t maxc)
{
	char lines[SVG_WRAP_LINES][SVG_WRAP_BYTES];
	int n = svg_wrap(s, maxc, lines);
	assert_true(n >= 1 && n <= SVG_WRAP_LINES);
	char joined[2048] = "";
	for (int k = 0; k < n; k++) {
		assert_true(utf8_ok(lines[k]));
		assert_true(svg_text_cols(lines[k]) <= (maxc < 4 ? 4 : maxc));
		assert_true(strlen(lines[k]) > 0);
		strcat(joined, lines[k]);
	}
	/* Without the spaces the wrap dropped, the lines are the text (or a prefix and "…"). */
	char want[2048], got[2048];
	size_t nw = 0, ng = 0;
	for (const char *p = s; *p && nw + 1 < sizeof(want); p++)
		if (*p != ' ')
			want[nw++] = *p;
	want[nw] = '\0';
	for (const char *p = joined; *p && ng + 1 < sizeof(got); p++)
		if (*p != ' ')
			got[ng++] = *p;
	got[ng] = '\0';
	size_t gl = strlen(got);
	if (gl >= 3 && strcmp(got + gl - 3, "…") == 0) {
		assert_int_equal(n, SVG_WRAP_LINES);
		got[gl - 3] = '\0';
		assert_true(strlen(got) < strlen(want));
		assert_memory_equal(got, want, strlen(got));
	} else {
		assert_string_equal(got, want);
	}
}

static void test_wrap(void **state)
{
	(void)state;
	char lines[SVG_WRAP_LINES][SVG_WRAP_BYTES];
	int n = svg_wrap("hello world foo", 5, lines);
	assert_int_equal(n, 3);
	assert_string_equal(lines[0], "hello");
	assert_string_equal(lines[1], "world");
	assert_string_equal(lines[2], "foo");
	n = svg_wrap("epoll/100/nodelay", 10, lines);
	assert_int_equal(n, 2);
	assert_string_equal(lines[0], "epoll/100/");
	assert_string_equal(lines[1], "nodelay");
	/* CJK: no spaces, broken between characters, 2 columns each; never inside one. */
	n = svg_wrap("服务器模型比较测试结果", 8, lines);
	assert_int_equal(n, 3);
	assert_string_equal(lines[0], "服务器模");
	assert_string_equal(lines[1], "型比较测");
	assert_string_equal(lines[2], "试结果");
	/* An odd width: 7 columns hold 3 CJK characters, not 3.5. */
	n = svg_wrap("粘包粘包粘包", 7, lines);
	assert_int_equal(n, 2);
	assert_string_equal(lines[0], "粘包粘");
	assert_string_equal(lines[1], "包粘包");
	/* Too long for 4 lines: the last ends with an ellipsis, within the width. */
	n = svg_wrap("aaaa bbbb cccc dddd eeee ffff", 4, lines);
	assert_int_equal(n, 4);
	assert_string_equal(lines[3], "ddd…");
	assert_int_equal(svg_wrap("", 10, lines), 0);
	assert_int_equal(svg_wrap(NULL, 10, lines), 0);

	static const char *const texts[] = {
		"epoll / 线程池 / clients=100",
		"线程 / 100 / 服务器模型比较测试结果和更多的中文标签",
		"nodelay=true, clients=10, write=split-3, 粘包 (sticky packets)",
		"e\xCC\x81t\xC3\xA9 caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9 \xF0\x9F\x98\x80 emoji",
		"averyveryverylongwordwithoutanybreakopportunityatall",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		for (size_t w = 1; w <= 40; w++)
			check_wrap(texts[i], w);
}

/* Bar labels in Chinese in narrow groups: the chart stays valid UTF-8 (it once cut characters). */
static void test_chart_utf8_and_edges(void **state)
{
	(void)state;
	const char *cats[] = {"线程池 / 一百个客户端 / 粘包测试", "迭代服务器 / 十个客户端",
			      "epoll / 100", "多进程预先派生 / 一千"};
	double y[] = {10, 20, 30, 40};
	struct svg_series s = {.name = "吞吐量", .y = y, .n = 4};
	struct svg_chart c = {.title = "每个模型的吞吐量", .y_label = "请求/秒", .width = 440};
	FILE *f = mem_open();
	assert_int_equal(svg_bar_chart(f, &c, cats, 4, &s, 1), 0);
	char *out = mem_done(f);
	assert_true(utf8_ok(out));
	assert_non_null(strstr(out, "线程池"));
	free(out);
	f = mem_open();
	assert_int_equal(svg_stacked_bar_chart(f, &c, cats, 4, &s, 1), 0);
	out = mem_done(f);
	assert_true(utf8_ok(out));
	free(out);

	/* All zero on a linear axis: the axis is 0 to 1, no negative tick, bars of height 0. */
	double z[] = {0, 0, 0, 0};
	s.y = z;
	c.title = "zero";
	f = mem_open();
	assert_int_equal(svg_bar_chart(f, &c, cats, 4, &s, 1), 0);
	out = mem_done(f);
	assert_null(strstr(out, ">-1<"));
	assert_null(strstr(out, ">-0.5<"));
	assert_int_equal(count(out, "height=\"0.0\""), 4);
	free(out);
	double x1[] = {10}, y1[] = {0};
	struct svg_series l = {.name = "one point", .x = x1, .y = y1, .n = 1};
	c.y_from_zero = true;
	f = mem_open();
	assert_int_equal(svg_line_chart(f, &c, &l, 1), 0);         /* one client count, zero */
	out = mem_done(f);
	assert_null(strstr(out, ">-1<"));
	assert_null(strstr(out, ">-0.5<"));
	assert_int_equal(count(out, "<circle"), 2);                 /* legend + the point */
	free(out);
}

/* Error bars: one whisker per finite lo/hi pair, inside the plot, widening the axis. */
static void test_error_bars(void **state)
{
	(void)state;
	const char *cats[] = {"a", "b", "c"};
	double y[] = {100, 200, 300}, lo[] = {90, NAN, 250}, hi[] = {110, NAN, 900};
	struct svg_series s = {.name = "run 1", .y = y, .n = 3, .lo = lo, .hi = hi};
	struct svg_chart c = {.title = "T", .y_label = "requests/s"};
	FILE *f = mem_open();
	assert_int_equal(svg_bar_chart(f, &c, cats, 3, &s, 1), 0);
	char *out = mem_done(f);
	assert_int_equal(count(out, "class=\"errbar\""), 2);
	assert_non_null(strstr(out, "range 250 to 900"));
	/* The axis reaches the highest whisker (900), not only the highest bar (300). */
	assert_non_null(strstr(out, ">1000<"));
	const char *p = strstr(out, "class=\"errbar\" d=\"M");
	double x, y0, y1;
	while (p) {
		assert_int_equal(sscanf(p, "class=\"errbar\" d=\"M%lf %lfV%lf", &x, &y0, &y1), 3);
		assert_true(y1 >= 60 && y1 < y0 && y0 <= 540);
		p = strstr(p + 1, "class=\"errbar\" d=\"M");
	}
	free(out);
	s.lo = NULL;                                              /* no ranges: no whiskers */
	f = mem_open();
	assert_int_equal(svg_bar_chart(f, &c, cats, 3, &s, 1), 0);
	out = mem_done(f);
	assert_int_equal(count(out, "errbar"), 0);
	free(out);
}

/* 24 series and more: every (colour, dash, marker) differs, and so do the drawn polylines. */
static void test_series_styles(void **state)
{
	(void)state;
	for (size_t i = 0; i < SVG_STYLES; i++)
		for (size_t j = i + 1; j < SVG_STYLES; j++) {
			struct svg_style a = svg_series_style(i), b = svg_series_style(j);
			assert_false(strcmp(a.colour, b.colour) == 0 && strcmp(a.dash, b.dash) == 0 &&
				     a.marker == b.marker);
			/* Same colour: a different dash and a different marker too. */
			if (strcmp(a.colour, b.colour) == 0) {
				assert_string_not_equal(a.dash, b.dash);
				assert_int_not_equal(a.marker, b.marker);
			}
		}
	/* In a chart: 24 series give 24 distinct polyline styles and legend swatches. */
	enum { NS = 24 };
	double x[] = {1, 10}, y[NS][2];
	char names[NS][16];
	struct svg_series s[NS];
	for (int i = 0; i < NS; i++) {
		y[i][0] = i, y[i][1] = 2 * i;
		snprintf(names[i], sizeof(names[i]), "s%d", i);
		s[i] = (struct svg_series){.name = names[i], .x = x, .y = y[i], .n = 2};
	}
	struct svg_chart c = {.title = "T", .x_label = "clients", .y_label = "r/s"};
	FILE *f = mem_open();
	assert_int_equal(svg_line_chart(f, &c, s, NS), 0);
	char *out = mem_done(f);
	char seen[NS][128];
	int n = 0;
	for (const char *p = out; (p = strstr(p, "<polyline fill=\"none\" stroke=\"")); p++) {
		const char *e = strstr(p, " points=");
		assert_non_null(e);
		assert_true(n < NS && (size_t)(e - p) < sizeof(seen[0]));
		memcpy(seen[n], p, (size_t)(e - p));
		seen[n][e - p] = '\0';
		for (int k = 0; k < n; k++)
			assert_true(strcmp(seen[k], seen[n]) != 0 ||
				    svg_series_style((size_t)k).marker != svg_series_style((size_t)n).marker);
		n++;
	}
	assert_int_equal(n, NS);
	/* Markers past the eighth series are squares (series 8-15) and triangles (16-23). */
	assert_int_equal(count(out, "<rect class=\"marker\""), 8 * 3);   /* legend + 2 points */
	assert_int_equal(count(out, "<circle class=\"marker\""), 8 * 3);
	free(out);
}

/* Nine UDP segments, nine colours: none repeats up to SVG_SEGMENT_COLOURS. */
static void test_segment_colours(void **state)
{
	(void)state;
	assert_true(SVG_SEGMENT_COLOURS >= 9);
	for (size_t i = 0; i < SVG_SEGMENT_COLOURS; i++)
		for (size_t j = i + 1; j < SVG_SEGMENT_COLOURS; j++)
			assert_string_not_equal(svg_segment_colour(i), svg_segment_colour(j));
	enum { NK = 9 };
	double v[NK][1];
	char names[NK][16];
	struct svg_series s[NK];
	for (int k = 0; k < NK; k++) {
		v[k][0] = 100 + k;
		snprintf(names[k], sizeof(names[k]), "k%d", k);
		s[k] = (struct svg_series){.name = names[k], .y = v[k], .n = 1};
	}
	const char *cats[] = {"case"};
	struct svg_chart c = {.title = "T", .x_label = "datagrams", .height = 290};
	FILE *f = mem_open();
	assert_int_equal(svg_stacked_bar_chart(f, &c, cats, 1, s, NK), 0);
	char *out = mem_done(f);
	/* The 9-entry legend does not squeeze the bar away: the chart grew. */
	int h = 0;
	assert_int_equal(sscanf(strstr(out, "height=\""), "height=\"%d\"", &h), 1);
	const char *seg = strstr(out, "<title>k0: ");
	assert_non_null(seg);
	while (seg > out && strncmp(seg, "<rect", 5) != 0)
		seg--;
	double sy = 0, sh = 0;
	assert_int_equal(sscanf(seg, "<rect x=\"%*f\" y=\"%lf\" width=\"%*f\" height=\"%lf\"", &sy,
				&sh), 2);
	assert_true(sh >= 30 && sy + sh <= h - 80);
	/* Each colour fills exactly one segment and one legend swatch. */
	for (int k = 0; k < NK; k++) {
		char fill[32];
		snprintf(fill, sizeof(fill), "fill=\"%s\"", svg_segment_colour((size_t)k));
		assert_int_equal(count(out, fill), 2);
	}
	free(out);
}

/* When a log axis is worth it, and explicit ticks at the measured values. */
static void test_log_axis_choice(void **state)
{
	(void)state;
	double a[] = {1, 10, 100}, b[] = {10, 20, 50}, c[] = {0, 10, 100}, d[] = {NAN, 2, 20};
	assert_true(svg_log_worth(a, 3));
	assert_false(svg_log_worth(b, 3));     /* 5x: linear */
	assert_false(svg_log_worth(c, 3));     /* 0 cannot be on a log axis */
	assert_true(svg_log_worth(d, 3));      /* NaN is no value */
	assert_false(svg_log_worth(d, 1));
	/* All values equal on a log axis still give two ticks (was -EINVAL). */
	double t[16];
	int n = svg_ticks(50, 50, 6, true, t, 16);
	assert_true(n >= 2 && t[0] <= 50 && t[n - 1] >= 50);

	double y[] = {100, 900, 3000};
	struct svg_series s = {.name = "m", .x = a, .y = y, .n = 3};
	struct svg_chart ch = {.title = "T", .x_label = "clients (log scale)", .y_label = "r/s",
			       .x_log = true, .x_ticks = a, .nx_ticks = 3};
	FILE *f = mem_open();
	assert_int_equal(svg_line_chart(f, &ch, &s, 1), 0);
	char *out = mem_done(f);
	/* Ticks 1, 10, 100 and nothing else on x; the points equally spaced. */
	assert_int_equal(count(out, "text-anchor=\"middle\">1</text>"), 1);
	assert_int_equal(count(out, "text-anchor=\"middle\">10</text>"), 1);
	assert_int_equal(count(out, "text-anchor=\"middle\">100</text>"), 1);
	double px[3];
	const char *p = strstr(out, "points=\"");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "points=\"%lf,%*f %lf,%*f %lf,", &px[0], &px[1], &px[2]), 3);
	assert_true(fabs((px[1] - px[0]) - (px[2] - px[1])) < 0.5);
	free(out);
}

/* 36 long category labels: rotated, one line each, the chart taller. */
static void test_rotated_labels(void **state)
{
	(void)state;
	enum { NC = 36 };
	char labels[NC][48];
	const char *cats[NC];
	double v[NC];
	for (int i = 0; i < NC; i++) {
		snprintf(labels[i], sizeof(labels[i]), "%d / spin:200 / prefork", i);
		cats[i] = labels[i];
		v[i] = 100 + i;
	}
	struct svg_series s = {.name = "p50", .y = v, .n = NC};
	struct svg_chart c = {.title = "T", .x_label = "case", .y_label = "us"};
	FILE *f = mem_open();
	assert_int_equal(svg_bar_chart(f, &c, cats, NC, &s, 1), 0);
	char *out = mem_done(f);
	assert_int_equal(count(out, "class=\"catlabel\""), NC);
	assert_int_equal(count(out, "transform=\"rotate(-"), NC + 1);      /* + the y title */
	assert_non_null(strstr(out, ">35 / spin:200 / prefork</text>"));
	int h = 0;
	assert_int_equal(sscanf(strstr(out, "height=\""), "height=\"%d\"", &h), 1);
	assert_true(h > 540);
	free(out);
	/* Three short labels stay horizontal. */
	f = mem_open();
	s.n = 3;
	assert_int_equal(svg_bar_chart(f, &c, cats, 3, &s, 1), 0);
	out = mem_done(f);
	assert_int_equal(count(out, "class=\"catlabel\""), 0);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ticks_linear),
		cmocka_unit_test(test_ticks_log),
		cmocka_unit_test(test_fmt_and_escape),
		cmocka_unit_test(test_charts),
		cmocka_unit_test(test_text_cols),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_chart_utf8_and_edges),
		cmocka_unit_test(test_error_bars),
		cmocka_unit_test(test_series_styles),
		cmocka_unit_test(test_segment_colours),
		cmocka_unit_test(test_log_axis_choice),
		cmocka_unit_test(test_rotated_labels),
	};
	return tl_run_group(tests, NULL, NULL);
}
