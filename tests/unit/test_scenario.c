/*
 * tests/unit/test_scenario.c — the scenario loader: one test per error
 * class with the exact "FILE:LINE:COL: KEY.PATH: message" line, matrix
 * expansion order and limits, argv for serve and load, thresholds, every
 * file in scenarios/ loading, and docs/scenarios.md in step with the schema.
 *
 * `test_scenario --write-docs docs/scenarios.md` regenerates the key
 * reference part of the docs from the schema table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/scenario/scenario.h"

#define DOC_BEGIN "<!-- BEGIN GENERATED: scn_schema_markdown(); do not edit by hand -->\n"
#define DOC_END "<!-- END GENERATED -->\n"

/* The source tree, from this file's path (CMake compiles absolute paths). */
static void src_path(char *buf, size_t len, const char *rel)
{
	const char *f = __FILE__, *t = strstr(f, "tests/unit/");
	snprintf(buf, len, "%.*s%s", t ? (int)(t - f) : 0, f, rel);
}

static struct scn *load_ok(const char *yaml)
{
	struct scn *s = NULL;
	struct scn_error err;
	int rc = scn_load_string("x.yaml", yaml, strlen(yaml), &s, &err);
	if (rc != 0)
		print_error("unexpected error: %s\n", err.text);
	assert_int_equal(rc, 0);
	assert_non_null(s);
	return s;
}

static void expect_err(const char *yaml, const char *want)
{
	struct scn *s = (struct scn *)1;
	struct scn_error err;
	int rc = scn_load_string("x.yaml", yaml, strlen(yaml), &s, &err);
	assert_int_equal(rc, -EINVAL);
	assert_null(s);
	assert_string_equal(err.text, want);
}

/* More thresholds than the runner evaluates is an error, at the first one
 * too many, never a silent pass. */
static void test_too_many_thresholds(void **state)
{
	(void)state;
	char yaml[4096] = "server:\nthresholds:\n";
	for (int i = 0; i <= SCN_MAX_THRESHOLDS; i++)
		strcat(yaml, "  - errors == 0\n");
	char want[128];
	snprintf(want, sizeof(want), "x.yaml:%d:5: thresholds: at most %d thresholds, got %d",
		 3 + SCN_MAX_THRESHOLDS, SCN_MAX_THRESHOLDS, SCN_MAX_THRESHOLDS + 1);
	expect_err(yaml, want);
}

/* ---- loading and defaults ---- */

static void test_minimal(void **state)
{
	(void)state;
	struct scn *s = load_ok("server:\n");
	assert_true(s->has_server);
	assert_string_equal(s->name, "x");
	assert_int_equal(s->ncases, 1);
	assert_int_equal(s->nvary, 0);
	assert_int_equal(s->repeat, 1);
	const struct scn_case *c = &s->cases[0];
	assert_string_equal(scn_case_get(c, "server.proto"), "tcp");
	assert_string_equal(scn_case_get(c, "server.model"), "thread");
	assert_string_equal(scn_case_get(c, "server.handler"), "echo");
	assert_string_equal(scn_case_get(c, "clients.count"), "1");
	assert_string_equal(scn_case_get(c, "clients.duration"), "10s");
	assert_null(scn_case_get(c, "server.workers"));
	assert_null(scn_case_get(c, "target.address"));
	/* schema order */
	assert_string_equal(c->params[0].key, "server.proto");
	assert_int_equal(c->params[0].line, 0);
	scn_free(s);
}

