/*
 * clients/ld_int.h — the load engine's insides, shared by engine.c (workers,
 * sockets, counters) and the two client kinds, ld_stream.c (TCP, Unix
 * stream) and ld_dgram.c (UDP, Unix datagram). Not for use outside clients/.
 *
 * Ownership: a worker owns its clients; a client owns its descriptor, its
 * timer and its buffers. Everything here runs on the worker's thread, except
 * struct ld_shared, whose mutable fields are atomics.
 */
#ifndef SOCKLAB_CLIENTS_LD_INT_H
#define SOCKLAB_CLIENTS_LD_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "clients/engine.h"
#include "clients/pace.h"
#include "util/buf.h"
#include "net/dgram.h"
#include "net/framing.h"
#include "net/poller.h"

/* After an error, a client waits this long before it reconnects, so that a
 * dead server is probed, not hammered. */
#define LD_BACKOFF_NS 10000000ull

/* One name of the file workload, as the client's copy under file_root is. */
struct ld_file {
	const char *name;                /* into ld_shared.file_names */
	size_t len;
	uint64_t size;
	uint32_t crc;                    /* CRC-32C of the whole file */
};

struct ld_shared {
	const struct ld_config *cfg;
	struct ld_file *files;           /* NULL: the echo workload */
	unsigned nfiles;
	char *file_names;                /* cfg->files split at the commas */
	uint64_t start_ns, end_ns;       /* end_ns: UINT64_MAX without a duration */
	uint64_t timeout_ns, drain_ns;
	unsigned nsrc;                   /* source addresses, 0: let the kernel pick */
	atomic_uint_fast64_t claimed;    /* requests handed out (under cfg->requests) */
	atomic_uint_fast32_t next_conn;  /* connection ids */
	atomic_uint first_refused;       /* clients whose first attempt was refused */
	atomic_uint reached;             /* clients that connected (or got a reply) */
	atomic_int stop;                 /* everyone stops: unreachable */
};

enum ld_state {
	LD_ST_WAIT,        /* timer: connect */
	LD_ST_BACKOFF,     /* timer: after an error, connect or schedule again */
	LD_ST_CONNECTING,  /* EPOLLOUT: connect done; timer: timeout */
	LD_ST_IDLE,        /* connected; timer: send the next request */
	LD_ST_BUSY,        /* a request out; timer: timeout */
	LD_ST_DRAIN,       /* datagrams: issuing ended, replies may still come */
	LD_ST_DONE,
};

struct ld_worker;

struct ld_client {
	struct ld_worker *w;
	uint32_t id;               /* client index in the run; the datagram flow */
	uint32_t conn;             /* current connection id (app log) */
	uint16_t lport;
	int fd;
	enum ld_state st;
	uint32_t events;           /* epoll interest; 0 = not registered */
	bool first;                /* first attempt not settled yet */
	bool reached;              /* connected (or answered) at least once */
	struct net_timer timer;    /* first member used by container lookups */
	struct pace pace;
	struct rng rng;
	uint64_t seq;              /* messages generated (content sequence) */
	uint64_t t0;               /* the current request's start (intended, open loop) */
	uint64_t sent_off, recv_off;
	/* streams: the request in flight */
	unsigned nmsg, nreplied, ncuts, cut_i;
	size_t cut_done, msg_got, expect_pos;
	size_t *lens, *cuts;       /* LD pattern sized */
	struct net_buf out;        /* framed bytes not yet written */
	struct net_buf expect;     /* the request's payloads, back to back */
	struct net_deframer dfr;
	/* files: the reply in progress */
	const struct ld_file *file;
	uint8_t hdr[8];
	unsigned hdr_got;
	uint64_t body_left;
	uint32_t crc;
	/* datagrams */
	struct net_dgram_tracker trk;
	uint64_t dsent;            /* datagrams sent: the next sequence number */
	uint64_t wait_seq;         /* closed loop: the one awaited */
};

