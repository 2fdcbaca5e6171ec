/*
 * tests/unit/test_handlers.c — `--handler` parsing and every handler driven
 * without sockets, the way a model's driver calls them: srv_conn_begin, then
 * srv_conn_data per read, srv_conn_more whenever the output is drained, and
 * srv_conn_end. A real server is opened on 127.0.0.1 port 0 (iterative, never
 * served) only to have a struct srv with counters and a handler config.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "net/clock.h"
#include "servers/model.h"
#include "servers/srv.h"

static char err[256];

/* ---------------------------------------------------------------- parsing */

static int parse(struct srv_handler_cfg *cfg, const char *spec)
{
	memset(cfg, 0, sizeof(*cfg));
	err[0] = '\0';
	return srv_handler_parse(cfg, spec, err, sizeof(err));
}

static void test_parse(void **state)
{
	(void)state;
	struct srv_handler_cfg cfg;

	assert_int_equal(parse(&cfg, "echo"), 0);
	assert_non_null(cfg.ops);
	assert_string_equal(cfg.ops->name, "echo");
	assert_int_equal(cfg.work_ns, 0);

	assert_int_equal(parse(&cfg, "sleep:200"), 0);
	assert_string_equal(cfg.ops->name, "sleep");
	assert_int_equal(cfg.work_ns, 200ull * 1000 * 1000);

	assert_int_equal(parse(&cfg, "spin:50"), 0);
	assert_string_equal(cfg.ops->name, "spin");
	assert_int_equal(cfg.work_ns, 50ull * 1000);

	assert_int_equal(parse(&cfg, "sleep:0"), 0);
	assert_int_equal(cfg.work_ns, 0);

	/* Other fields are left as the caller set them. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.chunk = 77;
	assert_int_equal(srv_handler_parse(&cfg, "source", err, sizeof(err)), 0);
	assert_int_equal(cfg.chunk, 77);

	for (const struct srv_handler_ops *const *h = srv_handlers; *h; h++) {
		char spec[64];
		snprintf(spec, sizeof(spec), "%s%s", (*h)->name, (*h)->takes_arg ? ":1" : "");
		assert_int_equal(parse(&cfg, spec), 0);
		assert_ptr_equal(cfg.ops, *h);
	}

	assert_int_equal(parse(&cfg, "sleep"), -EINVAL);
	assert_non_null(strstr(err, "needs an argument"));
	assert_int_equal(parse(&cfg, "echo:3"), -EINVAL);
	assert_non_null(strstr(err, "takes no argument"));
	assert_int_equal(parse(&cfg, "sleep:"), -EINVAL);
	assert_int_equal(parse(&cfg, "sleep:-1"), -EINVAL);
	assert_int_equal(parse(&cfg, "sleep:1.5"), -EINVAL);
	assert_int_equal(parse(&cfg, "sleep:abc"), -EINVAL);
	assert_non_null(strstr(err, "milliseconds"));
	assert_int_equal(parse(&cfg, "spin:x"), -EINVAL);
	assert_non_null(strstr(err, "microseconds"));
	assert_int_equal(parse(&cfg, "sleep:99999999999999999999999"), -EINVAL);
	assert_int_equal(parse(&cfg, "ECHO"), -EINVAL);
	assert_int_equal(parse(&cfg, "ech"), -EINVAL);
	assert_int_equal(parse(&cfg, ""), -EINVAL);

	assert_int_equal(parse(&cfg, "bogus"), -EINVAL);
	assert_non_null(strstr(err, "unknown handler 'bogus'"));
	for (const struct srv_handler_ops *const *h = srv_handlers; *h; h++)
		assert_non_null(strstr(err, (*h)->name));
	assert_non_null(strstr(err, "sleep:N"));
	assert_non_null(strstr(err, ")"));
	/* An unknown name with an argument names only the name. */
	assert_int_equal(parse(&cfg, "nap:10"), -EINVAL);
	assert_non_null(strstr(err, "unknown handler 'nap'"));
}

/* ---------------------------------------------------------------- driving */

