/*
 * clients/hist.h — a log-linear latency histogram, HdrHistogram-like.
 *
 * Fixed memory (one array of counters, no allocation), values in
 * nanoseconds from 0 up to 2^40 ns (about 18 minutes). Values below 256 have
 * a bucket each; above, every power of two is cut into 128 equal buckets, so
 * a bucket is never wider than 1/128 of its lower bound. A percentile is
 * reported as the middle of its bucket (clamped to the exact min and max),
 * which is within 1/256 (0.4%) of the exact order statistic. Histograms of
 * different threads merge by adding counters. Not thread-safe: one per
 * thread, merged after the threads have ended.
 */
#ifndef SOCKLAB_CLIENTS_HIST_H
#define SOCKLAB_CLIENTS_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_BITS 40
#define HIST_MAX_VALUE ((1ull << HIST_MAX_BITS) - 1)
#define HIST_NBUCKETS (2 * HIST_SUB + (HIST_MAX_BITS - HIST_SUB_BITS - 1) * HIST_SUB)

struct hist {
	uint64_t counts[HIST_NBUCKETS];
	uint64_t total;
	uint64_t min, max;    /* exact; min is UINT64_MAX while empty */
	uint64_t clamped;     /* values above HIST_MAX_VALUE, kept in the last bucket */
	double sum;           /* for the mean */
};

void hist_init(struct hist *h);
void hist_record(struct hist *h, uint64_t v);
void hist_record_n(struct hist *h, uint64_t v, uint64_t n);
/* dst += src. */
void hist_merge(struct hist *dst, const struct hist *src);

/* Value at percentile q (0..100): the smallest recorded value v such that
 * at least q% of the values are <= v, to within the bucket precision.
 * 0 when empty; q >= 100 gives the exact max. */
uint64_t hist_percentile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

/* Bucket geometry, so that a store can save (index, count) pairs and
 * rebuild the histogram. */
size_t hist_index(uint64_t v);
uint64_t hist_bucket_lo(size_t idx);
uint64_t hist_bucket_width(size_t idx);

/* Iterate the non-empty buckets in increasing value order:
 *   struct hist_iter it = {0};
 *   while (hist_next(h, &it)) use(it.lo, it.hi, it.count);
 * lo..hi is the inclusive value range of the bucket, value its middle. */
struct hist_iter {
	size_t idx;          /* next bucket to look at */
	uint64_t lo, hi, value, count;
};
bool hist_next(const struct hist *h, struct hist_iter *it);

#endif
