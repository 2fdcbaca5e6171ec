/*
 * tests/unit/test_applog.c — the server app log's reader (net/applog.h)
 * on damaged files: a record torn in the middle of the file (a failed
 * append), a truncated tail, garbage only, an empty file, and a real file
 * written through srv_al_* on a socketpair then cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/applog.h"

#define R sizeof(struct srv_al_rec)

static struct srv_al_rec mk(uint8_t kind, uint32_t conn, uint64_t off, uint32_t len)
{
	struct srv_al_rec r;
	memset(&r, 0, sizeof(r));
	r.magic = SRV_AL_MAGIC;
	r.kind = kind;
	r.conn = conn;
	r.offset = off;
	r.len = len;
	srv_al_rec_seal(&r);
	return r;
}

static void test_torn_and_truncated(void **state)
{
	(void)state;
	struct srv_al_rec v[4] = {mk(SRV_AL_ACCEPT, 1, 0, 0), mk(SRV_AL_RECV, 1, 0, 6),
				  mk(SRV_AL_RECV, 1, 6, 6), mk(SRV_AL_CLOSE, 1, 12, 0)};
	/* rec0, the first 40 bytes of rec1 (a torn append), rec2, rec3, and
	 * 10 bytes of a fifth record. */
	unsigned char buf[5 * R];
	size_t n = 0;
	memcpy(buf + n, &v[0], R), n += R;
	memcpy(buf + n, &v[1], 40), n += 40;
	memcpy(buf + n, &v[2], R), n += R;
	memcpy(buf + n, &v[3], R), n += R;
	memcpy(buf + n, &v[1], 10), n += 10;
	struct srv_al_rec *r = NULL;
	size_t cnt = 0, skipped = 0;
	assert_int_equal(srv_applog_parse(buf, n, &r, &cnt, &skipped), 0);
	/* The torn record's header is intact: only its check tells it from a
	 * record (it would take rec2's first 24 bytes as its own). */
	assert_int_equal(cnt, 3);
	assert_int_equal(skipped, 50);
	assert_int_equal(cnt * R + skipped, n);
	assert_int_equal(r[0].kind, SRV_AL_ACCEPT);
	assert_int_equal(r[1].kind, SRV_AL_RECV);
	assert_int_equal(r[1].offset, 6);
	assert_int_equal(r[2].kind, SRV_AL_CLOSE);
	free(r);

	/* A wrong kind, or any byte changed, is not a record. */
	v[1].kind = 9;
	srv_al_rec_seal(&v[1]);
	v[2].len ^= 0x100;
	assert_int_equal(srv_applog_parse(v, sizeof(v), &r, &cnt, &skipped), 0);
	assert_int_equal(cnt, 2);
	assert_int_equal(skipped, 2 * R);
	free(r);
}

static void test_not_a_log(void **state)
{
	(void)state;
	struct srv_al_rec *r = (void *)1;
	size_t cnt = 7, skipped = 7;
	char junk[300];
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(srv_applog_parse(junk, sizeof(junk), &r, &cnt, &skipped), -EPROTO);
	assert_null(r);
	assert_int_equal(cnt, 0);
	/* Empty: a server that logged nothing. */
	assert_int_equal(srv_applog_parse(junk, 0, &r, &cnt, NULL), 0);
	assert_int_equal(cnt, 0);
	free(r);
}

/* A file written by the real writer, then truncated mid-record. */
static void test_file_cut(void **state)
{
	(void)state;
	char path[] = "/tmp/socklab-test-applog-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct srv_applog *log = NULL;
	char err[128];
	assert_int_equal(srv_applog_open(&log, path, 0, err, sizeof(err)), 0);
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	struct srv_alconn a;
	srv_al_begin(&a, log, sp[0], NULL);
	srv_al_recv(&a, 1, 5);
	srv_al_send(&a, 2, 5);
	srv_al_recv(&a, 3, 0);   /* nothing moved: not logged */
	srv_al_end(&a);
	assert_int_equal(srv_applog_dropped(log), 0);
	srv_applog_close(log);
	close(sp[0]);
	close(sp[1]);
	struct srv_al_rec *r = NULL;
	size_t cnt = 0, skipped = 1;
	assert_int_equal(srv_applog_read(path, &r, &cnt, &skipped), 0);
	assert_int_equal(cnt, 4);
	assert_int_equal(skipped, 0);
	assert_int_equal(r[1].kind, SRV_AL_RECV);
	assert_int_equal(r[1].t_call_ns, 1);
	assert_true(r[1].t_ns >= r[1].t_call_ns);
	assert_int_equal(r[2].kind, SRV_AL_SEND);
	assert_int_equal(r[2].offset, 0);
	assert_int_equal(r[3].kind, SRV_AL_CLOSE);
	free(r);
	assert_int_equal(truncate(path, 3 * R + 17), 0);
	assert_int_equal(srv_applog_read(path, &r, &cnt, &skipped), 0);
	assert_int_equal(cnt, 3);
	assert_int_equal(skipped, 17);
	free(r);
	assert_int_equal(srv_applog_read("/nonexistent/socklab.applog", &r, &cnt, NULL), -ENOENT);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torn_and_truncated),
		cmocka_unit_test(test_not_a_log),
		cmocka_unit_test(test_file_cut),
	};
	return tl_run_group(tests, NULL, NULL);
}
