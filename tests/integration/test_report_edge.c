/*
 * tests/integration/test_report_edge.c — `socklab report` on the edges a
 * reviewer worries about, each against the real binary on a store the test
 * writes with the store API:
 *  - -o never leaves a partial file: with RLIMIT_FSIZE too small for the
 *    report the write fails (exit 2) and the old file is intact, with no
 *    temporary file left; -o naming the store itself is refused;
 *  - a store newer than this build is refused (exit 2, says "newer"); a
 *    store from before migration 3 (no capture tables) still reports;
 *  - escaping: a parameter holding | * \ _ < & ESC, Chinese and invalid
 *    UTF-8: Markdown keeps one cell per column, text shows '?' for control
 *    characters and aligns by display width, HTML parses as XML;
 *  - a huge and an infinite metric: short table cells, JSON null for inf;
 *  - --compare: a significant regression is marked worse (HTML class bad)
 *    and an improvement best; ranges apart with 2 and 2 repeats get no
 *    verdict (1 in 3 by chance), with 3 and 3 a verdict; the compare chart
 *    has one whisker per run and case with repeats; runs that share no
 *    case say so, and the parameter that differs becomes a column;
 *  - the HTML case table of a run with UDP accounting is split: the
 *    performance table has no UDP columns, the UDP table only UDP cases;
 *  - a run where no numeric parameter varies gets throughput as bars (the
 *    median of the repeats, whiskers min to max), not no chart at all.
 */
#include "testlib/testlib.h"

#include "harness/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];
static char dbpath[128];
static int64_t run_plain, run_odd, run_base, run_worse, run_two_a, run_two_b, run_other;

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

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

