/*
 * tests/integration/test_serve_conformance.c — one conformance suite run
 * against every concurrency model in servers/models.c, so that a new model
 * is tested by adding its row there.
 *
 * For each stream model × {tcp 127.0.0.1, tcp ::1, unix-stream} the real
 * `socklab serve` is started on port 0 (or a temp path) once per handler —
 * echo, upper, framed (length and delimiter; messages split across sends
 * and glued into one send), discard, source, file, sleep:20 — and a real
 * client checks the bytes, then the server is stopped with SIGTERM and its
 * final counters (accepted, closed, requests, bytes_in/out, errors) are
 * checked against what the client did. A client that half-closes (shutdown
 * SHUT_WR) right after its request still gets the whole answer: echo, a
 * held sleep reply, a file. Each datagram model × {udp
 * 127.0.0.1, udp ::1, unix-dgram} gets echo (an empty datagram answered
 * empty), upper, discard and sleep:20 the same way. A Unix socket path must
 * be gone after the server exits.
 */
#include "testlib/testlib.h"

#include "servers/model.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct family {
	const char *name;
	const char *proto;
	const char *bind;        /* NULL: a Unix path */
};

static const struct family stream_fams[] = {
	{"tcp4", "tcp", "127.0.0.1"},
	{"tcp6", "tcp", "::1"},
	{"unix", "unix-stream", NULL},
};

static const struct family dgram_fams[] = {
	{"udp4", "udp", "127.0.0.1"},
	{"udp6", "udp", "::1"},
	{"unix", "unix-dgram", NULL},
};

struct tcase {
	const struct srv_model_ops *model;
	const struct family *fam;
	char name[64];
};

/* The file handler's fixture, made once: root/ holds the served files,
 * secret sits beside root/ and must stay out of reach. */
static char fx_dir[128], fx_root[160];
#define BIG_SIZE (300 * 1024 + 7)

/* ---------------------------------------------------------------- helpers */

/* Start the server for a case with handler h and extra flags (up to 8,
 * NULL-terminated). path receives the Unix socket path, or "". */
static void start_case(struct tl_server *s, const struct tcase *c, const char *h,
		       char *path, size_t plen, const char *const *extra)
{
	const char *args[32];
	size_t n = 0;
	args[n++] = "--proto";
	args[n++] = c->fam->proto;
	args[n++] = "--model";
	args[n++] = c->model->name;
	args[n++] = "--handler";
	args[n++] = h;
	path[0] = '\0';
	if (c->fam->bind) {
		args[n++] = "--bind";
		args[n++] = c->fam->bind;
		args[n++] = "--port";
		args[n++] = "0";
	} else {
		tl_tmp_path(path, plen, ".sock");
		args[n++] = "--path";
		args[n++] = path;
	}
	for (size_t i = 0; extra && extra[i] && n < 31; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	tl_startv(s, args);
}

/* Stop, and check what every case shares: the Unix path is gone. */
static void stop_case(struct tl_server *s, const char *path)
{
	tl_stop(s);
	if (path[0]) {
		struct stat sb;
		assert_int_equal(stat(path, &sb), -1);
	}
}

static void check_conns(const struct tl_server *s, long long n)
{
	assert_int_equal(tl_stat(s, "accepted"), n);
	assert_int_equal(tl_stat(s, "closed"), n);
	assert_int_equal(tl_stat(s, "active"), 0);
	assert_int_equal(tl_stat(s, "refused"), 0);
}

static void nodelay(int fd, const struct tl_server *s)
{
	int one = 1;
	if (s->addr.ss.ss_family != AF_UNIX)
		assert_int_equal(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
}

/* A pattern in which any lost, doubled or moved 4-byte word shows. */
static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t w = (uint32_t)(i / 4) * 2654435761u + seed;
		p[i] = (uint8_t)(w >> (8 * (i % 4)));
	}
}

static void expect_reply(int fd, const void *want, size_t n)
{
	uint8_t *got = malloc(n + 1);
	assert_non_null(got);
	size_t r = tl_recv_n(fd, got, n);
	assert_int_equal(r, n);
	assert_memory_equal(got, want, n);
	free(got);
}

