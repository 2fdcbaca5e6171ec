/*
 * tests/unit/test_udp_balance.c — the pure parts of UDP accounting
 * (harness/capture/udp_acct.h): reading RcvbufErrors out of /proc/net/snmp and
 * /proc/net/snmp6 text, the balance, the client's phases, the summary's
 * text and JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include "harness/capture/udp_acct.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A /proc/net/snmp as Linux 6.x prints it (Ip and Tcp lines shortened). */
static const char snmp[] =
	"Ip: Forwarding DefaultTTL InReceives\n"
	"Ip: 1 64 123456\n"
	"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors "
	"IgnoredMulti MemErrors\n"
	"Udp: 5571398 12 1234 5572000 991 7 0 0 0\n"
	"UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors "
	"InCsumErrors IgnoredMulti MemErrors\n"
	"UdpLite: 0 0 0 0 55 0 0 0 0\n";

static const char snmp6[] =
	"Ip6InReceives                   	100\n"
	"Udp6InDatagrams                 	40\n"
	"Udp6RcvbufErrors                	9\n"
	"Udp6SndbufErrors                	0\n"
	"UdpLite6RcvbufErrors            	77\n";

static void test_snmp_parse(void **state)
{
	(void)state;
	/* The Udp table's column, not UdpLite's; IPv6 added. */
	assert_int_equal(udp_snmp_rcvbuf_errors(snmp, NULL), 991);
	assert_int_equal(udp_snmp_rcvbuf_errors(NULL, snmp6), 9);
	assert_int_equal(udp_snmp_rcvbuf_errors(snmp, snmp6), 1000);
	assert_int_equal(udp_snmp_rcvbuf_errors(NULL, NULL), UDP_NA);
	/* Missing table or column, or a value line that is not numbers. */
	assert_int_equal(udp_snmp_rcvbuf_errors("Ip: A B\nIp: 1 2\n", ""), UDP_NA);
	assert_int_equal(udp_snmp_rcvbuf_errors("Udp: InDatagrams NoPorts\nUdp: 1 2\n", NULL),
			 UDP_NA);
	assert_int_equal(udp_snmp_rcvbuf_errors("Udp: InDatagrams RcvbufErrors\nUdp: 1 x\n", NULL),
			 UDP_NA);
	assert_int_equal(udp_snmp_rcvbuf_errors("Udp: InDatagrams RcvbufErrors\n", NULL), UDP_NA);
	/* "XUdp:" in the middle of a line is not the table. */
	assert_int_equal(udp_snmp_rcvbuf_errors("Foo: XUdp: RcvbufErrors\nUdp: RcvbufErrors\n"
						"Udp: 4\n", NULL), 4);
}

static void test_snmp_read_live(void **state)
{
	(void)state;
	/* This machine's own counters: present and not negative. */
	int64_t v = udp_snmp_read(0);
	assert_true(v >= 0);
	/* A process that does not exist has no /proc. */
	assert_int_equal(udp_snmp_read(0x7ffffff0), UDP_NA);
}

static struct udp_acct fresh(void)
{
	struct udp_acct a;
	udp_acct_begin(&a, 0);
	return a;
}

static void test_balance(void **state)
{
	(void)state;
	struct udp_acct a = fresh();
	assert_int_equal(udp_acct_balance(&a), UDP_NA);
	udp_acct_add_client(&a, false, 1000, 3, 0, 0);
	assert_int_equal(a.sent, 1000);
	assert_int_equal(a.refused, 3);
	assert_int_equal(a.warmup_sent, 0);
	/* Without the server's counters: not known. */
	assert_int_equal(udp_acct_balance(&a), UDP_NA);
	a.received = 9;
	a.rcvbuf_dropped = 991;
	assert_int_equal(udp_acct_balance(&a), 0);   /* truncated, unread unknown: 0 */
	a.truncated = 0;
	a.unread = 0;
	assert_int_equal(udp_acct_balance(&a), 0);
	a.received = 6;
	assert_int_equal(udp_acct_balance(&a), 3);   /* three nowhere */
	a.received = 12;
	assert_int_equal(udp_acct_balance(&a), -3);  /* three too many */
	/* The relay: drops leave, duplicates come in addition. */
	a.received = 9;
	a.relay_dropped = 100;
	a.relay_duplicated = 20;
	a.rcvbuf_dropped = 911;
	assert_int_equal(udp_acct_balance(&a), 0);
	/* refused and wire are not terms: refused sends are sent again, and
	 * the wire is a point on the way. */
	a.refused = 500;
	a.wire = 1;
	a.wire_relayed = 2;
	assert_int_equal(udp_acct_balance(&a), 0);
	/* The link's loss rule is a sink of its own: without it its drops
	 * would be unaccounted. */
	a.relay_dropped = a.relay_duplicated = UDP_NA;
	a.rcvbuf_dropped = 900;
	a.received = 50;
	assert_int_equal(udp_acct_balance(&a), 50);
	a.link_dropped = 50;
	assert_int_equal(udp_acct_balance(&a), 0);
	a.link_dropped = 51;
	assert_int_equal(udp_acct_balance(&a), -1);
	/* link.rate's tbf drops at the sender's egress: a sink too. */
	a.link_dropped = 40;
	a.link_rate_dropped = 10;
	assert_int_equal(udp_acct_balance(&a), 0);
	/* The relay's own socket: what its kernel dropped before the relay
	 * read it never reached the impairment, and is a sink of its own. */
	a.link_dropped = a.link_rate_dropped = UDP_NA;
	a.relay_dropped = 30;
	a.relay_duplicated = 0;
	a.received = 30;
	assert_int_equal(udp_acct_balance(&a), 40);
	a.relay_rcvbuf_dropped = 40;
	assert_int_equal(udp_acct_balance(&a), 0);
	a.relay_rcvbuf_dropped = 41;
	assert_int_equal(udp_acct_balance(&a), -1);
	/* Unknown (no relay): no term, not unknown balance. */
	a.relay_rcvbuf_dropped = UDP_NA;
	a.relay_dropped = UDP_NA;
	assert_int_equal(udp_acct_balance(&a), 70);
}

