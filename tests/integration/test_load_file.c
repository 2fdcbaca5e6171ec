/*
 * tests/integration/test_load_file.c — the load engine's file workload
 * (`socklab load --file`) against the real `socklab serve --handler file`:
 * files of several sizes (an empty one, one under a segment, one of many
 * reads) served and verified under the thread and epoll models, over TCP
 * and Unix streams, with exact byte counts; a client copy that differs from
 * the server's (same size, one byte changed; another size) counts
 * mismatches, and --verify none skips the checksum but not the size; a
 * name the server does not have counts `notfound`; and the command line
 * (refusals with exit 2, the JSON error kinds). Every run is bounded.
 */
#include "testlib/testlib.h"

#include "clients/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MS 1000000ull

/* name, size: the files of every root the tests make. */
static const struct { const char *name; size_t size; } files[] = {
	{"empty.bin", 0}, {"small.txt", 1000}, {"big.bin", 300001},
};
#define NFILES (sizeof(files) / sizeof(files[0]))
#define LIST "empty.bin,small.txt,big.bin"
#define SUM (0 + 1000 + 300001)

static char roots[4][128];
static unsigned nroots;

static void put_file(const char *dir, const char *name, size_t size, uint8_t seed)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	uint8_t buf[4096];
	for (size_t off = 0; off < size;) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)((off + i) * 131 + (off + i) / 977 + seed);
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		off += n;
	}
	assert_int_equal(close(fd), 0);
}

/* A fresh directory holding the standard files. */
static const char *make_root(void)
{
	char *dir = roots[nroots++];
	tl_tmp_path(dir, sizeof(roots[0]), ".files");
	assert_int_equal(mkdir(dir, 0755), 0);
	for (size_t i = 0; i < NFILES; i++)
		put_file(dir, files[i].name, files[i].size, 7);
	return dir;
}

static void flip_byte(const char *dir, const char *name, off_t at)
{
	char path[256];
	uint8_t b;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0x20;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	assert_int_equal(close(fd), 0);
}

static int teardown(void **state)
{
	tl_cleanup(state);
	for (unsigned r = 0; r < nroots; r++) {
		char path[256];
		for (size_t i = 0; i < NFILES; i++) {
			snprintf(path, sizeof(path), "%s/%s", roots[r], files[i].name);
			unlink(path);
		}
		snprintf(path, sizeof(path), "%s/%s", roots[r], "gone.bin");
		unlink(path);
		rmdir(roots[r]);
	}
	nroots = 0;
	return 0;
}

static void base(struct ld_config *cfg, const struct tl_server *s, enum net_proto p,
		 const char *list, const char *root)
{
	ld_config_init(cfg);
	cfg->proto = p;
	cfg->target = s->addr;
	cfg->clients = 4;
	cfg->threads = 2;
	cfg->duration_ns = 300 * MS;
	cfg->timeout_ns = 2000 * MS;
	snprintf(cfg->files, sizeof(cfg->files), "%s", list);
	snprintf(cfg->file_root, sizeof(cfg->file_root), "%s", root);
}

static void run(const struct ld_config *cfg, struct ld_result *r)
{
	char err[256];
	int rc = ld_run(cfg, r, err, sizeof(err));
	if (rc < 0)
		fail_msg("ld_run: %s", err);
}

static void assert_clean(const struct ld_result *r)
{
	if (r->errors || r->replies == 0 || r->replies != r->requests || r->incomplete)
		fail_msg("requests %llu replies %llu errors %llu (mismatch %llu notfound %llu) "
			 "incomplete %llu", (unsigned long long)r->requests,
			 (unsigned long long)r->replies, (unsigned long long)r->errors,
			 (unsigned long long)r->err[LD_ERR_MISMATCH],
			 (unsigned long long)r->err[LD_ERR_NOTFOUND],
			 (unsigned long long)r->incomplete);
	assert_int_equal(r->latency.total, r->replies);
}

