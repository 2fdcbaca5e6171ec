/*
 * reports/svg.c — the inline SVG charts of reports/svg.h: nice ticks, axes
 * with grid lines and labels, a legend, and four chart kinds (line, grouped
 * bars, horizontal stacked bars, byte/time timeline). Text widths are
 * estimated (no font metrics in C): 0.6 em per column, which is wide
 * enough for the sans-serif system fonts at the sizes used here; a CJK
 * character takes two columns (svg_text_cols). Labels are wrapped by
 * svg_wrap, which never cuts a UTF-8 sequence.
 */
#include "reports/svg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FONT "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', sans-serif"
#define INK "#111111"
#define GRID "#c8c8c8"
#define F_TITLE 28
#define F_LABEL 22
#define F_TICK 18
#define F_LEGEND 20
#define MAXTICKS 64

/* Okabe & Ito (2008), without black: blue, orange, bluish green, vermillion,
 * reddish purple, sky blue, yellow, grey. */
static const char *const palette[] = {
	"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#777777",
};
static const char *const dashes[] = {"", "14 6", "4 5", "14 5 4 5"};
/* Paul Tol's muted wine, teal, olive, indigo: the segments past the eighth. */
static const char *const more_colours[] = {"#882255", "#44AA99", "#999933", "#332288"};

/* Decode the UTF-8 sequence at s: its length, the code point in *cp (U+FFFD and length 1 for an invalid byte). */
static size_t u8dec(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t n;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, *cp = c & 0x1F, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, *cp = c & 0x0F, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, *cp = c & 0x07, min = 0x10000;
	else
		goto bad;
	/* A NUL (or any non-continuation byte) ends the check before the string's end. */
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			goto bad;
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
		goto bad;
	return n;
bad:
	*cp = 0xFFFD;
	return 1;
}

/* Columns of one code point (see svg_text_cols). */
static int cp_cols(unsigned cp)
{
	if ((cp >= 0x300 && cp <= 0x36F) || (cp >= 0x200B && cp <= 0x200F) ||
	    (cp >= 0xFE00 && cp <= 0xFE0F))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
	    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
	    (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
		return 2;
	return 1;
}

size_t svg_text_cols(const char *s)
{
	size_t n = 0;
	const unsigned char *u = (const unsigned char *)s;
	while (u && *u) {
		unsigned cp;
		u += u8dec(u, &cp);
		n += (size_t)cp_cols(cp);
	}
	return n;
}

void svg_escape(FILE *f, const char *s)
{
	if (!s)
		return;
	const unsigned char *u = (const unsigned char *)s;
	while (*u) {
		unsigned cp;
		size_t l = u8dec(u, &cp);
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		case 0xFFFD: fputs("\xEF\xBF\xBD", f); break;
		default:
			/* XML 1.0 forbids most control characters even escaped. */
			if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')
				fputc(' ', f);
			else
				fwrite(u, 1, l, f);
		}
		u += l;
	}
}

/* The end of the longest prefix of u[pos..] within maxc columns and maxb bytes; *brk the last break opportunity in it (pos: none). */
static size_t fit(const unsigned char *u, size_t pos, size_t maxc, size_t maxb, size_t *brk)
{
	size_t p = pos, cols = 0;
	bool prev_wide = false;
	*brk = pos;
	while (u[p]) {
		unsigned cp;
		size_t l = u8dec(u + p, &cp);
		int w = cp_cols(cp);
		if (p > pos && (cp == ' ' || w == 2 || prev_wide))
			*brk = p;       /* before a space, around a wide character */
		if (cols + (size_t)w > maxc || p + l - pos > maxb)
			break;
		cols += (size_t)w;
		p += l;
		if (cp == '/' || cp == '-')
			*brk = p;       /* after a slash or a hyphen */
		prev_wide = w == 2;
	}
	return p;
}

int svg_wrap(const char *s, size_t maxc, char lines[SVG_WRAP_LINES][SVG_WRAP_BYTES])
{
	static const char ellipsis[] = "\xE2\x80\xA6";     /* U+2026, one column */
	const unsigned char *u = (const unsigned char *)s;
	const size_t maxb = SVG_WRAP_BYTES - sizeof(ellipsis);
	int n = 0;
	size_t pos = 0, brk;
	if (!s)
		return 0;
	if (maxc < 4)
		maxc = 4;
	while (u[pos] == ' ')
		pos++;
	while (u[pos] && n < SVG_WRAP_LINES) {
		size_t end = fit(u, pos, maxc, maxb, &brk);
		bool more = false;
		if (u[end] && n == SVG_WRAP_LINES - 1) {
			/* The last line and the text goes on: keep a column for the ellipsis. */
			end = fit(u, pos, maxc - 1, maxb, &brk);
			if (brk > pos && (brk - pos) * 2 >= end - pos)
				end = brk;
			more = true;
		} else if (u[end] && brk > pos) {
			end = brk;
		}
		size_t len = end - pos;
		while (len && u[pos + len - 1] == ' ')
			len--;
		memcpy(lines[n], s + pos, len);
		if (more)
			memcpy(lines[n] + len, ellipsis, sizeof(ellipsis));
		else
			lines[n][len] = '\0';
		n++;
		pos = end;
		while (u[pos] == ' ')
			pos++;
	}
	return n;
}