/* A bound but never served server whose handler is cfg. */
static struct srv *open_srv(enum net_proto proto, const struct srv_handler_cfg *h)
{
	struct srv_config cfg;
	struct srv *s = NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.proto = proto;
	cfg.model = srv_model_find("iterative",
				   net_proto_is_stream(proto) ? SRV_STREAM : SRV_DGRAM);
	assert_non_null(cfg.model);
	cfg.handler = *h;
	cfg.reuseaddr = true;
	assert_int_equal(net_addr_ip(&cfg.addr, "127.0.0.1", 0, err, sizeof(err)), 0);
	if (srv_open(&s, &cfg, err, sizeof(err)) != 0)
		fail_msg("srv_open: %s", err);
	assert_true(net_addr_port(srv_addr(s)) != 0);
	return s;
}

static struct srv *open_spec(enum net_proto proto, const char *spec)
{
	struct srv_handler_cfg h;
	memset(&h, 0, sizeof(h));
	assert_int_equal(srv_handler_parse(&h, spec, err, sizeof(err)), 0);
	return open_srv(proto, &h);
}

static void begin(struct srv_conn *c, struct srv *s)
{
	struct net_addr peer;
	assert_int_equal(net_addr_ip(&peer, "127.0.0.1", 40000, err, sizeof(err)), 0);
	assert_int_equal(srv_conn_begin(c, s, &peer), 0);
}

static int data(struct srv_conn *c, const char *s)
{
	return srv_conn_data(c, (const uint8_t *)s, strlen(s));
}

/* Move what the handler queued into acc, as a driver's write would. */
static void drain(struct srv_conn *c, struct net_buf *acc)
{
	assert_int_equal(net_buf_append(acc, net_buf_head(&c->out), net_buf_pending(&c->out)), 0);
	net_buf_reset(&c->out);
}

/* Drain and call more() while the handler wants to; bounded. */
static void pump(struct srv_conn *c, struct net_buf *acc)
{
	drain(c, acc);
	for (int i = 0; i < 10000 && c->want_more; i++) {
		assert_int_equal(srv_conn_more(c), 0);
		drain(c, acc);
	}
	assert_false(c->want_more);
}

static uint64_t ctr(struct srv *s, int which)
{
	const struct srv_counters *k = srv_counters(s);
	switch (which) {
	case 0: return atomic_load(&k->requests);
	case 1: return atomic_load(&k->bytes_in);
	default: return atomic_load(&k->errors[which - 2]);
	}
}
#define REQUESTS 0
#define BYTES_IN 1
#define ERRORS(e) (2 + (e))

static void test_echo_upper_discard(void **state)
{
	(void)state;
	struct srv_conn c;
	struct srv *s = open_spec(NET_TCP, "upper");

	begin(&c, s);
	assert_int_equal(data(&c, "Hello, World 123 \xe9z\n"), 0);
	assert_true(c.reply);
	assert_int_equal(net_buf_pending(&c.out), 20);
	assert_memory_equal(net_buf_head(&c.out), "HELLO, WORLD 123 \xe9Z\n", 20);
	assert_int_equal(data(&c, "abc"), 0);
	assert_memory_equal(net_buf_head(&c.out) + 20, "ABC", 3);
	assert_int_equal(ctr(s, REQUESTS), 2);
	assert_int_equal(ctr(s, BYTES_IN), 23);
	srv_conn_end(&c);
	assert_null(c.out.data);
	srv_close(s);

	s = open_spec(NET_TCP, "echo");
	begin(&c, s);
	assert_int_equal(srv_conn_data(&c, (const uint8_t *)"a\0b", 3), 0);
	assert_int_equal(net_buf_pending(&c.out), 3);
	assert_memory_equal(net_buf_head(&c.out), "a\0b", 3);
	srv_conn_end(&c);
	srv_close(s);

	s = open_spec(NET_TCP, "discard");
	begin(&c, s);
	assert_int_equal(data(&c, "drop me"), 0);
	assert_false(c.reply);
	assert_int_equal(net_buf_pending(&c.out), 0);
	assert_int_equal(ctr(s, REQUESTS), 1);
	assert_int_equal(ctr(s, BYTES_IN), 7);
	srv_conn_end(&c);
	srv_close(s);
}

