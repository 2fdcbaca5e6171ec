/*
 * tests/unit/test_align.c — the sticky-packet alignment (harness/capture/align.h)
 * on synthetic timelines, one test per rule: Nagle (held while earlier
 * bytes were unacknowledged, released by an ACK, TCP_NODELAY off), cwnd
 * (the same with TCP_NODELAY on), cork (TCP_CORK, nothing unacknowledged,
 * or no ACK before the release), offload
 * (the capture's mark or a segment above the MSS), unknown (no ACKs), the
 * late reader (several segments captured before the recv began, the first
 * at least 1 ms before) against back to back (they waited less, or arrived
 * while it ran; unknown when the call's start is only a lower bound), a
 * recv of one coalesced segment
 * taking the sender's cause, half messages, explicit message bounds,
 * retransmissions and unmapped bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <string.h>

#include "harness/capture/align.h"

#define US 1000ull
#define NA AL_T_UNKNOWN

/* n sends of len bytes each, returning at t0, t0 + dt, ... */
static void mk_sends(struct al_op *o, size_t n, uint32_t len, uint64_t t0, uint64_t dt)
{
	for (size_t i = 0; i < n; i++)
		o[i] = (struct al_op){.t_ns = t0 + i * dt, .t_call_ns = NA, .off = i * len,
				      .len = len};
}

static struct al_result run(const struct al_input *in)
{
	struct al_result r;
	assert_int_equal(al_align(in, &r), 0);
	return r;
}

/* Four 6-byte sends; the first leaves alone, the next three wait for its
 * ACK (40 us later) and leave together. */
static void nagle_timeline(struct al_input *in, struct al_op *sends, struct al_seg *segs,
			   struct al_ack *acks, bool nodelay)
{
	/* The first segment is captured inside the first send() call, before
	 * it returns (on loopback the whole transmit path runs in the call). */
	mk_sends(sends, 4, 6, 10 * US, 1 * US);
	segs[0] = (struct al_seg){.t_ns = 10 * US - 500, .off = 0, .len = 6};
	segs[1] = (struct al_seg){.t_ns = 50 * US + 500, .off = 6, .len = 18};
	acks[0] = (struct al_ack){.t_ns = 50 * US, .acked = 6};
	acks[1] = (struct al_ack){.t_ns = 60 * US, .acked = 24};
	*in = (struct al_input){.segs = segs, .nsegs = 2, .acks = acks, .nacks = 2,
				.sends = sends, .nsends = 4, .nodelay = nodelay};
}

static void test_nagle(void **state)
{
	(void)state;
	struct al_op sends[4];
	struct al_seg segs[2];
	struct al_ack acks[2];
	struct al_input in;
	nagle_timeline(&in, sends, segs, acks, false);
	struct al_result r = run(&in);
	assert_int_equal(r.n.sends, 4);
	assert_int_equal(r.n.segments, 2);
	assert_int_equal(r.n.bytes, 24);
	assert_int_equal(r.n.coalesced_segments, 1);
	assert_int_equal(r.n.held_sends, 3);
	assert_int_equal(r.n.cause[AL_CAUSE_NAGLE], 1);
	assert_int_equal(r.seg[0].nsends, 1);
	assert_int_equal(r.seg[0].cause, AL_CAUSE_NONE);
	assert_int_equal(r.seg[1].first_send, 1);
	assert_int_equal(r.seg[1].nsends, 3);
	assert_int_equal(r.seg[1].cause, AL_CAUSE_NAGLE);
	assert_int_equal(r.n.unmapped_bytes, 0);
	assert_string_equal(al_cause_name(r.seg[1].cause), "nagle");
	al_result_free(&r);
}

