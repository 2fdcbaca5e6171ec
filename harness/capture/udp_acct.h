/*
 * harness/capture/udp_acct.h — where every datagram of a UDP case went.
 *
 * The client -> server direction of one `socklab run` case, from the app's
 * send to the server's read:
 *
 *   sent                 datagrams the app's sendmmsg() took (warmup included)
 *   refused              send calls the kernel refused (ENOBUFS/EAGAIN);
 *                        the app sends those datagrams again later, so they
 *                        are not in `sent` and not a loss
 *   wire                 client -> server datagrams the capture saw (the
 *                        measured phase only: the capture starts after the
 *                        warmup); NULL without a capture. With a relay the
 *                        capture has both legs: wire is the client -> relay
 *                        leg (what the app put on the wire, before any
 *                        impairment), wire_relayed the relay -> server leg
 *   relay_dropped/_duplicated   the impairment relay's counters (metrics
 *                        relay.dropped + relay.rate_dropped + relay.send_failed,
 *                        relay.duplicated); NULL without one
 *   link_dropped         topology pair: the link.loss nftables rule's counter
 *                        (metric link.dropped, warmup included); NULL without
 *   link_rate_dropped    topology pair: link.rate's tbf tail drops at the
 *                        client's egress, before the wire (metric
 *                        link.rate_dropped, warmup included); NULL without
 *   relay_rcvbuf_dropped the relay's client-facing socket: datagrams its
 *                        kernel dropped, receive buffer full, before the relay
 *                        read them (metric relay.rcvbuf_dropped, warmup
 *                        included); NULL without a relay
 *   rcvbuf_dropped       the server sockets' SO_RXQ_OVFL drop counters, summed
 *   snmp_rcvbuf_errors   /proc/net/snmp Udp RcvbufErrors (+ snmp6
 *                        Udp6RcvbufErrors) delta over the case: system-wide,
 *                        so it includes the client's own drops of replies
 *                        and any other process on the host
 *   truncated            MSG_TRUNC at the server (longer than --max-msg)
 *   received             datagrams the server read whole
 *   unread               still queued at the server when it stopped
 *
 * and the balance, which is 0 when every datagram is accounted for:
 *
 *   unaccounted = sent + relay_duplicated - relay_rcvbuf_dropped - relay_dropped
 *               - link_dropped - link_rate_dropped - rcvbuf_dropped - truncated
 *               - received - unread
 *
 * Everything is an int64_t with UDP_NA (-1) for "not known" (stored NULL).
 */
#ifndef SOCKLAB_HARNESS_CAPTURE_UDP_ACCT_H
#define SOCKLAB_HARNESS_CAPTURE_UDP_ACCT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define UDP_NA ((int64_t)-1)

struct udp_acct {
	bool udp;                     /* the case is a datagram case: account it */
	int64_t sent, warmup_sent, refused, wire;
	int64_t wire_relayed;
	int64_t relay_rcvbuf_dropped, relay_dropped, relay_duplicated;
	int64_t link_dropped, link_rate_dropped;
	int64_t rcvbuf_dropped, snmp_rcvbuf_errors;
	int64_t truncated, received, unread;
	int64_t duplicates, reordered;       /* the client's tracker (of replies) */
	int64_t unaccounted;
	int64_t snmp_start;                  /* RcvbufErrors at udp_acct_begin */
	/* Which captured flows are which leg: the port the clients send to
	 * (the relay's, with one) and the server's behind a relay (0: none,
	 * or no port known: wire then counts every UDP flow). */
	uint16_t wire_port, behind_port;
};

/* Everything unknown, and RcvbufErrors read now in the network namespace
 * of process pid (the server; <= 0: the calling thread's). */
void udp_acct_begin(struct udp_acct *a, pid_t pid);
/* The ports of wire and wire_relayed, from the clients' target and the
 * address behind the relay ("HOST:PORT" each; NULL or unparsable: 0). */
void udp_acct_set_ports(struct udp_acct *a, const char *target, const char *behind);
/* Add a phase's client counts (sent, refused; and, for the measured phase,
 * the tracker's duplicates/reordered). */
void udp_acct_add_client(struct udp_acct *a, bool warmup, uint64_t sent, uint64_t refused,
			 uint64_t duplicated, uint64_t reordered);
/* The load is over (the server still up, so its /proc is there): the
 * RcvbufErrors delta since begin. */
void udp_acct_end(struct udp_acct *a, pid_t pid);
/* unaccounted from the other fields (pure; UDP_NA when a term it needs,
 * sent, received or rcvbuf_dropped, is unknown). */
int64_t udp_acct_balance(const struct udp_acct *a);

/*
 * UDP RcvbufErrors (IPv4 + IPv6) from the text of /proc/net/snmp and of
 * /proc/net/snmp6 (either may be NULL). UDP_NA when neither has it.
 */
int64_t udp_snmp_rcvbuf_errors(const char *snmp, const char *snmp6);
/* The same, read from /proc/PID/net (pid <= 0: /proc/thread-self/net). */
int64_t udp_snmp_read(pid_t pid);

/* One line for the runner's text summary, e.g.
 * "     udp: sent 1000 = received 9 + rcvbuf_dropped 991 + ...". */
void udp_acct_print(FILE *f, const struct udp_acct *a);
/* `"udp":{...}` (no leading comma) for the runner's --json summary. */
void udp_acct_json(FILE *f, const struct udp_acct *a);

#endif
