/*
 * tests/fuzz/fuzz_framing.c — libFuzzer target for net/framing's deframer,
 * the code that reads whatever a peer sends to the `framed` and `file`
 * handlers and to the clients.
 *
 * Input layout:
 *   [0]    framing kind (% 3: none, length, delim)
 *   [1]    delimiter byte
 *   [2..3] max_msg, big-endian, & 0x3fff (0 means the 1 MiB default)
 *   [4]    chunking: 0 pushes the rest at once, else pushes of 1..[4] bytes
 *   [5]    seed for the chunk sizes
 *   [6..]  the byte stream
 *
 * After every push the target drains the deframer as a handler does, and
 * checks each answer against an oracle computed from the input itself:
 * every message is the next thing on the wire (re-encoding it gives back
 * exactly the bytes consumed), no message exceeds max_msg, bytes returned
 * plus framing overhead never exceed bytes pushed, "need more" and
 * -EMSGSIZE are only said when true, and what stays buffered is bounded by
 * max_msg + the last push + the header. A violation is __builtin_trap().
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define HDR 6

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * What a correct deframer must say next about wire[0..avail): 1 with the
 * message length and wire bytes it takes, 0 for "need more", -EMSGSIZE.
 */
static int oracle(const struct net_framing *f, size_t max, const uint8_t *wire,
		  size_t avail, size_t *len, size_t *take)
{
	switch (f->kind) {
	case NET_FRAMING_NONE:
		if (avail == 0)
			return 0;
		*len = *take = avail;
		return 1;
	case NET_FRAMING_LENGTH: {
		if (avail < NET_FRAMING_LEN_BYTES)
			return 0;
		uint32_t n = be32(wire);
		if (n > max)
			return -EMSGSIZE;
		if (avail - NET_FRAMING_LEN_BYTES < n)
			return 0;
		*len = n;
		*take = NET_FRAMING_LEN_BYTES + n;
		return 1;
	}
	case NET_FRAMING_DELIM: {
		const uint8_t *end = avail ? memchr(wire, f->delim, avail) : NULL;
		if (!end)
			return avail > max ? -EMSGSIZE : 0;
		size_t n = (size_t)(end - wire);
		if (n > max)
			return -EMSGSIZE;
		*len = n;
		*take = n + 1;
		return 1;
	}
	}
	return -EINVAL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	struct net_framing f = {
		.kind = (enum net_framing_kind)(data[0] % 3),
		.delim = data[1],
		.max_msg = (size_t)(((unsigned)data[2] << 8 | data[3]) & 0x3fff),
	};
	const size_t max = f.max_msg ? f.max_msg : NET_FRAMING_DEFAULT_MAX;
	const size_t overhead = net_framing_overhead(&f);
	const unsigned chunk = data[4];
	uint32_t seed = data[5] | 1u;
	const uint8_t *wire = data + HDR;
	const size_t total = size - HDR;

	struct net_deframer d;
	struct net_buf enc = {0};
	net_deframer_init(&d, &f);

	size_t pushed = 0;     /* wire bytes handed to the deframer */
	size_t consumed = 0;   /* wire bytes accounted for by returned messages */
	size_t returned = 0;   /* message bytes returned */
	size_t nmsgs = 0;
	size_t biggest_push = 0;
	int rc = 0;

	while (pushed < total && rc >= 0) {
		size_t n = total - pushed;
		if (chunk) {
			seed = seed * 1103515245u + 12345u;
			size_t want = 1 + (seed >> 16) % chunk;
			if (want < n)
				n = want;
		}
		CHECK(net_deframer_push(&d, wire + pushed, n) == 0);
		pushed += n;
		if (n > biggest_push)
			biggest_push = n;

		for (;;) {
			const uint8_t *msg = NULL;
			size_t len = 0, olen = 0, take = 0;
			int want = oracle(&f, max, wire + consumed, pushed - consumed, &olen, &take);
			rc = net_deframer_next(&d, &msg, &len);
			CHECK(rc == want);
			if (rc <= 0)
				break;
			CHECK(len == olen);
			if (f.kind != NET_FRAMING_NONE)
				CHECK(len <= max);
			/* The message is the next thing on the wire... */
			CHECK(consumed + take <= pushed);
			net_buf_reset(&enc);
			CHECK(net_framing_encode(&f, &enc, msg, len) == 0);
			CHECK(net_buf_pending(&enc) == take);
			CHECK(memcmp(net_buf_head(&enc), wire + consumed, take) == 0);
			consumed += take;
			returned += len;
			nmsgs++;
			/* ...and never more than was pushed. */
			CHECK(returned + nmsgs * overhead <= pushed);
			CHECK(consumed <= pushed);
			CHECK(net_deframer_buffered(&d) == pushed - consumed);
		}

		size_t buffered = net_deframer_buffered(&d);
		CHECK(buffered == pushed - consumed);
		if (rc == 0) {
			/* Drained: what is held is bounded independent of the
			 * stream's length. */
			CHECK(buffered <= max + n + NET_FRAMING_LEN_BYTES);
			if (f.kind == NET_FRAMING_NONE)
				CHECK(buffered == 0);
			else if (f.kind == NET_FRAMING_LENGTH)
				CHECK(buffered < max + NET_FRAMING_LEN_BYTES);
			else
				CHECK(buffered <= max);
		}
		/* Memory: never allocated on the word of a length prefix. */
		size_t bound = 2 * (max + NET_FRAMING_LEN_BYTES + biggest_push);
		CHECK(d.in.cap <= (bound > 256 ? bound : 256));
	}

	/* Refused is final: asking again changes nothing. */
	if (rc == -EMSGSIZE) {
		const uint8_t *msg;
		size_t len;
		CHECK(net_deframer_next(&d, &msg, &len) == -EMSGSIZE);
	}
	net_deframer_free(&d);
	net_buf_free(&enc);
	return 0;
}
