/*
 * tests/integration/test_report_compare.c — `socklab report` beyond one
 * plain run: the test writes a store with the store API (and, for the
 * migration-3 tables that other code fills, plain SQL) holding
 *   run 1 "before": model x clients, every case repeated 3 times;
 *   run 2 "after":  the same cases, epoll/10 clearly faster (all repeats
 *                   apart: Mann-Whitney p = 0.1), the others within the noise;
 *   run 3 "once":   the same cases without repeats (no noise estimate);
 *   run 4 "wire":   a captured TCP case (flows, flow_align, app_events,
 *                   segments: 20 sends of 6 bytes, 11 segments, 1 recv) and
 *                   a UDP case (udp_accounting: 1000 sent, 991 dropped at
 *                   the receive buffer, 9 received),
 * then runs the real binary and checks: grouping (clients outer, model
 * inner, repeats adjacent) in text; --compare 1,2,3 in text, md and csv
 * against golden output and in JSON parsed back; the capture and UDP
 * columns of run 4; bad --compare lists exit 2; and the HTML of runs 1, 4
 * and of the comparison parsed as XML by python3 and loaded by headless
 * Chromium (skipped when chromium is not installed), whose DOM must hold
 * the charts' SVG elements: a polyline per model, a bar per percentile and
 * case, a timeline with 20 + 11 + 1 bars, a stacked bar with its parts.
 */
#include "testlib/testlib.h"

#include "harness/store/store.h"
#include "reports/report.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];
static char dbpath[128];

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

static void exec_sql(struct db *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db_sqlite(db), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sql: %s: %s", msg ? msg : "?", sql);
}

/* Pin a run's timestamps so that the output is reproducible. */
static void pin(struct db *db, int64_t run)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "UPDATE runs SET started = '2026-01-0%lldT10:00:00.000Z',"
		 " ended = '2026-01-0%lldT10:01:00.000Z' WHERE id = %lld;",
		 (long long)run, (long long)run, (long long)run);
	exec_sql(db, sql);
}

static int64_t begin_run(struct db *db, const char *name, const char *const *keys, size_t nkeys)
{
	struct db_host h = {.host = "testhost", .kernel = "Linux 6.0 test", .cpu_model = "Test CPU",
			    .cpus = 2};
	struct db_run_meta meta = {.name = name, .scenario_path = "cmp.yaml",
				   .scenario_text = "name: cmp\n", .host = &h,
				   .version = "0.1.0", .git = name};
	int64_t id;
	assert_int_equal(db_run_begin(db, &meta, &id), 0);
	assert_int_equal(db_run_set_varying(db, id, keys, nkeys), 0);
	return id;
}

/* Throughput per (model, clients) and repeat: matrix order model x clients. */
struct mrow {
	const char *model, *clients;
	double tput[3], p99[3];
};

static const struct mrow before[] = {
	{"epoll", "10", {1000, 1010, 990}, {200, 210, 190}},
	{"epoll", "100", {3000, 3050, 2950}, {900, 950, 850}},
	{"thread", "10", {900, 905, 895}, {300, 290, 310}},
	{"thread", "100", {2500, 2600, 2400}, {1000, 1100, 900}},
};
static const struct mrow after[] = {
	{"epoll", "10", {1200, 1210, 1190}, {150, 160, 140}},
	{"epoll", "100", {3020, 3100, 2990}, {920, 930, 860}},
	{"thread", "10", {880, 910, 890}, {305, 295, 300}},
	{"thread", "100", {2550, 2450, 2610}, {950, 1050, 990}},
};

static void write_matrix(struct db *db, const char *name, const struct mrow *rows, int reps)
{
	const char *const keys[] = {"server.model", "clients.count"};
	int64_t run = begin_run(db, name, keys, 2), cid;
	size_t idx = 0;
	for (size_t i = 0; i < 4; i++)
		for (int r = 0; r < reps; r++) {
			char rep[16];
			snprintf(rep, sizeof(rep), "%d", r);
			struct db_param p[] = {
				{"server.proto", "tcp"},
				{"server.model", rows[i].model},
				{"clients.count", rows[i].clients},
				{"repeat", rep},
			};
			assert_int_equal(db_case_begin(db, run, idx++, p, reps > 1 ? 4 : 3, &cid), 0);
			assert_int_equal(db_case_metric(db, cid, "throughput_rps", rows[i].tput[r]), 0);
			assert_int_equal(db_case_metric(db, cid, "p50_us", rows[i].p99[r] / 4), 0);
			assert_int_equal(db_case_metric(db, cid, "p99_us", rows[i].p99[r]), 0);
			assert_int_equal(db_case_metric(db, cid, "p999_us", rows[i].p99[r] * 2), 0);
			assert_int_equal(db_case_metric(db, cid, "errors", 0), 0);
			assert_int_equal(db_case_end(db, cid, DB_OK, NULL), 0);
		}
	assert_int_equal(db_run_end(db, run, DB_OK), 0);
	pin(db, run);
}

