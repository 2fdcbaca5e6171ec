/*
 * tests/unit/test_store.c — harness/store: migrations from an empty file,
 * idempotent re-open, refusal of a newer schema and of a foreign database
 * (the file left byte for byte) or of a path that is not a regular file,
 * the run/case/metric round trip, the case_summary/run_summary/
 * thresholds_failed views, histogram buckets and their CDF, JSON escaping
 * of parameters, typed parameter columns, varying keys, batching in
 * transactions, an interrupted run, argument errors, the capture rows of
 * schema version 2 and the upgrade from version 1, and crash safety: a
 * writer killed with SIGKILL mid-loop leaves a file whose integrity_check is
 * "ok" and that holds every run the writer had committed.
 *
 * Tests use ":memory:" unless the file itself (WAL, re-open, a second
 * connection, another process) is the point.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/sha256.h"
#include "harness/store/store.h"
#include "harness/store/store_int.h"   /* db_migrations, to build older files by hand */

/* ---- helpers ---- */

struct tmpdb {
	char dir[64];
	char path[96];
};

static void tmpdb_make(struct tmpdb *t)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/socklab-store-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof t->path, "%s/socklab.db", t->dir);
}

static void tmpdb_remove(struct tmpdb *t)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[128];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", t->path, suffix[i]);
		(void)unlink(p);
	}
	assert_int_equal(rmdir(t->dir), 0);
}

static struct db *open_ok(const char *path)
{
	struct db *db = NULL;
	char err[512] = "";
	int rc = db_open(path, &db, err, sizeof err);
	if (rc != 0)
		fail_msg("db_open(%s): %d %s", path, rc, err);
	assert_non_null(db);
	return db;
}

/* First column of the first row as an integer (0 when there is no row). */
static int64_t q_int(struct db *db, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db_sqlite(db)));
	int64_t v = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db_sqlite(db)));
	sqlite3_finalize(st);
	return v;
}

static double q_real(struct db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	double v = sqlite3_column_type(st, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* First column as text into out ("<null>" for NULL, "" for no row). */
static const char *q_text(struct db *db, char *out, size_t len, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db_sqlite(db)));
	out[0] = '\0';
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(out, len, "%s", t ? (const char *)t : "<null>");
	} else if (rc != SQLITE_DONE) {
		fail_msg("%s: %s", sql, sqlite3_errmsg(db_sqlite(db)));
	}
	sqlite3_finalize(st);
	return out;
}

static const struct db_host test_host = {
	.host = "testhost", .kernel = "Linux 6.1.0 test x86_64", .cpu_model = "Test CPU", .cpus = 4,
};

static int64_t begin_run(struct db *db, const char *name)
{
	struct db_run_meta m = {
		.name = name, .scenario_path = "scenarios/t.yaml",
		.scenario_text = "name: t\n", .host = &test_host,
	};
	int64_t id = -1;
	assert_int_equal(db_run_begin(db, &m, &id), 0);
	assert_true(id > 0);
	return id;
}

/* SHA-256 of a whole file, hex, to prove that a refused file is left
 * byte for byte as it was. */
static void file_sha256(const char *path, char hex[SHA256_HEX_LEN])
{
	char *text = tl_read_file(path);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	/* A SQLite file holds NUL bytes: hash the size it has on disk. */
	sha256_hex(text, (size_t)st.st_size, hex);
	free(text);
}

/* No -wal, -shm or -journal beside path. */
static void assert_no_side_files(const char *path)
{
	static const char *const suffix[] = {"-wal", "-shm", "-journal"};
	char p[160];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		if (access(p, F_OK) == 0)
			fail_msg("%s exists after db_open refused %s", p, path);
	}
}

/* ---- schema and migrations ---- */

static void test_migrate_from_empty(void **state)
{
	(void)state;
	struct tmpdb t;
	char buf[64];
	tmpdb_make(&t);
	struct db *db = open_ok(t.path);

	assert_true(db_schema_version() >= 1);
	assert_int_equal(q_int(db, "SELECT max(version) FROM schema_version"), db_schema_version());
	assert_int_equal(q_int(db, "SELECT count(*) FROM schema_version"), db_schema_version());
	static const char *const objects[] = {
		"runs", "cases", "metrics", "hist_buckets", "thresholds", "case_metrics",
		"case_summary", "run_summary", "thresholds_failed", "hist_cdf",
		"capture_info", "flows", "segments", "capture_summary",
	};
	for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++)
		assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = '%s'",
				       objects[i]), 1);
	assert_string_equal(q_text(db, buf, sizeof buf, "PRAGMA journal_mode"), "wal");
	assert_int_equal(q_int(db, "PRAGMA synchronous"), 1);   /* NORMAL */
	assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(q_int(db, "PRAGMA busy_timeout"), DB_BUSY_TIMEOUT_MS);
	assert_int_equal(q_int(db, "PRAGMA application_id"), 1936419938);
	/* Views run on an empty store. */
	assert_int_equal(q_int(db, "SELECT count(*) FROM case_summary"), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM run_summary"), 0);
	assert_int_equal(db_close(db), 0);
	tmpdb_remove(&t);
}

static void test_reopen_is_idempotent(void **state)
{
	(void)state;
	struct tmpdb t;
	tmpdb_make(&t);
	struct db *db = open_ok(t.path);
	int64_t run = begin_run(db, "first");
	assert_int_equal(db_run_end(db, run, DB_OK), 0);
	assert_int_equal(db_close(db), 0);

	for (int i = 0; i < 3; i++) {
		db = open_ok(t.path);
		assert_int_equal(q_int(db, "SELECT count(*) FROM schema_version"), db_schema_version());
		assert_int_equal(q_int(db, "SELECT count(*) FROM runs"), 1);
		assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE id = %lld AND status = 'ok'",
				       (long long)run), 1);
		assert_int_equal(db_close(db), 0);
	}
	tmpdb_remove(&t);
}

static void test_newer_version_refused(void **state)
{
	(void)state;
	struct tmpdb t;
	tmpdb_make(&t);
	struct db *db = open_ok(t.path);
	int newer = db_schema_version() + 5;
	char sql[128];
	snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d, 'future')", newer);
	assert_int_equal(sqlite3_exec(db_sqlite(db), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_close(db), 0);

	char err[512] = "", want_new[32], want_known[32];
	db = (struct db *)&err;   /* must be reset to NULL on failure */
	assert_int_equal(db_open(t.path, &db, err, sizeof err), -ENOTSUP);
	assert_null(db);
	snprintf(want_new, sizeof want_new, "version %d", newer);
	snprintf(want_known, sizeof want_known, "(%d)", db_schema_version());
	assert_non_null(strstr(err, t.path));
	assert_non_null(strstr(err, want_new));
	assert_non_null(strstr(err, want_known));
	tmpdb_remove(&t);
}

