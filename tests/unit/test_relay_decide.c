/*
 * tests/unit/test_relay_decide.c — the relay's decisions without sockets:
 * one seed gives one decision sequence and another seed a different one;
 * over 100k datagrams loss, duplication and reordering come out at their
 * configured probability (±0.5 points); jitter stays within its bounds;
 * chunk lists cycle and random ranges stay inside A..B and cover them; the
 * rate queue delivers the configured rate (±2%) on simulated time and
 * tail-drops beyond its bound; the TCP token bucket meters 1 MB at its
 * rate (±1%) on simulated time and never lends more than its burst; the
 * decision digest is equal for equal sequences and differs for another
 * seed, another count or another stream; the flag parsers (probability,
 * delay, rate, chunks, stall) accept and reject; a scenario's `relay:`
 * section becomes the relay's command line (given keys, the seed, the
 * server's address, a loopback listen address of its family) and its
 * lists are matrix dimensions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/relay/relay.h"
#include "harness/scenario/scenario.h"

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

/* A writer that always has 64 KiB to send, woken when the bucket says. */
static void test_bucket(void **state)
{
	(void)state;
	struct rly_bucket b;
	uint64_t now = 1000000000ull, t0 = now;
	size_t total = 0, taken_max = 0;
	rly_bucket_init(&b, 8000000, 0, now);          /* 1 MB/s, 20 ms = 20 kB burst */
	assert_int_equal(b.burst, 20000);
	while (total < 1000000) {
		size_t n = rly_bucket_take(&b, now, 65536);
		if (n > taken_max)
			taken_max = n;
		total += n;
		if (n == 0) {
			uint64_t when = rly_bucket_ready(&b, now, 65536);
			assert_true(when > now);
			now = when + 137;                       /* a late wakeup */
		}
	}
	assert_int_equal(taken_max, 20000);
	/* 1 MB minus the initial burst took (1e6 - 2e4) / 1e6 s. */
	double s = (double)(now - t0) / 1e9;
	assert_true(fabs(s - 0.98) / 0.98 < 0.01);

	/* Tiny rates: at least one byte per write, never a zero burst. */
	rly_bucket_init(&b, 8, 0, 0);
	assert_int_equal(b.burst, 1);
	assert_int_equal(rly_bucket_take(&b, 0, 10), 1);
	assert_int_equal(rly_bucket_take(&b, 0, 10), 0);
	assert_int_equal(rly_bucket_ready(&b, 0, 10), 1000000000ull);
	/* Idle time does not pile up more than the burst. */
	rly_bucket_init(&b, 8000000, 1000, 0);
	assert_int_equal(rly_bucket_take(&b, 10000000000ull, 5000), 1000);
}

static void test_digest(void **state)
{
	(void)state;
	struct rly_impair i = imp(0.1, 0.05, 0.05);
	struct rly_decider a, b, c;
	struct rly_verdict v;
	rly_decider_init(&a, &i, 42, 0);
	rly_decider_init(&b, &i, 42, 0);
	rly_decider_init(&c, &i, 43, 0);
	for (int k = 0; k < 1000; k++) {
		rly_decide(&a, &v);
		rly_decide(&b, &v);
		rly_decide(&c, &v);
	}
	uint64_t da = rly_hash_digest(a.stream, a.n, a.hash);
	assert_int_equal(a.n, 1000);
	assert_int_equal(da, rly_hash_digest(b.stream, b.n, b.hash));
	assert_int_not_equal(da, rly_hash_digest(c.stream, c.n, c.hash));
	assert_int_not_equal(da, rly_hash_digest(a.stream + 1, a.n, a.hash));
	assert_true(da < (1ull << 53));
	assert_int_equal(rly_hash_digest(7, 0, 0), 0);
	rly_decide(&a, &v);
	assert_int_not_equal(da, rly_hash_digest(a.stream, a.n, a.hash));

	struct rly_chunk_spec spec;
	char err[128];
	struct rly_chunker x, y;
	assert_int_equal(rly_chunk_parse(&spec, "random:1-16", err, sizeof(err)), 0);
	rly_chunker_init(&x, &spec, 5, 3);
	rly_chunker_init(&y, &spec, 6, 3);
	for (int k = 0; k < 100; k++) {
		rly_chunk_next(&x);
		rly_chunk_next(&y);
	}
	assert_int_equal(x.n, 100);
	assert_int_not_equal(rly_hash_digest(x.stream, x.n, x.hash),
			     rly_hash_digest(y.stream, y.n, y.hash));
}

static char *joined(char **argv)
{
	static char buf[1024];
	size_t n = 0;
	buf[0] = '\0';
	for (; *argv; argv++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "", *argv);
	return buf;
}

