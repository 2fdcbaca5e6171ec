/*
 * harness/capture/align_flows.c — after al_app_match: the per-direction
 * inputs of every matched flow (the app calls sorted by offset, the
 * message bounds, the captured segments and ACKs) and al_align() over
 * each, giving the flow_align rows and the case's summary (align_app.h).
 * Each log and the capture are walked once for all flows.
 */
#include "harness/capture/align_app.h"
#include "harness/capture/capture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A growable array of one direction's calls or messages. */
struct ops {
	struct al_op *v;
	size_t n, cap;
};

static int ops_push(struct ops *o, struct al_op op)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct al_op *v = realloc(o->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = op;
	return 0;
}

static int cmp_op(const void *a, const void *b)
{
	const struct al_op *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static void ops_sort(struct ops *o)
{
	if (o->n)   /* qsort(NULL, 0, ...) is undefined */
		qsort(o->v, o->n, sizeof(*o->v), cmp_op);
}

static uint64_t ops_end(const struct ops *o)
{
	uint64_t e = 0;
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].off + o->v[i].len > e)
			e = o->v[i].off + o->v[i].len;
	return e;
}

/* One direction of a flow: what al_align() takes. */
struct dir_in {
	struct ops sends, recvs, msgs;
	struct al_seg *segs;
	size_t nsegs;
	struct al_ack *acks;
	size_t nacks;
	const char *bounds;            /* flow_align.msg_bounds */
};

static void dir_free(struct dir_in *d)
{
	free(d->sends.v);
	free(d->recvs.v);
	free(d->msgs.v);
	free(d->segs);
	free(d->acks);
	memset(d, 0, sizeof(*d));
}

static uint64_t to_cap(int64_t t)
{
	return t < 0 ? 0 : (uint64_t)t;
}

/* App operations of every flow, in one pass over the events: dd[f][0] is
 * flow f's c2s, dd[f][1] its s2c. */
static int collect_ops(const struct al_app_case *c, struct dir_in (*dd)[2])
{
	int rc = 0;
	for (size_t i = 0; i < c->nev && rc == 0; i++) {
		const struct al_event *e = &c->ev[i];
		if ((e->kind != AL_EV_SEND && e->kind != AL_EV_RECV) || e->flow == AL_NO_FLOW)
			continue;
		struct al_op op = {.t_ns = to_cap(e->t_ns), .off = e->offset, .len = e->len,
				   .t_call_ns = e->has_call ? to_cap(e->t_call_ns) : AL_T_UNKNOWN};
		/* The client sends c2s and receives s2c; the server the reverse. */
		bool c2s = (e->kind == AL_EV_SEND) == (e->side == AL_SIDE_CLIENT);
		struct dir_in *d = &dd[e->flow][c2s ? 0 : 1];
		rc = ops_push(e->kind == AL_EV_SEND ? &d->sends : &d->recvs, op);
	}
	for (size_t f = 0; f < c->nflows && rc == 0; f++) {
		for (int k = 0; k < 2; k++) {
			ops_sort(&dd[f][k].sends);
			ops_sort(&dd[f][k].recvs);
		}
	}
	return rc;
}

/* Fixed-size messages of msg_len bytes over each direction that carries
 * them (s2c only for an echo). */
static int msgs_by_size(const struct al_app_case *c, struct dir_in *d)
{
	for (int k = 0; k < 2; k++) {
		if (k == 1 && !c->echo)
			break;
		/* The receiver's recvs count too: behind a relay the server's
		 * leg has recvs and no sends, and the relay forwards the
		 * stream's bytes at the same offsets. */
		/* Bounded by the logs: a direction whose bytes would make far
		 * more messages than it had calls (an echo server's log running
		 * on after the client's filled up) keeps one message per send
		 * rather than allocating for them all. */
		uint64_t end = ops_end(&d[k].sends), rend = ops_end(&d[k].recvs);
		if (rend > end)
			end = rend;
		if (end / c->msg_len > 4 * (uint64_t)(d[k].sends.n + d[k].recvs.n) + 1024)
			continue;
		for (uint64_t off = 0; off < end; off += c->msg_len) {
			uint64_t len = end - off < c->msg_len ? end - off : c->msg_len;
			int rc = ops_push(&d[k].msgs, (struct al_op){
				.t_ns = AL_T_UNKNOWN, .t_call_ns = AL_T_UNKNOWN,
				.off = off, .len = (uint32_t)len});
			if (rc < 0)
				return rc;
		}
		d[k].bounds = "size";
	}
	return 0;
}

