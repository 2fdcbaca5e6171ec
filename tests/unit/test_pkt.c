/*
 * tests/unit/test_pkt.c — harness/pkt: the packet parser, fed annotated
 * byte arrays (packetdrill style) for every link type it knows, IPv4 with
 * options and fragments, IPv6 with extension headers, VLAN tags, and
 * truncated or malformed frames. Every fixture is also parsed at every
 * shorter caplen from an exactly-sized heap copy, so that a read past
 * caplen shows up under ASan/valgrind, and must never parse as more than
 * it is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <stdlib.h>
#include <string.h>

#include "harness/capture/pkt.h"

/* The IP datagram most fixtures carry: 127.0.0.1:42000 -> 127.0.0.2:9000,
 * TCP PSH|ACK seq 1000 ack 2000 win 65535, 4 bytes "ping". 44 bytes. */
#define V4_TCP_PING \
	0x45, 0x00, 0x00, 0x2c,  /* v4, ihl 5; total length 44 */ \
	0x00, 0x01, 0x40, 0x00,  /* id 1; DF, offset 0 */ \
	0x40, 0x06, 0x00, 0x00,  /* ttl 64, proto TCP, checksum (unchecked) */ \
	127, 0, 0, 1,            /* source */ \
	127, 0, 0, 2,            /* destination */ \
	0xa4, 0x10, 0x23, 0x28,  /* ports 42000 -> 9000 */ \
	0x00, 0x00, 0x03, 0xe8,  /* seq 1000 */ \
	0x00, 0x00, 0x07, 0xd0,  /* ack 2000 */ \
	0x50, 0x18, 0xff, 0xff,  /* data offset 5; PSH|ACK; window 65535 */ \
	0x00, 0x00, 0x00, 0x00,  /* checksum, urgent pointer */ \
	'p', 'i', 'n', 'g'

/* ::1 -> ::2, next header given; payload length given. 40 bytes. */
#define V6_HDR(plen, nh) \
	0x60, 0x00, 0x00, 0x00,  /* v6, traffic class, flow label */ \
	0x00, (plen), (nh), 64,  /* payload length; next header; hop limit */ \
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,  /* ::1 */ \
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2   /* ::2 */

/* UDP 5353 -> 53, 3 bytes "abc". 11 bytes. */
#define UDP_ABC 0x14, 0xe9, 0x00, 0x35, 0x00, 0x0b, 0x00, 0x00, 'a', 'b', 'c'

/* TCP 1 -> 2 SYN seq 0x01020304, no payload. 20 bytes. */
#define TCP_SYN \
	0x00, 0x01, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, \
	0x50, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00

#define ETH_ADDRS 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1  /* dst, src MAC */

struct fixture {
	const char *name;
	int link;
	const uint8_t *bytes;
	uint32_t len;
};

