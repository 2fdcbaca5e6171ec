/*
 * harness/capture/pkt.c — the pure packet parser (see pkt.h): link layer, then
 * IPv4 (options) or IPv6 (extension headers), then TCP or UDP.
 *
 * Every read is preceded by a check against caplen; lengths taken from
 * headers are checked against the datagram they claim to describe. Where
 * a header is odd but usable the parser goes on the way tshark does, so that
 * `socklab analyze` counts the same packets: an IPv4 total length beyond the
 * frame (or 0, as TSO captures show) falls back on the wire length.
 */
#include "harness/capture/pkt.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define MAX_VLAN_TAGS 8
#define MAX_V6_EXTHDRS 32

/* What the link layer says comes next. */
enum l3 { L3_NONE, L3_IPV4, L3_IPV6, L3_PEEK };

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static enum l3 l3_of_ethertype(uint16_t t)
{
	if (t == ETHERTYPE_IPV4)
		return L3_IPV4;
	if (t == ETHERTYPE_IPV6)
		return L3_IPV6;
	return L3_NONE;
}

/* BSD address families for IPv6 differ per OS: NetBSD/OpenBSD 24, FreeBSD
 * 28, macOS 30; IPv4 is 2 everywhere. Linux's 10 is left out on purpose:
 * Linux never writes these link types, and Wireshark does not accept 10
 * either, so counting it would break the agreement with tshark. */
static enum l3 l3_of_bsd_family(uint32_t fam)
{
	if (fam == 2)
		return L3_IPV4;
	if (fam == 24 || fam == 28 || fam == 30)
		return L3_IPV6;
	return L3_NONE;
}

static enum cap_pkt_rc link_ethernet(const uint8_t *b, uint32_t caplen, uint32_t *off,
				     enum l3 *l3, struct cap_pkt *p)
{
	uint32_t pos = 12;

	if (caplen < 14)
		return CAP_PKT_TRUNC_LINK;
	uint16_t type = rd16(b + pos);
	for (int tags = 0; type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
			   type == ETHERTYPE_QINQ_OLD; tags++) {
		if (tags == MAX_VLAN_TAGS)
			return CAP_PKT_NOT_IP;
		if (caplen < pos + 6)
			return CAP_PKT_TRUNC_LINK;
		if (!(p->flags & CAP_PKT_F_VLAN))
			p->vlan = rd16(b + pos + 2) & 0x0fff;
		p->flags |= CAP_PKT_F_VLAN;
		pos += 4;
		type = rd16(b + pos);
	}
	*off = pos + 2;
	*l3 = l3_of_ethertype(type);
	return CAP_PKT_OK;
}