static void test_cwnd_with_nodelay(void **state)
{
	(void)state;
	struct al_op sends[4];
	struct al_seg segs[2];
	struct al_ack acks[2];
	struct al_input in;
	nagle_timeline(&in, sends, segs, acks, true);
	struct al_result r = run(&in);
	assert_int_equal(r.seg[1].cause, AL_CAUSE_CWND);
	assert_int_equal(r.n.cause[AL_CAUSE_CWND], 1);
	assert_int_equal(r.n.cause[AL_CAUSE_NAGLE], 0);
	assert_int_equal(r.seg[1].inflight_segs, 1);
	assert_int_equal(r.seg[1].acked, 0);
	al_result_free(&r);

	/* Unacknowledged bytes, but the segment left before any ACK: the
	 * sender's own transmit path released it (autocork/TSQ), not cwnd. */
	acks[0].t_ns = 52 * US;
	r = run(&in);
	assert_int_equal(r.seg[1].cause, AL_CAUSE_CORK);
	al_result_free(&r);
}

/* The first segment was acknowledged before the later sends were made,
 * yet they still left together: not Nagle (nothing in flight) but cork. */
static void test_cork_nothing_unacked(void **state)
{
	(void)state;
	struct al_op sends[3];
	struct al_seg segs[2];
	struct al_ack acks[2];
	mk_sends(sends, 3, 6, 10 * US, 30 * US);   /* 10, 40, 70 us */
	segs[0] = (struct al_seg){.t_ns = 10 * US + 500, .off = 0, .len = 6};
	acks[0] = (struct al_ack){.t_ns = 20 * US, .acked = 6};
	segs[1] = (struct al_seg){.t_ns = 90 * US, .off = 6, .len = 12};
	acks[1] = (struct al_ack){.t_ns = 95 * US, .acked = 18};
	struct al_input in = {.segs = segs, .nsegs = 2, .acks = acks, .nacks = 2,
			      .sends = sends, .nsends = 3};
	struct al_result r = run(&in);
	assert_int_equal(r.n.coalesced_segments, 1);
	assert_int_equal(r.seg[1].cause, AL_CAUSE_CORK);
	al_result_free(&r);

	/* TCP_CORK set by the application wins over the ACK evidence. */
	struct al_op s2[4];
	struct al_seg g2[2];
	struct al_ack a2[2];
	nagle_timeline(&in, s2, g2, a2, false);
	in.cork = true;
	r = run(&in);
	assert_int_equal(r.seg[1].cause, AL_CAUSE_CORK);
	al_result_free(&r);
}

static void test_offload(void **state)
{
	(void)state;
	struct al_op sends[3];
	struct al_seg segs[1];
	struct al_ack acks[1] = {{.t_ns = 100 * US, .acked = 3000}};
	mk_sends(sends, 3, 1000, 10 * US, 1 * US);
	segs[0] = (struct al_seg){.t_ns = 20 * US, .off = 0, .len = 3000, .offload = true};
	struct al_input in = {.segs = segs, .nsegs = 1, .acks = acks, .nacks = 1,
			      .sends = sends, .nsends = 3};
	struct al_result r = run(&in);
	assert_int_equal(r.seg[0].cause, AL_CAUSE_OFFLOAD);
	al_result_free(&r);

	/* Not marked, but longer than the MSS the caller knows. */
	segs[0].offload = false;
	in.mss = 1448;
	r = run(&in);
	assert_int_equal(r.seg[0].cause, AL_CAUSE_OFFLOAD);
	al_result_free(&r);

	/* Neither: nothing was unacknowledged, so the sender's queue (cork). */
	in.mss = 0;
	r = run(&in);
	assert_int_equal(r.seg[0].cause, AL_CAUSE_CORK);
	al_result_free(&r);
}

static void test_unknown_without_evidence(void **state)
{
	(void)state;
	struct al_op sends[4];
	struct al_seg segs[2];
	struct al_ack acks[2];
	struct al_input in;
	nagle_timeline(&in, sends, segs, acks, false);
	in.acks = NULL;
	in.nacks = 0;
	struct al_result r = run(&in);
	assert_int_equal(r.seg[1].cause, AL_CAUSE_UNKNOWN);
	al_result_free(&r);

	nagle_timeline(&in, sends, segs, acks, false);
	for (int i = 0; i < 4; i++)
		sends[i].t_ns = NA;
	r = run(&in);
	assert_int_equal(r.seg[1].cause, AL_CAUSE_UNKNOWN);
	assert_int_equal(r.n.held_sends, 0);
	al_result_free(&r);
}

