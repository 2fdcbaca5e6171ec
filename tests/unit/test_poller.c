/*
 * tests/unit/test_poller.c — net/poller's timer heap (ordering under
 * arm/cancel/re-arm at load-generator scale, checked against a brute-force
 * model) and the epoll side (readiness of a pipe, wait bounded by the next
 * timer).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/clock.h"
#include "net/poller.h"

/* A cheap deterministic generator so that a failure reproduces. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Every parent is due no later than its children, and slots point back. */
static void check_heap(const struct net_poller *p)
{
	for (size_t i = 0; i < p->ntimers; i++) {
		assert_int_equal(p->heap[i]->slot, i + 1);
		if (i > 0)
			assert_true(p->heap[(i - 1) / 2]->when <= p->heap[i]->when);
	}
}

static int setup(void **state)
{
	struct net_poller *p = calloc(1, sizeof(*p));
	if (!p || net_poller_init(p) != 0) {
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct net_poller *p = *state;
	net_poller_close(p);
	free(p);
	return 0;
}

static void test_thousand_timers(void **state)
{
	struct net_poller *p = *state;
	enum { N = 1000 };
	struct net_timer *t = calloc(N, sizeof(*t));
	bool *cancelled = calloc(N, sizeof(*cancelled));
	bool *seen = calloc(N, sizeof(*seen));
	assert_non_null(t);
	assert_non_null(cancelled);
	assert_non_null(seen);

	rng_state = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < N; i++) {
		/* Small range: plenty of equal deadlines. */
		assert_int_equal(net_timer_arm(p, &t[i], 1000 + rnd() % 5000), 0);
		assert_true(net_timer_armed(&t[i]));
	}
	assert_int_equal(p->ntimers, N);
	check_heap(p);

	size_t ncancel = 0;
	for (size_t i = 0; i < N; i++) {
		if (rnd() % 3 == 0) {
			net_timer_cancel(p, &t[i]);
			cancelled[i] = true;
			ncancel++;
			assert_false(net_timer_armed(&t[i]));
			/* Cancelling twice does nothing. */
			net_timer_cancel(p, &t[i]);
		}
	}
	assert_true(ncancel > N / 5 && ncancel < N / 2);
	assert_int_equal(p->ntimers, N - ncancel);
	check_heap(p);

	/* Nothing is due before the earliest deadline. */
	assert_null(net_timer_expired(p, 999));

	uint64_t last = 0;
	size_t got = 0;
	struct net_timer *x;
	while ((x = net_timer_expired(p, UINT64_MAX)) != NULL) {
		size_t i = (size_t)(x - t);
		assert_true(i < N);
		assert_false(cancelled[i]);
		assert_false(seen[i]);
		assert_false(net_timer_armed(x));
		seen[i] = true;
		assert_true(x->when >= last);
		last = x->when;
		got++;
		if (got % 100 == 0)
			check_heap(p);
	}
	assert_int_equal(got, N - ncancel);
	assert_int_equal(p->ntimers, 0);
	for (size_t i = 0; i < N; i++)
		assert_true(seen[i] != cancelled[i]);
	free(t);
	free(cancelled);
	free(seen);
}

static void test_expired_respects_now(void **state)
{
	struct net_poller *p = *state;
	struct net_timer a = {0}, b = {0}, c = {0};
	assert_null(net_timer_expired(p, UINT64_MAX));
	assert_int_equal(net_timer_arm(p, &a, 300), 0);
	assert_int_equal(net_timer_arm(p, &b, 100), 0);
	assert_int_equal(net_timer_arm(p, &c, 200), 0);
	assert_null(net_timer_expired(p, 99));
	assert_ptr_equal(net_timer_expired(p, 100), &b);   /* due at exactly now */
	assert_null(net_timer_expired(p, 199));
	assert_ptr_equal(net_timer_expired(p, 250), &c);
	assert_null(net_timer_expired(p, 250));
	assert_ptr_equal(net_timer_expired(p, 1000), &a);
	assert_null(net_timer_expired(p, 1000));
}

