/*
 * harness/capture/align.h — map one TCP direction's application boundaries (the
 * sender's send() calls, the receiver's recv() calls) onto the segments a
 * capture saw, and say what merged or split the messages and why.
 *
 * Pure: no sockets, no store, no allocation except the result's label
 * arrays. Used by the runner (harness/capture/align_flows.c) and by `socklab demo
 * sticky`. The rules are written out in docs/analysis.md; in short:
 *
 *   coalesced segment  a (non-retransmitted) segment carrying bytes of more
 *                      than one send: the sender merged them.
 *   merged recv        a recv returning bytes of more than one segment: the
 *                      receive queue held several when the data was copied.
 *   sticky message     a message sharing a recv with bytes of another one.
 *   half message       a message whose bytes came back in more than one recv.
 *
 * A message is one send unless the caller gives explicit message bounds
 * (`msgs`, e.g. the messages of a split:K pattern).
 *
 * Causes (enum al_cause), in the order the rules try them:
 *   segment:  OFFLOAD  the segment is marked offload (TSO/GSO/GRO artefact:
 *                      IP length above the MTU) or is longer than mss;
 *             CORK     the sender had TCP_CORK set (in->cork), or the held
 *                      send had nothing unacknowledged when it returned, or
 *                      no ACK arrived between then and the segment (autocork
 *                      / TSQ: released by the sender's own transmit path);
 *             NAGLE    TCP_NODELAY off, bytes sent earlier still
 *                      unacknowledged when the hold began, and an ACK
 *                      advanced before the segment left (the release);
 *             CWND     the same with TCP_NODELAY on: not Nagle but the
 *                      congestion window full (segments in flight ==
 *                      cwnd, checked with TCP_INFO in docs/analysis.md);
 *             UNKNOWN  the evidence does not decide (no ACKs given, no times).
 * The hold begins when the earliest send with bytes in the segment that
 * returned before the segment was captured returned.
 *   recv:     OFFLOAD  all of its messages came in one offloaded segment;
 *             (a recv whose messages all came in one coalesced segment takes
 *              that segment's cause: the sender merged them, not the reader)
 *             LATE_READER  two or more of its segments had been captured
 *                      before the recv call began (t_call_ns), the first of
 *                      them at least late_ns (default AL_LATE_NS, 1 ms)
 *                      before: the bytes sat in the receive queue while the
 *                      reader was away (sleeping, busy, not scheduled);
 *             BACK_TO_BACK  the reader was there in time (its first segment
 *                      waited less than late_ns, or the segments arrived
 *                      while the call ran): they arrived faster than one
 *                      wake-up and recv. Not given when the receiver's
 *                      t_call_ns is only a lower bound (recv_call_bound):
 *                      the true wait may be longer, so UNKNOWN;
 *             UNKNOWN  merged, but the call's start time is unknown.
 *
 * Send times: t_ns is when send() returned; that is what "held" and the
 * Nagle hold's start use (a segment captured before the call returned left
 * during the call: not held). t_call_ns (when the call began, if known) is
 * the time to draw a send at: a segment may be captured before t_ns, never
 * before t_call_ns. The rules do not need it.
 *
 * Times: every t_ns is on one clock (the runner uses nanoseconds from the
 * capture's start); 0 is a valid time, AL_T_UNKNOWN means unknown. Stream
 * offsets count payload bytes of the direction from 0 (rel_seq 1 == 0).
 */
#ifndef SOCKLAB_HARNESS_CAPTURE_ALIGN_H
#define SOCKLAB_HARNESS_CAPTURE_ALIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AL_T_UNKNOWN UINT64_MAX
/* The late-reader threshold: a recv's first segment waited this long in the
 * receive queue. Measured on loopback (docs/analysis.md): readers on time
 * waited 12-751 us (wake-up and scheduling on 2 busy CPUs), the 50 ms late
 * reader 50.9-51.7 ms. */
#define AL_LATE_NS 1000000ull

enum al_cause {
	AL_CAUSE_NONE,         /* no merge */
	AL_CAUSE_NAGLE,
	AL_CAUSE_CORK,
	AL_CAUSE_CWND,
	AL_CAUSE_OFFLOAD,
	AL_CAUSE_LATE_READER,
	AL_CAUSE_BACK_TO_BACK, /* merged in an on-time recv: arrived back to back */
	AL_CAUSE_UNKNOWN,      /* merged, cause not established */
	AL_CAUSE__COUNT
};
/* The first draft's name of AL_CAUSE_CWND. */
#define AL_CAUSE_QUEUED AL_CAUSE_CWND
/* "none", "nagle", "cork", "cwnd", "offload", "late_reader", "back_to_back",
 * "unknown". */
const char *al_cause_name(enum al_cause c);

