/*
 * clients/hist.c — log-linear histogram: bucket arithmetic, percentiles.
 */
#include "clients/hist.h"

#include <string.h>

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

size_t hist_index(uint64_t v)
{
	if (v > HIST_MAX_VALUE)
		v = HIST_MAX_VALUE;
	if (v < 2 * HIST_SUB)
		return (size_t)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);   /* floor(log2 v) >= 8 */
	unsigned shift = e - HIST_SUB_BITS;
	uint64_t sub = v >> shift;                          /* HIST_SUB .. 2*HIST_SUB-1 */
	return 2 * HIST_SUB + (size_t)(shift - 1) * HIST_SUB + (size_t)(sub - HIST_SUB);
}

uint64_t hist_bucket_lo(size_t idx)
{
	if (idx < 2 * HIST_SUB)
		return idx;
	size_t j = idx - 2 * HIST_SUB;
	unsigned shift = (unsigned)(j / HIST_SUB) + 1;
	uint64_t sub = HIST_SUB + j % HIST_SUB;
	return sub << shift;
}

uint64_t hist_bucket_width(size_t idx)
{
	if (idx < 2 * HIST_SUB)
		return 1;
	return 1ull << ((idx - 2 * HIST_SUB) / HIST_SUB + 1);
}

void hist_record_n(struct hist *h, uint64_t v, uint64_t n)
{
	if (n == 0)
		return;
	if (v > HIST_MAX_VALUE)
		h->clamped += n;
	h->counts[hist_index(v)] += n;
	h->total += n;
	h->sum += (double)v * (double)n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist_record(struct hist *h, uint64_t v)
{
	hist_record_n(h, v, 1);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->total == 0)
		return;
	for (size_t i = 0; i < HIST_NBUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->clamped += src->clamped;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

static uint64_t clamp(const struct hist *h, uint64_t v)
{
	if (v < h->min)
		return h->min;
	if (v > h->max)
		return h->max;
	return v;
}

uint64_t hist_percentile(const struct hist *h, double q)
{
	if (h->total == 0)
		return 0;
	if (q >= 100.0)
		return h->max;
	if (q <= 0.0)
		return h->min;
	/* rank = ceil(q% of total), at least 1: the rank-th smallest value. */
	double r = q / 100.0 * (double)h->total;
	uint64_t rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < HIST_NBUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank)
			return clamp(h, hist_bucket_lo(i) + hist_bucket_width(i) / 2);
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->total ? h->sum / (double)h->total : 0.0;
}

bool hist_next(const struct hist *h, struct hist_iter *it)
{
	while (it->idx < HIST_NBUCKETS && h->counts[it->idx] == 0)
		it->idx++;
	if (it->idx >= HIST_NBUCKETS)
		return false;
	size_t i = it->idx++;
	it->lo = hist_bucket_lo(i);
	it->hi = it->lo + hist_bucket_width(i) - 1;
	it->value = it->lo + hist_bucket_width(i) / 2;
	it->count = h->counts[i];
	return true;
}
