/*
 * tests/integration/test_report.c — `socklab report` end to end: the test
 * writes a store with the store API into a temp dir (a 2x2 model x clients
 * run with fixed metrics, one NULL percentile and a failed case, and a
 * second run with UDP loss), pins its timestamps and host with SQL, then
 * runs the real binary and compares the text (grouped: clients outer, model
 * inner), md and csv output with golden
 * strings, parses the json back with python3 and checks its values, checks
 * that the best value of each metric column is marked on the right cells,
 * that -o writes the same report (without colour), and that a missing
 * file, an empty store, an unknown run, a bad run id, an unknown format or
 * flag and a file that is not a store exit 2 with nothing created, and
 * that reading leaves no -wal/-shm files behind.
 */
#include "testlib/testlib.h"

#include "harness/store/store.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The whole file, NUL-terminated; caller frees. NULL for a missing file. */
static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

struct mcase {
	const char *model, *count;
	double m[10];           /* throughput, p50, p99, p999, errors, cpu_user, cpu_sys, maxrss, requests, server.accepted */
	enum db_status status;
};

static const char *const mnames[10] = {
	"throughput_rps", "p50_us", "p99_us", "p999_us", "errors",
	"server.cpu_user_s", "server.cpu_sys_s", "server.maxrss_kb", "requests", "server.accepted",
};

static void write_run(struct db *db, const char *name, const struct mcase *cs, size_t n,
		      bool udp, int64_t *run_id)
{
	struct db_host h = {.host = "testhost", .kernel = "Linux 6.0 test", .cpu_model = "Test CPU",
			    .cpus = 4};
	struct db_run_meta meta = {.name = name, .scenario_path = "demo.yaml",
				   .scenario_text = "name: demo\n", .host = &h,
				   .version = "0.1.0", .git = "abc123"};
	const char *const keys[] = {"server.model", "clients.count"};
	assert_int_equal(db_run_begin(db, &meta, run_id), 0);
	assert_int_equal(db_run_set_varying(db, *run_id, keys, 2), 0);
	for (size_t i = 0; i < n; i++) {
		struct db_param p[] = {
			{"server.proto", udp ? "udp" : "tcp"},
			{"server.model", cs[i].model},
			{"clients.count", cs[i].count},
			{"clients.note", "a, \"quoted\" value"},
		};
		int64_t cid;
		assert_int_equal(db_case_begin(db, *run_id, i, p, 4, &cid), 0);
		for (size_t k = 0; k < 10; k++)
			assert_int_equal(db_case_metric(db, cid, mnames[k], cs[i].m[k]), 0);
		if (udp)
			assert_int_equal(db_case_metric(db, cid, "loss_pct", i ? 0.5 : 2.25), 0);
		assert_int_equal(db_case_end(db, cid, cs[i].status,
					     cs[i].status == DB_ERROR ? "server did not start" : NULL), 0);
	}
	assert_int_equal(db_run_end(db, *run_id, DB_FAILED), 0);
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "UPDATE runs SET started = '2026-01-02T03:04:05.000Z',"
		 " ended = '2026-01-02T03:05:06.789Z' WHERE id = %lld;"
		 "UPDATE cases SET started = '2026-01-02T03:04:05.000Z',"
		 " ended = '2026-01-02T03:05:06.789Z' WHERE run_id = %lld;",
		 (long long)*run_id, (long long)*run_id);
	assert_int_equal(sqlite3_exec(db_sqlite(db), sql, NULL, NULL, NULL), SQLITE_OK);
}

static const struct mcase run1[] = {
	{"epoll", "10", {1000, 50, 200, 400, 0, 1.0, 0.5, 2048, 5000, 10}, DB_OK},
	{"epoll", "100", {3000.5, 80, 150, 900, 2, 2.0, 1.0, 4096, 15000, 100}, DB_OK},
	{"threads", "10", {900, 40, 300, 350, 0, 0.75, 0.25, 8192, 4500, 10}, DB_OK},
	{"threads", "100", {2500, 90, NAN, 1000, 5, 4, 1, 16384, 12500, 100}, DB_FAILED},
};