/* The widest run of s that svg_wrap cannot break, in columns. */
static size_t word_cols(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t best = 0, cur = 0;
	while (u && *u) {
		unsigned cp;
		u += u8dec(u, &cp);
		int w = cp_cols(cp);
		if (cp == ' ' || w == 2)
			cur = 0;
		if (cp != ' ')
			cur += (size_t)w;
		if (cur > best)
			best = cur;
		if (cp == '/' || cp == '-' || w == 2)
			cur = 0;
	}
	return best;
}

const char *svg_colour(size_t i)
{
	return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

struct svg_style svg_series_style(size_t i)
{
	i %= SVG_STYLES;
	return (struct svg_style){svg_colour(i), dashes[(i + i / 8) % 4], (enum svg_marker)(i / 8 % 4)};
}

const char *svg_segment_colour(size_t i)
{
	i %= SVG_SEGMENT_COLOURS;
	return i < 8 ? palette[i] : more_colours[i - 8];
}

bool svg_log_worth(const double *v, size_t n)
{
	double lo = 0, hi = 0;
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (v[i] <= 0)
			return false;
		if (!any || v[i] < lo)
			lo = v[i];
		if (!any || v[i] > hi)
			hi = v[i];
		any = true;
	}
	return any && hi >= 10 * lo;
}

/* Black or white text on the "#rrggbb" background bg, whichever contrasts more (WCAG luminance). */
static const char *ink_on(const char *bg)
{
	unsigned rgb[3];
	double lum = 0;
	static const double wt[3] = {0.2126, 0.7152, 0.0722};
	if (sscanf(bg, "#%2x%2x%2x", &rgb[0], &rgb[1], &rgb[2]) != 3)
		return INK;
	for (int k = 0; k < 3; k++) {
		double c = rgb[k] / 255.0;
		lum += wt[k] * (c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4));
	}
	/* Contrast with white (1.05 / (lum + 0.05)) against black ((lum + 0.05) / 0.05). */
	return 1.05 / (lum + 0.05) > (lum + 0.05) / 0.05 ? "#ffffff" : INK;
}

/* A marker of kind k centred at (x, y), radius about r; title (may be NULL) as its tooltip. */
static void marker(FILE *f, enum svg_marker k, double x, double y, double r, const char *colour,
		   const char *title)
{
	const char *tail = title ? ">" : "/>\n";
	switch (k) {
	case SVG_SQUARE:
		fprintf(f, "<rect class=\"marker\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
			" fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"2\"%s", x - r * 0.9, y - r * 0.9,
			r * 1.8, r * 1.8, colour, tail);
		break;
	case SVG_TRIANGLE:
		fprintf(f, "<path class=\"marker\" d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\""
			" stroke=\"#ffffff\" stroke-width=\"2\"%s", x, y - r * 1.2, x + r * 1.1,
			y + r * 0.8, x - r * 1.1, y + r * 0.8, colour, tail);
		break;
	case SVG_DIAMOND:
		fprintf(f, "<path class=\"marker\" d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\""
			" fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"2\"%s", x, y - r * 1.25,
			x + r * 1.25, y, x, y + r * 1.25, x - r * 1.25, y, colour, tail);
		break;
	default:
		fprintf(f, "<circle class=\"marker\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\""
			" stroke=\"#ffffff\" stroke-width=\"2\"%s", x, y, r, colour, tail);
	}
	if (!title)
		return;
	fputs("<title>", f);
	svg_escape(f, title);
	fprintf(f, "</title></%s>\n", k == SVG_SQUARE ? "rect" : k == SVG_CIRCLE ? "circle" : "path");
}

static double text_w(const char *s, int size)
{
	return 0.6 * size * (double)svg_text_cols(s);
}

