/*
 * net/dgram.c — datagram header encoding and the loss/dup/reorder tracker.
 */
#include "net/dgram.h"

#include <errno.h>
#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void net_dgram_encode(uint8_t *p, const struct net_dgram_hdr *h)
{
	put32(p, NET_DGRAM_MAGIC);
	put32(p + 4, h->flow);
	put64(p + 8, h->seq);
	put64(p + 16, h->send_ns);
}

int net_dgram_decode(const uint8_t *p, size_t n, struct net_dgram_hdr *h)
{
	if (n < NET_DGRAM_HDR_LEN || get32(p) != NET_DGRAM_MAGIC)
		return -EBADMSG;
	h->flow = get32(p + 4);
	h->seq = get64(p + 8);
	h->send_ns = get64(p + 16);
	return 0;
}

void net_dgram_tracker_init(struct net_dgram_tracker *t)
{
	memset(t, 0, sizeof(*t));
}

static bool bit_get(const struct net_dgram_tracker *t, uint64_t seq)
{
	uint64_t i = seq % NET_DGRAM_WINDOW;
	return (t->bits[i / 64] >> (i % 64)) & 1;
}

static void bit_put(struct net_dgram_tracker *t, uint64_t seq, bool on)
{
	uint64_t i = seq % NET_DGRAM_WINDOW;
	if (on)
		t->bits[i / 64] |= 1ull << (i % 64);
	else
		t->bits[i / 64] &= ~(1ull << (i % 64));
}

enum net_dgram_verdict net_dgram_track(struct net_dgram_tracker *t, uint64_t seq)
{
	if (seq >= t->next) {
		/* Advance the window: numbers skipped over are not seen (yet). */
		if (seq - t->next >= NET_DGRAM_WINDOW)
			memset(t->bits, 0, sizeof(t->bits));
		else
			for (uint64_t s = t->next; s < seq; s++)
				bit_put(t, s, false);
		bit_put(t, seq, true);
		t->next = seq + 1;
		t->received++;
		return NET_DGRAM_NEW;
	}
	if (t->next - seq > NET_DGRAM_WINDOW) {
		t->late++;
		t->received++;
		return NET_DGRAM_LATE;
	}
	if (bit_get(t, seq)) {
		t->duplicated++;
		return NET_DGRAM_DUPLICATE;
	}
	bit_put(t, seq, true);
	t->reordered++;
	t->received++;
	return NET_DGRAM_REORDERED;
}

uint64_t net_dgram_lost(const struct net_dgram_tracker *t, uint64_t sent)
{
	uint64_t expected = sent ? sent : t->next;
	return expected > t->received ? expected - t->received : 0;
}
