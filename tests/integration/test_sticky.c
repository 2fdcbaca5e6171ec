/*
 * tests/integration/test_sticky.c — the sticky-packet alignment end to end.
 *
 *  - Every stream model writes the server app log (`socklab serve
 *    --app-log`, net/applog.h), forked children included: with
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
 *    labelled late_reader, its first segment queued 40 ms or more before
 *    the recv) and sock_samples showing bytes waiting in the receive queue
 *    while it slept; with TCP_NODELAY and the reader on time, merged recvs
 *    are labelled back_to_back (at most a few late_reader: a reader not
 *    scheduled for over 1 ms on this busy 2-CPU machine).
 *  - As root: split:3 (one message in three sends), fixed and varying
 *    sizes, recv(16) so every 30-byte message comes back in pieces: the
 *    runner passes message bounds, so flow_align counts 20 messages, not
 *    60 sends, and its sticky and half counts equal the ones this test
 *    computes itself from the stored client sends and server recvs. A
 *    warmup's connections (logged by the server, not captured) stay out.
 *  - As root: the same behind a relay writing 1-16 byte pieces: the
 *    summary keeps the client's and the server's legs apart, and the
 *    server's leg counts the 200 messages (half and sticky as computed
 *    here from its recvs).
 */
#include "testlib/testlib.h"

#include "net/applog.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
	size_t skipped = 1;
	assert_int_equal(srv_applog_read(logp, &r, &n, &skipped), 0);
	assert_int_equal(skipped, 0);
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
	/* Datagram servers keep no app log and have no read delay: refused,
	 * not silently ignored. */
	const char *a5[] = {"--proto", "udp", "--app-log", "/tmp/x.log", NULL};
	assert_int_equal(tl_run_verb("serve", out, sizeof(out), a5), 2);
	const char *a6[] = {"--proto", "udp", "--read-delay", "5ms", NULL};
	assert_int_equal(tl_run_verb("serve", out, sizeof(out), a6), 2);
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
		tl_skip();
	}
	char yaml[4096], dbp[128];
	tl_repo_path(yaml, sizeof(yaml), "scenarios/sticky.yaml");
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
	/* Client sends log when their call began: every one, never after it
	 * returned, and the segment carrying a send's first byte is captured
	 * during or after its call (on lo the transmit runs inside send()),
	 * never before it began; often before it returned, which is why the
	 * timeline draws sends at the call's start. */
	assert_int_equal(q_int(db, "SELECT count(*) FROM app_events WHERE side = 'client'"
			       " AND kind = 'send' AND (t_call_ns IS NULL OR t_call_ns > t_ns)"), 0);
	static const char seg_of_send[] =
		"WITH s AS (SELECT flow_id, t_call_ns, t_ns, stream_offset AS off FROM app_events"
		"  WHERE side = 'client' AND kind = 'send' AND flow_id IS NOT NULL),"
		" g AS (SELECT g0.flow_id, g0.t_ns, g0.rel_seq - (SELECT min(x.rel_seq) FROM segments x"
		"  WHERE x.flow_id = g0.flow_id AND x.dir = 'c2s' AND x.len > 0) AS lo, g0.len"
		"  FROM segments g0 WHERE g0.dir = 'c2s' AND g0.len > 0 AND g0.retrans = 0),"
		" m AS (SELECT s.*, (SELECT min(g.t_ns) FROM g WHERE g.flow_id = s.flow_id"
		"  AND s.off >= g.lo AND s.off < g.lo + g.len) AS seg_t FROM s)"
		" SELECT %s FROM m WHERE seg_t IS NOT NULL";
	char sq[1024];
	snprintf(sq, sizeof(sq), seg_of_send, "count(*)");
	int64_t nsend = q_int(db, sq);
	snprintf(sq, sizeof(sq), seg_of_send, "coalesce(sum(seg_t < t_call_ns), 0)");
	int64_t before_call = q_int(db, sq);
	snprintf(sq, sizeof(sq), seg_of_send, "coalesce(sum(seg_t < t_ns), 0)");
	int64_t before_ret = q_int(db, sq);
	print_message("client sends: %lld with a captured first byte, %lld of them captured "
		      "before send() returned, %lld before it began\n", (long long)nsend,
		      (long long)before_ret, (long long)before_call);
	assert_int_equal(nsend, 800);
	assert_int_equal(before_call, 0);

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
	/* The late reader: one recv returned the whole first burst, whose
	 * first segment had waited about the 50 ms delay. */
	for (int nd = 0; nd < 2; nd++) {
		assert_true(c2s(db, nd, true, "sticky_msgs") > 0);
		assert_true(c2s(db, nd, true, "cause_late_reader") > 0);
		assert_true(c2s(db, nd, true, "recv_wait_max_ns") >= 40000000);
	}
	/* TCP_NODELAY, reader on time: merged recvs are mostly segments that
	 * arrived back to back (waits of 10-700 us measured); late_reader only
	 * for a reader that was not scheduled for over 1 ms. */
	int64_t ot_merged = c2s(db, 1, false, "merged_recvs");
	int64_t ot_b2b = c2s(db, 1, false, "cause_back_to_back");
	int64_t ot_late = c2s(db, 1, false, "cause_late_reader");
	print_message("TCP_NODELAY, reader on time: %lld merged recvs, back_to_back %lld, "
		      "late_reader %lld, longest wait %.3f ms\n", (long long)ot_merged,
		      (long long)ot_b2b, (long long)ot_late,
		      (double)c2s(db, 1, false, "recv_wait_max_ns") / 1e6);
	if (ot_merged > 0)
		assert_true(ot_b2b > ot_late);
	/* Every cause counted adds up: each merged recv has exactly one. */
	assert_int_equal(q_int(db, "SELECT count(*) FROM flow_summary WHERE cause_late_reader"
			       " + cause_back_to_back > merged_recvs"), 0);
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