/* Three segments, each its own send, all captured before the recv began,
 * the first 5 ms before. */
static void test_late_reader(void **state)
{
	(void)state;
	struct al_op sends[3], recvs[1];
	struct al_seg segs[3];
	mk_sends(sends, 3, 6, 1 * US, 1 * US);
	for (int i = 0; i < 3; i++)
		segs[i] = (struct al_seg){.t_ns = (uint64_t)(i + 1) * US + 100,
					  .off = (uint64_t)i * 6, .len = 6};
	recvs[0] = (struct al_op){.t_call_ns = 5001 * US + 100, .t_ns = 5002 * US, .off = 0,
				  .len = 18};
	struct al_input in = {.segs = segs, .nsegs = 3, .sends = sends, .nsends = 3,
			      .recvs = recvs, .nrecvs = 1};
	struct al_result r = run(&in);
	assert_int_equal(r.n.recvs, 1);
	assert_int_equal(r.n.coalesced_segments, 0);
	assert_int_equal(r.n.merged_recvs, 1);
	assert_int_equal(r.n.sticky_msgs, 3);
	assert_int_equal(r.n.half_msgs, 0);
	assert_int_equal(r.recv[0].nsegs, 3);
	assert_int_equal(r.recv[0].nmsgs, 3);
	assert_int_equal(r.recv[0].cause, AL_CAUSE_LATE_READER);
	assert_int_equal(r.recv[0].wait_ns, 5000 * US);
	assert_int_equal(r.n.cause[AL_CAUSE_LATE_READER], 1);
	assert_true(r.msg[0].sticky && r.msg[2].sticky);
	al_result_free(&r);

	/* Exactly at the threshold: late; 1 ns under it: an on-time reader
	 * that found the three queued (they came 1 us apart, faster than it
	 * woke up and called recv). */
	recvs[0].t_call_ns = 1 * US + 100 + AL_LATE_NS;
	r = run(&in);
	assert_int_equal(r.recv[0].cause, AL_CAUSE_LATE_READER);
	al_result_free(&r);
	recvs[0].t_call_ns -= 1;
	r = run(&in);
	assert_int_equal(r.n.merged_recvs, 1);
	assert_int_equal(r.n.sticky_msgs, 3);
	assert_int_equal(r.recv[0].cause, AL_CAUSE_BACK_TO_BACK);
	assert_int_equal(r.recv[0].wait_ns, AL_LATE_NS - 1);
	assert_int_equal(r.n.cause[AL_CAUSE_LATE_READER], 0);
	assert_int_equal(r.n.cause[AL_CAUSE_BACK_TO_BACK], 1);
	al_result_free(&r);

	/* A caller's own threshold. */
	in.late_ns = 500 * US;
	r = run(&in);
	assert_int_equal(r.recv[0].cause, AL_CAUSE_LATE_READER);
	al_result_free(&r);
	in.late_ns = 0;

	/* The recv began before the second segment arrived: it merged them,
	 * but not because it was late (one queued, however long it waited). */
	recvs[0].t_call_ns = 2 * US;
	r = run(&in);
	assert_int_equal(r.n.merged_recvs, 1);
	assert_int_equal(r.recv[0].cause, AL_CAUSE_BACK_TO_BACK);
	al_result_free(&r);

	/* A call start that is only a lower bound (the client's loop
	 * wake-up): the true wait may be longer, so no back_to_back verdict;
	 * a late verdict stands (the true wait is at least as long). */
	in.recv_call_bound = true;
	r = run(&in);
	assert_int_equal(r.recv[0].cause, AL_CAUSE_UNKNOWN);
	al_result_free(&r);
	recvs[0].t_call_ns = 5001 * US + 100;
	r = run(&in);
	assert_int_equal(r.recv[0].cause, AL_CAUSE_LATE_READER);
	al_result_free(&r);
	in.recv_call_bound = false;

	/* Unknown start time: no verdict either. */
	recvs[0].t_call_ns = NA;
	r = run(&in);
	assert_int_equal(r.recv[0].cause, AL_CAUSE_UNKNOWN);
	assert_int_equal(r.recv[0].wait_ns, 0);
	al_result_free(&r);
}