static double nice_step(double raw)
{
	double mag = pow(10, floor(log10(raw)));
	double n = raw / mag;
	return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

int svg_ticks(double lo, double hi, int want, bool log_axis, double *out, int cap)
{
	if (!isfinite(lo) || !isfinite(hi) || lo > hi || cap < 2)
		return -EINVAL;
	if (want < 2)
		want = 2;
	if (log_axis) {
		if (lo <= 0)
			return -EINVAL;
		int d0 = (int)floor(log10(lo) + 1e-9), d1 = (int)ceil(log10(hi) - 1e-9);
		if (d1 <= d0)
			d1 = d0 + 1;
		int n = 0;
		if (d1 - d0 < 2) {
			static const double m[] = {1, 2, 5};
			double first = 0, cand[16];
			int nc = 0;
			for (int d = d0; d <= d1; d++)
				for (int k = 0; k < 3 && nc < 16; k++) {
					double v = m[k] * pow(10, d);
					if (d == d1 && k > 0)
						break;
					cand[nc++] = v;
				}
			for (int i = 0; i < nc; i++)
				if (cand[i] <= lo * (1 + 1e-9))
					first = cand[i];
			for (int i = 0; i < nc && n < cap; i++) {
				if (cand[i] < first)
					continue;
				out[n++] = cand[i];
				/* Two ticks at least, also when lo == hi is a tick (all values 50). */
				if (cand[i] >= hi * (1 - 1e-9) && n >= 2)
					break;
			}
			return n >= 2 ? n : -EINVAL;
		}
		int stride = 1;
		while ((d1 - d0) / stride + 1 > cap || (d1 - d0) / stride + 1 > want + 4)
			stride++;
		for (int d = d0; d < d1 + stride && n < cap; d += stride)
			out[n++] = pow(10, d);
		return n;
	}
	if (hi == lo) {
		double pad = lo == 0 ? 1 : fabs(lo) * 0.1;
		lo -= pad;
		hi += pad;
	}
	double step = nice_step((hi - lo) / want);
	for (;;) {
		double first = floor(lo / step + 1e-9) * step;
		double last = ceil(hi / step - 1e-9) * step;
		long n = lround((last - first) / step) + 1;
		if (n <= cap) {
			for (long i = 0; i < n; i++) {
				double v = first + (double)i * step;
				out[i] = fabs(v) < step * 1e-9 ? 0 : v;
			}
			return n < 2 ? -EINVAL : (int)n;
		}
		step = nice_step(step * 1.6);
	}
}

void svg_fmt_tick(char *buf, size_t len, double v)
{
	double a = fabs(v);
	if (v == 0)
		snprintf(buf, len, "0");
	else if (a >= 1e9)
		snprintf(buf, len, "%.3gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(buf, len, "%.3gk", v / 1e3);
	else if (a >= 1000)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

/* ---- drawing primitives ---- */

struct axis {
	double lo, hi;              /* data range of the axis (its first and last tick) */
	double p0, p1;              /* pixel positions of lo and hi */
	bool log;
	double ticks[MAXTICKS];
	int nticks;
};

static double amap(const struct axis *a, double v)
{
	double f0 = a->log ? log10(a->lo) : a->lo, f1 = a->log ? log10(a->hi) : a->hi;
	double fv = a->log ? log10(v) : v;
	if (f1 == f0)
		return (a->p0 + a->p1) / 2;
	return a->p0 + (fv - f0) / (f1 - f0) * (a->p1 - a->p0);
}

static bool usable(double v, bool log_axis)
{
	return isfinite(v) && (!log_axis || v > 0);
}

/* Ticks for the data range [lo, hi]; the axis spans the first to the last tick. */
static int axis_fit(struct axis *a, double lo, double hi, bool log_axis, int want)
{
	a->log = log_axis;
	int n = svg_ticks(lo, hi, want, log_axis, a->ticks, MAXTICKS);
	if (n < 2)
		return -EINVAL;
	a->nticks = n;
	a->lo = a->ticks[0];
	a->hi = a->ticks[n - 1];
	return 0;
}

/*
 * An axis with the given ticks (sorted here, duplicates and values a log
 * axis cannot show dropped), spanning them with a margin of 4% of the
 * range on each side, so that points at the ends are not on the frame.
 */
static int axis_given(struct axis *a, const double *t, size_t n, bool log_axis)
{
	a->log = log_axis;
	a->nticks = 0;
	for (size_t i = 0; i < n && a->nticks < MAXTICKS; i++) {
		if (!usable(t[i], log_axis))
			continue;
		int k = a->nticks;
		while (k > 0 && a->ticks[k - 1] > t[i]) {
			a->ticks[k] = a->ticks[k - 1];
			k--;
		}
		if (k > 0 && a->ticks[k - 1] == t[i]) {       /* a duplicate: undo the shift */
			for (; k < a->nticks; k++)
				a->ticks[k] = a->ticks[k + 1];
			continue;
		}
		a->ticks[k] = t[i];
		a->nticks++;
	}
	if (a->nticks < 2)
		return -EINVAL;
	double lo = a->ticks[0], hi = a->ticks[a->nticks - 1];
	if (log_axis) {
		double m = pow(hi / lo, 0.04);
		a->lo = lo / m, a->hi = hi * m;
	} else {
		double m = (hi - lo) * 0.04;
		a->lo = lo - m, a->hi = hi + m;
	}
	return 0;
}

static void text(FILE *f, double x, double y, int size, const char *anchor, const char *weight,
		 const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\"%s%s%s>", x, y,
		size, anchor, weight ? " font-weight=\"" : "", weight ? weight : "", weight ? "\"" : "");
	svg_escape(f, s);
	fputs("</text>\n", f);
}

static void svg_open(FILE *f, const struct svg_chart *c, int w, int h)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\"");
	if (c->id) {
		fputs(" id=\"", f);
		svg_escape(f, c->id);
		fputc('"', f);
	}
	fprintf(f, " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"%s\" fill=\"%s\">\n",
		w, h, w, h, FONT, INK);
	fputs("<title>", f);
	svg_escape(f, c->title);
	fputs("</title>\n", f);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
	/* A long title is set smaller rather than cut off (bold is wider: 0.65 em). */
	size_t cols = svg_text_cols(c->title);
	double fit = (w - 32) / (0.65 * (double)(cols ? cols : 1));
	int size = fit < F_TITLE ? (int)fit : F_TITLE;
	text(f, w / 2.0, 40, size < 14 ? 14 : size, "middle", "bold", c->title);
}