static void test_values(void **state)
{
	(void)state;
	struct scn *s = load_ok(
		"name: t\n"
		"server:\n"
		"  proto: udp\n"
		"  workers: 04\n"
		"clients:\n"
		"  nodelay: yes\n"
		"  requests: 100\n"
		"warmup: 250ms\n"
		"repeat: 3\n"
		"capture: {enabled: true, pcap: caps, snaplen: 128}\n"
		"thresholds: ['p99_us < 2000', errors == 0, 'loss_pct<=1.5']\n");
	const struct scn_case *c = &s->cases[0];
	assert_string_equal(scn_case_get(c, "server.model"), "iterative");
	assert_string_equal(scn_case_get(c, "server.workers"), "4");
	assert_string_equal(scn_case_get(c, "clients.nodelay"), "true");
	assert_null(scn_case_get(c, "clients.duration"));
	const struct scn_param *p = scn_case_param(c, "clients.requests");
	assert_int_equal(p->line, 7);
	assert_int_equal(p->col, 13);
	assert_int_equal(s->warmup_ns, 250000000ull);
	assert_int_equal(s->repeat, 3);
	assert_true(s->capture.enabled);
	assert_string_equal(s->capture.pcap_dir, "caps");
	assert_int_equal(s->capture.snaplen, 128);
	assert_int_equal(s->nthresholds, 3);
	assert_int_equal(s->thresholds[0].metric, SCN_M_P99_US);
	assert_int_equal(s->thresholds[0].op, SCN_LT);
	assert_true(s->thresholds[0].value == 2000);
	assert_int_equal(s->thresholds[1].metric, SCN_M_ERRORS);
	assert_int_equal(s->thresholds[1].op, SCN_EQ);
	assert_int_equal(s->thresholds[2].op, SCN_LE);
	assert_true(scn_threshold_ok(&s->thresholds[0], 1999));
	assert_false(scn_threshold_ok(&s->thresholds[0], 2000));
	assert_true(scn_threshold_ok(&s->thresholds[2], 1.5));
	assert_string_equal(s->thresholds[2].text, "loss_pct<=1.5");
	scn_free(s);
}

/* ---- the matrix ---- */

/* A relative path key is taken from the scenario file's directory (a file
 * in the current directory, or an absolute path, is used as written). */
static void test_paths_from_scenario_dir(void **state)
{
	(void)state;
	static const char yaml[] =
		"server: {handler: file, root: files}\n"
		"clients: {file: a.txt, file_root: /srv/x}\n"
		"capture: {pcap: caps}\n";
	struct scn *s = NULL;
	struct scn_error err;
	assert_int_equal(scn_load_string("lab/week1/t.yaml", yaml, strlen(yaml), &s, &err), 0);
	assert_string_equal(scn_case_get(&s->cases[0], "server.root"), "lab/week1/files");
	assert_string_equal(scn_case_get(&s->cases[0], "clients.file_root"), "/srv/x");
	assert_string_equal(s->capture.pcap_dir, "lab/week1/caps");
	scn_free(s);
	assert_int_equal(scn_load_string("t.yaml", yaml, strlen(yaml), &s, &err), 0);
	assert_string_equal(scn_case_get(&s->cases[0], "server.root"), "files");
	scn_free(s);
}

static void test_matrix_order(void **state)
{
	(void)state;
	struct scn *s = load_ok(
		"server:\n"
		"  model: [thread, epoll]\n"
		"clients:\n"
		"  count: [1, 10, 100]\n"
		"  nodelay: [false]\n");
	static const char *const want[][2] = {
		{"thread", "1"}, {"thread", "10"}, {"thread", "100"},
		{"epoll", "1"}, {"epoll", "10"}, {"epoll", "100"},
	};
	assert_int_equal(s->ncases, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(s->cases[i].index, i);
		assert_string_equal(scn_case_get(&s->cases[i], "server.model"), want[i][0]);
		assert_string_equal(scn_case_get(&s->cases[i], "clients.count"), want[i][1]);
	}
	/* a one-value list does not vary */
	assert_int_equal(s->nvary, 2);
	assert_string_equal(s->vary[0], "server.model");
	assert_string_equal(s->vary[1], "clients.count");
	char *label = scn_case_label(s, &s->cases[4]);
	assert_string_equal(label, "model=epoll count=10");
	free(label);
	scn_free(s);
}