/*
 * A file left at version v by an older socklab (built here by applying the
 * first v migrations by hand, with a run in it) is brought to the current
 * version by db_open and keeps its data. Version 1 -> 2 is a real upgrade:
 * the version-1 file holds a case with metrics, a threshold and histogram
 * buckets; after it, case_summary (re-created by migration 2) shows the same
 * values with capture_status NULL, the capture tables are there and empty,
 * and the old case takes capture rows. v = n checks the hand-built file at
 * the current version.
 */
static void test_upgrade_from_each_older_version(void **state)
{
	(void)state;
	size_t n;
	const char *const *mig = db_migrations(&n);

	assert_int_equal((int)n, db_schema_version());
	for (size_t v = 1; v <= n; v++) {
		struct tmpdb t;
		sqlite3 *raw = NULL;
		char sql[128];
		tmpdb_make(&t);
		assert_int_equal(sqlite3_open(t.path, &raw), SQLITE_OK);
		assert_int_equal(sqlite3_exec(raw, "CREATE TABLE schema_version ("
					      " version INTEGER PRIMARY KEY, applied TEXT NOT NULL)",
					      NULL, NULL, NULL), SQLITE_OK);
		for (size_t i = 0; i < v; i++) {
			assert_int_equal(sqlite3_exec(raw, mig[i], NULL, NULL, NULL), SQLITE_OK);
			snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%zu, 'old')", i + 1);
			assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
		}
		/* Columns of version 1, which later versions keep. */
		assert_int_equal(sqlite3_exec(raw, "INSERT INTO runs (id, name, status, started)"
					      " VALUES (7, 'old run', 'ok', '2024-01-01T00:00:00.000Z');"
					      "INSERT INTO cases (id, run_id, idx, started, status, model,"
					      " clients, nodelay) VALUES (70, 7, 0, 'x', 'ok', 'epoll', 10, 1);"
					      "INSERT INTO metrics VALUES (70, 'throughput_rps', 1234.5),"
					      " (70, 'p99_us', 321), (70, 'server.cpu_user_s', 1.5),"
					      " (70, 'server.cpu_sys_s', 0.25);"
					      "INSERT INTO thresholds (case_id, expr, passed, observed)"
					      " VALUES (70, 'p99_us < 100', 0, 321);"
					      "INSERT INTO hist_buckets VALUES (70, 'latency_ns', 1000, 3),"
					      " (70, 'latency_ns', 2000, 1)",
					      NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_close(raw), SQLITE_OK);

		struct db *db = open_ok(t.path);
		assert_int_equal(q_int(db, "SELECT max(version) FROM schema_version"), (int64_t)n);
		assert_int_equal(q_int(db, "SELECT count(*) FROM schema_version"), (int64_t)n);
		assert_int_equal(q_int(db, "SELECT count(*) FROM run_summary WHERE id = 7 AND cases = 1"
				       " AND thresholds_failed = 1"), 1);
		/* The version-1 view columns, same values, through the re-created view. */
		assert_int_equal(q_int(db, "SELECT count(*) FROM case_summary WHERE case_id = 70"
				       " AND run_id = 7 AND case_index = 0 AND model = 'epoll'"
				       " AND clients = 10 AND nodelay = 1 AND throughput_rps = 1234.5"
				       " AND p99_us = 321 AND server_cpu_s = 1.75 AND thresholds_failed = 1"
				       " AND status = 'ok' AND capture_status IS NULL"), 1);
		assert_int_equal(q_int(db, "SELECT sum(count) FROM hist_cdf WHERE case_id = 70"), 4);
		assert_int_equal(q_int(db, "SELECT count(*) FROM capture_info"), 0);
		assert_int_equal(q_int(db, "SELECT count(*) FROM flows"), 0);
		assert_int_equal(q_int(db, "SELECT count(*) FROM segments"), 0);
		assert_int_equal(q_int(db, "SELECT count(*) FROM capture_summary"), 0);
		/* The upgraded case takes capture rows. */
		struct db_capture dc = {.status = DB_CAP_UNAVAILABLE, .reason = "no permission",
					.iface = "lo", .snaplen = 256, .buffer_bytes = -1,
					.immediate = -1, .link_type = -1, .mtu = 65536,
					.tso = 1, .gso = -1, .gro = 0, .received = -1,
					.dropped = -1, .if_dropped = -1, .captured = -1,
					.malformed = -1, .segments_seen = -1,
					.segments_stored = -1, .segments_capped = -1};
		assert_int_equal(db_case_capture(db, 70, &dc), 0);
		assert_int_equal(db_tx_begin(db), 0);
		assert_int_equal(db_tx_commit(db), 0);
		assert_int_equal(q_int(db, "SELECT count(*) FROM capture_summary WHERE case_id = 70"
				       " AND capture_status = 'unavailable' AND capture_error ="
				       " 'no permission' AND mtu = 65536 AND tso = 1 AND gso IS NULL"
				       " AND gro = 0 AND pkts_dropped IS NULL"), 1);
		assert_string_equal(q_text(db, sql, sizeof sql, "PRAGMA integrity_check"), "ok");
		assert_string_equal(q_text(db, sql, sizeof sql, "PRAGMA foreign_key_check"), "");
		assert_int_equal(db_close(db), 0);
		tmpdb_remove(&t);
	}
}