/* ---------------------------------------------------------------- split:K */

struct span {
	int64_t off, len;
};

static size_t q_spans(sqlite3 *db, const char *sql, struct span *v, size_t max)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	size_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW && n < max) {
		v[n].off = sqlite3_column_int64(st, 0);
		v[n].len = sqlite3_column_int64(st, 1);
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

static bool overlaps(const struct span *a, const struct span *b)
{
	return a->off < b->off + b->len && b->off < a->off + a->len;
}

static void test_run_split(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: live capture needs root (euid %d)\n", (int)geteuid());
		tl_skip();
	}
	char yaml[128], dbp[128];
	tl_tmp_path(yaml, sizeof(yaml), ".yaml");
	tl_tmp_path(dbp, sizeof(dbp), ".db");
	FILE *f = fopen(yaml, "w");
	assert_non_null(f);
	fputs("name: split\n"
	      "warmup: 100ms\n"
	      "server: {proto: tcp, model: epoll, handler: echo, recv_size: 16}\n"
	      "clients:\n"
	      "  count: 1\n"
	      "  pattern: split:3\n"
	      "  size: ['30', 'uniform:20-40']\n"
	      "  nodelay: true\n"
	      "  requests: 20\n"
	      "capture: {enabled: true, snaplen: 128}\n", f);
	assert_int_equal(fclose(f), 0);
	char out[16384];
	const char *args[] = {yaml, "--db", dbp, NULL};
	int rc = tl_run_verb("run", out, sizeof(out), args);
	fputs(out, stdout);
	assert_int_equal(rc, 0);

	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM cases WHERE capture_status = 'ok'"), 2);
	/* The warmup's connections are in the server's log but not in the
	 * capture: their events take no flow, and the summary does not call
	 * them unmatched. */
	assert_true(q_int(db, "SELECT count(*) FROM app_events WHERE side = 'server' AND"
			  " flow_id IS NULL AND kind = 'recv'") > 0);
	assert_null(strstr(out, "on no captured flow"));
	for (int ci = 0; ci < 2; ci++) {
		char sql[512];
		int64_t fid;
		snprintf(sql, sizeof(sql), "SELECT flow_id FROM flow_summary WHERE case_index = %d"
			 " AND dir = 'c2s'", ci);
		fid = q_int(db, sql);
		assert_true(fid > 0);
#define COL(c) (snprintf(sql, sizeof(sql), "SELECT " c " FROM flow_summary WHERE flow_id = %lld" \
			 " AND dir = 'c2s'", (long long)fid), q_int(db, sql))
		assert_int_equal(COL("sends"), 60);
		assert_int_equal(COL("msgs"), 20);
		assert_int_equal(COL("unmapped_bytes"), 0);
		/* The truth from the stored app events: three sends a message. */
		struct span snd[64], rcv[256], msg[20];
		snprintf(sql, sizeof(sql), "SELECT stream_offset, len FROM app_events WHERE flow_id ="
			 " %lld AND side = 'client' AND kind = 'send' ORDER BY stream_offset",
			 (long long)fid);
		assert_int_equal(q_spans(db, sql, snd, 64), 60);
		snprintf(sql, sizeof(sql), "SELECT stream_offset, len FROM app_events WHERE flow_id ="
			 " %lld AND side = 'server' AND kind = 'recv' ORDER BY stream_offset",
			 (long long)fid);
		size_t nr = q_spans(db, sql, rcv, 256);
		assert_true(nr > 20 && nr < 256);
		for (int m = 0; m < 20; m++)
			msg[m] = (struct span){snd[3 * m].off,
					       snd[3 * m + 2].off + snd[3 * m + 2].len - snd[3 * m].off};
		int64_t sticky = 0, half = 0, max_len = 0;
		for (int m = 0; m < 20; m++) {
			int nrecv = 0;
			bool st = false;
			for (size_t r = 0; r < nr; r++) {
				if (!overlaps(&msg[m], &rcv[r]))
					continue;
				nrecv++;
				for (int o = 0; o < 20; o++)
					st |= o != m && overlaps(&msg[o], &rcv[r]);
			}
			sticky += st;
			half += nrecv > 1;
			if (msg[m].len > max_len)
				max_len = msg[m].len;
		}
		print_message("case %d: 60 sends, 20 messages up to %lld bytes, %zu recvs: "
			      "sticky %lld, half %lld (flow_align %lld, %lld, bounds by %s)\n", ci,
			      (long long)max_len, nr, (long long)sticky, (long long)half,
			      (long long)COL("sticky_msgs"), (long long)COL("half_msgs"),
			      ci == 0 ? "size" : "split");
		/* recv(16) cannot return a message of 20 bytes or more whole. */
		assert_int_equal(half, 20);
		assert_int_equal(COL("half_msgs"), half);
		assert_int_equal(COL("sticky_msgs"), sticky);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM flow_summary WHERE flow_id = %lld"
			 " AND msg_bounds = '%s'", (long long)fid, ci == 0 ? "size" : "split");
		assert_int_equal(q_int(db, sql), 2);   /* both directions (echo) */
		/* s2c: the replies have the requests' bounds. */
		snprintf(sql, sizeof(sql), "SELECT msgs FROM flow_summary WHERE flow_id = %lld"
			 " AND dir = 's2c'", (long long)fid);
		assert_int_equal(q_int(db, sql), 20);