static void test_matrix_declared_order(void **state)
{
	(void)state;
	/* clients written first: its key varies slowest */
	struct scn *s = load_ok(
		"clients: {count: [1, 2], framing: [none, length]}\n"
		"server: {proto: [tcp, udp], handler: echo}\n");
	assert_int_equal(s->ncases, 8);
	assert_string_equal(s->vary[0], "clients.count");
	assert_string_equal(s->vary[2], "server.proto");
	assert_string_equal(scn_case_get(&s->cases[1], "server.proto"), "udp");
	assert_string_equal(scn_case_get(&s->cases[1], "server.model"), "iterative");
	assert_string_equal(scn_case_get(&s->cases[2], "clients.framing"), "length");
	assert_string_equal(scn_case_get(&s->cases[4], "clients.count"), "2");
	scn_free(s);
}

static void test_matrix_too_big(void **state)
{
	(void)state;
	/* 25 * 25 * 17 = 10625 cases */
	char yaml[1024];
	int n = snprintf(yaml, sizeof(yaml), "server: {}\nclients:\n  count: [");
	for (int i = 1; i <= 25; i++)
		n += snprintf(yaml + n, sizeof(yaml) - (size_t)n, "%s%d", i > 1 ? ", " : "", i);
	n += snprintf(yaml + n, sizeof(yaml) - (size_t)n, "]\n  threads: [");
	for (int i = 1; i <= 25; i++)
		n += snprintf(yaml + n, sizeof(yaml) - (size_t)n, "%s%d", i > 1 ? ", " : "", i);
	n += snprintf(yaml + n, sizeof(yaml) - (size_t)n,
		      "]\n  size: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]\n");
	expect_err(yaml, "x.yaml:5:9: clients.size: the matrix reaches 10625 cases here, "
		   "more than 10000");
}

static void test_matrix_empty(void **state)
{
	(void)state;
	expect_err("server:\n  model: []\n",
		   "x.yaml:2:10: server.model: empty list (a matrix needs at least one value)");
}

static void test_matrix_not_here(void **state)
{
	(void)state;
	expect_err("server: {}\nwarmup: [1s, 2s]\n",
		   "x.yaml:2:9: warmup: expected a duration like 10s, 200ms, got a list");
}

/* A NUL escaped into a double-quoted value ("ab\0cd") would cut the C
 * string short in silence (the run was stored as "ab"): refused where it is
 * (issue 17, finding 9). */
static void test_err_nul_in_value(void **state)
{
	(void)state;
	expect_err("name: \"ab\\0cd\"\nserver: {}\n",
		   "x.yaml:1:7: yaml: a NUL character (\\0) in a value; "
		   "a scenario's text cannot hold one");
	expect_err("server:\n  path: \"/tmp/a\\x00b\"\n",
		   "x.yaml:2:9: yaml: a NUL character (\\0) in a value; "
		   "a scenario's text cannot hold one");
}

/* ---- one test per error class ---- */

/* A value of the right type out of range states the range, also when it
 * is too large for 64 bits (issue 17, finding 9). */
static void test_err_out_of_range(void **state)
{
	(void)state;
	expect_err("server: {}\nclients:\n  count: 10000000\n",
		   "x.yaml:3:10: clients.count: expected a positive integer, at most 1000000, "
		   "got '10000000'");
	expect_err("server: {}\nclients:\n  count: 99999999999999999999999\n",
		   "x.yaml:3:10: clients.count: expected a positive integer, at most 1000000, "
		   "got '99999999999999999999999'");
	expect_err("server: {}\nduration: 100000h\n",
		   "x.yaml:2:11: duration: expected a duration from 1ms to 24h, got '100000h'");
	expect_err("server: {}\nduration: 99999999999h\n",
		   "x.yaml:2:11: duration: expected a duration from 1ms to 24h, got '99999999999h'");
	expect_err("server: {}\nclients: {size: 0}\n",
		   "x.yaml:2:17: clients.size: size '0': at least 1 byte "
		   "(an empty request has no reply to wait for)");
	expect_err("server: {max_msg: 99999999999999999999}\n",
		   "x.yaml:1:19: server.max_msg: expected a size from 1 to 4294967295, "
		   "got '99999999999999999999'");
}