static void test_foreign_database_refused(void **state)
{
	(void)state;
	struct tmpdb t;
	sqlite3 *raw = NULL;
	tmpdb_make(&t);
	assert_int_equal(sqlite3_open(t.path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA application_id = 42; CREATE TABLE x(y)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(raw), SQLITE_OK);

	char before[SHA256_HEX_LEN], after[SHA256_HEX_LEN];
	file_sha256(t.path, before);
	struct db *db = NULL;
	char err[512] = "";
	assert_int_equal(db_open(t.path, &db, err, sizeof err), -EINVAL);
	assert_null(db);
	assert_non_null(strstr(err, "not a socklab store"));
	/* Refused before anything is written: not even switched to WAL. */
	file_sha256(t.path, after);
	assert_string_equal(after, before);
	assert_no_side_files(t.path);
	tmpdb_remove(&t);
}

/* A database without socklab's application_id that holds tables of its
 * own is not written into: no table added, its data intact. */
static void test_foreign_db_without_app_id_refused(void **state)
{
	(void)state;
	struct tmpdb t;
	sqlite3 *raw = NULL;
	tmpdb_make(&t);
	assert_int_equal(sqlite3_open(t.path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE notes(x); INSERT INTO notes VALUES (1)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(raw), SQLITE_OK);

	char before[SHA256_HEX_LEN], after[SHA256_HEX_LEN];
	file_sha256(t.path, before);
	struct db *db = NULL;
	char err[512] = "";
	assert_int_equal(db_open(t.path, &db, err, sizeof err), -EINVAL);
	assert_null(db);
	assert_non_null(strstr(err, "not a socklab store"));
	file_sha256(t.path, after);
	assert_string_equal(after, before);
	assert_no_side_files(t.path);
	assert_int_equal(sqlite3_open(t.path, &raw), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*) FROM sqlite_master", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_close(raw), SQLITE_OK);
	tmpdb_remove(&t);
}

/* A path that is neither a regular file nor absent is refused before
 * SQLite opens it: a directory, a character device (where SQLite would
 * leave DEV-journal beside it, e.g. /dev/null-journal). */
static void test_not_a_regular_file_refused(void **state)
{
	(void)state;
	struct tmpdb t;
	struct db *db = NULL;
	char err[512] = "";
	tmpdb_make(&t);

	assert_int_equal(db_open(t.dir, &db, err, sizeof err), -EINVAL);
	assert_null(db);
	assert_non_null(strstr(err, t.dir));
	assert_non_null(strstr(err, "not a regular file"));

	/* A null device of our own in the temporary directory, so that the
	 * unfixed code would litter there rather than in /dev. */
	char dev[128];
	snprintf(dev, sizeof dev, "%s/null", t.dir);
	if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) == 0) {
		err[0] = '\0';
		assert_int_equal(db_open(dev, &db, err, sizeof err), -EINVAL);
		assert_null(db);
		assert_non_null(strstr(err, "not a regular file"));
		assert_no_side_files(dev);
		assert_int_equal(unlink(dev), 0);
		/* /dev/null itself, only once the same refusal is proven on
		 * the copy (it creates nothing). */
		err[0] = '\0';
		assert_int_equal(db_open("/dev/null", &db, err, sizeof err), -EINVAL);
		assert_non_null(strstr(err, "/dev/null: not a regular file"));
		assert_no_side_files("/dev/null");
	} else {
		printf("mknod: %s: the character device case is not tested\n", strerror(errno));
	}
	/* A path that does not exist yet is created, as before. */
	struct db *ok = open_ok(t.path);
	assert_int_equal(db_close(ok), 0);
	tmpdb_remove(&t);
}

/* ---- runs, cases, metrics ---- */

static void test_run_case_metric_round_trip(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	char buf[256], sha[SHA256_HEX_LEN];
	const char *text = "name: echo\nserver: {model: epoll}\n";
	struct db_run_meta m = {
		.name = "echo", .scenario_path = "scenarios/echo.yaml", .scenario_text = text,
	};
	int64_t run, c;

	assert_int_equal(db_run_begin(db, &m, &run), 0);
	sha256_hex(text, strlen(text), sha);
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT scenario_sha256 FROM runs"), sha);
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT scenario_text FROM runs"), text);
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT scenario_path FROM runs"),
			    "scenarios/echo.yaml");
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT status FROM runs"), "running");
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT version FROM runs"), SOCKLAB_VERSION);
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT git FROM runs"), SOCKLAB_GIT);
	assert_int_equal(q_int(db, "SELECT pid FROM runs"), getpid());
	/* Host metadata came from db_host_meta. */
	assert_true(q_int(db, "SELECT length(host) > 0 AND kernel LIKE 'Linux %%'"
			      " AND length(cpu_model) > 0 AND cpus >= 1 FROM runs"));
	/* Start time: UTC ISO 8601 with milliseconds, which SQLite can read. */
	q_text(db, buf, sizeof buf, "SELECT started FROM runs");
	assert_int_equal(strlen(buf), 24);
	assert_int_equal(buf[10], 'T');
	assert_int_equal(buf[19], '.');
	assert_int_equal(buf[23], 'Z');
	assert_int_equal(q_int(db, "SELECT julianday(started) IS NOT NULL FROM runs"), 1);

	const struct db_param p[] = {
		{"server.model", "epoll"}, {"server.handler", "echo"}, {"clients.count", "100"},
	};
	assert_int_equal(db_case_begin(db, run, 0, p, 3, &c), 0);
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT status FROM cases"), "running");
	assert_int_equal(db_case_metric(db, c, DB_M_REQUESTS, 12345), 0);
	assert_int_equal(db_case_metric(db, c, DB_M_P99_US, 250.5), 0);
	assert_int_equal(db_case_metric(db, c, "server.accepted", 100), 0);
	assert_int_equal(db_case_metric(db, c, DB_M_P99_US, 251.5), 0);   /* replaces */
	assert_int_equal(db_case_metric(db, c, "p999_us", NAN), 0);      /* NULL */
	assert_int_equal(db_case_end(db, c, DB_OK, NULL), 0);
	assert_int_equal(db_run_end(db, run, DB_OK), 0);

	assert_int_equal(q_int(db, "SELECT count(*) FROM metrics WHERE case_id = %lld", (long long)c), 4);
	assert_true(q_real(db, "SELECT value FROM metrics WHERE name = 'p99_us'") == 251.5);
	assert_true(q_real(db, "SELECT value FROM metrics WHERE name = 'requests'") == 12345);
	assert_true(isnan(q_real(db, "SELECT value FROM metrics WHERE name = 'p999_us'")));
	assert_int_equal(q_int(db, "SELECT value FROM case_metrics WHERE name = 'server.accepted'"
			       " AND run_id = %lld AND case_index = 0", (long long)run), 100);
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT params FROM cases"),
			    "{\"server.model\":\"epoll\",\"server.handler\":\"echo\",\"clients.count\":\"100\"}");
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT status || ' ' || (ended >= started)"
				   " FROM cases"), "ok 1");
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT status || ' ' || (ended >= started)"
				   " FROM runs"), "ok 1");
	assert_int_equal(db_close(db), 0);
}

