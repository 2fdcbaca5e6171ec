/*
 * harness/demo/demo_sticky.c — `socklab demo sticky`: TCP sticky packets (粘包)
 * and half packets (半包), measured. Steps 1-3 and how a run is shown; the
 * measuring run is in demo_sticky_run.c, step 4 (the fixes) in
 * demo_sticky_fixes.c (see demo_sticky.h).
 */
#include "harness/demo/demo_sticky.h"

#include "reports/svg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- showing a run ---- */

/* Microseconds from t0 to t (negative if t is earlier: clocks of the
 * capture and the app are both CLOCK_REALTIME, but never trust a subtraction
 * of unsigned times). */
static double us_since(uint64_t t, uint64_t t0)
{
	return ((double)(int64_t)(t - t0)) / 1000.0;
}

/* When an event of lane a happened: a send when its call began, the
 * others when they were seen. */
static uint64_t ev_time(size_t lane, const struct st_ev *e)
{
	return lane == 0 ? e->call : e->ts;
}

/* The three lanes, merged by time: app sends | wire segments | app recvs. */
static void timeline(struct demo *d, const struct st_run *r)
{
	size_t i = 0, j = 0, k = 0;
	char p0[64], p1[64], p2[64];
	demo_pre(d, "%s  %s %s %s", demo_pad(p0, sizeof(p0), demo_t(d, "st.tl_time"), 10),
		 demo_pad(p1, sizeof(p1), demo_t(d, "st.tl_send"), 18),
		 demo_pad(p2, sizeof(p2), demo_t(d, "st.tl_wire"), 18), demo_t(d, "st.tl_recv"));
	while (i < r->n || j < r->nseg || k < r->nrecv) {
		uint64_t ti = i < r->n ? r->sends[i].call : UINT64_MAX;
		uint64_t tj = j < r->nseg ? r->segs[j].ts : UINT64_MAX;
		uint64_t tk = k < r->nrecv ? r->recvs[k].ts : UINT64_MAX;
		char cell[64];
		if (ti <= tj && ti <= tk) {
			snprintf(cell, sizeof(cell), "send %zuB", r->sends[i].hi - r->sends[i].lo);
			demo_pre(d, "%10.1f  %s", us_since(ti, r->t0), cell);
			i++;
		} else if (tj <= tk) {
			snprintf(cell, sizeof(cell), "seg %zuB", r->segs[j].hi - r->segs[j].lo);
			demo_pre(d, "%10.1f  %-18s %s", us_since(tj, r->t0), "", cell);
			j++;
		} else {
			snprintf(cell, sizeof(cell), "recv %zuB", r->recvs[k].hi - r->recvs[k].lo);
			demo_pre(d, "%10.1f  %-18s %-18s %s", us_since(tk, r->t0), "", "", cell);
			k++;
		}
	}
}

#define ST_MAXEV (ST_MAXRECV > ST_MAXSEG ? ST_MAXRECV : ST_MAXSEG)

/* One timeline chart of the events at or before `until` µs (every event
 * when until is negative). */
static void chart_window(struct demo *d, const struct st_run *r, const char *title,
			 double until)
{
	struct svg_span s[3][ST_MAXEV > ST_MAXMSG ? ST_MAXEV : ST_MAXMSG];
	struct svg_lane l[3];
	const struct st_ev *ev[3] = {r->sends, r->segs, r->recvs};
	size_t n[3] = {r->n, r->nseg, r->nrecv};
	const char *names[3] = {"st.tl_send", "st.tl_wire", "st.tl_recv"};
	size_t nl = 0;
	for (size_t a = 0; a < 3; a++) {
		size_t m = 0;
		if (n[a] == 0)
			continue;   /* no capture: no wire lane */
		for (size_t i = 0; i < n[a]; i++) {
			double t = us_since(ev_time(a, &ev[a][i]), r->t0);
			if (until < 0 || t <= until)
				s[nl][m++] = (struct svg_span){t, (double)ev[a][i].lo,
							       (double)ev[a][i].hi};
		}
		l[nl] = (struct svg_lane){demo_t(d, names[a]), s[nl], m};
		nl++;
	}
	struct svg_chart c = {.title = title, .x_label = demo_t(d, "st.x_time"),
			      .y_label = demo_t(d, "st.y_offset"), .y_from_zero = true};
	svg_timeline(demo_chart_stream(d), &c, l, nl);
}

