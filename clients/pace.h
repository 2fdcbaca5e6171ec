/*
 * clients/pace.h — open-loop pacing: when each request *should* be sent.
 *
 * A fixed aggregate rate R is spread over N clients: client i owns the
 * slots i, i+N, i+2N, ... of one global schedule start + slot/R, so the
 * clients are evenly interleaved and together issue exactly R per second.
 * Latency is measured from a request's intended time, not from when it was
 * actually sent: when the server stalls, the requests that should have gone
 * out meanwhile carry the stall in their latency (coordinated omission,
 * handled as wrk2 does) instead of silently not existing.
 */
#ifndef SOCKLAB_CLIENTS_PACE_H
#define SOCKLAB_CLIENTS_PACE_H

#include <stdint.h>

struct pace {
	uint64_t start_ns;
	double ns_per_slot;   /* 1e9 / R */
	uint64_t first;       /* this client's first slot (its index) */
	uint64_t stride;      /* number of clients */
	uint64_t k;           /* this client's next request */
};

/* rate > 0 requests/s in total over nclients; index < nclients. */
void pace_init(struct pace *p, uint64_t start_ns, double rate, unsigned nclients,
	       unsigned index);
/* Intended time of this client's k-th request. */
uint64_t pace_at(const struct pace *p, uint64_t k);
/* Intended time of the next request; advances. */
uint64_t pace_next(struct pace *p);
/* Intended time of the next request, without advancing. */
uint64_t pace_peek(const struct pace *p);

#endif