#define FIX(n, l, ...) \
	static const uint8_t n##_bytes[] = {__VA_ARGS__}; \
	static const struct fixture n = {#n, l, n##_bytes, sizeof(n##_bytes)}

FIX(eth_v4_tcp, CAP_LINK_EN10MB, ETH_ADDRS, 0x08, 0x00, V4_TCP_PING);
FIX(eth_vlan2_v4_tcp, CAP_LINK_EN10MB, ETH_ADDRS,
    0x88, 0xa8, 0x00, 0x64,      /* 802.1ad outer tag, VLAN 100 */
    0x81, 0x00, 0x20, 0x07,      /* 802.1Q inner tag, prio 1, VLAN 7 */
    0x08, 0x00, V4_TCP_PING);
/* The Ethernet minimum frame pads 44 bytes of IP with 2 zeros: the
 * payload length must come from the IP header, not from the frame. */
FIX(eth_v4_padded, CAP_LINK_EN10MB, ETH_ADDRS, 0x08, 0x00, V4_TCP_PING, 0, 0);
FIX(eth_arp, CAP_LINK_EN10MB, ETH_ADDRS, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01);
FIX(sll_v6_udp, CAP_LINK_LINUX_SLL,
    0x00, 0x00, 0x03, 0x04,      /* packet type "to us"; ARPHRD_LOOPBACK */
    0x00, 0x06, 0, 0, 0, 0, 0, 0, 0, 0,  /* address length 6; address */
    0x86, 0xdd,                  /* protocol IPv6 */
    V6_HDR(11, 17), UDP_ABC);
FIX(sll2_v4_tcp, CAP_LINK_LINUX_SLL2,
    0x08, 0x00, 0x00, 0x00,      /* protocol IPv4; reserved */
    0x00, 0x00, 0x00, 0x01,      /* interface index 1 */
    0x03, 0x04, 0x00, 0x06,      /* ARPHRD_LOOPBACK; type; address length */
    0, 0, 0, 0, 0, 0, 0, 0,      /* address */
    V4_TCP_PING);
FIX(null_le_v4_tcp, CAP_LINK_NULL, 0x02, 0x00, 0x00, 0x00, V4_TCP_PING);
/* DLT_NULL written by a big-endian host: family 30 (macOS AF_INET6). */
FIX(null_be_v6_tcp, CAP_LINK_NULL, 0x00, 0x00, 0x00, 0x1e, V6_HDR(20, 6), TCP_SYN);
FIX(loop_v6_tcp, CAP_LINK_LOOP, 0x00, 0x00, 0x00, 0x18, V6_HDR(20, 6), TCP_SYN);
FIX(loop_unknown_family, CAP_LINK_LOOP, 0x00, 0x00, 0x00, 0x07, V4_TCP_PING);
FIX(raw_v4_tcp, CAP_LINK_RAW, V4_TCP_PING);
FIX(rawdlt_v6_udp, CAP_LINK_RAW_DLT, V6_HDR(11, 17), UDP_ABC);
FIX(ipv4_link_v4, CAP_LINK_IPV4, V4_TCP_PING);
FIX(ipv6_link_v4, CAP_LINK_IPV6, V4_TCP_PING);
FIX(v4_options, CAP_LINK_RAW,
    0x46, 0x00, 0x00, 0x23,      /* ihl 6 (4 bytes of options); total 35 */
    0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x01, 0x01, 0x01, 0x00,      /* options: NOP NOP NOP EOL */
    UDP_ABC);
FIX(v4_fragment, CAP_LINK_RAW,
    0x45, 0x00, 0x00, 0x1c, 0x00, 0x02,
    0x00, 0xb9,                  /* offset 185*8: a later fragment */
    0x40, 0x11, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
    'm', 'i', 'd', 'd', 'l', 'e', '.', '.');
FIX(v6_exthdrs_tcp, CAP_LINK_RAW,
    V6_HDR(60, 0),               /* 8 + 24 + 8 extension bytes + 20 TCP */
    43, 0, 0, 0, 0, 0, 0, 0,     /* hop-by-hop, 8 bytes: next routing */
    60, 2, 0, 0, 0, 0, 0, 0,     /* routing, (2+1)*8 = 24 bytes: next dst opts */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    6, 0, 1, 4, 0, 0, 0, 0,      /* dest options (PadN): next TCP */
    TCP_SYN);
FIX(v6_fragment, CAP_LINK_RAW, V6_HDR(16, 44),
    17, 0, 0x00, 0x09,           /* fragment: next UDP, offset 1, M */
    0, 0, 0, 1, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x');
FIX(v6_atomic_fragment, CAP_LINK_RAW, V6_HDR(19, 44),
    17, 0, 0x00, 0x00,           /* offset 0, M 0: a whole datagram */
    0, 0, 0, 1, UDP_ABC);
FIX(bad_tcp_doff, CAP_LINK_RAW,
    0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x00, 0x01, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0,
    0x40, 0x10, 0x10, 0x00,      /* data offset 4: 16 bytes, impossible */
    0, 0, 0, 0);
FIX(bad_tcp_doff_long, CAP_LINK_RAW,
    0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x00, 0x01, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0,
    0xf0, 0x10, 0x10, 0x00,      /* data offset 15: 60 bytes > 20 in datagram */
    0, 0, 0, 0);
FIX(bad_udp_len, CAP_LINK_RAW, V6_HDR(11, 17),
    0x14, 0xe9, 0x00, 0x35, 0x00, 0x03, 0x00, 0x00, 'a', 'b', 'c');  /* length 3 */
FIX(bad_ihl, CAP_LINK_RAW,
    0x43, 0x00, 0x00, 0x14, 0, 0, 0, 0, 0x40, 0x06, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2);
FIX(bad_version, CAP_LINK_RAW, 0x55, 0x00, 0x00, 0x14, 0, 0, 0, 0, 0x40, 0x06, 0, 0,
    10, 0, 0, 1, 10, 0, 0, 2);
FIX(bad_v4_totlen, CAP_LINK_RAW,
    0x45, 0x00, 0x00, 0x10,      /* total length 16 < header 20 */
    0, 0, 0, 0, 0x40, 0x06, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2);
FIX(bad_v6_exthdr_len, CAP_LINK_RAW, V6_HDR(8, 60),
    6, 9, 0, 0, 0, 0, 0, 0);     /* dest options claim 80 bytes of 8 */

static const struct fixture *const all[] = {
	&eth_v4_tcp, &eth_vlan2_v4_tcp, &eth_v4_padded, &eth_arp, &sll_v6_udp,
	&sll2_v4_tcp, &null_le_v4_tcp, &null_be_v6_tcp, &loop_v6_tcp,
	&loop_unknown_family, &raw_v4_tcp, &rawdlt_v6_udp, &ipv4_link_v4,
	&ipv6_link_v4, &v4_options, &v4_fragment, &v6_exthdrs_tcp, &v6_fragment,
	&v6_atomic_fragment, &bad_tcp_doff, &bad_tcp_doff_long, &bad_udp_len,
	&bad_ihl, &bad_version, &bad_v4_totlen, &bad_v6_exthdr_len,
};

/* Parse a fixture from an exactly-sized heap copy, caplen of it kept. */
static enum cap_pkt_rc parse(const struct fixture *f, uint32_t caplen, struct cap_pkt *p)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	assert_non_null(copy);
	memcpy(copy, f->bytes, caplen);
	enum cap_pkt_rc rc = cap_pkt_parse(f->link, copy, caplen, f->len, p);
	free(copy);
	return rc;
}

static void expect_ping(const struct cap_pkt *p, uint32_t ip_off)
{
	static const uint8_t lo1[4] = {127, 0, 0, 1}, lo2[4] = {127, 0, 0, 2};

	assert_int_equal(p->ipver, 4);
	assert_int_equal(p->proto, CAP_PROTO_TCP);
	assert_memory_equal(p->src, lo1, 4);
	assert_memory_equal(p->dst, lo2, 4);
	assert_int_equal(p->sport, 42000);
	assert_int_equal(p->dport, 9000);
	assert_int_equal(p->seq, 1000);
	assert_int_equal(p->ack, 2000);
	assert_int_equal(p->win, 65535);
	assert_int_equal(p->tcp_flags, CAP_TCP_PSH | CAP_TCP_ACK);
	assert_int_equal(p->tcp_hlen, 20);
	assert_int_equal(p->ip_off, ip_off);
	assert_int_equal(p->ip_len, 44);
	assert_int_equal(p->payload_off, ip_off + 40);
	assert_int_equal(p->payload_len, 4);
}

static void test_link_types_v4(void **state)
{
	(void)state;
	struct cap_pkt p;

	assert_int_equal(parse(&eth_v4_tcp, eth_v4_tcp.len, &p), CAP_PKT_OK);
	expect_ping(&p, 14);
	assert_int_equal(p.payload_caplen, 4);
	assert_false(p.flags & CAP_PKT_F_TRUNC);
	assert_int_equal(parse(&eth_v4_padded, eth_v4_padded.len, &p), CAP_PKT_OK);
	expect_ping(&p, 14);
	assert_int_equal(parse(&sll2_v4_tcp, sll2_v4_tcp.len, &p), CAP_PKT_OK);
	expect_ping(&p, 20);
	assert_int_equal(parse(&null_le_v4_tcp, null_le_v4_tcp.len, &p), CAP_PKT_OK);
	expect_ping(&p, 4);
	assert_int_equal(parse(&raw_v4_tcp, raw_v4_tcp.len, &p), CAP_PKT_OK);
	expect_ping(&p, 0);
	assert_int_equal(parse(&ipv4_link_v4, ipv4_link_v4.len, &p), CAP_PKT_OK);
	expect_ping(&p, 0);
	/* LINKTYPE_IPV6 promises IPv6. */
	assert_int_equal(parse(&ipv6_link_v4, ipv6_link_v4.len, &p), CAP_PKT_BAD_IP);
}

static void test_link_types_v6(void **state)
{
	(void)state;
	struct cap_pkt p;
	static const uint8_t one[16] = {[15] = 1}, two[16] = {[15] = 2};

	assert_int_equal(parse(&sll_v6_udp, sll_v6_udp.len, &p), CAP_PKT_OK);
	assert_int_equal(p.ipver, 6);
	assert_int_equal(p.proto, CAP_PROTO_UDP);
	assert_memory_equal(p.src, one, 16);
	assert_memory_equal(p.dst, two, 16);
	assert_int_equal(p.sport, 5353);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_len, 3);
	assert_int_equal(p.payload_off, 16 + 40 + 8);
	for (size_t i = 0; i < 2; i++) {
		const struct fixture *f = i ? &loop_v6_tcp : &null_be_v6_tcp;
		assert_int_equal(parse(f, f->len, &p), CAP_PKT_OK);
		assert_int_equal(p.ipver, 6);
		assert_int_equal(p.tcp_flags, CAP_TCP_SYN);
		assert_int_equal(p.seq, 0x01020304);
		assert_int_equal(p.payload_len, 0);
	}
	assert_int_equal(parse(&rawdlt_v6_udp, rawdlt_v6_udp.len, &p), CAP_PKT_OK);
	assert_int_equal(p.payload_len, 3);
	assert_int_equal(parse(&loop_unknown_family, loop_unknown_family.len, &p),
			 CAP_PKT_NOT_IP);
	assert_int_equal(parse(&eth_arp, eth_arp.len, &p), CAP_PKT_NOT_IP);
	assert_int_equal(cap_pkt_parse(147, eth_v4_tcp.bytes, eth_v4_tcp.len, eth_v4_tcp.len, &p),
			 CAP_PKT_BAD_LINKTYPE);
	assert_false(cap_pkt_link_supported(147));
	assert_true(cap_pkt_link_supported(CAP_LINK_LINUX_SLL2));
}