static int svg_close(FILE *f)
{
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}

/* Legend rows from y0 across [x0, x1]: a swatch per name. Returns the height used. */
static double legend_any(FILE *f, double x0, double x1, double y0, const char *const *names,
			 size_t n, bool lines, bool segments, bool draw)
{
	double x = x0, y = y0 + F_LEGEND;
	for (size_t i = 0; i < n; i++) {
		double w = 44 + text_w(names[i], F_LEGEND) + 28;
		if (x > x0 && x + w > x1) {
			x = x0;
			y += F_LEGEND * 1.5;
		}
		if (draw) {
			if (lines) {
				struct svg_style st = svg_series_style(i);
				fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
					" stroke-width=\"4\" stroke-dasharray=\"%s\"/>",
					x, y - 7, x + 36, y - 7, st.colour, st.dash);
				marker(f, st.marker, x + 18, y - 7, 6, st.colour, NULL);
			} else {
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"30\" height=\"18\" fill=\"%s\""
					" stroke=\"%s\" stroke-width=\"1\"/>\n", x + 3, y - 16,
					segments ? svg_segment_colour(i) : svg_colour(i), INK);
			}
			text(f, x + 44, y, F_LEGEND, "start", NULL, names[i]);
		}
		x += w;
	}
	return n ? y - y0 + 12 : 0;
}

static double legend(FILE *f, double x0, double x1, double y0, const char *const *names,
		     size_t n, bool lines, bool draw)
{
	return legend_any(f, x0, x1, y0, names, n, lines, false, draw);
}

static int series_names(const struct svg_series *s, size_t ns, const char ***out)
{
	const char **a = calloc(ns ? ns : 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < ns; i++) {
		if (!s[i].name) {
			free(a);
			return -EINVAL;
		}
		a[i] = s[i].name;
	}
	*out = a;
	return 0;
}

/* Horizontal grid lines and labels of a y axis, the axis title rotated at x = 28. */
static void y_axis(FILE *f, const struct axis *ay, double x0, double x1, const char *label)
{
	char buf[32];
	for (int i = 0; i < ay->nticks; i++) {
		double y = amap(ay, ay->ticks[i]);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
			" stroke-width=\"1\"/>\n", x0, y, x1, y, GRID);
		svg_fmt_tick(buf, sizeof(buf), ay->ticks[i]);
		text(f, x0 - 10, y + F_TICK * 0.35, F_TICK, "end", NULL, buf);
	}
	double ym = (ay->p0 + ay->p1) / 2;
	fprintf(f, "<text x=\"28\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"middle\""
		" transform=\"rotate(-90 28 %.1f)\">", ym, F_LABEL, ym);
	svg_escape(f, label);
	fputs("</text>\n", f);
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
		" stroke-width=\"2\"/>\n", x0, ay->p0, x0, ay->p1, INK);
}

/* Vertical grid lines and labels of an x axis at the bottom y0, its title below. */
static void x_axis(FILE *f, const struct axis *ax, double y0, double y1, const char *label,
		   double h)
{
	char buf[32];
	for (int i = 0; i < ax->nticks; i++) {
		double x = amap(ax, ax->ticks[i]);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
			" stroke-width=\"1\"/>\n", x, y0, x, y1, GRID);
		svg_fmt_tick(buf, sizeof(buf), ax->ticks[i]);
		text(f, x, y0 + F_TICK + 8, F_TICK, "middle", NULL, buf);
	}
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
		" stroke-width=\"2\"/>\n", ax->p0, y0, ax->p1, y0, INK);
	text(f, (ax->p0 + ax->p1) / 2, h - 16, F_LABEL, "middle", NULL, label);
}

static void dims(const struct svg_chart *c, int *w, int *h)
{
	*w = c->width > 0 ? c->width : 960;
	*h = c->height > 0 ? c->height : 540;
}