/* Run 4: a captured TCP case and a UDP case, migration-3 rows by SQL. */
static void write_wire(struct db *db)
{
	const char *const keys[] = {"server.proto"};
	int64_t run = begin_run(db, "wire", keys, 1), tcp, udp;
	struct db_param pt[] = {{"server.proto", "tcp"}, {"clients.pattern", "burst:20"}};
	struct db_param pu[] = {{"server.proto", "udp"}, {"clients.pattern", "burst:20"}};
	assert_int_equal(db_case_begin(db, run, 0, pt, 2, &tcp), 0);
	assert_int_equal(db_case_metric(db, tcp, "throughput_rps", 500), 0);
	assert_int_equal(db_case_metric(db, tcp, "p50_us", 40), 0);
	assert_int_equal(db_case_end(db, tcp, DB_OK, NULL), 0);
	assert_int_equal(db_case_begin(db, run, 1, pu, 2, &udp), 0);
	assert_int_equal(db_case_metric(db, udp, "throughput_rps", 9), 0);
	assert_int_equal(db_case_metric(db, udp, "loss_pct", 99.1), 0);
	assert_int_equal(db_case_end(db, udp, DB_OK, NULL), 0);
	assert_int_equal(db_run_end(db, run, DB_OK), 0);
	pin(db, run);

	char sql[1024];
	/* Two flows: the timeline uses the first; flow_align sums both (c2s only). */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO flows (id, case_id, idx, proto, ipver, client_addr, client_port,"
		 " server_addr, server_port) VALUES (100, %lld, 0, 'tcp', 4, '127.0.0.1', 40000,"
		 " '127.0.0.1', 9000), (101, %lld, 1, 'tcp', 4, '127.0.0.1', 40001, '127.0.0.1', 9000);"
		 "INSERT INTO flow_align (flow_id, dir, bytes, sends, segments, recvs, sticky_msgs,"
		 " half_msgs) VALUES (100, 'c2s', 120, 20, 11, 1, 20, 0),"
		 " (100, 's2c', 120, 1, 1, 3, 0, 1), (101, 'c2s', 12, 2, 2, 2, 0, 1);"
		 "INSERT INTO udp_accounting (case_id, sent, refused, wire, rcvbuf_dropped, truncated,"
		 " received, unaccounted) VALUES (%lld, 1000, 3, 1000, 991, 0, 9, 0);",
		 (long long)tcp, (long long)tcp, (long long)udp);
	exec_sql(db, sql);
	/* 20 sends of 6 bytes 10 us apart; 11 segments (the first alone, then pairs); one recv. */
	for (int i = 0; i < 20; i++) {
		char call[24];
		snprintf(call, sizeof(call), "%d", 1000000 + i * 10000 - 3000);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO app_events (case_id, flow_id, side, conn, kind, t_ns, stream_offset,"
			 " len, lport, rport, t_call_ns) VALUES (%lld, 100, 'client', 0, 'send', %d, %d, 6,"
			 " 40000, 9000, %s)", (long long)tcp, 1000000 + i * 10000, i * 6,
			 /* Each call began 3 us before it returned; the last one's
			  * start is not known (a store from before it was logged). */
			 i < 19 ? call : "NULL");
		exec_sql(db, sql);
	}
	for (int i = 0; i < 11; i++) {
		int off = i == 0 ? 0 : 6 + (i - 1) * 12, len = i == 0 ? 6 : 12;
		snprintf(sql, sizeof(sql),
			 "INSERT INTO segments (flow_id, dir, t_ns, rel_seq, len) VALUES"
			 " (100, 'c2s', %d, %d, %d)", 1005000 + i * 20000, 1 + off, len);
		exec_sql(db, sql);
	}
	/* A pure ACK (no payload) is not a segment of the timeline. */
	exec_sql(db, "INSERT INTO segments (flow_id, dir, t_ns, rel_seq, len) VALUES (100, 'c2s', 999000, 0, 0)");
	snprintf(sql, sizeof(sql),
		 "INSERT INTO app_events (case_id, flow_id, side, conn, kind, t_ns, stream_offset, len,"
		 " lport, rport) VALUES (%lld, NULL, 'server', 0, 'recv', 1250000, 0, 120, 9000, 40000)",
		 (long long)tcp);
	exec_sql(db, sql);
}

