/*
 * servers/srv.h — the socketserver in C: public API.
 *
 * A server is a protocol (TCP, UDP, Unix stream, Unix datagram) × a
 * concurrency model (servers/model.h) × a handler (servers/handler.h).
 * Its life follows Python's socketserver:
 *
 *   srv_open()      bind and listen (port 0 is resolved; srv_addr() tells)
 *   srv_serve()     serve_forever: returns after srv_shutdown()
 *   srv_shutdown()  from a signal handler or any thread; idempotent
 *   srv_close()     server_close: every connection and child is gone
 *
 * Process and thread model. srv_serve() runs the model in the calling
 * thread. Models may start threads (thread, pool, epoll with workers) or
 * processes (fork, prefork); srv_serve() returns only when all of them have
 * ended. Shutdown is a broadcast: a pipe whose write end srv_shutdown()
 * closes, so every thread and every forked child polling the read end sees
 * POLLHUP at once, with no counting of wake-ups. Counters live in a shared
 * anonymous mapping so that forked children add to the same numbers.
 */
#ifndef SOCKLAB_SERVERS_SRV_H
#define SOCKLAB_SERVERS_SRV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net/addr.h"
#include "servers/handler.h"

#define SRV_MAX_WORKERS 64
#define SRV_MAX_ALLOW 16

struct srv_model_ops;

struct srv_config {
	enum net_proto proto;
	struct net_addr addr;               /* where to bind; port 0 allowed */
	const struct srv_model_ops *model;
	struct srv_handler_cfg handler;
	unsigned workers;                   /* prefork/pool/epoll/reuseport; 0 = default */
	unsigned max_conns;                 /* active connections; beyond: refused. 0 = no limit */
	int poll_interval_ms;               /* housekeeping period (reaping, idle checks) */
	int backlog;                        /* 0 = SOMAXCONN */
	bool reuseaddr;                     /* allow_reuse_address, default on */
	bool nodelay;                       /* TCP_NODELAY on accepted connections */
	int rcvbuf;                         /* SO_RCVBUF if > 0 (e.g. UDP loss demos) */
	int sndbuf;                         /* SO_SNDBUF if > 0 */
	size_t nallow;                      /* verify_request: peers must match one */
	struct net_prefix allow[SRV_MAX_ALLOW];
	/* Streams: the app-boundary log (net/applog.h) and the reader's
	 * pace. Every model honours them; handlers never read sockets. */
	const char *app_log;                /* log recv/send here; NULL: no log */
	size_t recv_size;                   /* bytes asked of each recv; 0: model's default */
	uint64_t read_delay_ns;             /* after accept, wait before the first recv */
	uint64_t sample_ns;                 /* with app_log: queue samples this often */
};

/* Errors by kind, counted by the server. */
enum srv_err {
	SRV_ERR_RESET,      /* peer reset the connection (ECONNRESET, EPIPE) */
	SRV_ERR_OVERSIZE,   /* message over --max-msg (refused, never allocated) */
	SRV_ERR_PROTOCOL,   /* malformed request for the handler */
	SRV_ERR_NOTFOUND,   /* file handler: no such file under --root */
	SRV_ERR_EMFILE,     /* out of descriptors in accept */
	SRV_ERR_RESOURCE,   /* could not start a thread or process, out of memory */
	SRV_ERR_IO,         /* any other socket error */
	SRV_ERR__COUNT
};
const char *srv_err_name(enum srv_err e);

struct srv_counters {
	atomic_uint_fast64_t accepted;      /* connections accepted (streams) */
	atomic_uint_fast64_t active;        /* connections open now */
	atomic_uint_fast64_t refused;       /* verify_request or max_conns said no */
	atomic_uint_fast64_t closed;        /* connections finished */
	atomic_uint_fast64_t requests;      /* handle() calls: reads or datagrams */
	atomic_uint_fast64_t bytes_in;
	atomic_uint_fast64_t bytes_out;
	atomic_uint_fast64_t errors[SRV_ERR__COUNT];
	/* Datagram servers only (the "udp" object of the stats line): where
	 * each datagram that reached the server's socket(s) went. */
	bool dgram;
	atomic_uint_fast64_t dgrams;        /* read whole (then handled) */
	atomic_uint_fast64_t truncated;     /* MSG_TRUNC: longer than the read buffer */
	atomic_uint_fast64_t unread;        /* still queued when the server stopped */
	/* SO_RXQ_OVFL: the kernel's drop counter of socket i (full receive
	 * buffer), cumulative, so the last value seen per socket is kept. */
	atomic_uint_fast64_t rxq_ovfl[SRV_MAX_WORKERS];
};

struct srv;

/* Bind and listen. On error returns -errno with text in err. Caller ends
 * with srv_close(). */
int srv_open(struct srv **out, const struct srv_config *cfg, char *err, size_t errlen);
/* Serve until srv_shutdown(). Returns 0, or -errno if the model failed. */
int srv_serve(struct srv *s);
/* Async-signal-safe and thread-safe; later calls do nothing. */
void srv_shutdown(struct srv *s);
/* Close the listening sockets, unlink a Unix path, free. NULL is fine. */
void srv_close(struct srv *s);

/* The bound address (port 0 resolved to the real port). */
const struct net_addr *srv_addr(const struct srv *s);
const struct srv_counters *srv_counters(const struct srv *s);
/* Datagrams the kernel dropped at the server's receive buffer(s): the
 * SO_RXQ_OVFL counters summed over its sockets. */
uint64_t srv_rcvbuf_dropped(const struct srv_counters *c);
/* One-line JSON object of the counters, e.g. for the harness to read. */
void srv_counters_json(const struct srv_counters *c, FILE *out);

#endif
