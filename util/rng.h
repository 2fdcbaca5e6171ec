/*
 * util/rng.h — the seeded generator every repeatable draw uses (payload
 * sizes, the relay's impairment decisions): xoshiro256**, seeded through
 * splitmix64, so a run is repeatable from its seed. No global state.
 */
#ifndef SOCKLAB_UTIL_RNG_H
#define SOCKLAB_UTIL_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1). */
double rng_double(struct rng *r);
/* splitmix64: a good 64-bit mix of x, for seeding and hashing. */
uint64_t rng_mix64(uint64_t x);

#endif