#undef COL
	}
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	static const char *const sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s%s", dbp, sfx[i]);
		(void)unlink(p);
	}
	(void)unlink(yaml);
}

/* Behind a relay cutting the stream in 1-16 byte writes: the client's
 * leg and the server's leg are separate flows; the summary keeps them
 * apart and the server's leg counts the requests' messages (the relay
 * keeps the bytes' offsets), so its half count is the truth computed
 * here from the server's recvs. */
static void test_run_relay_legs(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: live capture needs root (euid %d)\n", (int)geteuid());
		tl_skip();
	}
	char yaml[128], dbp[128];
	tl_tmp_path(yaml, sizeof(yaml), ".yaml");
	tl_tmp_path(dbp, sizeof(dbp), ".db");
	FILE *f = fopen(yaml, "w");
	assert_non_null(f);
	fputs("name: legs\n"
	      "server: {proto: tcp, model: epoll, handler: echo}\n"
	      "relay: {chunk: 'random:1-16', seed: 7}\n"
	      "clients: {count: 1, requests: 200, size: 30, pattern: 'split:3', nodelay: true}\n"
	      "capture: {enabled: true, snaplen: 128}\n", f);
	assert_int_equal(fclose(f), 0);
	char out[16384];
	const char *args[] = {yaml, "--db", dbp, NULL};
	int rc = tl_run_verb("run", out, sizeof(out), args);
	fputs(out, stdout);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "c2s via relay: client 600 sends -> "));
	assert_null(strstr(out, " c2s: "));   /* no sum over both legs */

	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM flow_summary WHERE dir = 'c2s'"), 2);
	assert_int_equal(q_int(db, "SELECT msgs FROM flow_summary WHERE dir = 'c2s' AND recvs = 0"
			       " AND sends = 600"), 200);
	int64_t fid = q_int(db, "SELECT flow_id FROM flow_summary WHERE dir = 'c2s' AND sends = 0");
	assert_true(fid > 0);
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT msgs FROM flow_summary WHERE flow_id = %lld AND dir ="
		 " 'c2s' AND msg_bounds = 'size'", (long long)fid);
	assert_int_equal(q_int(db, sql), 200);
	static struct span rcv[4096];
	snprintf(sql, sizeof(sql), "SELECT stream_offset, len FROM app_events WHERE flow_id ="
		 " %lld AND side = 'server' AND kind = 'recv' ORDER BY stream_offset", (long long)fid);
	size_t nr = q_spans(db, sql, rcv, 4096);
	assert_true(nr > 0 && nr < 4096);
	int64_t half = 0, sticky = 0;
	for (int m = 0; m < 200; m++) {
		struct span msg = {30 * m, 30};
		int n = 0;
		bool st = false;
		for (size_t r = 0; r < nr; r++) {
			if (!overlaps(&msg, &rcv[r]))
				continue;
			n++;
			st |= rcv[r].off < msg.off || rcv[r].off + rcv[r].len > msg.off + msg.len;
		}
		half += n > 1;
		sticky += st;
	}
	snprintf(sql, sizeof(sql), "SELECT half_msgs FROM flow_summary WHERE flow_id = %lld"
		 " AND dir = 'c2s'", (long long)fid);
	int64_t got_half = q_int(db, sql);
	snprintf(sql, sizeof(sql), "SELECT sticky_msgs FROM flow_summary WHERE flow_id = %lld"
		 " AND dir = 'c2s'", (long long)fid);
	int64_t got_sticky = q_int(db, sql);
	print_message("server leg: %zu recvs of 200 messages: half %lld, sticky %lld (flow_align"
		      " %lld, %lld)\n", nr, (long long)half, (long long)sticky,
		      (long long)got_half, (long long)got_sticky);
	assert_true(half > 0);   /* 1-16 byte writes split 30-byte messages */
	assert_int_equal(got_half, half);
	assert_int_equal(got_sticky, sticky);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	static const char *const sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s%s", dbp, sfx[i]);
		(void)unlink(p);
	}
	(void)unlink(yaml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_applog_every_model, tl_cleanup),
		cmocka_unit_test(test_serve_flags_refused),
		cmocka_unit_test(test_run_sticky),
		cmocka_unit_test(test_run_split),
		cmocka_unit_test(test_run_relay_legs),
	};
	return tl_run_group(tests, NULL, NULL);
}