/* ---------------------------------------------------------------- stream */

static void stream_echo(const struct tcase *c)
{
	struct tl_server s;
	char path[128];
	start_case(&s, c, "echo", path, sizeof(path), NULL);

	size_t big = 64 * 1024, total = 0;
	uint8_t *buf = malloc(big);
	assert_non_null(buf);
	fill_pattern(buf, big, 1);

	int fd = tl_connect(&s);
	tl_send_all(fd, "hello", 5);
	expect_reply(fd, "hello", 5);
	tl_send_all(fd, buf, big);
	expect_reply(fd, buf, big);
	total += 5 + big;
	assert_int_equal(tl_finish(fd, NULL), 1);
	close(fd);

	/* A second connection: the server goes on serving. */
	fd = tl_connect(&s);
	tl_send_all(fd, "again\n", 6);
	expect_reply(fd, "again\n", 6);
	total += 6;
	assert_int_equal(tl_finish(fd, NULL), 1);
	close(fd);
	free(buf);

	stop_case(&s, path);
	check_conns(&s, 2);
	assert_true(tl_stat(&s, "requests") >= 3);
	assert_int_equal(tl_stat(&s, "bytes_in"), (long long)total);
	assert_int_equal(tl_stat(&s, "bytes_out"), (long long)total);
	assert_int_equal(tl_stat(&s, "io"), 0);
}

static void stream_upper(const struct tcase *c)
{
	struct tl_server s;
	char path[128];
	static const char in[] = "hello, World 123 \xc3\xa9z!\n";
	static const char out[] = "HELLO, WORLD 123 \xc3\xa9Z!\n";
	size_t n = sizeof(in) - 1;
	start_case(&s, c, "upper", path, sizeof(path), NULL);
	int fd = tl_connect(&s);
	tl_send_all(fd, in, n);
	expect_reply(fd, out, n);
	assert_int_equal(tl_finish(fd, NULL), 1);
	close(fd);
	stop_case(&s, path);
	check_conns(&s, 1);
	assert_true(tl_stat(&s, "requests") >= 1);
	assert_int_equal(tl_stat(&s, "bytes_in"), (long long)n);
	assert_int_equal(tl_stat(&s, "bytes_out"), (long long)n);
}

static size_t put_len(uint8_t *p, const void *msg, uint32_t n)
{
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	memcpy(p + 4, msg, n);
	return 4 + (size_t)n;
}

/* Send p[0..n) in pieces of `step` bytes, a few ms apart, so that each
 * arrives on its own (TCP_NODELAY) and the server sees half-messages. */
static void send_split(int fd, const uint8_t *p, size_t n, size_t step)
{
	for (size_t off = 0; off < n; off += step) {
		size_t k = n - off < step ? n - off : step;
		tl_send_all(fd, p + off, k);
		usleep(3000);
	}
}

static void stream_framed_length(const struct tcase *c)
{
	struct tl_server s;
	char path[128];
	const char *extra[] = {"--framing", "length", "--max-msg", "64k", NULL};
	start_case(&s, c, "framed", path, sizeof(path), extra);

	uint8_t big[3000], wire[8192];
	fill_pattern(big, sizeof(big), 7);
	size_t n = 0;
	int msgs = 0;

	int fd = tl_connect(&s);
	nodelay(fd, &s);
	/* One message, split: the header itself arrives in halves. */
	n = put_len(wire, "split message", 13);
	send_split(fd, wire, n, 2);
	expect_reply(fd, wire, n);
	msgs++;
	size_t total = n;
	/* A large one split in odd pieces. */
	n = put_len(wire, big, sizeof(big));
	send_split(fd, wire, n, 1001);
	expect_reply(fd, wire, n);
	msgs++;
	total += n;
	/* Three glued into one send, one of them empty. */
	n = put_len(wire, "one", 3);
	n += put_len(wire + n, "", 0);
	n += put_len(wire + n, "three", 5);
	tl_send_all(fd, wire, n);
	expect_reply(fd, wire, n);
	msgs += 3;
	total += n;
	/* The end of one message glued to the start of the next. */
	n = put_len(wire, "tail", 4);
	size_t n2 = put_len(wire + n, "head", 4);
	tl_send_all(fd, wire, n + 2);
	usleep(20000);
	tl_send_all(fd, wire + n + 2, n2 - 2);
	expect_reply(fd, wire, n + n2);
	msgs += 2;
	total += n + n2;
	assert_int_equal(tl_finish(fd, NULL), 1);
	close(fd);

	stop_case(&s, path);
	check_conns(&s, 1);
	assert_int_equal(tl_stat(&s, "requests"), msgs);
	assert_int_equal(tl_stat(&s, "bytes_in"), (long long)total);
	assert_int_equal(tl_stat(&s, "bytes_out"), (long long)total);
	assert_int_equal(tl_stat(&s, "oversize"), 0);
	assert_int_equal(tl_stat(&s, "protocol"), 0);
}