static void test_served_and_verified(void **state)
{
	(void)state;
	const char *root = make_root();
	const char *models[] = {"thread", "epoll"};
	struct tl_server s;
	struct ld_config cfg;
	struct ld_result r;

	for (int m = 0; m < 2; m++) {
		tl_start(&s, "--model", models[m], "--handler", "file", "--root", root, NULL);
		/* One client, 30 requests: each file ten times, in order. */
		base(&cfg, &s, NET_TCP, LIST, root);
		cfg.clients = 1;
		cfg.threads = 1;
		cfg.requests = 30;
		cfg.duration_ns = 0;
		run(&cfg, &r);
		assert_clean(&r);
		assert_int_equal(r.requests, 30);
		assert_int_equal(r.bytes_received, 10ull * SUM);
		assert_int_equal(r.bytes_sent, 10ull * (strlen(LIST) - 2 + 3));
		/* Many clients for a while, persistent and connect-per-request,
		 * names given twice (the list is cycled, not deduplicated). */
		base(&cfg, &s, NET_TCP, LIST ",small.txt", root);
		cfg.nodelay = true;
		run(&cfg, &r);
		assert_clean(&r);
		assert_true(r.requests >= 8);
		base(&cfg, &s, NET_TCP, "big.bin", root);
		cfg.connect_per_request = true;
		cfg.requests = 20;
		cfg.duration_ns = 0;
		run(&cfg, &r);
		assert_clean(&r);
		assert_int_equal(r.bytes_received, 20ull * 300001);
		assert_true(r.connects >= 20);
		tl_stop(&s);
		assert_int_equal(tl_stat(&s, "notfound"), 0);
	}

	/* Unix stream; open loop. */
	char path[128];
	tl_tmp_path(path, sizeof(path), ".sock");
	tl_start(&s, "--proto", "unix-stream", "--path", path, "--model", "epoll",
		 "--handler", "file", "--root", root, NULL);
	base(&cfg, &s, NET_UNIX_STREAM, LIST, root);
	cfg.rate = 300;
	run(&cfg, &r);
	assert_clean(&r);
	assert_in_range(r.requests, 80, 100);
	tl_stop(&s);
	unlink(path);
}

static void test_corrupt_copy(void **state)
{
	(void)state;
	const char *srv_root = make_root(), *cli_root = make_root();
	struct tl_server s;
	struct ld_config cfg;
	struct ld_result r;

	/* The client's big.bin differs in one byte near the end, its small.txt
	 * in length. */
	flip_byte(cli_root, "big.bin", 299999);
	put_file(cli_root, "small.txt", 999, 7);
	tl_start(&s, "--model", "epoll", "--handler", "file", "--root", srv_root, NULL);

	base(&cfg, &s, NET_TCP, "big.bin", cli_root);
	cfg.duration_ns = 200 * MS;
	run(&cfg, &r);
	assert_true(r.err[LD_ERR_MISMATCH] >= 4);
	assert_int_equal(r.replies, 0);
	assert_int_equal(r.err[LD_ERR_NOTFOUND], 0);
	/* The whole body was read before the checksum could differ. */
	assert_true(r.bytes_received >= 4 * 300001ull);

	base(&cfg, &s, NET_TCP, "small.txt", cli_root);
	cfg.duration_ns = 200 * MS;
	run(&cfg, &r);
	assert_true(r.err[LD_ERR_MISMATCH] >= 4);
	assert_int_equal(r.replies, 0);
	assert_int_equal(r.bytes_received, 0);   /* refused at the size */

	/* Mixed: the good names still verify, the bad ones count. */
	base(&cfg, &s, NET_TCP, LIST, cli_root);
	cfg.clients = 1;
	cfg.threads = 1;
	cfg.requests = 9;
	cfg.duration_ns = 0;
	run(&cfg, &r);
	assert_int_equal(r.requests, 9);
	assert_int_equal(r.replies, 3);             /* empty.bin */
	assert_int_equal(r.err[LD_ERR_MISMATCH], 6);

	/* --verify none: sizes are still checked, checksums are not. */
	base(&cfg, &s, NET_TCP, "big.bin", cli_root);
	cfg.verify = PL_VERIFY_NONE;
	run(&cfg, &r);
	assert_clean(&r);
	base(&cfg, &s, NET_TCP, "small.txt", cli_root);
	cfg.verify = PL_VERIFY_NONE;
	cfg.duration_ns = 100 * MS;
	run(&cfg, &r);
	assert_true(r.err[LD_ERR_MISMATCH] > 0);
	assert_int_equal(r.replies, 0);
	tl_stop(&s);
}

