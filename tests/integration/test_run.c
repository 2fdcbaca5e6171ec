/*
 * tests/integration/test_run.c — `socklab run` end to end: the real binary
 * runs scenario files written into a temp dir, and the test reads the SQLite
 * store back with sqlite3 directly. It proves that a small matrix (tcp echo,
 * model x clients, plus a udp case) is stored with the run's metadata, the
 * right case rows, metrics, server counters and resource use, and latency
 * histograms whose counts add up to the replies; that --json is valid JSON
 * listing the cases; that thresholds fail the run (exit 1) and are recorded;
 * that SIGINT mid-case stores what was measured as interrupted (exit 130)
 * and leaves no server behind; that kill -9 of the runner keeps the store
 * readable, takes the server down with it, and that the next run marks the
 * stale run interrupted; that bad input exits 2 having written nothing (a
 * --db that is another application's database is left byte for byte, a
 * --db that is a device or a directory is refused, creating nothing); and
 * that `target:` scenarios test a server someone else started, failing
 * quickly when nobody listens. Every wait is bounded; the whole file takes
 * about 10 s.
 */
#include "testlib/testlib.h"

#include "util/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The temp dir every file of this executable goes in (removed at the end). */
static char dir[64];
/* A runner started and not yet reaped, for the teardown after a failure. */
static pid_t live_runner = -1;

/* ---------------------------------------------------------------- files */

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Write a scenario file named name in the temp dir; its path into path. */
static void scenario(char *path, size_t len, const char *name, const char *text)
{
	path_in(path, len, name);
	tl_write_file(path, text);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* ---------------------------------------------------------------- processes */

struct proc {
	pid_t pid;
	double t0;              /* tl_ms() at start */
	char out[96], err[96];  /* where its stdout and stderr go */
};

/* Start `socklab ARGS...` (NULL-terminated) with stdout and stderr in files
 * tag.out and tag.err of the temp dir, stdin /dev/null. */
static void spawn(struct proc *p, const char *tag, const char *const *args)
{
	const char *argv[32];
	size_t n = 0;
	argv[n++] = tl_bin();
	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	snprintf(p->out, sizeof(p->out), "%s/%s.out", dir, tag);
	snprintf(p->err, sizeof(p->err), "%s/%s.err", dir, tag);
	p->t0 = tl_ms();
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid > 0)
		live_runner = p->pid;
	if (p->pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = open(p->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(p->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || o < 0 || e < 0)
			_exit(126);
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
}

/* Wait for p to exit within timeout_ms; its exit code (128 + signal if
 * killed). On timeout: SIGKILL, reap, fail the test. */
static int finish(struct proc *p, int timeout_ms)
{
	int st;
	pid_t r;
	double end = tl_ms() + timeout_ms;
	while ((r = waitpid(p->pid, &st, WNOHANG)) == 0 && tl_ms() < end)
		usleep(5000);
	if (r == 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &st, 0);
		live_runner = -1;
		char *e = tl_read_file(p->err);
		fail_msg("socklab did not exit within %d ms; stderr:\n%s", timeout_ms, e);
	}
	assert_int_equal(r, p->pid);
	live_runner = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run `socklab ARGS...` to completion (bounded); its exit code. *out and
 * *err (may be NULL) get its output; the caller frees them. */
static int run_cli(const char *tag, const char *const *args, int timeout_ms, char **out,
		   char **err)
{
	struct proc p;
	spawn(&p, tag, args);
	int rc = finish(&p, timeout_ms);
	if (out)
		*out = tl_read_file(p.out);
	if (err)
		*err = tl_read_file(p.err);
	return rc;
}

/* State and parent of pid from /proc/PID/stat; false if it does not exist. */
static bool proc_state(pid_t pid, char *state, pid_t *ppid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses. */
	char *rp = strrchr(buf, ')');
	int pp;
	if (!rp || sscanf(rp + 1, " %c %d", state, &pp) != 2)
		return false;
	*ppid = (pid_t)pp;
	return true;
}

/* A process that is gone, or a zombie (dead, not yet reaped by whoever
 * inherited it). */
static bool proc_dead(pid_t pid)
{
	char st;
	pid_t pp;
	return !proc_state(pid, &st, &pp) || st == 'Z' || st == 'X';
}

/* Living children of ppid, at most max, into pids. */
static int children(pid_t ppid, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL && n < max) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid_t pid = (pid_t)atoi(e->d_name), pp;
		char st;
		if (proc_state(pid, &st, &pp) && pp == ppid && st != 'Z')
			pids[n++] = pid;
	}
	closedir(d);
	return n;
}

/* Wait (bounded) until the runner has started its server child; its pid. */
static pid_t wait_server_child(const struct proc *runner, int timeout_ms)
{
	pid_t pids[8];
	double end = tl_ms() + timeout_ms;
	while (tl_ms() < end) {
		if (children(runner->pid, pids, 8) > 0)
			return pids[0];
		usleep(5000);
	}
	fail_msg("the runner started no server child within %d ms", timeout_ms);
	return -1;
}

/* ---------------------------------------------------------------- sqlite */