/* Capture rows: status and self-check, flows oriented client -> server,
 * segments with NULLs for UDP, the capture_summary view, deleting a run
 * removes them all, and bad arguments. */
/* Schema 4: the children's command lines, each in its column. */
static void test_case_commands(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	char buf[256];
	struct db_run_meta m = {.name = "cmd"};
	int64_t run, c;
	assert_int_equal(db_run_begin(db, &m, &run), 0);
	assert_int_equal(db_case_begin(db, run, 0, NULL, 0, &c), 0);
	assert_int_equal(db_case_command(db, c, DB_CHILD_SERVER, "socklab serve --port 0"), 0);
	assert_int_equal(db_case_command(db, c, DB_CHILD_RELAY, "socklab relay --seed 1"), 0);
	assert_int_equal(db_case_command(db, c, DB_CHILD_SERVER, NULL), -EINVAL);
	assert_int_equal(db_case_command(db, c, (enum db_child)7, "x"), -EINVAL);
	assert_int_equal(db_case_command(db, c + 1, DB_CHILD_SERVER, "x"), -ENOENT);
	assert_int_equal(db_case_end(db, c, DB_OK, NULL), 0);
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT server_cmd FROM cases"),
			    "socklab serve --port 0");
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT relay_cmd FROM cases"),
			    "socklab relay --seed 1");
	db_close(db);
}

static void test_capture_rows(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	char buf[256];
	int64_t run = begin_run(db, "sticky"), c, tcp, udp;
	const struct db_param p[] = {{"clients.nodelay", "true"}};

	assert_int_equal(db_case_begin(db, run, 0, p, 1, &c), 0);
	struct db_capture dc = {
		.status = DB_CAP_OK, .iface = "lo", .filter = "tcp port 40123 or udp port 40123",
		.start_utc = "2024-01-01T00:00:00.000Z", .snaplen = 256, .buffer_bytes = 25165824,
		.immediate = 1, .link_type = 1, .mtu = 65536, .tso = 1, .gso = 1, .gro = 1,
		.received = 600, .dropped = 0, .if_dropped = 0, .captured = 300, .malformed = 0,
		.segments_seen = 3, .segments_stored = 3, .segments_capped = 0,
	};
	assert_int_equal(db_case_capture(db, c, &dc), 0);
	struct db_flow f = {
		.idx = 0, .proto = "tcp", .ipver = 4, .client_addr = "127.0.0.1",
		.server_addr = "127.0.0.1", .client_port = 50000, .server_port = 40123,
		.first_ns = 10, .last_ns = 5000,
		.c2s = {.packets = 12, .bytes = 900, .segments = 10, .payload_bytes = 60, .retrans = 1},
		.s2c = {.packets = 11, .bytes = 800, .segments = 9, .payload_bytes = 60},
	};
	assert_int_equal(db_capture_flow(db, c, &f, &tcp), 0);
	assert_int_equal(db_capture_flow(db, c, &f, &udp), -EINVAL);   /* same flow twice */
	f.idx = 1;
	f.proto = "udp";
	assert_int_equal(db_capture_flow(db, c, &f, &udp), 0);
	const struct db_segment segs[] = {
		{.dir = 0, .t_ns = 10, .rel_seq = 0, .rel_ack = -1, .len = 0, .flags = 0x02},
		{.dir = 0, .t_ns = 20, .rel_seq = 1, .rel_ack = 1, .len = 6, .flags = 0x18},
		{.dir = 1, .t_ns = 30, .rel_seq = 1, .rel_ack = 7, .len = 6, .flags = 0x18,
		 .retrans = true},
	};
	assert_int_equal(db_capture_segments(db, tcp, segs, 3), 0);
	const struct db_segment dg = {.dir = 0, .t_ns = 40, .rel_seq = -1, .rel_ack = -1,
				      .len = 64, .flags = -1};
	assert_int_equal(db_capture_segments(db, udp, &dg, 1), 0);
	const struct db_segment bad = {.dir = 2};
	assert_int_equal(db_capture_segments(db, udp, &bad, 1), -EINVAL);
	assert_int_equal(db_capture_segments(db, 9999, &dg, 1), -ENOENT);   /* no such flow */
	dc.status = (enum db_capture_status)7;
	assert_int_equal(db_case_capture(db, c, &dc), -EINVAL);
	dc.status = DB_CAP_OK;
	assert_int_equal(db_case_capture(db, 9999, &dc), -ENOENT);
	assert_int_equal(db_case_end(db, c, DB_OK, NULL), 0);
	assert_int_equal(db_run_end(db, run, DB_OK), 0);

	assert_string_equal(q_text(db, buf, sizeof buf,
				   "SELECT capture_status || ' ' || flows || ' ' || segments_c2s || ' '"
				   " || segments_s2c || ' ' || retrans || ' ' || pkts_dropped || ' '"
				   " || nodelay FROM capture_summary"), "ok 2 20 18 2 0 1");
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT capture_status FROM case_summary"),
			    "ok");
	assert_int_equal(q_int(db, "SELECT count(*) FROM segments s JOIN flows f ON f.id = s.flow_id"
			       " WHERE f.proto = 'tcp' AND s.dir = 'c2s'"), 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM segments WHERE flow_id = %lld AND rel_seq"
			       " IS NULL AND flags IS NULL AND len = 64", (long long)udp), 1);
	assert_int_equal(q_int(db, "SELECT retrans FROM segments WHERE dir = 's2c'"), 1);
	assert_int_equal(q_int(db, "SELECT rel_ack IS NULL FROM segments WHERE t_ns = 10"), 1);

	assert_int_equal(sqlite3_exec(db_sqlite(db), "DELETE FROM runs", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(q_int(db, "SELECT (SELECT count(*) FROM capture_info)"
			       " + (SELECT count(*) FROM flows) + (SELECT count(*) FROM segments)"), 0);
	assert_int_equal(db_close(db), 0);
}

static void test_case_summary_pivots(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	char buf[256];
	int64_t run = begin_run(db, "compare"), c0, c1;
	const struct db_param p0[] = {{"server.model", "thread"}, {"clients.count", "10"}};
	const struct db_param p1[] = {{"server.model", "epoll"}, {"clients.count", "100"}};

	assert_int_equal(db_case_begin(db, run, 0, p0, 2, &c0), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_THROUGHPUT_RPS, 5000), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_REQUESTS, 50000), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_ERRORS, 0), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_P50_US, 80), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_P99_US, 900), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_P999_US, 1500), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_MAX_US, 4000), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_SRV_CPU_USER_S, 1.25), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_SRV_CPU_SYS_S, 0.5), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_SRV_MAXRSS_KB, 4096), 0);
	assert_int_equal(db_case_threshold(db, c0, "p99_us < 2000", true, 900), 0);
	assert_int_equal(db_case_end(db, c0, DB_OK, NULL), 0);

	assert_int_equal(db_case_begin(db, run, 1, p1, 2, &c1), 0);
	assert_int_equal(db_case_metric(db, c1, DB_M_THROUGHPUT_RPS, 20000), 0);
	assert_int_equal(db_case_metric(db, c1, DB_M_ERRORS, 3), 0);
	assert_int_equal(db_case_metric(db, c1, DB_M_P99_US, 2500), 0);
	assert_int_equal(db_case_metric(db, c1, DB_M_LOSS_PCT, 0.25), 0);
	assert_int_equal(db_case_threshold(db, c1, "p99_us < 2000", false, 2500), 0);
	assert_int_equal(db_case_threshold(db, c1, "errors == 0", false, 3), 0);
	assert_int_equal(db_case_threshold(db, c1, "loss_pct < 1", true, 0.25), 0);
	assert_int_equal(db_case_end(db, c1, DB_FAILED, NULL), 0);
	assert_int_equal(db_run_end(db, run, DB_FAILED), 0);

	assert_int_equal(q_int(db, "SELECT count(*) FROM case_summary"), 2);
	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT printf('%%d %%d %%s %%d %%g %%g %%g %%g %%g %%g %%g %%s %%g %%g %%d %%s',"
		" run_id = %lld, case_index, model, clients, throughput_rps, requests, errors,"
		" p50_us, p99_us, p999_us, max_us, quote(loss_pct), server_cpu_s,"
		" server_maxrss_kb, thresholds_failed, status)"
		" FROM case_summary WHERE case_index = 0", (long long)run),
		"1 0 thread 10 5000 50000 0 80 900 1500 4000 NULL 1.75 4096 0 ok");
	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT printf('%%s %%d %%g %%s %%g %%g %%s %%s %%d %%s', model, clients,"
		" throughput_rps, quote(requests), errors, p99_us, quote(server_cpu_s),"
		" quote(loss_pct), thresholds_failed, status)"
		" FROM case_summary WHERE case_index = 1"),
		"epoll 100 20000 NULL 3 2500 NULL 0.25 2 failed");

	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT printf('%%s %%s %%d %%d %%d %%d', name, status, cases, cases_not_ok,"
		" thresholds_failed, duration_s >= 0) FROM run_summary WHERE id = %lld", (long long)run),
		"compare failed 2 1 2 1");
	assert_int_equal(q_int(db, "SELECT count(*) FROM thresholds_failed"), 2);
	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT group_concat(expr || '=' || observed, ';') FROM thresholds_failed"),
		"p99_us < 2000=2500.0;errors == 0=3.0");
	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT run_name || ' ' || case_index || ' ' || model FROM thresholds_failed"),
		"compare 1 epoll");
	assert_int_equal(db_close(db), 0);
}