static void test_rearm_moves(void **state)
{
	struct net_poller *p = *state;
	struct net_timer a = {0}, b = {0}, c = {0};
	assert_int_equal(net_timer_arm(p, &a, 100), 0);
	assert_int_equal(net_timer_arm(p, &b, 200), 0);
	assert_int_equal(net_timer_arm(p, &c, 300), 0);

	/* Later: a moves behind b and c, and is not in the heap twice. */
	assert_int_equal(net_timer_arm(p, &a, 400), 0);
	assert_int_equal(p->ntimers, 3);
	check_heap(p);
	assert_null(net_timer_expired(p, 150));
	/* Earlier: c jumps ahead of b. */
	assert_int_equal(net_timer_arm(p, &c, 50), 0);
	assert_int_equal(p->ntimers, 3);
	check_heap(p);

	assert_ptr_equal(net_timer_expired(p, 1000), &c);
	assert_int_equal(c.when, 50);
	assert_ptr_equal(net_timer_expired(p, 1000), &b);
	assert_ptr_equal(net_timer_expired(p, 1000), &a);
	assert_int_equal(a.when, 400);
	assert_null(net_timer_expired(p, 1000));

	/* An expired timer can be armed again. */
	assert_int_equal(net_timer_arm(p, &a, 10), 0);
	assert_ptr_equal(net_timer_expired(p, 10), &a);
}

/* Random arm / re-arm / cancel / expire against a brute-force model. */
static void test_random_ops_vs_model(void **state)
{
	struct net_poller *p = *state;
	enum { N = 200, OPS = 20000 };
	struct net_timer t[N];
	memset(t, 0, sizeof(t));
	rng_state = 12345;

	for (int op = 0; op < OPS; op++) {
		size_t i = rnd() % N;
		switch (rnd() % 4) {
		case 0:
		case 1:
			assert_int_equal(net_timer_arm(p, &t[i], rnd() % 1000), 0);
			break;
		case 2:
			net_timer_cancel(p, &t[i]);
			break;
		case 3: {
			uint64_t now = rnd() % 1000;
			uint64_t min = UINT64_MAX;
			size_t armed = 0;
			for (size_t k = 0; k < N; k++) {
				if (net_timer_armed(&t[k])) {
					armed++;
					if (t[k].when < min)
						min = t[k].when;
				}
			}
			assert_int_equal(armed, p->ntimers);
			struct net_timer *x = net_timer_expired(p, now);
			if (min > now) {
				assert_null(x);
			} else {
				assert_non_null(x);
				assert_int_equal(x->when, min);
				assert_false(net_timer_armed(x));
			}
			break;
		}
		}
		if (op % 500 == 0)
			check_heap(p);
	}
	check_heap(p);
	for (size_t k = 0; k < N; k++)
		net_timer_cancel(p, &t[k]);
	assert_int_equal(p->ntimers, 0);
}

static void test_wait_readiness_and_timer(void **state)
{
	struct net_poller *p = *state;
	int fds[2];
	struct epoll_event ev[4];
	int tag = 42;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(net_poller_add(p, fds[0], EPOLLIN, &tag), 0);

	/* Nothing readable, no timers: the max_ms bound holds. */
	uint64_t t0 = net_now_ns();
	assert_int_equal(net_poller_wait(p, ev, 4, 20), 0);
	assert_true(net_now_ns() - t0 >= 15 * 1000000ull);

	/* A timer 30 ms out cuts an unbounded wait short. */
	struct net_timer tm = {0};
	t0 = net_now_ns();
	assert_int_equal(net_timer_arm(p, &tm, t0 + 30 * 1000000ull), 0);
	assert_int_equal(net_poller_wait(p, ev, 4, -1), 0);
	uint64_t now = net_now_ns();
	assert_true(now - t0 < 2000 * 1000000ull);
	/* Rounded up, so the timer is due when the wait returns. */
	assert_ptr_equal(net_timer_expired(p, now), &tm);

	assert_int_equal(write(fds[1], "x", 1), 1);
	int n = net_poller_wait(p, ev, 4, 1000);
	assert_int_equal(n, 1);
	assert_ptr_equal(ev[0].data.ptr, &tag);
	assert_true(ev[0].events & EPOLLIN);

	assert_int_equal(net_poller_mod(p, fds[0], EPOLLIN, &fds[0]), 0);
	assert_int_equal(net_poller_wait(p, ev, 4, 1000), 1);
	assert_ptr_equal(ev[0].data.ptr, &fds[0]);

	assert_int_equal(net_poller_del(p, fds[0]), 0);
	assert_int_equal(net_poller_wait(p, ev, 4, 0), 0);
	assert_true(net_poller_del(p, fds[0]) < 0);
	assert_true(net_poller_add(p, -1, EPOLLIN, NULL) < 0);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_thousand_timers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_respects_now, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_ops_vs_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_readiness_and_timer, setup, teardown),
	};
	return tl_run_group(tests, NULL, NULL);
}