static void test_scenario_argv(void **state)
{
	(void)state;
	static const char text[] =
		"server: {proto: udp}\n"
		"relay:\n"
		"  loss: 5%\n"
		"  delay: 2ms+-1ms\n"
		"  queue: 16k\n"
		"  seed: [3, 4]\n"
		"clients: {rate: 100, requests: 10}\n";
	struct scn *s;
	struct scn_error err;
	char **argv;
	assert_int_equal(scn_load_string("t.yaml", text, sizeof(text) - 1, &s, &err), 0);
	assert_true(s->has_relay);
	assert_int_equal(s->ncases, 2);
	assert_int_equal(s->nvary, 1);
	assert_string_equal(s->vary[0], "relay.seed");
	assert_int_equal(scn_case_relay_argv(s, &s->cases[1], "socklab", "127.0.0.1:9000", &argv), 0);
	assert_string_equal(joined(argv), "socklab relay --proto udp --listen 127.0.0.1:0 --to "
			    "127.0.0.1:9000 --loss 5% --delay 2ms+-1ms --queue 16k --seed 4");
	scn_argv_free(argv);
	assert_int_equal(scn_case_relay_argv(s, &s->cases[0], NULL, "[::1]:9000", &argv), 0);
	assert_string_equal(joined(argv), "relay --proto udp --listen [::1]:0 --to [::1]:9000 "
			    "--loss 5% --delay 2ms+-1ms --queue 16k --seed 3");
	scn_argv_free(argv);
	char *label = scn_case_label(s, &s->cases[0]);
	assert_string_equal(label, "seed=3");
	free(label);
	scn_free(s);

	/* A target scenario: the relay points at target.address; the default
	 * seed is passed. No relay section: no relay argv. */
	static const char t2[] = "target: {address: '127.0.0.1:7', proto: tcp}\n"
				 "relay: {chunk: '1,3,7', both: true}\n";
	assert_int_equal(scn_load_string("t.yaml", t2, sizeof(t2) - 1, &s, &err), 0);
	assert_int_equal(scn_case_relay_argv(s, &s->cases[0], NULL, NULL, &argv), 0);
	assert_string_equal(joined(argv), "relay --proto tcp --listen 127.0.0.1:0 --to "
			    "127.0.0.1:7 --chunk 1,3,7 --both --seed 1");
	scn_argv_free(argv);
	scn_free(s);
	static const char t3[] = "server: {proto: tcp}\n";
	assert_int_equal(scn_load_string("t.yaml", t3, sizeof(t3) - 1, &s, &err), 0);
	assert_false(s->has_relay);
	assert_int_equal(scn_case_relay_argv(s, &s->cases[0], NULL, "127.0.0.1:1", &argv), -EINVAL);
	assert_null(scn_case_get(&s->cases[0], "relay.seed"));
	scn_free(s);

	/* Errors name the position. */
	static const char t4[] = "server: {proto: tcp}\nrelay:\n  reorder: 2%\n";
	assert_int_equal(scn_load_string("t.yaml", t4, sizeof(t4) - 1, &s, &err), -EINVAL);
	assert_string_equal(err.text, "t.yaml:3:12: relay.reorder: applies to udp only, and this "
			    "case's proto is tcp");
	static const char t5[] = "server: {proto: udp}\nrelay:\n  dup: [1%, 2x]\n";
	assert_int_equal(scn_load_string("t.yaml", t5, sizeof(t5) - 1, &s, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 13);
	assert_non_null(strstr(err.text, "relay.dup: '2x' is not a probability"));
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

	assert_int_equal(rly_delay_parse("20ms", &d, &j, err, sizeof(err)), 0);
	assert_int_equal(d, 20000000);
	assert_int_equal(j, 0);
	assert_int_equal(rly_delay_parse("20ms\xc2\xb1" "5ms", &d, &j, err, sizeof(err)), 0);
	assert_int_equal(j, 5000000);
	assert_int_equal(rly_delay_parse("0.5ms+-0.25ms", &d, &j, err, sizeof(err)), 0);
	assert_int_equal(d, 500000);
	assert_int_equal(j, 250000);
	assert_int_equal(rly_delay_parse("1s", &d, &j, err, sizeof(err)), 0);   /* once refused */
	assert_int_equal(d, 1000000000);
	assert_int_equal(rly_delay_parse("0", &d, &j, err, sizeof(err)), 0);
	assert_int_equal(d, 0);
	/* A bare delay was milliseconds here and seconds elsewhere: now refused. */
	const char *badd[] = {"", "-1", "x", "20", "20+-5", "20ms+", "20ms+-", "20ms+-x",
			      "20ms+--1ms", "2h", "20ms+-5"};
	for (size_t i = 0; i < sizeof(badd) / sizeof(badd[0]); i++)
		assert_int_equal(rly_delay_parse(badd[i], &d, &j, err, sizeof(err)), -EINVAL);
	assert_int_equal(rly_delay_parse("20", &d, &j, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "give a unit"));

	assert_int_equal(rly_rate_parse("800kbit", &bps, err, sizeof(err)), 0);
	assert_int_equal(bps, 800000);
	assert_int_equal(rly_rate_parse("10Mbit/s", &bps, err, sizeof(err)), 0);
	assert_int_equal(bps, 10000000);
	assert_int_equal(rly_rate_parse("1500bit", &bps, err, sizeof(err)), 0);
	assert_int_equal(bps, 1500);
	assert_int_equal(rly_rate_parse("10mbps", &bps, err, sizeof(err)), 0);
	assert_int_equal(bps, 10000000);
	uint64_t ns, at;
	assert_int_equal(rly_stall_parse("500ms@1000", &ns, &at, err, sizeof(err)), 0);
	assert_int_equal(ns, 500000000);
	assert_int_equal(at, 1000);
	assert_int_equal(rly_stall_parse("1s@4k", &ns, &at, err, sizeof(err)), 0);
	assert_int_equal(ns, 1000000000);
	assert_int_equal(at, 4096);
	const char *bads[] = {"", "500ms", "500ms@", "@10", "0@10", "500ms@0", "500ms@x",
			      "500ms@10x", "-1ms@5", "500@1000"};
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		assert_int_equal(rly_stall_parse(bads[i], &ns, &at, err, sizeof(err)), -EINVAL);

	const char *badr[] = {"", "0", "-5", "x", "10q", "2T", "800k", "10M", "1500", "2000gbit"};
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
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_scenario_argv),
		cmocka_unit_test(test_parsers),
	};
	return tl_run_group(tests, NULL, NULL);
}
