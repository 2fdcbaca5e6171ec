/*
 * tests/integration/test_serve_file.c — the `file` handler hardened (issue
 * 17), against the real binary on 127.0.0.1 port 0, for every stream model:
 *
 *   - a FIFO under --root is refused at once with the not-found size, and
 *     the server keeps serving and stops on SIGTERM (an open that blocked
 *     on it used to hang the server and, for thread/pool/epoll, its
 *     shutdown).
 */
#include "testlib/testlib.h"

#include "servers/model.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOR_STREAM_MODELS(m) \
	for (const struct srv_model_ops *const *m = srv_models; *m; m++) \
		if ((*m)->kind == SRV_STREAM)

#define BIG_SIZE (64ull << 20)   /* sparse: no disk, no page cache to speak of */

static char root[128];

static void path_in_root(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", root, name);
}

static int root_up(void **state)
{
	(void)state;
	char p[256];
	tl_tmp_path(root, sizeof(root), ".root");
	if (mkdir(root, 0700) < 0)
		return -1;
	path_in_root(p, sizeof(p), "small");
	tl_write_file(p, "small file\n");
	path_in_root(p, sizeof(p), "big");
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc = ftruncate(fd, (off_t)BIG_SIZE);
	close(fd);
	if (rc < 0)
		return -1;
	path_in_root(p, sizeof(p), "pipe");
	return mkfifo(p, 0600);
}

static int root_down(void **state)
{
	char p[256];
	tl_cleanup(state);
	if (!root[0])
		return 0;
	static const char *const names[] = {"small", "big", "pipe"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in_root(p, sizeof(p), names[i]);
		unlink(p);
	}
	rmdir(root);
	root[0] = '\0';
	return 0;
}

static uint64_t be64(const uint8_t *h)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

/* "small" on connection fd: its size, then its bytes. */
static void fetch_small(int fd, const char *model)
{
	uint8_t h[8];
	char body[11];
	tl_send_all(fd, "small\n", 6);
	if (tl_recv_n(fd, h, 8) != 8)
		fail_msg("%s: no answer for 'small'", model);
	assert_int_equal(be64(h), 11);
	assert_int_equal(tl_recv_n(fd, body, 11), 11);
	assert_memory_equal(body, "small file\n", 11);
}

/* ---------------------------------------------------------------- FIFO */

static void test_fifo_refused(void **state)
{
	(void)state;
	FOR_STREAM_MODELS(m) {
		struct tl_server s;
		uint8_t h[8];
		tl_start(&s, "--model", (*m)->name, "--handler", "file", "--root", root, NULL);

		int fd = tl_connect(&s);
		double t0 = tl_ms();
		tl_send_all(fd, "pipe\n", 5);
		size_t got = tl_recv_n(fd, h, 8);   /* 2 s receive timeout */
		double took = tl_ms() - t0;
		if (got != 8)
			fail_msg("%s: no answer for a FIFO in %.0f ms (the open blocked?)",
				 (*m)->name, took);
		assert_int_equal(be64(h), UINT64_MAX);
		if (took > tl_bound_ms(1000))
			fail_msg("%s: FIFO refused only after %.0f ms", (*m)->name, took);
		/* The same connection and then a new one are still served
		 * (one after the other: iterative serves one at a time). */
		fetch_small(fd, (*m)->name);
		close(fd);
		fd = tl_connect(&s);
		fetch_small(fd, (*m)->name);
		close(fd);

		t0 = tl_ms();
		tl_stop(&s);   /* asserts exit status 0, bounded */
		took = tl_ms() - t0;
		if (took > tl_bound_ms(2000))
			fail_msg("%s: took %.0f ms to stop", (*m)->name, took);
		assert_int_equal(tl_stat(&s, "notfound"), 1);
		assert_int_equal(tl_stat(&s, "active"), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_fifo_refused, tl_cleanup),
	};
	return tl_run_group(tests, root_up, root_down);
}
