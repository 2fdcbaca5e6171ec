/*
 * harness/capture/align.c — the sticky-packet alignment of one TCP direction: which
 * sends each segment carried, which segments and messages each recv
 * returned, and the cause of every merge (rules in align.h and
 * docs/analysis.md).
 *
 * Everything is a binary search over arrays in stream order (sends, recvs,
 * messages, and the non-retransmitted segments sorted by offset, whose
 * ranges do not overlap since flows.c marks any segment starting below the
 * highest byte already covered as a retransmission) or in time order (the
 * segments as captured, the ACKs). O((S + R + M) log N).
 */
#include "harness/capture/align.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const cause_names[AL_CAUSE__COUNT] = {
	[AL_CAUSE_NONE] = "none",
	[AL_CAUSE_NAGLE] = "nagle",
	[AL_CAUSE_CORK] = "cork",
	[AL_CAUSE_CWND] = "cwnd",
	[AL_CAUSE_OFFLOAD] = "offload",
	[AL_CAUSE_LATE_READER] = "late_reader",
	[AL_CAUSE_BACK_TO_BACK] = "back_to_back",
	[AL_CAUSE_UNKNOWN] = "unknown",
};

const char *al_cause_name(enum al_cause c)
{
	return (unsigned)c < AL_CAUSE__COUNT ? cause_names[c] : "?";
}

static bool seg_counts(const struct al_seg *s)
{
	return !s->retrans && s->len > 0;
}