static void stream_framed_delim(const struct tcase *c)
{
	struct tl_server s;
	char path[128];
	const char *extra[] = {"--framing", "delim", NULL};
	start_case(&s, c, "framed", path, sizeof(path), extra);

	int fd = tl_connect(&s);
	nodelay(fd, &s);
	const char *split = "first message\n";
	send_split(fd, (const uint8_t *)split, strlen(split), 3);
	expect_reply(fd, split, strlen(split));
	const char *glued = "a\nbb\n\nccc\n";   /* four, one empty */
	tl_send_all(fd, glued, strlen(glued));
	expect_reply(fd, glued, strlen(glued));
	/* "tw" | "o\nthr" | "ee\n": boundaries nowhere near the messages'. */
	tl_send_all(fd, "tw", 2);
	usleep(20000);
	tl_send_all(fd, "o\nthr", 5);
	usleep(20000);
	tl_send_all(fd, "ee\n", 3);
	expect_reply(fd, "two\nthree\n", 10);
	/* An unterminated tail is not echoed. */
	tl_send_all(fd, "partial", 7);
	size_t extra_bytes = 99;
	assert_int_equal(tl_finish(fd, &extra_bytes), 1);
	assert_int_equal(extra_bytes, 0);
	close(fd);

	size_t in = strlen(split) + strlen(glued) + 10 + 7;
	size_t out = in - 7;
	stop_case(&s, path);
	check_conns(&s, 1);
	assert_int_equal(tl_stat(&s, "requests"), 1 + 4 + 2);
	assert_int_equal(tl_stat(&s, "bytes_in"), (long long)in);
	assert_int_equal(tl_stat(&s, "bytes_out"), (long long)out);
}

static void stream_discard(const struct tcase *c)
{
	struct tl_server s;
	char path[128];
	size_t n = 200 * 1024;
	uint8_t *buf = malloc(n);
	assert_non_null(buf);
	fill_pattern(buf, n, 3);
	start_case(&s, c, "discard", path, sizeof(path), NULL);
	int fd = tl_connect(&s);
	tl_send_all(fd, buf, n);
	size_t back = 99;
	/* EOF proves the server read everything before it closed. */
	assert_int_equal(tl_finish(fd, &back), 1);
	assert_int_equal(back, 0);
	close(fd);
	free(buf);
	stop_case(&s, path);
	check_conns(&s, 1);
	assert_int_equal(tl_stat(&s, "bytes_in"), (long long)n);
	assert_int_equal(tl_stat(&s, "bytes_out"), 0);
	assert_true(tl_stat(&s, "requests") >= 1);
}