/* Two messages in one Nagle segment, read by one recv in time: sticky, and
 * the sender's doing. */
static void test_sticky_from_one_segment(void **state)
{
	(void)state;
	struct al_op sends[4], recvs[2];
	struct al_seg segs[2];
	struct al_ack acks[2];
	struct al_input in;
	nagle_timeline(&in, sends, segs, acks, false);
	recvs[0] = (struct al_op){.t_call_ns = 5 * US, .t_ns = 11 * US, .off = 0, .len = 6};
	recvs[1] = (struct al_op){.t_call_ns = 12 * US, .t_ns = 51 * US, .off = 6, .len = 18};
	in.recvs = recvs;
	in.nrecvs = 2;
	struct al_result r = run(&in);
	assert_int_equal(r.n.merged_recvs, 0);
	assert_int_equal(r.n.sticky_msgs, 3);
	assert_int_equal(r.recv[0].cause, AL_CAUSE_NONE);
	assert_int_equal(r.recv[1].nsegs, 1);
	assert_int_equal(r.recv[1].nmsgs, 3);
	assert_int_equal(r.recv[1].cause, AL_CAUSE_NAGLE);
	assert_int_equal(r.n.cause[AL_CAUSE_NAGLE], 2);   /* the segment and the recv */
	assert_false(r.msg[0].sticky);
	al_result_free(&r);
}

static void test_half(void **state)
{
	(void)state;
	struct al_op sends[1], recvs[3];
	struct al_seg segs[1];
	mk_sends(sends, 1, 100, 1 * US, 0);
	segs[0] = (struct al_seg){.t_ns = 2 * US, .off = 0, .len = 100};
	recvs[0] = (struct al_op){.t_call_ns = 3 * US, .t_ns = 4 * US, .off = 0, .len = 40};
	recvs[1] = (struct al_op){.t_call_ns = 5 * US, .t_ns = 6 * US, .off = 40, .len = 40};
	recvs[2] = (struct al_op){.t_call_ns = 7 * US, .t_ns = 8 * US, .off = 80, .len = 20};
	struct al_input in = {.segs = segs, .nsegs = 1, .sends = sends, .nsends = 1,
			      .recvs = recvs, .nrecvs = 3};
	struct al_result r = run(&in);
	assert_int_equal(r.n.half_msgs, 1);
	assert_int_equal(r.n.sticky_msgs, 0);
	assert_int_equal(r.n.merged_recvs, 0);
	assert_int_equal(r.msg[0].nrecvs, 3);
	assert_true(r.msg[0].half);
	al_result_free(&r);
}

/* split:2 — each message is two sends; one recv of one message is neither
 * sticky nor half although it returned two sends. */
static void test_explicit_messages(void **state)
{
	(void)state;
	struct al_op sends[4], msgs[2], recvs[2];
	struct al_seg segs[4];
	mk_sends(sends, 4, 5, 1 * US, 1 * US);
	for (int i = 0; i < 4; i++)
		segs[i] = (struct al_seg){.t_ns = (uint64_t)(i + 1) * US + 100,
					  .off = (uint64_t)i * 5, .len = 5};
	msgs[0] = (struct al_op){.t_ns = 2 * US, .t_call_ns = NA, .off = 0, .len = 10};
	msgs[1] = (struct al_op){.t_ns = 4 * US, .t_call_ns = NA, .off = 10, .len = 10};
	recvs[0] = (struct al_op){.t_call_ns = 30 * US, .t_ns = 31 * US, .off = 0, .len = 10};
	recvs[1] = (struct al_op){.t_call_ns = 32 * US, .t_ns = 33 * US, .off = 10, .len = 10};
	struct al_input in = {.segs = segs, .nsegs = 4, .sends = sends, .nsends = 4,
			      .recvs = recvs, .nrecvs = 2, .msgs = msgs, .nmsgs = 2};
	struct al_result r = run(&in);
	assert_int_equal(r.n.msgs, 2);
	assert_int_equal(r.n.sticky_msgs, 0);
	assert_int_equal(r.n.half_msgs, 0);
	assert_int_equal(r.n.merged_recvs, 2);   /* two segments each */
	assert_int_equal(r.recv[0].nmsgs, 1);
	assert_int_equal(r.recv[0].cause, AL_CAUSE_BACK_TO_BACK);   /* waited 26 us */
	al_result_free(&r);

	/* The same counted per send: four sticky "messages". */
	in.msgs = NULL;
	in.nmsgs = 0;
	r = run(&in);
	assert_int_equal(r.n.msgs, 4);
	assert_int_equal(r.n.sticky_msgs, 4);
	al_result_free(&r);
}