static void test_err_wrong_type(void **state)
{
	(void)state;
	expect_err("server:\n  proto: tcp\nclients:\n  count: many\n",
		   "x.yaml:4:10: clients.count: expected a positive integer, got 'many'");
	expect_err("server: {workers: 65}\n",
		   "x.yaml:1:19: server.workers: expected a positive integer, at most 64, got '65'");
	expect_err("server: {max_msg: 1q}\n",
		   "x.yaml:1:19: server.max_msg: expected a size like 512, 4k, 1m, got '1q'");
	expect_err("server: {poll_interval: 2h}\n",
		   "x.yaml:1:25: server.poll_interval: expected a duration from 1ms to 60s, got '2h'");
	expect_err("server: {reuseaddr: maybe}\n",
		   "x.yaml:1:21: server.reuseaddr: expected true or false, got 'maybe'");
	expect_err("server: {}\nclients:\n  count:\n",
		   "x.yaml:3:9: clients.count: expected a positive integer, got nothing");
	expect_err("server: {}\nclients: {count: {a: 1}}\n",
		   "x.yaml:2:18: clients.count: expected a positive integer, got a mapping");
	expect_err("server: [tcp]\n",
		   "x.yaml:1:9: server: expected a mapping of server keys, got a list");
	expect_err("server: {}\nclients: {size: 'uniform:9-2'}\n",
		   "x.yaml:2:17: clients.size: size 'uniform:9-2': expected N, uniform:A-B or "
		   "exp:MEAN (sizes like 512, 4k, 1m)");
}

static void test_err_bad_enum(void **state)
{
	(void)state;
	expect_err("server:\n  proto: tcpp\n",
		   "x.yaml:2:10: server.proto: expected one of tcp, udp, unix-stream, "
		   "unix-dgram, got 'tcpp'");
	expect_err("server: {}\nclients: {framing: [none, lenght]}\n",
		   "x.yaml:2:27: clients.framing: expected one of none, length, delim, got 'lenght'");
}

static void test_err_model(void **state)
{
	(void)state;
	expect_err("server: {model: epol}\n",
		   "x.yaml:1:17: server.model: unknown model 'epol' (one of: iterative, thread, "
		   "fork, prefork, pool, epoll, reuseport, batch)");
	/* the model fits tcp but not udp: the case that combines them fails */
	expect_err("server:\n  proto: [tcp, udp]\n  model: [thread, epoll]\n",
		   "x.yaml:3:19: server.model: 'epoll' is not a datagram model (proto udp; one "
		   "of: iterative, thread, fork, reuseport, batch)");
}

static void test_err_handler(void **state)
{
	(void)state;
	expect_err("server: {handler: 'sleep:x'}\n",
		   "x.yaml:1:19: server.handler: handler sleep: 'x' is not a whole number "
		   "(milliseconds per request)");
	expect_err("server: {proto: udp, handler: framed}\n",
		   "x.yaml:1:31: server.handler: handler framed needs a byte stream (proto tcp "
		   "or unix-stream), not udp");
}

static void test_err_unknown_key(void **state)
{
	(void)state;
	expect_err("server: {}\nclients:\n  cuont: 3\n",
		   "x.yaml:3:3: clients.cuont: unknown key, did you mean 'count'?");
	expect_err("server: {}\nclients:\n  model: epoll\n",
		   "x.yaml:3:3: clients.model: unknown key here; did you mean 'server.model'?");
	expect_err("server: {}\nxyzzy: 1\n",
		   "x.yaml:2:1: xyzzy: unknown key (expected one of: name description server "
		   "target relay clients warmup duration repeat thresholds capture topology link)");
}

static void test_err_duplicate(void **state)
{
	(void)state;
	expect_err("server:\n  model: thread\n  model: epoll\n",
		   "x.yaml:3:3: server.model: duplicate key (first given at line 2)");
	expect_err("server: {}\nduration: 1s\nclients: {duration: 2s}\n",
		   "x.yaml:3:21: clients.duration: given twice: also at line 2 (duration); give one");
}

