/*
 * tests/fuzz/fuzz_applog.c — libFuzzer target for the server's app log
 * reader (net/applog.h, srv_applog_parse) and what the runner does with
 * its records (harness/capture/align_app.h: turned into events and matched
 * to flows; sends and recvs sorted by offset, fed to
 * harness/capture/align.h). The log is a file on disk that a crashed, killed or
 * full-disk server may leave torn or truncated, so the reader must take any
 * bytes.
 *
 * The input is the log's bytes. Checks (a violation is __builtin_trap()):
 * every record returned is valid (magic, kind in 1..5, its check);
 * records plus skipped bytes account for the input exactly (records are
 * 64 bytes each); -EPROTO only when nothing was found. The records become
 * events (al_events_from_applog) matched to flows made from their own
 * ports (al_app_match): every flow index in range, the flow's id beside
 * it. Then the records'
 * sends and recvs, whatever their offsets and lengths (overlapping,
 * wrapping past 2^64, zero), and one segment per send with the send's
 * times, go through al_align() with and without explicit message bounds;
 * its labels must stay inside the arrays and its counts inside the inputs.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/capture/align.h"
#include "harness/capture/align_app.h"
#include "net/applog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static int cmp_op(const void *a, const void *b)
{
	const struct al_op *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static void check_result(const struct al_input *in, const struct al_result *r, size_t nmsgs)
{
	CHECK(r->n.sends <= in->nsends && r->n.recvs <= in->nrecvs);
	CHECK(r->n.segments + r->n.retrans <= in->nsegs);
	CHECK(r->n.msgs <= nmsgs);
	CHECK(r->n.sticky_msgs <= r->n.msgs && r->n.half_msgs <= r->n.msgs);
	CHECK(r->n.coalesced_segments <= r->n.segments);
	CHECK(r->n.merged_recvs <= r->n.recvs);
	for (size_t i = 0; i < in->nsegs; i++) {
		CHECK((size_t)r->seg[i].first_send + r->seg[i].nsends <= in->nsends ||
		      r->seg[i].nsends == 0);
		CHECK(r->seg[i].cause < AL_CAUSE__COUNT);
	}
	for (size_t i = 0; i < in->nrecvs; i++) {
		CHECK(r->recv[i].nsegs == 0 || r->recv[i].first_seg < in->nsegs);
		CHECK((size_t)r->recv[i].first_msg + r->recv[i].nmsgs <= nmsgs ||
		      r->recv[i].nmsgs == 0);
		CHECK(r->recv[i].cause < AL_CAUSE__COUNT);
	}
	for (size_t i = 0; i < nmsgs; i++)
		CHECK((size_t)r->msg[i].first_recv + r->msg[i].nrecvs <= in->nrecvs ||
		      r->msg[i].nrecvs == 0);
}

/* Events of the records matched to one flow per record's port pair (every
 * other one left out), with a base taken from the first record. */