static void test_vlan(void **state)
{
	(void)state;
	struct cap_pkt p;

	assert_int_equal(parse(&eth_vlan2_v4_tcp, eth_vlan2_v4_tcp.len, &p), CAP_PKT_OK);
	expect_ping(&p, 22);
	assert_true(p.flags & CAP_PKT_F_VLAN);
	assert_int_equal(p.vlan, 100);
}

static void test_ipv4_options_and_fragments(void **state)
{
	(void)state;
	struct cap_pkt p;

	assert_int_equal(parse(&v4_options, v4_options.len, &p), CAP_PKT_OK);
	assert_true(p.flags & CAP_PKT_F_IPOPTS);
	assert_int_equal(p.l4_off, 24);
	assert_int_equal(p.sport, 5353);
	assert_int_equal(p.payload_len, 3);
	assert_int_equal(parse(&v4_fragment, v4_fragment.len, &p), CAP_PKT_OK);
	assert_true(p.flags & CAP_PKT_F_FRAG);
	assert_int_equal(p.proto, CAP_PROTO_UDP);
	assert_int_equal(p.sport, 0);   /* a later fragment has no ports */
}

static void test_ipv6_extension_headers(void **state)
{
	(void)state;
	struct cap_pkt p;

	assert_int_equal(parse(&v6_exthdrs_tcp, v6_exthdrs_tcp.len, &p), CAP_PKT_OK);
	assert_true(p.flags & CAP_PKT_F_EXTHDR);
	assert_int_equal(p.proto, CAP_PROTO_TCP);
	assert_int_equal(p.l4_off, 40 + 8 + 24 + 8);
	assert_int_equal(p.sport, 1);
	assert_int_equal(p.seq, 0x01020304);
	assert_int_equal(parse(&v6_fragment, v6_fragment.len, &p), CAP_PKT_OK);
	assert_true(p.flags & CAP_PKT_F_FRAG);
	assert_int_equal(p.proto, CAP_PROTO_UDP);
	assert_int_equal(p.sport, 0);
	assert_int_equal(parse(&v6_atomic_fragment, v6_atomic_fragment.len, &p), CAP_PKT_OK);
	assert_false(p.flags & CAP_PKT_F_FRAG);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_len, 3);
}