static void test_err_server_target(void **state)
{
	(void)state;
	expect_err("name: x\nclients: {count: 1}\n",
		   "x.yaml:1:1: server: missing: a scenario needs a server (a built-in server "
		   "to start) or a target (a server already running)");
	expect_err("server: {}\ntarget: {address: '127.0.0.1:9'}\n",
		   "x.yaml:2:9: target: give server or target, not both (server is at line 1)");
	expect_err("target: {proto: tcp}\n",
		   "x.yaml:1:9: target.address: required: HOST:PORT or a socket path");
	expect_err("target: {address: nowhere}\n",
		   "x.yaml:1:19: target.address: 'nowhere': expected HOST:PORT (IPv6 as "
		   "[ADDR]:PORT) (proto tcp)");
	expect_err("server: {proto: unix-stream}\n",
		   "x.yaml:1:17: server.proto: proto unix-stream needs server.path (a socket file)");
}

static void test_err_threshold(void **state)
{
	(void)state;
	expect_err("server: {}\nthresholds:\n  - p98_us < 2000\n",
		   "x.yaml:3:5: thresholds[0]: unknown metric 'p98_us' (did you mean 'p90_us' "
		   "or 'p99_us'?)");
	expect_err("server: {}\nthresholds: ['latency > 3']\n",
		   "x.yaml:2:15: thresholds[0]: unknown metric 'latency' (see docs/scenarios.md "
		   "for the list)");
	expect_err("server: {}\nthresholds:\n  - errors == 0\n  - 'p99_us =< 2000'\n",
		   "x.yaml:4:13: thresholds[1]: expected an operator (< <= > >= == !=), got '=<'");
	expect_err("server: {}\nthresholds: [\"throughput_rps > fast\"]\n",
		   "x.yaml:2:32: thresholds[0]: expected a number, got 'fast'");
	expect_err("server: {}\nthresholds:\n  - p99_us < 2 ms\n",
		   "x.yaml:3:16: thresholds[0]: unexpected 'ms' after the number (units are "
		   "part of the metric's name, e.g. p99_us)");
	expect_err("server: {}\nthresholds:\n  - p99_us: 2000\n",
		   "x.yaml:3:5: thresholds[0]: expected an expression like 'p99_us < 2000', got "
		   "a mapping (quote it if it contains ': ')");
}

static void test_err_yaml(void **state)
{
	(void)state;
	expect_err("server:\n  model: thread\n bad: [\n",
		   "x.yaml:3:2: yaml: did not find expected key while parsing a block mapping");
	expect_err("server: {model: 'thread}\n",
		   "x.yaml:2:1: yaml: found unexpected end of stream while scanning a quoted scalar");
	expect_err("server: &s {}\ntarget: *s\n",
		   "x.yaml:2:9: yaml: aliases (*s) are not supported; write the value out");
	expect_err("server: {}\n---\nserver: {}\n",
		   "x.yaml:2:1: yaml: more than one document (a scenario is one document)");
	expect_err("", "x.yaml:1:1: scenario: empty file (expected a mapping of scenario keys)");
	expect_err("- a\n", "x.yaml:1:1: scenario: expected a mapping of scenario keys, got a list");
}

static void test_err_file(void **state)
{
	(void)state;
	struct scn *s;
	struct scn_error err;
	assert_int_equal(scn_load("/nonexistent/x.yaml", &s, &err), -ENOENT);
	assert_null(s);
	assert_string_equal(err.text, "/nonexistent/x.yaml: cannot read: No such file or directory");
}

/* Write n bytes of text (repeated) into the FIFO at path from a child, as
 * `socklab run <(cat x.yaml)` gives the runner a pipe. */
static pid_t fifo_writer(const char *path, const char *text, size_t n)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		FILE *f = fopen(path, "w");
		if (!f)
			_exit(1);
		size_t tl = strlen(text);
		for (size_t i = 0; i < n; i += tl)
			fwrite(text, 1, n - i < tl ? n - i : tl, f);
		fclose(f);
		_exit(0);
	}
	return pid;
}

/* A scenario read from a pipe (issue 17, finding 9: it said "Invalid
 * argument"), bounded by SCN_MAX_BYTES like a regular file; a directory
 * says so. */