static void check_match(const struct srv_al_rec *rec, size_t n)
{
	struct al_event *ev = malloc((n ? n : 1) * sizeof(*ev));
	struct al_flow *fl = malloc((n ? n : 1) * sizeof(*fl));
	size_t nf = 0;
	if (!ev || !fl)
		goto out;
	int64_t base = n ? (int64_t)rec[0].t_call_ns : 0;
	size_t nev = al_events_from_applog(rec, n, base, ev);
	CHECK(nev <= n);
	for (size_t i = 0; i < n; i += 2, nf++)
		fl[nf] = (struct al_flow){.id = 1000 + (int64_t)nf, .idx = (uint32_t)nf,
					  .cport = rec[i].rport, .sport = rec[i].lport};
	struct al_app_case c = {.flows = fl, .nflows = nf, .ev = ev, .nev = nev,
				.target_port = n ? rec[0].lport : 0};
	uint64_t unmatched = 0;
	if (al_app_match(&c, &unmatched) < 0)
		goto out;
	CHECK(unmatched == 0);   /* no capture: nothing is counted */
	for (size_t i = 0; i < nev; i++) {
		CHECK(ev[i].side == AL_SIDE_SERVER && ev[i].kind <= AL_EV_SAMPLE);
		CHECK(ev[i].flow == AL_NO_FLOW ? ev[i].flow_id == -1
		      : ev[i].flow < nf && ev[i].flow_id == fl[ev[i].flow].id);
	}
out:
	free(ev);
	free(fl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srv_al_rec *rec = NULL;
	size_t n = 0, skipped = 0;
	int rc = srv_applog_parse(data, size, &rec, &n, &skipped);
	if (rc == -ENOMEM)
		return 0;
	if (rc < 0) {
		CHECK(rc == -EPROTO && size > 0 && rec == NULL && n == 0);
		return 0;
	}
	CHECK(n * sizeof(struct srv_al_rec) + skipped == size);
	check_match(rec, n);
	struct al_op *snd = malloc((n ? n : 1) * sizeof(*snd));
	struct al_op *rcv = malloc((n ? n : 1) * sizeof(*rcv));
	struct al_op *msg = malloc((n ? n : 1) * sizeof(*msg));
	struct al_seg *seg = malloc((n ? n : 1) * sizeof(*seg));
	struct al_ack *ack = malloc((n ? n : 1) * sizeof(*ack));
	size_t ns = 0, nr = 0, nm = 0, ng = 0, na = 0;
	if (!snd || !rcv || !msg || !seg || !ack)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct srv_al_rec *r = &rec[i];
		CHECK(srv_al_rec_valid(r));
		struct al_op op = {.t_ns = r->t_ns, .t_call_ns = r->t_call_ns, .off = r->offset,
				   .len = r->len};
		if (r->kind == SRV_AL_SEND) {
			snd[ns++] = op;
			/* A segment per send, captured when the call began, its
			 * ACK when it returned; every other one a retransmission. */
			seg[ng++] = (struct al_seg){.t_ns = r->t_call_ns, .off = r->offset,
						    .len = r->len, .retrans = (i & 1) != 0,
						    .offload = r->rx_queue == 7};
			ack[na++] = (struct al_ack){.t_ns = r->t_ns, .acked = r->offset};
		} else if (r->kind == SRV_AL_RECV) {
			rcv[nr++] = op;
		} else if (r->kind == SRV_AL_SAMPLE) {
			msg[nm++] = (struct al_op){.t_ns = r->t_ns, .t_call_ns = AL_T_UNKNOWN,
						   .off = r->tx_queue, .len = r->cwnd};
		}
	}
	/* The runner sorts sends and recvs by offset; segments and ACKs are in
	 * capture order there, here in whatever order the bytes say. */
	if (ns)
		qsort(snd, ns, sizeof(*snd), cmp_op);
	if (nr)
		qsort(rcv, nr, sizeof(*rcv), cmp_op);
	if (nm)
		qsort(msg, nm, sizeof(*msg), cmp_op);
	for (int pass = 0; pass < 2; pass++) {
		struct al_input in = {.segs = seg, .nsegs = ng, .acks = ack, .nacks = na,
				      .sends = snd, .nsends = ns, .recvs = rcv, .nrecvs = nr,
				      .msgs = pass ? msg : NULL, .nmsgs = pass ? nm : 0,
				      .mss = size & 1 ? 0 : 16, .nodelay = (size & 2) != 0,
				      .cork = (size & 4) != 0, .recv_call_bound = (size & 8) != 0,
				      .late_ns = size & 16 ? 1000 : 0};
		struct al_result res;
		if (al_align(&in, &res) < 0)
			continue;
		check_result(&in, &res, pass ? nm : ns);
		al_result_free(&res);
	}
out:
	free(snd);
	free(rcv);
	free(msg);
	free(seg);
	free(ack);
	free(rec);
	return 0;
}
