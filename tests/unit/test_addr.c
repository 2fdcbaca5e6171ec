/*
 * tests/unit/test_addr.c — net/addr: "HOST:PORT" parsing (IPv4, [IPv6],
 * localhost, bad ports), formatting, the loopback check the safety rules
 * rely on, and CIDR prefixes for --allow (including IPv4-mapped IPv6 peers
 * matching an IPv4 prefix).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "net/addr.h"

static char err[NET_ERRLEN];

/* Parse s, which must succeed, and return its formatted form. */
static const char *roundtrip(const char *s, struct net_addr *a)
{
	static char buf[NET_ADDRSTRLEN];
	err[0] = '\0';
	int rc = net_addr_parse_hostport(a, s, err, sizeof(err));
	if (rc != 0)
		fail_msg("parse '%s' failed: %d %s", s, rc, err);
	return net_addr_str(a, buf, sizeof(buf));
}

static void test_hostport_ok(void **state)
{
	(void)state;
	struct net_addr a;

	assert_string_equal(roundtrip("127.0.0.1:8080", &a), "127.0.0.1:8080");
	assert_int_equal(net_addr_family(&a), AF_INET);
	assert_int_equal(net_addr_port(&a), 8080);
	assert_int_equal(a.len, sizeof(struct sockaddr_in));

	assert_string_equal(roundtrip("[::1]:80", &a), "[::1]:80");
	assert_int_equal(net_addr_family(&a), AF_INET6);
	assert_int_equal(net_addr_port(&a), 80);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));

	assert_string_equal(roundtrip("localhost:9000", &a), "127.0.0.1:9000");
	assert_string_equal(roundtrip("0.0.0.0:0", &a), "0.0.0.0:0");
	assert_string_equal(roundtrip("10.1.2.3:65535", &a), "10.1.2.3:65535");
	assert_string_equal(roundtrip("[fe80::1:2]:443", &a), "[fe80::1:2]:443");
	assert_string_equal(roundtrip("[::ffff:127.0.0.1]:7", &a), "[::ffff:127.0.0.1]:7");
}

static void expect_bad(const char *s)
{
	struct net_addr a;
	err[0] = '\0';
	int rc = net_addr_parse_hostport(&a, s, err, sizeof(err));
	if (rc != -EINVAL)
		fail_msg("'%s' should be -EINVAL, got %d", s, rc);
	assert_true(strlen(err) > 0);
}

static void test_hostport_bad(void **state)
{
	(void)state;
	expect_bad("127.0.0.1:65536");
	expect_bad("127.0.0.1:99999999999999999999");
	expect_bad("127.0.0.1:-1");
	expect_bad("127.0.0.1:+80");
	expect_bad("127.0.0.1: 80");
	expect_bad("127.0.0.1:");
	expect_bad("127.0.0.1:80x");
	expect_bad("127.0.0.1");
	expect_bad(":80");
	expect_bad("::1:80");                /* IPv6 must be bracketed */
	expect_bad("[::1]80");
	expect_bad("[::1]");
	expect_bad("[::1:80");
	expect_bad("[127.0.0.1.5]:80");
	expect_bad("example.com:80");        /* no DNS */
	expect_bad("256.0.0.1:80");
	expect_bad("");
}

static void test_addr_ip_and_port(void **state)
{
	(void)state;
	struct net_addr a;
	char buf[NET_ADDRSTRLEN];

	assert_int_equal(net_addr_ip(&a, "::1", 0, err, sizeof(err)), 0);
	net_addr_set_port(&a, 4242);
	assert_int_equal(net_addr_port(&a), 4242);
	assert_string_equal(net_addr_str(&a, buf, sizeof(buf)), "[::1]:4242");
	assert_int_equal(net_addr_ip(&a, "127.0.0.1", 65536, err, sizeof(err)), -EINVAL);
	assert_int_equal(net_addr_ip(&a, "nope", 1, err, sizeof(err)), -EINVAL);
}

static void test_unix(void **state)
{
	(void)state;
	struct net_addr a;
	char buf[NET_ADDRSTRLEN];
	char longpath[200];

	assert_int_equal(net_addr_unix(&a, "/tmp/x.sock", err, sizeof(err)), 0);
	assert_int_equal(net_addr_family(&a), AF_UNIX);
	assert_string_equal(net_addr_str(&a, buf, sizeof(buf)), "/tmp/x.sock");
	assert_int_equal(net_addr_port(&a), 0);
	assert_true(net_addr_is_loopback(&a));

	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(net_addr_unix(&a, longpath, err, sizeof(err)), -ENAMETOOLONG);
	assert_int_equal(net_addr_unix(&a, "", err, sizeof(err)), -ENAMETOOLONG);

	/* An unnamed socket as accept() reports it: only the family. */
	memset(&a, 0, sizeof(a));
	a.ss.ss_family = AF_UNIX;
	a.len = sizeof(sa_family_t);
	assert_string_equal(net_addr_str(&a, buf, sizeof(buf)), "(unnamed)");
}

static bool loopback(const char *host)
{
	struct net_addr a;
	if (net_addr_ip(&a, host, 1, err, sizeof(err)) != 0)
		fail_msg("'%s' did not parse: %s", host, err);
	return net_addr_is_loopback(&a);
}

