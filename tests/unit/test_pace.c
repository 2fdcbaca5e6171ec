/*
 * tests/unit/test_pace.c — the open-loop schedule: slots are exact and
 * evenly interleaved over clients, never drift, and a 1000/s schedule
 * followed on the real monotonic clock for 2 s issues 2000 ± 2%.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include "clients/pace.h"
#include "net/clock.h"

static void test_interleave(void **state)
{
	(void)state;
	struct pace p[4];
	for (unsigned i = 0; i < 4; i++)
		pace_init(&p[i], 1000, 1000.0, 4, i);
	/* Together the clients fill every 1 ms slot exactly once. */
	for (uint64_t k = 0; k < 1000; k++)
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(pace_at(&p[i], k), 1000 + (k * 4 + i) * 1000000ull);
	assert_int_equal(pace_peek(&p[2]), 1000 + 2000000);
	assert_int_equal(pace_next(&p[2]), 1000 + 2000000);
	assert_int_equal(pace_next(&p[2]), 1000 + 6000000);
	/* No drift after a billion slots at an awkward rate. */
	struct pace q;
	pace_init(&q, 0, 3.0, 1, 0);
	assert_int_equal(pace_at(&q, 3000000000ull), 1000000000000000000ull);
}

static void test_real_clock_2s(void **state)
{
	(void)state;
	/* Four clients sharing 1000/s, driven by the real clock as the engine
	 * does: whoever is due sends; sends are counted until 2 s are over. */
	uint64_t start = net_now_ns(), end = start + 2000000000ull;
	struct pace p[4];
	unsigned sends = 0;
	for (unsigned i = 0; i < 4; i++)
		pace_init(&p[i], start, 1000.0, 4, i);
	for (;;) {
		uint64_t now = net_now_ns(), next = UINT64_MAX;
		if (now >= end)
			break;
		for (unsigned i = 0; i < 4; i++) {
			while (pace_peek(&p[i]) <= now && pace_peek(&p[i]) < end) {
				pace_next(&p[i]);
				sends++;
			}
			if (pace_peek(&p[i]) < next)
				next = pace_peek(&p[i]);
		}
		if (next > now)
			net_sleep_ns(next - now < 5000000 ? next - now : 5000000);
	}
	/* A loop descheduled past the end (a loaded machine) sends what was
	 * due late, as the engine does; nothing due before the end is lost. */
	for (unsigned i = 0; i < 4; i++)
		while (pace_peek(&p[i]) < end) {
			pace_next(&p[i]);
			sends++;
		}
	assert_in_range(sends, 1960, 2040);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleave),
		cmocka_unit_test(test_real_clock_2s),
	};
	return tl_run_group(tests, NULL, NULL);
}
