/*
 * tests/integration/test_sticky.c — the sticky-packet alignment end to end.
 *
 *  - Every stream model writes the server app log (`socklab serve
 *    --app-log`, servers/applog.h), forked children included: with
 *    --recv-size 4 and --read-delay 30ms, one 12-byte send comes back as
 *    recvs of at most 4 bytes at offsets 0, 4, 8, the first one beginning
 *    30 ms or more after the accept, sends adding up to 12, a close, and
 *    queue samples during the delay showing the 12 bytes waiting in the
 *    receive queue (SIOCINQ). Two connections get two distinct ids. No
 *    root needed.
 *  - As root (skipped otherwise): `socklab run scenarios/sticky.yaml`
 *    stores flow_align rows from which, for the client->server direction:
 *    with Nagle on, fewer segments than sends, with merges labelled nagle;
 *    with TCP_NODELAY, one segment per send except pairs held by a full
 *    congestion window (labelled cwnd, never nagle); with the late reader,
 *    one recv returning several messages (sticky_msgs > 0, a merged recv
 *    labelled late_reader) and sock_samples showing bytes waiting in the
 *    receive queue while it slept.
 */
#include "testlib/testlib.h"

#include "servers/applog.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void repo_path(char *buf, size_t len, const char *rel)
{
	const char *me = __FILE__, *cut = strstr(me, "tests/integration/");
	assert_non_null(cut);
	snprintf(buf, len, "%.*s%s", (int)(cut - me), me, rel);
}

/* One model: two connections, each one 12-byte send echoed back. */
static void check_model(const char *model)
{
	char logp[128];
	tl_tmp_path(logp, sizeof(logp), ".applog");
	struct tl_server s;
	tl_start(&s, "--model", model, "--handler", "echo", "--app-log", logp,
		 "--recv-size", "4", "--read-delay", "30ms", "--sample-queues", "5ms", NULL);
	for (int k = 0; k < 2; k++) {
		int fd = tl_connect(&s);
		tl_send_all(fd, "hello world!", 12);
		char buf[12];
		assert_int_equal(tl_recv_n(fd, buf, 12), 12);
		assert_memory_equal(buf, "hello world!", 12);
		assert_int_equal(tl_finish(fd, NULL), 1);
		close(fd);
	}
	tl_stop(&s);

	struct srv_al_rec *r = NULL;
	size_t n = 0;
	assert_int_equal(srv_applog_read(logp, &r, &n), 0);
	uint32_t ids[2] = {0, 0};
	for (int k = 0; k < 2; k++) {
		/* The k-th connection's records, in the order written. */
		uint64_t t_accept = 0, in = 0, out = 0, first_call = 0;
		unsigned recvs = 0, closes = 0, samples = 0, waiting = 0;
		uint32_t id = 0;
		for (size_t i = 0; i < n; i++) {
			if (r[i].kind == SRV_AL_ACCEPT && id == 0 && r[i].conn != ids[0]) {
				id = r[i].conn;
				t_accept = r[i].t_ns;
			}
			if (id == 0 || r[i].conn != id)
				continue;
			switch (r[i].kind) {
			case SRV_AL_RECV:
				assert_int_equal(r[i].offset, in);
				assert_true(r[i].len >= 1 && r[i].len <= 4);
				assert_true(r[i].t_call_ns <= r[i].t_ns);
				if (recvs++ == 0)
					first_call = r[i].t_call_ns;
				in += r[i].len;
				break;
			case SRV_AL_SEND:
				assert_int_equal(r[i].offset, out);
				out += r[i].len;
				break;
			case SRV_AL_CLOSE:
				closes++;
				break;
			case SRV_AL_SAMPLE:
				samples++;
				waiting += r[i].rx_queue == 12;
				break;
			}
			assert_true(r[i].lport == net_addr_port(&s.addr));
			assert_true(r[i].rport != 0);
		}
		print_message("%s conn %u: %u recvs, %llu in, %llu out, first recv %.1f ms after "
			      "accept, %u samples (%u with 12 bytes queued)\n", model, id, recvs,
			      (unsigned long long)in, (unsigned long long)out,
			      (double)(first_call - t_accept) / 1e6, samples, waiting);
		assert_true(id != 0);
		ids[k] = id;
		assert_int_equal(in, 12);
		assert_int_equal(out, 12);
		assert_true(recvs >= 3);
		assert_int_equal(closes, 1);
		assert_true(first_call >= t_accept + 30000000u);
		assert_true(samples >= 4);
		assert_true(waiting >= 1);
	}
	assert_int_not_equal(ids[0], ids[1]);
	free(r);
	(void)unlink(logp);
}

static void test_applog_every_model(void **state)
{
	(void)state;
	static const char *const models[] = {"iterative", "thread", "fork", "prefork", "pool",
					     "epoll"};
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		check_model(models[i]);
}