static void stream_source(const struct tcase *c)
{
	struct tl_server s;
	char path[128];
	size_t want = 1024 * 1024, got = 0;
	uint8_t buf[8192];
	start_case(&s, c, "source", path, sizeof(path), NULL);
	int fd = tl_connect(&s);
	while (got < want) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0)
			fail_msg("source ended after %zu bytes: %s", got, r ? strerror(errno) : "EOF");
		for (ssize_t i = 0; i < r; i++) {
			size_t k = (got + (size_t)i) % 27;
			uint8_t e = k == 26 ? '\n' : (uint8_t)('a' + k);
			if (buf[i] != e)
				fail_msg("source byte %zu is 0x%02x, want 0x%02x",
					 got + (size_t)i, buf[i], e);
		}
		got += (size_t)r;
	}
	close(fd);
	/* The server finds out when its next write fails. */
	stop_case(&s, path);
	assert_int_equal(tl_stat(&s, "accepted"), 1);
	assert_int_equal(tl_stat(&s, "active"), 0);
	assert_true(tl_stat(&s, "bytes_out") >= (long long)want);
	assert_int_equal(tl_stat(&s, "bytes_in"), 0);
}

/* ---- file */

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static int fixture_up(void **state)
{
	(void)state;
	uint8_t *big = malloc(BIG_SIZE);
	if (!big)
		return -1;
	fill_pattern(big, BIG_SIZE, 11);
	tl_tmp_path(fx_dir, sizeof(fx_dir), ".files");
	snprintf(fx_root, sizeof(fx_root), "%s/root", fx_dir);
	char sub[200];
	snprintf(sub, sizeof(sub), "%s/sub", fx_root);
	if (mkdir(fx_dir, 0700) < 0 || mkdir(fx_root, 0700) < 0 || mkdir(sub, 0700) < 0) {
		free(big);
		return -1;
	}
	write_file(fx_dir, "secret", "top secret\n", 11);
	write_file(fx_root, "small.txt", "hello file\n", 11);
	write_file(fx_root, "empty", "", 0);
	write_file(fx_root, "big.bin", big, BIG_SIZE);
	write_file(sub, "x", "x", 1);
	free(big);
	return 0;
}

static int fixture_down(void **state)
{
	char p[256];
	static const char *const files[] = {"root/small.txt", "root/empty", "root/big.bin",
					    "root/sub/x", "secret", "root/sub", "root"};
	tl_cleanup(state);
	if (!fx_dir[0])
		return 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fx_dir, files[i]);
		remove(p);
	}
	rmdir(fx_dir);
	return 0;
}