static void test_load_fifo(void **state)
{
	(void)state;
	char path[128];
	struct scn *s = NULL;
	struct scn_error err;
	tl_tmp_path(path, sizeof(path), ".yaml");
	assert_int_equal(mkfifo(path, 0600), 0);
	const char *text = "name: piped\nserver: {proto: tcp}\n";
	pid_t w = fifo_writer(path, text, strlen(text));
	int rc = scn_load(path, &s, &err);
	waitpid(w, NULL, 0);
	if (rc != 0)
		fail_msg("scn_load of a FIFO: %d %s", rc, err.text);
	assert_string_equal(s->name, "piped");
	scn_free(s);

	/* Larger than the limit: refused after reading one byte more than it,
	 * with the limit in the message. */
	w = fifo_writer(path, "# a comment line of padding\n", SCN_MAX_BYTES + 4096);
	rc = scn_load(path, &s, &err);
	kill(w, SIGKILL);
	waitpid(w, NULL, 0);
	assert_int_equal(rc, -EINVAL);
	assert_null(s);
	char want[256];
	snprintf(want, sizeof(want), "%s:1:1: scenario: file larger than %u bytes", path,
		 SCN_MAX_BYTES);
	assert_string_equal(err.text, want);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(scn_load("/tmp", &s, &err), -EISDIR);
	assert_string_equal(err.text, "/tmp: cannot read: Is a directory");
}

/* ---- argv ---- */

static void assert_argv(char **argv, const char *const *want)
{
	size_t i = 0;
	for (; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
}

static void test_argv(void **state)
{
	(void)state;
	struct scn *s = load_ok(
		"server:\n"
		"  model: [pool]\n"
		"  workers: 4\n"
		"  reuseaddr: false\n"
		"  path: /tmp/ignored-for-tcp\n"
		"clients:\n"
		"  count: [10]\n"
		"  nodelay: true\n"
		"  cork: false\n"
		"  requests: 500\n"
		"  pattern: 'split:3'\n"
		"warmup: 1500ms\n");
	char **argv;
	assert_int_equal(scn_case_serve_argv(s, &s->cases[0], "/bin/socklab", &argv), 0);
	assert_argv(argv, (const char *const[]){"/bin/socklab", "serve", "--proto", "tcp",
		"--model", "pool", "--handler", "echo", "--workers", "4", "--no-reuseaddr", NULL});
	scn_argv_free(argv);
	assert_int_equal(scn_case_load_argv(s, &s->cases[0], NULL, "127.0.0.1:4000",
					    SCN_PHASE_MEASURE, &argv), 0);
	assert_argv(argv, (const char *const[]){"load", "--target", "127.0.0.1:4000",
		"--proto", "tcp", "--clients", "10", "--requests", "500", "--pattern", "split:3",
		"--nodelay", NULL});
	scn_argv_free(argv);
	assert_int_equal(scn_case_load_argv(s, &s->cases[0], NULL, "127.0.0.1:4000",
					    SCN_PHASE_WARMUP, &argv), 0);
	assert_argv(argv, (const char *const[]){"load", "--target", "127.0.0.1:4000",
		"--proto", "tcp", "--clients", "10", "--pattern", "split:3", "--nodelay",
		"--duration", "1500ms", NULL});
	scn_argv_free(argv);
	/* a server scenario needs the address the server reported */
	assert_int_equal(scn_case_load_argv(s, &s->cases[0], NULL, NULL, SCN_PHASE_MEASURE,
					    &argv), -EINVAL);
	scn_free(s);
}

static void test_argv_unix_and_target(void **state)
{
	(void)state;
	struct scn *s = load_ok("server: {proto: unix-dgram, path: /tmp/s.sock, port: 9}\n");
	char **argv;
	assert_int_equal(scn_case_serve_argv(s, &s->cases[0], NULL, &argv), 0);
	assert_argv(argv, (const char *const[]){"serve", "--proto", "unix-dgram", "--model",
		"iterative", "--handler", "echo", "--path", "/tmp/s.sock", NULL});
	scn_argv_free(argv);
	scn_free(s);

	s = load_ok("target: {address: '[::1]:7000', proto: udp}\nduration: 2s\n");
	assert_false(s->has_server);
	assert_int_equal(scn_case_serve_argv(s, &s->cases[0], NULL, &argv), -EINVAL);
	assert_int_equal(scn_case_load_argv(s, &s->cases[0], "socklab", NULL, SCN_PHASE_MEASURE,
					    &argv), 0);
	assert_argv(argv, (const char *const[]){"socklab", "load", "--target", "[::1]:7000",
		"--proto", "udp", "--clients", "1", "--duration", "2s", NULL});
	scn_argv_free(argv);
	scn_free(s);
}

/* ---- files in the tree ---- */

static void test_scenarios_dir(void **state)
{
	(void)state;
	char dir[4096], path[4096 + 256];
	src_path(dir, sizeof(dir), "scenarios");
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct scn *s;
		struct scn_error err;
		int rc = scn_load(path, &s, &err);
		if (rc != 0)
			print_error("%s\n", err.text);
		assert_int_equal(rc, 0);
		assert_true(s->ncases >= 1);
		scn_free(s);
		n++;
	}
	closedir(d);
	assert_true(n >= 1);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (m)
		fclose(m);
	return buf;
}

