/*
 * harness/demo/demo.c — the narration engine of `socklab demo` (see demo.h):
 * steps, narration from the catalogue, measured values kept for --json,
 * the page for --html, colour and --step pauses.
 */
#include "harness/demo/demo.h"
#include "reports/svg.h"

#include "util/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_GREEN "\033[32m"
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
#define C_OFF "\033[0m"

static const char *col(const struct demo *d, const char *c)
{
	return d->o.color ? c : "";
}

/* Text for the page: the reports' XML escaper (it also keeps the page
 * well-formed when a message holds invalid UTF-8). */
static void html_text(struct demo *d, const char *s)
{
	svg_escape(d->html, s);
}

static void json_raw(struct demo *d, const char *s)
{
	net_buf_append(&d->json, s, strlen(s));
}

/* Open the next value of the current step's "values" object; false (write
 * no value) before the first step, where there is no object to put it in. */
static bool json_key(struct demo *d, const char *jkey)
{
	if (d->nsteps == 0)
		return false;
	if (d->nvals++)
		json_raw(d, ",");
	net_json_string(&d->json, jkey);
	json_raw(d, ":");
	return true;
}

static void close_step(struct demo *d)
{
	if (d->nsteps)
		json_raw(d, "}}");
}

int demo_begin(struct demo *d, const struct demo_opts *o, const char *name, const char *title_key)
{
	memset(d, 0, sizeof(*d));
	d->o = *o;
	d->name = name;
	d->root = geteuid() == 0;
	d->out = o->json ? NULL : o->out;
	if (o->html) {
		d->html = open_memstream(&d->html_buf, &d->html_len);
		if (!d->html)
			return -ENOMEM;
	}
	if (d->out)
		fprintf(d->out, "%s%s%s\n\n", col(d, C_BOLD), demo_t(d, title_key), col(d, C_OFF));
	if (d->html) {
		fputs("<h1>", d->html);
		html_text(d, demo_t(d, title_key));
		fputs("</h1>\n", d->html);
	}
	return 0;
}

void demo_step(struct demo *d, const char *id, const char *title_key)
{
	close_step(d);
	if (d->nsteps)
		json_raw(d, ",");
	d->nsteps++;
	d->nvals = 0;
	json_raw(d, "{\"id\":");
	net_json_string(&d->json, id);
	json_raw(d, ",\"values\":{");

	/* --step: wait for Enter, but never block a script or a test. */
	if (d->o.step && d->out && isatty(STDIN_FILENO)) {
		fprintf(d->out, "%s%s%s", col(d, C_DIM), demo_t(d, "ui.enter"), col(d, C_OFF));
		fflush(d->out);
		int c;
		while ((c = getchar()) != EOF && c != '\n')
			;
	}
	if (d->out) {
		fprintf(d->out, "%s%s== %u. %s%s\n", d->nsteps > 1 || d->intro ? "\n" : "",
			col(d, C_BOLD C_CYAN),
			d->nsteps, demo_t(d, title_key), col(d, C_OFF));
		fflush(d->out);
	}
	if (d->html) {
		fprintf(d->html, "<h2>%u. ", d->nsteps);
		html_text(d, demo_t(d, title_key));
		fputs("</h2>\n", d->html);
	}
}

void demo_say(struct demo *d, const char *key)
{
	const char *s = demo_t(d, key);
	if (d->nsteps == 0)
		d->intro = true;
	if (d->out)
		fprintf(d->out, "%s\n", s);
	if (d->html) {
		fputs("<p>", d->html);
		html_text(d, s);
		fputs("</p>\n", d->html);
	}
}