/* split:K, sizes that vary: K sends (by offset) make one message. */
static int msgs_by_split(const struct al_app_case *c, struct dir_in *d)
{
	const struct ops *cs = &d[0].sends;
	for (size_t i = 0; i < cs->n; i += c->split) {
		size_t j = i + c->split < cs->n ? i + c->split : cs->n;
		uint64_t off = cs->v[i].off, end = cs->v[j - 1].off + cs->v[j - 1].len;
		int rc = ops_push(&d[0].msgs, (struct al_op){
			.t_ns = cs->v[j - 1].t_ns, .t_call_ns = AL_T_UNKNOWN, .off = off,
			.len = (uint32_t)(end - off)});
		if (rc < 0)
			return rc;
	}
	d[0].bounds = "split";
	if (!c->echo)
		return 0;
	uint64_t end = ops_end(&d[1].sends);
	for (size_t i = 0; i < d[0].msgs.n && d[0].msgs.v[i].off < end; i++) {
		struct al_op m = d[0].msgs.v[i];
		if (m.off + m.len > end)
			m.len = (uint32_t)(end - m.off);
		m.t_ns = AL_T_UNKNOWN;
		if (ops_push(&d[1].msgs, m) < 0)
			return -ENOMEM;
	}
	d[1].bounds = "split";
	return 0;
}

/*
 * The message bounds of the flow (docs/analysis.md, "Messages"): from the
 * client's config, cut at the bytes the direction carried. c2s: the
 * requests; s2c: the same bounds when the handler echoes byte for byte,
 * else one message per server send.
 */
static int collect_msgs(const struct al_app_case *c, struct dir_in *d)
{
	d[0].bounds = d[1].bounds = "sends";
	if (c->msg_len)
		return msgs_by_size(c, d);
	return c->split ? msgs_by_split(c, d) : 0;
}

/* The wire's view of the flows: capture idx -> flow row, and the capture
 * side (0 = A) of each flow's client. */
struct wire {
	const struct cap_segrec *sr;
	const struct cap_ackrec *ar;
	size_t ns, na, maxidx;
	uint32_t *row;
	int *cli;
};

static int wire_open(const struct al_app_case *c, struct wire *w)
{
	memset(w, 0, sizeof(*w));
	w->sr = cap_segments(c->cap, &w->ns, NULL);
	w->ar = cap_acks(c->cap, &w->na);
	for (size_t f = 0; f < c->nflows; f++)
		if (c->flows[f].idx > w->maxidx)
			w->maxidx = c->flows[f].idx;
	w->row = malloc((w->maxidx + 1) * sizeof(*w->row));
	w->cli = calloc(c->nflows ? c->nflows : 1, sizeof(*w->cli));
	if (!w->row || !w->cli)
		return -ENOMEM;
	for (size_t i = 0; i <= w->maxidx; i++)
		w->row[i] = AL_NO_FLOW;
	for (size_t f = 0; f < c->nflows; f++) {
		w->row[c->flows[f].idx] = (uint32_t)f;
		const struct cap_flow *cf = cap_flows_get(cap_flows(c->cap), c->flows[f].idx);
		if (cf && cf->port[0] != c->flows[f].cport)
			w->cli[f] = 1;
	}
	return 0;
}