static char *generated(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(scn_schema_markdown(m), 0);
	fclose(m);
	return buf;
}

static void test_docs_in_sync(void **state)
{
	(void)state;
	char path[4096], key[160];
	src_path(path, sizeof(path), "docs/scenarios.md");
	char *doc = slurp(path), *gen = generated();
	assert_non_null(doc);
	for (const struct scn_key *k = scn_schema; k->path; k++) {
		snprintf(key, sizeof(key), "`%s`", k->path);
		if (!strstr(doc, key))
			print_error("docs/scenarios.md lacks %s\n", key);
		assert_non_null(strstr(doc, key));
	}
	for (int m = 0; m < SCN_M_COUNT; m++) {
		snprintf(key, sizeof(key), "`%s`", scn_metrics[m].name);
		assert_non_null(strstr(doc, key));
	}
	char *b = strstr(doc, DOC_BEGIN), *e = strstr(doc, DOC_END);
	assert_non_null(b);
	assert_non_null(e);
	b += strlen(DOC_BEGIN);
	bool same = (size_t)(e - b) == strlen(gen) && memcmp(b, gen, strlen(gen)) == 0;
	if (!same)
		print_error("docs/scenarios.md is out of date: run "
			    "'test_scenario --write-docs %s'\n", path);
	assert_true(same);
	free(doc);
	free(gen);
}

/* Replace the generated part of the docs file with the schema's text. */
static int write_docs(const char *path)
{
	char *doc = slurp(path), *gen = generated();
	char *b = doc ? strstr(doc, DOC_BEGIN) : NULL, *e = doc ? strstr(doc, DOC_END) : NULL;
	if (!b || !e || e < b) {
		fprintf(stderr, "%s: no %s marker pair\n", path, "BEGIN/END GENERATED");
		return 1;
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return 1;
	fwrite(doc, 1, (size_t)(b - doc) + strlen(DOC_BEGIN), f);
	fputs(gen, f);
	fputs(e, f);
	free(doc);
	free(gen);
	return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-docs") == 0)
		return write_docs(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_too_many_thresholds),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_matrix_order),
		cmocka_unit_test(test_matrix_declared_order),
		cmocka_unit_test(test_matrix_too_big),
		cmocka_unit_test(test_matrix_empty),
		cmocka_unit_test(test_matrix_not_here),
		cmocka_unit_test(test_paths_from_scenario_dir),
		cmocka_unit_test(test_err_wrong_type),
		cmocka_unit_test(test_err_nul_in_value),
		cmocka_unit_test(test_err_out_of_range),
		cmocka_unit_test(test_err_bad_enum),
		cmocka_unit_test(test_err_model),
		cmocka_unit_test(test_err_handler),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_duplicate),
		cmocka_unit_test(test_err_server_target),
		cmocka_unit_test(test_err_threshold),
		cmocka_unit_test(test_err_yaml),
		cmocka_unit_test(test_err_file),
		cmocka_unit_test(test_load_fifo),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_argv_unix_and_target),
		cmocka_unit_test(test_scenarios_dir),
		cmocka_unit_test(test_docs_in_sync),
	};
	return tl_run_group(tests, NULL, NULL);
}
