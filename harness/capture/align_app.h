/*
 * harness/capture/align_app.h — one captured stream case's application
 * logs laid beside its TCP flows: both ends' calls as one neutral event
 * record (struct al_event: the client engine's events and the server's
 * app-log records are converted into it), each connection matched to the
 * flow it used, and every flow and direction aligned with align.h. Pure:
 * no SQL (harness/store/store_align.c writes the events and the rows made
 * here), no clients/ (the runner converts the client's events).
 *
 * Matching is per connection, not per event: a client connection belongs
 * to a flow whose client port is its local port and whose server port is
 * the port the clients connected to; a server connection to a flow with
 * its peer's port as client port and its local port as server port. When
 * a port pair comes back within one case (flows.reuse > 0), the n-th
 * connection on it (in the order the log first names it) takes the n-th
 * flow on it (in capture order), so two connections' byte streams are
 * never mixed. Server connections accepted before the capture started (the
 * warmup's) take no flow.
 *
 * Times: every al_event time is nanoseconds from the case's zero (the
 * capture's start), signed: an event before the capture is negative.
 */
#ifndef SOCKLAB_HARNESS_CAPTURE_ALIGN_APP_H
#define SOCKLAB_HARNESS_CAPTURE_ALIGN_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/capture/align.h"
#include "net/applog.h"

struct capture;

#define AL_NO_FLOW UINT32_MAX

enum al_side { AL_SIDE_CLIENT, AL_SIDE_SERVER };

enum al_ev_kind {
	AL_EV_CONNECT,     /* client: connected; server: accepted */
	AL_EV_SEND,
	AL_EV_RECV,
	AL_EV_CLOSE,
	AL_EV_SAMPLE,      /* server: socket queues and TCP_INFO (q) */
};
/* "client", "server"; "connect", "send", "recv", "close", "sample". */
const char *al_side_name(enum al_side s);
const char *al_ev_kind_name(enum al_ev_kind k);

/* One application call of either end (or one server sample). */
struct al_event {
	int64_t t_ns;          /* when the call returned (SAMPLE: when taken) */
	int64_t t_call_ns;     /* when it began, if has_call (SAMPLE: when the
	                          sample began, the time stored for it) */
	int64_t flow_id;       /* al_app_match: the matched flow's id, or -1 */
	uint32_t flow;         /* al_app_match: index into the flows, or AL_NO_FLOW */
	uint32_t conn;         /* connection id, unique per side in the case */
	union {
		struct {
			uint64_t offset;   /* SEND/RECV: stream bytes before it */
			uint32_t len;
		};
		struct {               /* SAMPLE; UINT32_MAX: not known */
			uint32_t rx_queue, tx_queue, rtt_us, cwnd, unacked;
		} q;
	};
	uint16_t lport, rport;
	uint8_t side, kind;    /* enum al_side, enum al_ev_kind */
	bool has_call;
	bool has_rport;        /* client: set by al_app_match (the flow's server port) */
	bool early;            /* server: logged before the capture started */
};

/* t_mono - base as an event time, without signed overflow (a damaged log
 * may hold any time). */
static inline int64_t al_rel_ns(uint64_t t_mono, int64_t base)
{
	return (int64_t)(t_mono - (uint64_t)base);
}

/*
 * The server's records as events, into out (room for n): times relative
 * to base (CLOCK_MONOTONIC ns of the case's zero), not matched yet.
 * Returns the number written; records of no known kind are left out.
 */
size_t al_events_from_applog(const struct srv_al_rec *r, size_t n, int64_t base,
			     struct al_event *out);

/* One captured TCP flow of the case, as stored (flows.id, idx, ports). */
struct al_flow {
	int64_t id;
	uint32_t idx;          /* the capture's flow index */
	uint16_t cport, sport;
};

/* The case: its clients' and server's settings, capture, flows, events. */
struct al_app_case {
	bool nodelay, cork;        /* the client's sockets */
	bool srv_nodelay;
	uint16_t target_port;      /* what the clients connected to; 0: unknown */
	/* Message bounds (docs/analysis.md, "Messages"): every msg_len bytes,
	 * else split's sends, else one send per message; echo: s2c has the
	 * same bounds as c2s. */
	uint64_t msg_len;
	unsigned split;
	bool echo;
	const struct capture *cap; /* NULL: not captured (no flows); al_app_match
	                              only asks whether there is one */
	const struct al_flow *flows;   /* in idx order */
	size_t nflows;
	struct al_event *ev;       /* the client's events, then the server's */
	size_t nev;
};

/*
 * Match every connection of c->ev to its flow: sets each event's flow and
 * flow_id, and a client event's rport (has_rport) from its flow. *unmatched
 * gets the server sends and recvs on no flow, the warmup's aside (0
 * without a capture). 0 or -ENOMEM.
 */
int al_app_match(struct al_app_case *c, uint64_t *unmatched);

/* One direction of one flow, aligned: a flow_align row. */
struct al_flow_dir {
	int64_t flow_id;
	int dir;                   /* 0: c2s, 1: s2c */
	struct al_counts n;
	bool have_wait;            /* a merged recv whose call start is known */
	uint64_t recv_wait_max_ns;
	const char *msg_bounds;    /* "sends", "size" or "split" (static) */
};

/* The summary over a case's aligned flows: c2s totals over flows with both
 * ends' logs; behind a relay the client's leg (sends, no recvs) and the
 * server's (recvs, no sends) apart. */
struct al_app_totals {
	bool have;
	uint64_t flows;
	struct al_counts c2s, s2c, c2s_client_leg, c2s_server_leg;
};

/*
 * After al_app_match: align every flow and direction that has app calls.
 * *dirs (caller frees with free()) gets the rows in flow order, c2s before
 * s2c; *tot the summary. 0 or -ENOMEM (then *dirs is NULL).
 */
int al_app_align(const struct al_app_case *c, struct al_flow_dir **dirs, size_t *ndirs,
		 struct al_app_totals *tot);

#endif
