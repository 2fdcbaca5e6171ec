/*
 * tests/unit/test_payload.c — size specs parse and draw within their
 * bounds with the right mean; content is deterministic per (conn, seq),
 * differs between messages, avoids the delimiter, and a reply is checked
 * byte for byte (echo) or upper-cased (the seeds' server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <errno.h>
#include <string.h>

#include "clients/payload.h"

static void test_size_parse(void **state)
{
	(void)state;
	struct pl_size s;
	char err[256];
	assert_int_equal(pl_size_parse(&s, "64", 1 << 20, err, sizeof(err)), 0);
	assert_int_equal(s.kind, PL_FIXED);
	assert_int_equal(s.a, 64);
	assert_int_equal(pl_size_parse(&s, "4k", 1 << 20, err, sizeof(err)), 0);
	assert_int_equal(s.a, 4096);
	assert_int_equal(pl_size_parse(&s, "uniform:16-1k", 1 << 20, err, sizeof(err)), 0);
	assert_int_equal(s.kind, PL_UNIFORM);
	assert_int_equal(s.b, 1024);
	assert_int_equal(pl_size_parse(&s, "exp:300", 1 << 20, err, sizeof(err)), 0);
	assert_int_equal(s.kind, PL_EXP);
	const char *bad[] = {"", "x", "-1", "uniform:5", "uniform:9-3", "exp:0", "exp:", "64q",
			     "2m", "0", "uniform:0-10"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pl_size_parse(&s, bad[i], 1 << 20, err, sizeof(err)), -EINVAL);
}

static void test_draws(void **state)
{
	(void)state;
	struct pl_size s;
	struct rng r;
	char err[256];
	rng_seed(&r, 1);
	assert_int_equal(pl_size_parse(&s, "uniform:10-20", 1000, err, sizeof(err)), 0);
	int seen[21] = {0};
	for (int i = 0; i < 10000; i++) {
		uint64_t v = pl_size_draw(&s, &r, 1, 1000);
		assert_true(v >= 10 && v <= 20);
		seen[v]++;
	}
	for (int v = 10; v <= 20; v++)
		assert_true(seen[v] > 700);   /* ~909 each */
	assert_int_equal(pl_size_parse(&s, "exp:200", 100000, err, sizeof(err)), 0);
	double sum = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t v = pl_size_draw(&s, &r, 1, 100000);
		assert_true(v >= 1);
		sum += (double)v;
	}
	assert_true(sum / 100000 > 195 && sum / 100000 < 205);
	/* Same seed, same sequence. */
	struct rng a, b;
	rng_seed(&a, 99);
	rng_seed(&b, 99);
	for (int i = 0; i < 100; i++)
		assert_int_equal(rng_next(&a), rng_next(&b));
}

static void test_content(void **state)
{
	(void)state;
	uint8_t a[1000], b[1000], c[1000];
	pl_fill(a, sizeof(a), 3, 17, -1);
	pl_fill(b, sizeof(b), 3, 17, -1);
	assert_memory_equal(a, b, sizeof(a));
	pl_fill(c, sizeof(c), 3, 18, -1);
	assert_memory_not_equal(a, c, sizeof(a));
	pl_fill(c, sizeof(c), 4, 17, -1);
	assert_memory_not_equal(a, c, sizeof(a));
	/* A shorter message is a prefix of a longer one: a datagram's payload
	 * can be regenerated from its length alone. */
	pl_fill(c, 37, 3, 17, -1);
	assert_memory_equal(a, c, 37);
	for (size_t i = 0; i < sizeof(a); i++)
		assert_true(a[i] != '\n' && a[i] >= '0' && a[i] <= 'z');
	pl_fill(c, sizeof(c), 3, 17, 'a');
	assert_null(memchr(c, 'a', sizeof(c)));
}

static void test_check(void **state)
{
	(void)state;
	uint8_t sent[256], got[256];
	pl_fill(sent, sizeof(sent), 1, 1, -1);
	memcpy(got, sent, sizeof(got));
	assert_true(pl_check(sent, got, sizeof(got), PL_VERIFY_ECHO));
	got[100] ^= 1;
	assert_false(pl_check(sent, got, sizeof(got), PL_VERIFY_ECHO));
	assert_true(pl_check(sent, got, sizeof(got), PL_VERIFY_NONE));
	for (size_t i = 0; i < sizeof(sent); i++)
		got[i] = sent[i] >= 'a' && sent[i] <= 'z' ? (uint8_t)(sent[i] - 32) : sent[i];
	assert_true(pl_check(sent, got, sizeof(got), PL_VERIFY_UPPER));
	assert_false(pl_check(sent, got, sizeof(got), PL_VERIFY_ECHO));
	enum pl_verify v;
	assert_int_equal(pl_verify_parse(&v, "upper"), 0);
	assert_int_equal(v, PL_VERIFY_UPPER);
	assert_int_equal(pl_verify_parse(&v, "x"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_draws),
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_check),
	};
	return tl_run_group(tests, NULL, NULL);
}