/* Where the link header ends and what follows it. */
static enum cap_pkt_rc link_header(int link, const uint8_t *b, uint32_t caplen,
				   uint32_t *off, enum l3 *l3, struct cap_pkt *p)
{
	switch (link) {
	case CAP_LINK_EN10MB:
		return link_ethernet(b, caplen, off, l3, p);
	case CAP_LINK_LINUX_SLL:     /* 16 bytes; protocol at 14 */
		if (caplen < 16)
			return CAP_PKT_TRUNC_LINK;
		*off = 16;
		*l3 = l3_of_ethertype(rd16(b + 14));
		return CAP_PKT_OK;
	case CAP_LINK_LINUX_SLL2:    /* 20 bytes; protocol at 0 */
		if (caplen < 20)
			return CAP_PKT_TRUNC_LINK;
		*off = 20;
		*l3 = l3_of_ethertype(rd16(b));
		return CAP_PKT_OK;
	case CAP_LINK_NULL: {
		if (caplen < 4)
			return CAP_PKT_TRUNC_LINK;
		/* Host order of the capturing machine, which may not be ours:
		 * families are small, so a value with high bits set is swapped
		 * (Wireshark guesses the same way). */
		uint32_t fam = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
			       (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
		if (fam & 0xffff0000u)
			fam = rd32(b);
		*off = 4;
		*l3 = l3_of_bsd_family(fam);
		return CAP_PKT_OK;
	}
	case CAP_LINK_LOOP:
		if (caplen < 4)
			return CAP_PKT_TRUNC_LINK;
		*off = 4;
		*l3 = l3_of_bsd_family(rd32(b));
		return CAP_PKT_OK;
	case CAP_LINK_RAW_DLT:
	case CAP_LINK_RAW_OPENBSD:
	case CAP_LINK_RAW:
		*off = 0;
		*l3 = L3_PEEK;
		return CAP_PKT_OK;
	case CAP_LINK_IPV4:
		*off = 0;
		*l3 = L3_IPV4;
		return CAP_PKT_OK;
	case CAP_LINK_IPV6:
		*off = 0;
		*l3 = L3_IPV6;
		return CAP_PKT_OK;
	default:
		return CAP_PKT_BAD_LINKTYPE;
	}
}

bool cap_pkt_link_supported(int link)
{
	struct cap_pkt p;
	uint32_t off;
	enum l3 l3;
	uint8_t zero[32] = {0};

	return link_header(link, zero, sizeof(zero), &off, &l3, &p) == CAP_PKT_OK;
}

/* The datagram length the header claims, or the wire length when the
 * header says 0 or more than the wire carried. */
static uint32_t ip_length(uint32_t claimed, uint32_t wire_avail, struct cap_pkt *p)
{
	if (claimed == 0 || claimed > wire_avail) {
		p->flags |= CAP_PKT_F_LENFIX;
		return wire_avail;
	}
	return claimed;
}

static enum cap_pkt_rc parse_ipv4(const uint8_t *b, uint32_t caplen, uint32_t wire,
				  uint32_t off, uint32_t *l4, struct cap_pkt *p)
{
	const uint8_t *h = b + off;

	if (caplen < off + 20)
		return CAP_PKT_TRUNC_IP;
	if (h[0] >> 4 != 4)
		return CAP_PKT_BAD_IP;
	uint32_t hl = (uint32_t)(h[0] & 0x0f) * 4;
	if (hl < 20)
		return CAP_PKT_BAD_IP;
	if (caplen < off + hl)
		return CAP_PKT_TRUNC_IP;
	p->ipver = 4;
	p->proto = h[9];
	memcpy(p->src, h + 12, 4);
	memcpy(p->dst, h + 16, 4);
	if (hl > 20)
		p->flags |= CAP_PKT_F_IPOPTS;
	uint32_t tot = rd16(h + 2);
	if (tot != 0 && tot < hl)
		return CAP_PKT_BAD_IP;
	p->ip_len = ip_length(tot, wire - off, p);
	if (rd16(h + 6) & 0x3fff)    /* MF set or a fragment offset */
		p->flags |= CAP_PKT_F_FRAG;
	*l4 = off + hl;
	return CAP_PKT_OK;
}

/* Skip hop-by-hop, routing, destination options, AH and fragment headers;
 * leave *pos at the transport header and p->proto set to it. */
static enum cap_pkt_rc skip_v6_exthdrs(const uint8_t *b, uint32_t caplen, uint32_t end,
				       uint32_t *pos, struct cap_pkt *p)
{
	for (int n = 0; n < MAX_V6_EXTHDRS; n++) {
		uint8_t nh = p->proto;
		uint32_t len;

		if (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44)
			return CAP_PKT_OK;
		if (*pos + 8 > end)
			return CAP_PKT_BAD_IP;
		if (caplen < *pos + 8)
			return CAP_PKT_TRUNC_IP;
		const uint8_t *h = b + *pos;
		if (nh == 44) {
			len = 8;
			/* A fragment offset or more-fragments; an "atomic"
			 * fragment (both zero) is a whole datagram. */
			if ((rd16(h + 2) & 0xfff9) != 0)
				p->flags |= CAP_PKT_F_FRAG;
		} else if (nh == 51) {
			len = ((uint32_t)h[1] + 2) * 4;
		} else {
			len = ((uint32_t)h[1] + 1) * 8;
		}
		if (*pos + len > end)
			return CAP_PKT_BAD_IP;
		p->flags |= CAP_PKT_F_EXTHDR;
		p->proto = h[0];
		*pos += len;
		if (p->flags & CAP_PKT_F_FRAG)
			return CAP_PKT_OK;
	}
	return CAP_PKT_BAD_IP;
}

static enum cap_pkt_rc parse_ipv6(const uint8_t *b, uint32_t caplen, uint32_t wire,
				  uint32_t off, uint32_t *l4, struct cap_pkt *p)
{
	const uint8_t *h = b + off;

	if (caplen < off + 40)
		return CAP_PKT_TRUNC_IP;
	if (h[0] >> 4 != 6)
		return CAP_PKT_BAD_IP;
	p->ipver = 6;
	p->proto = h[6];
	memcpy(p->src, h + 8, 16);
	memcpy(p->dst, h + 24, 16);
	uint32_t plen = rd16(h + 4);
	/* Payload length 0 is a jumbogram (or a TSO capture). */
	p->ip_len = ip_length(plen ? plen + 40 : 0, wire - off, p);
	if (p->ip_len < 40)
		return CAP_PKT_BAD_IP;
	*l4 = off + 40;
	return skip_v6_exthdrs(b, caplen, off + p->ip_len, l4, p);
}

static enum cap_pkt_rc parse_tcp(const uint8_t *b, uint32_t caplen, uint32_t pos,
				 uint32_t avail, struct cap_pkt *p)
{
	const uint8_t *h = b + pos;

	if (avail < 20)
		return CAP_PKT_BAD_L4;
	if (caplen < pos + 20)
		return CAP_PKT_TRUNC_L4;
	uint32_t hl = (uint32_t)(h[12] >> 4) * 4;
	if (hl < 20 || hl > avail)
		return CAP_PKT_BAD_L4;
	if (caplen < pos + hl)
		return CAP_PKT_TRUNC_L4;
	p->sport = rd16(h);
	p->dport = rd16(h + 2);
	p->seq = rd32(h + 4);
	p->ack = rd32(h + 8);
	p->tcp_flags = h[13];
	p->win = rd16(h + 14);
	p->tcp_hlen = (uint8_t)hl;
	p->payload_off = pos + hl;
	p->payload_len = avail - hl;
	return CAP_PKT_OK;
}

static enum cap_pkt_rc parse_udp(const uint8_t *b, uint32_t caplen, uint32_t pos,
				 uint32_t avail, struct cap_pkt *p)
{
	const uint8_t *h = b + pos;

	if (avail < 8)
		return CAP_PKT_BAD_L4;
	if (caplen < pos + 8)
		return CAP_PKT_TRUNC_L4;
	uint32_t ulen = rd16(h + 4);
	if (ulen < 8)
		return CAP_PKT_BAD_L4;
	p->sport = rd16(h);
	p->dport = rd16(h + 2);
	p->payload_off = pos + 8;
	p->payload_len = (ulen < avail ? ulen : avail) - 8;
	return CAP_PKT_OK;
}

static enum cap_pkt_rc parse_l4(const uint8_t *b, uint32_t caplen, uint32_t pos,
				struct cap_pkt *p)
{
	enum cap_pkt_rc rc;
	uint32_t end = p->ip_off + p->ip_len;

	p->l4_off = pos;
	if (p->flags & CAP_PKT_F_FRAG)
		return CAP_PKT_OK;
	if (p->proto == CAP_PROTO_TCP)
		rc = parse_tcp(b, caplen, pos, end - pos, p);
	else if (p->proto == CAP_PROTO_UDP)
		rc = parse_udp(b, caplen, pos, end - pos, p);
	else
		return CAP_PKT_OK;
	if (rc != CAP_PKT_OK)
		return rc;
	uint32_t have = caplen - p->payload_off;
	p->payload_caplen = have < p->payload_len ? have : p->payload_len;
	if (p->payload_caplen < p->payload_len)
		p->flags |= CAP_PKT_F_TRUNC;
	return CAP_PKT_OK;
}

enum cap_pkt_rc cap_pkt_parse(int link, const uint8_t *bytes, uint32_t caplen,
			      uint32_t wirelen, struct cap_pkt *p)
{
	enum cap_pkt_rc rc;
	enum l3 l3 = L3_NONE;
	uint32_t off = 0, l4 = 0;

	memset(p, 0, sizeof(*p));
	p->caplen = caplen;
	p->wirelen = wirelen;
	if (wirelen < caplen)    /* a broken file; trust what we hold */
		wirelen = caplen;
	rc = link_header(link, bytes, caplen, &off, &l3, p);
	if (rc != CAP_PKT_OK)
		return rc;
	if (l3 == L3_PEEK) {
		if (caplen < off + 1)
			return CAP_PKT_TRUNC_IP;
		l3 = bytes[off] >> 4 == 4 ? L3_IPV4 : bytes[off] >> 4 == 6 ? L3_IPV6 : L3_NONE;
		if (l3 == L3_NONE)
			return CAP_PKT_BAD_IP;
	}
	if (l3 == L3_NONE)
		return CAP_PKT_NOT_IP;
	p->ip_off = off;
	if (l3 == L3_IPV4)
		rc = parse_ipv4(bytes, caplen, wirelen, off, &l4, p);
	else
		rc = parse_ipv6(bytes, caplen, wirelen, off, &l4, p);
	if (rc != CAP_PKT_OK)
		return rc;
	return parse_l4(bytes, caplen, l4, p);
}

const char *cap_pkt_rc_name(enum cap_pkt_rc rc)
{
	static const char *const names[CAP_PKT_RC_COUNT] = {
		[CAP_PKT_OK] = "ok",
		[CAP_PKT_NOT_IP] = "not_ip",
		[CAP_PKT_BAD_LINKTYPE] = "bad_linktype",
		[CAP_PKT_TRUNC_LINK] = "trunc_link",
		[CAP_PKT_TRUNC_IP] = "trunc_ip",
		[CAP_PKT_TRUNC_L4] = "trunc_l4",
		[CAP_PKT_BAD_IP] = "bad_ip",
		[CAP_PKT_BAD_L4] = "bad_l4",
	};
	if ((unsigned)rc >= CAP_PKT_RC_COUNT)
		return "unknown";
	return names[rc];
}

char *cap_pkt_addr_str(uint8_t ipver, const uint8_t addr[16], uint16_t port,
		       bool port_too, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (!port_too)
		snprintf(buf, len, "%s", ip);
	else if (ipver == 6)
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
	return buf;
}
