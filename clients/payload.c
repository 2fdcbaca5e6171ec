/*
 * clients/payload.c — size distributions, the PRNG, verifiable content.
 */
#include "clients/payload.h"
#include "util/units.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A size at the start of s, in util/units' grammar (512, 4k, 1.5k, 64kib). */
static int parse_num(const char *s, const char **end, uint64_t *out)
{
	char why[128];
	return unit_size_prefix(s, end, out, why, sizeof(why));
}

int pl_size_parse(struct pl_size *s, const char *str, uint64_t max,
		  char *err, size_t errlen)
{
	const char *e;
	memset(s, 0, sizeof(*s));
	if (strncmp(str, "uniform:", 8) == 0) {
		s->kind = PL_UNIFORM;
		if (parse_num(str + 8, &e, &s->a) < 0 || *e != '-' ||
		    parse_num(e + 1, &e, &s->b) < 0 || *e || s->a > s->b)
			goto bad;
	} else if (strncmp(str, "exp:", 4) == 0) {
		s->kind = PL_EXP;
		if (parse_num(str + 4, &e, &s->a) < 0 || *e || s->a == 0)
			goto bad;
		s->mean = (double)s->a;
	} else {
		s->kind = PL_FIXED;
		if (parse_num(str, &e, &s->a) < 0 || *e)
			goto bad;
		s->b = s->a;
	}
	/* A draw is clamped to at least 1 byte: refuse 0 rather than send
	 * 1 byte when 0 was asked for. */
	if (s->a == 0) {
		snprintf(err, errlen, "size '%s': at least 1 byte "
			 "(an empty request has no reply to wait for)", str);
		return -EINVAL;
	}
	if (s->a > max || s->b > max) {
		snprintf(err, errlen, "size '%s': at most %" PRIu64 " bytes", str, max);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "size '%s': expected N, uniform:A-B or exp:MEAN "
		 "(sizes like 512, 4k, 1m)", str);
	return -EINVAL;
}

const char *pl_size_str(const struct pl_size *s, char *buf, size_t len)
{
	switch (s->kind) {
	case PL_FIXED:
		snprintf(buf, len, "%" PRIu64, s->a);
		break;
	case PL_UNIFORM:
		snprintf(buf, len, "uniform:%" PRIu64 "-%" PRIu64, s->a, s->b);
		break;
	case PL_EXP:
		snprintf(buf, len, "exp:%" PRIu64, s->a);
		break;
	}
	return buf;
}

uint64_t pl_size_max(const struct pl_size *s, uint64_t max)
{
	return s->kind == PL_EXP ? max : s->b;
}

uint64_t pl_size_draw(const struct pl_size *s, struct rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t v;
	switch (s->kind) {
	case PL_UNIFORM:
		v = s->a + rng_next(r) % (s->b - s->a + 1);
		break;
	case PL_EXP: {
		double x = -s->mean * log(1.0 - rng_double(r));
		v = x >= 1.8e19 ? UINT64_MAX : (uint64_t)(x + 0.5);
		break;
	}
	default:
		v = s->a;
		break;
	}
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return v;
}

static const char alphabet[33] = "abcdefghijklmnopqrstuvwxyz012345";

void pl_fill(uint8_t *dst, size_t n, uint64_t conn, uint64_t seq, int avoid)
{
	uint64_t x = rng_mix64(conn * 0x9e3779b97f4a7c15ull ^ rng_mix64(seq));
	size_t i = 0;
	while (i < n) {
		x = rng_mix64(x);
		for (int k = 0; k < 8 && i < n; k++, i++) {
			uint8_t b = (uint8_t)alphabet[(x >> (k * 8)) & 31];
			if (b == avoid)
				b = b == 'x' ? 'y' : 'x';
			dst[i] = b;
		}
	}
}

int pl_verify_parse(enum pl_verify *v, const char *s)
{
	if (strcmp(s, "echo") == 0)
		*v = PL_VERIFY_ECHO;
	else if (strcmp(s, "upper") == 0)
		*v = PL_VERIFY_UPPER;
	else if (strcmp(s, "none") == 0)
		*v = PL_VERIFY_NONE;
	else
		return -EINVAL;
	return 0;
}

const char *pl_verify_name(enum pl_verify v)
{
	switch (v) {
	case PL_VERIFY_ECHO: return "echo";
	case PL_VERIFY_UPPER: return "upper";
	default: return "none";
	}
}

bool pl_check(const uint8_t *sent, const uint8_t *got, size_t n, enum pl_verify v)
{
	switch (v) {
	case PL_VERIFY_ECHO:
		return memcmp(sent, got, n) == 0;
	case PL_VERIFY_UPPER:
		for (size_t i = 0; i < n; i++) {
			uint8_t e = sent[i] >= 'a' && sent[i] <= 'z' ? (uint8_t)(sent[i] - 32) : sent[i];
			if (got[i] != e)
				return false;
		}
		return true;
	default:
		return true;
	}
}