static void test_malformed(void **state)
{
	(void)state;
	struct cap_pkt p;

	assert_int_equal(parse(&bad_tcp_doff, bad_tcp_doff.len, &p), CAP_PKT_BAD_L4);
	assert_int_equal(parse(&bad_tcp_doff_long, bad_tcp_doff_long.len, &p), CAP_PKT_BAD_L4);
	assert_int_equal(parse(&bad_udp_len, bad_udp_len.len, &p), CAP_PKT_BAD_L4);
	assert_int_equal(parse(&bad_ihl, bad_ihl.len, &p), CAP_PKT_BAD_IP);
	assert_int_equal(parse(&bad_version, bad_version.len, &p), CAP_PKT_BAD_IP);
	assert_int_equal(parse(&bad_v4_totlen, bad_v4_totlen.len, &p), CAP_PKT_BAD_IP);
	assert_int_equal(parse(&bad_v6_exthdr_len, bad_v6_exthdr_len.len, &p), CAP_PKT_BAD_IP);
	assert_string_equal(cap_pkt_rc_name(CAP_PKT_BAD_L4), "bad_l4");
	assert_string_equal(cap_pkt_rc_name(CAP_PKT_RC_COUNT), "unknown");
}

/* A snaplen that keeps the headers but not the payload: lengths still come
 * from the headers, and the cut is reported. */