static void show_val(struct demo *d, const char *label_key, const char *v, const char *unit,
		     const char *c)
{
	const char *label = demo_t(d, label_key);
	if (d->quiet)
		return;
	if (d->out)
		fprintf(d->out, "  %s%s%s%s%s%s%s%s%s\n", col(d, C_DIM), label, demo_t(d, "ui.colon"),
			col(d, C_OFF),
			col(d, c), v, unit ? " " : "", unit ? unit : "", col(d, C_OFF));
	if (d->html) {
		fputs("<div class=v><span class=l>", d->html);
		html_text(d, label);
		html_text(d, demo_t(d, "ui.colon"));
		fputs("</span><b>", d->html);
		html_text(d, v);
		if (unit) {
			fputs(" ", d->html);
			html_text(d, unit);
		}
		fputs("</b></div>\n", d->html);
	}
}

/* A unit for v: the catalogue's "KEY.1" form when v is 1 and there is one
 * ("1 call"), else the translation of KEY; a unit that is not a key ("ms")
 * as it is. */
static const char *unit_for(const struct demo *d, const char *unit, long long v)
{
	char k[64];
	if (!unit)
		return NULL;
	if (v == 1 && snprintf(k, sizeof(k), "%s.1", unit) < (int)sizeof(k)) {
		const char *t = demo_t(d, k);
		if (t != k)
			return t;
	}
	return demo_t(d, unit);
}

void demo_vali(struct demo *d, const char *jkey, const char *label_key, long long v,
	       const char *unit)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", v);
	if (json_key(d, jkey))
		json_raw(d, b);
	show_val(d, label_key, b, unit_for(d, unit, v), C_BOLD);
}

void demo_valf(struct demo *d, const char *jkey, const char *label_key, double v,
	       const char *unit)
{
	char b[48];
	/* JSON has no NaN: a value that could not be measured is null. */
	if (isfinite(v))
		net_num_shortest(b, sizeof(b), v);
	else
		snprintf(b, sizeof(b), "null");
	if (json_key(d, jkey))
		json_raw(d, b);
	snprintf(b, sizeof(b), !isfinite(v) ? "-" : v >= 100 || v == floor(v) ? "%.0f" : "%.2f", v);
	show_val(d, label_key, b, unit_for(d, unit, 2), C_BOLD);
}

void demo_valb(struct demo *d, const char *jkey, const char *label_key, bool v)
{
	if (json_key(d, jkey))
		json_raw(d, v ? "true" : "false");
	show_val(d, label_key, demo_t(d, v ? "ui.yes" : "ui.no"), NULL, v ? C_GREEN : C_RED);
}

void demo_vals(struct demo *d, const char *jkey, const char *label_key, const char *v)
{
	if (json_key(d, jkey))
		net_json_string(&d->json, v);
	show_val(d, label_key, v, NULL, C_BOLD);
}

void demo_quiet(struct demo *d, bool on)
{
	d->quiet = on;
}

void demo_verdict(struct demo *d, bool good, const char *key)
{
	const char *s = demo_t(d, key);
	if (d->out)
		fprintf(d->out, "%s=> %s%s\n", col(d, good ? C_GREEN : C_YELLOW), s, col(d, C_OFF));
	if (d->html) {
		fprintf(d->html, "<p class=%s>&rArr; ", good ? "good" : "warn");
		html_text(d, s);
		fputs("</p>\n", d->html);
	}
}

void demo_unavailable(struct demo *d, const char *jkey, const char *what_key, const char *why)
{
	char k[96];
	snprintf(k, sizeof(k), "%s_reason", jkey);
	if (json_key(d, jkey)) {
		json_raw(d, "\"unavailable\"");
		json_key(d, k);
		net_json_string(&d->json, why);
	}
	if (d->out)
		fprintf(d->out, "  %s%s: %s (%s)%s\n", col(d, C_YELLOW), demo_t(d, what_key),
			demo_t(d, "ui.unavailable"), why, col(d, C_OFF));
	if (d->html) {
		fputs("<p class=warn>", d->html);
		html_text(d, demo_t(d, what_key));
		fputs(": ", d->html);
		html_text(d, demo_t(d, "ui.unavailable"));
		fputs(" (", d->html);
		html_text(d, why);
		fputs(")</p>\n", d->html);
	}
}