static void test_sleep_spin(void **state)
{
	(void)state;
	struct srv_conn c;
	struct srv *s = open_spec(NET_TCP, "sleep:200");

	begin(&c, s);
	uint64_t t0 = net_now_ns();
	assert_int_equal(data(&c, "ping"), 0);
	/* The handler does not block; it tells the driver to hold the reply. */
	assert_true(net_now_ns() - t0 < (uint64_t)tl_bound_ms(100) * 1000 * 1000);
	assert_int_equal(c.delay_ns, 200ull * 1000 * 1000);
	assert_memory_equal(net_buf_head(&c.out), "ping", 4);
	srv_conn_end(&c);
	srv_close(s);

	s = open_spec(NET_TCP, "spin:20000");   /* 20 ms of CPU */
	begin(&c, s);
	t0 = net_now_ns();
	uint64_t cpu0 = net_thread_cpu_ns();
	assert_int_equal(data(&c, "pong"), 0);
	assert_true(net_now_ns() - t0 >= 20ull * 1000 * 1000);
	/* spin:US is US of this thread's own CPU time, not a wall-clock wait. */
	assert_true(net_thread_cpu_ns() - cpu0 >= 20ull * 1000 * 1000);
	assert_int_equal(c.delay_ns, 0);
	assert_memory_equal(net_buf_head(&c.out), "pong", 4);
	srv_conn_end(&c);
	srv_close(s);
}

static void test_framed(void **state)
{
	(void)state;
	struct srv_handler_cfg h;
	struct srv_conn c;
	memset(&h, 0, sizeof(h));
	assert_int_equal(srv_handler_parse(&h, "framed", err, sizeof(err)), 0);
	h.framing.kind = NET_FRAMING_LENGTH;
	h.framing.max_msg = 16;
	struct srv *s = open_srv(NET_TCP, &h);

	begin(&c, s);
	/* Half a message: nothing echoed yet. */
	assert_int_equal(srv_conn_data(&c, (const uint8_t *)"\0\0\0\5he", 6), 0);
	assert_false(c.reply);
	assert_int_equal(net_buf_pending(&c.out), 0);
	assert_int_equal(ctr(s, REQUESTS), 0);
	/* The rest, and a whole second message glued on. */
	assert_int_equal(srv_conn_data(&c, (const uint8_t *)"llo\0\0\0\2ok", 9), 0);
	assert_true(c.reply);
	assert_int_equal(net_buf_pending(&c.out), 15);
	assert_memory_equal(net_buf_head(&c.out), "\0\0\0\5hello\0\0\0\2ok", 15);
	assert_int_equal(ctr(s, REQUESTS), 2);
	/* Exactly max is echoed, one over is refused. */
	net_buf_reset(&c.out);
	assert_int_equal(srv_conn_data(&c, (const uint8_t *)"\0\0\0\x10" "0123456789abcdef", 20), 0);
	assert_int_equal(net_buf_pending(&c.out), 20);
	net_buf_reset(&c.out);
	assert_int_equal(srv_conn_data(&c, (const uint8_t *)"\0\0\0\x11", 4), -EMSGSIZE);
	assert_int_equal(net_buf_pending(&c.out), 0);
	srv_conn_end(&c);

	/* A huge announced length is refused from the header alone. */
	begin(&c, s);
	assert_int_equal(srv_conn_data(&c, (const uint8_t *)"\x7f\xff\xff\xff", 4), -EMSGSIZE);
	srv_conn_end(&c);
	srv_close(s);

	/* Delimiter framing: lines echoed whole, with their delimiter. */
	memset(&h.framing, 0, sizeof(h.framing));
	assert_int_equal(net_framing_parse(&h.framing, "delim:;", err, sizeof(err)), 0);
	h.framing.max_msg = 8;
	s = open_srv(NET_TCP, &h);
	begin(&c, s);
	assert_int_equal(data(&c, "ab;c"), 0);
	assert_int_equal(net_buf_pending(&c.out), 3);
	assert_int_equal(data(&c, "d;;"), 0);
	assert_int_equal(net_buf_pending(&c.out), 7);
	assert_memory_equal(net_buf_head(&c.out), "ab;cd;;", 7);
	assert_int_equal(data(&c, "123456789"), -EMSGSIZE);
	srv_conn_end(&c);
	srv_close(s);
}

