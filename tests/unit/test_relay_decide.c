/*
 * tests/unit/test_relay_decide.c — the relay's decisions without sockets:
 * one seed gives one decision sequence and another seed a different one;
 * over 100k datagrams loss, duplication and reordering come out at their
 * configured probability (±0.5 points); jitter stays within its bounds;
 * chunk lists cycle and random ranges stay inside A..B and cover them; the
 * rate queue delivers the configured rate (±2%) on simulated time and
 * tail-drops beyond its bound; the flag parsers (probability, delay,
 * rate, chunks, stall) accept and reject.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "harness/relay.h"

#define N 100000

static struct rly_impair imp(double loss, double dup, double reorder)
{
	struct rly_impair i = {.loss = loss, .dup = dup, .reorder = reorder,
			       .delay_ns = 10000000, .jitter_ns = 5000000};
	return i;
}

/* A fingerprint of n decisions. */
static uint64_t run(const struct rly_impair *im, uint64_t seed, uint64_t stream, int n)
{
	struct rly_decider d;
	struct rly_verdict v;
	uint64_t h = 0;
	rly_decider_init(&d, im, seed, stream);
	for (int i = 0; i < n; i++) {
		rly_decide(&d, &v);
		h = h * 1000003u + (uint64_t)v.drop + 2u * v.dup + 4u * v.reorder + 8u * v.delay_ns;
	}
	return h;
}

static void test_same_seed_same_sequence(void **state)
{
	(void)state;
	struct rly_impair im = imp(0.2, 0.1, 0.1);
	struct rly_decider a, b;
	struct rly_verdict va, vb;
	rly_decider_init(&a, &im, 7, 0);
	rly_decider_init(&b, &im, 7, 0);
	for (int i = 0; i < 10000; i++) {
		rly_decide(&a, &va);
		rly_decide(&b, &vb);
		assert_int_equal(va.drop, vb.drop);
		assert_int_equal(va.dup, vb.dup);
		assert_int_equal(va.reorder, vb.reorder);
		assert_int_equal(va.delay_ns, vb.delay_ns);
	}
	assert_int_not_equal(run(&im, 7, 0, 1000), run(&im, 8, 0, 1000));
	assert_int_not_equal(run(&im, 7, 0, 1000), run(&im, 7, 1, 1000));
	/* The loss sequence does not depend on the other probabilities:
	 * every decision draws the same values. */
	struct rly_impair only_loss = imp(0.2, 0, 0);
	rly_decider_init(&a, &im, 9, 0);
	rly_decider_init(&b, &only_loss, 9, 0);
	for (int i = 0; i < 10000; i++) {
		rly_decide(&a, &va);
		rly_decide(&b, &vb);
		assert_int_equal(va.drop, vb.drop);
	}
}

static void test_rates(void **state)
{
	(void)state;
	struct rly_impair im = imp(0.05, 0.01, 0.02);
	struct rly_decider d;
	struct rly_verdict v;
	unsigned long drop = 0, dup = 0, reo = 0, kept = 0;
	rly_decider_init(&d, &im, 42, 0);
	for (int i = 0; i < N; i++) {
		rly_decide(&d, &v);
		drop += v.drop;
		if (!v.drop) {
			kept++;
			dup += v.dup;
			reo += v.reorder;
		}
		assert_true(v.delay_ns >= 5000000 && v.delay_ns <= 15000000);
		assert_false(v.drop && (v.dup || v.reorder));
	}
	assert_true(fabs((double)drop / N - 0.05) <= 0.005);
	assert_true(fabs((double)dup / (double)kept - 0.01) <= 0.005);
	assert_true(fabs((double)reo / (double)kept - 0.02) <= 0.005);

	/* 0 never, 1 always. */
	struct rly_impair none = imp(0, 0, 0), all = imp(1, 0, 0);
	all.jitter_ns = none.jitter_ns = 0;
	rly_decider_init(&d, &none, 1, 0);
	for (int i = 0; i < 1000; i++) {
		rly_decide(&d, &v);
		assert_false(v.drop || v.dup || v.reorder);
		assert_int_equal(v.delay_ns, 10000000);
	}
	rly_decider_init(&d, &all, 1, 0);
	for (int i = 0; i < 1000; i++) {
		rly_decide(&d, &v);
		assert_true(v.drop);
	}
}

static void test_chunks(void **state)
{
	(void)state;
	struct rly_chunk_spec s;
	struct rly_chunker c;
	char err[256];
	assert_int_equal(rly_chunk_parse(&s, "1,3,7", err, sizeof(err)), 0);
	assert_int_equal(s.kind, RLY_CHUNK_LIST);
	rly_chunker_init(&c, &s, 1, 0);
	const size_t want[] = {1, 3, 7, 1, 3, 7, 1};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(rly_chunk_next(&c), want[i]);

	assert_int_equal(rly_chunk_parse(&s, "random:2-5", err, sizeof(err)), 0);
	assert_int_equal(s.kind, RLY_CHUNK_RANDOM);
	struct rly_chunker c2;
	rly_chunker_init(&c, &s, 3, 0);
	rly_chunker_init(&c2, &s, 3, 0);
	unsigned seen[8] = {0};
	for (int i = 0; i < 10000; i++) {
		size_t n = rly_chunk_next(&c);
		assert_int_equal(n, rly_chunk_next(&c2));
		assert_true(n >= 2 && n <= 5);
		seen[n]++;
	}
	for (int k = 2; k <= 5; k++)
		assert_true(seen[k] > 2000);

	assert_int_equal(rly_chunk_parse(&s, "random:1-1", err, sizeof(err)), 0);
	rly_chunker_init(&c, &s, 3, 0);
	assert_int_equal(rly_chunk_next(&c), 1);

	const char *badv[] = {"", "0", "1,", ",1", "1,,2", "x", "70000", "random:5-2",
			      "random:0-3", "random:1", "1;2", "-1"};
	for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++)
		assert_int_equal(rly_chunk_parse(&s, badv[i], err, sizeof(err)), -EINVAL);
	char many[256] = "1";
	for (int i = 0; i < RLY_MAX_CHUNKS; i++)
		strcat(many, ",2");
	assert_int_equal(rly_chunk_parse(&s, many, err, sizeof(err)), -EINVAL);
}