static const struct mcase run2[] = {
	{"uring", "1", {10, 5, 6, 7, 0, 0.1, 0.1, 100, 10, 1}, DB_OK},
	{"uring", "2", {20, 5, 6, 7, 0, 0.1, 0.1, 100, 20, 2}, DB_OK},
};

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/socklab-report-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path_in(dbpath, sizeof(dbpath), "s.db");
	struct db *db;
	char err[256];
	int64_t id;
	if (db_open(dbpath, &db, err, sizeof(err)) != 0)
		return -1;
	write_run(db, "demo", run1, 4, false, &id);
	write_run(db, "udp demo", run2, 2, true, &id);
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

/* `socklab report --db DB ARGS...` into out; returns the exit status. */
static int report(char *out, size_t len, const char *a1, const char *a2, const char *a3,
		  const char *a4)
{
	const char *args[] = {"--db", dbpath, a1, a2, a3, a4, NULL};
	return tl_run_verb("report", out, len, args);
}

static const char golden_text[] =
	"run 1 demo: failed, 4 cases, started 2026-01-02T03:04:05.000Z, ended 2026-01-02T03:05:06.789Z, host testhost\n"
	"\n"
	"count  model    throughput_rps  p50_us  p99_us  p999_us  errors  server_cpu_s  server_maxrss_kb  status\n"
	"10     epoll           1000.0*   50.0   200.0*   400.0       0         1.500              2048*  ok\n"
	"10     threads          900.0    40.0*  300.0    350.0*      0         1.000*             8192   ok\n"
	"-----------------------------------------------------------------------------------------------------------\n"
	"100    epoll           3000.5*   80.0*  150.0    900.0*      2*        3.000*             4096*  ok\n"
	"100    threads         2500.0    90.0       -   1000.0       5         5.000             16384   failed [1]\n"
	"\n"
	"* best in its group (between rules), among ok and failed cases: highest throughput, lowest latency, errors, loss, CPU and memory\n"
	"\n"
	"[1] case 3: failed: a threshold was missed (the numbers are whole)\n";

/* The same grouping in Markdown, with an empty row between groups. */
static const char golden_md[] =
	"## run 1 demo: failed, 4 cases, started 2026-01-02T03:04:05.000Z, ended 2026-01-02T03:05:06.789Z, host testhost\n"
	"\n"
	"| count | model | throughput_rps | p50_us | p99_us | p999_us | errors | server_cpu_s | server_maxrss_kb | status |\n"
	"| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
	"| 10 | epoll | **1000.0** | 50.0 | **200.0** | 400.0 | 0 | 1.500 | **2048** | ok |\n"
	"| 10 | threads | 900.0 | **40.0** | 300.0 | **350.0** | 0 | **1.000** | 8192 | ok |\n"
	"|  |  |  |  |  |  |  |  |  |  |\n"
	"| 100 | epoll | **3000.5** | **80.0** | 150.0 | **900.0** | **2** | **3.000** | **4096** | ok |\n"
	"| 100 | threads | 2500.0 | 90.0 | - | 1000.0 | 5 | 5.000 | 16384 | failed \\[1\\] |\n"
	"\n"
	"**Bold**: best in its group (between empty rows), among ok and failed cases: highest throughput, lowest latency, errors, loss, CPU and memory.\n"
	"\n"
	"1. case 3: failed: a threshold was missed (the numbers are whole)\n";