static void test_histogram_buckets(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	int64_t run = begin_run(db, "hist"), c;
	char buf[256];
	const struct db_bucket b[] = {
		{1000, 50}, {2000, 0}, {3000, 40}, {1000, 10}, {10000, 0}, {50000, 9}, {1000000, 1},
	};

	assert_int_equal(db_case_begin(db, run, 0, NULL, 0, &c), 0);
	assert_int_equal(db_case_hist(db, c, "latency_ns", b, 7), 0);
	/* Zero counts are not stored; a repeated value adds up. */
	assert_int_equal(q_int(db, "SELECT count(*) FROM hist_buckets"), 4);
	assert_int_equal(q_int(db, "SELECT count FROM hist_buckets WHERE value = 1000"), 60);
	assert_int_equal(q_int(db, "SELECT sum(count) FROM hist_buckets"), 110);
	/* Cumulative distribution and a percentile from it. */
	assert_int_equal(q_int(db, "SELECT cum_count FROM hist_cdf WHERE value = 3000"), 100);
	assert_int_equal(q_int(db, "SELECT min(value) FROM hist_cdf WHERE case_id = %lld"
			       " AND name = 'latency_ns' AND cum_frac >= 0.99", (long long)c), 50000);
	assert_int_equal(q_int(db, "SELECT cum_frac = 1.0 FROM hist_cdf WHERE value = 1000000"), 1);

	/* Writing the histogram again replaces it; another name is separate. */
	const struct db_bucket b2[] = {{7, 3}};
	assert_int_equal(db_case_hist(db, c, "latency_ns", b2, 1), 0);
	assert_int_equal(db_case_hist(db, c, "size_bytes", b, 2), 0);
	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT group_concat(name || ':' || value || 'x' || count, ' ') FROM"
		" (SELECT * FROM hist_buckets ORDER BY name, value)"),
		"latency_ns:7x3 size_bytes:1000x50");

	/* A failing histogram changes nothing (all or nothing). */
	const struct db_bucket huge[] = {{1, 1}, {2, UINT64_MAX}};
	assert_int_equal(db_case_hist(db, c, "latency_ns", huge, 2), -EINVAL);
	assert_int_equal(db_case_hist(db, 999999, "latency_ns", b2, 1), -ENOENT);
	assert_int_equal(q_int(db, "SELECT count FROM hist_buckets WHERE name = 'latency_ns'"), 3);
	assert_int_equal(db_case_end(db, c, DB_OK, NULL), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM hist_buckets"), 2);
	assert_int_equal(db_close(db), 0);
}

/* ---- parameters ---- */