static void test_source(void **state)
{
	(void)state;
	struct srv_handler_cfg h;
	struct srv_conn c;
	memset(&h, 0, sizeof(h));
	assert_int_equal(srv_handler_parse(&h, "source", err, sizeof(err)), 0);
	h.chunk = 10;   /* not a multiple of the 27-byte pattern */
	struct srv *s = open_srv(NET_TCP, &h);

	begin(&c, s);
	assert_true(c.want_more);
	struct net_buf acc = {0};
	for (int i = 0; i < 20; i++) {
		assert_int_equal(srv_conn_more(&c), 0);
		assert_int_equal(net_buf_pending(&c.out), 10);
		/* Not drained: more() must not pile up output. */
		assert_int_equal(srv_conn_more(&c), 0);
		assert_int_equal(net_buf_pending(&c.out), 10);
		drain(&c, &acc);
	}
	/* Input is read and dropped. */
	assert_int_equal(data(&c, "ignored"), 0);
	assert_int_equal(net_buf_pending(&c.out), 0);
	assert_int_equal(net_buf_pending(&acc), 200);
	for (size_t i = 0; i < 200; i++) {
		uint8_t want = i % 27 == 26 ? '\n' : (uint8_t)('a' + i % 27);
		if (acc.data[i] != want)
			fail_msg("byte %zu is 0x%02x, want 0x%02x", i, acc.data[i], want);
	}
	srv_conn_end(&c);
	srv_close(s);
	net_buf_free(&acc);
}

/* ---------------------------------------------------------------- file */