static void exec_sql(sqlite3 *sql, const char *q)
{
	char *msg = NULL;
	if (sqlite3_exec(sql, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sql: %s: %s", msg ? msg : "?", q);
}

struct ecase {
	const char *model, *note;
	int repeat;                 /* 0: no repeat param */
	double thr, p50;
	bool udp;
};

static int64_t write_run(struct db *db, const char *name, const struct ecase *cs, size_t n)
{
	struct db_host h = {.host = "testhost", .kernel = "Linux 6.0 test", .cpu_model = "Test CPU",
			    .cpus = 2};
	struct db_run_meta meta = {.name = name, .scenario_path = "edge.yaml",
				   .scenario_text = "name: edge\n", .host = &h,
				   .version = "0.1.0", .git = name};
	const char *const keys[] = {"server.model", "clients.note", "repeat"};
	int64_t id;
	assert_int_equal(db_run_begin(db, &meta, &id), 0);
	assert_int_equal(db_run_set_varying(db, id, keys, 3), 0);
	for (size_t i = 0; i < n; i++) {
		char rep[16];
		snprintf(rep, sizeof(rep), "%d", cs[i].repeat);
		struct db_param p[] = {
			{"server.model", cs[i].model},
			{"clients.note", cs[i].note},
			{"repeat", rep},
		};
		int64_t cid;
		assert_int_equal(db_case_begin(db, id, i, p, cs[i].repeat ? 3 : 2, &cid), 0);
		assert_int_equal(db_case_metric(db, cid, "throughput_rps", cs[i].thr), 0);
		assert_int_equal(db_case_metric(db, cid, "p50_us", cs[i].p50), 0);
		if (cs[i].udp) {
			char q[512];
			snprintf(q, sizeof(q),
				 "INSERT INTO udp_accounting (case_id, sent, refused, wire, relay_dropped,"
				 " relay_duplicated, rcvbuf_dropped, snmp_rcvbuf_errors, truncated, received,"
				 " duplicates, reordered, unaccounted) VALUES"
				 " (%lld, 100, 0, 100, 0, 0, 40, 40, 0, 60, 0, 0, 0)", (long long)cid);
			exec_sql(db_sqlite(db), q);
		}
		assert_int_equal(db_case_end(db, cid, DB_OK, NULL), 0);
	}
	assert_int_equal(db_run_end(db, id, DB_OK), 0);
	return id;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/socklab-redge-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path_in(dbpath, sizeof(dbpath), "s.db");
	struct db *db;
	char err[256];
	if (db_open(dbpath, &db, err, sizeof(err)) != 0)
		return -1;
	/* A plain run, big enough that its report is a few KiB; one UDP case. */
	static const struct ecase plain[] = {
		{"epoll", "a", 0, 1000, 50, false}, {"thread", "a", 0, 900, 60, false},
		{"epoll", "b", 0, 1100, 55, false}, {"thread", "b", 0, 950, 65, true},
	};
	run_plain = write_run(db, "plain", plain, 4);
	/* Odd strings and numbers: | * \ _ < & ESC, Chinese, an invalid byte; 1e300 and inf. */
	static const struct ecase odd[] = {
		{"a|b*c\\d_e_", "x<y&z\033[31m", 0, 1e300, 50, false},
		{"线程池", "\xff" "bad", 0, INFINITY, 60, false},
	};
	run_odd = write_run(db, "odd", odd, 2);
	/* Compare: base and worse, 3 repeats each: epoll clearly slower, thread clearly faster. */
	static const struct ecase base[] = {
		{"epoll", "a", 1, 1000, 50, false}, {"epoll", "a", 2, 1010, 51, false},
		{"epoll", "a", 3, 990, 49, false},  {"thread", "a", 1, 500, 80, false},
		{"thread", "a", 2, 505, 81, false}, {"thread", "a", 3, 495, 79, false},
	};
	static const struct ecase worse[] = {
		{"epoll", "a", 1, 800, 70, false},  {"epoll", "a", 2, 810, 71, false},
		{"epoll", "a", 3, 790, 69, false},  {"thread", "a", 1, 700, 60, false},
		{"thread", "a", 2, 705, 61, false}, {"thread", "a", 3, 695, 59, false},
	};
	run_base = write_run(db, "base", base, 6);
	run_worse = write_run(db, "worse", worse, 6);
	/* 2 and 2 repeats, ranges apart by far: still no verdict. */
	static const struct ecase two_a[] = {
		{"epoll", "a", 1, 1000, 50, false}, {"epoll", "a", 2, 1001, 50, false},
	};
	static const struct ecase two_b[] = {
		{"epoll", "a", 1, 2000, 50, false}, {"epoll", "a", 2, 2001, 50, false},
	};
	run_two_a = write_run(db, "two_a", two_a, 2);
	run_two_b = write_run(db, "two_b", two_b, 2);
	/* The same cases with a parameter no run varies set differently: nothing lines up. */
	run_other = write_run(db, "other", two_b, 2);
	char q[256];
	snprintf(q, sizeof(q), "UPDATE cases SET params = json_set(params, '$.\"clients.duration\"',"
		 " '2s') WHERE run_id = %lld", (long long)run_other);
	exec_sql(db_sqlite(db), q);
	return db_close(db) == 0 ? 0 : -1;
}

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

/* `socklab report --db DB` and up to 6 more args; stdout in out; the exit status. */
static int report(const char *db, char *out, size_t len, const char *const *more)
{
	const char *args[16] = {"--db", db};
	size_t n = 2;
	for (size_t i = 0; more[i] && n < 15; i++)
		args[n++] = more[i];
	args[n] = NULL;
	return tl_run_verb("report", out, len, args);
}

static const char *id(int64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

/* Run python3 on code with arg; its output in out; the exit status. */
static int python(const char *code, const char *arg, char *out, size_t len)
{
	char script[160], cmd[512];
	path_in(script, sizeof(script), "check.py");
	tl_write_file(script, code);
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' 2>&1", script, arg);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static void expect_python_ok(const char *code, const char *arg)
{
	char res[8192];
	int st = python(code, arg, res, sizeof(res));
	if (st != 0 || strcmp(res, "OK\n") != 0)
		fail_msg("python3 check failed (status %d): %s", st, res);
}

/* The number of directory entries of dir whose name starts with prefix. */
static int entries(const char *prefix)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static void test_output_never_partial(void **state)
{
	(void)state;
	char opath[160], r[32];
	path_in(opath, sizeof(opath), "out.html");
	tl_write_file(opath, "old report\n");
	id(run_plain, r, sizeof(r));
	/* The child may write at most 1 KiB per file: the HTML report is bigger. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {1024, 1024};
		signal(SIGXFSZ, SIG_IGN);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(99);
		execl(tl_bin(), tl_bin(), "report", "--db", dbpath, "--run", r,
		      "--format", "html", "-o", opath, (char *)NULL);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	char *s = read_all(opath);
	assert_string_equal(s, "old report\n");
	free(s);
	assert_int_equal(entries("out.html"), 1);          /* no temporary file left */

	/* Without the limit the same command replaces the file, keeping its mode. */
	assert_int_equal(chmod(opath, 0640), 0);
	char out[256];
	const char *a[] = {"--run", r, "--format", "html", "-o", opath, NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), a), 0);
	s = read_all(opath);
	assert_non_null(strstr(s, "</html>"));
	free(s);
	struct stat sb;
	assert_int_equal(stat(opath, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_int_equal(entries("out.html"), 1);

	/* -o the store itself: refused, the store intact. */
	const char *b[] = {"-o", dbpath, NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), b), 2);
	const char *c[] = {"--run", r, NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), c), 0);
	assert_non_null(strstr(out, "run "));
}