/* Offer twice the rate for 10 simulated seconds: the bytes out by then are
 * the rate, the rest is tail-dropped, and the queue never exceeds its bound. */
static void test_rate_queue(void **state)
{
	(void)state;
	const uint64_t rate = 8000000;             /* 1 MB/s */
	const uint64_t sec = 1000000000ull;
	struct rly_rate r;
	rly_rate_init(&r, rate, 64 * 1024);
	uint64_t out_bytes = 0, dropped = 0, depart;
	const size_t len = 1000;
	/* 2000 datagrams of 1000 B per second = 2 MB/s offered. */
	for (uint64_t t = 0; t < 10 * sec; t += sec / 2000) {
		if (rly_rate_admit(&r, t, len, &depart) < 0) {
			dropped++;
			continue;
		}
		assert_true(depart >= t);
		/* Queue bound: nothing waits longer than 64 KiB at the rate. */
		assert_true(depart - t <= (64 * 1024 + len) * 8 * sec / rate);
		if (depart <= 10 * sec)
			out_bytes += len;
	}
	double got = (double)out_bytes * 8 / 10.0;
	assert_true(fabs(got / (double)rate - 1.0) <= 0.02);
	assert_true(dropped > 9000 && dropped < 11000);

	/* Below the rate nothing is dropped or queued for long. */
	rly_rate_init(&r, rate, 64 * 1024);
	for (uint64_t t = 0; t < sec; t += sec / 500) {
		assert_int_equal(rly_rate_admit(&r, t, len, &depart), 0);
		assert_true(depart - t <= len * 8 * sec / rate + 1);
	}
	/* Unlimited: leaves at once. */
	rly_rate_init(&r, 0, 1);
	assert_int_equal(rly_rate_admit(&r, 5, 100000, &depart), 0);
	assert_int_equal(depart, 5);
	/* An empty queue takes a datagram bigger than its bound. */
	rly_rate_init(&r, rate, 100);
	assert_int_equal(rly_rate_admit(&r, 0, 1000, &depart), 0);
	assert_int_equal(rly_rate_admit(&r, 0, 10, &depart), -ENOBUFS);
}

static void test_parsers(void **state)
{
	(void)state;
	char err[256];
	double p;
	uint64_t d, j, bps;
	assert_int_equal(rly_prob_parse("0.05", &p, err, sizeof(err)), 0);
	assert_true(fabs(p - 0.05) < 1e-12);
	assert_int_equal(rly_prob_parse("5%", &p, err, sizeof(err)), 0);
	assert_true(fabs(p - 0.05) < 1e-12);
	assert_int_equal(rly_prob_parse("1", &p, err, sizeof(err)), 0);
	assert_int_equal(rly_prob_parse("100%", &p, err, sizeof(err)), 0);
	const char *badp[] = {"", "5", "-0.1", "101%", "x", "0.5x", "nan", "5%%"};
	for (size_t i = 0; i < sizeof(badp) / sizeof(badp[0]); i++)
		assert_int_equal(rly_prob_parse(badp[i], &p, err, sizeof(err)), -EINVAL);

	assert_int_equal(rly_delay_parse("20", &d, &j, err, sizeof(err)), 0);
	assert_int_equal(d, 20000000);
	assert_int_equal(j, 0);
	assert_int_equal(rly_delay_parse("20\xc2\xb1" "5", &d, &j, err, sizeof(err)), 0);
	assert_int_equal(j, 5000000);
	assert_int_equal(rly_delay_parse("0.5ms+-0.25ms", &d, &j, err, sizeof(err)), 0);
	assert_int_equal(d, 500000);
	assert_int_equal(j, 250000);
	const char *badd[] = {"", "-1", "x", "20+", "20+-", "20+-x", "20s", "20+--1"};
	for (size_t i = 0; i < sizeof(badd) / sizeof(badd[0]); i++)
		assert_int_equal(rly_delay_parse(badd[i], &d, &j, err, sizeof(err)), -EINVAL);

	assert_int_equal(rly_rate_parse("800k", &bps, err, sizeof(err)), 0);
	assert_int_equal(bps, 800000);
	assert_int_equal(rly_rate_parse("10Mbit/s", &bps, err, sizeof(err)), 0);
	assert_int_equal(bps, 10000000);
	assert_int_equal(rly_rate_parse("1500", &bps, err, sizeof(err)), 0);
	assert_int_equal(bps, 1500);
	uint64_t ns, at;
	assert_int_equal(rly_stall_parse("500@1000", &ns, &at, err, sizeof(err)), 0);
	assert_int_equal(ns, 500000000);
	assert_int_equal(at, 1000);
	const char *bads[] = {"", "500", "500@", "@10", "0@10", "500@0", "500@x", "500@10x", "-1@5"};
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		assert_int_equal(rly_stall_parse(bads[i], &ns, &at, err, sizeof(err)), -EINVAL);

	const char *badr[] = {"", "0", "-5", "x", "10q", "2T"};
	for (size_t i = 0; i < sizeof(badr) / sizeof(badr[0]); i++)
		assert_int_equal(rly_rate_parse(badr[i], &bps, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_sequence),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_rate_queue),
		cmocka_unit_test(test_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
