/*
 * harness/relay/relay_decide.c — the relay's impairment decisions, free of
 * sockets and clocks so the unit tests can replay them: flag parsers, the
 * per-datagram verdict from a seeded generator, the rate queue on a
 * virtual clock, and the TCP chunker. See harness/relay/relay.h.
 */
#include "harness/relay/relay.h"
#include "util/units.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int rly_prob_parse(const char *s, double *out, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || isnan(v))
		goto bad;
	if (*end == '%') {
		v /= 100.0;
		end++;
	}
	if (*end || v < 0.0 || v > 1.0)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not a probability (0..1 or 0%%..100%%)", s);
	return -EINVAL;
}

#define HOUR_NS (3600 * UNIT_NS_PER_SEC)

/* A duration of at most an hour at the start of s. */
static int hour_prefix(const char *s, const char **end, uint64_t *ns, char *err, size_t errlen)
{
	if (unit_duration_ns_prefix(s, end, ns, err, errlen) < 0)
		return -EINVAL;
	if (*ns > HOUR_NS) {
		snprintf(err, errlen, "'%s': at most 1h", s);
		return -EINVAL;
	}
	return 0;
}

int rly_delay_parse(const char *s, uint64_t *delay_ns, uint64_t *jitter_ns,
		    char *err, size_t errlen)
{
	const char *p;
	uint64_t d, j = 0;
	if (hour_prefix(s, &p, &d, err, errlen) < 0)
		return -EINVAL;
	if (*p) {
		if (strncmp(p, "\xc2\xb1", 2) != 0 && strncmp(p, "+-", 2) != 0)
			goto bad;
		if (hour_prefix(p + 2, &p, &j, err, errlen) < 0)
			return -EINVAL;
		if (*p)
			goto bad;
	}
	*delay_ns = d;
	*jitter_ns = j;
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not DELAY or DELAY\xc2\xb1JITTER (e.g. 20ms, 20ms+-5ms)", s);
	return -EINVAL;
}

int rly_rate_parse(const char *s, uint64_t *bps, char *err, size_t errlen)
{
	uint64_t v;
	if (unit_bitrate(s, &v, err, errlen) < 0)
		return -EINVAL;
	if (v < 1 || v > 1000000000000ull) {
		snprintf(err, errlen, "'%s': must be 1bit to 1000gbit", s);
		return -EINVAL;
	}
	*bps = v;
	return 0;
}

