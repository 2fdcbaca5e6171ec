/*
 * clients/engine.h — the load engine: N simulated clients from one process.
 *
 * Process and thread model. ld_run() is called from one thread (the verb
 * `socklab load`, or the scenario runner in-process). It starts T worker
 * threads (default one per CPU, never more than clients) and waits for all
 * of them. Worker t owns clients t, t+T, t+2T, ...: their sockets, their
 * one timer each and their buffers live in that worker's epoll loop
 * (net/poller.h) and nothing else touches them. Counters, the latency
 * histogram and the app-boundary log are per worker and merged into the
 * result after the threads are joined; the only shared state is a few
 * atomics (requests claimed under --requests, connection ids, the stop
 * flag). Nothing is printed and nothing exits: every failure is a count in
 * the result or a negative errno from ld_run().
 *
 * A client, stream protocols (TCP, Unix stream):
 *   connect ─> [think or intended time] ─> write the request ─> read the
 *   whole reply ─> (connect-per-request: close) ─> repeat
 * Closed loop waits for the reply, then thinks. Open loop (rate > 0) gives
 * every request an intended send time (clients/pace.h); a client still
 * waiting for a reply sends its next request as soon as the reply is in,
 * and every latency is measured from the intended time (wrk2).
 * A request is `pattern`: one message in one send (whole), one message in K
 * sends (split:K), or N messages in N back-to-back sends (burst:N). With
 * framing none a message's reply is complete when as many bytes as it had
 * came back (echo-like servers); with length/delim framing it is the next
 * whole message (net/framing.h, the code the servers use).
 *
 * File workload (streams, `files` set; servers/handler_file.c's protocol):
 * a request is one name from the list ("NAME\n"; client i starts at name
 * i mod n and cycles), its reply an 8-byte big-endian size then that many
 * bytes. Before the run, ld_run() reads every name under file_root once for
 * its size and CRC-32C (util/crc32c.h); a name missing there refuses the
 * run (-EINVAL, "--file: ..."). The reply's size must equal the local one
 * (else mismatch at once) and the body's CRC, computed as it arrives, the
 * local CRC (else mismatch; not checked with verify none). A size of 2^64-1
 * (refused or not found by the server) counts as `notfound`. Either error
 * ends the connection as every error does. Nothing is buffered beyond the
 * worker's receive buffer. bytes_received counts bodies, not size headers.
 *
 * Datagram protocols (UDP, Unix datagram): each client has one connected
 * socket; every datagram carries net/dgram.h's header. Closed loop: one
 * datagram, wait for its echo or the timeout. Open loop: datagrams at their
 * intended times, batched with sendmmsg; flood: as fast as the socket takes
 * them. Replies are read with recvmmsg and accounted per flow (lost,
 * duplicated, reordered, late).
 *
 * Errors are data: counted by kind, the client reconnects (after a short
 * back-off) and goes on.
 */
#ifndef SOCKLAB_CLIENTS_ENGINE_H
#define SOCKLAB_CLIENTS_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clients/hist.h"
#include "clients/payload.h"
#include "net/addr.h"
#include "net/framing.h"

#define LD_MAX_THREADS 256
#define LD_MAX_PATTERN 1024          /* K of split:K, N of burst:N */
#define LD_MAX_STREAM_MSG (16u << 20)
#define LD_MAX_DGRAM 65507u
#define LD_MAX_BATCH 256
#define LD_FILES_MAX 4096            /* bytes of the file list and of the root */
#define LD_FILE_NAME_MAX 4096        /* the server's limit on one name */

enum ld_pattern {
	LD_WHOLE,
	LD_SPLIT,
	LD_BURST,
};

enum ld_err {
	LD_ERR_REFUSED,    /* connect refused (ECONNREFUSED, ENOENT), ICMP unreachable */
	LD_ERR_RESET,      /* ECONNRESET, EPIPE */
	LD_ERR_TIMEOUT,    /* no connect or no (whole) reply within the timeout */
	LD_ERR_SHORT,      /* peer closed with a reply outstanding or incomplete */
	LD_ERR_MISMATCH,   /* a reply that is not what was sent (per verify mode);
	                      files: wrong size or checksum */
	LD_ERR_NOTFOUND,   /* files: the server answered "not found or refused" */
	LD_ERR_OTHER,      /* anything else (EADDRNOTAVAIL, EMFILE, ...) */
	LD_ERR__COUNT
};
const char *ld_err_name(enum ld_err e);