/* First op (stream order, not overlapping) whose end is above x. */
static size_t op_lower(const struct al_op *ops, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ops[mid].off + ops[mid].len <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Ops overlapping [a, b): indexes [*first, *end) and the count of those
 * with len > 0 (0 when none; empty ops inside the range are not counted but
 * stay inside [*first, *end), so walk that range, not first + count). */
static uint32_t op_overlap(const struct al_op *ops, size_t n, uint64_t a, uint64_t b,
			   uint32_t *first, uint32_t *end)
{
	size_t i = op_lower(ops, n, a), j = i, k = 0;
	*first = (uint32_t)i;
	for (; j < n && ops[j].off < b; j++)
		if (ops[j].len > 0)
			k++;
	*end = (uint32_t)j;
	return (uint32_t)k;
}

struct ctx {
	const struct al_input *in;
	const struct al_op *msgs;
	size_t nmsgs;
	size_t *byoff;          /* counted segments, sorted by offset */
	size_t nbyoff;
	uint64_t *sent_high;    /* prefix max of segment end, capture order */
	uint64_t *acked;        /* prefix max of acked, capture order */
};

struct seg_key {
	uint64_t off, t_ns;
	size_t i;
};

static int cmp_seg_key(const void *a, const void *b)
{
	const struct seg_key *x = a, *y = b;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* First counted segment (by offset) whose end is above x. */
static size_t seg_lower(const struct ctx *c, uint64_t x)
{
	const struct al_seg *s = c->in->segs;
	size_t lo = 0, hi = c->nbyoff;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct al_seg *m = &s[c->byoff[mid]];
		if (m->off + m->len <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Highest stream byte captured (end of a segment) at or before t. */
static uint64_t sent_at(const struct ctx *c, uint64_t t)
{
	size_t lo = 0, hi = c->in->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->in->segs[mid].t_ns <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? c->sent_high[lo - 1] : 0;
}

/* Stream bytes acknowledged at or before t. */
static uint64_t acked_at(const struct ctx *c, uint64_t t)
{
	size_t lo = 0, hi = c->in->nacks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->in->acks[mid].t_ns <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? c->acked[lo - 1] : 0;
}

/* Counted segments captured at or before t whose end is above acked. */
static uint32_t inflight_at(const struct ctx *c, uint64_t t, uint64_t acked, uint64_t below)
{
	uint32_t n = 0;
	for (size_t k = seg_lower(c, acked); k < c->nbyoff; k++) {
		const struct al_seg *s = &c->in->segs[c->byoff[k]];
		if (s->off >= below)
			break;
		if (s->t_ns <= t)
			n++;
	}
	return n;
}

/* Why segment i carries several sends (align.h, "segment"); sends
 * [l->first_send, send_end) overlap it. */
static enum al_cause seg_cause(const struct ctx *c, size_t i, struct al_seg_label *l,
			       uint32_t send_end)
{
	const struct al_input *in = c->in;
	const struct al_seg *s = &in->segs[i];
	if (s->offload || (in->mss && s->len > in->mss))
		return AL_CAUSE_OFFLOAD;
	if (in->cork)
		return AL_CAUSE_CORK;
	/* The hold began when the earliest send with bytes in this segment
	 * returned before the segment left. */
	uint64_t t_h = AL_T_UNKNOWN;
	for (uint32_t k = l->first_send; k < send_end; k++) {
		uint64_t t = in->sends[k].t_ns;
		if (!in->sends[k].len)
			continue;
		if (t != AL_T_UNKNOWN && t < s->t_ns && (t_h == AL_T_UNKNOWN || t < t_h))
			t_h = t;
	}
	if (t_h == AL_T_UNKNOWN || in->nacks == 0)
		return AL_CAUSE_UNKNOWN;
	uint64_t high = sent_at(c, t_h);
	if (high > s->off)
		high = s->off;
	l->acked = acked_at(c, t_h);
	bool unacked = high > l->acked;
	if (unacked)
		l->inflight_segs = inflight_at(c, t_h, l->acked, high);
	/* Nagle and a full congestion window both release on an ACK; a hold
	 * that ended without one was the sender's own queue (autocork, TSQ). */
	if (!unacked || acked_at(c, s->t_ns) <= l->acked)
		return AL_CAUSE_CORK;
	return in->nodelay ? AL_CAUSE_CWND : AL_CAUSE_NAGLE;
}

/* Why recv r returned several segments or messages (align.h, "recv"). */
static enum al_cause recv_cause(const struct ctx *c, struct al_recv_label *l,
				const struct al_op *r, const struct al_result *out)
{
	const struct al_input *in = c->in;
	if (l->nsegs == 1) {
		enum al_cause sc = out->seg[l->first_seg].cause;
		if (in->segs[l->first_seg].offload)
			return AL_CAUSE_OFFLOAD;
		return sc == AL_CAUSE_NONE ? AL_CAUSE_UNKNOWN : sc;
	}
	if (l->nsegs == 0 || r->t_call_ns == AL_T_UNKNOWN)
		return AL_CAUSE_UNKNOWN;
	size_t k = seg_lower(c, r->off), queued = 0;
	uint64_t first = AL_T_UNKNOWN;    /* the earliest segment queued at t_call */
	for (; k < c->nbyoff; k++) {
		const struct al_seg *s = &in->segs[c->byoff[k]];
		if (s->off >= r->off + r->len)
			break;
		if (s->t_ns <= r->t_call_ns) {
			queued++;
			if (first == AL_T_UNKNOWN || s->t_ns < first)
				first = s->t_ns;
		}
	}
	if (first != AL_T_UNKNOWN)
		l->wait_ns = r->t_call_ns - first;
	uint64_t late = in->late_ns ? in->late_ns : AL_LATE_NS;
	if (queued >= 2 && l->wait_ns >= late)
		return AL_CAUSE_LATE_READER;
	return in->recv_call_bound ? AL_CAUSE_UNKNOWN : AL_CAUSE_BACK_TO_BACK;
}

static int ctx_init(struct ctx *c, const struct al_input *in)
{
	memset(c, 0, sizeof *c);
	c->in = in;
	c->msgs = in->msgs ? in->msgs : in->sends;
	c->nmsgs = in->msgs ? in->nmsgs : in->nsends;
	size_t ns = in->nsegs ? in->nsegs : 1;
	struct seg_key *keys = malloc(ns * sizeof *keys);
	c->byoff = malloc(ns * sizeof *c->byoff);
	c->sent_high = malloc(ns * sizeof *c->sent_high);
	c->acked = malloc((in->nacks ? in->nacks : 1) * sizeof *c->acked);
	if (!keys || !c->byoff || !c->sent_high || !c->acked) {
		free(keys);
		return -ENOMEM;
	}
	uint64_t hi = 0;
	for (size_t i = 0; i < in->nsegs; i++) {
		const struct al_seg *s = &in->segs[i];
		if (s->len && s->off + s->len > hi)
			hi = s->off + s->len;
		c->sent_high[i] = hi;
		if (seg_counts(s))
			keys[c->nbyoff++] = (struct seg_key){s->off, s->t_ns, i};
	}
	qsort(keys, c->nbyoff, sizeof *keys, cmp_seg_key);
	for (size_t k = 0; k < c->nbyoff; k++)
		c->byoff[k] = keys[k].i;
	free(keys);
	uint64_t a = 0;
	for (size_t i = 0; i < in->nacks; i++) {
		if (in->acks[i].acked > a)
			a = in->acks[i].acked;
		c->acked[i] = a;
	}
	return 0;
}

static void ctx_free(struct ctx *c)
{
	free(c->byoff);
	free(c->sent_high);
	free(c->acked);
}

static void align_segments(struct ctx *c, struct al_result *out)
{
	const struct al_input *in = c->in;
	for (size_t i = 0; i < in->nsegs; i++) {
		const struct al_seg *s = &in->segs[i];
		struct al_seg_label *l = &out->seg[i];
		if (!seg_counts(s)) {
			if (s->retrans && s->len)
				out->n.retrans++;
			continue;
		}
		out->n.segments++;
		uint32_t send_end;
		l->nsends = op_overlap(in->sends, in->nsends, s->off, s->off + s->len,
				       &l->first_send, &send_end);
		if (l->nsends > 1) {
			out->n.coalesced_segments++;
			l->cause = seg_cause(c, i, l, send_end);
			out->n.cause[l->cause]++;
		}
	}
	/* Held sends, and the bytes no segment (retransmissions included)
	 * covered: walk the sends against the sorted counted segments. */
	for (size_t k = 0; k < in->nsends; k++) {
		const struct al_op *o = &in->sends[k];
		if (!o->len)
			continue;
		out->n.sends++;
		out->n.bytes += o->len;
		uint64_t covered = 0;
		for (size_t j = seg_lower(c, o->off); j < c->nbyoff; j++) {
			const struct al_seg *s = &in->segs[c->byoff[j]];
			if (s->off >= o->off + o->len)
				break;
			uint64_t a = s->off > o->off ? s->off : o->off;
			uint64_t b = s->off + s->len < o->off + o->len ? s->off + s->len
								       : o->off + o->len;
			covered += b - a;
			if (s->off <= o->off && o->t_ns != AL_T_UNKNOWN && s->t_ns > o->t_ns)
				out->n.held_sends++;
		}
		out->n.unmapped_bytes += o->len - (covered > o->len ? o->len : covered);
	}
}

static void align_recvs(struct ctx *c, struct al_result *out)
{
	const struct al_input *in = c->in;
	for (size_t i = 0; i < in->nrecvs; i++) {
		const struct al_op *r = &in->recvs[i];
		struct al_recv_label *l = &out->recv[i];
		if (!r->len)
			continue;
		out->n.recvs++;
		size_t j = seg_lower(c, r->off);
		l->first_seg = j < c->nbyoff ? (uint32_t)c->byoff[j] : 0;
		for (; j < c->nbyoff && in->segs[c->byoff[j]].off < r->off + r->len; j++)
			l->nsegs++;
		uint32_t msg_end;
		l->nmsgs = op_overlap(c->msgs, c->nmsgs, r->off, r->off + r->len, &l->first_msg,
				      &msg_end);
		if (l->nsegs > 1)
			out->n.merged_recvs++;
		if (l->nsegs > 1 || l->nmsgs > 1) {
			l->cause = recv_cause(c, l, r, out);
			out->n.cause[l->cause]++;
		}
	}
	for (size_t m = 0; m < c->nmsgs; m++) {
		const struct al_op *o = &c->msgs[m];
		struct al_msg_label *l = &out->msg[m];
		if (!o->len)
			continue;
		out->n.msgs++;
		uint32_t recv_end;
		l->nrecvs = op_overlap(in->recvs, in->nrecvs, o->off, o->off + o->len,
				       &l->first_recv, &recv_end);
		for (uint32_t k = l->first_recv; k < recv_end; k++)
			if (out->recv[k].nmsgs > 1)
				l->sticky = true;
		l->half = l->nrecvs > 1;
		out->n.sticky_msgs += l->sticky;
		out->n.half_msgs += l->half;
	}
}

int al_align(const struct al_input *in, struct al_result *out)
{
	memset(out, 0, sizeof *out);
	struct ctx c;
	memset(&c, 0, sizeof c);
	size_t nmsgs = in->msgs ? in->nmsgs : in->nsends;
	out->seg = calloc(in->nsegs ? in->nsegs : 1, sizeof *out->seg);
	out->recv = calloc(in->nrecvs ? in->nrecvs : 1, sizeof *out->recv);
	out->msg = calloc(nmsgs ? nmsgs : 1, sizeof *out->msg);
	if (!out->seg || !out->recv || !out->msg || ctx_init(&c, in) < 0) {
		ctx_free(&c);
		al_result_free(out);
		return -ENOMEM;
	}
	align_segments(&c, out);
	align_recvs(&c, out);
	ctx_free(&c);
	return 0;
}

void al_result_free(struct al_result *r)
{
	free(r->seg);
	free(r->recv);
	free(r->msg);
	memset(r, 0, sizeof *r);
}