static const char golden_csv[] =
	"case,status,error,server.proto,server.model,clients.count,clients.note,errors,p50_us,p999_us,"
	"p99_us,requests,server.accepted,server.cpu_sys_s,server.cpu_user_s,server.maxrss_kb,throughput_rps\r\n"
	"0,ok,,tcp,epoll,10,\"a, \"\"quoted\"\" value\",0,50,400,200,5000,10,0.5,1,2048,1000\r\n"
	"1,ok,,tcp,epoll,100,\"a, \"\"quoted\"\" value\",2,80,900,150,15000,100,1,2,4096,3000.5\r\n"
	"2,ok,,tcp,threads,10,\"a, \"\"quoted\"\" value\",0,40,350,300,4500,10,0.25,0.75,8192,900\r\n"
	"3,failed,,tcp,threads,100,\"a, \"\"quoted\"\" value\",5,90,1000,,12500,100,1,4,16384,2500\r\n";

/* The UDP run (the last one): loss_pct appears, best marks on the right rows. */
static const char golden_text_udp[] =
	"run 2 udp demo: failed, 2 cases, started 2026-01-02T03:04:05.000Z, ended 2026-01-02T03:05:06.789Z, host testhost\n"
	"\n"
	"model  count  throughput_rps  p50_us  p99_us  p999_us  errors  loss_pct  server_cpu_s  server_maxrss_kb  status\n"
	"uring  1               10.0      5.0     6.0      7.0       0     2.25          0.200               100  ok\n"
	"uring  2               20.0*     5.0     6.0      7.0       0     0.50*         0.200               100  ok\n"
	"\n"
	"* best in its column, among ok and failed cases: highest throughput, lowest latency, errors, loss, CPU and memory\n";

static void test_text(void **state)
{
	(void)state;
	char out[8192];
	assert_int_equal(report(out, sizeof(out), "--run", "1", NULL, NULL), 0);
	/* stdout is a pipe here: no colour. */
	assert_null(strchr(out, '\033'));
	assert_string_equal(out, golden_text);
	assert_int_equal(report(out, sizeof(out), "--format", "text", NULL, NULL), 0);
	assert_string_equal(out, golden_text_udp);
	assert_int_equal(report(out, sizeof(out), "--run", "last", NULL, NULL), 0);
	assert_string_equal(out, golden_text_udp);
	/* Reading leaves no WAL side files behind. */
	char side[160];
	snprintf(side, sizeof(side), "%s-wal", dbpath);
	assert_false(exists(side));
	snprintf(side, sizeof(side), "%s-shm", dbpath);
	assert_false(exists(side));
}

static void test_md(void **state)
{
	(void)state;
	char out[8192];
	assert_int_equal(report(out, sizeof(out), "--run", "1", "--format", "md"), 0);
	assert_string_equal(out, golden_md);
}

static void test_csv(void **state)
{
	(void)state;
	char out[8192];
	assert_int_equal(report(out, sizeof(out), "--run", "1", "--format", "csv"), 0);
	assert_string_equal(out, golden_csv);
}

/* -o writes exactly what stdout gets, and never colour. */
static void test_output_file(void **state)
{
	(void)state;
	char out[8192], path[160];
	path_in(path, sizeof(path), "r.txt");
	assert_int_equal(report(out, sizeof(out), "--run", "1", "-o", path), 0);
	assert_string_equal(out, "");
	char *got = read_all(path);
	assert_non_null(got);
	assert_string_equal(got, golden_text);
	free(got);
}