/* Run 5: a UDP case through a relay and a lossy link: every newer term. */
static void write_impaired(struct db *db)
{
	const char *const keys[] = {"server.proto"};
	int64_t run = begin_run(db, "impaired", keys, 1), udp;
	struct db_param pu[] = {{"server.proto", "udp"}};
	assert_int_equal(db_case_begin(db, run, 0, pu, 1, &udp), 0);
	assert_int_equal(db_case_metric(db, udp, "throughput_rps", 900), 0);
	assert_int_equal(db_case_end(db, udp, DB_OK, NULL), 0);
	assert_int_equal(db_run_end(db, run, DB_OK), 0);
	pin(db, run);
	char sql[1024];
	/* 1000 + 5 duplicated = 700 received + 2 unread + 100 + 40 relay + 60 + 30 link
	 * + 50 server rcvbuf + 23 unaccounted. */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO udp_accounting (case_id, sent, refused, wire, wire_relayed,"
		 " relay_rcvbuf_dropped, relay_dropped, relay_duplicated, link_dropped,"
		 " link_rate_dropped, rcvbuf_dropped, truncated, received, unread, unaccounted)"
		 " VALUES (%lld, 1000, 0, 1000, 865, 100, 40, 5, 60, 30, 50, 0, 700, 2, 23)",
		 (long long)udp);
	exec_sql(db, sql);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/socklab-rcmp-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path_in(dbpath, sizeof(dbpath), "s.db");
	struct db *db;
	char err[256];
	if (db_open(dbpath, &db, err, sizeof(err)) != 0)
		return -1;
	write_matrix(db, "before", before, 3);
	write_matrix(db, "after", after, 3);
	write_matrix(db, "once", after, 1);
	write_wire(db);
	write_impaired(db);
	return db_close(db) == 0 ? 0 : -1;
}

