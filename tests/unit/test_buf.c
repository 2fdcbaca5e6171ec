/*
 * tests/unit/test_buf.c — net/buf: append and consume keep the bytes in
 * order, growth doubles from 256, consumed space is reclaimed by sliding
 * rather than growing, and a fully consumed buffer resets to empty.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <errno.h>
#include <string.h>

#include "util/buf.h"

static void test_append_consume(void **state)
{
	(void)state;
	struct net_buf b = {0};

	assert_int_equal(net_buf_pending(&b), 0);
	/* Appending nothing allocates nothing. */
	assert_int_equal(net_buf_append(&b, NULL, 0), 0);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);

	assert_int_equal(net_buf_append(&b, "hello ", 6), 0);
	assert_int_equal(net_buf_append(&b, "world", 5), 0);
	assert_int_equal(net_buf_pending(&b), 11);
	assert_memory_equal(net_buf_head(&b), "hello world", 11);
	assert_int_equal(b.cap, 256);

	net_buf_consume(&b, 6);
	assert_int_equal(net_buf_pending(&b), 5);
	assert_memory_equal(net_buf_head(&b), "world", 5);
	assert_int_equal(b.off, 6);

	/* Consuming the rest resets the cursor so space is reused. */
	net_buf_consume(&b, 5);
	assert_int_equal(net_buf_pending(&b), 0);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 256);

	net_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
	assert_int_equal(net_buf_pending(&b), 0);
}

static void test_growth_keeps_bytes(void **state)
{
	(void)state;
	struct net_buf b = {0};
	uint8_t chunk[100];

	for (int i = 0; i < 1000; i++) {
		for (size_t k = 0; k < sizeof(chunk); k++)
			chunk[k] = (uint8_t)(i * 7 + (int)k);
		assert_int_equal(net_buf_append(&b, chunk, sizeof(chunk)), 0);
	}
	assert_int_equal(net_buf_pending(&b), 100000);
	assert_true(b.cap >= 100000);
	assert_int_equal(b.cap & (b.cap - 1), 0);   /* 256 doubled */
	assert_true(b.cap < 2 * 100000);
	for (int i = 0; i < 1000; i++)
		for (size_t k = 0; k < sizeof(chunk); k++)
			assert_int_equal(b.data[(size_t)i * 100 + k], (uint8_t)(i * 7 + (int)k));
	net_buf_free(&b);
}

static void test_slide_instead_of_grow(void **state)
{
	(void)state;
	struct net_buf b = {0};
	uint8_t x[200];
	memset(x, 'a', sizeof(x));

	assert_int_equal(net_buf_append(&b, x, 200), 0);
	assert_int_equal(b.cap, 256);
	net_buf_consume(&b, 150);
	/* 50 pending + 100 new fits in 256 once the consumed part is gone. */
	memset(x, 'b', sizeof(x));
	assert_int_equal(net_buf_append(&b, x, 100), 0);
	assert_int_equal(b.cap, 256);
	assert_int_equal(b.off, 0);
	assert_int_equal(net_buf_pending(&b), 150);
	for (size_t i = 0; i < 150; i++)
		assert_int_equal(net_buf_head(&b)[i], i < 50 ? 'a' : 'b');

	/* A steady stream through a buffer that is drained never grows. */
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(net_buf_append(&b, x, 100), 0);
		net_buf_consume(&b, 100);
	}
	assert_int_equal(b.cap, 256);
	net_buf_free(&b);
}

static void test_reserve_and_reset(void **state)
{
	(void)state;
	struct net_buf b = {0};

	/* Reserving nothing on an empty buffer is a real pointer, not NULL
	 * (which callers would read as out of memory). */
	assert_non_null(net_buf_reserve(&b, 0));
	assert_int_equal(net_buf_pending(&b), 0);

	uint8_t *p = net_buf_reserve(&b, 1000);
	assert_non_null(p);
	assert_true(b.cap >= 1000);
	assert_int_equal(net_buf_pending(&b), 0);   /* reserving is not appending */
	memcpy(p, "abc", 3);
	b.len += 3;
	assert_memory_equal(net_buf_head(&b), "abc", 3);

	/* A reservation beyond memory fails cleanly and keeps the contents. */
	assert_null(net_buf_reserve(&b, SIZE_MAX - 10));
	/* ... including one where len + n would wrap around. */
	assert_null(net_buf_reserve(&b, SIZE_MAX));
	assert_int_equal(net_buf_append(&b, "x", SIZE_MAX - 1), -ENOMEM);
	assert_int_equal(net_buf_pending(&b), 3);
	assert_memory_equal(net_buf_head(&b), "abc", 3);

	size_t cap = b.cap;
	net_buf_reset(&b);
	assert_int_equal(net_buf_pending(&b), 0);
	assert_int_equal(b.cap, cap);   /* reset keeps the memory */
	net_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_consume),
		cmocka_unit_test(test_growth_keeps_bytes),
		cmocka_unit_test(test_slide_instead_of_grow),
		cmocka_unit_test(test_reserve_and_reset),
	};
	return tl_run_group(tests, NULL, NULL);
}