static void test_serve_flags_refused(void **state)
{
	(void)state;
	char out[256];
	const char *a1[] = {"--sample-queues", "5ms", NULL};
	assert_int_equal(tl_run_verb("serve", out, sizeof(out), a1), 2);
	const char *a2[] = {"--recv-size", "0", NULL};
	assert_int_equal(tl_run_verb("serve", out, sizeof(out), a2), 2);
	const char *a3[] = {"--read-delay", "soon", NULL};
	assert_int_equal(tl_run_verb("serve", out, sizeof(out), a3), 2);
	const char *a4[] = {"--app-log", "/nonexistent-dir/x.log", NULL};
	assert_int_equal(tl_run_verb("serve", out, sizeof(out), a4), 2);
}

/* ---------------------------------------------------------------- the scenario */

static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

/* One value of the c2s row of case (nodelay, late), from flow_summary. */
static int64_t c2s(sqlite3 *db, int nodelay, bool late, const char *col)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT sum(%s) FROM flow_summary WHERE dir = 'c2s' AND nodelay = %d"
		 " AND json_extract(params, '$.\"server.read_delay\"') %s '0s'",
		 col, nodelay, late ? "<>" : "=");
	return q_int(db, sql);
}

static void test_run_sticky(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: live capture needs root (euid %d)\n", (int)geteuid());
		skip();
	}
	char yaml[4096], dbp[128];
	repo_path(yaml, sizeof(yaml), "scenarios/sticky.yaml");
	tl_tmp_path(dbp, sizeof(dbp), ".db");
	char out[16384];
	const char *args[] = {yaml, "--db", dbp, NULL};
	int rc = tl_run_verb("run", out, sizeof(out), args);
	fputs(out, stdout);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "c2s: 200 sends -> "));

	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM cases WHERE status = 'ok'"
			       " AND capture_status = 'ok'"), 4);
	assert_int_equal(q_int(db, "SELECT sum(value) FROM metrics WHERE name = 'capture.dropped'"),
			 0);
	/* Every case: one flow, both directions aligned, every byte mapped. */
	assert_int_equal(q_int(db, "SELECT count(*) FROM flow_summary"), 8);
	assert_int_equal(q_int(db, "SELECT sum(unmapped_bytes) FROM flow_summary"), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM flow_summary WHERE dir = 'c2s'"
			       " AND (sends <> 200 OR bytes <> 1200)"), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM app_events WHERE flow_id IS NULL"
			       " AND kind IN ('send', 'recv')"), 0);

	for (int late = 0; late < 2; late++) {
		/* Nagle: fewer segments than sends, the merges labelled nagle
		 * (segments here never count retransmissions). */
		int64_t segs = c2s(db, 0, late, "segments");
		assert_true(segs > 0 && segs < 200);
		assert_true(c2s(db, 0, late, "coalesced_segments") > 0);
		assert_true(c2s(db, 0, late, "cause_nagle") > 0);
		assert_int_equal(c2s(db, 0, late, "cause_cwnd"), 0);
		/* TCP_NODELAY: each send its own segment, except sends held
		 * behind a full congestion window; never labelled nagle. */
		int64_t nd_segs = c2s(db, 1, late, "segments");
		int64_t nd_coal = c2s(db, 1, late, "coalesced_segments");
		int64_t nd_cwnd = c2s(db, 1, late, "cause_cwnd");
		print_message("late %d: Nagle 200 sends -> %lld segments; TCP_NODELAY -> %lld "
			      "segments, %lld coalesced (cwnd causes %lld)\n", late, (long long)segs,
			      (long long)nd_segs, (long long)nd_coal, (long long)nd_cwnd);
		assert_int_equal(c2s(db, 1, late, "cause_nagle"), 0);
		assert_int_equal(c2s(db, 1, late, "cause_unknown"), 0);
		assert_true(nd_segs <= 200 && nd_segs > segs);
		/* Seen here in every merged case: all of them cwnd (released
		 * by an ACK with segments in flight); cork would mean the
		 * sender's own queue (autocork/TSQ), which lo does not show. */
		if (nd_segs == 200)
			assert_int_equal(nd_coal, 0);
		else
			assert_true(nd_coal > 0 && nd_cwnd > 0);
	}
	/* The late reader: one recv returned the whole first burst. */
	for (int nd = 0; nd < 2; nd++) {
		assert_true(c2s(db, nd, true, "sticky_msgs") > 0);
		assert_true(c2s(db, nd, true, "cause_late_reader") > 0);
	}
	assert_true(q_int(db, "SELECT max(e.len) FROM app_events e JOIN flows f ON f.id = e.flow_id"
			  " JOIN cases c ON c.id = f.case_id WHERE e.side = 'server'"
			  " AND e.kind = 'recv' AND e.stream_offset = 0"
			  " AND json_extract(c.params, '$.\"server.read_delay\"') = '50ms'") >= 60);
	/* ... and its receive queue filled while it slept. */
	assert_true(q_int(db, "SELECT max(s.rx_queue) FROM sock_samples s JOIN cases c"
			  " ON c.id = s.case_id"
			  " WHERE json_extract(c.params, '$.\"server.read_delay\"') = '50ms'") >= 60);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	static const char *const sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s%s", dbp, sfx[i]);
		(void)unlink(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_applog_every_model, tl_cleanup),
		cmocka_unit_test(test_serve_flags_refused),
		cmocka_unit_test(test_run_sticky),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