/* The range of the series' usable y (or x) values; false when there is none. */
static bool data_range(const struct svg_series *s, size_t ns, bool use_x, bool log_axis,
		       double *lo, double *hi)
{
	bool any = false;
	for (size_t j = 0; j < ns; j++)
		for (size_t i = 0; i < s[j].n; i++) {
			const double *arr = use_x ? s[j].x : s[j].y;
			if (!arr)
				continue;
			double v = arr[i];
			if (!usable(v, log_axis))
				continue;
			if (!any || v < *lo)
				*lo = v;
			if (!any || v > *hi)
				*hi = v;
			any = true;
		}
	return any;
}

/* ---- charts ---- */

int svg_line_chart(FILE *f, const struct svg_chart *c, const struct svg_series *s, size_t ns)
{
	int w, h, rc;
	double xlo = 0, xhi = 0, ylo = 0, yhi = 0;
	const char **names = NULL;
	struct axis ax, ay;

	if (!c || !c->title || !s || !ns)
		return -EINVAL;
	for (size_t j = 0; j < ns; j++)
		if (s[j].n && (!s[j].x || !s[j].y))
			return -EINVAL;
	if ((rc = series_names(s, ns, &names)) != 0)
		return rc;
	dims(c, &w, &h);
	if (!data_range(s, ns, true, c->x_log, &xlo, &xhi) ||
	    !data_range(s, ns, false, c->y_log, &ylo, &yhi)) {
		free(names);
		return -EINVAL;
	}
	if (c->y_from_zero && !c->y_log && ylo > 0)
		ylo = 0;
	if (c->y_from_zero && !c->y_log && ylo == 0 && yhi == 0)
		yhi = 1;                /* all zero: 0 to 1, not -1 to 1 */
	double left = 110, right = w - 40;
	double lh = legend(f, left, right, 60, names, ns, true, false);
	/* A legend of many series (12 rows of 3) must not flatten the plot. */
	if (h - 80 - (60 + lh + 16) < 320)
		h = (int)(60 + lh + 16 + 320 + 80);
	double top = 60 + lh + 16, bottom = h - 80;
	ax.p0 = left, ax.p1 = right, ay.p0 = bottom, ay.p1 = top;
	if ((c->x_ticks && c->nx_ticks >= 2 ? axis_given(&ax, c->x_ticks, c->nx_ticks, c->x_log) :
	     axis_fit(&ax, xlo, xhi, c->x_log, 8)) || axis_fit(&ay, ylo, yhi, c->y_log, 6)) {
		free(names);
		return -EINVAL;
	}
	svg_open(f, c, w, h);
	legend(f, left, right, 60, names, ns, true, true);
	y_axis(f, &ay, left, right, c->y_label);
	x_axis(f, &ax, bottom, top, c->x_label, h);
	for (size_t j = 0; j < ns; j++) {
		struct svg_style st = svg_series_style(j);
		fprintf(f, "<g class=\"series\"><title>");
		svg_escape(f, s[j].name);
		fprintf(f, "</title>\n<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"4\""
			" stroke-linejoin=\"round\" stroke-dasharray=\"%s\" points=\"", st.colour, st.dash);
		for (size_t i = 0; i < s[j].n; i++)
			if (usable(s[j].x[i], c->x_log) && usable(s[j].y[i], c->y_log))
				fprintf(f, "%.1f,%.1f ", amap(&ax, s[j].x[i]), amap(&ay, s[j].y[i]));
		fputs("\"/>\n", f);
		for (size_t i = 0; i < s[j].n; i++)
			if (usable(s[j].x[i], c->x_log) && usable(s[j].y[i], c->y_log)) {
				char a[32], b[32], tt[80];
				svg_fmt_tick(a, sizeof(a), s[j].x[i]);
				svg_fmt_tick(b, sizeof(b), s[j].y[i]);
				snprintf(tt, sizeof(tt), "%s, %s", a, b);
				marker(f, st.marker, amap(&ax, s[j].x[i]), amap(&ay, s[j].y[i]), 7, st.colour, tt);
			}
		fputs("</g>\n", f);
	}
	free(names);
	return svg_close(f);
}

/* A category label on one line of at most ROT_COLS columns (an ellipsis when cut). */
#define ROT_COLS 40
static void rot_label(const char *s, char out[SVG_WRAP_BYTES])
{
	char lines[SVG_WRAP_LINES][SVG_WRAP_BYTES];
	int n = svg_wrap(s ? s : "", ROT_COLS, lines);
	out[0] = '\0';
	if (n <= 0)
		return;
	if (n == 1) {
		memcpy(out, lines[0], SVG_WRAP_BYTES);
		return;
	}
	/* svg_wrap breaks at spaces: cut the text itself instead, between characters. */
	const unsigned char *u = (const unsigned char *)s;
	size_t p = 0, cols = 0;
	while (u[p]) {
		unsigned cp;
		size_t l = u8dec(u + p, &cp);
		if (cols + (size_t)cp_cols(cp) > ROT_COLS - 1 || p + l > SVG_WRAP_BYTES - 4)
			break;
		cols += (size_t)cp_cols(cp);
		p += l;
	}
	memcpy(out, s, p);
	memcpy(out + p, "\xE2\x80\xA6", 4);
}

