/*
 * tests/integration/test_serve_badinput.c — the server under bad conditions
 * (issue 2, "Behaviour under bad conditions"), against the real binary.
 *
 * Each test proves one promise: clients that vanish mid-request, reset, or
 * send garbage never take the server down and are counted by kind; a peer
 * closing while `source` streams does not kill it with SIGPIPE (nor a
 * forked child, which would leave its connection uncounted); an oversized
 * length prefix is refused without allocating for it (VmRSS and VmPeak of
 * the server stay far below the announced size); out of descriptors the
 * server neither spins nor dies and recovers; the epoll model keeps every
 * byte in order under backpressure; 500 connections to `fork` leave no
 * zombie, nor does the datagram `fork` model while idle; --allow and
 * --max-conns refuse and count; SIGTERM with clients still connected ends
 * every model promptly with exit status 0.
 */
#include "testlib/testlib.h"

#include "servers/model.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FOR_STREAM_MODELS(m) \
	for (const struct srv_model_ops *const *m = srv_models; *m; m++) \
		if ((*m)->kind == SRV_STREAM)

#define FOR_DGRAM_MODELS(m) \
	for (const struct srv_model_ops *const *m = srv_models; *m; m++) \
		if ((*m)->kind == SRV_DGRAM)

/* One echo round trip on a fresh connection: the server is alive and
 * serving. */
static void served(const struct tl_server *s)
{
	char buf[8];
	int fd = tl_connect(s);
	tl_send_all(fd, "alive?", 6);
	assert_int_equal(tl_recv_n(fd, buf, 6), 6);
	assert_memory_equal(buf, "alive?", 6);
	close(fd);
}

/* Framed (length) round trip: the framed server is alive. */
static void served_framed(const struct tl_server *s)
{
	uint8_t msg[] = {0, 0, 0, 2, 'o', 'k'}, buf[6];
	int fd = tl_connect(s);
	tl_send_all(fd, msg, sizeof(msg));
	assert_int_equal(tl_recv_n(fd, buf, sizeof(buf)), sizeof(buf));
	assert_memory_equal(buf, msg, sizeof(msg));
	close(fd);
}

/* Close with SO_LINGER 0: TCP sends RST. For a Unix stream there is no
 * RST; the peer sees ECONNRESET because we close with its data unread. */
static void reset_close(int fd)
{
	struct linger lg = {1, 0};
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(fd);
}

/* Wait until fd is readable (an echo arrived) without reading it. */
static void wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 2000), 1);
}

static bool alive(pid_t pid)
{
	return kill(pid, 0) == 0;
}

/* ------------------------------------------------ disconnects and resets */

static void test_disconnect_mid_request(void **state)
{
	(void)state;
	FOR_STREAM_MODELS(m) {
		struct tl_server s;
		tl_start(&s, "--model", (*m)->name, "--handler", "framed", NULL);
		/* Half a message, then a clean close (recv returns 0). */
		int fd = tl_connect(&s);
		tl_send_all(fd, "\0\0\0\x10half", 8);
		usleep(10000);
		close(fd);
		/* Half a length header. */
		fd = tl_connect(&s);
		tl_send_all(fd, "\0\0", 2);
		close(fd);
		/* Nothing at all. */
		fd = tl_connect(&s);
		close(fd);
		served_framed(&s);
		tl_stop(&s);
		assert_int_equal(tl_stat(&s, "accepted"), 4);
		assert_int_equal(tl_stat(&s, "closed"), 4);
		assert_int_equal(tl_stat(&s, "active"), 0);
		assert_int_equal(tl_stat(&s, "requests"), 1);
		assert_int_equal(tl_stat(&s, "oversize"), 0);
		assert_int_equal(tl_stat(&s, "protocol"), 0);
	}
}

