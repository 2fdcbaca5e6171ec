/*
 * harness/capture/capture.h — live packet capture of one case with libpcap, fed
 * into the same parser (pkt.h) and conversation table (flows.h) that
 * `socklab analyze` uses on files, plus the self-check a reader needs to
 * trust the evidence (snaplen, ring size, immediate mode, pcap_stats, the
 * interface's MTU and offloads).
 *
 * Thread model. cap_start() opens and activates the handle (immediate mode,
 * snaplen and ring buffer sized per DESIGN.md's pitfall: headers only by
 * default, since the analysis reads headers only), installs the BPF filter
 * and starts one capture thread. That thread blocks in poll() on the
 * handle's selectable descriptor and on a stop pipe, and on every wake-up
 * reads what the ring holds with pcap_dispatch in non-blocking mode: no
 * spinning on pcap_next_ex. cap_stop() writes to the pipe, the thread
 * drains what the ring still holds and ends, then pcap_stats is read and
 * the handle is closed. Until cap_stop() returns, only the capture thread
 * touches the flow table and the segment list; afterwards only the caller.
 *
 * Errors: 0 or a negative errno with one line of text in the caller's
 * buffer. cap_start(): -EPERM no permission to capture (not root, no
 * CAP_NET_RAW), -ENODEV no such interface, -EINVAL a bad filter or
 * configuration, -ENOMEM, -EIO anything else libpcap refused. The caller
 * records such a case as "unavailable" and goes on: never a silent empty
 * result.
 */
#ifndef SOCKLAB_HARNESS_CAPTURE_CAPTURE_H
#define SOCKLAB_HARNESS_CAPTURE_CAPTURE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/capture/flows.h"

#define CAP_DEFAULT_IFACE "lo"
#define CAP_DEFAULT_SNAPLEN 256u              /* headers only: see DESIGN.md */
#define CAP_DEFAULT_MAX_SEGS ((size_t)100000) /* segment records kept per capture */
#define CAP_RING_SLOTS 65536u                 /* packets the ring holds by default */
#define CAP_MIN_BUFFER ((size_t)4 << 20)
#define CAP_MAX_BUFFER ((size_t)256 << 20)

/* How a case's capture went, as stored (cases.capture_status). */
enum cap_status {
	CAP_ST_OK,            /* captured; the self-check says how well */
	CAP_ST_UNAVAILABLE,   /* could not start: permission, interface, Unix socket */
	CAP_ST_ERROR,         /* started, then failed (read error, pcap file write) */
};
/* "ok", "unavailable", "error". */
const char *cap_status_name(enum cap_status s);

struct cap_config {
	const char *iface;        /* NULL: CAP_DEFAULT_IFACE */
	const char *filter;       /* BPF filter expression; NULL: every packet */
	uint16_t port;            /* flows keep only TCP/UDP from/to it; 0: all */
	unsigned snaplen;         /* 0: CAP_DEFAULT_SNAPLEN */
	size_t buffer_bytes;      /* 0: cap_buffer_for(snaplen, CAP_RING_SLOTS) */
	const char *pcap_path;    /* also save every packet there; NULL: not saved */
	size_t max_segs;          /* segment records kept; 0: CAP_DEFAULT_MAX_SEGS */
};

/* The self-check: what the capture was and what it missed. */
struct cap_check {
	char iface[IF_NAMESIZE];
	char filter[128];
	unsigned snaplen;
	size_t buffer_bytes;
	bool immediate;
	int link;                 /* pcap_datalink(), -1 before activation */
	int mtu;                  /* SIOCGIFMTU; -1 unknown */
	int tso, gso, gro;        /* SIOCETHTOOL: 1 on, 0 off, -1 unknown */
	bool stats_ok;            /* pcap_stats answered */
	uint64_t received;        /* ps_recv: packets that passed the filter */
	uint64_t dropped;         /* ps_drop: no room in the ring */
	uint64_t if_dropped;      /* ps_ifdrop: dropped by the interface/driver */
};

/* One TCP packet with payload or SYN/FIN/RST, or one UDP datagram, as the
 * flow table saw it (pure ACKs are counted in the flows, not kept here). */
struct cap_segrec {
	uint32_t flow;            /* index for cap_flows_get(cap_flows(c), i) */
	uint8_t proto;            /* CAP_PROTO_TCP or _UDP */
	bool offload;             /* IP length above the MTU, or fixed up from
				     the wire length: a TSO/GRO artefact */
	struct cap_seg s;         /* ts_ns is from the capture's start */
};

struct capture;

/* Open, filter and start capturing per cfg. See the errors above. */
int cap_start(const struct cap_config *cfg, struct capture **out, char *err, size_t errlen);
/*
 * Stop: signal the thread, let it drain the ring, join it, read pcap_stats,
 * flush the .pcap and close. Idempotent. 0, or -EIO when the capture thread
 * or the pcap file failed (text in err); what was captured before the
 * failure is still there.
 */