/* The run as a timeline chart. When the reader came much later than the
 * sends (the 50 ms wait), the sends and segments would be squeezed into
 * one bar at the left: a first chart then zooms on them, and the second
 * shows the whole run with the late recv. */
static void chart(struct demo *d, const struct st_run *r, const char *title_key)
{
	if (!demo_chart_stream(d))
		return;
	double burst = 0, all = 0;
	const struct st_ev *ev[3] = {r->sends, r->segs, r->recvs};
	size_t n[3] = {r->n, r->nseg, r->nrecv};
	for (size_t a = 0; a < 3; a++)
		for (size_t i = 0; i < n[a]; i++) {
			double t = us_since(ev_time(a, &ev[a][i]), r->t0);
			if (a < 2 && t > burst)
				burst = t;
			if (t > all)
				all = t;
		}
	if (burst > 0 && all > 10 * burst) {
		char title[256];
		snprintf(title, sizeof(title), "%s%s", demo_t(d, title_key),
			 demo_t(d, "st.zoom_sends"));
		chart_window(d, r, title, burst * 1.1);
		snprintf(title, sizeof(title), "%s%s", demo_t(d, title_key),
			 demo_t(d, "st.zoom_all"));
		chart_window(d, r, title, -1);
		return;
	}
	chart_window(d, r, demo_t(d, title_key), -1);
}

static void show_wire(struct demo *d, const char *prefix, const struct st_run *r)
{
	char k[64];
	snprintf(k, sizeof(k), "%swire_segments", prefix);
	if (r->data_segs >= 0)
		demo_vali(d, k, "st.wire_segments", r->data_segs, "u.segments");
	else
		demo_unavailable(d, k, "st.wire_segments", "TCP_INFO has no tcpi_data_segs_out");
	snprintf(k, sizeof(k), "%scaptured_segments", prefix);
	if (r->cap_rc == 0)
		demo_vali(d, k, "st.captured_segments", (long long)r->nseg, "u.segments");
	else
		demo_unavailable(d, k, "st.captured_segments", r->cap_why);
}

/* What harness/capture/align.h concluded from the capture, or why it could not. */
static void show_align(struct demo *d, const struct st_run *r)
{
	if (!r->aligned) {
		demo_unavailable(d, "align", "st.align", r->cap_rc ? r->cap_why : "alignment failed");
		return;
	}
	demo_vali(d, "align_coalesced_segments", "st.al_coalesced",
		  (long long)r->al.coalesced_segments, "u.segments");
	demo_vali(d, "align_merged_recvs", "st.al_merged", (long long)r->al.merged_recvs,
		  "u.calls");
	demo_vali(d, "align_sticky_msgs", "st.al_sticky", (long long)r->al.sticky_msgs,
		  "u.msgs");
	demo_vali(d, "align_cause_nagle", "st.al_nagle", (long long)r->al.cause[AL_CAUSE_NAGLE],
		  NULL);
	demo_vali(d, "align_cause_late_reader", "st.al_late",
		  (long long)r->al.cause[AL_CAUSE_LATE_READER], NULL);
	demo_vali(d, "align_cause_unknown", "st.al_unknown",
		  (long long)r->al.cause[AL_CAUSE_UNKNOWN], NULL);
}

bool st_run_ok(struct demo *d, const struct st_run *r)
{
	if (r->err == 0)
		return true;
	demo_error(d, "%s", r->errmsg);
	return false;
}

