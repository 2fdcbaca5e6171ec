/*
 * reports/svg.h — inline SVG charts written in C, for the HTML report
 * (reports/render_html.c) and the classroom demo (`socklab demo --html`).
 *
 * Each chart function writes one complete, self-contained <svg> element
 * (xmlns set, a <title>, fonts from the system stack, no scripts, no
 * external references) to a stream, so it can be embedded in HTML or saved
 * as a .svg file. Charts are made for a classroom projector: big text,
 * thick lines, high contrast, the colour-blind-safe Okabe–Ito palette,
 * axis labels with units, and a legend naming every series.
 *
 * Conventions for every function here:
 *  - Returns 0, -EINVAL (bad arguments: no data, NULL name, a log axis with
 *    no positive value), -ENOMEM, or -EIO when the stream has failed.
 *  - Non-finite values (NaN, inf) are "no value": skipped, never drawn.
 *    On a log axis, values <= 0 are skipped as well.
 *  - Strings are plain UTF-8; they are XML-escaped here.
 *  - Nothing is kept: the caller owns every array and string passed in.
 * The API is stable: add functions or trailing struct fields, do not change
 * existing ones (zero-initialise the structs so that new fields default).
 */
#ifndef SOCKLAB_REPORTS_SVG_H
#define SOCKLAB_REPORTS_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Size, titles and axes common to every chart. Zero fields take defaults. */
struct svg_chart {
	const char *title;      /* drawn at the top and used as the <title>; required */
	const char *x_label;    /* axis title with its unit, e.g. "clients" or "time (ms)" */
	const char *y_label;    /* e.g. "requests/s" or "latency (µs, log scale)" */
	int width, height;      /* user units (px at 100%); 0: 960 x 540 */
	bool x_log, y_log;      /* logarithmic axis (base 10); only where the chart allows */
	bool y_from_zero;       /* linear y axis always includes 0 (default: fit the data) */
	const char *id;         /* optional id attribute of the <svg>; NULL: none */
	/*
	 * Line charts only: when nx_ticks >= 2, the x axis has a tick (and a
	 * label) at exactly these values (e.g. the measured client counts)
	 * instead of nice ones, and spans them with a little margin.
	 */
	const double *x_ticks;
	size_t nx_ticks;
};

/*
 * One named series. For line charts x[i], y[i] are the points (x sorted or
 * not: they are drawn in the given order). For bar and stacked-bar charts x
 * is unused (may be NULL) and y[i] is the value for category i, with
 * n equal to the number of categories.
 */
struct svg_series {
	const char *name;       /* legend text; required */
	const double *x;
	const double *y;
	size_t n;
	/*
	 * Optional, bar charts only: lo[i]..hi[i] is drawn as an error bar (a
	 * whisker with caps) over bar i, e.g. the min and max of the repeats
	 * whose median is y[i]. NULL, or a non-finite pair: no error bar.
	 */
	const double *lo, *hi;
};

/* One event of a timeline lane: at time t, the byte range [lo, hi). */
struct svg_span {
	double t;
	double lo, hi;
};

/* One lane of a timeline (e.g. "app sends", "wire segments", "app recvs"). */
struct svg_lane {
	const char *name;
	const struct svg_span *spans;
	size_t n;
};

/* ---- helpers (also used by the charts) ---- */

/*
 * Write s to f with & < > " ' escaped for XML text and attributes; control
 * characters XML forbids become spaces and each byte of invalid UTF-8
 * becomes U+FFFD,
 * so that the output is always well-formed. NULL writes nothing.
 */
void svg_escape(FILE *f, const char *s);

/*
 * The display width of UTF-8 text in columns (a column is the 0.6 em that
 * the charts allow per Latin character): 2 for East Asian wide and
 * fullwidth characters (CJK, Hangul, kana, fullwidth forms, emoji), 0 for
 * combining marks and zero-width characters, 1 otherwise; an invalid byte
 * counts 1 (it is drawn as U+FFFD).
 */
size_t svg_text_cols(const char *s);

/*
 * Wrap s into at most SVG_WRAP_LINES lines of at most maxcols columns
 * (raised to 4), breaking at a space (dropped), after '/' or '-', or
 * before or after a wide character (CJK text has no spaces). A line is
 * never cut inside a UTF-8 sequence; a word longer than a line is cut
 * between characters. When the text does not fit, the last line ends with
 * an ellipsis. Each line is NUL-terminated in fewer than SVG_WRAP_BYTES
 * bytes. Returns the number of lines (0 for an empty or NULL s).
 */
#define SVG_WRAP_LINES 4
#define SVG_WRAP_BYTES 256
int svg_wrap(const char *s, size_t maxcols, char lines[SVG_WRAP_LINES][SVG_WRAP_BYTES]);

