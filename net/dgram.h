/*
 * net/dgram.h — the datagram header socklab's senders and receivers speak,
 * and the receiver-side accounting of a flow of them.
 *
 * Every datagram a socklab client sends starts with 24 bytes, big-endian:
 *
 *   0  u32 magic    NET_DGRAM_MAGIC ("SKL1")
 *   4  u32 flow     the sending client (one sequence space per flow)
 *   8  u64 seq      0, 1, 2, ... per flow
 *  16  u64 send_ns  the sender's CLOCK_MONOTONIC at send (same host only)
 *
 * followed by payload. An echo server returns it unchanged, so the client
 * can account for its own datagrams on the way back.
 *
 * The tracker classifies each arriving sequence number with bounded memory:
 * a sliding window of NET_DGRAM_WINDOW bits below the highest number seen.
 *   new         first arrival, in order or ahead (a gap is lost until filled)
 *   reordered   first arrival of a number below one already seen
 *   duplicated  a number in the window that already arrived
 *   late        below the window: cannot be told from a duplicate; counted
 *               as received (a flow with more than a window of reordering
 *               is rare on loopback and would otherwise look lost)
 * lost = sent (or highest+1 when the sender's count is unknown) - received.
 */
#ifndef SOCKLAB_NET_DGRAM_H
#define SOCKLAB_NET_DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_DGRAM_MAGIC 0x534b4c31u
#define NET_DGRAM_HDR_LEN 24
#define NET_DGRAM_WINDOW 1024

struct net_dgram_hdr {
	uint32_t flow;
	uint64_t seq;
	uint64_t send_ns;
};

/* Write the header into p (NET_DGRAM_HDR_LEN bytes). */
void net_dgram_encode(uint8_t *p, const struct net_dgram_hdr *h);
/* Read it back: 0, or -EBADMSG when n is short or the magic is wrong. */
int net_dgram_decode(const uint8_t *p, size_t n, struct net_dgram_hdr *h);

enum net_dgram_verdict {
	NET_DGRAM_NEW,
	NET_DGRAM_REORDERED,
	NET_DGRAM_DUPLICATE,
	NET_DGRAM_LATE,
};

struct net_dgram_tracker {
	uint64_t next;            /* highest sequence seen + 1 (0: none yet) */
	uint64_t bits[NET_DGRAM_WINDOW / 64];   /* seen, indexed by seq % WINDOW */
	uint64_t received;        /* distinct datagrams (new + reordered + late) */
	uint64_t duplicated, reordered, late;
};

void net_dgram_tracker_init(struct net_dgram_tracker *t);
enum net_dgram_verdict net_dgram_track(struct net_dgram_tracker *t, uint64_t seq);
/* Lost so far, given how many the sender sent (0: use highest seen + 1). */
uint64_t net_dgram_lost(const struct net_dgram_tracker *t, uint64_t sent);

#endif