static void test_snaplen_cut_payload(void **state)
{
	(void)state;
	struct cap_pkt p;

	assert_int_equal(parse(&eth_v4_tcp, eth_v4_tcp.len - 3, &p), CAP_PKT_OK);
	expect_ping(&p, 14);
	assert_int_equal(p.payload_caplen, 1);
	assert_true(p.flags & CAP_PKT_F_TRUNC);
	assert_int_equal(p.caplen, eth_v4_tcp.len - 3);
	assert_int_equal(p.wirelen, eth_v4_tcp.len);
	assert_int_equal(parse(&eth_v4_tcp, 14 + 30, &p), CAP_PKT_TRUNC_L4);
	assert_int_equal(parse(&eth_v4_tcp, 14 + 10, &p), CAP_PKT_TRUNC_IP);
	assert_int_equal(parse(&eth_v4_tcp, 10, &p), CAP_PKT_TRUNC_LINK);
	assert_int_equal(parse(&v6_exthdrs_tcp, 40 + 12, &p), CAP_PKT_TRUNC_IP);
}

/* An IP length of 0 (TSO) or past the frame falls back on the wire. */
static void test_length_fixups(void **state)
{
	(void)state;
	struct cap_pkt p;
	uint8_t b[] = {V4_TCP_PING};

	b[2] = 0;
	b[3] = 0;
	assert_int_equal(cap_pkt_parse(CAP_LINK_RAW, b, sizeof(b), sizeof(b), &p), CAP_PKT_OK);
	assert_true(p.flags & CAP_PKT_F_LENFIX);
	assert_int_equal(p.payload_len, 4);
	b[2] = 0x01;    /* 300 bytes claimed, 44 on the wire */
	assert_int_equal(cap_pkt_parse(CAP_LINK_RAW, b, sizeof(b), sizeof(b), &p), CAP_PKT_OK);
	assert_true(p.flags & CAP_PKT_F_LENFIX);
	assert_int_equal(p.ip_len, 44);
}

/* Every fixture at every caplen: no crash, no read past caplen (ASan), and
 * a cut frame never claims a longer payload than the whole one. */
static void test_every_prefix(void **state)
{
	(void)state;
	struct cap_pkt whole, cut;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const struct fixture *f = all[i];
		enum cap_pkt_rc rc = parse(f, f->len, &whole);
		for (uint32_t n = 0; n < f->len; n++) {
			enum cap_pkt_rc r = parse(f, n, &cut);
			if (r != CAP_PKT_OK)
				continue;
			if (rc != CAP_PKT_OK)
				fail_msg("%s: caplen %u parsed, the whole frame did not", f->name, n);
			assert_int_equal(cut.payload_len, whole.payload_len);
			assert_true(cut.payload_caplen <= n);
		}
	}
}

static void test_addr_str(void **state)
{
	(void)state;
	char buf[CAP_ADDRSTRLEN];
	uint8_t v4[16] = {192, 168, 1, 20}, v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	assert_string_equal(cap_pkt_addr_str(4, v4, 80, true, buf, sizeof(buf)), "192.168.1.20:80");
	assert_string_equal(cap_pkt_addr_str(6, v6, 443, true, buf, sizeof(buf)),
			    "[2001:db8::1]:443");
	assert_string_equal(cap_pkt_addr_str(6, v6, 0, false, buf, sizeof(buf)), "2001:db8::1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_types_v4),
		cmocka_unit_test(test_link_types_v6),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_ipv4_options_and_fragments),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_snaplen_cut_payload),
		cmocka_unit_test(test_length_fixups),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_addr_str),
	};
	return tl_run_group(tests, NULL, NULL);
}