static void test_params_json_escaping(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	const char *nasty = "say \"hi\"\\ \n\t\r\b\f\x01\x1f caf\xc3\xa9 {}[],:";
	const struct db_param p[] = {
		{"a\"key", "x"}, {"back\\slash", "C:\\dir\\"}, {"ctl", nasty}, {"empty", ""},
	};
	char *json = NULL, buf[256];

	assert_int_equal(db_params_json(p, 4, &json), 0);
	assert_string_equal(json,
		"{\"a\\\"key\":\"x\",\"back\\\\slash\":\"C:\\\\dir\\\\\",\"ctl\":"
		"\"say \\\"hi\\\"\\\\ \\n\\t\\r\\b\\f\\u0001\\u001f caf\xc3\xa9 {}[],:\",\"empty\":\"\"}");
	free(json);
	assert_int_equal(db_params_json(NULL, 0, &json), 0);
	assert_string_equal(json, "{}");
	free(json);

	/* Stored, the JSON is valid and each value reads back byte for byte. */
	int64_t run = begin_run(db, "json"), c;
	assert_int_equal(db_case_begin(db, run, 0, p, 4, &c), 0);
	assert_int_equal(q_int(db, "SELECT json_valid(params) FROM cases"), 1);
	assert_string_equal(q_text(db, buf, sizeof buf,
				   "SELECT json_extract(params, '$.\"ctl\"') FROM cases"), nasty);
	assert_string_equal(q_text(db, buf, sizeof buf,
				   "SELECT value FROM cases, json_each(params) WHERE key = 'a\"key'"), "x");
	assert_string_equal(q_text(db, buf, sizeof buf,
				   "SELECT value FROM cases, json_each(params) WHERE key = 'back\\slash'"),
			    "C:\\dir\\");
	assert_string_equal(q_text(db, buf, sizeof buf,
				   "SELECT group_concat(key, '|') FROM cases, json_each(params)"),
			    "a\"key|back\\slash|ctl|empty");

	/* A repeated or NULL key is refused and nothing is written. */
	const struct db_param dup[] = {{"k", "1"}, {"k", "2"}};
	const struct db_param null_value[] = {{"k", NULL}};
	assert_int_equal(db_case_begin(db, run, 1, dup, 2, &c), -EINVAL);
	assert_non_null(strstr(db_errmsg(db), "repeated"));
	assert_int_equal(db_case_begin(db, run, 1, null_value, 1, &c), -EINVAL);
	assert_int_equal(q_int(db, "SELECT count(*) FROM cases"), 1);
	assert_int_equal(db_close(db), 0);
}

static void test_param_columns(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	char buf[512];
	int64_t run = begin_run(db, "cols"), c;
	const struct db_param p[] = {
		{"server.proto", "tcp"}, {"server.model", "prefork"}, {"server.handler", "sleep:10"},
		{"server.workers", "4"}, {"clients.count", "100"}, {"clients.duration", "200ms"},
		{"clients.size", "4k"}, {"clients.framing", "length"}, {"clients.pattern", "split:3"},
		{"clients.nodelay", "true"}, {"clients.rate", "5000"},
	};
	assert_int_equal(db_case_begin(db, run, 0, p, 11, &c), 0);
	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT printf('%%s %%s %%s %%d %%d %%g %%d %%s %%s %%d %%g', proto, model, handler,"
		" workers, clients, duration_s, size, framing, pattern, nodelay, rate) FROM cases"),
		"tcp prefork sleep:10 4 100 0.2 4096 length split:3 1 5000");
	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT typeof(workers) || typeof(clients) || typeof(duration_s) || typeof(size)"
		" || typeof(nodelay) || typeof(rate) FROM cases"),
		"integerintegerrealintegerintegerreal");

	/* Unparseable values keep their text; absent keys are NULL; suffix fallback. */
	const struct db_param q[] = {
		{"target.proto", "udp"}, {"clients.size", "64..1024"}, {"clients.nodelay", "maybe"},
		{"duration", "2m"}, {"clients.rate", "1.5e3/s"},
	};
	assert_int_equal(db_case_begin(db, run, 1, q, 5, &c), 0);
	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT printf('%%s %%s %%s %%s %%g %%g %%s', proto, size, nodelay, quote(model),"
		" duration_s, rate, quote(clients)) FROM cases WHERE idx = 1"),
		"udp 64..1024 maybe NULL 120 1500 NULL");
	assert_int_equal(db_close(db), 0);
}

static void test_varying_keys(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	char buf[256];
	int64_t run = begin_run(db, "vary"), c;
	const char *const keys[] = {"server.model", "clients.count"};

	assert_int_equal(db_run_set_varying(db, run, keys, 2), 0);
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT varying_keys FROM runs"),
			    "[\"server.model\",\"clients.count\"]");
	const char *const dup[] = {"a", "a"};
	assert_int_equal(db_run_set_varying(db, run, dup, 2), -EINVAL);
	assert_int_equal(db_run_set_varying(db, 4242, keys, 2), -ENOENT);
	assert_int_equal(db_run_end(db, run, DB_OK), 0);   /* does not overwrite */
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT varying_keys FROM run_summary"),
			    "[\"server.model\",\"clients.count\"]");

	/* Never set: derived at db_run_end from the cases, in params order. */
	int64_t run2 = begin_run(db, "derived");
	const char *models[] = {"thread", "epoll"}, *counts[] = {"1", "10"};
	size_t idx = 0;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			const struct db_param p[] = {
				{"server.proto", "tcp"}, {"server.model", models[i]},
				{"clients.count", counts[j]}, {"clients.size", "64"},
			};
			assert_int_equal(db_case_begin(db, run2, idx++, p, 4, &c), 0);
			assert_int_equal(db_case_end(db, c, DB_OK, NULL), 0);
		}
	assert_int_equal(db_run_end(db, run2, DB_OK), 0);
	assert_string_equal(q_text(db, buf, sizeof buf, "SELECT varying_keys FROM runs WHERE id = %lld",
				   (long long)run2), "[\"server.model\",\"clients.count\"]");
	assert_int_equal(db_close(db), 0);
}

/* ---- transactions, statuses, errors ---- */

