/*
 * harness/demo/demo.h — `socklab demo`: classroom walk-throughs, the narration
 * engine shared by the demos (internal to harness/demo*.c).
 *
 * A demo is a list of steps; each step runs real sockets on loopback,
 * measures, and reports what it measured. The engine prints the narration
 * (from the en/zh catalogue in demo_text.c) next to the measured values,
 * keeps every value for the machine-readable --json document, and keeps
 * the whole page for --html. Verdict sentences are chosen by the caller
 * from what was measured (demo_verdict), never printed unconditionally: a
 * step that could not produce its effect says so.
 *
 * Output modes: text on stdout (colour only on a TTY and without
 * --no-color); with --json stdout carries only the JSON document at the
 * end and the narration goes nowhere (the page for --html is still kept).
 */
#ifndef SOCKLAB_HARNESS_DEMO_DEMO_H
#define SOCKLAB_HARNESS_DEMO_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"

enum demo_lang {
	DEMO_EN,
	DEMO_ZH,
};

struct demo_opts {
	enum demo_lang lang;
	bool color;          /* ANSI colour on stdout */
	bool step;           /* pause before each step (only when stdin is a TTY) */
	bool json;           /* stdout: the JSON document only */
	bool quick;          /* smaller counts, for tests */
	const char *html;    /* write the page here; NULL: no page */
	FILE *out;           /* narration, or the JSON with json (the verb's stdout) */
	FILE *diag;          /* one line per error (the verb's stderr) */
};

struct demo {
	struct demo_opts o;
	const char *name;
	FILE *out;           /* narration; NULL with --json */
	FILE *html;          /* the page's body (open_memstream); NULL without --html */
	char *html_buf;
	size_t html_len;
	struct net_buf json; /* the "steps" array being built */
	unsigned nsteps;
	unsigned nvals;      /* values in the current step */
	bool root;           /* euid 0: live capture may work */
	bool failed;         /* a step could not run at all (an error, not a skip) */
	bool quiet;          /* values go to the JSON only (a table shows them) */
	bool intro;          /* text was printed before the first step */
};

/* Translation of a catalogue key for the demo's language; the key itself
 * when it is not in the catalogue. */
const char *demo_t(const struct demo *d, const char *key);

/* Start a demo: title_key is its heading. 0 or -ENOMEM. */
int demo_begin(struct demo *d, const struct demo_opts *o, const char *name, const char *title_key);
/* Close the JSON, print it (--json), write the page (--html). Returns 0,
 * or 1 when a step failed or the page could not be written (the verb's
 * exit code). Frees everything. */
int demo_end(struct demo *d);

/* A new step: id is its JSON name, title_key its heading. Pauses for Enter
 * with --step when stdin is a terminal. */
void demo_step(struct demo *d, const char *id, const char *title_key);
/* A narration paragraph from the catalogue. */
void demo_say(struct demo *d, const char *key);
/* A measured value: printed as "label: value unit" and kept as jkey. unit
 * may be a catalogue key ("u.calls": translated, singular "u.calls.1" for
 * 1) or a plain symbol ("ms"); NULL for none. */
void demo_vali(struct demo *d, const char *jkey, const char *label_key, long long v,
	       const char *unit);
void demo_valf(struct demo *d, const char *jkey, const char *label_key, double v,
	       const char *unit);
void demo_valb(struct demo *d, const char *jkey, const char *label_key, bool v);
void demo_vals(struct demo *d, const char *jkey, const char *label_key, const char *v);
/* While on, demo_val*() only keep their values for --json: for values a
 * demo_pre() table already shows. */
void demo_quiet(struct demo *d, bool on);
/* A verdict line chosen by the caller from what it measured. */
void demo_verdict(struct demo *d, bool good, const char *key);
/* Something this machine could not show: printed, and kept as
 * jkey = "unavailable" plus jkey_reason. */
void demo_unavailable(struct demo *d, const char *jkey, const char *what_key, const char *why);
/* A step failed outright (a socket error): printed, kept as "error". */
void demo_error(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A preformatted line (timelines, tables), printed as is. */
void demo_pre(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s padded with spaces to `width` terminal columns (CJK characters take
 * two), into buf; returns buf. For demo_pre() tables. */
const char *demo_pad(char *buf, size_t len, const char *s, int width);
/* The page's stream for a chart (reports/svg.h writes to it); NULL
 * without --html. */
FILE *demo_chart_stream(struct demo *d);

/* ---- the demos ---- */

int demo_sticky(struct demo *d);
int demo_udp(struct demo *d);
int demo_concurrency(struct demo *d);

/* ---- small socket helpers shared by the demos (demo_net.c) ---- */

/* A TCP listener on 127.0.0.1:0; *port gets its port. fd or -errno. */
int demo_tcp_listen(unsigned *port);
/* A blocking connect to 127.0.0.1:port, TCP_NODELAY as given. fd or -errno. */
int demo_tcp_connect(unsigned port, bool nodelay);
/* Realtime clock in ns (the capture's time base). */
uint64_t demo_real_ns(void);

#endif