/* A chunk size, 1..65536 bytes, at the start of s. */
static int chunk_size(const char *s, const char **end, size_t *out)
{
	char why[128];
	uint64_t v;
	if (unit_size_prefix(s, end, &v, why, sizeof(why)) < 0 || v < 1 || v > 65536)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

int rly_chunk_parse(struct rly_chunk_spec *c, const char *s, char *err, size_t errlen)
{
	const char *p;
	memset(c, 0, sizeof(*c));
	if (strncmp(s, "random:", 7) == 0) {
		c->kind = RLY_CHUNK_RANDOM;
		if (chunk_size(s + 7, &p, &c->lo) < 0 || *p != '-' ||
		    chunk_size(p + 1, &p, &c->hi) < 0 || *p || c->lo > c->hi)
			goto bad;
		return 0;
	}
	c->kind = RLY_CHUNK_LIST;
	p = s;
	for (;;) {
		if (c->n == RLY_MAX_CHUNKS || chunk_size(p, &p, &c->sizes[c->n]) < 0)
			goto bad;
		c->n++;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	memset(c, 0, sizeof(*c));
	snprintf(err, errlen, "'%s' is not SIZE[,SIZE...] (at most %d) or random:A-B, "
		 "sizes 1..65536", s, RLY_MAX_CHUNKS);
	return -EINVAL;
}

int rly_stall_parse(const char *s, uint64_t *ns, uint64_t *at, char *err, size_t errlen)
{
	const char *p;
	uint64_t d, n;
	if (hour_prefix(s, &p, &d, err, errlen) < 0)
		return -EINVAL;
	if (d == 0 || *p != '@' || unit_size(p + 1, &n, err, errlen) < 0 || n == 0) {
		snprintf(err, errlen, "'%s' is not DURATION@BYTES (e.g. 500ms@1000, 1s@4k)", s);
		return -EINVAL;
	}
	*ns = d;
	*at = n;
	return 0;
}

/* One seed, many independent generators: mix the stream number in. */
static void seed_stream(struct rng *r, uint64_t seed, uint64_t stream)
{
	rng_seed(r, rng_mix64(seed ^ rng_mix64(stream + 0x9e3779b97f4a7c15ull)));
}

void rly_decider_init(struct rly_decider *d, const struct rly_impair *imp,
		      uint64_t seed, uint64_t stream)
{
	d->imp = imp;
	seed_stream(&d->rng, seed, stream);
	d->stream = stream;
	d->n = 0;
	d->hash = 0;
}

static uint64_t fold(uint64_t h, uint64_t v)
{
	return rng_mix64(h ^ rng_mix64(v + 0x632be59bd9b4e019ull));
}

uint64_t rly_hash_digest(uint64_t stream, uint64_t n, uint64_t hash)
{
	if (n == 0)
		return 0;
	return fold(fold(hash, stream), n) & ((1ull << 53) - 1);
}

void rly_decide(struct rly_decider *d, struct rly_verdict *v)
{
	const struct rly_impair *imp = d->imp;
	/* Always four draws, so a probability of 0 does not shift the
	 * sequence the others see. */
	double l = rng_double(&d->rng);
	double u = rng_double(&d->rng);
	double o = rng_double(&d->rng);
	double j = rng_double(&d->rng);

	v->drop = l < imp->loss;
	v->dup = !v->drop && u < imp->dup;
	v->reorder = !v->drop && o < imp->reorder;
	int64_t delay = (int64_t)imp->delay_ns;
	if (imp->jitter_ns)
		delay += (int64_t)llround((2.0 * j - 1.0) * (double)imp->jitter_ns);
	v->delay_ns = delay > 0 ? (uint64_t)delay : 0;
	d->hash = fold(d->hash, (uint64_t)v->drop | (uint64_t)v->dup << 1 |
			(uint64_t)v->reorder << 2 | v->delay_ns << 3);
	d->n++;
}

void rly_rate_init(struct rly_rate *r, uint64_t rate_bps, uint64_t queue_bytes)
{
	r->rate_bps = rate_bps;
	r->queue_bytes = queue_bytes;
	r->busy_until = 0;
}

int rly_rate_admit(struct rly_rate *r, uint64_t now, size_t len, uint64_t *depart)
{
	if (r->rate_bps == 0) {
		*depart = now;
		return 0;
	}
	if (r->busy_until < now)
		r->busy_until = now;
	/* Bytes still queued = the backlog's remaining time at the rate. */
	double queued = (double)(r->busy_until - now) * (double)r->rate_bps / 8e9;
	if (queued + (double)len > (double)r->queue_bytes && queued > 0.0)
		return -ENOBUFS;
	r->busy_until += (uint64_t)llround((double)len * 8e9 / (double)r->rate_bps);
	*depart = r->busy_until;
	return 0;
}

void rly_bucket_init(struct rly_bucket *b, uint64_t rate_bps, uint64_t burst, uint64_t now)
{
	if (burst == 0) {
		burst = rate_bps / 8 / 50;
		if (burst < 1)
			burst = 1;
		if (burst > 65536)
			burst = 65536;
	}
	b->rate_bps = rate_bps;
	b->burst = burst;
	b->tokens = (double)burst;
	b->last = now;
}

static void bucket_refill(struct rly_bucket *b, uint64_t now)
{
	if (now > b->last) {
		b->tokens += (double)(now - b->last) * (double)b->rate_bps / 8e9;
		if (b->tokens > (double)b->burst)
			b->tokens = (double)b->burst;
		b->last = now;
	}
}

size_t rly_bucket_take(struct rly_bucket *b, uint64_t now, size_t want)
{
	bucket_refill(b, now);
	double have = floor(b->tokens);
	size_t n = have < (double)want ? (size_t)have : want;
	b->tokens -= (double)n;
	return n;
}

uint64_t rly_bucket_ready(const struct rly_bucket *b, uint64_t now, size_t want)
{
	struct rly_bucket t = *b;
	bucket_refill(&t, now);
	/* Half a bucket, not a full one: a wakeup late by less than half the
	 * burst loses nothing to the cap. */
	uint64_t half = t.burst / 2 ? t.burst / 2 : 1;
	double need = (double)(want < half ? want : half) - t.tokens;
	if (need <= 0)
		return now;
	return now + (uint64_t)ceil(need * 8e9 / (double)t.rate_bps);
}

void rly_chunker_init(struct rly_chunker *c, const struct rly_chunk_spec *spec,
		      uint64_t seed, uint64_t stream)
{
	c->spec = spec;
	c->idx = 0;
	seed_stream(&c->rng, seed, stream);
	c->stream = stream;
	c->n = 0;
	c->hash = 0;
}

size_t rly_chunk_next(struct rly_chunker *c)
{
	const struct rly_chunk_spec *s = c->spec;
	size_t v;
	switch (s->kind) {
	case RLY_CHUNK_LIST:
		v = s->sizes[c->idx];
		c->idx = (c->idx + 1) % s->n;
		break;
	case RLY_CHUNK_RANDOM:
		v = s->lo + (size_t)(rng_next(&c->rng) % (uint64_t)(s->hi - s->lo + 1));
		break;
	case RLY_CHUNK_NONE:
	default:
		return 0;
	}
	c->hash = fold(c->hash, v);
	c->n++;
	return v;
}