static void test_ports(void **state)
{
	(void)state;
	struct udp_acct a = fresh();
	udp_acct_set_ports(&a, "127.0.0.1:4242", NULL);
	assert_int_equal(a.wire_port, 4242);
	assert_int_equal(a.behind_port, 0);
	udp_acct_set_ports(&a, "[::1]:80", "198.18.0.2:9");
	assert_int_equal(a.wire_port, 80);
	assert_int_equal(a.behind_port, 9);
	udp_acct_set_ports(&a, "no port", NULL);
	assert_int_equal(a.wire_port, 0);
}

static void test_phases(void **state)
{
	(void)state;
	struct udp_acct a = fresh();
	udp_acct_add_client(&a, true, 200, 1, 5, 5);
	udp_acct_add_client(&a, false, 800, 2, 3, 4);
	assert_int_equal(a.sent, 1000);
	assert_int_equal(a.warmup_sent, 200);
	assert_int_equal(a.refused, 3);
	/* The tracker's counts are the measured phase's. */
	assert_int_equal(a.duplicates, 3);
	assert_int_equal(a.reordered, 4);
	udp_acct_end(&a, 0);
	assert_true(a.snmp_rcvbuf_errors >= 0);
}

static char *render(const struct udp_acct *a, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	if (json)
		udp_acct_json(f, a);
	else
		udp_acct_print(f, a);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_output(void **state)
{
	(void)state;
	struct udp_acct a = fresh();
	udp_acct_add_client(&a, false, 1000, 0, 0, 0);
	a.received = 9;
	a.rcvbuf_dropped = 990;
	a.truncated = 0;
	a.unread = 0;
	a.snmp_rcvbuf_errors = 990;
	a.unaccounted = udp_acct_balance(&a);
	char *t = render(&a, false);
	assert_non_null(strstr(t, "sent 1000 = received 9 + rcvbuf_dropped 990 + truncated 0"));
	assert_non_null(strstr(t, "UNACCOUNTED 1"));
	assert_non_null(strstr(t, "wire -"));
	assert_null(strstr(t, "relay"));
	assert_null(strstr(t, "link_dropped"));
	assert_null(strstr(t, "link_rate_dropped"));
	free(t);
	char *j = render(&a, true);
	assert_non_null(strstr(j, "\"udp\":{\"sent\":1000,\"warmup_sent\":0,\"refused\":0,"
			       "\"wire\":null,\"wire_relayed\":null,\"relay_rcvbuf_dropped\":null,"
			       "\"relay_dropped\":null,"
			       "\"relay_duplicated\":null,\"link_dropped\":null,"
			       "\"link_rate_dropped\":null,\"rcvbuf_dropped\":990,"));
	assert_non_null(strstr(j, "\"unaccounted\":1}"));
	free(j);
	a.received = 10;
	a.unaccounted = udp_acct_balance(&a);
	t = render(&a, false);
	assert_non_null(strstr(t, "(all accounted)"));
	free(t);
	/* A link loss rule: its term in the line, and in the balance. */
	a.link_dropped = 5;
	a.wire = 1000;
	a.wire_relayed = UDP_NA;
	a.unaccounted = udp_acct_balance(&a);
	t = render(&a, false);
	assert_non_null(strstr(t, " + link_dropped 5  UNACCOUNTED -5;"));
	assert_non_null(strstr(t, "wire 1000  kernel"));
	free(t);
	/* The relay's socket drops: in the line, before the impairment's. */
	a.link_dropped = UDP_NA;
	a.relay_rcvbuf_dropped = 7;
	a.relay_dropped = 3;
	a.relay_duplicated = 0;
	a.received = 0;
	a.unaccounted = udp_acct_balance(&a);
	t = render(&a, false);
	assert_non_null(strstr(t, " + relay_rcvbuf_dropped 7 + relay_dropped 3 - relay_duplicated 0"
				  "  (all accounted)"));
	free(t);
	j = render(&a, true);
	assert_non_null(strstr(j, "\"relay_rcvbuf_dropped\":7,\"relay_dropped\":3,"));
	free(j);
	/* Unknown is not "unaccounted". */
	a.received = UDP_NA;
	a.unaccounted = udp_acct_balance(&a);
	t = render(&a, false);
	assert_non_null(strstr(t, "(balance unknown)"));
	assert_null(strstr(t, "UNACCOUNTED"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snmp_parse),
		cmocka_unit_test(test_snmp_read_live),
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_output),
	};
	return tl_run_group(tests, NULL, NULL);
}
