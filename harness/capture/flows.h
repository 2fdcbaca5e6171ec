/*
 * harness/capture/flows.h — per-conversation statistics over parsed packets, for
 * `socklab analyze`, live capture and the app-log alignment.
 *
 * A flow is one TCP or UDP conversation: both directions of a 5-tuple, as
 * in tshark's `-z conv,tcp` / `conv,udp` tables. Side A is the side that
 * sent the first packet; dir[0] is A->B, dir[1] is B->A. Packets and bytes
 * count frames and their wire length, exactly as tshark does. As in tshark,
 * a SYN (without ACK) whose sequence number differs from the one already
 * seen from that side starts a new conversation on the same 5-tuple (a
 * reused port).
 *
 * TCP sequence numbers are made relative to each side's ISN: the SYN's
 * sequence number when the SYN was captured, else the first one seen minus
 * one (so the first byte seen is 1, as Wireshark shows it). A segment whose
 * payload starts below the highest sequence number already covered in its
 * direction is a retransmission.
 *
 * Flows live in a table that grows by doubling up to cfg.max_flows; beyond
 * that, packets of new flows are counted as untracked. Flows are kept, and
 * returned, in first-seen order. No allocation happens per packet except
 * when the table grows.
 *
 * Not thread-safe: one table per capture or file.
 */
#ifndef SOCKLAB_HARNESS_CAPTURE_FLOWS_H
#define SOCKLAB_HARNESS_CAPTURE_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/capture/pkt.h"

/* One direction of a flow. */
struct cap_dir {
	uint64_t packets, bytes;          /* frames and their wire length */
	uint64_t segments;                /* TCP: packets with payload; UDP: datagrams */
	uint64_t payload_bytes;           /* TCP/UDP payload per the headers */
	uint64_t retrans, retrans_bytes;  /* TCP: segments and bytes sent again */
	uint64_t truncated;               /* packets whose payload the capture cut */
	uint32_t min_seg, max_seg;        /* payload sizes of those segments */
	uint32_t syn, fin, rst, psh;      /* packets carrying each flag */
	uint32_t isn;                     /* absolute base of relative seq numbers */
	uint32_t high;                    /* highest relative seq covered (+ SYN/FIN) */
	bool isn_set, syn_seen;
};

struct cap_flow {
	uint8_t ipver, proto;             /* 4/6; CAP_PROTO_TCP or _UDP */
	uint16_t port[2];                 /* [0] = A, [1] = B */
	uint8_t addr[2][16];
	uint32_t index;                   /* first-seen order, 0-based */
	uint32_t reuse;                   /* earlier flows on this 5-tuple */
	uint64_t first_ns, last_ns;       /* capture timestamps */
	struct cap_dir dir[2];            /* [0] = A->B, [1] = B->A */
};

/* One TCP segment or UDP datagram as the flow table saw it. */
struct cap_seg {
	uint64_t ts_ns;
	int dir;                          /* 0 = A->B, 1 = B->A */
	uint32_t rel_seq, rel_ack;        /* TCP; rel_ack raw until the peer's ISN is known */
	uint32_t len;                     /* payload length per the headers */
	uint8_t tcp_flags;
	bool retrans;
};

/* Called for every TCP/UDP packet accounted to a flow, after the flow's
 * counters include it. `f` is valid only during the call. */
typedef void (*cap_seg_fn)(void *arg, const struct cap_flow *f, const struct cap_seg *s,
			   const struct cap_pkt *p);

struct cap_flows_cfg {
	size_t max_flows;                 /* 0: CAP_FLOWS_DEFAULT_MAX */
	cap_seg_fn on_seg;                /* optional */
	void *on_seg_arg;
};

#define CAP_FLOWS_DEFAULT_MAX ((size_t)1 << 20)

struct cap_flows;

/* Caller frees with cap_flows_free(). Returns 0 or -ENOMEM. */
int cap_flows_new(struct cap_flows **out, const struct cap_flows_cfg *cfg);
void cap_flows_free(struct cap_flows *fl);

/* Account one packet that cap_pkt_parse() returned CAP_PKT_OK for. TCP and
 * UDP packets that are not fragments go to their flow; others are ignored
 * (returns 0). Returns -ENOSPC when the table is full and the packet was
 * counted as untracked, -ENOMEM when growing failed (also untracked). */
int cap_flows_add(struct cap_flows *fl, const struct cap_pkt *p, uint64_t ts_ns);

/* Flows in first-seen order; pointers stay valid until the next add. */
size_t cap_flows_count(const struct cap_flows *fl);
const struct cap_flow *cap_flows_get(const struct cap_flows *fl, size_t i);

/* Packets of flows the table had no room for. */
uint64_t cap_flows_untracked(const struct cap_flows *fl);

/* What happened to every frame fed to cap_flows_account(): the totals a
 * file analysis or a live capture reports beside its flows. */
struct cap_totals {
	uint64_t packets, bytes;          /* every frame, wire length */
	uint64_t first_ns, last_ns;
	uint64_t rc[CAP_PKT_RC_COUNT];    /* by parse result; [CAP_PKT_OK] = IP */
	uint64_t malformed;               /* sum of the truncated/bad kinds */
	uint64_t tcp, udp, other_ip;      /* IP packets by transport */
	uint64_t fragments;               /* IP fragments (not given to a flow) */
	uint64_t truncated;               /* TCP/UDP payload cut by the capture */
	uint64_t filtered;                /* TCP/UDP packets the port filter left out */
	uint64_t untracked;               /* the flow table was full */
};

/* Parse one frame and account it to *t and to fl. port != 0 keeps only
 * TCP/UDP packets from or to that port. Returns the parse result. */
enum cap_pkt_rc cap_flows_account(struct cap_flows *fl, struct cap_totals *t, int link,
				  const uint8_t *bytes, uint32_t caplen, uint32_t wirelen,
				  uint64_t ts_ns, uint16_t port);

#endif