/*
 * Colour i of the palette (Okabe–Ito, black first avoided): a "#rrggbb"
 * string literal; i wraps around after 8 colours.
 */
const char *svg_colour(size_t i);

/*
 * The style of line-chart series i: colour svg_colour(i), dash pattern
 * (i + i / 8) % 4 and marker (i / 8) % 4 (circle, square, triangle,
 * diamond), so that the first SVG_STYLES series all differ in colour or
 * dash, and series i and i + 8 (same colour) differ in dash and marker.
 * Wraps around after SVG_STYLES. dash is a stroke-dasharray ("" = solid).
 */
#define SVG_STYLES 32
enum svg_marker { SVG_CIRCLE, SVG_SQUARE, SVG_TRIANGLE, SVG_DIAMOND };
struct svg_style {
	const char *colour, *dash;
	enum svg_marker marker;
};
struct svg_style svg_series_style(size_t i);

/*
 * Colour of segment i of a stacked bar: the 8 colours of svg_colour, then
 * 4 more from Paul Tol's muted scheme (wine, teal, olive, indigo), so that
 * up to SVG_SEGMENT_COLOURS segments all differ; wraps around after that.
 */
#define SVG_SEGMENT_COLOURS 12
const char *svg_segment_colour(size_t i);

/*
 * Whether an axis of the values v[0..n) reads better on a log scale: every
 * finite value is > 0, and the largest is at least 10 times the smallest.
 */
bool svg_log_worth(const double *v, size_t n);

/*
 * Nice tick positions covering [lo, hi]: on a linear axis 1-2-5 steps,
 * about `want` of them (first tick <= lo, last >= hi); on a log axis the
 * powers of ten (1-2-5 within a decade when it spans fewer than 2 decades),
 * lo and hi must then be > 0. Writes at most cap ticks to out, ascending;
 * returns their number (>= 2), or -EINVAL (lo > hi, non-finite, cap < 2).
 */
int svg_ticks(double lo, double hi, int want, bool log_axis, double *out, int cap);

/*
 * A tick label: up to 3 significant digits, with k/M/G suffixes from 10000
 * on ("2.5k" is written as "2500", "25k", "1.2M"); never "-0".
 */
void svg_fmt_tick(char *buf, size_t len, double v);

/* ---- charts ---- */

/*
 * A line chart: one polyline with markers per series (svg_series_style),
 * x and y axes with ticks, grid lines and labels, a legend showing each
 * series' line, dash and marker. Both axes may be log. The chart grows
 * taller when its legend would leave the plot less than 320 px.
 */
int svg_line_chart(FILE *f, const struct svg_chart *c, const struct svg_series *s, size_t ns);

/*
 * A grouped (vertical) bar chart: ncat categories along x, labelled
 * categories[i] (long labels are wrapped with svg_wrap; when they would
 * need more than 2 lines or a font below 16 px, as with 36 cases, they are
 * written on one line each, rotated 45°-90° to fit, cut at 40 columns with
 * an ellipsis, and the chart grows taller to hold them); within each
 * category one bar per series, s[j].y[i] its height, with an error bar
 * where s[j].lo/hi give one. y may be log (the bars then start at the
 * lowest tick). x_log is ignored. A linear axis always includes 0; when
 * every value is 0 it spans 0 to 1.
 */
int svg_bar_chart(FILE *f, const struct svg_chart *c, const char *const *categories,
		  size_t ncat, const struct svg_series *s, size_t ns);

/*
 * A horizontal stacked bar chart: one bar per category (top to bottom),
 * segment j of bar i is s[j].y[i] wide, stacked left to right in series
 * order, coloured svg_segment_colour(j), each labelled with its value
 * when it is wide enough (white or black text, whichever contrasts); the bar's
 * total is written at its right end. Negative values are treated as 0.
 * x_label names the unit of the values (e.g. "datagrams"); logs are ignored.
 * The chart grows taller when its legend would leave less than 60 px per bar.
 */
int svg_stacked_bar_chart(FILE *f, const struct svg_chart *c, const char *const *categories,
			  size_t ncat, const struct svg_series *s, size_t ns);

/*
 * A timeline to scale in time and bytes (a Stevens/tcptrace-style graph):
 * x is time (x_label, e.g. "time (µs)"), y the byte offset in the stream
 * (y_label, e.g. "stream offset (bytes)"); each span is a vertical bar at t
 * from lo to hi, lanes are coloured and shifted a little apart so that
 * bars at the same time stay visible, and named in the legend. Shows at a
 * glance that many short sends became fewer segments and one long recv.
 */
int svg_timeline(FILE *f, const struct svg_chart *c, const struct svg_lane *lanes, size_t nl);

#endif