static uint64_t read_size(int fd)
{
	uint8_t h[8];
	assert_int_equal(tl_recv_n(fd, h, 8), 8);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

/* Ask for name; expect want_size and then the file's bytes. */
static size_t fetch(int fd, const char *name, uint64_t want_size)
{
	char req[300];
	int n = snprintf(req, sizeof(req), "%s\n", name);
	tl_send_all(fd, req, (size_t)n);
	uint64_t sz = read_size(fd);
	if (sz != want_size)
		fail_msg("file '%s': size %llu, want %llu", name,
			 (unsigned long long)sz, (unsigned long long)want_size);
	if (sz == UINT64_MAX)
		return 8;
	uint8_t *got = malloc(sz + 1), *want = malloc(sz + 1);
	assert_non_null(got);
	assert_non_null(want);
	assert_int_equal(tl_recv_n(fd, got, sz), sz);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", fx_root, name);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(f >= 0);
	assert_int_equal(read(f, want, sz + 1), (ssize_t)sz);
	close(f);
	assert_memory_equal(got, want, sz);
	free(got);
	free(want);
	return 8 + sz;
}

static void stream_file(const struct tcase *c)
{
	struct tl_server s;
	char path[128];
	const char *extra[] = {"--root", fx_root, NULL};
	start_case(&s, c, "file", path, sizeof(path), extra);

	int fd = tl_connect(&s);
	size_t out = 0;
	out += fetch(fd, "small.txt", 11);
	out += fetch(fd, "big.bin", BIG_SIZE);
	out += fetch(fd, "empty", 0);
	out += fetch(fd, "sub/x", 1);
	out += fetch(fd, "missing", UINT64_MAX);
	out += fetch(fd, "../secret", UINT64_MAX);
	out += fetch(fd, "sub/../../secret", UINT64_MAX);
	out += fetch(fd, "/etc/passwd", UINT64_MAX);
	out += fetch(fd, "sub", UINT64_MAX);          /* a directory */
	/* Two names in one send are answered in order. */
	tl_send_all(fd, "small.txt\nempty\n", 16);
	assert_int_equal(read_size(fd), 11);
	expect_reply(fd, "hello file\n", 11);
	assert_int_equal(read_size(fd), 0);
	out += 8 + 11 + 8;
	assert_int_equal(tl_finish(fd, NULL), 1);
	close(fd);

	size_t in = strlen("small.txt\nbig.bin\nempty\nsub/x\nmissing\n../secret\n"
			   "sub/../../secret\n/etc/passwd\nsub\n") + 16;
	stop_case(&s, path);
	check_conns(&s, 1);
	assert_int_equal(tl_stat(&s, "requests"), 11);
	assert_int_equal(tl_stat(&s, "notfound"), 5);
	assert_int_equal(tl_stat(&s, "bytes_in"), (long long)in);
	assert_int_equal(tl_stat(&s, "bytes_out"), (long long)out);
}

static void stream_sleep(const struct tcase *c)
{
	struct tl_server s;
	char path[128];
	start_case(&s, c, "sleep:20", path, sizeof(path), NULL);
	int fd = tl_connect(&s);
	for (int i = 0; i < 2; i++) {
		double t0 = tl_ms();
		tl_send_all(fd, "ping", 4);
		expect_reply(fd, "ping", 4);
		double dt = tl_ms() - t0;
		if (dt < 19.0)
			fail_msg("sleep:20 answered after %.1f ms", dt);
	}
	assert_int_equal(tl_finish(fd, NULL), 1);
	close(fd);
	stop_case(&s, path);
	check_conns(&s, 1);
	assert_int_equal(tl_stat(&s, "requests"), 2);
	assert_int_equal(tl_stat(&s, "bytes_in"), 8);
	assert_int_equal(tl_stat(&s, "bytes_out"), 8);
}

/* ---- half-close: the client sends its request, shuts its side
 * (shutdown SHUT_WR, as `nc -N` does) and then reads the whole answer. */

/* Send out[0..n) and half-close as soon as it is all sent, reading
 * meanwhile (so neither side's buffers can deadlock) until EOF. Returns the
 * bytes read into a malloc'd *in (caller frees). */
static size_t halfclose_exchange(int fd, const uint8_t *out, size_t n, uint8_t **in)
{
	size_t cap = 1 << 16, got = 0, sent = 0;
	uint8_t *buf = malloc(cap);
	bool shut = false;
	double end = tl_ms() + 10000;
	assert_non_null(buf);
	for (;;) {
		if (sent == n && !shut) {
			assert_int_equal(shutdown(fd, SHUT_WR), 0);
			shut = true;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN | (shut ? 0 : POLLOUT)};
		int left = (int)(end - tl_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			fail_msg("half-close: stalled with %zu of %zu sent, %zu read", sent, n, got);
		if (!shut && (p.revents & POLLOUT)) {
			ssize_t w = send(fd, out + sent, n - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w > 0)
				sent += (size_t)w;
			else if (w < 0 && errno != EAGAIN)
				fail_msg("half-close: send: %s", strerror(errno));
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (got == cap) {
				cap *= 2;
				buf = realloc(buf, cap);
				assert_non_null(buf);
			}
			ssize_t r = recv(fd, buf + got, cap - got, MSG_DONTWAIT);
			if (r == 0)
				break;
			if (r < 0 && errno != EAGAIN)
				fail_msg("half-close: recv after %zu bytes: %s", got, strerror(errno));
			if (r > 0)
				got += (size_t)r;
		}
	}
	if (!shut)
		fail_msg("half-close: the server closed before the request was sent");
	*in = buf;
	return got;
}

static void stream_halfclose(const struct tcase *c)
{
	struct tl_server s;
	char path[128];
	uint8_t *in;
	size_t n = 300 * 1024;
	uint8_t *buf = malloc(n);
	assert_non_null(buf);
	fill_pattern(buf, n, 9);

	/* echo: everything sent before the FIN comes back. */
	start_case(&s, c, "echo", path, sizeof(path), NULL);
	for (int i = 0; i < 3; i++) {
		int fd = tl_connect(&s);
		size_t k = i == 0 ? n : i == 1 ? 1 : 5000;
		size_t got = halfclose_exchange(fd, buf, k, &in);
		if (got != k || memcmp(in, buf, k) != 0)
			fail_msg("%s: echo after half-close: %zu of %zu bytes", c->name, got, k);
		free(in);
		close(fd);
	}
	stop_case(&s, path);
	check_conns(&s, 3);

	/* sleep:20: the answer is held when the FIN arrives. */
	start_case(&s, c, "sleep:20", path, sizeof(path), NULL);
	int fd = tl_connect(&s);
	assert_int_equal(halfclose_exchange(fd, (const uint8_t *)"zzz", 3, &in), 3);
	assert_memory_equal(in, "zzz", 3);
	free(in);
	close(fd);
	stop_case(&s, path);
	check_conns(&s, 1);

	/* file: the whole file, not just its size header. */
	const char *extra[] = {"--root", fx_root, NULL};
	start_case(&s, c, "file", path, sizeof(path), extra);
	fd = tl_connect(&s);
	size_t got = halfclose_exchange(fd, (const uint8_t *)"big.bin\nsmall.txt\n", 18, &in);
	if (got != 8 + BIG_SIZE + 8 + 11)
		fail_msg("%s: file after half-close: %zu bytes, want %d", c->name, got,
			 8 + BIG_SIZE + 8 + 11);
	assert_memory_equal(in + 8 + BIG_SIZE + 8, "hello file\n", 11);
	free(in);
	close(fd);
	stop_case(&s, path);
	check_conns(&s, 1);
	assert_int_equal(tl_stat(&s, "requests"), 2);
	free(buf);
}

static void test_stream(void **state)
{
	const struct tcase *c = *state;
	stream_echo(c);
	stream_upper(c);
	stream_framed_length(c);
	stream_framed_delim(c);
	stream_discard(c);
	stream_source(c);
	stream_file(c);
	stream_sleep(c);
	stream_halfclose(c);
}

/* ---------------------------------------------------------------- datagram */

struct dclient {
	int fd;
	char path[128];
};

static void dgram_open(struct dclient *d, const struct tl_server *s)
{
	d->fd = tl_dgram(s, d->path, sizeof(d->path));
}

static void dgram_close(struct dclient *d)
{
	close(d->fd);
	if (d->path[0])
		unlink(d->path);
}

/* One datagram out, one back, compared whole (boundaries kept). */
static void dgram_roundtrip(int fd, const void *msg, size_t n, const void *want)
{
	uint8_t buf[70000];
	assert_int_equal(send(fd, msg, n, 0), (ssize_t)n);
	ssize_t r = recv(fd, buf, sizeof(buf), 0);
	if (r < 0)
		fail_msg("no reply to a %zu-byte datagram: %s", n, strerror(errno));
	assert_int_equal(r, (ssize_t)n);
	assert_memory_equal(buf, want, n);
}

static void dgram_echo(const struct tcase *c)
{
	struct tl_server s;
	struct dclient d;
	char path[128];
	uint8_t big[8000];
	fill_pattern(big, sizeof(big), 5);
	start_case(&s, c, "echo", path, sizeof(path), NULL);
	dgram_open(&d, &s);
	dgram_roundtrip(d.fd, "hello", 5, "hello");
	dgram_roundtrip(d.fd, "", 0, "");
	dgram_roundtrip(d.fd, big, sizeof(big), big);
	/* Two sent back to back come back as two, not one. */
	assert_int_equal(send(d.fd, "ab", 2, 0), 2);
	assert_int_equal(send(d.fd, "cde", 3, 0), 3);
	char buf[16];
	ssize_t r1 = recv(d.fd, buf, sizeof(buf), 0);
	ssize_t r2 = recv(d.fd, buf + 8, sizeof(buf) - 8, 0);
	/* A threaded or forked model may answer in either order. */
	assert_true((r1 == 2 && r2 == 3) || (r1 == 3 && r2 == 2));
	dgram_close(&d);
	stop_case(&s, path);
	long long n = 5 + 0 + sizeof(big) + 5;
	assert_int_equal(tl_stat(&s, "requests"), 5);
	assert_int_equal(tl_stat(&s, "bytes_in"), n);
	assert_int_equal(tl_stat(&s, "bytes_out"), n);
	assert_int_equal(tl_stat(&s, "io"), 0);
	assert_int_equal(tl_stat(&s, "oversize"), 0);
}

static void dgram_upper(const struct tcase *c)
{
	struct tl_server s;
	struct dclient d;
	char path[128];
	start_case(&s, c, "upper", path, sizeof(path), NULL);
	dgram_open(&d, &s);
	dgram_roundtrip(d.fd, "hello udp", 9, "HELLO UDP");
	dgram_roundtrip(d.fd, "MiXeD 42!", 9, "MIXED 42!");
	dgram_close(&d);
	stop_case(&s, path);
	assert_int_equal(tl_stat(&s, "requests"), 2);
	assert_int_equal(tl_stat(&s, "bytes_in"), 18);
	assert_int_equal(tl_stat(&s, "bytes_out"), 18);
}

static void dgram_discard(const struct tcase *c)
{
	struct tl_server s;
	struct dclient d;
	char path[128], buf[16];
	start_case(&s, c, "discard", path, sizeof(path), NULL);
	dgram_open(&d, &s);
	for (int i = 0; i < 10; i++)
		assert_int_equal(send(d.fd, "0123456789", 10, 0), 10);
	/* No answer comes; meanwhile the server reads all ten. */
	struct timeval tv = {0, 300000};
	setsockopt(d.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(recv(d.fd, buf, sizeof(buf), 0), -1);
	dgram_close(&d);
	stop_case(&s, path);
	assert_int_equal(tl_stat(&s, "requests"), 10);
	assert_int_equal(tl_stat(&s, "bytes_in"), 100);
	assert_int_equal(tl_stat(&s, "bytes_out"), 0);
}

static void dgram_sleep(const struct tcase *c)
{
	struct tl_server s;
	struct dclient d;
	char path[128];
	start_case(&s, c, "sleep:20", path, sizeof(path), NULL);
	dgram_open(&d, &s);
	double t0 = tl_ms();
	dgram_roundtrip(d.fd, "ping", 4, "ping");
	double dt = tl_ms() - t0;
	if (dt < 19.0)
		fail_msg("sleep:20 answered after %.1f ms", dt);
	dgram_close(&d);
	stop_case(&s, path);
	assert_int_equal(tl_stat(&s, "requests"), 1);
	assert_int_equal(tl_stat(&s, "bytes_out"), 4);
}

static void test_dgram(void **state)
{
	const struct tcase *c = *state;
	dgram_echo(c);
	dgram_upper(c);
	dgram_discard(c);
	dgram_sleep(c);
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	size_t nmodels = 0;
	while (srv_models[nmodels])
		nmodels++;
	size_t cap = nmodels * 3;
	struct tcase *cases = calloc(cap, sizeof(*cases));
	struct CMUnitTest *tests = calloc(cap, sizeof(*tests));
	if (!cases || !tests)
		return 1;
	size_t n = 0;
	for (size_t m = 0; m < nmodels; m++) {
		const struct srv_model_ops *ops = srv_models[m];
		bool stream = ops->kind == SRV_STREAM;
		for (size_t f = 0; f < 3; f++) {
			struct tcase *c = &cases[n];
			c->model = ops;
			c->fam = stream ? &stream_fams[f] : &dgram_fams[f];
			snprintf(c->name, sizeof(c->name), "%s/%s/%s",
				 stream ? "stream" : "dgram", ops->name, c->fam->name);
			tests[n] = (struct CMUnitTest){
				.name = c->name,
				.test_func = stream ? test_stream : test_dgram,
				.teardown_func = tl_cleanup,
				.initial_state = c,
			};
			n++;
		}
	}
	int rc = tl_exit(_cmocka_run_group_tests("serve_conformance", tests, n, fixture_up, fixture_down), n);
	free(tests);
	free(cases);
	return rc;
}