static void test_reset(void **state)
{
	(void)state;
	static const char *const protos[] = {"tcp", "unix-stream"};
	FOR_STREAM_MODELS(m) {
		for (int p = 0; p < 2; p++) {
			struct tl_server s;
			char path[128];
			tl_tmp_path(path, sizeof(path), ".sock");
			if (p == 0)
				tl_start(&s, "--model", (*m)->name, "--handler", "echo", NULL);
			else
				tl_start(&s, "--proto", protos[p], "--path", path,
					 "--model", (*m)->name, "--handler", "echo", NULL);
			for (int i = 0; i < 3; i++) {
				int fd = tl_connect(&s);
				tl_send_all(fd, "x", 1);
				wait_readable(fd);   /* the echo waits, unread */
				reset_close(fd);
			}
			served(&s);
			/* A forked child may not have run since its peer reset;
			 * SIGTERM first and it ends as shut down, not reset. */
			usleep(300000);
			tl_stop(&s);
			unlink(path);
			assert_int_equal(tl_stat(&s, "accepted"), 4);
			assert_int_equal(tl_stat(&s, "active"), 0);
			if (tl_stat(&s, "reset") != 3)
				fail_msg("%s/%s: reset counted %lld times, want 3 (stats %s)",
					 (*m)->name, protos[p], tl_stat(&s, "reset"), s.stats);
		}
	}
}

/* Garbage for three parsers: a length header that says 3.7 GB, a
 * delimited message that never ends, a file name that never ends. Each is
 * refused and counted by kind; the next client is served. */
static void test_garbage(void **state)
{
	(void)state;
	uint8_t junk[8192];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(0xde ^ (i * 131) ^ (i >> 3));
	junk[0] = 0xde;   /* first four bytes as a length: 0xde.. > 1k */
	FOR_STREAM_MODELS(m) {
		struct tl_server s;
		int fd;

		tl_start(&s, "--model", (*m)->name, "--handler", "framed",
			 "--framing", "length", "--max-msg", "1k", NULL);
		fd = tl_connect(&s);
		tl_send_all(fd, junk, 64);
		assert_int_equal(tl_wait_closed(fd, 2000), 1);
		close(fd);
		served_framed(&s);
		tl_stop(&s);
		assert_int_equal(tl_stat(&s, "oversize"), 1);
		assert_int_equal(tl_stat(&s, "active"), 0);

		tl_start(&s, "--model", (*m)->name, "--handler", "framed",
			 "--framing", "delim", "--max-msg", "1k", NULL);
		fd = tl_connect(&s);
		uint8_t nonl[4096];
		memset(nonl, 'g', sizeof(nonl));
		send(fd, nonl, sizeof(nonl), MSG_NOSIGNAL);
		assert_int_equal(tl_wait_closed(fd, 2000), 1);
		close(fd);
		fd = tl_connect(&s);
		tl_send_all(fd, "fine\n", 5);
		char buf[5];
		assert_int_equal(tl_recv_n(fd, buf, 5), 5);
		assert_memory_equal(buf, "fine\n", 5);
		close(fd);
		tl_stop(&s);
		assert_int_equal(tl_stat(&s, "oversize"), 1);
		assert_int_equal(tl_stat(&s, "active"), 0);
	}
}

/* The file handler: a name longer than any allowed (no newline in 8 KB) is
 * a protocol error; binary garbage with a newline is just a missing file. */
static char file_root[128];

static int file_root_down(void **state)
{
	tl_cleanup(state);
	if (file_root[0])
		rmdir(file_root);
	file_root[0] = '\0';
	return 0;
}