int svg_bar_chart(FILE *f, const struct svg_chart *c, const char *const *categories,
		  size_t ncat, const struct svg_series *s, size_t ns)
{
	int w, h, rc;
	double ylo = 0, yhi = 0;
	const char **names = NULL;
	struct axis ay;
	char lines[SVG_WRAP_LINES][SVG_WRAP_BYTES];

	if (!c || !c->title || !categories || !ncat || !s || !ns)
		return -EINVAL;
	for (size_t j = 0; j < ns; j++)
		if (s[j].n != ncat || !s[j].y)
			return -EINVAL;
	if ((rc = series_names(s, ns, &names)) != 0)
		return rc;
	dims(c, &w, &h);
	if (!data_range(s, ns, false, c->y_log, &ylo, &yhi)) {
		free(names);
		return -EINVAL;
	}
	/* Error bars widen the range. */
	for (size_t j = 0; j < ns; j++)
		for (size_t i = 0; s[j].lo && s[j].hi && i < ncat; i++)
			if (usable(s[j].lo[i], c->y_log) && usable(s[j].hi[i], c->y_log)) {
				ylo = s[j].lo[i] < ylo ? s[j].lo[i] : ylo;
				yhi = s[j].hi[i] > yhi ? s[j].hi[i] : yhi;
			}
	if (!c->y_log) {
		/* Bars of a linear axis start at 0; all zero: an axis from 0 to 1, not -1 to 1. */
		if (ylo > 0)
			ylo = 0;
		if (yhi < 0)
			yhi = 0;
		if (ylo == 0 && yhi == 0)
			yhi = 1;
	}
	double left = 110, right = w - 40;
	double gw = (right - left) / (double)ncat;
	/* The largest font at which the longest word of a label fits its group. */
	size_t word = 1;
	for (size_t i = 0; i < ncat; i++) {
		size_t n = word_cols(categories[i]);
		if (n > word)
			word = n;
	}
	int cf = F_TICK;
	while (cf > 11 && gw * 0.95 < 0.6 * cf * (double)word)
		cf--;
	size_t maxc = (size_t)(gw * 0.95 / (0.6 * cf));
	int maxl = 1;
	for (size_t i = 0; i < ncat; i++) {
		int n = svg_wrap(categories[i] ? categories[i] : "", maxc, lines);
		if (n > maxl)
			maxl = n;
	}
	/*
	 * Labels that would need more than 2 lines or a font below 16 px (36
	 * cases in 960 px) are set on one line each, rotated as little as lets
	 * neighbours clear each other, cut at ROT_COLS columns; the chart grows
	 * by the height they take.
	 */
	bool rot = maxl > 2 || cf < 16;
	double angle = 0, rot_h = 0;
	if (rot) {
		cf = gw >= 1.3 * 16 ? 16 : gw / 1.3 < 11 ? 11 : (int)(gw / 1.3);
		for (angle = 45; angle < 90 && gw * sin(angle * M_PI / 180) < 1.3 * cf; angle += 15)
			;
		double maxw = 0;
		for (size_t i = 0; i < ncat; i++) {
			char one[SVG_WRAP_BYTES];
			rot_label(categories[i], one);
			double lw = text_w(one, cf);
			maxw = lw > maxw ? lw : maxw;
		}
		/* text_w's 0.6 em is an upper bound; the system fonts average nearer 0.5. */
		rot_h = maxw * 0.85 * sin(angle * M_PI / 180) + cf;
		h += (int)rot_h;
		maxl = 0;
	}
	double lh = legend(f, left, right, 60, names, ns, false, false);
	double top = 60 + lh + 16, bottom = h - 60 - maxl * (cf + 4) - rot_h;
	ay.p0 = bottom, ay.p1 = top;
	if (axis_fit(&ay, ylo, yhi, c->y_log, 6)) {
		free(names);
		return -EINVAL;
	}
	svg_open(f, c, w, h);
	legend(f, left, right, 60, names, ns, false, true);
	y_axis(f, &ay, left, right, c->y_label);
	double bw = gw * 0.8 / (double)ns;
	/* Where the bars start: 0 on a linear axis (negative bars hang below it). */
	double base = c->y_log ? bottom : amap(&ay, 0);
	for (size_t i = 0; i < ncat; i++) {
		double gx = left + gw * (double)i;
		if (rot) {
			/* The label's end under the group's middle, rising to the left. */
			double lx = gx + gw / 2 + cf * 0.35, ly = bottom + 10;
			rot_label(categories[i], lines[0]);
			fprintf(f, "<text class=\"catlabel\" x=\"%.1f\" y=\"%.1f\" font-size=\"%d\""
				" text-anchor=\"end\" transform=\"rotate(-%.0f %.1f %.1f)\">", lx, ly, cf,
				angle, lx, ly);
			svg_escape(f, lines[0]);
			fputs("</text>\n", f);
		}
		int n = rot ? 0 : svg_wrap(categories[i] ? categories[i] : "", maxc, lines);
		for (int k = 0; k < n; k++)
			text(f, gx + gw / 2, bottom + (cf + 4) * (k + 1) + 4, cf, "middle", NULL, lines[k]);
		for (size_t j = 0; j < ns; j++) {
			double v = s[j].y[i];
			if (!usable(v, c->y_log))
				continue;
			double y = amap(&ay, v), x = gx + gw * 0.1 + bw * (double)j;
			char b[32];
			svg_fmt_tick(b, sizeof(b), v);
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\""
				" stroke=\"%s\" stroke-width=\"1\"><title>", x, y < base ? y : base, bw,
				fabs(base - y), svg_colour(j), INK);
			svg_escape(f, categories[i]);
			fputs(": ", f);
			svg_escape(f, s[j].name);
			fprintf(f, " %s</title></rect>\n", b);
			if (!s[j].lo || !s[j].hi || !usable(s[j].lo[i], c->y_log) ||
			    !usable(s[j].hi[i], c->y_log))
				continue;
			/* The error bar: a whisker from lo to hi with caps, over the bar's middle. */
			double xm = x + bw / 2, cap = bw * 0.3 < 12 ? bw * 0.3 : 12;
			double y0 = amap(&ay, s[j].lo[i]), y1 = amap(&ay, s[j].hi[i]);
			char lo[32], hi[32];
			svg_fmt_tick(lo, sizeof(lo), s[j].lo[i]);
			svg_fmt_tick(hi, sizeof(hi), s[j].hi[i]);
			fprintf(f, "<path class=\"errbar\" d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\""
				" stroke=\"%s\" stroke-width=\"2.5\" fill=\"none\"><title>", xm, y0, y1,
				xm - cap, y0, xm + cap, xm - cap, y1, xm + cap, INK);
			svg_escape(f, categories[i]);
			fputs(": ", f);
			svg_escape(f, s[j].name);
			fprintf(f, " range %s to %s</title></path>\n", lo, hi);
		}
	}
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
		" stroke-width=\"2\"/>\n", left, bottom, right, bottom, INK);
	text(f, (left + right) / 2, h - 16, F_LABEL, "middle", NULL, c->x_label);
	free(names);
	return svg_close(f);
}