/* A copy of the store at name, changed by sql. */
static void variant(const char *name, const char *sql, char *path, size_t len)
{
	char cmd[512];
	path_in(path, len, name);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", dbpath, path);
	assert_int_equal(system(cmd), 0);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_sql(db, sql);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_store_versions(void **state)
{
	(void)state;
	char path[160], out[65536], r[32];
	variant("newer.db", "INSERT INTO schema_version (version, applied) VALUES (99, 'later')", path, sizeof(path));
	const char *none[] = {NULL};
	assert_int_equal(report(path, out, sizeof(out), none), 2);
	assert_string_equal(out, "");

	/* Before migration 3: no app_events, flow_align, sock_samples, udp_accounting. */
	variant("v2.db",
		"DROP VIEW IF EXISTS udp_summary; DROP VIEW IF EXISTS relay_messages;"
		" DROP VIEW IF EXISTS flow_summary; DROP TABLE app_events; DROP TABLE flow_align;"
		" DROP TABLE sock_samples; DROP TABLE udp_accounting;"
		" DELETE FROM schema_version WHERE version >= 3", path, sizeof(path));
	const char *a[] = {"--run", id(run_plain, r, sizeof(r)), NULL};
	assert_int_equal(report(path, out, sizeof(out), a), 0);
	assert_non_null(strstr(out, "throughput_rps"));
	assert_null(strstr(out, "rcvbuf_drop"));
	const char *b[] = {"--run", r, "--format", "html", NULL};
	assert_int_equal(report(path, out, sizeof(out), b), 0);
	assert_null(strstr(out, "UDP accounting"));
	/* The same run in the current store has its UDP columns. */
	assert_int_equal(report(dbpath, out, sizeof(out), a), 0);
	assert_non_null(strstr(out, "rcvbuf_drop"));
}

static void test_escaping(void **state)
{
	(void)state;
	char out[65536], r[32], path[160];
	id(run_odd, r, sizeof(r));
	const char *md[] = {"--run", r, "--format", "md", NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), md), 0);
	/* '_' between letters stays (GFM never reads it as emphasis), the others get a '\\'. */
	assert_non_null(strstr(out, "| a\\|b\\*c\\\\d_e\\_ |"));
	assert_non_null(strstr(out, "x\\<y&z \\[31m"));        /* ESC a space */
	path_in(path, sizeof(path), "odd.md");
	tl_write_file(path, out);
	/* Every table row splits (GFM: unescaped pipes) into as many cells as the header. */
	expect_python_ok(
		"import re, sys\n"
		"rows = [l for l in open(sys.argv[1], encoding='utf-8', errors='replace') if l.startswith('|')]\n"
		"n = [len(re.findall(r'(?<!\\\\)(?:\\\\\\\\)*\\|', re.sub(r'\\\\\\\\', '', l))) for l in rows]\n"
		"assert len(set(n)) == 1, n\n"
		"print('OK')\n", path);

	const char *text[] = {"--run", r, NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), text), 0);
	assert_null(strchr(out, '\033'));
	assert_non_null(strstr(out, "x<y&z?[31m"));
	/* A huge value is a short cell; inf is not measured ("-"). */
	assert_non_null(strstr(out, "1e+300"));
	/* Columns align by display width: "线程池" (6 columns) pads like "a|b*c\d_e_" (10). */
	path_in(path, sizeof(path), "odd.txt");
	tl_write_file(path, out);
	expect_python_ok(
		"import sys, unicodedata\n"
		"w = lambda s: sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)\n"
		"lines = open(sys.argv[1], encoding='utf-8', errors='replace').read().split('\\n')\n"
		"head = [l for l in lines if l.rstrip().endswith('status')]\n"
		"rows = [l for l in lines if l.endswith(' ok')]\n"
		"assert len(head) == 1 and len(rows) == 2, lines\n"
		"cols = [w(head[0][:head[0].rfind('status')])] + [w(l[:l.rfind(' ok') + 1]) for l in rows]\n"
		"assert len(set(cols)) == 1, (cols, lines)\n"
		"assert any('线程池' in l for l in rows)\n"
		"print('OK')\n", path);

	const char *json[] = {"--run", r, "--format", "json", NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), json), 0);
	path_in(path, sizeof(path), "odd.json");
	tl_write_file(path, out);
	expect_python_ok(
		"import json, sys\n"
		/* net_json_fputs passes invalid UTF-8 through (reported, util/json.c is not ours). */
		"d = json.load(open(sys.argv[1], encoding='utf-8', errors='surrogateescape'))\n"
		"m = [c['metrics']['throughput_rps'] for c in d['cases']]\n"
		"assert m == [1e300, None], m\n"
		"assert d['cases'][0]['params']['clients.note'] == 'x<y&z\\x1b[31m'\n"
		"print('OK')\n", path);

	const char *html[] = {"--run", r, "--format", "html", NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), html), 0);
	path_in(path, sizeof(path), "odd.html");
	tl_write_file(path, out);
	expect_python_ok(
		"import sys, xml.etree.ElementTree as ET\n"
		"raw = open(sys.argv[1], 'rb').read()\n"
		"raw.decode('utf-8')\n"
		"t = ET.fromstring(raw.split(b'\\n', 1)[1])\n"
		"txt = ''.join(t.itertext())\n"
		"assert '线程池' in txt and 'x<y&z' in txt and '\\ufffdbad' in txt, txt[:400]\n"
		"print('OK')\n", path);
}