static void test_loopback(void **state)
{
	(void)state;
	assert_true(loopback("127.0.0.1"));
	assert_true(loopback("127.255.3.4"));
	assert_true(loopback("::1"));
	assert_true(loopback("::ffff:127.0.0.1"));
	assert_true(loopback("::ffff:127.9.9.9"));
	assert_true(loopback("localhost"));
	assert_false(loopback("10.0.0.1"));
	assert_false(loopback("128.0.0.1"));
	assert_false(loopback("126.255.255.255"));
	assert_false(loopback("0.0.0.0"));
	assert_false(loopback("::"));
	assert_false(loopback("::2"));
	assert_false(loopback("::ffff:10.0.0.1"));
	assert_false(loopback("::127.0.0.1"));   /* v4-compatible, not mapped */
	assert_false(loopback("fe80::1"));
}

static struct net_prefix prefix(const char *s)
{
	struct net_prefix p;
	if (net_prefix_parse(&p, s, err, sizeof(err)) != 0)
		fail_msg("prefix '%s' did not parse: %s", s, err);
	return p;
}

static bool match(const char *pfx, const char *host)
{
	struct net_prefix p = prefix(pfx);
	struct net_addr a;
	if (net_addr_ip(&a, host, 80, err, sizeof(err)) != 0)
		fail_msg("'%s' did not parse: %s", host, err);
	return net_prefix_match(&p, &a);
}

static void test_prefix_parse(void **state)
{
	(void)state;
	struct net_prefix p;

	p = prefix("127.0.0.1");
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.bits, 32);
	p = prefix("10.0.0.0/8");
	assert_int_equal(p.bits, 8);
	assert_int_equal(p.bytes[0], 10);
	p = prefix("0.0.0.0/0");
	assert_int_equal(p.bits, 0);
	p = prefix("::1");
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.bits, 128);
	p = prefix("fe80::/10");
	assert_int_equal(p.bits, 10);

	const char *bad[] = {
		"10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
		"10.0.0.0/8x", "/8", "", "localhost", "10.0.0/8", "10.0.0.0/8/8",
		"::1/ 8",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		int rc = net_prefix_parse(&p, bad[i], err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("prefix '%s' should be -EINVAL, got %d", bad[i], rc);
		assert_non_null(strstr(err, bad[i]));
	}
}

static void test_prefix_match(void **state)
{
	(void)state;
	/* /0 matches every address of the family, nothing of the other. */
	assert_true(match("0.0.0.0/0", "10.0.0.1"));
	assert_true(match("0.0.0.0/0", "255.255.255.255"));
	assert_true(match("::/0", "::1"));
	assert_true(match("::/0", "2001:db8::7"));
	assert_false(match("::/0", "127.0.0.1"));

	assert_true(match("10.0.0.0/8", "10.200.3.4"));
	assert_false(match("10.0.0.0/8", "11.0.0.0"));
	assert_false(match("10.0.0.0/8", "9.255.255.255"));
	assert_true(match("192.168.1.0/24", "192.168.1.255"));
	assert_false(match("192.168.1.0/24", "192.168.2.1"));
	/* A prefix that ends inside a byte. */
	assert_true(match("172.16.0.0/12", "172.31.255.255"));
	assert_false(match("172.16.0.0/12", "172.32.0.0"));
	assert_true(match("127.0.0.1/32", "127.0.0.1"));
	assert_false(match("127.0.0.1/32", "127.0.0.2"));

	assert_true(match("::1/128", "::1"));
	assert_false(match("::1/128", "::2"));
	assert_true(match("fe80::/10", "febf::1"));
	assert_false(match("fe80::/10", "fec0::1"));
	assert_false(match("::1", "127.0.0.1"));

	/* IPv4-mapped IPv6 peers (a dual-stack socket) match IPv4 prefixes. */
	assert_true(match("127.0.0.0/8", "::ffff:127.0.0.5"));
	assert_true(match("10.0.0.1", "::ffff:10.0.0.1"));
	assert_false(match("10.0.0.1", "::ffff:10.0.0.2"));
	assert_false(match("127.0.0.0/8", "::ffff:10.0.0.1"));
	assert_false(match("127.0.0.0/8", "::127.0.0.1"));
	assert_true(match("0.0.0.0/0", "::ffff:1.2.3.4"));
	assert_false(match("0.0.0.0/0", "::1"));

	/* A Unix peer matches no IP prefix. */
	struct net_prefix p = prefix("0.0.0.0/0");
	struct net_addr u;
	assert_int_equal(net_addr_unix(&u, "/tmp/s", err, sizeof(err)), 0);
	assert_false(net_prefix_match(&p, &u));
}

static void test_proto(void **state)
{
	(void)state;
	enum net_proto p;
	const char *names[] = {"tcp", "udp", "unix-stream", "unix-dgram"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(net_proto_parse(names[i], &p), 0);
		assert_string_equal(net_proto_name(p), names[i]);
	}
	assert_int_equal(net_proto_parse("sctp", &p), -EINVAL);
	assert_int_equal(net_proto_parse("TCP", &p), -EINVAL);
	assert_true(net_proto_is_stream(NET_TCP));
	assert_false(net_proto_is_stream(NET_UNIX_DGRAM));
	assert_true(net_proto_is_unix(NET_UNIX_DGRAM));
	assert_false(net_proto_is_unix(NET_UDP));
	assert_int_equal(net_proto_socktype(NET_UDP), SOCK_DGRAM);
	assert_int_equal(net_proto_socktype(NET_UNIX_STREAM), SOCK_STREAM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostport_ok),
		cmocka_unit_test(test_hostport_bad),
		cmocka_unit_test(test_addr_ip_and_port),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_match),
		cmocka_unit_test(test_proto),
	};
	return tl_run_group(tests, NULL, NULL);
}