int svg_stacked_bar_chart(FILE *f, const struct svg_chart *c, const char *const *categories,
			  size_t ncat, const struct svg_series *s, size_t ns)
{
	int w, h, rc;
	const char **names = NULL;
	struct axis ax;
	char lines[SVG_WRAP_LINES][SVG_WRAP_BYTES], b[32];

	if (!c || !c->title || !categories || !ncat || !s || !ns)
		return -EINVAL;
	for (size_t j = 0; j < ns; j++)
		if (s[j].n != ncat || !s[j].y)
			return -EINVAL;
	if ((rc = series_names(s, ns, &names)) != 0)
		return rc;
	dims(c, &w, &h);
	double maxtot = 0, labw = 0;
	for (size_t i = 0; i < ncat; i++) {
		double tot = 0;
		for (size_t j = 0; j < ns; j++)
			if (isfinite(s[j].y[i]) && s[j].y[i] > 0)
				tot += s[j].y[i];
		if (tot > maxtot)
			maxtot = tot;
		double lw = text_w(categories[i] ? categories[i] : "", F_TICK);
		if (lw > labw)
			labw = lw;
	}
	if (labw > w * 0.3)
		labw = w * 0.3;
	double left = 24 + labw + 12, right = w - 110;
	double lh = legend_any(f, 24, w - 24, 60, names, ns, false, true, false);
	/* A long legend (9 terms) must not eat the bars: at least 60 px per bar. */
	if (h - 80 - (60 + lh + 16) < 60.0 * (double)ncat)
		h = (int)(60 + lh + 16 + 60.0 * (double)ncat + 80);
	double top = 60 + lh + 16, bottom = h - 80;
	ax.p0 = left, ax.p1 = right;
	if (axis_fit(&ax, 0, maxtot > 0 ? maxtot : 1, false, 6)) {
		free(names);
		return -EINVAL;
	}
	svg_open(f, c, w, h);
	legend_any(f, 24, w - 24, 60, names, ns, false, true, true);
	x_axis(f, &ax, bottom, top, c->x_label, h);
	double rowh = (bottom - top) / (double)ncat, bh = rowh * 0.6;
	if (bh > 70)
		bh = 70;
	for (size_t i = 0; i < ncat; i++) {
		double y = top + rowh * (double)i + (rowh - bh) / 2, x = left;
		int n = svg_wrap(categories[i] ? categories[i] : "", (size_t)(labw / (0.6 * F_TICK)) + 1, lines);
		for (int k = 0; k < n; k++)
			text(f, left - 12, y + bh / 2 + (k - (n - 1) / 2.0) * (F_TICK + 2) + F_TICK * 0.35,
			     F_TICK, "end", NULL, lines[k]);
		for (size_t j = 0; j < ns; j++) {
			double v = s[j].y[i];
			if (!isfinite(v) || v <= 0)
				continue;
			double bwid = amap(&ax, v) - left;
			svg_fmt_tick(b, sizeof(b), v);
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\""
				" stroke=\"#ffffff\" stroke-width=\"1\"><title>", x, y, bwid, bh,
				svg_segment_colour(j));
			svg_escape(f, s[j].name);
			fprintf(f, ": %s</title></rect>\n", b);
			if (bwid > text_w(b, F_TICK) + 8 && bh >= F_TICK + 4)
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"middle\""
					" fill=\"%s\">%s</text>\n", x + bwid / 2, y + bh / 2 + F_TICK * 0.35,
					F_TICK, ink_on(svg_segment_colour(j)), b);
			x += bwid;
		}
		double tot = 0;
		for (size_t j = 0; j < ns; j++)
			if (isfinite(s[j].y[i]) && s[j].y[i] > 0)
				tot += s[j].y[i];
		svg_fmt_tick(b, sizeof(b), tot);
		text(f, x + 8, y + bh / 2 + F_TICK * 0.35, F_TICK, "start", "bold", b);
	}
	free(names);
	return svg_close(f);
}