static void test_compare_direction(void **state)
{
	(void)state;
	char out[65536], ids[64], path[160];
	snprintf(ids, sizeof(ids), "%lld,%lld", (long long)run_base, (long long)run_worse);
	const char *text[] = {"--compare", ids, NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), text), 0);
	assert_non_null(strstr(out, "-20.0% !"));              /* epoll throughput: worse */
	assert_non_null(strstr(out, "+40.0% !"));              /* thread throughput: better */

	const char *html[] = {"--compare", ids, "--format", "html", NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), html), 0);
	path_in(path, sizeof(path), "cmp.html");
	tl_write_file(path, out);
	expect_python_ok(
		"import sys, xml.etree.ElementTree as ET\n"
		"raw = open(sys.argv[1], 'rb').read()\n"
		"t = ET.fromstring(raw.split(b'\\n', 1)[1])\n"
		"ns = {'h': 'http://www.w3.org/1999/xhtml', 's': 'http://www.w3.org/2000/svg'}\n"
		"cells = {td.text: td.get('class') for td in t.iter('{http://www.w3.org/1999/xhtml}td')}\n"
		"assert cells['-20.0% !'] == 'num bad', cells\n"
		"assert cells['+40.0% !'] == 'num best', cells\n"
		"assert cells['+40.0% !'] != cells['-20.0% !']\n"
		"err = [p for p in t.iter('{http://www.w3.org/2000/svg}path') if p.get('class') == 'errbar']\n"
		"assert len(err) == 4, len(err)   # 2 cases x 2 runs, each with 3 repeats\n"
		"titles = [''.join(p.itertext()) for p in err]\n"
		"assert any('range 790 to 810' in s for s in titles), titles\n"
		"print('OK')\n", path);

	/* 2 and 2 repeats with ranges far apart: no verdict; 3 and 3 had one above. */
	snprintf(ids, sizeof(ids), "%lld,%lld", (long long)run_two_a, (long long)run_two_b);
	const char *csv[] = {"--compare", ids, "--format", "csv", NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), csv), 0);
	assert_non_null(strstr(out, "throughput_rps,1000.5,1000,1001,2,2000.5,2000,2001,2,1000,"));
	assert_non_null(strstr(out, ",unknown\r\n"));
	assert_null(strstr(out, ",yes\r\n"));

	/*
	 * Runs whose cases differ in a key neither varies: the key becomes a
	 * column (the rows would look alike without it) and a note says why
	 * nothing lined up.
	 */
	snprintf(ids, sizeof(ids), "%lld,%lld", (long long)run_two_a, (long long)run_other);
	const char *miss[] = {"--compare", ids, NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), miss), 0);
	assert_non_null(strstr(out, "  duration  "));
	assert_non_null(strstr(out, " 2s "));
	char note[160];
	snprintf(note, sizeof(note), "run %lld shares no case with the baseline run %lld",
		 (long long)run_other, (long long)run_two_a);
	assert_non_null(strstr(out, note));
	/* Runs that line up have no such note. */
	snprintf(ids, sizeof(ids), "%lld,%lld", (long long)run_two_a, (long long)run_two_b);
	assert_int_equal(report(dbpath, out, sizeof(out), miss), 0);
	assert_null(strstr(out, "shares no case"));
	assert_null(strstr(out, "duration"));
}