static void wire_close(struct wire *w)
{
	free(w->row);
	free(w->cli);
}

/* One packet (segment i or ACK j) into its flow's directions; pass 0
 * counts, pass 1 fills. */
static void wire_packet(const struct wire *w, struct dir_in (*dd)[2], bool seg, size_t i,
			size_t j, int pass)
{
	uint32_t flow = seg ? w->sr[i].flow : w->ar[j].flow;
	uint32_t f = flow <= w->maxidx ? w->row[flow] : AL_NO_FLOW;
	if (f == AL_NO_FLOW || (seg && w->sr[i].proto != CAP_PROTO_TCP))
		return;
	struct dir_in *d = dd[f];
	/* k: the direction of this packet, 0 = client -> server. */
	int k = (seg ? w->sr[i].s.dir : w->ar[j].dir) == w->cli[f] ? 0 : 1;
	uint64_t ts = seg ? w->sr[i].s.ts_ns : w->ar[j].ts_ns;
	uint32_t rel_ack = seg ? w->sr[i].s.rel_ack : w->ar[j].rel_ack;
	bool has_ack = seg ? (w->sr[i].s.tcp_flags & CAP_TCP_ACK) != 0 : true;
	if (seg && w->sr[i].s.len > 0 && w->sr[i].s.rel_seq >= 1) {
		const struct cap_segrec *s = &w->sr[i];
		if (pass)
			d[k].segs[d[k].nsegs] = (struct al_seg){
				.t_ns = ts, .off = s->s.rel_seq - 1u, .len = s->s.len,
				.retrans = s->s.retrans, .offload = s->offload};
		d[k].nsegs++;
	}
	/* An ACK sent by side k acknowledges the other direction. */
	if (has_ack && rel_ack >= 1) {
		if (pass)
			d[!k].acks[d[!k].nacks] = (struct al_ack){.t_ns = ts, .acked = rel_ack - 1u};
		d[!k].nacks++;
	}
}