struct ld_worker {
	struct ld_shared *sh;
	const struct ld_config *cfg;
	const struct ld_ops *ops;
	unsigned index;
	pthread_t tid;
	bool started;
	struct net_poller poller;
	int tfd;                     /* timerfd: wakes epoll at the next timer, to the µs */
	uint64_t tfd_when;
	struct ld_client *clients;
	unsigned n, active;
	bool stopping;
	uint64_t drain_end;
	uint64_t next_connect, connect_gap;
	/* counters, merged after join */
	uint64_t requests, replies, err[LD_ERR__COUNT];
	uint64_t bytes_sent, bytes_received, connects, incomplete, last_ns;
	uint64_t live_pub;           /* replies already added to cfg->live_replies */
	struct ld_udp udp;
	struct hist hist;
	struct ld_event *ev;
	size_t nev, cap;
	uint64_t dropped;
	/* scratch */
	uint8_t *rbuf, *sbuf;
	size_t rbuf_len, slot;       /* datagrams: one slot of `slot` bytes per batch entry */
	struct mmsghdr *msgs;
	struct iovec *iov;
	int rc;
};

struct ld_ops {
	void (*begin)(struct ld_client *c, uint64_t now);
	void (*io)(struct ld_client *c, uint32_t events, uint64_t now);
	void (*timer)(struct ld_client *c, uint64_t now);
	void (*stop)(struct ld_client *c, uint64_t now);   /* issuing has ended */
	void (*finish)(struct ld_client *c);               /* the loop has ended */
};

extern const struct ld_ops ld_stream_ops;
extern const struct ld_ops ld_dgram_ops;

/* engine.c, for the client kinds. */
enum ld_err ld_errno_kind(int err);
void ld_error(struct ld_client *c, enum ld_err kind);
void ld_reached(struct ld_client *c);
void ld_log(struct ld_client *c, enum ld_ev_kind kind, uint64_t off, size_t len, uint64_t now);
/* The same with the call's start (struct ld_event t_call_ns). */
void ld_log_call(struct ld_client *c, enum ld_ev_kind kind, uint64_t off, size_t len,
		 uint64_t t_call, uint64_t now);
/* Whether the worker keeps an event log (clock reads only it needs can be skipped). */
static inline bool ld_logging(const struct ld_client *c)
{
	return c->w->cap != 0;
}
int ld_want(struct ld_client *c, uint32_t events);
void ld_arm(struct ld_client *c, uint64_t when);
void ld_close(struct ld_client *c);
void ld_done(struct ld_client *c);
/* Count an error, close the connection, and try again after a back-off
 * (or finish, once the run is stopping). */
void ld_fail(struct ld_client *c, enum ld_err kind, uint64_t now);
/* Up to want requests under cfg->requests (all of them without a limit),
 * none once stopping. */
unsigned ld_claim(struct ld_client *c, unsigned want);
/* Give back n claimed requests that were not sent. */
void ld_unclaim(struct ld_client *c, unsigned n);
/* The earliest time at or after `when` this worker may start a connect. */
uint64_t ld_connect_slot(struct ld_worker *w, uint64_t when);
/* A new non-blocking socket of `type`, source-bound and connecting: returns
 * 0 connected, 1 in progress, or -errno (the socket is closed). */
int ld_connect(struct ld_client *c, int type);
void ld_latency(struct ld_client *c, uint64_t t0, uint64_t now);

/* ld_file.c: the file workload. Load every name's size and CRC under
 * file_root into sh (nothing to do without cfg->files); 0, or -errno with
 * text naming --file/--file-root. ld_files_free releases what it set. */
int ld_files_load(struct ld_shared *sh, char *err, size_t errlen);
void ld_files_free(struct ld_shared *sh);
/* Put the client's next request ("NAME\n") in c->out and reset its reply
 * state; -ENOMEM. */
int ld_file_request(struct ld_client *c);
/* Account received reply bytes: 0 when more are due, 1 when the reply is
 * complete and verified (all n bytes used), -1 with *kind set (mismatch,
 * notfound) otherwise. Adds body bytes to the worker's bytes_received. */
int ld_file_consume(struct ld_client *c, const uint8_t *p, size_t n, enum ld_err *kind);

#endif