int cap_stop(struct capture *c, char *err, size_t errlen);
/* Stops first if needed. NULL is ignored. */
void cap_free(struct capture *c);

/* After cap_stop() (the check's interface fields also before). */
const struct cap_check *cap_check(const struct capture *c);
const struct cap_totals *cap_totals(const struct capture *c);
const struct cap_flows *cap_flows(const struct capture *c);
/* Records kept (at most max_segs) in capture order; *seen gets how many
 * there were in all, so seen > n means the list was capped. */
const struct cap_segrec *cap_segments(const struct capture *c, size_t *n, uint64_t *seen);
/* A pure TCP ACK (no payload, no SYN/FIN/RST): kept in memory only, at
 * most max_segs of them, for the app-log alignment (harness/capture/align.h). */
struct cap_ackrec {
	uint32_t flow;            /* index for cap_flows_get() */
	uint8_t dir;              /* 0 = A->B, 1 = B->A, as cap_seg.dir */
	uint32_t rel_ack;         /* relative to the peer's ISN */
	uint64_t ts_ns;           /* from the capture's start */
};
/* After cap_stop(): the pure ACKs in capture order. */
const struct cap_ackrec *cap_acks(const struct capture *c, size_t *n);
/* CLOCK_REALTIME at cap_start, ns: the zero of every stored time. */
uint64_t cap_start_ns(const struct capture *c);

/* The interface's MTU and TSO/GSO/GRO into chk (-1 for what cannot be
 * read). 0, or -errno of the MTU ioctl (e.g. -ENODEV). */
int cap_iface_check(const char *iface, struct cap_check *chk);
/* A ring buffer for `slots` packets of `snaplen` bytes, as TPACKET frames,
 * within [CAP_MIN_BUFFER, CAP_MAX_BUFFER]. */
size_t cap_buffer_for(unsigned snaplen, unsigned slots);

/* ---- one case of `socklab run` (harness/runner/capture_case.c) ---- */

struct scn;
struct scn_case;
struct db;

/* A case's capture from start to store, whether or not it could start. */
struct cap_case;

/*
 * Start capturing case c (0-based run index `index`) of s, whose server
 * listens at addr ("127.0.0.1:40123"; NULL: the case's target.address):
 * filter "tcp port P or udp port P" on CAP_DEFAULT_IFACE, snaplen from
 * capture.snaplen, and DIR/case-N.pcap when capture.pcap is DIR (see
 * cap_case_set_run). Sets *out
 * unless out of memory. Returns 0 when capturing, or -errno with the
 * reason in err, the case then being recorded as unavailable (a Unix
 * socket, no permission, no interface); the caller warns and goes on.
 */
int cap_case_start(struct cap_case **out, const struct scn *s, const struct scn_case *c,
		   const char *addr, size_t index, char *err, size_t errlen);
/* The same on interface iface (NULL: CAP_DEFAULT_IFACE), e.g. the veth of
 * a topology pair; the calling thread must be in that interface's network
 * namespace (the handle stays bound to it). */
int cap_case_start_on(struct cap_case **out, const struct scn *s, const struct scn_case *c,
		      const char *addr, const char *iface, size_t index, char *err, size_t errlen);
/* The same when addr is a relay (`relay:` in the scenario) in front of the
 * server at behind: both legs are captured (filter on both ports) and
 * stored as flows, each oriented towards its listening side (the relay's
 * port for client->relay, the server's for relay->server); behind NULL is
 * cap_case_start_on. */
int cap_case_start_via(struct cap_case **out, const struct scn *s, const struct scn_case *c,
		       const char *addr, const char *behind, const char *iface, size_t index,
		       char *err, size_t errlen);
/* The case belongs to run run_id: its .pcap (capture.pcap: DIR) is named
 * DIR/run-R-case-N.pcap instead of DIR/case-N.pcap, so runs never
 * overwrite each other's files. Call before cap_case_stop(). NULL is
 * ignored. */
void cap_case_set_run(struct cap_case *cc, int64_t run_id);
/* Stop the capture (see cap_stop), then move the .pcap (written under a
 * hidden name while capturing) to its name; a failure makes the case's
 * status "error" with the reason. NULL is ignored. */
void cap_case_stop(struct cap_case *cc);
/*
 * Store the case's capture: status and self-check, flows, up to
 * max_segs segments, and the metrics capture.packets, capture.dropped,
 * capture.segments_c2s, capture.segments_s2c (and capture.flows,
 * capture.retrans, capture.if_dropped) when it ran. Stops it first if
 * needed. 0 or the store's -errno (text in db_errmsg). NULL is ignored.
 */
int cap_case_store(struct cap_case *cc, struct db *db, int64_t case_id);
void cap_case_free(struct cap_case *cc);
/* The running or stopped capture, NULL when it never started. */
const struct capture *cap_case_capture(const struct cap_case *cc);

#endif