static int wire_alloc(size_t nflows, struct dir_in (*dd)[2])
{
	for (size_t f = 0; f < nflows; f++) {
		for (int k = 0; k < 2; k++) {
			struct dir_in *d = &dd[f][k];
			d->segs = malloc((d->nsegs ? d->nsegs : 1) * sizeof(*d->segs));
			d->acks = malloc((d->nacks ? d->nacks : 1) * sizeof(*d->acks));
			d->nsegs = d->nacks = 0;
			if (!d->segs || !d->acks)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Segments of every flow per direction, and the ACK numbers each direction
 * carries (pure ACKs and data segments, merged in capture order), in two
 * passes over the capture: count, then fill. */
static int collect_wire(const struct al_app_case *c, struct dir_in (*dd)[2])
{
	struct wire w;
	int rc = wire_open(c, &w);
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		size_t i = 0, j = 0;
		while (i < w.ns || j < w.na) {
			bool seg = j == w.na || (i < w.ns && w.sr[i].s.ts_ns <= w.ar[j].ts_ns);
			wire_packet(&w, dd, seg, i, j, pass);
			*(seg ? &i : &j) += 1;
		}
		if (!pass)
			rc = wire_alloc(c->nflows, dd);
	}
	wire_close(&w);
	return rc;
}

static void add_counts(struct al_counts *t, const struct al_counts *n)
{
	t->bytes += n->bytes;
	t->sends += n->sends;
	t->segments += n->segments;
	t->recvs += n->recvs;
	t->msgs += n->msgs;
	t->retrans += n->retrans;
	t->coalesced_segments += n->coalesced_segments;
	t->merged_recvs += n->merged_recvs;
	t->sticky_msgs += n->sticky_msgs;
	t->half_msgs += n->half_msgs;
	t->held_sends += n->held_sends;
	for (int k = 0; k < AL_CAUSE__COUNT; k++)
		t->cause[k] += n->cause[k];
	t->unmapped_bytes += n->unmapped_bytes;
}

/* Align direction k of a flow into *row, and add it to the summary. */
static int align_dir(const struct al_app_case *c, struct dir_in *d, int k,
		     struct al_flow_dir *row, struct al_app_totals *tot)
{
	struct al_input in = {
		.segs = d[k].segs, .nsegs = d[k].nsegs,
		.acks = d[k].acks, .nacks = d[k].nacks,
		.sends = d[k].sends.v, .nsends = d[k].sends.n,
		.recvs = d[k].recvs.v, .nrecvs = d[k].recvs.n,
		.msgs = d[k].msgs.n ? d[k].msgs.v : NULL, .nmsgs = d[k].msgs.n,
		.nodelay = k == 0 ? c->nodelay : c->srv_nodelay,
		.cork = k == 0 && c->cork,
		/* s2c is read by the client, whose recv time is its loop's
		 * wake-up: a lower bound of the call's start. */
		.recv_call_bound = k == 1,
	};
	struct al_result r;
	int rc = al_align(&in, &r);
	if (rc < 0)
		return rc;
	row->dir = k;
	row->n = r.n;
	row->msg_bounds = d[k].bounds;
	for (size_t i = 0; i < in.nrecvs; i++)
		if (r.recv[i].nsegs > 1 && in.recvs[i].t_call_ns != AL_T_UNKNOWN) {
			row->have_wait = true;
			if (r.recv[i].wait_ns > row->recv_wait_max_ns)
				row->recv_wait_max_ns = r.recv[i].wait_ns;
		}
	struct al_counts *t = k == 1 ? &tot->s2c
			      : !in.nrecvs ? &tot->c2s_client_leg
			      : !in.nsends ? &tot->c2s_server_leg : &tot->c2s;
	add_counts(t, &r.n);
	al_result_free(&r);
	return 0;
}

/* Align flow f, whose inputs are in d (freed here), appending its rows. */
static int align_flow(const struct al_app_case *c, const struct al_flow *f, struct dir_in *d,
		      struct al_flow_dir *rows, size_t *nrows, struct al_app_totals *tot)
{
	int rc = collect_msgs(c, d);
	bool any = false;
	for (int k = 0; k < 2 && rc == 0; k++) {
		if (!d[k].sends.n && !d[k].recvs.n)
			continue;
		struct al_flow_dir *row = &rows[*nrows];
		*row = (struct al_flow_dir){.flow_id = f->id};
		if ((rc = align_dir(c, d, k, row, tot)) == 0) {
			(*nrows)++;
			any = true;
		}
	}
	if (rc == 0 && any) {
		tot->flows++;
		tot->have = true;
	}
	dir_free(&d[0]);
	dir_free(&d[1]);
	return rc;
}

int al_app_align(const struct al_app_case *c, struct al_flow_dir **dirs, size_t *ndirs,
		 struct al_app_totals *tot)
{
	memset(tot, 0, sizeof(*tot));
	*dirs = NULL;
	*ndirs = 0;
	if (!c->cap || !c->nflows)
		return 0;
	struct dir_in (*dd)[2] = calloc(c->nflows, sizeof(*dd));
	struct al_flow_dir *rows = calloc(2 * c->nflows, sizeof(*rows));
	int rc = dd && rows ? collect_ops(c, dd) : -ENOMEM;
	if (rc == 0)
		rc = collect_wire(c, dd);
	for (size_t i = 0; i < c->nflows && rc == 0; i++)
		rc = align_flow(c, &c->flows[i], dd[i], rows, ndirs, tot);
	for (size_t i = 0; dd && i < c->nflows; i++) {   /* after an error */
		dir_free(&dd[i][0]);
		dir_free(&dd[i][1]);
	}
	free(dd);
	if (rc < 0) {
		free(rows);
		*ndirs = 0;
		return rc;
	}
	*dirs = rows;
	return 0;
}