/* An empty op (a zero-length send or recv) inside a range does not hide
 * the op after it. */
static void test_empty_ops(void **state)
{
	(void)state;
	struct al_op sends[3], recvs[3];
	struct al_seg segs[1];
	mk_sends(sends, 3, 6, 1 * US, 1 * US);
	sends[1].len = 0;
	sends[2].off = 6;
	segs[0] = (struct al_seg){.t_ns = 5 * US, .off = 0, .len = 12};
	recvs[0] = (struct al_op){.t_call_ns = 6 * US, .t_ns = 7 * US, .off = 0, .len = 4};
	recvs[1] = (struct al_op){.t_call_ns = 8 * US, .t_ns = 9 * US, .off = 4, .len = 0};
	recvs[2] = (struct al_op){.t_call_ns = 10 * US, .t_ns = 11 * US, .off = 4, .len = 8};
	struct al_input in = {.segs = segs, .nsegs = 1, .sends = sends, .nsends = 3,
			      .recvs = recvs, .nrecvs = 3};
	struct al_result r = run(&in);
	assert_int_equal(r.n.sends, 2);
	assert_int_equal(r.n.recvs, 2);
	assert_int_equal(r.n.msgs, 2);
	assert_int_equal(r.seg[0].nsends, 2);
	assert_int_equal(r.n.coalesced_segments, 1);
	/* Message 0 (0-6) came in recvs 0 and 2; recv 2 also holds message 2. */
	assert_int_equal(r.msg[0].nrecvs, 2);
	assert_true(r.msg[0].half);
	assert_true(r.msg[0].sticky);
	assert_true(r.msg[2].sticky);
	assert_int_equal(r.n.sticky_msgs, 2);
	assert_int_equal(r.n.half_msgs, 1);
	al_result_free(&r);
}

static void test_retrans_and_unmapped(void **state)
{
	(void)state;
	struct al_op sends[3];
	struct al_seg segs[3];
	mk_sends(sends, 3, 10, 1 * US, 1 * US);
	segs[0] = (struct al_seg){.t_ns = 2 * US, .off = 0, .len = 10};
	segs[1] = (struct al_seg){.t_ns = 4 * US, .off = 20, .len = 10};
	segs[2] = (struct al_seg){.t_ns = 9 * US, .off = 0, .len = 10, .retrans = true};
	struct al_input in = {.segs = segs, .nsegs = 3, .sends = sends, .nsends = 3};
	struct al_result r = run(&in);
	assert_int_equal(r.n.segments, 2);
	assert_int_equal(r.n.retrans, 1);
	assert_int_equal(r.n.unmapped_bytes, 10);
	assert_int_equal(r.seg[2].nsends, 0);
	assert_int_equal(r.n.coalesced_segments, 0);
	al_result_free(&r);

	/* Empty input: all zero, nothing to free but the labels. */
	struct al_input none = {0};
	r = run(&none);
	assert_int_equal(r.n.sends + r.n.segments + r.n.recvs, 0);
	al_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nagle),
		cmocka_unit_test(test_cwnd_with_nodelay),
		cmocka_unit_test(test_cork_nothing_unacked),
		cmocka_unit_test(test_offload),
		cmocka_unit_test(test_unknown_without_evidence),
		cmocka_unit_test(test_late_reader),
		cmocka_unit_test(test_sticky_from_one_segment),
		cmocka_unit_test(test_half),
		cmocka_unit_test(test_explicit_messages),
		cmocka_unit_test(test_empty_ops),
		cmocka_unit_test(test_retrans_and_unmapped),
	};
	return tl_run_group(tests, NULL, NULL);
}
