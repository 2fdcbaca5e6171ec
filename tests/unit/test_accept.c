/*
 * tests/unit/test_accept.c — srv_accept's per-connection policy, checked on
 * the descriptor it returns: TCP_NODELAY when the server was asked for it,
 * Nagle left on otherwise, and --max-conns refusing beyond the limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include "servers/model.h"
#include "servers/srv.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static struct srv *open_server(bool nodelay, unsigned max_conns)
{
	struct srv_config cfg = {.proto = NET_TCP, .reuseaddr = true,
				 .nodelay = nodelay, .max_conns = max_conns};
	char err[NET_ERRLEN];
	struct srv *s;
	cfg.model = srv_model_find("iterative", SRV_STREAM);
	assert_int_equal(srv_handler_parse(&cfg.handler, "echo", err, sizeof(err)), 0);
	assert_int_equal(net_addr_ip(&cfg.addr, "127.0.0.1", 0, err, sizeof(err)), 0);
	assert_int_equal(srv_open(&s, &cfg, err, sizeof(err)), 0);
	return s;
}

static int dial(const struct srv *s)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	const struct net_addr *a = srv_addr(s);
	assert_int_equal(connect(fd, (const struct sockaddr *)&a->ss, a->len), 0);
	return fd;
}

static int nodelay_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	return v;
}

static void test_nodelay(void **state)
{
	(void)state;
	for (int on = 0; on < 2; on++) {
		struct srv *s = open_server(on, 0);
		struct net_addr peer;
		int c = dial(s);
		int fd = srv_accept(s, srv_socket(s, 0), true, false, &peer);
		assert_true(fd >= 0);
		assert_int_equal(nodelay_of(fd) != 0, on);
		srv_release(s, fd);
		close(c);
		srv_close(s);
	}
}

static void test_max_conns(void **state)
{
	(void)state;
	struct srv *s = open_server(false, 1);
	struct net_addr peer;
	int c1 = dial(s), c2 = dial(s), c3 = dial(s);
	int fd = srv_accept(s, srv_socket(s, 0), true, false, &peer);
	assert_true(fd >= 0);
	/* The second and third are over the limit: refused, nothing pending. */
	assert_int_equal(srv_accept(s, srv_socket(s, 0), false, false, &peer), -EAGAIN);
	assert_int_equal(srv_accept(s, srv_socket(s, 0), false, false, &peer), -EAGAIN);
	assert_int_equal(atomic_load(&srv_counters(s)->refused), 2);
	assert_int_equal(atomic_load(&srv_counters(s)->active), 1);
	srv_release(s, fd);
	assert_int_equal(atomic_load(&srv_counters(s)->active), 0);
	close(c1);
	close(c2);
	close(c3);
	srv_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodelay),
		cmocka_unit_test(test_max_conns),
	};
	return tl_run_group(tests, NULL, NULL);
}