static sqlite3 *db_open_path(const char *path)
{
	sqlite3 *d = NULL;
	int rc = sqlite3_open_v2(path, &d, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", path, d ? sqlite3_errmsg(d) : sqlite3_errstr(rc));
	sqlite3_busy_timeout(d, 5000);
	return d;
}

/* Prepare and step a query (sqlite3_vmprintf format: %lld, %Q); the
 * statement positioned on its first row, or NULL when there is none. */
static sqlite3_stmt *query(sqlite3 *d, const char *fmt, va_list ap)
{
	char *sql = sqlite3_vmprintf(fmt, ap);
	sqlite3_stmt *st = NULL;
	assert_non_null(sql);
	if (sqlite3_prepare_v2(d, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(d));
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(d));
	sqlite3_free(sql);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* The first column of the first row as a number; fails on no row or NULL. */
static double qd(sqlite3 *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = query(d, fmt, ap);
	va_end(ap);
	if (!st)
		fail_msg("no row: %s", fmt);
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_finalize(st);
		fail_msg("NULL: %s", fmt);
	}
	double v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

static long long qi(sqlite3 *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = query(d, fmt, ap);
	va_end(ap);
	if (!st)
		fail_msg("no row: %s", fmt);
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_finalize(st);
		fail_msg("NULL: %s", fmt);
	}
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column as text ("" for no row, "NULL" for NULL); caller frees. */
static char *qs(sqlite3 *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = query(d, fmt, ap);
	va_end(ap);
	const char *t = "";
	if (st)
		t = sqlite3_column_type(st, 0) == SQLITE_NULL
			? "NULL" : (const char *)sqlite3_column_text(st, 0);
	char *r = strdup(t);
	assert_non_null(r);
	if (st)
		sqlite3_finalize(st);
	return r;
}

static void assert_q_str(sqlite3 *d, const char *want, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sqlite3_stmt *st = query(d, fmt, ap);
	va_end(ap);
	const char *got = !st ? "(no row)" : sqlite3_column_type(st, 0) == SQLITE_NULL
		? "NULL" : (const char *)sqlite3_column_text(st, 0);
	if (strcmp(got, want) != 0) {
		char *g = strdup(got);
		if (st)
			sqlite3_finalize(st);
		fail_msg("%s: got '%s', want '%s'", fmt, g ? g : "?", want);
	}
	sqlite3_finalize(st);
}

static double metric(sqlite3 *d, long long case_id, const char *name)
{
	return qd(d, "SELECT value FROM metrics WHERE case_id = %lld AND name = %Q",
		  case_id, name);
}

/* Every metric of a case, one "name=value" a line, for failure messages;
 * caller frees. */
static char *dump_metrics(sqlite3 *d, long long case_id)
{
	return qs(d, "SELECT group_concat(name || '=' || ifnull(value, 'NULL'), char(10)) "
		  "FROM metrics WHERE case_id = %lld", case_id);
}

/* Check a metric, showing every metric of the case when it fails. */
#define assert_metric(d, id, name, cond)                                                \
	do {                                                                            \
		double v_ = metric((d), (id), (name));                                  \
		if (!(v_ cond)) {                                                       \
			char *all_ = dump_metrics((d), (id));                           \
			fail_msg("case %lld: %s = %g, want %s\n%s", (long long)(id),   \
				 (name), v_, #cond, all_);                              \
		}                                                                       \
	} while (0)

static void assert_integrity_ok(sqlite3 *d)
{
	assert_q_str(d, "ok", "PRAGMA integrity_check");
}

/* ---------------------------------------------------------------- fixtures */

/* After each test: a runner a failed assertion left behind is killed (its
 * server dies with it), and so is any server the test started. */
static int teardown(void **state)
{
	if (live_runner > 0) {
		kill(live_runner, SIGKILL);
		waitpid(live_runner, NULL, 0);
		live_runner = -1;
	}
	return tl_cleanup(state);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/socklab-run-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char p[512];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
	return 0;
}

/* ---------------------------------------------------------------- tests */

/*
 * A 2 x 2 tcp matrix and a udp case, end to end: the run's row (status,
 * scenario text and its hash, host, kernel, varying keys), the case rows in
 * matrix order with their typed columns, the metrics, the server's counters
 * and resource use, histograms that add up to the replies, and the views.
 */
static void test_matrix_end_to_end(void **state)
{
	(void)state;
	char scn[128], udp[128], dbp[128];
	static const char text[] =
		"# a small matrix: 2 models x 2 client counts\n"
		"name: run-matrix\n"
		"server:\n"
		"  proto: tcp\n"
		"  model: [thread, epoll]\n"
		"  handler: echo\n"
		"clients:\n"
		"  count: [1, 4]\n"
		"  size: 64\n"
		"  nodelay: true\n"
		"warmup: 100ms\n"
		"duration: 300ms\n";
	scenario(scn, sizeof(scn), "matrix.yaml", text);
	scenario(udp, sizeof(udp), "udp.yaml",
		 "name: run-udp\n"
		 "server: {proto: udp, model: iterative, handler: echo}\n"
		 "clients: {count: 2, size: 32}\n"
		 "duration: 300ms\n");
	path_in(dbp, sizeof(dbp), "matrix.db");

	char *out, *err;
	int rc = run_cli("matrix", (const char *[]){"run", scn, "--db", dbp, NULL}, 30000, &out, &err);
	if (rc != 0)
		fail_msg("exit %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	assert_non_null(strstr(out, "run-matrix: run 1 ok, 4 cases"));
	free(out);
	free(err);

	sqlite3 *d = db_open_path(dbp);
	assert_int_equal(qi(d, "SELECT count(*) FROM runs"), 1);
	assert_q_str(d, "ok", "SELECT status FROM runs WHERE id = 1");
	assert_q_str(d, text, "SELECT scenario_text FROM runs WHERE id = 1");
	assert_q_str(d, scn, "SELECT scenario_path FROM runs WHERE id = 1");
	char hex[SHA256_HEX_LEN];
	sha256_hex(text, strlen(text), hex);
	assert_q_str(d, hex, "SELECT scenario_sha256 FROM runs WHERE id = 1");
	assert_int_equal(qi(d, "SELECT length(scenario_sha256) = 64 AND "
			    "scenario_sha256 NOT GLOB '*[^0-9a-f]*' FROM runs WHERE id = 1"), 1);
	assert_int_equal(qi(d, "SELECT length(host) > 0 AND length(kernel) > 0 AND "
			    "ended IS NOT NULL AND ended >= started FROM runs WHERE id = 1"), 1);
	assert_q_str(d, "[\"server.model\",\"clients.count\"]",
		     "SELECT varying_keys FROM runs WHERE id = 1");

	/* The cases, in matrix order: model varies slowest. */
	static const struct { const char *model; int clients; } want[] = {
		{"thread", 1}, {"thread", 4}, {"epoll", 1}, {"epoll", 4},
	};
	assert_int_equal(qi(d, "SELECT count(*) FROM cases WHERE run_id = 1"), 4);
	for (int i = 0; i < 4; i++) {
		long long id = qi(d, "SELECT id FROM cases WHERE run_id = 1 AND idx = %d", i);
		assert_q_str(d, want[i].model, "SELECT model FROM cases WHERE id = %lld", id);
		assert_q_str(d, "tcp", "SELECT proto FROM cases WHERE id = %lld", id);
		assert_q_str(d, "echo", "SELECT handler FROM cases WHERE id = %lld", id);
		assert_q_str(d, "ok", "SELECT status FROM cases WHERE id = %lld", id);
		assert_q_str(d, "NULL", "SELECT error FROM cases WHERE id = %lld", id);
		assert_int_equal(qi(d, "SELECT clients FROM cases WHERE id = %lld", id),
				 want[i].clients);
		assert_true(qd(d, "SELECT duration_s FROM cases WHERE id = %lld", id) == 0.3);
		assert_int_equal(qi(d, "SELECT nodelay FROM cases WHERE id = %lld", id), 1);

		double requests = metric(d, id, "requests");
		double replies = metric(d, id, "replies");
		assert_true(requests > 0);
		assert_true(replies > 0 && replies <= requests);
		assert_metric(d, id, "throughput_rps", > 0);
		assert_true(metric(d, id, "p99_us") > 0);
		assert_true(metric(d, id, "p50_us") <= metric(d, id, "p99_us"));
		assert_true(metric(d, id, "p99_us") <= metric(d, id, "max_us"));
		assert_metric(d, id, "errors", == 0);
		/*
		 * Persistent clients: each phase (warmup, measured) opens one
		 * connection per client to the same server, so the server
		 * accepts twice the clients. Not asserted exactly: a client
		 * engine thread that the machine schedules after the end of
		 * the 100 ms warmup never connects its clients (seen once in
		 * ~100 runs on a busy 2-CPU VM: accepted 6 for 4 clients).
		 * What holds every time: the measured phase's connects, plus
		 * at least one and at most `clients` warmup connections.
		 */
		double conn = metric(d, id, "connects");
		assert_metric(d, id, "connects", >= 1);
		assert_metric(d, id, "connects", <= want[i].clients);
		assert_metric(d, id, "server.accepted", >= conn + 1);
		assert_metric(d, id, "server.accepted", <= conn + want[i].clients);
		assert_metric(d, id, "server.closed", == metric(d, id, "server.accepted"));
		/* The server did work, so getrusage of the child saw some. */
		assert_true(metric(d, id, "server.cpu_user_s") + metric(d, id, "server.cpu_sys_s") > 0);
		assert_metric(d, id, "server.maxrss_kb", > 0);
		/* Everything the clients read, the server wrote (it also
		 * served the warmup). */
		assert_metric(d, id, "server.bytes_out", >= metric(d, id, "bytes_received"));
		assert_metric(d, id, "bytes_received", > 0);

		/* Every measured reply of a tcp closed loop has one latency. */
		assert_true(qi(d, "SELECT count(*) FROM hist_buckets WHERE case_id = %lld "
			       "AND name = 'latency_ns'", id) > 0);
		assert_int_equal(qi(d, "SELECT min(count) > 0 FROM hist_buckets "
				    "WHERE case_id = %lld", id), 1);
		assert_true(qd(d, "SELECT sum(count) FROM hist_buckets WHERE case_id = %lld "
			       "AND name = 'latency_ns'", id) == replies);
		/* The largest bucket bounds the max latency. */
		assert_true(qd(d, "SELECT max(value) FROM hist_buckets WHERE case_id = %lld",
			       id) >= metric(d, id, "max_us") * 1000.0 - 1);
	}
	assert_int_equal(qi(d, "SELECT count(*) FROM case_summary WHERE run_id = 1"), 4);
	assert_int_equal(qi(d, "SELECT count(*) FROM case_summary WHERE run_id = 1 AND "
			    "status = 'ok' AND thresholds_failed = 0 AND throughput_rps > 0 AND "
			    "server_maxrss_kb > 0 AND server_cpu_s >= 0"), 4);
	assert_q_str(d, "thread,1;thread,4;epoll,1;epoll,4",
		     "SELECT group_concat(model || ',' || clients, ';') FROM "
		     "(SELECT model, clients FROM case_summary WHERE run_id = 1 ORDER BY case_index)");
	assert_int_equal(qi(d, "SELECT cases FROM run_summary WHERE id = 1"), 4);
	assert_int_equal(qi(d, "SELECT cases_not_ok FROM run_summary WHERE id = 1"), 0);
	sqlite3_close(d);

	/* A udp case into the same file: a second run. */
	rc = run_cli("udp", (const char *[]){"run", udp, "--db", dbp, "--quiet", NULL}, 20000,
		     &out, &err);
	if (rc != 0)
		fail_msg("udp: exit %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	assert_null(strstr(err, "[1/1]"));   /* --quiet: no progress lines */
	free(out);
	free(err);
	d = db_open_path(dbp);
	assert_q_str(d, "ok", "SELECT status FROM runs WHERE id = 2");
	assert_q_str(d, "[]", "SELECT varying_keys FROM runs WHERE id = 2");
	assert_int_equal(qi(d, "SELECT count(*) FROM cases WHERE run_id = 2"), 1);
	long long id = qi(d, "SELECT id FROM cases WHERE run_id = 2");
	assert_q_str(d, "udp", "SELECT proto FROM cases WHERE id = %lld", id);
	assert_q_str(d, "iterative", "SELECT model FROM cases WHERE id = %lld", id);
	assert_int_equal(qi(d, "SELECT clients FROM cases WHERE id = %lld", id), 2);
	double replies = metric(d, id, "replies");
	assert_metric(d, id, "requests", > 0);
	assert_true(replies > 0);
	assert_metric(d, id, "udp.sent", > 0);
	double loss = metric(d, id, "loss_pct");
	assert_true(loss >= 0 && loss <= 100);
	assert_true(metric(d, id, "p99_us") > 0);
	assert_metric(d, id, "server.maxrss_kb", > 0);
	/* A datagram reply gets a latency only if it is the one its client
	 * awaits; one that comes after a timeout does not. */
	double sum = qd(d, "SELECT sum(count) FROM hist_buckets WHERE case_id = %lld", id);
	assert_true(sum > 0 && sum <= replies);
	if (metric(d, id, "timeouts") == 0)
		assert_true(sum == replies);
	assert_int_equal(qi(d, "SELECT count(*) FROM case_summary"), 5);
	assert_integrity_ok(d);
	sqlite3_close(d);
}

/* --json: one JSON object on stdout, listing the cases with their metrics;
 * run_id is the run in the store. */
static void test_json_summary(void **state)
{
	(void)state;
	char scn[128], dbp[128], check[128];
	scenario(scn, sizeof(scn), "json.yaml",
		 "name: run-json\n"
		 "server: {proto: tcp, model: [thread, epoll], handler: echo}\n"
		 "clients: {count: 2}\n"
		 "duration: 200ms\n"
		 "thresholds: [errors == 0]\n");
	path_in(dbp, sizeof(dbp), "json.db");
	char *out, *err;
	int rc = run_cli("json", (const char *[]){"run", scn, "--db", dbp, "--json", "--quiet", NULL},
			 20000, &out, &err);
	if (rc != 0)
		fail_msg("exit %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	assert_true(out[0] == '{');
	assert_non_null(strstr(out, "\"cases\":["));
	free(out);
	free(err);

	/* Parse it with python3 and check the structure. */
	path_in(check, sizeof(check), "json-check.py");
	tl_write_file(check,
		   "import json, sys\n"
		   "j = json.load(open(sys.argv[1]))\n"
		   "assert j['status'] == 'ok', j\n"
		   "assert j['db'] == sys.argv[2], j['db']\n"
		   "assert isinstance(j['run_id'], int) and j['run_id'] == 1, j\n"
		   "cs = j['cases']\n"
		   "assert len(cs) == 2, cs\n"
		   "for i, (c, m) in enumerate(zip(cs, ['thread', 'epoll'])):\n"
		   "    assert c['index'] == i and c['status'] == 'ok', c\n"
		   "    assert c['params'] == {'server.model': m}, c['params']\n"
		   "    ms = c['metrics']\n"
		   "    assert ms['requests'] > 0 and ms['throughput_rps'] > 0, ms\n"
		   "    assert ms['p99_us'] > 0 and ms['errors'] == 0, ms\n"
		   "    assert ms['loss_pct'] is None, ms\n"
		   "    assert c['thresholds_failed'] == [], c\n");
	char cmd[512], outp[128];
	snprintf(outp, sizeof(outp), "%s/json.out", dir);
	snprintf(cmd, sizeof(cmd), "command -v python3 >/dev/null || exit 77; "
		 "python3 '%s' '%s' '%s'", check, outp, dbp);
	int st = system(cmd);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		/* No python3: the minimal checks above have to do. */
		return;
	}
	assert_int_equal(WEXITSTATUS(st), 0);

	sqlite3 *d = db_open_path(dbp);
	assert_int_equal(qi(d, "SELECT max(id) FROM runs"), 1);
	sqlite3_close(d);
}

/*
 * Thresholds: an impossible one fails the case and the run (exit 1), the
 * summary names it with the measured value, the thresholds table keeps the
 * verdicts; a threshold that holds exits 0.
 */
static void test_thresholds(void **state)
{
	(void)state;
	char scn[128], ok[128], dbp[128];
	scenario(scn, sizeof(scn), "thr-fail.yaml",
		 "name: run-thr\n"
		 "server: {proto: tcp, model: thread, handler: echo}\n"
		 "clients: {count: 1}\n"
		 "duration: 200ms\n"
		 "thresholds:\n"
		 "  - p99_us < 0.001\n"
		 "  - errors == 0\n");
	scenario(ok, sizeof(ok), "thr-ok.yaml",
		 "name: run-thr-ok\n"
		 "server: {proto: tcp, model: thread, handler: echo}\n"
		 "clients: {count: 1}\n"
		 "duration: 200ms\n"
		 "thresholds: [errors == 0]\n");
	path_in(dbp, sizeof(dbp), "thr.db");
	char *out, *err;
	int rc = run_cli("thr", (const char *[]){"run", scn, "--db", dbp, NULL}, 20000, &out, &err);
	if (rc != 1)
		fail_msg("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	assert_non_null(strstr(out, "threshold failed: p99_us < 0.001 (measured "));
	assert_null(strstr(out, "threshold failed: errors == 0"));
	assert_non_null(strstr(out, "run 1 failed"));
	assert_non_null(strstr(err, "THRESHOLD FAILED"));
	free(out);
	free(err);

	sqlite3 *d = db_open_path(dbp);
	assert_q_str(d, "failed", "SELECT status FROM runs WHERE id = 1");
	assert_q_str(d, "failed", "SELECT status FROM cases WHERE run_id = 1");
	long long id = qi(d, "SELECT id FROM cases WHERE run_id = 1");
	assert_int_equal(qi(d, "SELECT count(*) FROM thresholds WHERE case_id = %lld", id), 2);
	assert_int_equal(qi(d, "SELECT passed FROM thresholds WHERE case_id = %lld AND "
			    "expr = 'p99_us < 0.001'", id), 0);
	assert_int_equal(qi(d, "SELECT passed FROM thresholds WHERE case_id = %lld AND "
			    "expr = 'errors == 0'", id), 1);
	assert_true(qd(d, "SELECT observed FROM thresholds WHERE case_id = %lld AND "
		       "expr = 'p99_us < 0.001'", id) == metric(d, id, "p99_us"));
	assert_int_equal(qi(d, "SELECT thresholds_failed FROM case_summary WHERE case_id = %lld",
			    id), 1);
	assert_q_str(d, "p99_us < 0.001", "SELECT expr FROM thresholds_failed WHERE run_id = 1");
	sqlite3_close(d);

	rc = run_cli("thr-ok", (const char *[]){"run", ok, "--db", dbp, "--quiet", NULL}, 20000,
		     &out, &err);
	if (rc != 0)
		fail_msg("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	assert_null(strstr(out, "threshold failed"));
	free(out);
	free(err);
	d = db_open_path(dbp);
	assert_q_str(d, "ok", "SELECT status FROM runs WHERE id = 2");
	assert_int_equal(qi(d, "SELECT passed FROM thresholds t JOIN cases c ON c.id = t.case_id "
			    "WHERE c.run_id = 2"), 1);
	sqlite3_close(d);
}

/* repeat: 2 over a 2-case matrix runs the matrix twice, one pass after the
 * other (A B A B, not A A B B), each row tagged with its repeat. */
static void test_repeat_interleaved(void **state)
{
	(void)state;
	char scn[128], dbp[128];
	scenario(scn, sizeof(scn), "rep.yaml",
		 "name: run-rep\n"
		 "server: {proto: tcp, model: [thread, epoll], handler: echo}\n"
		 "clients: {count: 1}\n"
		 "duration: 100ms\n"
		 "repeat: 2\n");
	path_in(dbp, sizeof(dbp), "rep.db");
	char *out, *err;
	int rc = run_cli("rep", (const char *[]){"run", scn, "--db", dbp, "--quiet", NULL}, 20000,
			 &out, &err);
	if (rc != 0)
		fail_msg("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	free(out);
	free(err);
	sqlite3 *d = db_open_path(dbp);
	assert_q_str(d, "thread/0,epoll/0,thread/1,epoll/1",
		     "SELECT group_concat(model || '/' || json_extract(params, '$.repeat'), ',') "
		     "FROM (SELECT * FROM cases WHERE run_id = 1 ORDER BY idx)");
	sqlite3_close(d);
}

/*
 * SIGINT 1.5 s into the first of three 3-s cases: exit 130 at once, the run
 * and the first case stored as interrupted with what they measured, no
 * later case begun, the server child stopped and reaped, the file intact.
 */
static void test_sigint_interrupts(void **state)
{
	(void)state;
	char scn[128], dbp[128];
	scenario(scn, sizeof(scn), "intr.yaml",
		 "name: run-intr\n"
		 "server: {proto: tcp, model: thread, handler: echo}\n"
		 "clients: {count: [1, 2, 3]}\n"
		 "duration: 3s\n");
	path_in(dbp, sizeof(dbp), "intr.db");
	struct proc p;
	spawn(&p, "intr", (const char *[]){"run", scn, "--db", dbp, NULL});
	pid_t srv = wait_server_child(&p, 5000);
	/* ~1.5 s after the start, and at least 1 s after the server came up
	 * (so that a slow machine is still in the measured phase). */
	double at = p.t0 + 1500, seen = tl_ms() + 1000;
	double left = (at > seen ? at : seen) - tl_ms();
	if (left > 0)
		usleep((useconds_t)(left * 1000));
	assert_true(!proc_dead(srv));
	double t = tl_ms();
	assert_int_equal(kill(p.pid, SIGINT), 0);
	int rc = finish(&p, 5000);
	double took = tl_ms() - t;
	char *out = tl_read_file(p.out), *err = tl_read_file(p.err);
	if (rc != 130)
		fail_msg("exit %d, want 130\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	assert_true(took < tl_bound_ms(3000));
	assert_non_null(strstr(out, "run 1 interrupted, 1 case"));
	free(out);
	free(err);
	/* The runner reaped its server before exiting. */
	char st;
	pid_t pp;
	assert_false(proc_state(srv, &st, &pp) && pp == p.pid);
	assert_true(proc_dead(srv));

	sqlite3 *d = db_open_path(dbp);
	assert_integrity_ok(d);
	assert_q_str(d, "interrupted", "SELECT status FROM runs WHERE id = 1");
	assert_int_equal(qi(d, "SELECT ended IS NOT NULL FROM runs WHERE id = 1"), 1);
	assert_int_equal(qi(d, "SELECT count(*) FROM cases WHERE run_id = 1"), 1);
	long long id = qi(d, "SELECT id FROM cases WHERE run_id = 1 AND idx = 0");
	assert_q_str(d, "interrupted", "SELECT status FROM cases WHERE id = %lld", id);
	assert_int_equal(qi(d, "SELECT ended IS NOT NULL FROM cases WHERE id = %lld", id), 1);
	/* Partial data: about 1.5 s of the 3 s measured. */
	assert_metric(d, id, "requests", > 0);
	assert_metric(d, id, "throughput_rps", > 0);
	double el = metric(d, id, "elapsed_s");
	assert_true(el > 0.3 && el < 2.9);
	assert_true(qd(d, "SELECT sum(count) FROM hist_buckets WHERE case_id = %lld", id) ==
		    metric(d, id, "replies"));
	/* No warmup: every connection the server saw is one the clients made. */
	assert_metric(d, id, "connects", == 1);
	assert_metric(d, id, "server.accepted", == metric(d, id, "connects"));
	assert_metric(d, id, "server.maxrss_kb", > 0);
	assert_q_str(d, "interrupted", "SELECT status FROM run_summary WHERE id = 1");
	sqlite3_close(d);
}

/*
 * kill -9 of the runner mid-case: the store opens and passes
 * integrity_check with the run still 'running', the server child dies with
 * its parent (PR_SET_PDEATHSIG) within a second, and the next `socklab run`
 * on the same file marks the stale run and its case interrupted.
 */
static void test_kill9_runner(void **state)
{
	(void)state;
	char scn[128], next[128], dbp[128];
	scenario(scn, sizeof(scn), "kill9.yaml",
		 "name: run-kill9\n"
		 "server: {proto: tcp, model: epoll, handler: echo}\n"
		 "clients: {count: 2}\n"
		 "duration: 5s\n");
	scenario(next, sizeof(next), "kill9-next.yaml",
		 "name: run-kill9-next\n"
		 "server: {proto: tcp, model: thread, handler: echo}\n"
		 "clients: {count: 1}\n"
		 "duration: 100ms\n");
	path_in(dbp, sizeof(dbp), "kill9.db");
	struct proc p;
	spawn(&p, "kill9", (const char *[]){"run", scn, "--db", dbp, "--quiet", NULL});
	pid_t srv = wait_server_child(&p, 5000);
	usleep(500000);   /* well into the measured phase */
	assert_true(!proc_dead(srv));
	assert_int_equal(kill(p.pid, SIGKILL), 0);
	assert_int_equal(finish(&p, 5000), 128 + SIGKILL);
	double end = tl_ms() + 1000;
	while (!proc_dead(srv) && tl_ms() < end)
		usleep(5000);
	if (!proc_dead(srv)) {
		kill(srv, SIGKILL);
		fail_msg("the server child %d outlived the runner by 1 s", (int)srv);
	}

	sqlite3 *d = db_open_path(dbp);
	assert_integrity_ok(d);
	assert_q_str(d, "running", "SELECT status FROM runs WHERE id = 1");
	assert_q_str(d, "NULL", "SELECT ended FROM runs WHERE id = 1");
	assert_int_equal(qi(d, "SELECT pid FROM runs WHERE id = 1"), p.pid);
	assert_q_str(d, "running", "SELECT status FROM cases WHERE run_id = 1");
	sqlite3_close(d);

	char *out, *err;
	int rc = run_cli("kill9-next", (const char *[]){"run", next, "--db", dbp, "--quiet", NULL},
			 20000, &out, &err);
	if (rc != 0)
		fail_msg("exit %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	free(out);
	free(err);
	d = db_open_path(dbp);
	assert_integrity_ok(d);
	assert_q_str(d, "interrupted", "SELECT status FROM runs WHERE id = 1");
	assert_q_str(d, "interrupted", "SELECT status FROM cases WHERE run_id = 1");
	assert_q_str(d, "ok", "SELECT status FROM runs WHERE id = 2");
	sqlite3_close(d);
}

/*
 * Bad input exits 2 and writes nothing: an unknown key (FILE:LINE:COL and a
 * did-you-mean on stderr, no database file created), a missing file, no
 * arguments, a wrong flag; --help exits 0.
 */
static void test_bad_input(void **state)
{
	(void)state;
	char scn[128], dbp[128], want[256], missing[128], side[160];
	scenario(scn, sizeof(scn), "bad.yaml",
		 "name: run-bad\n"
		 "server: {proto: tcp, model: thread}\n"
		 "clients:\n"
		 "  cuont: 3\n"
		 "duration: 100ms\n");
	path_in(dbp, sizeof(dbp), "bad.db");
	path_in(missing, sizeof(missing), "no-such-file.yaml");
	char *out, *err;

	int rc = run_cli("bad", (const char *[]){"run", scn, "--db", dbp, NULL}, 10000, &out, &err);
	assert_int_equal(rc, 2);
	snprintf(want, sizeof(want), "%s:4:3: clients.cuont: unknown key, did you mean 'count'?", scn);
	if (!strstr(err, want))
		fail_msg("stderr lacks '%s':\n%s", want, err);
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_false(exists(dbp));
	snprintf(side, sizeof(side), "%s-wal", dbp);
	assert_false(exists(side));

	rc = run_cli("missing", (const char *[]){"run", missing, "--db", dbp, NULL}, 10000, &out, &err);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, missing));
	free(out);
	free(err);
	assert_false(exists(dbp));

	rc = run_cli("noargs", (const char *[]){"run", NULL}, 10000, NULL, &err);
	assert_int_equal(rc, 2);
	assert_true(err[0] != '\0');
	free(err);

	rc = run_cli("badflag", (const char *[]){"run", "--bogus", scn, "--db", dbp, NULL}, 10000,
		     NULL, &err);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "--bogus"));
	free(err);

	rc = run_cli("twofiles", (const char *[]){"run", scn, scn, "--db", dbp, NULL}, 10000,
		     NULL, NULL);
	assert_int_equal(rc, 2);
	assert_false(exists(dbp));

	rc = run_cli("help", (const char *[]){"run", "--help", NULL}, 10000, &out, NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "usage: socklab run"));
	free(out);
}

/* SHA-256 of a whole file (it may hold NUL bytes). */
static void file_hash(const char *path, char hex[SHA256_HEX_LEN])
{
	struct stat st;
	char *text = tl_read_file(path);
	assert_int_equal(stat(path, &st), 0);
	sha256_hex(text, (size_t)st.st_size, hex);
	free(text);
}

/* --db that is not a socklab store: refused (exit 2) before anything is
 * written, the file left byte for byte; --db that is not a regular file
 * (a device such as /dev/null, a directory) refused creating nothing,
 * not even DEV-journal beside it. */
static void test_db_not_ours(void **state)
{
	(void)state;
	char scn[128], dbp[128], dev[128], side[160], before[SHA256_HEX_LEN], after[SHA256_HEX_LEN];
	char *err;
	scenario(scn, sizeof(scn), "ok.yaml",
		 "name: run-db\n"
		 "server: {proto: tcp, model: thread}\n"
		 "clients: {count: 1}\n"
		 "duration: 100ms\n");
	path_in(dbp, sizeof(dbp), "other.db");
	sqlite3 *raw = NULL;
	assert_int_equal(sqlite3_open(dbp, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE notes(x); INSERT INTO notes VALUES (1)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(raw), SQLITE_OK);
	file_hash(dbp, before);
	int rc = run_cli("other", (const char *[]){"run", scn, "--db", dbp, "--quiet", NULL},
			 10000, NULL, &err);
	assert_int_equal(rc, 2);
	if (!strstr(err, "not a socklab store"))
		fail_msg("stderr lacks 'not a socklab store':\n%s", err);
	free(err);
	file_hash(dbp, after);
	assert_string_equal(after, before);
	snprintf(side, sizeof(side), "%s-wal", dbp);
	assert_false(exists(side));

	rc = run_cli("dir", (const char *[]){"run", scn, "--db", dir, "--quiet", NULL}, 10000,
		     NULL, &err);
	assert_int_equal(rc, 2);
	if (!strstr(err, "not a regular file (a directory)"))
		fail_msg("stderr lacks 'not a regular file (a directory)':\n%s", err);
	free(err);

	/* A null device of our own first, so that a regression litters the
	 * temp dir rather than /dev; then /dev/null itself. */
	path_in(dev, sizeof(dev), "null");
	const char *devs[] = {dev, "/dev/null"};
	if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) != 0) {
		printf("mknod: %s: only /dev/null is tried\n", strerror(errno));
		devs[0] = NULL;
	}
	for (int i = 0; i < 2; i++) {
		if (!devs[i])
			continue;
		rc = run_cli("dev", (const char *[]){"run", scn, "--db", devs[i], "--quiet", NULL},
			     10000, NULL, &err);
		assert_int_equal(rc, 2);
		char want[192];
		snprintf(want, sizeof(want), "--db: %s: not a regular file (a character device)",
			 devs[i]);
		if (!strstr(err, want))
			fail_msg("stderr lacks '%s':\n%s", want, err);
		free(err);
		snprintf(side, sizeof(side), "%s-journal", devs[i]);
		assert_false(exists(side));
		snprintf(side, sizeof(side), "%s-wal", devs[i]);
		assert_false(exists(side));
	}
}

/*
 * `target:` scenarios: against a server the test started itself (no server
 * child, no server.* metrics, the server saw the clients), and against a
 * port nobody listens on (the case is an error naming the address, the run
 * exits 1 at once rather than after its duration).
 */
static void test_target(void **state)
{
	(void)state;
	struct tl_server s;
	char scn[128], dbp[128], text[512];
	tl_start(&s, "--proto", "tcp", "--model", "thread", "--handler", "echo", NULL);
	snprintf(text, sizeof(text),
		 "name: run-target\n"
		 "target:\n"
		 "  address: %s\n"
		 "  proto: tcp\n"
		 "clients: {count: 2}\n"
		 "duration: 200ms\n"
		 "thresholds: [errors == 0]\n", s.addr_str);
	scenario(scn, sizeof(scn), "target.yaml", text);
	path_in(dbp, sizeof(dbp), "target.db");
	char *out, *err;
	int rc = run_cli("target", (const char *[]){"run", scn, "--db", dbp, NULL}, 20000, &out, &err);
	if (rc != 0)
		fail_msg("exit %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	free(out);
	free(err);
	tl_stop(&s);

	sqlite3 *d = db_open_path(dbp);
	assert_q_str(d, "ok", "SELECT status FROM runs WHERE id = 1");
	long long id = qi(d, "SELECT id FROM cases WHERE run_id = 1");
	assert_q_str(d, "ok", "SELECT status FROM cases WHERE id = %lld", id);
	assert_q_str(d, "tcp", "SELECT proto FROM cases WHERE id = %lld", id);
	assert_q_str(d, "NULL", "SELECT model FROM cases WHERE id = %lld", id);
	assert_metric(d, id, "requests", > 0);
	/* The connections the runner made are the ones the server saw (the
	 * two clients, unless a client thread was scheduled too late to
	 * connect within the 200 ms: see test_matrix_end_to_end). */
	assert_metric(d, id, "connects", >= 1);
	assert_metric(d, id, "connects", <= 2);
	assert_metric(d, id, "connects", == (double)tl_stat(&s, "accepted"));
	assert_true(tl_stat(&s, "bytes_out") >= (long long)metric(d, id, "bytes_received"));
	assert_int_equal(qi(d, "SELECT count(*) FROM metrics WHERE case_id = %lld AND "
			    "name LIKE 'server.%%'", id), 0);
	sqlite3_close(d);

	/* Nobody listens: a bound socket that never listen()s keeps the port
	 * ours, and connecting to it is refused. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	snprintf(text, sizeof(text),
		 "name: run-target-dead\n"
		 "target: {address: '%s', proto: tcp}\n"
		 "clients: {count: 2}\n"
		 "duration: 10s\n", addr);
	scenario(scn, sizeof(scn), "target-dead.yaml", text);
	path_in(dbp, sizeof(dbp), "target-dead.db");
	double t = tl_ms();
	rc = run_cli("target-dead", (const char *[]){"run", scn, "--db", dbp, NULL}, 20000, &out, &err);
	double took = tl_ms() - t;
	close(fd);
	if (rc != 1)
		fail_msg("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	assert_true(took < tl_bound_ms(3000));
	assert_non_null(strstr(out, addr));
	free(out);
	free(err);
	d = db_open_path(dbp);
	assert_q_str(d, "error", "SELECT status FROM runs WHERE id = 1");
	id = qi(d, "SELECT id FROM cases WHERE run_id = 1");
	assert_q_str(d, "error", "SELECT status FROM cases WHERE id = %lld", id);
	char *e = qs(d, "SELECT error FROM cases WHERE id = %lld", id);
	if (!strstr(e, addr) || !strstr(e, "refused"))
		fail_msg("case error '%s' should name %s and say refused", e, addr);
	free(e);
	assert_int_equal(qi(d, "SELECT cases_not_ok FROM run_summary WHERE id = 1"), 1);
	sqlite3_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_matrix_end_to_end, teardown),
		cmocka_unit_test_teardown(test_json_summary, teardown),
		cmocka_unit_test_teardown(test_thresholds, teardown),
		cmocka_unit_test_teardown(test_repeat_interleaved, teardown),
		cmocka_unit_test_teardown(test_sigint_interrupts, teardown),
		cmocka_unit_test_teardown(test_kill9_runner, teardown),
		cmocka_unit_test_teardown(test_bad_input, teardown),
		cmocka_unit_test_teardown(test_db_not_ours, teardown),
		cmocka_unit_test_teardown(test_target, teardown),
	};
	return tl_run_group(tests, group_setup, group_teardown);
}