static int step_glued(struct demo *d, unsigned n)
{
	struct st_run *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	demo_step(d, "glued", "st.s1");
	demo_say(d, "st.s1.say");
	*r = (struct st_run){.n = n, .reader_delay_ns = ST_LATE_NS, .capture = true};
	st_run(r);
	if (st_run_ok(d, r)) {
		demo_vali(d, "sends", "st.sends", r->n, "u.calls");
		show_wire(d, "", r);
		demo_vali(d, "recvs", "st.recvs", (long long)r->nrecv, "u.calls");
		demo_vali(d, "first_recv_bytes", "st.first_recv_bytes",
			  r->nrecv ? (long long)(r->recvs[0].hi - r->recvs[0].lo) : 0,
			  "u.bytes");
		demo_vali(d, "first_recv_msgs", "st.first_recv_msgs", r->first_recv_msgs,
			  "u.msgs");
		demo_valb(d, "glued", "st.glued", r->first_recv_msgs > 1);
		show_align(d, r);
		timeline(d, r);
		chart(d, r, "st.s1");
		demo_verdict(d, r->first_recv_msgs > 1,
			     r->first_recv_msgs > 1 ? "st.s1.glued" : "st.s1.notglued");
	}
	free(r);
	return 0;
}

static int step_why(struct demo *d, unsigned n)
{
	struct st_run *a = calloc(2, sizeof(*a));
	if (!a)
		return -ENOMEM;
	struct st_run *b = a + 1;
	demo_step(d, "why", "st.s2");
	demo_say(d, "st.s2.say");
	a[0] = (struct st_run){.n = n, .capture = true};
	st_run(a);
	*b = (struct st_run){.n = n, .nodelay = true, .capture = true};
	st_run(b);
	if (st_run_ok(d, a) && st_run_ok(d, b)) {
		demo_vali(d, "sends", "st.sends", n, "u.calls");
		demo_say(d, "st.s2.nagle");
		show_wire(d, "nagle_", a);
		if (a->aligned)
			demo_vali(d, "nagle_align_coalesced_segments", "st.al_coalesced",
				  (long long)a->al.coalesced_segments, "u.segments");
		demo_vali(d, "nagle_recvs", "st.recvs", (long long)a->nrecv, "u.calls");
		demo_say(d, "st.s2.nodelay");
		show_wire(d, "nodelay_", b);
		demo_vali(d, "nodelay_recvs", "st.recvs", (long long)b->nrecv, "u.calls");
		chart(d, a, "st.s2.chart");
		bool coalesced = a->data_segs >= 0 && a->data_segs < (long long)n;
		bool separate = b->data_segs == (long long)n;
		demo_valb(d, "sender_coalesced", "st.sender_coalesced", coalesced);
		demo_valb(d, "nodelay_segment_per_send", "st.nodelay_separate", separate);
		demo_verdict(d, coalesced, coalesced ? "st.s2.coalesced" : "st.s2.notcoalesced");
		/* Even a reader already waiting in recv() may find several
		 * segments queued when it wakes up. */
		if (b->nrecv < n)
			demo_verdict(d, true, "st.s2.behind");
	}
	free(a);
	return 0;
}

static int step_nodelay(struct demo *d, unsigned n)
{
	struct st_run *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	demo_step(d, "nodelay_late", "st.s3");
	demo_say(d, "st.s3.say");
	*r = (struct st_run){.n = n, .nodelay = true, .reader_delay_ns = ST_LATE_NS,
			     .capture = true};
	st_run(r);
	if (st_run_ok(d, r)) {
		demo_vali(d, "sends", "st.sends", r->n, "u.calls");
		show_wire(d, "", r);
		demo_vali(d, "recvs", "st.recvs", (long long)r->nrecv, "u.calls");
		demo_vali(d, "max_msgs_per_recv", "st.max_per_recv", r->max_per_recv,
			  "u.msgs");
		bool glued = r->max_per_recv > 1;
		demo_valb(d, "glued", "st.glued", glued);
		show_align(d, r);
		timeline(d, r);
		chart(d, r, "st.s3");
		demo_verdict(d, glued, glued ? "st.s3.glued" : "st.s3.notglued");
	}
	free(r);
	return 0;
}

int demo_sticky(struct demo *d)
{
	unsigned n = d->o.quick ? 5 : 10;
	if (!d->root)
		demo_say(d, "st.noroot");
	if (step_glued(d, n) < 0 || step_why(d, 20) < 0 ||
	    step_nodelay(d, n) < 0 || st_step_fixes(d, n) < 0) {
		demo_error(d, "out of memory");
		return -ENOMEM;
	}
	return 0;
}