void demo_error(struct demo *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->failed = true;
	if (json_key(d, "error"))
		net_json_string(&d->json, msg);
	fprintf(d->o.diag, "socklab demo %s: %s\n", d->name, msg);
	if (d->out)
		fprintf(d->out, "  %s%s: %s%s\n", col(d, C_RED), demo_t(d, "ui.error"), msg,
			col(d, C_OFF));
	if (d->html) {
		fputs("<p class=err>", d->html);
		html_text(d, msg);
		fputs("</p>\n", d->html);
	}
}

void demo_pre(struct demo *d, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (d->out)
		fprintf(d->out, "  %s\n", line);
	if (d->html) {
		fputs("<pre>", d->html);
		html_text(d, line);
		fputs("</pre>\n", d->html);
	}
}

static int cols(unsigned cp)
{
	return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	       (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	       (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	       (cp >= 0xffe0 && cp <= 0xffe6) ? 2 : 1;
}

const char *demo_pad(char *buf, size_t len, const char *s, int width)
{
	int w = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned cp = *p;
		int extra = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;
		if (extra)
			cp &= 0x3fu >> extra;
		p++;
		for (; extra && (*p & 0xc0) == 0x80; extra--)
			cp = cp << 6 | (*p++ & 0x3f);
		w += cols(cp);
	}
	snprintf(buf, len, "%s%*s", s, width > w ? width - w : 0, "");
	return buf;
}

FILE *demo_chart_stream(struct demo *d)
{
	return d->html;
}

static const char page_head[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width\">\n"
	"<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;"
	"font-size:18px;line-height:1.5;padding:0 1em}"
	"h2{border-bottom:2px solid #0072B2;margin-top:2em}"
	"pre{margin:0;font-size:15px}.v{margin-left:1.5em}.l{color:#555}"
	".good{color:#007a4d;font-weight:bold}.warn{color:#b35900;font-weight:bold}"
	".err{color:#c00}svg{max-width:100%;height:auto;margin:1em 0}</style>\n";

static int write_page(struct demo *d)
{
	FILE *f = fopen(d->o.html, "w");
	if (!f) {
		int e = errno;
		fprintf(d->o.diag, "socklab demo: --html: cannot write %s: %s\n", d->o.html,
			strerror(e));
		return -e;
	}
	fputs(page_head, f);
	fputs("<title>socklab demo ", f);
	fputs(d->name, f);
	fputs("</title></head><body>\n", f);
	fwrite(d->html_buf, 1, d->html_len, f);
	fprintf(f, "<hr><p><small>socklab %s (%s), %s</small></p>\n</body></html>\n",
		SOCKLAB_VERSION, SOCKLAB_GIT, d->root ? "root" : "not root");
	if (fclose(f) != 0) {
		fprintf(d->o.diag, "socklab demo: --html: writing %s: %s\n", d->o.html,
			strerror(errno));
		return -EIO;
	}
	return 0;
}

int demo_end(struct demo *d)
{
	int rc = d->failed ? 1 : 0;
	close_step(d);
	if (d->o.json) {
		fprintf(d->o.out, "{\"demo\":");
		net_json_fputs(d->o.out, d->name);
		fprintf(d->o.out, ",\"lang\":\"%s\",\"quick\":%s,\"root\":%s,\"ok\":%s,\"steps\":[",
		       d->o.lang == DEMO_ZH ? "zh" : "en", d->o.quick ? "true" : "false",
		       d->root ? "true" : "false", d->failed ? "false" : "true");
		fwrite(net_buf_head(&d->json), 1, net_buf_pending(&d->json), d->o.out);
		fprintf(d->o.out, "]}\n");
	}
	if (d->html) {
		fclose(d->html);
		d->html = NULL;
		if (write_page(d) < 0)
			rc = 1;
		else if (d->out)
			fprintf(d->out, "\n%s %s\n", demo_t(d, "ui.html_written"), d->o.html);
	}
	free(d->html_buf);
	d->html_buf = NULL;
	net_buf_free(&d->json);
	fflush(d->o.out);
	return rc;
}