static void test_garbage_file(void **state)
{
	(void)state;
	const char *root = file_root;
	tl_tmp_path(file_root, sizeof(file_root), ".root");
	assert_int_equal(mkdir(root, 0700), 0);
	FOR_STREAM_MODELS(m) {
		struct tl_server s;
		uint8_t junk[8192], h[8];
		memset(junk, 0x01, sizeof(junk));
		tl_start(&s, "--model", (*m)->name, "--handler", "file", "--root", root, NULL);
		int fd = tl_connect(&s);
		send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
		assert_int_equal(tl_wait_closed(fd, 2000), 1);
		close(fd);
		fd = tl_connect(&s);
		tl_send_all(fd, "\xff\xfe\x01garbage\n", 11);
		assert_int_equal(tl_recv_n(fd, h, 8), 8);
		assert_memory_equal(h, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
		close(fd);
		tl_stop(&s);
		assert_int_equal(tl_stat(&s, "protocol"), 1);
		assert_int_equal(tl_stat(&s, "notfound"), 1);
		assert_int_equal(tl_stat(&s, "active"), 0);
	}
}

/* A Unix datagram can be larger than the 64 KB any UDP one can: it is
 * dropped and counted as oversize, and the next one is answered. */
static void test_dgram_oversize(void **state)
{
	(void)state;
	FOR_DGRAM_MODELS(m) {
		struct tl_server s;
		char sp[128], cp[128], buf[8];
		size_t n = 100 * 1024;
		uint8_t *big = calloc(1, n);
		int sz = 512 * 1024;
		assert_non_null(big);
		tl_tmp_path(sp, sizeof(sp), ".dsock");
		tl_start(&s, "--proto", "unix-dgram", "--path", sp, "--model", (*m)->name,
			 "--handler", "echo", NULL);
		int fd = tl_dgram(&s, cp, sizeof(cp));
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
		assert_int_equal(send(fd, big, n, 0), (ssize_t)n);
		assert_int_equal(send(fd, "small", 5, 0), 5);
		assert_int_equal(recv(fd, buf, sizeof(buf), 0), 5);
		assert_memory_equal(buf, "small", 5);
		close(fd);
		unlink(cp);
		free(big);
		tl_stop(&s);
		if (tl_stat(&s, "oversize") != 1 || tl_stat(&s, "bytes_out") != 5)
			fail_msg("dgram %s: %s", (*m)->name, s.stats);
	}
}

/* ------------------------------------------------ SIGPIPE */

static void test_sigpipe(void **state)
{
	(void)state;
	FOR_STREAM_MODELS(m) {
		struct tl_server s;
		uint8_t buf[65536];
		tl_start(&s, "--model", (*m)->name, "--handler", "source", NULL);
		for (int i = 0; i < 5; i++) {
			int fd = tl_connect(&s);
			assert_true(tl_recv_n(fd, buf, sizeof(buf)) == sizeof(buf));
			/* Unread bytes in our buffer: TCP answers the server's
			 * next segment with RST, its write fails. */
			close(fd);
		}
		usleep(50000);
		assert_true(alive(s.pid));
		int fd = tl_connect(&s);
		assert_int_equal(tl_recv_n(fd, buf, 27), 27);
		assert_memory_equal(buf, "abcdefghijklmnopqrstuvwxyz\n", 27);
		close(fd);
		tl_stop(&s);
		assert_int_equal(tl_stat(&s, "accepted"), 6);
		/* A child killed by SIGPIPE would never have counted its
		 * connection closed. */
		if (tl_stat(&s, "closed") != 6 || tl_stat(&s, "active") != 0)
			fail_msg("%s: connections not all closed: %s", (*m)->name, s.stats);
	}
}

/* ------------------------------------------------ oversize */

static void test_oversize_prefix(void **state)
{
	(void)state;
	FOR_STREAM_MODELS(m) {
		struct tl_server s;
		tl_start(&s, "--model", (*m)->name, "--handler", "framed",
			 "--framing", "length", "--max-msg", "1k", NULL);
		served_framed(&s);     /* warm up: threads and buffers exist */
		long long rss0 = tl_proc_rss_kb(s.pid);
		long long peak0 = tl_proc_status_kb(s.pid, "VmPeak");
		assert_true(rss0 > 0 && peak0 > 0);

		int fd = tl_connect(&s);
		uint8_t msg[4 + 65536];
		memset(msg, 'A', sizeof(msg));
		msg[0] = 0xff, msg[1] = 0xff, msg[2] = 0xff, msg[3] = 0xf0;
		/* The header, then as much body as the server takes. */
		send(fd, msg, sizeof(msg), MSG_NOSIGNAL);
		assert_int_equal(tl_wait_closed(fd, 2000), 1);
		close(fd);

		long long rss1 = tl_proc_rss_kb(s.pid);
		long long peak1 = tl_proc_status_kb(s.pid, "VmPeak");
		/* 0xFFFFFFF0 bytes is 4 GB. Allow a few MB of resident noise,
		 * and address space for a new thread's stack and malloc arena
		 * (glibc reserves 64 MB per arena), far below 4 GB. */
		if (rss1 - rss0 > 8 * 1024 || peak1 - peak0 > 512 * 1024)
			fail_msg("%s: VmRSS %lld -> %lld kB, VmPeak %lld -> %lld kB",
				 (*m)->name, rss0, rss1, peak0, peak1);
		served_framed(&s);
		tl_stop(&s);
		assert_int_equal(tl_stat(&s, "oversize"), 1);
		assert_int_equal(tl_stat(&s, "requests"), 2);
		assert_int_equal(tl_stat(&s, "active"), 0);
	}
}

/* ------------------------------------------------ EMFILE */

static void test_emfile(void **state)
{
	(void)state;
	/* Models that hold many connections in one process; fork, prefork
	 * and iterative never have more than a handful open per process. */
	static const char *const models[] = {"thread", "pool", "epoll"};
	enum { NCONN = 100 };
	long tck = sysconf(_SC_CLK_TCK);
	for (size_t mi = 0; mi < sizeof(models) / sizeof(models[0]); mi++) {
		struct tl_server s;
		struct tl_opts o = {.nofile = 64};
		int fds[NCONN];
		tl_start_opts(&s, &o, "--model", models[mi], "--handler", "echo",
			      "--workers", "4", NULL);
		for (int i = 0; i < NCONN; i++) {
			fds[i] = tl_connect_from(&s, NULL);
			if (fds[i] < 0)
				fail_msg("%s: connect %d: %s", models[mi], i, strerror(-fds[i]));
		}
		/* Let the server run into the limit and shed what it cannot
		 * hold, then watch its CPU for a second. */
		usleep(500000);
		long long c0 = tl_proc_cpu_ticks(s.pid);
		double t0 = tl_ms();
		usleep(1000000);
		long long c1 = tl_proc_cpu_ticks(s.pid);
		double wall = tl_ms() - t0;
		assert_true(c0 >= 0 && c1 >= 0);
		double cpu_ms = (double)(c1 - c0) * 1000.0 / (double)tck;
		if (cpu_ms > 0.3 * wall)
			fail_msg("%s: out of descriptors the server burnt %.0f ms of CPU in %.0f ms",
				 models[mi], cpu_ms, wall);
		assert_true(alive(s.pid));
		for (int i = 0; i < NCONN; i++)
			close(fds[i]);
		/* Descriptors come back: a new client is served. */
		usleep(100000);
		served(&s);
		tl_stop(&s);
		if (tl_stat(&s, "emfile") < 1)
			fail_msg("%s: no EMFILE counted: %s", models[mi], s.stats);
		assert_int_equal(tl_stat(&s, "active"), 0);
	}
}

/* ------------------------------------------------ epoll backpressure */

static uint8_t pat(size_t i)
{
	uint32_t w = (uint32_t)(i / 4) * 2654435761u;
	return (uint8_t)(w >> (8 * (i % 4)));
}

static void test_epoll_backpressure(void **state)
{
	(void)state;
	enum { TOTAL = 8 * 1024 * 1024, PIECE = 4096 };
	struct tl_server s;
	/* Small kernel buffers on both sides, so that 8 MB cannot hide in
	 * them (loopback autotuning would absorb it all) and the server's
	 * own high-water mark has to act. */
	tl_start(&s, "--model", "epoll", "--handler", "echo",
		 "--sndbuf", "64k", "--rcvbuf", "64k", NULL);
	served(&s);
	long long rss0 = tl_proc_rss_kb(s.pid);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int small = 64 * 1024;
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&s.addr.ss, s.addr.len), 0);
	uint8_t *out = malloc(TOTAL);
	assert_non_null(out);
	for (size_t i = 0; i < TOTAL; i++)
		out[i] = pat(i);

	/* Write without reading until the server stops taking bytes. */
	size_t sent = 0, got = 0;
	double idle_since = tl_ms();
	while (sent < TOTAL && tl_ms() - idle_since < 300) {
		ssize_t w = send(fd, out + sent, TOTAL - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			sent += (size_t)w;
			idle_since = tl_ms();
		} else if (w < 0 && errno == EAGAIN) {
			usleep(5000);
		} else {
			fail_msg("send: %s", strerror(errno));
		}
	}
	/* Backpressure held: not all of it fits in the kernel and server
	 * buffers, and the server's memory stayed bounded. */
	if (sent >= TOTAL / 2)
		fail_msg("the server took %zu bytes from a client that never read", sent);
	print_message("epoll: pushed back after %zu of %d bytes\n", sent, TOTAL);
	long long rss1 = tl_proc_rss_kb(s.pid);
	if (rss1 - rss0 > 6 * 1024)
		fail_msg("epoll server grew from %lld to %lld kB holding a slow reader's data",
			 rss0, rss1);

	/* Now read slowly in small pieces, writing the rest as room appears. */
	uint8_t buf[PIECE];
	double end = tl_ms() + 30000;
	int reads = 0;
	while (got < TOTAL) {
		if (tl_ms() > end)
			fail_msg("stalled: %zu of %d bytes back, %zu sent", got, TOTAL, sent);
		struct pollfd p = {.fd = fd, .events = POLLIN | (sent < TOTAL ? POLLOUT : 0)};
		if (poll(&p, 1, 2000) <= 0)
			fail_msg("no progress: %zu of %d bytes back, %zu sent", got, TOTAL, sent);
		if ((p.revents & POLLOUT) && sent < TOTAL) {
			size_t k = TOTAL - sent < 65536 ? TOTAL - sent : 65536;
			ssize_t w = send(fd, out + sent, k, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w > 0)
				sent += (size_t)w;
		}
		if (p.revents & POLLIN) {
			size_t want = PIECE - (size_t)(reads % 7) * 300;   /* uneven pieces */
			ssize_t r = recv(fd, buf, want, MSG_DONTWAIT);
			if (r == 0)
				fail_msg("server closed after %zu bytes", got);
			if (r > 0) {
				for (ssize_t i = 0; i < r; i++)
					if (buf[i] != pat(got + (size_t)i))
						fail_msg("byte %zu differs", got + (size_t)i);
				got += (size_t)r;
				/* Slow: a short nap every 64 reads. */
				if (++reads % 64 == 0)
					usleep(2000);
			}
		}
	}
	assert_int_equal(tl_finish(fd, NULL), 1);
	close(fd);
	free(out);
	tl_stop(&s);
	assert_int_equal(tl_stat(&s, "bytes_in"), TOTAL + 6);
	assert_int_equal(tl_stat(&s, "bytes_out"), TOTAL + 6);
	assert_int_equal(tl_stat(&s, "io"), 0);
}