static void test_batching_and_transactions(void **state)
{
	(void)state;
	struct tmpdb t;
	tmpdb_make(&t);
	struct db *db = open_ok(t.path), *reader = open_ok(t.path);
	int64_t run = begin_run(db, "batch"), c;

	/* Begin of run and case are visible to another connection at once. */
	assert_int_equal(db_case_begin(db, run, 0, NULL, 0, &c), 0);
	assert_int_equal(q_int(reader, "SELECT count(*) FROM cases"), 1);
	/* Metrics wait in the implicit batch until the case ends. */
	for (int i = 0; i < 100; i++) {
		char name[32];
		snprintf(name, sizeof name, "m%d", i);
		assert_int_equal(db_case_metric(db, c, name, i), 0);
	}
	assert_int_equal(q_int(reader, "SELECT count(*) FROM metrics"), 0);
	assert_int_equal(db_case_end(db, c, DB_OK, NULL), 0);
	assert_int_equal(q_int(reader, "SELECT count(*) FROM metrics"), 100);

	/* Explicit transactions nest; only the outermost commit publishes. */
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(db_case_begin(db, run, 1, NULL, 0, &c), 0);
	assert_int_equal(db_case_metric(db, c, "x", 1), 0);
	assert_int_equal(db_case_end(db, c, DB_OK, NULL), 0);   /* does not commit here */
	assert_int_equal(db_tx_commit(db), 0);
	assert_int_equal(q_int(reader, "SELECT count(*) FROM cases"), 1);
	assert_int_equal(db_tx_commit(db), 0);
	assert_int_equal(q_int(reader, "SELECT count(*) FROM cases"), 2);
	assert_int_equal(db_tx_commit(db), -EINVAL);

	/* Rollback discards; an open batch joins an explicit transaction. */
	assert_int_equal(db_case_metric(db, c, "y", 2), 0);
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(db_case_metric(db, c, "z", 3), 0);
	assert_int_equal(db_tx_rollback(db), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM metrics WHERE name IN ('y', 'z')"), 0);
	assert_int_equal(db_tx_rollback(db), -EINVAL);

	/* db_close commits an open batch. */
	assert_int_equal(db_case_metric(db, c, "w", 4), 0);
	assert_int_equal(db_close(db), 0);
	assert_int_equal(q_int(reader, "SELECT count(*) FROM metrics WHERE name = 'w'"), 1);
	assert_int_equal(db_close(reader), 0);
	tmpdb_remove(&t);
}

static void test_interrupted_run_keeps_partial_cases(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	char buf[256];
	int64_t run = begin_run(db, "ctrl-c"), c0, c1;

	assert_int_equal(db_case_begin(db, run, 0, NULL, 0, &c0), 0);
	assert_int_equal(db_case_metric(db, c0, DB_M_REQUESTS, 1000), 0);
	assert_int_equal(db_case_end(db, c0, DB_OK, NULL), 0);
	assert_int_equal(db_case_begin(db, run, 1, NULL, 0, &c1), 0);
	assert_int_equal(db_case_metric(db, c1, DB_M_REQUESTS, 400), 0);
	assert_int_equal(db_case_end(db, c1, DB_INTERRUPTED, NULL), 0);
	assert_int_equal(db_run_end(db, run, DB_INTERRUPTED), 0);

	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT status || ' ' || cases || ' ' || cases_not_ok FROM run_summary"),
		"interrupted 2 1");
	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT group_concat(status || ':' || requests, ' ') FROM case_summary"),
		"ok:1000.0 interrupted:400.0");

	/* An error case keeps its message. */
	int64_t run2 = begin_run(db, "broken"), c2;
	assert_int_equal(db_case_begin(db, run2, 0, NULL, 0, &c2), 0);
	assert_int_equal(db_case_end(db, c2, DB_ERROR, "server did not start: port in use"), 0);
	assert_int_equal(db_run_end(db, run2, DB_ERROR), 0);
	assert_string_equal(q_text(db, buf, sizeof buf,
		"SELECT status || ': ' || error FROM case_summary WHERE run_id = %lld", (long long)run2),
		"error: server did not start: port in use");
	assert_int_equal(db_close(db), 0);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	int64_t run = begin_run(db, "bad"), c;

	assert_int_equal(db_run_end(db, run, DB_RUNNING), -EINVAL);
	assert_int_equal(db_run_end(db, run, (enum db_status)99), -EINVAL);
	assert_int_equal(db_run_end(db, run + 100, DB_OK), -ENOENT);
	assert_non_null(strstr(db_errmsg(db), "no run"));
	assert_int_equal(db_case_begin(db, run + 100, 0, NULL, 0, &c), -ENOENT);
	assert_int_equal(db_case_begin(db, run, 0, NULL, 0, &c), 0);
	assert_int_equal(db_case_begin(db, run, 0, NULL, 0, &c), -EINVAL);   /* index taken */
	assert_int_equal(db_case_metric(db, c + 100, "x", 1), -ENOENT);
	assert_int_equal(db_case_metric(db, c, NULL, 1), -EINVAL);
	assert_int_equal(db_case_threshold(db, c + 100, "x > 1", true, 2), -ENOENT);
	assert_int_equal(db_case_end(db, c + 100, DB_OK, NULL), -ENOENT);
	assert_int_equal(db_case_end(db, c, DB_RUNNING, NULL), -EINVAL);
	struct db_run_meta nameless = {.host = &test_host};
	assert_int_equal(db_run_begin(db, &nameless, &run), -EINVAL);
	/* A failed statement does not end the batch: the good writes remain. */
	assert_int_equal(db_case_metric(db, c, "good", 1), 0);
	assert_int_equal(db_case_end(db, c, DB_OK, NULL), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM metrics"), 1);
	assert_null(db_status_name((enum db_status)99));
	assert_string_equal(db_status_name(DB_INTERRUPTED), "interrupted");
	assert_int_equal(db_close(db), 0);
	assert_int_equal(db_close(NULL), 0);
}

/* ---- crash safety ---- */

#define KILL_METRICS 50
#define KILL_BUCKETS 200

/* The writer: runs in a loop, each id sent down fd once its run is committed. */
static void kill_writer(const char *path, int fd)
{
	struct db *db = NULL;
	char err[256];
	struct db_bucket b[KILL_BUCKETS];

	if (db_open(path, &db, err, sizeof err) != 0)
		_exit(3);
	for (int i = 0; i < KILL_BUCKETS; i++)
		b[i] = (struct db_bucket){1000 * (i + 1), (uint64_t)i + 1};
	for (;;) {
		int64_t run, c;
		const struct db_param p[] = {{"server.model", "epoll"}, {"clients.count", "7"}};
		/* The real host, so that db_run_reap_stale recognises the runs as its own. */
		struct db_run_meta m = {.name = "loop", .scenario_text = "x"};
		if (db_run_begin(db, &m, &run) != 0 || db_case_begin(db, run, 0, p, 2, &c) != 0)
			_exit(4);
		for (int i = 0; i < KILL_METRICS; i++) {
			char name[16];
			snprintf(name, sizeof name, "m%d", i);
			if (db_case_metric(db, c, name, i) != 0)
				_exit(5);
		}
		if (db_case_hist(db, c, "latency_ns", b, KILL_BUCKETS) != 0 ||
		    db_case_end(db, c, DB_OK, NULL) != 0 || db_run_end(db, run, DB_OK) != 0)
			_exit(6);
		if (write(fd, &run, sizeof run) != (ssize_t)sizeof run)
			_exit(7);
	}
}