static void test_not_found(void **state)
{
	(void)state;
	const char *srv_root = make_root(), *cli_root = make_root();
	struct tl_server s;
	struct ld_config cfg;
	struct ld_result r;

	/* The client has gone.bin, the server does not. */
	put_file(cli_root, "gone.bin", 10, 1);
	tl_start(&s, "--handler", "file", "--root", srv_root, NULL);
	base(&cfg, &s, NET_TCP, "small.txt,gone.bin", cli_root);
	cfg.clients = 1;
	cfg.threads = 1;
	cfg.requests = 10;
	cfg.duration_ns = 0;
	run(&cfg, &r);
	assert_int_equal(r.requests, 10);
	assert_int_equal(r.replies, 5);
	assert_int_equal(r.err[LD_ERR_NOTFOUND], 5);
	assert_int_equal(r.err[LD_ERR_MISMATCH], 0);
	assert_int_equal(r.errors, 5);
	assert_int_equal(r.bytes_received, 5 * 1000);
	assert_string_equal(ld_err_name(LD_ERR_NOTFOUND), "notfound");
	tl_stop(&s);
	assert_int_equal(tl_stat(&s, "notfound"), 5);

	/* A name missing from the client's root refuses the run. */
	char err[256];
	base(&cfg, &s, NET_TCP, "small.txt,nosuch.bin", cli_root);
	assert_int_equal(ld_run(&cfg, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--file: nosuch.bin"));
}

static void test_cli(void **state)
{
	(void)state;
	const char *root = make_root();
	struct tl_server s;
	char out[8192];

	tl_start(&s, "--handler", "file", "--root", root, NULL);
	/* Repeated --file and a comma list add up. */
	const char *a1[] = {"--target", s.addr_str, "--file", "empty.bin,small.txt",
			    "--file", "big.bin", "--file-root", root, "--requests", "6",
			    "--json", NULL};
	assert_int_equal(tl_run_verb("load", out, sizeof(out), a1), 0);
	assert_non_null(strstr(out, "\"replies\":6,"));
	assert_non_null(strstr(out, "\"errors\":0,"));
	assert_non_null(strstr(out, "\"notfound\":0"));
	char want[64];
	snprintf(want, sizeof(want), "\"bytes_received\":%d,", 2 * SUM);
	assert_non_null(strstr(out, want));
	const char *a2[] = {"--target", s.addr_str, "--file", "small.txt", "--file-root", root,
			    "--requests", "3", NULL};
	assert_int_equal(tl_run_verb("load", out, sizeof(out), a2), 0);
	assert_non_null(strstr(out, "checked by size and CRC-32C"));
	tl_stop(&s);

	const char *bad[][12] = {
		{"--target", "127.0.0.1:9", "--proto", "udp", "--file", "small.txt", NULL},
		{"--target", "127.0.0.1:9", "--file", "small.txt", "--framing", "length", NULL},
		{"--target", "127.0.0.1:9", "--file", "small.txt", "--pattern", "split:2", NULL},
		{"--target", "127.0.0.1:9", "--file", "small.txt", "--verify", "upper", NULL},
		{"--target", "127.0.0.1:9", "--file", "a,,b", NULL},
		{"--target", "127.0.0.1:9", "--file", "", NULL},
		{"--target", "127.0.0.1:9", "--file-root", "/tmp", NULL},
		{"--target", "127.0.0.1:9", "--file", "nosuch.bin", "--file-root", root, NULL},
		{"--target", "127.0.0.1:9", "--file", "small.txt", "--file-root", "/nonexistent",
		 NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tl_run_verb("load", out, sizeof(out), bad[i]) != 2)
			fail_msg("case %zu: not exit 2", i);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_served_and_verified, teardown),
		cmocka_unit_test_teardown(test_corrupt_copy, teardown),
		cmocka_unit_test_teardown(test_not_found, teardown),
		cmocka_unit_test_teardown(test_cli, teardown),
	};
	return tl_run_group(tests, NULL, NULL);
}