/* ------------------------------------------------ fork: no zombies */

static void test_fork_no_zombies(void **state)
{
	(void)state;
	enum { N = 500 };
	struct tl_server s;
	tl_start(&s, "--model", "fork", "--handler", "echo", NULL);
	for (int i = 0; i < N; i++) {
		char buf[2];
		int fd = tl_connect(&s);
		tl_send_all(fd, "z", 1);
		assert_int_equal(tl_recv_n(fd, buf, 1), 1);
		close(fd);
	}
	double end = tl_ms() + 1000;
	int z;
	while ((z = tl_zombie_children(s.pid)) > 0 && tl_ms() < end)
		usleep(20000);
	if (z != 0)
		fail_msg("%d zombie children of the fork server 1 s after the last client", z);
	tl_stop(&s);
	assert_int_equal(tl_stat(&s, "accepted"), N);
	assert_int_equal(tl_stat(&s, "closed"), N);
}

/* The datagram fork model reaps its last child while idle: its receive
 * wakes every poll interval (issue 17, finding 5). Before, it waited for
 * the next datagram with no timeout and the child stayed a zombie. */
static void test_dgram_fork_idle_reaps(void **state)
{
	(void)state;
	struct tl_server s;
	char path[128], buf[4];
	tl_start(&s, "--proto", "udp", "--bind", "127.0.0.1", "--port", "0",
		 "--model", "fork", "--handler", "echo", "--poll-interval", "50ms", NULL);
	int fd = tl_dgram(&s, path, sizeof(path));
	assert_int_equal(send(fd, "z", 1, 0), 1);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 1);
	close(fd);
	/* The child has answered; it exits right after. A few poll intervals
	 * later the idle parent must have reaped it. */
	double end = tl_ms() + tl_bound_ms(300);
	int z;
	do {
		usleep(20000);
		z = tl_zombie_children(s.pid);
	} while (z > 0 && tl_ms() < end);
	if (z != 0)
		fail_msg("%d zombie children of the idle datagram fork server "
			 "after %.0f ms (poll interval 50 ms)", z, tl_bound_ms(300));
	tl_stop(&s);
	assert_int_equal(tl_stat(&s, "io"), 0);
}

