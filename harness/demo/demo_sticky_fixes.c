/*
 * harness/demo/demo_sticky_fixes.c — step 4 of `socklab demo sticky`: the seeds'
 * fixes for sticky packets, each run with the same messages and judged
 * (every message intact or not, the sender's time, reads that ended inside
 * a message), the last ones through a relay that splits the stream.
 */
#include "harness/demo/demo_sticky.h"

#include "reports/svg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fix {
	const char *id, *label_key;
	enum st_write w;
	enum st_read r;
	bool late;
	const char *chunks;
};

int st_step_fixes(struct demo *d, unsigned n)
{
	uint64_t nap = d->o.quick ? 10000000ull : 50000000ull;
	const struct fix fx[] = {
		{"none", "st.fix.none", W_PLAIN, R_NAIVE, true, NULL},
		{"sleep", "st.fix.sleep", W_SLEEP, R_NAIVE, false, NULL},
		{"sleep_late", "st.fix.sleep_late", W_SLEEP, R_NAIVE, true, NULL},
		{"ack", "st.fix.ack", W_ACK, R_NAIVE, false, NULL},
		{"delim", "st.fix.delim", W_DELIM, R_DELIM, true, NULL},
		{"length", "st.fix.length", W_LENGTH, R_LENGTH, true, NULL},
		{"naive_relay", "st.fix.naive_relay", W_PLAIN, R_NAIVE, false, "3,5,2,7,1,11"},
		{"length_relay", "st.fix.length_relay", W_LENGTH, R_LENGTH, false, "3,5,2,7,1,11"},
	};
	struct st_run *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	demo_step(d, "fixes", "st.s4");
	demo_say(d, "st.s4.say");
	enum { NFX = sizeof(fx) / sizeof(fx[0]) };
	char h0[96], h1[64], h2[64], h3[64];
	demo_pre(d, "%s %s %s %s %s", demo_pad(h0, sizeof(h0), demo_t(d, "st.col_fix"), 34),
		 demo_pad(h1, sizeof(h1), demo_t(d, "st.col_intact"), 9),
		 demo_pad(h2, sizeof(h2), demo_t(d, "st.col_time"), 13),
		 demo_pad(h3, sizeof(h3), demo_t(d, "st.col_split"), 11), demo_t(d, "st.col_ok"));
	double y_time[NFX];
	const char *cats[NFX];
	bool ok_of[NFX], ran[NFX];
	unsigned split_of[NFX];
	for (size_t i = 0; i < NFX; i++) {
		memset(r, 0, sizeof(*r));
		r->n = n;
		r->w = fx[i].w;
		r->r = fx[i].r;
		r->sleep_ns = nap;
		/* Late by 2.5 naps when the writer sleeps: three messages are
		 * then waiting, whatever the scheduling jitter. */
		r->reader_delay_ns = !fx[i].late	   ? 0
				     : fx[i].w == W_SLEEP ? nap * 5 / 2
							  : ST_LATE_NS;
		r->chunks = fx[i].chunks;
		st_run(r);
		char k[64];
		/* The chart's categories are the ASCII ids: svg.c wraps labels by
		 * bytes and would cut a Chinese label inside a character. */
		cats[i] = fx[i].id;
		y_time[i] = NAN;
		ran[i] = ok_of[i] = false;
		split_of[i] = 0;
		if (!st_run_ok(d, r))
			continue;
		bool ok = r->intact == r->n;
		y_time[i] = (double)r->sender_ns / 1e6;
		ran[i] = true;
		ok_of[i] = ok;
		split_of[i] = r->split_reads;
		demo_pre(d, "%s %4u/%-3u %9.2f ms %8u    %s",
			 demo_pad(h0, sizeof(h0), demo_t(d, fx[i].label_key), 34), r->intact, r->n,
			 (double)r->sender_ns / 1e6, r->split_reads,
			 demo_t(d, ok ? "ui.yes" : "ui.no"));
		demo_quiet(d, true);
		snprintf(k, sizeof(k), "%s_intact", fx[i].id);
		demo_vali(d, k, "st.col_intact", r->intact, NULL);
		snprintf(k, sizeof(k), "%s_ok", fx[i].id);
		demo_valb(d, k, "st.all_intact", ok);
		snprintf(k, sizeof(k), "%s_sender_ms", fx[i].id);
		demo_valf(d, k, "st.col_time", (double)r->sender_ns / 1e6, "ms");
		snprintf(k, sizeof(k), "%s_split_reads", fx[i].id);
		demo_vali(d, k, "st.col_split", r->split_reads, NULL);
		if (fx[i].chunks) {
			snprintf(k, sizeof(k), "%s_relay_writes", fx[i].id);
			demo_vali(d, k, "st.relay_writes", r->relay_writes, NULL);
		}
		demo_quiet(d, false);
	}
	demo_vali(d, "messages", "st.messages", n, "u.msgs");
	FILE *f = demo_chart_stream(d);
	if (f) {
		/* Log scale: the sleeps take hundreds of ms, the framed
		 * fixes a tenth of one; on a linear axis those bars vanish. */
		struct svg_series s = {.name = demo_t(d, "st.col_time"), .y = y_time, .n = NFX};
		struct svg_chart c = {.title = demo_t(d, "st.s4"), .y_label = demo_t(d, "st.y_ms_log"),
				      .y_log = true};
		svg_bar_chart(f, &c, cats, s.n, &s, 1);
	}
	/* The closing sentence only when the table says it: fx[] order is
	 * none, sleep, sleep_late, ack, delim, length, naive_relay, length_relay. */
	bool all_ran = true;
	for (size_t i = 0; i < NFX; i++)
		all_ran = all_ran && ran[i];
	bool story = all_ran && !ok_of[0] && ok_of[1] && !ok_of[2] && ok_of[3] && ok_of[4] &&
		     ok_of[5] && !ok_of[6] && ok_of[7];
	demo_verdict(d, story, story ? "st.s4.end" : "st.s4.odd");
	if (ran[7] && ok_of[7])
		demo_verdict(d, split_of[7] > 0, split_of[7] > 0 ? "st.s4.half" : "st.s4.nohalf");
	free(r);
	return 0;
}
