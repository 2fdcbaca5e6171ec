/*
 * tests/unit/test_scenario_settings.c — a case's typed settings
 * (scn_case_settings, scn_settings_target): every client key lands in its
 * ld_config field, the warmup is the same clients for the warmup's length,
 * a value no case can take is a FILE:LINE:COL error at load time naming the
 * key and the reason, and a combination the matrix allows but the clients
 * do not comes back as "KEY: reason" in scenario keys, not flags.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/scenario/scenario.h"

static struct scn *load_ok(const char *yaml)
{
	struct scn *s = NULL;
	struct scn_error err;
	int rc = scn_load_string("x.yaml", yaml, strlen(yaml), &s, &err);
	if (rc != 0)
		print_error("unexpected error: %s\n", err.text);
	assert_int_equal(rc, 0);
	return s;
}

static void expect_err(const char *yaml, const char *want)
{
	struct scn *s = NULL;
	struct scn_error err;
	assert_int_equal(scn_load_string("x.yaml", yaml, strlen(yaml), &s, &err), -EINVAL);
	assert_null(s);
	assert_string_equal(err.text, want);
}

static void test_fields(void **state)
{
	(void)state;
	struct scn *s = load_ok("server: {proto: tcp}\n"
				"clients: {count: 7, size: 'uniform:10-20', pattern: 'split:3',\n"
				"          nodelay: true, think: 5ms, threads: 2, rate: 100}\n"
				"duration: 2s\n"
				"warmup: 300ms\n");
	struct scn_settings st;
	struct scn_error err;
	char e[256];
	assert_int_equal(scn_case_settings(s, &s->cases[0], &st, &err), 0);
	assert_int_equal(st.load.proto, NET_TCP);
	assert_int_equal(st.load.clients, 7);
	assert_int_equal(st.load.size.kind, PL_UNIFORM);
	assert_int_equal(st.load.pattern, LD_SPLIT);
	assert_int_equal(st.load.pattern_n, 3);
	assert_true(st.load.nodelay);
	assert_int_equal(st.load.think_ns, 5000000);
	assert_int_equal(st.load.threads, 2);
	assert_true(st.load.rate == 100);
	assert_int_equal(st.load.duration_ns, 2000000000ull);
	assert_false(st.pair);
	assert_int_equal(scn_settings_target(&st, "127.0.0.1:4000", e, sizeof(e)), 0);
	assert_int_equal(net_addr_port(&st.load.target), 4000);
	/* The warmup: the same clients, for the warmup's length. */
	assert_int_equal(st.warmup.clients, 7);
	assert_int_equal(st.warmup.duration_ns, 300000000ull);
	assert_int_equal(net_addr_port(&st.warmup.target), 4000);
	scn_free(s);
}

/* requests alone: the engine runs until they are done (no default 10s). */
static void test_requests_alone(void **state)
{
	(void)state;
	struct scn *s = load_ok("server: {proto: udp}\nclients: {requests: 500}\n");
	struct scn_settings st;
	struct scn_error err;
	assert_int_equal(scn_case_settings(s, &s->cases[0], &st, &err), 0);
	assert_int_equal(st.load.proto, NET_UDP);
	assert_int_equal(st.load.requests, 500);
	assert_int_equal(st.load.duration_ns, 0);
	scn_free(s);
}

static void test_link_and_app_log(void **state)
{
	(void)state;
	struct scn *s = load_ok("server: {proto: tcp}\ntopology: pair\n"
				"link: {rate: 10mbit, loss: 5%, burst: 32k}\n"
				"capture: {enabled: true}\n");
	struct scn_settings st;
	struct scn_error err;
	assert_int_equal(scn_case_settings(s, &s->cases[0], &st, &err), 0);
	assert_true(st.pair);
	assert_true(st.link_rate && st.link_loss);
	assert_int_equal(st.link.rate_bps, 10000000);
	assert_true(st.link.loss > 0.0499 && st.link.loss < 0.0501);
	assert_int_equal(st.link.burst_bytes, 32768);
	assert_true(st.server_app_log);
	scn_free(s);
}

/* A value no case can take: at load time, at the value, naming the key. */
static void test_bad_value_at_load(void **state)
{
	(void)state;
	expect_err("server:\nclients:\n  threads: 500\n",
		   "x.yaml:3:12: clients.threads: expected 1 to 256, got 500");
	expect_err("target: {address: '10.1.2.3:80'}\n",
		   "x.yaml:1:19: target.address: 10.1.2.3:80 is not loopback; "
		   "socklab only loads its own host");
}

/* A combination the matrix allows (udp cases of a tcp/udp matrix with
 * nodelay): the run's case error names the keys, not `load` flags. */
static void test_bad_combination_names_keys(void **state)
{
	(void)state;
	struct scn *s = load_ok("server: {proto: [tcp, udp]}\n"
				"clients: {nodelay: true, flood: true}\n");
	struct scn_settings st;
	struct scn_error err;
	char e[256];
	assert_int_equal(s->ncases, 2);
	assert_int_equal(scn_case_settings(s, &s->cases[0], &st, &err), 0);
	assert_int_equal(scn_settings_target(&st, "127.0.0.1:4000", e, sizeof(e)), -EINVAL);
	assert_string_equal(e, "clients.flood: only for udp and unix-dgram");
	assert_int_equal(scn_case_settings(s, &s->cases[1], &st, &err), 0);
	assert_int_equal(scn_settings_target(&st, "127.0.0.1:4000", e, sizeof(e)), -EINVAL);
	assert_string_equal(e, "clients.nodelay/clients.cork: only for tcp");
	scn_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_requests_alone),
		cmocka_unit_test(test_link_and_app_log),
		cmocka_unit_test(test_bad_value_at_load),
		cmocka_unit_test(test_bad_combination_names_keys),
	};
	return tl_run_group(tests, NULL, NULL);
}