/* ------------------------------------------------ verify_request, max-conns */

static void test_allow(void **state)
{
	(void)state;
	FOR_STREAM_MODELS(m) {
		struct tl_server s;
		tl_start(&s, "--model", (*m)->name, "--handler", "echo",
			 "--allow", "127.0.0.2", NULL);
		int fd = tl_connect_from(&s, "127.0.0.1");
		assert_true(fd >= 0);
		send(fd, "hi", 2, MSG_NOSIGNAL);
		assert_int_equal(tl_wait_closed(fd, 2000), 1);
		close(fd);
		fd = tl_connect_from(&s, "127.0.0.2");
		assert_true(fd >= 0);
		char buf[2];
		tl_send_all(fd, "ok", 2);
		assert_int_equal(tl_recv_n(fd, buf, 2), 2);
		assert_memory_equal(buf, "ok", 2);
		close(fd);
		tl_stop(&s);
		assert_int_equal(tl_stat(&s, "refused"), 1);
		assert_int_equal(tl_stat(&s, "accepted"), 1);
	}
	/* Datagrams: no answer to a refused peer. */
	FOR_DGRAM_MODELS(m) {
		struct tl_server s;
		char buf[8];
		tl_start(&s, "--proto", "udp", "--model", (*m)->name, "--handler", "echo",
			 "--allow", "127.0.0.2", NULL);
		const char *from[] = {"127.0.0.1", "127.0.0.2"};
		for (int i = 0; i < 2; i++) {
			int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			struct net_addr la;
			char err[NET_ERRLEN];
			struct timeval tv = {0, 300000};
			assert_true(fd >= 0);
			assert_int_equal(net_addr_ip(&la, from[i], 0, err, sizeof(err)), 0);
			assert_int_equal(bind(fd, (struct sockaddr *)&la.ss, la.len), 0);
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			assert_int_equal(sendto(fd, "dg", 2, 0, (struct sockaddr *)&s.addr.ss,
						s.addr.len), 2);
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			assert_int_equal(r, i == 0 ? -1 : 2);
			close(fd);
		}
		tl_stop(&s);
		assert_int_equal(tl_stat(&s, "refused"), 1);
		assert_int_equal(tl_stat(&s, "requests"), 1);
	}
}

