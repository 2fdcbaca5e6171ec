/*
 * harness/capture/pkt.h — the packet parser under `socklab analyze`, live capture
 * and the app-log alignment: one captured frame (link type, caplen, wire
 * length, bytes) in, addresses, ports and TCP/UDP header fields out.
 *
 * Pure: no I/O, no allocation, no global state, so it runs per packet at
 * capture rate and under a fuzzer. It never reads beyond caplen; a frame
 * that ends too early or whose headers contradict each other yields an
 * error kind that the caller counts (cap_pkt_rc_name() names it).
 *
 * Lengths come from the headers (IP total length, UDP length), not from
 * caplen: a capture with a small snaplen still reports what was on the
 * wire, and CAP_PKT_F_TRUNC says that the payload itself was not kept.
 */
#ifndef SOCKLAB_HARNESS_CAPTURE_PKT_H
#define SOCKLAB_HARNESS_CAPTURE_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types, as LINKTYPE_ values in a pcap file header and as the DLT_
 * values libpcap's pcap_datalink() returns on Linux (they differ for raw
 * IP only: DLT_RAW is 12, or 14 on OpenBSD; LINKTYPE_RAW is 101). */
enum {
	CAP_LINK_NULL = 0,        /* BSD loopback, family in host byte order */
	CAP_LINK_EN10MB = 1,      /* Ethernet, with 802.1Q/802.1ad tags */
	CAP_LINK_RAW_DLT = 12,
	CAP_LINK_RAW_OPENBSD = 14,
	CAP_LINK_RAW = 101,
	CAP_LINK_LOOP = 108,      /* OpenBSD loopback, family in network order */
	CAP_LINK_LINUX_SLL = 113,
	CAP_LINK_IPV4 = 228,
	CAP_LINK_IPV6 = 229,
	CAP_LINK_LINUX_SLL2 = 276,
};

/* What cap_pkt_parse() made of a frame. The caller counts these. */
enum cap_pkt_rc {
	CAP_PKT_OK = 0,        /* an IP packet; p->proto says TCP, UDP or other */
	CAP_PKT_NOT_IP,        /* well-formed, but no IP in it (ARP, LLDP, ...) */
	CAP_PKT_BAD_LINKTYPE,  /* a link type this parser does not know */
	CAP_PKT_TRUNC_LINK,    /* caplen ends inside the link-layer header */
	CAP_PKT_TRUNC_IP,      /* ... inside the IP header or its extensions */
	CAP_PKT_TRUNC_L4,      /* ... inside the TCP or UDP header */
	CAP_PKT_BAD_IP,        /* IP version, header or total length impossible */
	CAP_PKT_BAD_L4,        /* TCP data offset < 20 or past the datagram;
				  UDP length < 8 */
	CAP_PKT_RC_COUNT
};

/* Flags in struct cap_pkt.flags. */
enum {
	CAP_PKT_F_VLAN = 1u << 0,      /* one or more 802.1Q/802.1ad tags */
	CAP_PKT_F_IPOPTS = 1u << 1,    /* IPv4 options were skipped */
	CAP_PKT_F_EXTHDR = 1u << 2,    /* IPv6 extension headers were skipped */
	CAP_PKT_F_FRAG = 1u << 3,      /* an IP fragment: ports/TCP not parsed */
	CAP_PKT_F_TRUNC = 1u << 4,     /* the capture cut the L4 payload */
	CAP_PKT_F_LENFIX = 1u << 5,    /* IP length 0 (TSO/jumbo) or beyond the
					  wire length: the wire length was used */
};

/* TCP flag bits (byte 13 of the header). */
enum {
	CAP_TCP_FIN = 0x01, CAP_TCP_SYN = 0x02, CAP_TCP_RST = 0x04,
	CAP_TCP_PSH = 0x08, CAP_TCP_ACK = 0x10, CAP_TCP_URG = 0x20,
	CAP_TCP_ECE = 0x40, CAP_TCP_CWR = 0x80,
};

enum { CAP_PROTO_TCP = 6, CAP_PROTO_UDP = 17 };

struct cap_pkt {
	uint32_t caplen, wirelen;  /* as given */
	uint8_t ipver;             /* 4 or 6 */
	uint8_t proto;             /* transport protocol after v6 extensions */
	uint16_t flags;            /* CAP_PKT_F_* */
	uint16_t vlan;             /* outermost VLAN id, when F_VLAN */
	uint8_t src[16], dst[16];  /* IPv4 uses the first 4 bytes; rest zero */
	uint16_t sport, dport;     /* host order; 0 unless TCP/UDP parsed */
	uint32_t ip_off;           /* frame offset of the IP header */
	uint32_t l4_off;           /* ... of the TCP/UDP header */
	uint32_t payload_off;      /* ... of the TCP/UDP payload */
	uint32_t ip_len;           /* IP datagram length per its header */
	uint32_t payload_len;      /* L4 payload length per the headers */
	uint32_t payload_caplen;   /* how much of it is in the frame */
	/* TCP only (proto == 6 and not a fragment): */
	uint32_t seq, ack;
	uint16_t win;              /* unscaled */
	uint8_t tcp_flags;         /* CAP_TCP_* */
	uint8_t tcp_hlen;          /* header length in bytes, options included */
};

/* Parse one frame of link type `link` (CAP_LINK_*), of which `caplen`
 * bytes were captured out of `wirelen` on the wire. Fills *p (zeroed
 * first) and returns CAP_PKT_OK or another cap_pkt_rc. Reads bytes[0 ..
 * caplen) only. */
enum cap_pkt_rc cap_pkt_parse(int link, const uint8_t *bytes, uint32_t caplen,
			      uint32_t wirelen, struct cap_pkt *p);

/* True when the link type is one cap_pkt_parse() knows. */
bool cap_pkt_link_supported(int link);

/* "ok", "not_ip", "bad_linktype", "trunc_link", ... (static strings). */
const char *cap_pkt_rc_name(enum cap_pkt_rc rc);

/* Format p's source or destination as "1.2.3.4:80" or "[::1]:80" (or without
 * the port when port_too is false) into buf; returns buf. CAP_ADDRSTRLEN
 * bytes are always enough. */
#define CAP_ADDRSTRLEN 56
char *cap_pkt_addr_str(uint8_t ipver, const uint8_t addr[16], uint16_t port,
		       bool port_too, char *buf, size_t len);

#endif