struct ld_config {
	enum net_proto proto;
	struct net_addr target;
	unsigned clients;              /* >= 1 */
	unsigned threads;              /* 0: one per CPU; capped at clients */
	uint64_t duration_ns;          /* 0: until `requests` are done */
	uint64_t requests;             /* total messages; 0: no limit */
	double rate;                   /* open loop, requests/s in total; 0: closed loop */
	bool flood;                    /* datagrams: send as fast as possible */
	struct pl_size size;           /* message size (datagrams: including the header) */
	struct net_framing framing;    /* streams only */
	enum ld_pattern pattern;
	unsigned pattern_n;            /* K or N */
	bool nodelay;                  /* TCP_NODELAY */
	bool cork;                     /* TCP_CORK around each request's writes */
	uint64_t think_ns;             /* closed loop: pause after each reply */
	bool connect_per_request;      /* streams: connect, one request, close */
	double connect_rate;           /* connects/s in total; 0: no limit */
	uint64_t timeout_ns;           /* connect and reply timeout; 0: 5 s */
	uint64_t drain_ns;             /* after the end, wait this long for replies
	                                  in flight; 0: min(timeout, 1 s) */
	enum pl_verify verify;
	unsigned batch;                /* datagrams per sendmmsg/recvmmsg; 0: 32 */
	unsigned sources;              /* IPv4: spread over 127.0.0.2.. (this many);
	                                  0: automatic when ports would run out */
	uint64_t seed;
	size_t log_capacity;           /* app-boundary events kept; 0: no log */
	atomic_int *cancel;            /* nonzero stops the run early; may be NULL */
	/* Replies completed so far, for a live rate; may be NULL. Each worker
	 * adds what it completed once per event-loop turn (relaxed), so the
	 * value lags the truth by at most one turn: the events of one wait
	 * plus the loop's 20 ms tick. Never reset by the engine. */
	atomic_uint_fast64_t *live_replies;
	/* File workload (streams only): names separated by commas (a name may
	 * not hold a comma or a newline); "" for the echo workload. */
	char files[LD_FILES_MAX];
	char file_root[LD_FILES_MAX];  /* the client's copies; "" = "." */
};

/* Defaults: 1 client, 10 s, 64-byte messages, framing none, whole, echo. */
void ld_config_init(struct ld_config *cfg);
/* Consistency checks the CLI cannot express per flag. 0 or -EINVAL, with
 * text naming the offending flag ("--pattern: ..."). */
int ld_config_check(const struct ld_config *cfg, char *err, size_t errlen);

/* One app-boundary event: what the application asked of the socket. */
enum ld_ev_kind {
	LD_EV_CONNECT,     /* a connection is up; lport = its local port */
	LD_EV_SEND,        /* a send()/sendmmsg datagram: offset, len */
	LD_EV_RECV,        /* a recv()/recvmmsg datagram: offset, len */
	LD_EV_CLOSE,
};

struct ld_event {
	uint64_t t_ns;     /* CLOCK_MONOTONIC: when the call returned */
	/* Stream sends: when the send() call began (the previous send's
	 * return in a burst: one clock read per send), so a segment the
	 * kernel sent during the call is inside [t_call_ns, t_ns]. 0: not
	 * known (other kinds, datagrams: their t_ns is taken before the call). */
	uint64_t t_call_ns;
	uint64_t offset;   /* bytes before this one in the same direction */
	uint32_t conn;     /* connection id, unique in the run, from 1 */
	uint32_t len;
	uint16_t lport;    /* local port (0 for Unix sockets) */
	uint8_t kind;      /* enum ld_ev_kind */
};

struct ld_udp {
	uint64_t sent, received, lost, duplicated, reordered, late;
	/* Send calls the kernel refused (ENOBUFS, EAGAIN: a full send buffer
	 * or device queue). Not in `sent`: the datagram is sent again later,
	 * with the same sequence number. */
	uint64_t refused;
};

struct ld_result {
	uint64_t requests;             /* messages sent */
	uint64_t replies;              /* replies complete (datagrams: distinct) */
	uint64_t errors;
	uint64_t err[LD_ERR__COUNT];
	uint64_t bytes_sent, bytes_received;
	uint64_t connects;             /* successful connections */
	uint64_t incomplete;           /* requests still unanswered at the end */
	uint64_t elapsed_ns;           /* start to the last send or reply */
	double throughput_rps;         /* replies / elapsed */
	struct hist latency;           /* ns */
	struct ld_udp udp;             /* datagram protocols */
	unsigned threads, sources;     /* what was used */
	bool unreachable;              /* every client was refused at start */
	struct ld_event *events;       /* time-ordered; caller frees (ld_result_free) */
	size_t nevents;
	uint64_t events_dropped;       /* beyond log_capacity */
};

/*
 * Run the load described by cfg; fill res (zeroed first). Returns 0 when it
 * ran, whatever the errors counted, or a negative errno when it could not
 * (bad config, no memory, no epoll), with text in err. When every client
 * was refused at start the run ends early with res->unreachable set.
 */
int ld_run(const struct ld_config *cfg, struct ld_result *res, char *err, size_t errlen);
void ld_result_free(struct ld_result *res);

/* The summary `socklab load` prints: human text or one JSON object. */
void ld_result_print(const struct ld_config *cfg, const struct ld_result *res, FILE *f);
void ld_result_json(const struct ld_config *cfg, const struct ld_result *res, FILE *f);

#endif