/* Read run ids until n have come or the pipe is closed; returns how many. */
static size_t read_ids(int fd, int64_t *ids, size_t have, size_t want, int timeout_ms)
{
	while (have < want) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, timeout_ms);
		if (r <= 0)
			break;
		ssize_t n = read(fd, &ids[have], sizeof ids[0]);
		if (n <= 0)
			break;
		assert_int_equal(n, sizeof ids[0]);   /* 8-byte pipe writes are atomic */
		have++;
	}
	return have;
}

static void test_kill9_leaves_readable_store(void **state)
{
	(void)state;
	struct tmpdb t;
	enum { ROUNDS = 3, PER_ROUND = 15, MAX_IDS = 100000 };
	int64_t *ids = calloc(MAX_IDS, sizeof *ids);
	size_t nids = 0;
	char buf[64], wal[128];

	assert_non_null(ids);
	tmpdb_make(&t);
	/* Create the schema first so that every child only writes. */
	assert_int_equal(db_close(open_ok(t.path)), 0);

	for (int round = 0; round < ROUNDS; round++) {
		int fds[2];
		assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			kill_writer(t.path, fds[1]);
		}
		close(fds[1]);
		size_t before = nids;
		nids = read_ids(fds[0], ids, nids, nids + PER_ROUND, 20000);
		assert_int_equal(nids, before + PER_ROUND);
		/* Land the kill at a different point of the loop each round. */
		usleep((useconds_t)(round * 700));
		assert_int_equal(kill(pid, SIGKILL), 0);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		/* Ids written before the kill were committed too. */
		nids = read_ids(fds[0], ids, nids, MAX_IDS, 1000);
		close(fds[0]);

		/* The WAL is left behind, as after any crash; opening recovers it. */
		snprintf(wal, sizeof wal, "%s-wal", t.path);
		struct stat stw;
		assert_int_equal(stat(wal, &stw), 0);

		struct db *db = open_ok(t.path);
		assert_string_equal(q_text(db, buf, sizeof buf, "PRAGMA integrity_check"), "ok");
		assert_int_equal(q_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
		for (size_t i = 0; i < nids; i++) {
			long long id = (long long)ids[i];
			assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE id = %lld"
					       " AND status = 'ok'", id), 1);
			assert_int_equal(q_int(db, "SELECT count(*) FROM metrics m JOIN cases c"
					       " ON c.id = m.case_id WHERE c.run_id = %lld", id),
					 KILL_METRICS);
			assert_int_equal(q_int(db, "SELECT count(*) FROM hist_buckets h JOIN cases c"
					       " ON c.id = h.case_id WHERE c.run_id = %lld", id),
					 KILL_BUCKETS);
		}
		/* No half-written case: each case has all its metrics or none. */
		assert_int_equal(q_int(db, "SELECT count(*) FROM (SELECT case_id, count(*) AS n"
				       " FROM metrics GROUP BY case_id) WHERE n <> %d", KILL_METRICS), 0);
		/* At most the run in flight is left 'running'; reaping marks it interrupted. */
		assert_true(q_int(db, "SELECT count(*) FROM runs WHERE status = 'running'") <= 1);
		int reaped = -1;
		assert_int_equal(db_run_reap_stale(db, &reaped), 0);
		assert_true(reaped == 0 || reaped == 1);
		assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
		assert_int_equal(q_int(db, "SELECT count(*) FROM cases WHERE status = 'running'"), 0);
		assert_int_equal(db_close(db), 0);
	}
	free(ids);
	tmpdb_remove(&t);
}

static void test_reap_spares_live_runs(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	int64_t run = begin_run(db, "alive"), c;
	struct db_host h;
	char sql[512];
	int n = -1;

	assert_int_equal(db_case_begin(db, run, 0, NULL, 0, &c), 0);
	/* This process is alive: nothing to reap. */
	assert_int_equal(db_host_meta(&h), 0);
	snprintf(sql, sizeof sql, "UPDATE runs SET host = '%s'", h.host);
	assert_int_equal(sqlite3_exec(db_sqlite(db), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_run_reap_stale(db, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
	/* Another host's run is never touched, whatever its pid. */
	assert_int_equal(sqlite3_exec(db_sqlite(db), "UPDATE runs SET host = 'elsewhere', pid = 2147483000",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_run_reap_stale(db, &n), 0);
	assert_int_equal(n, 0);
	/* A dead pid on this host is reaped with its cases. */
	snprintf(sql, sizeof sql, "UPDATE runs SET host = '%s'", h.host);
	assert_int_equal(sqlite3_exec(db_sqlite(db), sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_run_reap_stale(db, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM cases WHERE status = 'interrupted'"), 1);
	assert_int_equal(db_close(db), 0);
}

static void test_host_meta(void **state)
{
	(void)state;
	struct db_host h;
	char now[32];

	assert_int_equal(db_host_meta(&h), 0);
	assert_true(strlen(h.host) > 0);
	assert_non_null(strstr(h.kernel, "Linux"));
	assert_true(strlen(h.cpu_model) > 0);
	assert_true(h.cpus >= 1);
	db_utc_now(now);
	assert_int_equal(strlen(now), 24);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_from_empty),
		cmocka_unit_test(test_reopen_is_idempotent),
		cmocka_unit_test(test_newer_version_refused),
		cmocka_unit_test(test_upgrade_from_each_older_version),
		cmocka_unit_test(test_foreign_database_refused),
		cmocka_unit_test(test_foreign_db_without_app_id_refused),
		cmocka_unit_test(test_not_a_regular_file_refused),
		cmocka_unit_test(test_run_case_metric_round_trip),
		cmocka_unit_test(test_case_commands),
		cmocka_unit_test(test_capture_rows),
		cmocka_unit_test(test_case_summary_pivots),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_params_json_escaping),
		cmocka_unit_test(test_param_columns),
		cmocka_unit_test(test_varying_keys),
		cmocka_unit_test(test_batching_and_transactions),
		cmocka_unit_test(test_interrupted_run_keeps_partial_cases),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_kill9_leaves_readable_store),
		cmocka_unit_test(test_reap_spares_live_runs),
		cmocka_unit_test(test_host_meta),
	};
	return tl_run_group(tests, NULL, NULL);
}