/* SOCKLAB_TEST_KEEP=1 keeps the store, to look at or to regenerate the goldens. */
static int teardown(void **state)
{
	(void)state;
	char cmd[160];
	if (getenv("SOCKLAB_TEST_KEEP")) {
		fprintf(stderr, "kept %s\n", dbpath);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int report(char *out, size_t len, const char *a1, const char *a2, const char *a3,
		  const char *a4)
{
	const char *args[] = {"--db", dbpath, a1, a2, a3, a4, NULL};
	return tl_run_verb("report", out, len, args);
}

/* Goldens: regenerate with SOCKLAB_TEST_KEEP=1 and check every number by hand. */
static const char golden_group_text[] =
	"run 1 before: ok, 12 cases, started 2026-01-01T10:00:00.000Z, ended 2026-01-01T10:01:00.000Z, host testhost\n"
	"\n"
	"count  model   repeat  throughput_rps  p50_us   p99_us  p999_us  errors  server_cpu_s  server_maxrss_kb  status\n"
	"10     epoll   0              1000.0    50.0    200.0    400.0        0             -                 -  ok\n"
	"10     epoll   1              1010.0*   52.5    210.0    420.0        0             -                 -  ok\n"
	"10     epoll   2               990.0    47.5*   190.0*   380.0*       0             -                 -  ok\n"
	"10     thread  0               900.0    75.0    300.0    600.0        0             -                 -  ok\n"
	"10     thread  1               905.0    72.5    290.0    580.0        0             -                 -  ok\n"
	"10     thread  2               895.0    77.5    310.0    620.0        0             -                 -  ok\n"
	"---------------------------------------------------------------------------------------------------------------\n"
	"100    epoll   0              3000.0   225.0    900.0   1800.0        0             -                 -  ok\n"
	"100    epoll   1              3050.0*  237.5    950.0   1900.0        0             -                 -  ok\n"
	"100    epoll   2              2950.0   212.5*   850.0*  1700.0*       0             -                 -  ok\n"
	"100    thread  0              2500.0   250.0   1000.0   2000.0        0             -                 -  ok\n"
	"100    thread  1              2600.0   275.0   1100.0   2200.0        0             -                 -  ok\n"
	"100    thread  2              2400.0   225.0    900.0   1800.0        0             -                 -  ok\n"
	"\n"
	"* best in its group (between rules), among ok and failed cases: highest throughput, lowest latency, errors, loss, CPU and memory\n"
;

static const char golden_group_md[] =
	"## run 3 once: ok, 4 cases, started 2026-01-03T10:00:00.000Z, ended 2026-01-03T10:01:00.000Z, host testhost\n"
	"\n"
	"| count | model | throughput_rps | p50_us | p99_us | p999_us | errors | server_cpu_s | server_maxrss_kb | status |\n"
	"| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
	"| 10 | epoll | **1200.0** | **37.5** | **150.0** | **300.0** | 0 | - | - | ok |\n"
	"| 10 | thread | 880.0 | 76.2 | 305.0 | 610.0 | 0 | - | - | ok |\n"
	"|  |  |  |  |  |  |  |  |  |  |\n"
	"| 100 | epoll | **3020.0** | **230.0** | **920.0** | **1840.0** | 0 | - | - | ok |\n"
	"| 100 | thread | 2550.0 | 237.5 | 950.0 | 1900.0 | 0 | - | - | ok |\n"
	"\n"
	"**Bold**: best in its group (between empty rows), among ok and failed cases: highest throughput, lowest latency, errors, loss, CPU and memory.\n"
;

static const char golden_compare_text[] =
	"compare run 1 before (2026-01-01T10:00:00.000Z) vs run 2 after (2026-01-02T10:00:00.000Z) vs run 3 once (2026-01-03T10:00:00.000Z); baseline run 1\n"
	"\n"
	"count  model   metric           run 1   run 2    diff     diff%   run 3    diff     diff%\n"
	"10     epoll   throughput_rps  1000.0  1200.0  +200.0  +20.0% !  1200.0  +200.0  +20.0% ?\n"
	"               p50_us            50.0    37.5   -12.5  -25.0% !    37.5   -12.5  -25.0% ?\n"
	"               p99_us           200.0   150.0   -50.0  -25.0% !   150.0   -50.0  -25.0% ?\n"
	"               p999_us          400.0   300.0  -100.0  -25.0% !   300.0  -100.0  -25.0% ?\n"
	"               errors               0       0      +0   +0.0% ~       0      +0   +0.0% ?\n"
	"-----------------------------------------------------------------------------------------\n"
	"10     thread  throughput_rps   900.0   890.0   -10.0   -1.1% ~   880.0   -20.0   -2.2% ?\n"
	"               p50_us            75.0    75.0    +0.0   +0.0% ~    76.2    +1.2   +1.7% ?\n"
	"               p99_us           300.0   300.0    +0.0   +0.0% ~   305.0    +5.0   +1.7% ?\n"
	"               p999_us          600.0   600.0    +0.0   +0.0% ~   610.0   +10.0   +1.7% ?\n"
	"               errors               0       0      +0   +0.0% ~       0      +0   +0.0% ?\n"
	"-----------------------------------------------------------------------------------------\n"
	"100    epoll   throughput_rps  3000.0  3020.0   +20.0   +0.7% ~  3020.0   +20.0   +0.7% ?\n"
	"               p50_us           225.0   230.0    +5.0   +2.2% ~   230.0    +5.0   +2.2% ?\n"
	"               p99_us           900.0   920.0   +20.0   +2.2% ~   920.0   +20.0   +2.2% ?\n"
	"               p999_us         1800.0  1840.0   +40.0   +2.2% ~  1840.0   +40.0   +2.2% ?\n"
	"               errors               0       0      +0   +0.0% ~       0      +0   +0.0% ?\n"
	"-----------------------------------------------------------------------------------------\n"
	"100    thread  throughput_rps  2500.0  2550.0   +50.0   +2.0% ~  2550.0   +50.0   +2.0% ?\n"
	"               p50_us           250.0   247.5    -2.5   -1.0% ~   237.5   -12.5   -5.0% ?\n"
	"               p99_us          1000.0   990.0   -10.0   -1.0% ~   950.0   -50.0   -5.0% ?\n"
	"               p999_us         2000.0  1980.0   -20.0   -1.0% ~  1900.0  -100.0   -5.0% ?\n"
	"               errors               0       0      +0   +0.0% ~       0      +0   +0.0% ?\n"
	"\n"
	"values are medians over a case's repeats; diff and diff% against the baseline.\n"
	"! significant: the repeats of the two runs differ (exact Mann-Whitney, p <= 0.10); ~ within the runs' noise;\n"
	"? no verdict: a run has fewer than 2 repeats of the case, or too few for any outcome to\n"
	"  be rare (2 and 2 repeats: at best 1 in 3 by chance; 3 and 3: 1 in 10). See docs/reports.md.\n"
;

static const char golden_compare_md[] =
	"## compare run 1 before (2026-01-01T10:00:00.000Z) vs run 2 after (2026-01-02T10:00:00.000Z); baseline run 1\n"
	"\n"
	"| count | model | metric | run 1 | run 2 | diff | diff% |\n"
	"| --- | --- | --- | ---: | ---: | ---: | ---: |\n"
	"| 10 | epoll | throughput_rps | 1000.0 | 1200.0 | +200.0 | **+20.0% !** |\n"
	"|  |  | p50_us | 50.0 | 37.5 | -12.5 | **-25.0% !** |\n"
	"|  |  | p99_us | 200.0 | 150.0 | -50.0 | **-25.0% !** |\n"
	"|  |  | p999_us | 400.0 | 300.0 | -100.0 | **-25.0% !** |\n"
	"|  |  | errors | 0 | 0 | +0 | +0.0% ~ |\n"
	"|  |  |  |  |  |  |  |\n"
	"| 10 | thread | throughput_rps | 900.0 | 890.0 | -10.0 | -1.1% ~ |\n"
	"|  |  | p50_us | 75.0 | 75.0 | +0.0 | +0.0% ~ |\n"
	"|  |  | p99_us | 300.0 | 300.0 | +0.0 | +0.0% ~ |\n"
	"|  |  | p999_us | 600.0 | 600.0 | +0.0 | +0.0% ~ |\n"
	"|  |  | errors | 0 | 0 | +0 | +0.0% ~ |\n"
	"|  |  |  |  |  |  |  |\n"
	"| 100 | epoll | throughput_rps | 3000.0 | 3020.0 | +20.0 | +0.7% ~ |\n"
	"|  |  | p50_us | 225.0 | 230.0 | +5.0 | +2.2% ~ |\n"
	"|  |  | p99_us | 900.0 | 920.0 | +20.0 | +2.2% ~ |\n"
	"|  |  | p999_us | 1800.0 | 1840.0 | +40.0 | +2.2% ~ |\n"
	"|  |  | errors | 0 | 0 | +0 | +0.0% ~ |\n"
	"|  |  |  |  |  |  |  |\n"
	"| 100 | thread | throughput_rps | 2500.0 | 2550.0 | +50.0 | +2.0% ~ |\n"
	"|  |  | p50_us | 250.0 | 247.5 | -2.5 | -1.0% ~ |\n"
	"|  |  | p99_us | 1000.0 | 990.0 | -10.0 | -1.0% ~ |\n"
	"|  |  | p999_us | 2000.0 | 1980.0 | -20.0 | -1.0% ~ |\n"
	"|  |  | errors | 0 | 0 | +0 | +0.0% ~ |\n"
	"\n"
	"values are medians over a case's repeats; diff and diff% against the baseline.\n"
	"! significant: the repeats of the two runs differ (exact Mann-Whitney, p <= 0.10); ~ within the runs' noise;\n"
	"? no verdict: a run has fewer than 2 repeats of the case, or too few for any outcome to\n"
	"  be rare (2 and 2 repeats: at best 1 in 3 by chance; 3 and 3: 1 in 10). See docs/reports.md.\n"
;

static const char golden_compare_csv[] =
	"clients.count,server.model,metric,run1_median,run1_min,run1_max,run1_n,run3_median,run3_min,run3_max,run3_n,run3_diff,run3_rel,run3_p,run3_significant\r\n"
	"10,epoll,throughput_rps,1000,990,1010,3,1200,1200,1200,1,200,0.2,,unknown\r\n"
	"10,epoll,p50_us,50,47.5,52.5,3,37.5,37.5,37.5,1,-12.5,-0.25,,unknown\r\n"
	"10,epoll,p99_us,200,190,210,3,150,150,150,1,-50,-0.25,,unknown\r\n"
	"10,epoll,p999_us,400,380,420,3,300,300,300,1,-100,-0.25,,unknown\r\n"
	"10,epoll,errors,0,0,0,3,0,0,0,1,0,,,unknown\r\n"
	"10,thread,throughput_rps,900,895,905,3,880,880,880,1,-20,-0.022222222222222223,,unknown\r\n"
	"10,thread,p50_us,75,72.5,77.5,3,76.25,76.25,76.25,1,1.25,0.016666666666666666,,unknown\r\n"
	"10,thread,p99_us,300,290,310,3,305,305,305,1,5,0.016666666666666666,,unknown\r\n"
	"10,thread,p999_us,600,580,620,3,610,610,610,1,10,0.016666666666666666,,unknown\r\n"
	"10,thread,errors,0,0,0,3,0,0,0,1,0,,,unknown\r\n"
	"100,epoll,throughput_rps,3000,2950,3050,3,3020,3020,3020,1,20,0.006666666666666667,,unknown\r\n"
	"100,epoll,p50_us,225,212.5,237.5,3,230,230,230,1,5,0.022222222222222223,,unknown\r\n"
	"100,epoll,p99_us,900,850,950,3,920,920,920,1,20,0.022222222222222223,,unknown\r\n"
	"100,epoll,p999_us,1800,1700,1900,3,1840,1840,1840,1,40,0.022222222222222223,,unknown\r\n"
	"100,epoll,errors,0,0,0,3,0,0,0,1,0,,,unknown\r\n"
	"100,thread,throughput_rps,2500,2400,2600,3,2550,2550,2550,1,50,0.02,,unknown\r\n"
	"100,thread,p50_us,250,225,275,3,237.5,237.5,237.5,1,-12.5,-0.05,,unknown\r\n"
	"100,thread,p99_us,1000,900,1100,3,950,950,950,1,-50,-0.05,,unknown\r\n"
	"100,thread,p999_us,2000,1800,2200,3,1900,1900,1900,1,-100,-0.05,,unknown\r\n"
	"100,thread,errors,0,0,0,3,0,0,0,1,0,,,unknown\r\n"
;

static const char golden_wire_text[] =
	"run 4 wire: ok, 2 cases, started 2026-01-04T10:00:00.000Z, ended 2026-01-04T10:01:00.000Z, host testhost\n"
	"\n"
	"proto  throughput_rps  p50_us  p99_us  p999_us  errors  loss_pct  server_cpu_s  server_maxrss_kb  sends  segments  recvs  sticky  half  sent  refused  wire  relay_drop  rcvbuf_drop  truncated  received  unaccounted  status\n"
	"tcp            500.0*    40.0       -        -       -         -             -                 -     22        13      3      20     1     -        -     -           -            -          -         -            -  ok\n"
	"udp              9.0        -       -        -       -     99.10             -                 -      -         -      -       -     -  1000        3  1000           -          991          0         9            0  ok\n"
	"\n"
	"* best in its column, among ok and failed cases: highest throughput, lowest latency, errors, loss, CPU and memory\n"
;

/* Rows grouped by client count (numeric, outer), models within, repeats adjacent. */
static void test_grouping(void **state)
{
	(void)state;
	static char out[32768];
	assert_int_equal(report(out, sizeof(out), "--run", "1", NULL, NULL), 0);
	assert_string_equal(out, golden_group_text);
	assert_int_equal(report(out, sizeof(out), "--run", "3", "--format", "md"), 0);
	assert_string_equal(out, golden_group_md);
}

static void test_compare_text(void **state)
{
	(void)state;
	static char out[65536];
	assert_int_equal(report(out, sizeof(out), "--compare", "1,2,3", NULL, NULL), 0);
	assert_string_equal(out, golden_compare_text);
	assert_int_equal(report(out, sizeof(out), "--compare", "1,2", "--format", "md"), 0);
	assert_string_equal(out, golden_compare_md);
	assert_int_equal(report(out, sizeof(out), "--compare", "1,3", "--format", "csv"), 0);
	assert_string_equal(out, golden_compare_csv);
}

/* Run python3 CODE (a file) with ARG; its stdout into out; the exit status. */
static int python(const char *script, const char *arg, char *out, size_t len)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' 2>&1", script, arg);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static void test_compare_json(void **state)
{
	(void)state;
	static char out[65536];
	char path[160], script[160], res[4096];
	path_in(path, sizeof(path), "c.json");
	path_in(script, sizeof(script), "c.py");
	assert_int_equal(report(out, sizeof(out), "--compare", "1,2,3", "--format", "json"), 0);
	tl_write_file(path, out);
	tl_write_file(script,
		"import json, sys\n"
		"d = json.load(open(sys.argv[1]))\n"
		"assert sorted(d) == ['baseline', 'cases', 'runs'], sorted(d)\n"
		"assert [r['id'] for r in d['runs']] == [1, 2, 3] and d['baseline'] == 1\n"
		"assert d['runs'][1]['name'] == 'after'\n"
		"c = d['cases']\n"
		"assert len(c) == 4, len(c)\n"
		"assert [(x['params']['clients.count'], x['params']['server.model']) for x in c] == "
		"[('10', 'epoll'), ('10', 'thread'), ('100', 'epoll'), ('100', 'thread')]\n"
		"assert 'repeat' not in c[0]['params']\n"
		"t = c[0]['metrics']['throughput_rps']\n"
		"assert t[0] == {'run': 1, 'n': 3, 'median': 1000, 'min': 990, 'max': 1010}, t[0]\n"
		"assert t[1]['median'] == 1200 and t[1]['diff'] == 200 and t[1]['significant'] is True, t[1]\n"
		"assert abs(t[1]['rel'] - 0.2) < 1e-12, t[1]\n"
		"assert t[2]['n'] == 1 and t[2]['significant'] is None, t[2]\n"
		"e = c[2]['metrics']['throughput_rps'][1]\n"
		"assert e['median'] == 3020 and e['significant'] is False, e\n"
		"assert sorted(c[0]['metrics']) == ['errors', 'p50_us', 'p999_us', 'p99_us', 'throughput_rps']\n"
		"print('OK')\n");
	int st = python(script, path, res, sizeof(res));
	if (st != 0 || strcmp(res, "OK\n") != 0)
		fail_msg("python3 check failed (status %d): %s", st, res);
}

/* The capture and UDP columns appear only for a run that has them. */
static void test_wire_columns(void **state)
{
	(void)state;
	static char out[16384];
	assert_int_equal(report(out, sizeof(out), "--run", "4", NULL, NULL), 0);
	assert_string_equal(out, golden_wire_text);
	assert_int_equal(report(out, sizeof(out), "--run", "1", NULL, NULL), 0);
	assert_null(strstr(out, "sticky"));
	assert_null(strstr(out, "rcvbuf_drop"));
	assert_int_equal(report(out, sizeof(out), "--run", "4", "--format", "csv"), 0);
	assert_non_null(strstr(out, ",align.sticky_msgs,"));
	assert_non_null(strstr(out, ",udp.rcvbuf_dropped,"));
}

static const char golden_impaired_text[] =
	"run 5 impaired: ok, 1 case, started 2026-01-05T10:00:00.000Z, ended 2026-01-05T10:01:00.000Z, host testhost\n"
	"\n"
	"proto  throughput_rps  p50_us  p99_us  p999_us  errors  server_cpu_s  server_maxrss_kb  sent  refused  wire  wire_relayed  relay_rcvbuf_drop  relay_drop  link_drop  link_rate_drop  rcvbuf_drop  truncated  received  unread  unaccounted  status\n"
	"udp             900.0       -       -        -       -             -                 -  1000        0  1000           865                100          40         60              30           50          0       700       2           23  ok\n"
;

/* A relay's and a link's terms: in every format, and a bar segment each. */
static void test_udp_terms(void **state)
{
	(void)state;
	static char out[65536];
	assert_int_equal(report(out, sizeof(out), "--run", "5", NULL, NULL), 0);
	assert_string_equal(out, golden_impaired_text);
	assert_int_equal(report(out, sizeof(out), "--run", "5", "--format", "md"), 0);
	assert_non_null(strstr(out, "| wire_relayed | relay_rcvbuf_drop | relay_drop | link_drop |"
				    " link_rate_drop | rcvbuf_drop | truncated | received | unread |"));
	assert_non_null(strstr(out, "| 865 | 100 | 40 | 60 | 30 | 50 | 0 | 700 | 2 | 23 |"));
	/* CSV carries every term, NULL as empty, whether or not the run has it. */
	static const char *const terms[] = {
		"udp.wire_relayed", "udp.relay_rcvbuf_dropped", "udp.link_dropped",
		"udp.link_rate_dropped", "udp.unread",
	};
	for (int run = 4; run <= 5; run++) {
		char id[4];
		snprintf(id, sizeof(id), "%d", run);
		assert_int_equal(report(out, sizeof(out), "--run", id, "--format", "csv"), 0);
		char *eol = strstr(out, "\r\n");
		assert_non_null(eol);
		*eol = ',';   /* the header line, every name between commas */
		eol[1] = '\0';
		for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
			char want[64];
			snprintf(want, sizeof(want), ",%s,", terms[i]);
			if (!strstr(out, want))
				fail_msg("run %d csv: no %s in:\n%s", run, want, out);
		}
	}
	/* Text shows them only where the run has them. */
	assert_int_equal(report(out, sizeof(out), "--run", "4", NULL, NULL), 0);
	assert_null(strstr(out, "link_drop"));
	assert_null(strstr(out, "relay_rcvbuf_drop"));
	/* HTML: a segment per term, named in its tooltip with its value. */
	assert_int_equal(report(out, sizeof(out), "--run", "5", "--format", "html"), 0);
	static const char *const seg[] = {
		"received: 700<", "still queued at the server: 2<",
		"dropped: server receive buffer full: 50<", "dropped: relay receive buffer full: 100<",
		"dropped by the relay: 40<", "dropped by the link&#39;s loss rule: 60<",
		"dropped by the link&#39;s rate limit (tbf): 30<", "unaccounted: 23<",
	};
	for (size_t i = 0; i < sizeof(seg) / sizeof(seg[0]); i++)
		if (!strstr(out, seg[i]))
			fail_msg("run 5 html: no segment '%s'", seg[i]);
	assert_int_equal(report(out, sizeof(out), "--run", "4", "--format", "html"), 0);
	assert_non_null(strstr(out, "dropped: server receive buffer full: 991<"));
	assert_null(strstr(out, "relay receive buffer"));
	assert_null(strstr(out, "link&#39;s"));
}

/* The timeline draws a client send when its call began, else when it returned. */
static void test_timeline_send_call(void **state)
{
	(void)state;
	struct rpt_run *r = NULL;
	char err[256];
	assert_int_equal(rpt_load(dbpath, "4", &r, err, sizeof(err)), 0);
	const struct rpt_timeline *tl = r->cases[0].timeline;
	assert_non_null(tl);
	assert_int_equal(tl->n[RPT_TL_SENDS], 20);
	const struct rpt_span *s = tl->lane[RPT_TL_SENDS], *g = tl->lane[RPT_TL_SEGMENTS];
	/* Times from the earliest event: the first send's call start (997 us). */
	assert_true(s[0].t_us == 0.0);
	assert_true(g[0].t_us == 8.0);      /* segment at 1005 us: 8 us after the call began */
	assert_true(s[1].t_us == 10.0);
	assert_true(s[19].t_us == 193.0);   /* no call start: at its return, 1190 us */
	rpt_free(r);
}

static void test_compare_errors(void **state)
{
	(void)state;
	char out[4096];
	assert_int_equal(report(out, sizeof(out), "--compare", "1", NULL, NULL), 2);
	assert_int_equal(report(out, sizeof(out), "--compare", "1,99", NULL, NULL), 2);
	assert_int_equal(report(out, sizeof(out), "--compare", "1,x", NULL, NULL), 2);
	assert_int_equal(report(out, sizeof(out), "--compare", "2,1,2", NULL, NULL), 2);
	assert_int_equal(report(out, sizeof(out), "--compare", "1,2", "--run", "1"), 2);
	assert_string_equal(out, "");
}

/*
 * The HTML is well-formed XML, and Chromium's DOM of it holds the charts.
 * test_report_html.py (beside this file) does the parsing and counting.
 */
static void check_html(const char *name, const char *a1, const char *a2, const char *expect)
{
	static char out[1 << 20];
	char path[160], res[8192], arg[400], script_path[512];
	/* The checker sits beside this file (CMake compiles with absolute paths). */
	snprintf(script_path, sizeof(script_path), "%s", __FILE__);
	char *slash = strrchr(script_path, '/');
	assert_non_null(slash);
	snprintf(slash + 1, sizeof(script_path) - (size_t)(slash + 1 - script_path),
		 "test_report_html.py");
	path_in(path, sizeof(path), name);
	const char *args[] = {"--db", dbpath, a1, a2, "--format", "html", "-o", path, NULL};
	assert_int_equal(tl_run_verb("report", out, sizeof(out), args), 0);
	assert_true(exists(path));
	snprintf(arg, sizeof(arg), "%s' '%s", path, expect);
	int st = python(script_path, arg, res, sizeof(res));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		tl_skip();
	if (st != 0)
		fail_msg("test_report_html.py %s failed (status %d):\n%s", name, st, res);
	print_message("%s", res);
}

static void test_html(void **state)
{
	(void)state;
	check_html("run1.html", "--run", "1", "matrix");
	check_html("run4.html", "--run", "4", "wire");
	check_html("cmp.html", "--compare", "1,2", "compare");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_compare_text),
		cmocka_unit_test(test_compare_json),
		cmocka_unit_test(test_wire_columns),
		cmocka_unit_test(test_udp_terms),
		cmocka_unit_test(test_timeline_send_call),
		cmocka_unit_test(test_compare_errors),
		cmocka_unit_test(test_html),
	};
	return tl_run_group(tests, setup, teardown);
}
