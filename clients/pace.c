/*
 * clients/pace.c — the open-loop schedule.
 */
#include "clients/pace.h"

void pace_init(struct pace *p, uint64_t start_ns, double rate, unsigned nclients,
	       unsigned index)
{
	p->start_ns = start_ns;
	p->ns_per_slot = 1e9 / rate;
	p->first = index;
	p->stride = nclients ? nclients : 1;
	p->k = 0;
}

uint64_t pace_at(const struct pace *p, uint64_t k)
{
	/* Computed from the slot number, not accumulated, so that rounding
	 * never drifts: slot n is at exactly n/R seconds. */
	double slot = (double)(p->first + k * p->stride);
	return p->start_ns + (uint64_t)(slot * p->ns_per_slot);
}

uint64_t pace_next(struct pace *p)
{
	return pace_at(p, p->k++);
}

uint64_t pace_peek(const struct pace *p)
{
	return pace_at(p, p->k);
}