static void test_max_conns(void **state)
{
	(void)state;
	FOR_STREAM_MODELS(m) {
		/* iterative serves one at a time: the third waits in the
		 * backlog rather than being refused. */
		if (strcmp((*m)->name, "iterative") == 0)
			continue;
		struct tl_server s;
		char buf[2];
		tl_start(&s, "--model", (*m)->name, "--handler", "echo", "--max-conns", "2", NULL);
		int a = tl_connect(&s), b = tl_connect(&s);
		tl_send_all(a, "a", 1);
		tl_send_all(b, "b", 1);
		assert_int_equal(tl_recv_n(a, buf, 1), 1);
		assert_int_equal(tl_recv_n(b, buf, 1), 1);
		int c = tl_connect(&s);
		send(c, "c", 1, MSG_NOSIGNAL);
		if (tl_wait_closed(c, 2000) != 1)
			fail_msg("%s: a third connection was not refused", (*m)->name);
		close(c);
		/* One leaves; a new one is served (once the server counted the
		 * leaving one, hence a few tries). */
		assert_int_equal(tl_finish(a, NULL), 1);
		close(a);
		bool ok = false;
		for (int t = 0; t < 20 && !ok; t++) {
			int d = tl_connect(&s);
			send(d, "d", 1, MSG_NOSIGNAL);
			ok = tl_recv_n(d, buf, 1) == 1;
			close(d);
			if (!ok)
				usleep(50000);
		}
		assert_true(ok);
		close(b);
		tl_stop(&s);
		assert_true(tl_stat(&s, "refused") >= 1);
		assert_int_equal(tl_stat(&s, "active"), 0);
	}
}

/* ------------------------------------------------ SIGTERM with clients */

