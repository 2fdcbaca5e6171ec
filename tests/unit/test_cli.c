/*
 * tests/unit/test_cli.c — harness/cli value parsers: sizes in powers of
 * 1024 ("4k", "1m", "64KiB"), durations to nanoseconds ("10s", "200ms",
 * "50us", "2m", bare seconds) and bounded whole numbers. A bad value must
 * return -1 and leave the output untouched. (The refusals are explained on
 * stderr; that text is expected in the test log.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include "harness/cli/cli.h"

#define SENTINEL 0xdeadbeefull

static uint64_t size_ok(const char *s)
{
	uint64_t v = SENTINEL;
	if (cli_size("test", "--size", s, &v) != 0)
		fail_msg("size '%s' rejected", s);
	return v;
}

static void size_bad(const char *s)
{
	uint64_t v = SENTINEL;
	if (cli_size("test", "--size", s, &v) != -1)
		fail_msg("size '%s' accepted as %llu", s, (unsigned long long)v);
	assert_int_equal(v, SENTINEL);
}

static void test_size(void **state)
{
	(void)state;
	assert_int_equal(size_ok("0"), 0);
	assert_int_equal(size_ok("512"), 512);
	assert_int_equal(size_ok("512b"), 512);
	assert_int_equal(size_ok("4k"), 4096);
	assert_int_equal(size_ok("4K"), 4096);
	assert_int_equal(size_ok("4kb"), 4096);
	assert_int_equal(size_ok("64KiB"), 65536);
	assert_int_equal(size_ok("1m"), 1048576);
	assert_int_equal(size_ok("1MiB"), 1048576);
	assert_int_equal(size_ok("2g"), 2147483648ull);
	assert_int_equal(size_ok("1.5k"), 1536);

	size_bad("4x");
	size_bad("-1");
	size_bad("");
	size_bad("k");
	size_bad("4 k");
	size_bad(" 4k");
	size_bad("4kk");
	size_bad("4t");
	size_bad("1e30g");
	size_bad("inf");
}

static uint64_t dur_ok(const char *s)
{
	uint64_t v = SENTINEL;
	if (cli_duration_ns("test", "--duration", s, &v) != 0)
		fail_msg("duration '%s' rejected", s);
	return v;
}

static void dur_bad(const char *s)
{
	uint64_t v = SENTINEL;
	if (cli_duration_ns("test", "--duration", s, &v) != -1)
		fail_msg("duration '%s' accepted as %llu", s, (unsigned long long)v);
	assert_int_equal(v, SENTINEL);
}

static void test_duration(void **state)
{
	(void)state;
	assert_int_equal(dur_ok("10s"), 10000000000ull);
	assert_int_equal(dur_ok("200ms"), 200000000ull);
	assert_int_equal(dur_ok("50us"), 50000ull);
	assert_int_equal(dur_ok("2m"), 120000000000ull);
	assert_int_equal(dur_ok("1h"), 3600000000000ull);
	assert_int_equal(dur_ok("750ns"), 750ull);
	assert_int_equal(dur_ok("3"), 3000000000ull);      /* bare seconds */
	assert_int_equal(dur_ok("0.5s"), 500000000ull);
	assert_int_equal(dur_ok("0"), 0);
	assert_int_equal(dur_ok("10MS"), 10000000ull);

	dur_bad("");
	dur_bad("s");
	dur_bad("ms");
	dur_bad("-5s");
	dur_bad("10sec");
	dur_bad("10 s");
	dur_bad("10x");
	dur_bad("1d");
	dur_bad("99999999999h");
}

static void test_uint(void **state)
{
	(void)state;
	unsigned long long v = SENTINEL;

	assert_int_equal(cli_uint("t", "--n", "0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cli_uint("t", "--n", "10", 0, 10, &v), 0);   /* max inclusive */
	assert_int_equal(v, 10);
	assert_int_equal(cli_uint("t", "--n", "1", 1, 1, &v), 0);     /* min inclusive */
	assert_int_equal(v, 1);
	assert_int_equal(cli_uint("t", "--n", "18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, UINT64_MAX);

	const char *bad[] = {
		"11", "", "-1", "+1", " 5", "5 ", "5x", "0x10", "1.0",
		"18446744073709551616", "abc",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = SENTINEL;
		if (cli_uint("t", "--n", bad[i], 0, 10, &v) != -1)
			fail_msg("uint '%s' accepted", bad[i]);
		assert_int_equal(v, SENTINEL);
	}
	v = SENTINEL;
	assert_int_equal(cli_uint("t", "--n", "0", 1, 10, &v), -1);    /* below min */
	assert_int_equal(v, SENTINEL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_uint),
	};
	return tl_run_group(tests, NULL, NULL);
}