int svg_timeline(FILE *f, const struct svg_chart *c, const struct svg_lane *lanes, size_t nl)
{
	int w, h;
	double tlo = 0, thi = 0, bhi = 0;
	bool any = false;
	struct axis ax, ay;

	if (!c || !c->title || !lanes || !nl)
		return -EINVAL;
	const char **names = calloc(nl, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (size_t k = 0; k < nl; k++) {
		if (!lanes[k].name || (lanes[k].n && !lanes[k].spans)) {
			free(names);
			return -EINVAL;
		}
		names[k] = lanes[k].name;
		for (size_t i = 0; i < lanes[k].n; i++) {
			const struct svg_span *sp = &lanes[k].spans[i];
			if (!isfinite(sp->t) || !isfinite(sp->lo) || !isfinite(sp->hi))
				continue;
			if (!any || sp->t < tlo)
				tlo = sp->t;
			if (!any || sp->t > thi)
				thi = sp->t;
			if (sp->hi > bhi)
				bhi = sp->hi;
			any = true;
		}
	}
	if (!any) {
		free(names);
		return -EINVAL;
	}
	dims(c, &w, &h);
	double left = 110, right = w - 40;
	double lh = legend(f, left, right, 60, names, nl, false, false);
	double top = 60 + lh + 16, bottom = h - 80;
	ax.p0 = left + 14 * (double)nl, ax.p1 = right - 14 * (double)nl;
	ay.p0 = bottom, ay.p1 = top;
	if (axis_fit(&ax, tlo, thi, false, 8) || axis_fit(&ay, 0, bhi > 0 ? bhi : 1, false, 6)) {
		free(names);
		return -EINVAL;
	}
	svg_open(f, c, w, h);
	legend(f, left, right, 60, names, nl, false, true);
	y_axis(f, &ay, left, right, c->y_label);
	x_axis(f, &ax, bottom, top, c->x_label, h);
	for (size_t k = 0; k < nl; k++) {
		double dx = ((double)k - (double)(nl - 1) / 2) * 13;
		fprintf(f, "<g class=\"lane\" fill=\"%s\"><title>", svg_colour(k));
		svg_escape(f, lanes[k].name);
		fputs("</title>\n", f);
		for (size_t i = 0; i < lanes[k].n; i++) {
			const struct svg_span *sp = &lanes[k].spans[i];
			if (!isfinite(sp->t) || !isfinite(sp->lo) || !isfinite(sp->hi))
				continue;
			double x = amap(&ax, sp->t) + dx, y0 = amap(&ay, sp->lo), y1 = amap(&ay, sp->hi);
			/* A white outline separates adjacent spans, so that each boundary
			 * stays visible, unless the span is too short to show through it. */
			double hgt = y0 - y1 > 1.5 ? y0 - y1 : 1.5;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"11\" height=\"%.1f\"%s>"
				"<title>%.0f-%.0f</title></rect>\n", x - 5.5, y1, hgt,
				hgt >= 6 ? " stroke=\"#ffffff\" stroke-width=\"1.5\"" : "", sp->lo, sp->hi);
		}
		fputs("</g>\n", f);
	}
	free(names);
	return svg_close(f);
}