static void test_sigterm_with_clients(void **state)
{
	(void)state;
	FOR_STREAM_MODELS(m) {
		struct tl_server s;
		char buf[4];
		tl_start(&s, "--model", (*m)->name, "--handler", "echo", NULL);
		int a = tl_connect(&s);
		tl_send_all(a, "one", 3);
		assert_int_equal(tl_recv_n(a, buf, 3), 3);
		/* A second, half-way through nothing in particular (iterative
		 * has not even accepted it). */
		int b = tl_connect(&s);
		tl_send_all(b, "tw", 2);
		double t0 = tl_ms();
		tl_stop(&s);
		double dt = tl_ms() - t0;
		if (dt > 3000)
			fail_msg("%s: took %.0f ms to stop", (*m)->name, dt);
		/* The server closed the connections it had. */
		assert_int_equal(tl_wait_closed(a, 1000), 1);
		close(a);
		close(b);
		assert_int_equal(tl_stat(&s, "active"), 0);

		/* A request held in a 10 s sleep:MS, another client idle. */
		tl_start(&s, "--model", (*m)->name, "--handler", "sleep:10000", NULL);
		a = tl_connect(&s);
		tl_send_all(a, "held", 4);
		b = tl_connect(&s);
		usleep(50000);
		t0 = tl_ms();
		tl_stop(&s);
		dt = tl_ms() - t0;
		if (dt > 3000)
			fail_msg("%s: took %.0f ms to stop during sleep:10000", (*m)->name, dt);
		close(a);
		close(b);
		assert_int_equal(tl_stat(&s, "active"), 0);
	}
	FOR_DGRAM_MODELS(m) {
		struct tl_server s;
		char path[128];
		tl_start(&s, "--proto", "udp", "--model", (*m)->name, "--handler", "sleep:10000", NULL);
		int fd = tl_dgram(&s, path, sizeof(path));
		assert_int_equal(send(fd, "slow", 4, 0), 4);
		usleep(50000);   /* the request is in the handler's sleep */
		double t0 = tl_ms();
		tl_stop(&s);
		double dt = tl_ms() - t0;
		if (dt > 3000)
			fail_msg("dgram %s: took %.0f ms to stop", (*m)->name, dt);
		close(fd);
	}
}

/*
 * SIGTERM while datagrams keep coming: a socket that always has one queued
 * never says EAGAIN, and the server must still stop promptly instead of
 * working through its whole receive buffer first.
 */
static void test_sigterm_under_flood(void **state)
{
	(void)state;
	FOR_DGRAM_MODELS(m) {
		struct tl_server s;
		tl_start(&s, "--proto", "udp", "--model", (*m)->name, "--handler", "spin:2000",
			 "--rcvbuf", "4m", NULL);
		pid_t sender = fork();
		assert_true(sender >= 0);
		if (sender == 0) {
			/* Bounded: 3 s of 64-byte datagrams to our own server. */
			int fd = socket(AF_INET, SOCK_DGRAM, 0);
			char buf[64] = {0};
			double end = tl_ms() + 3000;
			while (fd >= 0 && tl_ms() < end)
				sendto(fd, buf, sizeof(buf), 0,
				       (const struct sockaddr *)&s.addr.ss, s.addr.len);
			_exit(0);
		}
		usleep(500000);
		double t0 = tl_ms();
		tl_stop(&s);
		double took = tl_ms() - t0;
		kill(sender, SIGKILL);
		waitpid(sender, NULL, 0);
		if (took > 1500)
			fail_msg("%s: took %.0f ms to stop under a flood", (*m)->name, took);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_disconnect_mid_request, tl_cleanup),
		cmocka_unit_test_teardown(test_reset, tl_cleanup),
		cmocka_unit_test_teardown(test_garbage, tl_cleanup),
		cmocka_unit_test_teardown(test_garbage_file, file_root_down),
		cmocka_unit_test_teardown(test_dgram_oversize, tl_cleanup),
		cmocka_unit_test_teardown(test_sigpipe, tl_cleanup),
		cmocka_unit_test_teardown(test_oversize_prefix, tl_cleanup),
		cmocka_unit_test_teardown(test_emfile, tl_cleanup),
		cmocka_unit_test_teardown(test_epoll_backpressure, tl_cleanup),
		cmocka_unit_test_teardown(test_fork_no_zombies, tl_cleanup),
		cmocka_unit_test_teardown(test_dgram_fork_idle_reaps, tl_cleanup),
		cmocka_unit_test_teardown(test_allow, tl_cleanup),
		cmocka_unit_test_teardown(test_max_conns, tl_cleanup),
		cmocka_unit_test_teardown(test_sigterm_with_clients, tl_cleanup),
		cmocka_unit_test_teardown(test_sigterm_under_flood, tl_cleanup),
	};
	return tl_run_group(tests, NULL, tl_cleanup);
}
