/*
 * tests/integration/test_serve_concurrency.c — what the concurrency models
 * are for, measured: two clients at once against `--handler sleep:200`.
 *
 * The stream `iterative` model (TCPServer) serves the second client only
 * after the first has gone, so both answers take about 400 ms; thread,
 * fork, prefork, pool and epoll serve them together in about 200 ms. For
 * datagrams, `iterative` (UDPServer) handles one datagram at a time while
 * `thread` and `fork` (ThreadingUDPServer, ForkingUDPServer) overlap them.
 * Every model in the table is measured; models the issue makes no claim
 * about (reuseport, batch) are only reported. The lower bound is exact
 * physics (two 200 ms sleeps in a row cannot take less than 400 ms); the
 * upper bound depends on the machine, so a slow run is measured once more
 * before it fails.
 */
#include "testlib/testlib.h"

#include "servers/model.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SERIAL_MIN_MS 380.0
#define PARALLEL_MAX_MS 330.0

/* Two stream clients: both send, then the first is answered and leaves,
 * then the second is answered. Milliseconds from the sends to the last
 * answer. */
static double two_stream_clients(const struct tl_server *s)
{
	char buf[2];
	int a = tl_connect(s), b = tl_connect(s);
	double t0 = tl_ms();
	tl_send_all(a, "a", 1);
	tl_send_all(b, "b", 1);
	assert_int_equal(tl_recv_n(a, buf, 1), 1);
	assert_int_equal(buf[0], 'a');
	close(a);   /* iterative moves on to b only now */
	assert_int_equal(tl_recv_n(b, buf, 1), 1);
	assert_int_equal(buf[0], 'b');
	double dt = tl_ms() - t0;
	close(b);
	return dt;
}

/* Two datagram clients, one datagram each. */
static double two_dgram_clients(const struct tl_server *s)
{
	char pa[128], pb[128], buf[4];
	int a = tl_dgram(s, pa, sizeof(pa)), b = tl_dgram(s, pb, sizeof(pb));
	double t0 = tl_ms();
	assert_int_equal(send(a, "a", 1, 0), 1);
	assert_int_equal(send(b, "b", 1, 0), 1);
	assert_int_equal(recv(a, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'a');
	assert_int_equal(recv(b, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'b');
	double dt = tl_ms() - t0;
	close(a);
	close(b);
	return dt;
}

static double measure(const struct srv_model_ops *m)
{
	struct tl_server s;
	double dt;
	if (m->kind == SRV_STREAM) {
		tl_start(&s, "--model", m->name, "--handler", "sleep:200", NULL);
		dt = two_stream_clients(&s);
	} else {
		tl_start(&s, "--proto", "udp", "--model", m->name, "--handler", "sleep:200", NULL);
		dt = two_dgram_clients(&s);
	}
	tl_stop(&s);
	assert_int_equal(tl_stat(&s, "requests"), 2);
	return dt;
}

static bool named(const struct srv_model_ops *m, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(m->name, *names) == 0)
			return true;
	return false;
}

static void check_kind(enum srv_kind kind, const char *const *serial,
		       const char *const *parallel)
{
	for (const struct srv_model_ops *const *m = srv_models; *m; m++) {
		if ((*m)->kind != kind)
			continue;
		double dt = measure(*m);
		print_message("%s %-10s two clients x sleep:200: %.0f ms\n",
			      kind == SRV_STREAM ? "stream" : "dgram ", (*m)->name, dt);
		if (named(*m, serial)) {
			if (dt < SERIAL_MIN_MS)
				fail_msg("%s served two clients in %.0f ms; it should "
					 "serialise them (>= %.0f)", (*m)->name, dt, SERIAL_MIN_MS);
		} else if (named(*m, parallel)) {
			if (dt >= PARALLEL_MAX_MS) {
				dt = measure(*m);
				print_message("  again: %.0f ms\n", dt);
			}
			if (dt >= PARALLEL_MAX_MS)
				fail_msg("%s took %.0f ms for two clients; it should serve "
					 "them together (< %.0f)", (*m)->name, dt, PARALLEL_MAX_MS);
		}
	}
}

static void test_stream_models(void **state)
{
	(void)state;
	static const char *const serial[] = {"iterative", NULL};
	static const char *const parallel[] = {"thread", "fork", "prefork", "pool", "epoll", NULL};
	check_kind(SRV_STREAM, serial, parallel);
}

static void test_dgram_models(void **state)
{
	(void)state;
	static const char *const serial[] = {"iterative", NULL};
	static const char *const parallel[] = {"thread", "fork", NULL};
	check_kind(SRV_DGRAM, serial, parallel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_stream_models, tl_cleanup),
		cmocka_unit_test_teardown(test_dgram_models, tl_cleanup),
	};
	return tl_run_group(tests, NULL, tl_cleanup);
}
