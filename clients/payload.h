/*
 * clients/payload.h — what the simulated clients send: message sizes drawn
 * from a distribution, and content that can be checked when it comes back.
 *
 * Sizes: "64" or "4k" (fixed), "uniform:A-B" (inclusive), "exp:MEAN"
 * (exponential, rounded, at least 1). Draws come from a seeded xoshiro256**
 * generator, so a run is repeatable from its seed.
 *
 * Content is a pure function of (connection, sequence, byte index): the
 * client that sent message (c, s) can regenerate it to verify an echo byte
 * for byte, without keeping a copy. Bytes are printable ('a'-'z', '0'-'5'),
 * never a newline, so delimiter framing and line-based servers (the seeds'
 * upper-case server) take them as they are; a chosen delimiter byte can be
 * avoided explicitly.
 */
#ifndef SOCKLAB_CLIENTS_PAYLOAD_H
#define SOCKLAB_CLIENTS_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/rng.h"

enum pl_kind {
	PL_FIXED,
	PL_UNIFORM,
	PL_EXP,
};

struct pl_size {
	enum pl_kind kind;
	uint64_t a, b;     /* fixed: a; uniform: a..b */
	double mean;       /* exp */
};

/* Parse a size spec (see above; k/m suffixes are powers of 1024). Sizes
 * must be 1..max. Returns 0 or -EINVAL with text in err. */
int pl_size_parse(struct pl_size *s, const char *str, uint64_t max,
		  char *err, size_t errlen);
const char *pl_size_str(const struct pl_size *s, char *buf, size_t len);
/* The largest size a draw can return (exp: clamped at max). */
uint64_t pl_size_max(const struct pl_size *s, uint64_t max);

/* One draw, clamped to lo..hi. */
uint64_t pl_size_draw(const struct pl_size *s, struct rng *r, uint64_t lo, uint64_t hi);

/* Write the n content bytes of message (conn, seq). avoid is a byte never
 * produced (a delimiter), or -1. */
void pl_fill(uint8_t *dst, size_t n, uint64_t conn, uint64_t seq, int avoid);

/* How a reply is compared with what was sent. */
enum pl_verify {
	PL_VERIFY_ECHO,    /* byte for byte */
	PL_VERIFY_UPPER,   /* the upper-case of what was sent (the seeds' server) */
	PL_VERIFY_NONE,    /* lengths only */
};

int pl_verify_parse(enum pl_verify *v, const char *s);
const char *pl_verify_name(enum pl_verify v);
/* true when got is an acceptable reply to sent (same length n). */
bool pl_check(const uint8_t *sent, const uint8_t *got, size_t n, enum pl_verify v);

#endif
