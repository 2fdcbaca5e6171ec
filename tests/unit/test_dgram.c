/*
 * tests/unit/test_dgram.c — the datagram header round-trips and rejects
 * garbage; the tracker counts loss, duplicates, reordering and late
 * arrivals exactly, with bounded memory, across window wrap-around.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <errno.h>
#include <string.h>

#include "net/dgram.h"

static void test_header(void **state)
{
	(void)state;
	uint8_t p[NET_DGRAM_HDR_LEN + 8];
	struct net_dgram_hdr h = {.flow = 0xdeadbeef, .seq = 0x0102030405060708ull,
				  .send_ns = 123456789012345ull}, g;
	net_dgram_encode(p, &h);
	/* Big-endian on the wire: a capture shows the magic as "SKL1". */
	assert_memory_equal(p, "SKL1", 4);
	assert_int_equal(p[8], 0x01);
	assert_int_equal(net_dgram_decode(p, sizeof(p), &g), 0);
	assert_int_equal(g.flow, h.flow);
	assert_int_equal(g.seq, h.seq);
	assert_int_equal(g.send_ns, h.send_ns);
	assert_int_equal(net_dgram_decode(p, NET_DGRAM_HDR_LEN - 1, &g), -EBADMSG);
	p[0] = 'X';
	assert_int_equal(net_dgram_decode(p, sizeof(p), &g), -EBADMSG);
}

static void test_in_order_and_loss(void **state)
{
	(void)state;
	struct net_dgram_tracker t;
	net_dgram_tracker_init(&t);
	for (uint64_t s = 0; s < 100; s++)
		if (s % 10 != 3)   /* lose 3, 13, 23, ... */
			assert_int_equal(net_dgram_track(&t, s), NET_DGRAM_NEW);
	assert_int_equal(t.received, 90);
	assert_int_equal(net_dgram_lost(&t, 100), 10);
	assert_int_equal(net_dgram_lost(&t, 0), 10);     /* from the highest seen */
	assert_int_equal(net_dgram_lost(&t, 105), 15);   /* 5 more sent, none came */
	assert_int_equal(t.duplicated + t.reordered + t.late, 0);
}

static void test_dup_reorder(void **state)
{
	(void)state;
	struct net_dgram_tracker t;
	net_dgram_tracker_init(&t);
	uint64_t order[] = {0, 1, 3, 2, 2, 4, 1, 7, 5, 6, 6, 6};
	enum net_dgram_verdict want[] = {
		NET_DGRAM_NEW, NET_DGRAM_NEW, NET_DGRAM_NEW, NET_DGRAM_REORDERED,
		NET_DGRAM_DUPLICATE, NET_DGRAM_NEW, NET_DGRAM_DUPLICATE, NET_DGRAM_NEW,
		NET_DGRAM_REORDERED, NET_DGRAM_REORDERED, NET_DGRAM_DUPLICATE, NET_DGRAM_DUPLICATE,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		assert_int_equal(net_dgram_track(&t, order[i]), want[i]);
	assert_int_equal(t.received, 8);
	assert_int_equal(t.duplicated, 4);
	assert_int_equal(t.reordered, 3);
	assert_int_equal(net_dgram_lost(&t, 8), 0);
}

static void test_window(void **state)
{
	(void)state;
	struct net_dgram_tracker t;
	net_dgram_tracker_init(&t);
	/* Far more datagrams than the window: memory stays the same, and a
	 * number that wraps onto an old slot is not mistaken for a duplicate. */
	for (uint64_t s = 0; s < 10 * NET_DGRAM_WINDOW; s += 2)
		net_dgram_track(&t, s);
	assert_int_equal(t.received, 5 * NET_DGRAM_WINDOW);
	uint64_t hi = 10 * NET_DGRAM_WINDOW - 2;
	assert_int_equal(net_dgram_track(&t, hi - 1), NET_DGRAM_REORDERED);   /* in window */
	assert_int_equal(net_dgram_track(&t, hi - 2), NET_DGRAM_DUPLICATE);
	assert_int_equal(net_dgram_track(&t, 1), NET_DGRAM_LATE);             /* below it */
	assert_int_equal(t.late, 1);
	/* A jump beyond the window clears it: old bits must not linger. */
	uint64_t far = hi + 5 * NET_DGRAM_WINDOW;
	assert_int_equal(net_dgram_track(&t, far), NET_DGRAM_NEW);
	assert_int_equal(net_dgram_track(&t, far - 1), NET_DGRAM_REORDERED);
	assert_int_equal(net_dgram_track(&t, far - NET_DGRAM_WINDOW + 1), NET_DGRAM_REORDERED);
	assert_int_equal(net_dgram_lost(&t, 0), far + 1 - t.received);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_in_order_and_loss),
		cmocka_unit_test(test_dup_reorder),
		cmocka_unit_test(test_window),
	};
	return tl_run_group(tests, NULL, NULL);
}