struct tree {
	char root[64];
	char outside[64];
};

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void make_tree(struct tree *t, size_t bigsize)
{
	char p[256];
	snprintf(t->root, sizeof(t->root), "/tmp/socklab-file-XXXXXX");
	snprintf(t->outside, sizeof(t->outside), "/tmp/socklab-out-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	assert_non_null(mkdtemp(t->outside));

	snprintf(p, sizeof(p), "%s/hello.txt", t->root);
	write_file(p, "hello, file\n", 12);
	snprintf(p, sizeof(p), "%s/empty", t->root);
	write_file(p, "", 0);
	snprintf(p, sizeof(p), "%s/sub", t->root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/sub/inner", t->root);
	write_file(p, "in", 2);
	uint8_t *big = malloc(bigsize);
	assert_non_null(big);
	for (size_t i = 0; i < bigsize; i++)
		big[i] = (uint8_t)(i * 31 + i / 251);
	snprintf(p, sizeof(p), "%s/big", t->root);
	write_file(p, big, bigsize);
	free(big);

	/* A secret outside the root, and links that try to reach it. */
	char secret[128];
	snprintf(secret, sizeof(secret), "%s/secret", t->outside);
	write_file(secret, "secret", 6);
	snprintf(p, sizeof(p), "%s/escape", t->root);
	assert_int_equal(symlink(secret, p), 0);
	snprintf(p, sizeof(p), "%s/escape-rel", t->root);
	assert_int_equal(symlink("../../etc/passwd", p), 0);
	/* A link that stays inside is fine. */
	snprintf(p, sizeof(p), "%s/alias", t->root);
	assert_int_equal(symlink("hello.txt", p), 0);
}

static void remove_tree(struct tree *t)
{
	const char *names[] = {"hello.txt", "empty", "sub/inner", "sub", "big",
			       "escape", "escape-rel", "alias"};
	char p[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", t->root, names[i]);
		remove(p);
	}
	rmdir(t->root);
	snprintf(p, sizeof(p), "%s/secret", t->outside);
	remove(p);
	rmdir(t->outside);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Ask for name; return the announced size and leave the bytes in *body. */
static uint64_t request(struct srv_conn *c, const char *line, struct net_buf *body)
{
	struct net_buf acc = {0};
	assert_int_equal(data(c, line), 0);
	pump(c, &acc);
	assert_true(net_buf_pending(&acc) >= 8);
	uint64_t size = be64(net_buf_head(&acc));
	net_buf_reset(body);
	assert_int_equal(net_buf_append(body, net_buf_head(&acc) + 8, net_buf_pending(&acc) - 8), 0);
	net_buf_free(&acc);
	return size;
}

static void test_file(void **state)
{
	(void)state;
	enum { BIG = 200000 };   /* several 64 KiB chunks */
	struct tree t;
	struct srv_handler_cfg h;
	struct srv_conn c;
	struct net_buf body = {0};

	make_tree(&t, BIG);
	memset(&h, 0, sizeof(h));
	assert_int_equal(srv_handler_parse(&h, "file", err, sizeof(err)), 0);
	snprintf(h.root, sizeof(h.root), "%s", t.root);
	struct srv *s = open_srv(NET_TCP, &h);

	begin(&c, s);
	assert_int_equal(request(&c, "hello.txt\n", &body), 12);
	assert_int_equal(net_buf_pending(&body), 12);
	assert_memory_equal(net_buf_head(&body), "hello, file\n", 12);

	assert_int_equal(request(&c, "empty\r\n", &body), 0);
	assert_int_equal(net_buf_pending(&body), 0);
	assert_int_equal(request(&c, "sub/inner\n", &body), 2);
	assert_int_equal(request(&c, "alias\n", &body), 12);

	assert_int_equal(request(&c, "big\n", &body), BIG);
	assert_int_equal(net_buf_pending(&body), BIG);
	for (size_t i = 0; i < BIG; i++)
		if (net_buf_head(&body)[i] != (uint8_t)(i * 31 + i / 251))
			fail_msg("big: byte %zu differs", i);

	uint64_t nf0 = ctr(s, ERRORS(SRV_ERR_NOTFOUND));
	const char *refused[] = {
		"../etc/passwd\n", "/etc/passwd\n", "escape\n", "escape-rel\n",
		"sub/../../etc/passwd\n", "missing\n", "sub\n", "\n", ".\n",
	};
	size_t nref = sizeof(refused) / sizeof(refused[0]);
	for (size_t i = 0; i < nref; i++) {
		uint64_t size = request(&c, refused[i], &body);
		if (size != UINT64_MAX)
			fail_msg("'%.*s' answered size %llu", (int)strlen(refused[i]) - 1,
				 refused[i], (unsigned long long)size);
		assert_int_equal(net_buf_pending(&body), 0);
	}
	assert_int_equal(ctr(s, ERRORS(SRV_ERR_NOTFOUND)) - nf0, nref);
	/* Still serving after the refusals. */
	assert_int_equal(request(&c, "hello.txt\n", &body), 12);
	srv_conn_end(&c);

	/* Names pipelined in one read, refused ones among them, are all
	 * answered in order. */
	begin(&c, s);
	struct net_buf acc = {0};
	assert_int_equal(data(&c, "nope\nhello.txt\n../x\nsub/inner\n/etc/passwd\n"), 0);
	pump(&c, &acc);
	const uint8_t *p = net_buf_head(&acc);
	assert_int_equal(net_buf_pending(&acc), 8 + 8 + 12 + 8 + 8 + 2 + 8);
	assert_true(be64(p) == UINT64_MAX);
	assert_int_equal(be64(p + 8), 12);
	assert_memory_equal(p + 16, "hello, file\n", 12);
	assert_true(be64(p + 28) == UINT64_MAX);
	assert_int_equal(be64(p + 36), 2);
	assert_memory_equal(p + 44, "in", 2);
	assert_true(be64(p + 46) == UINT64_MAX);
	net_buf_free(&acc);
	srv_conn_end(&c);

	/* A name longer than the limit ends the connection as a protocol
	 * error instead of being buffered. */
	begin(&c, s);
	char *longname = malloc(5000);
	assert_non_null(longname);
	memset(longname, 'n', 4999);
	longname[4999] = '\0';
	assert_int_equal(data(&c, longname), -EPROTO);
	free(longname);
	srv_conn_end(&c);

	srv_close(s);
	net_buf_free(&body);
	remove_tree(&t);
}

/*
 * The same refusals through openat2 and through the fallback taken where
 * openat2 is missing or filtered (forced by cfg.file_no_openat2). The
 * fallback used to openat(O_NOFOLLOW) the whole name, which refuses a
 * final symlink but follows one in the middle: "link/secret", link being
 * a symlink to a directory outside the root, read the secret.
 */
static void test_file_resolve_both_paths(void **state)
{
	(void)state;
	struct tree t;
	struct srv_handler_cfg h;
	struct srv_conn c;
	struct net_buf body = {0};
	char p[256];

	make_tree(&t, 1000);
	snprintf(p, sizeof(p), "%s/link", t.root);
	assert_int_equal(symlink(t.outside, p), 0);
	snprintf(p, sizeof(p), "%s/sub/up", t.root);
	assert_int_equal(symlink("..", p), 0);

	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH};
	long probe = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
	if (probe >= 0)
		close((int)probe);
	else
		print_message("openat2 unavailable here (%s): both passes take the fallback\n",
			      strerror(errno));

	for (int fallback = 0; fallback < 2; fallback++) {
		memset(&h, 0, sizeof(h));
		assert_int_equal(srv_handler_parse(&h, "file", err, sizeof(err)), 0);
		snprintf(h.root, sizeof(h.root), "%s", t.root);
		h.file_no_openat2 = fallback;
		struct srv *s = open_srv(NET_TCP, &h);
		const char *path = fallback ? "fallback" : "openat2";

		begin(&c, s);
		assert_int_equal(request(&c, "hello.txt\n", &body), 12);
		assert_int_equal(request(&c, "sub/inner\n", &body), 2);
		assert_int_equal(request(&c, "./sub//inner\n", &body), 2);
		assert_memory_equal(net_buf_head(&body), "in", 2);
		const char *refused[] = {
			"link/secret\n", "link/./secret\n", "link\n", "escape\n",
			"escape-rel\n", "../etc/passwd\n", "/etc/passwd\n",
			"sub/../../etc/passwd\n", "sub/up/hello.txt/\n", "sub/\n",
			"missing/x\n", "hello.txt/x\n",
		};
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
			uint64_t size = request(&c, refused[i], &body);
			if (size != UINT64_MAX)
				fail_msg("%s: '%.*s' answered size %llu: %.*s", path,
					 (int)strlen(refused[i]) - 1, refused[i],
					 (unsigned long long)size, (int)net_buf_pending(&body),
					 (const char *)net_buf_head(&body));
		}
		/* A link that stays inside: openat2 follows it; the fallback
		 * cannot tell where a link leads and refuses every one. */
		uint64_t alias = request(&c, "alias\n", &body);
		if (fallback)
			assert_true(alias == UINT64_MAX);
		else
			assert_int_equal(alias, 12);
		srv_conn_end(&c);
		srv_close(s);
	}
	snprintf(p, sizeof(p), "%s/link", t.root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sub/up", t.root);
	unlink(p);
	net_buf_free(&body);
	remove_tree(&t);
}

/* ---------------------------------------------------------------- datagrams */

static void test_dgram(void **state)
{
	(void)state;
	struct srv_conn c;
	struct net_addr peer;
	struct srv *s = open_spec(NET_UDP, "echo");
	assert_int_equal(net_addr_ip(&peer, "127.0.0.1", 40000, err, sizeof(err)), 0);

	/* An empty datagram is a request and is answered with an empty one. */
	begin(&c, s);
	assert_int_equal(srv_conn_data(&c, (const uint8_t *)"", 0), 0);
	assert_true(c.reply);
	assert_int_equal(net_buf_pending(&c.out), 0);
	assert_int_equal(ctr(s, REQUESTS), 1);
	srv_conn_end(&c);

	/* The same through the datagram driver. */
	assert_int_equal(srv_dgram_request(s, &c, (const uint8_t *)"", 0, &peer), 1);
	assert_true(c.reply);
	srv_conn_end(&c);
	assert_int_equal(srv_dgram_request(s, &c, (const uint8_t *)"dg", 2, &peer), 1);
	assert_int_equal(net_buf_pending(&c.out), 2);
	assert_memory_equal(net_buf_head(&c.out), "dg", 2);
	srv_conn_end(&c);
	srv_close(s);

	/* upper on an empty datagram: an empty reply too. */
	s = open_spec(NET_UDP, "upper");
	assert_int_equal(srv_dgram_request(s, &c, (const uint8_t *)"", 0, &peer), 1);
	assert_true(c.reply);
	assert_int_equal(net_buf_pending(&c.out), 0);
	srv_conn_end(&c);
	srv_close(s);

	/* discard: no reply at all. */
	s = open_spec(NET_UDP, "discard");
	assert_int_equal(srv_dgram_request(s, &c, (const uint8_t *)"x", 1, &peer), 0);
	srv_close(s);

	/* Stream-only handlers are refused on a datagram server. */
	struct srv_handler_cfg h;
	struct srv_config cfg;
	struct srv *bad = NULL;
	memset(&h, 0, sizeof(h));
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(srv_handler_parse(&h, "framed", err, sizeof(err)), 0);
	cfg.proto = NET_UDP;
	cfg.model = srv_model_find("iterative", SRV_DGRAM);
	cfg.handler = h;
	assert_int_equal(net_addr_ip(&cfg.addr, "127.0.0.1", 0, err, sizeof(err)), 0);
	assert_int_equal(srv_open(&bad, &cfg, err, sizeof(err)), -EINVAL);
	assert_null(bad);
	assert_non_null(strstr(err, "stream"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_echo_upper_discard),
		cmocka_unit_test(test_sleep_spin),
		cmocka_unit_test(test_framed),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_resolve_both_paths),
		cmocka_unit_test(test_dgram),
	};
	return tl_run_group(tests, NULL, NULL);
}