/* One captured segment of the direction (capture order). */
struct al_seg {
	uint64_t t_ns;         /* capture time */
	uint64_t off;          /* stream offset of its first payload byte (rel_seq - 1) */
	uint32_t len;          /* payload bytes; 0-length segments are ignored */
	bool retrans;          /* a retransmission: not counted, not mapped */
	bool offload;          /* the capture's offload mark (segments.offload) */
};

/* One ACK of the opposite direction (capture order). */
struct al_ack {
	uint64_t t_ns;
	uint64_t acked;        /* stream bytes acknowledged (rel_ack - 1) */
};

/* One send() or recv() (or one message, for msgs) in stream order. */
struct al_op {
	uint64_t t_ns;         /* when the call returned (AL_T_UNKNOWN: unknown) */
	uint64_t t_call_ns;    /* when it began (recvs: the late-reader rule;
	                          sends: not used by the rules, see above);
	                          AL_T_UNKNOWN: unknown */
	uint64_t off;          /* stream offset of its first byte */
	uint32_t len;          /* bytes; 0-length ops are ignored */
};

struct al_input {
	const struct al_seg *segs;  size_t nsegs;
	const struct al_ack *acks;  size_t nacks;   /* may be NULL/0: no Nagle verdicts */
	const struct al_op *sends;  size_t nsends;  /* the sender's sends */
	const struct al_op *recvs;  size_t nrecvs;  /* the receiver's recvs */
	const struct al_op *msgs;   size_t nmsgs;   /* NULL: each send is a message */
	uint32_t mss;          /* 0: unknown (offload then only by the mark) */
	bool nodelay;          /* the sender set TCP_NODELAY */
	bool cork;             /* the sender used TCP_CORK */
	uint64_t late_ns;      /* 0: AL_LATE_NS */
	bool recv_call_bound;  /* recvs' t_call_ns is only a lower bound of
	                          the call's start (the client engine's loop
	                          wake-up): no back_to_back verdict */
};

/* Totals for the direction (flow_align's columns). */
struct al_counts {
	uint64_t bytes;              /* stream bytes the sends carried */
	uint64_t sends, segments, recvs, msgs;   /* segments: not retransmitted, len > 0 */
	uint64_t retrans;            /* retransmitted segments (ignored) */
	uint64_t coalesced_segments; /* segments carrying > 1 send */
	uint64_t merged_recvs;       /* recvs returning > 1 segment */
	uint64_t sticky_msgs;        /* messages sharing a recv with another */
	uint64_t half_msgs;          /* messages split across recvs */
	uint64_t held_sends;         /* sends whose first byte left after they returned */
	/* cause[c]: coalesced segments plus merged/sticky recvs labelled c
	 * (cause[AL_CAUSE_NONE] is unused). */
	uint64_t cause[AL_CAUSE__COUNT];
	uint64_t unmapped_bytes;     /* send bytes no counted (non-retransmitted)
	                                segment covered (the capture lost them,
	                                or was capped) */
};

struct al_seg_label {        /* parallel to in->segs */
	uint32_t first_send;     /* index into sends of the first it carries */
	uint32_t nsends;         /* sends it carries bytes of (0: retrans or empty) */
	enum al_cause cause;     /* NONE unless nsends > 1 */
	/* nsends > 1 with ACKs: when the hold began, the segments sent and
	 * not yet acknowledged (NAGLE/CWND evidence: with TCP_NODELAY it is
	 * the congestion window, 10 at a connection's start) and the bytes
	 * acknowledged then. */
	uint32_t inflight_segs;
	uint64_t acked;
};

struct al_recv_label {       /* parallel to in->recvs */
	uint32_t first_seg, nsegs;   /* segments its bytes came in (first_seg:
	                                index into in->segs) */
	uint32_t first_msg, nmsgs;   /* messages it returned bytes of */
	enum al_cause cause;     /* NONE unless nsegs > 1 or nmsgs > 1 */
	/* nsegs > 1: how long its first segment had waited when the call
	 * began (0 when it arrived later or t_call_ns is unknown). */
	uint64_t wait_ns;
};

struct al_msg_label {        /* parallel to msgs (or sends when msgs is NULL) */
	uint32_t first_recv, nrecvs; /* recvs its bytes came back in */
	bool sticky, half;
};

struct al_result {
	struct al_counts n;
	struct al_seg_label *seg;    /* nsegs entries */
	struct al_recv_label *recv;  /* nrecvs entries */
	struct al_msg_label *msg;    /* n.msgs entries */
};

/*
 * Align one direction. Order expected: segs and acks in capture order (time
 * not decreasing); sends, recvs and msgs in stream order (offsets
 * increasing, not overlapping). Fills *out; caller frees with al_result_free(). 0 or -ENOMEM (then *out
 * holds nothing to free).
 */
int al_align(const struct al_input *in, struct al_result *out);
void al_result_free(struct al_result *r);

#endif
