/*
 * tests/unit/test_hist.c — the log-linear histogram against a sorted
 * reference: p50/p90/p99/p99.9/max within 1% on 100k values of several
 * distributions; merging equals recording everything in one; iteration
 * visits exactly the non-empty buckets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clients/hist.h"
#include "clients/payload.h"

#define N 100000

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

enum dist { UNIFORM, EXPONENTIAL, LOGNORMAL, BIMODAL, SMALL };

static uint64_t draw(enum dist d, struct rng *r)
{
	double u = rng_double(r);
	switch (d) {
	case UNIFORM:
		return 1000 + rng_next(r) % 10000000;           /* 1 us .. 10 ms */
	case EXPONENTIAL:
		return (uint64_t)(-50000.0 * log(1.0 - u)) + 1;     /* mean 50 us */
	case LOGNORMAL: {
		double z = sqrt(-2 * log(1.0 - u)) * cos(2 * M_PI * rng_double(r));
		return (uint64_t)exp(11.0 + 1.5 * z);              /* long tail, to ~seconds */
	}
	case BIMODAL:
		return u < 0.95 ? 40000 + rng_next(r) % 20000    /* 40-60 us */
				: 200000000 + rng_next(r) % 5000000; /* a 200 ms stall */
	default:
		return rng_next(r) % 300;                        /* exact region */
	}
}

static void check_dist(enum dist d)
{
	uint64_t *v = malloc(N * sizeof(*v));
	struct hist *h = malloc(sizeof(*h));
	struct rng r;
	assert_non_null(v);
	assert_non_null(h);
	hist_init(h);
	rng_seed(&r, 42 + d);
	for (size_t i = 0; i < N; i++) {
		v[i] = draw(d, &r);
		hist_record(h, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	const double qs[] = {50, 90, 99, 99.9, 100};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		size_t rank = (size_t)ceil(qs[i] / 100.0 * N);
		uint64_t want = v[rank - 1], got = hist_percentile(h, qs[i]);
		double rel = fabs((double)got - (double)want) / (double)(want ? want : 1);
		if (rel > 0.01)
			fail_msg("dist %d p%.1f: got %llu want %llu (%.3f%%)", d, qs[i],
				 (unsigned long long)got, (unsigned long long)want, rel * 100);
	}
	assert_int_equal(hist_percentile(h, 100), v[N - 1]);
	assert_int_equal(h->min, v[0]);
	assert_int_equal(h->total, N);
	free(v);
	free(h);
}

static void test_uniform(void **s) { (void)s; check_dist(UNIFORM); }
static void test_exponential(void **s) { (void)s; check_dist(EXPONENTIAL); }
static void test_lognormal(void **s) { (void)s; check_dist(LOGNORMAL); }
static void test_bimodal(void **s) { (void)s; check_dist(BIMODAL); }
static void test_small_exact(void **s) { (void)s; check_dist(SMALL); }

static void test_merge_equals_all(void **state)
{
	(void)state;
	struct hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *all = malloc(sizeof(*all));
	struct rng r;
	hist_init(a);
	hist_init(b);
	hist_init(all);
	rng_seed(&r, 7);
	for (int i = 0; i < N; i++) {
		uint64_t x = draw(LOGNORMAL, &r);
		hist_record(i % 3 ? a : b, x);
		hist_record(all, x);
	}
	hist_merge(a, b);
	assert_memory_equal(a->counts, all->counts, sizeof(all->counts));
	assert_int_equal(a->total, all->total);
	assert_int_equal(a->min, all->min);
	assert_int_equal(a->max, all->max);
	assert_true(fabs(hist_mean(a) - hist_mean(all)) < 1e-6 * hist_mean(all));
	/* Merging an empty histogram changes nothing. */
	hist_init(b);
	hist_merge(a, b);
	assert_int_equal(a->min, all->min);
	free(a);
	free(b);
	free(all);
}

static void test_geometry_and_iter(void **state)
{
	(void)state;
	/* Every value falls inside its bucket, buckets are contiguous, and the
	 * width stays below 1/128 of the lower bound. */
	for (size_t i = 0; i + 1 < HIST_NBUCKETS; i++) {
		assert_int_equal(hist_bucket_lo(i) + hist_bucket_width(i), hist_bucket_lo(i + 1));
		assert_int_equal(hist_index(hist_bucket_lo(i)), i);
		assert_int_equal(hist_index(hist_bucket_lo(i) + hist_bucket_width(i) - 1), i);
		if (i >= 2 * HIST_SUB)
			assert_true(hist_bucket_width(i) * HIST_SUB <= hist_bucket_lo(i));
	}
	assert_int_equal(hist_index(100000000000ull) < HIST_NBUCKETS, 1);   /* 100 s fits */

	struct hist *h = malloc(sizeof(*h));
	hist_init(h);
	assert_int_equal(hist_percentile(h, 99), 0);
	hist_record_n(h, 5, 3);
	hist_record(h, 1000000);
	hist_record(h, UINT64_MAX);   /* clamped, still counted */
	struct hist_iter it = {0};
	uint64_t n = 0, buckets = 0;
	while (hist_next(h, &it)) {
		assert_true(it.lo <= it.value && it.value <= it.hi);
		n += it.count;
		buckets++;
	}
	assert_int_equal(n, 5);
	assert_int_equal(buckets, 3);
	assert_int_equal(h->clamped, 1);
	assert_int_equal(hist_percentile(h, 50), 5);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_exponential),
		cmocka_unit_test(test_lognormal),
		cmocka_unit_test(test_bimodal),
		cmocka_unit_test(test_small_exact),
		cmocka_unit_test(test_merge_equals_all),
		cmocka_unit_test(test_geometry_and_iter),
	};
	return tl_run_group(tests, NULL, NULL);
}