/* Run python3 CODE with the file at path on stdin; its stdout into out. */
static int python(const char *code, const char *path, char *out, size_t len)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' < '%s'", code, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static void test_json(void **state)
{
	(void)state;
	char out[8192], path[160];
	path_in(path, sizeof(path), "r.json");
	assert_int_equal(report(out, sizeof(out), "--run", "1", "--format", "json"), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(out, f);
	assert_int_equal(fclose(f), 0);
	static const char code[] =
		"import json, sys\n"
		"d = json.load(sys.stdin)\n"
		"assert sorted(d) == [\"cases\", \"run\"], sorted(d)\n"
		"r = d[\"run\"]\n"
		"assert r[\"id\"] == 1 and r[\"name\"] == \"demo\" and r[\"status\"] == \"failed\", r\n"
		"assert r[\"started\"] == \"2026-01-02T03:04:05.000Z\", r\n"
		"assert r[\"ended\"] == \"2026-01-02T03:05:06.789Z\", r\n"
		"assert r[\"varying_keys\"] == [\"server.model\", \"clients.count\"], r\n"
		"assert r[\"host\"] == \"testhost\" and r[\"cpus\"] == 4 and r[\"git\"] == \"abc123\", r\n"
		"assert r[\"scenario_path\"] == \"demo.yaml\" and len(r[\"scenario_sha256\"]) == 64, r\n"
		"c = d[\"cases\"]\n"
		"assert [x[\"index\"] for x in c] == [0, 1, 2, 3]\n"
		"assert [x[\"status\"] for x in c] == [\"ok\", \"ok\", \"ok\", \"failed\"]\n"
		"assert list(c[0][\"params\"]) == [\"server.proto\", \"server.model\", \"clients.count\", \"clients.note\"]\n"
		"assert c[1][\"params\"][\"server.model\"] == \"epoll\" and c[1][\"params\"][\"clients.count\"] == \"100\"\n"
		"assert c[0][\"params\"][\"clients.note\"] == \"a, \\\"quoted\\\" value\"\n"
		"assert c[1][\"metrics\"][\"throughput_rps\"] == 3000.5\n"
		"assert c[2][\"metrics\"][\"server.cpu_user_s\"] == 0.75\n"
		"assert c[0][\"metrics\"][\"server.accepted\"] == 10\n"
		"assert c[3][\"metrics\"][\"p99_us\"] is None\n"
		"assert len(c[3][\"metrics\"]) == 10, c[3][\"metrics\"]\n"
		"assert c[0][\"error\"] is None\n"
		"print(\"OK\")\n";
	char res[4096];
	int st = python(code, path, res, sizeof(res));
	if (st != 0 || strcmp(res, "OK\n") != 0)
		fail_msg("python3 check failed (status %d): %s\n%s", st, res, out);
}

/* Each error: exit 2, nothing on stdout, and no file created. */
static void expect_error(const char *db, const char *a1, const char *a2, const char *out_name)
{
	char out[4096], opath[160];
	path_in(opath, sizeof(opath), out_name);
	const char *args[] = {"--db", db, "-o", opath, a1, a2, NULL};
	assert_int_equal(tl_run_verb("report", out, sizeof(out), args), 2);
	assert_string_equal(out, "");
	assert_false(exists(opath));
}

static void test_errors(void **state)
{
	(void)state;
	char missing[160], empty[160];
	path_in(missing, sizeof(missing), "missing.db");
	expect_error(missing, NULL, NULL, "e1.txt");
	assert_false(exists(missing));

	/* A store with no runs. */
	path_in(empty, sizeof(empty), "empty.db");
	struct db *db;
	char err[256];
	assert_int_equal(db_open(empty, &db, err, sizeof(err)), 0);
	assert_int_equal(db_close(db), 0);
	expect_error(empty, NULL, NULL, "e2.txt");

	expect_error(dbpath, "--run", "99", "e3.txt");
	expect_error(dbpath, "--run", "abc", "e4.txt");
	expect_error(dbpath, "--format", "pdf", "e5.txt");
	expect_error(dbpath, "--bogus", NULL, "e6.txt");

	/* A file that is not a store is refused, and left as it was. */
	char junk[160];
	path_in(junk, sizeof(junk), "junk.db");
	FILE *f = fopen(junk, "w");
	assert_non_null(f);
	fputs("not sqlite", f);
	assert_int_equal(fclose(f), 0);
	expect_error(junk, NULL, NULL, "e7.txt");
	char *j = read_all(junk);
	assert_string_equal(j, "not sqlite");
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_md),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_output_file),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_errors),
	};
	return tl_run_group(tests, setup, teardown);
}