static void test_html_split(void **state)
{
	(void)state;
	char out[65536], r[32], path[160];
	const char *html[] = {"--run", id(run_plain, r, sizeof(r)), "--format", "html", NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), html), 0);
	path_in(path, sizeof(path), "split.html");
	tl_write_file(path, out);
	expect_python_ok(
		"import sys, xml.etree.ElementTree as ET\n"
		"raw = open(sys.argv[1], 'rb').read()\n"
		"t = ET.fromstring(raw.split(b'\\n', 1)[1])\n"
		"H = '{http://www.w3.org/1999/xhtml}'\n"
		"tables = list(t.iter(H + 'table'))\n"
		"assert len(tables) == 2, len(tables)\n"
		"head = lambda tb: [''.join(th.itertext()) for th in tb.iter(H + 'th')]\n"
		"rows = lambda tb: list(tb.iter(H + 'tbody'))[0].findall(H + 'tr')\n"
		"main, udp = head(tables[0]), head(tables[1])\n"
		"assert 'throughput_rps' in main and 'status' in main and 'sent' not in main, main\n"
		"assert 'rcvbuf_drop' in udp and 'throughput_rps' not in udp and 'model' in udp, udp\n"
		"assert len(rows(tables[0])) == 4 and len(rows(tables[1])) == 1\n"
		"assert max(len(main), len(udp)) <= 14, (main, udp)\n"
		"h2 = [''.join(h.itertext()) for h in t.iter(H + 'h2')]\n"
		"assert 'UDP accounting' in h2 and 'Captured TCP streams' not in h2, h2\n"
		"print('OK')\n", path);
}

/* No numeric key varies (only the model; 3 repeats): throughput as bars with whiskers; one case: one bar. */
static void test_throughput_bars(void **state)
{
	(void)state;
	char out[65536], r[32], path[160];
	const char *html[] = {"--run", id(run_base, r, sizeof(r)), "--format", "html", NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), html), 0);
	path_in(path, sizeof(path), "bars.html");
	tl_write_file(path, out);
	static const char check[] =
		"import sys, xml.etree.ElementTree as ET\n"
		"raw = open(sys.argv[1], 'rb').read()\n"
		"t = ET.fromstring(raw.split(b'\\n', 1)[1])\n"
		"S = '{http://www.w3.org/2000/svg}'\n"
		"svg = [e for e in t.iter(S + 'svg') if e.get('id') == 'chart-throughput']\n"
		"assert len(svg) == 1, 'no throughput chart'\n"
		"bars = [e for e in svg[0].iter(S + 'rect') if e.find(S + 'title') is not None]\n"
		"err = [e for e in svg[0].iter(S + 'path') if e.get('class') == 'errbar']\n"
		"tips = [''.join(e.itertext()) for e in bars + err]\n"
		"want = int(sys.argv[2])\n"
		"assert len(bars) == want and len(err) == (want if want > 1 else 0), tips\n"
		"print('OK')\n";
	char arg[300];
	snprintf(arg, sizeof(arg), "%s' '2", path);
	expect_python_ok(check, arg);
	assert_non_null(strstr(out, "range 990 to 1010"));      /* epoll's three repeats */
	assert_non_null(strstr(out, "throughput 1000</title>")); /* their median */

	/* The odd run: 2 cases, one throughput infinite (not drawn), no repeats. */
	const char *odd[] = {"--run", id(run_odd, r, sizeof(r)), "--format", "html", NULL};
	assert_int_equal(report(dbpath, out, sizeof(out), odd), 0);
	tl_write_file(path, out);
	snprintf(arg, sizeof(arg), "%s' '1", path);
	expect_python_ok(check, arg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_never_partial),
		cmocka_unit_test(test_store_versions),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_compare_direction),
		cmocka_unit_test(test_html_split),
		cmocka_unit_test(test_throughput_bars),
	};
	return tl_run_group(tests, setup, teardown);
}
