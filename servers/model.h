/*
 * servers/model.h — concurrency models: what a model implements and what the
 * server core gives it.
 *
 * A model is one file exporting one const struct srv_model_ops, listed in
 * servers/models.c. serve() runs until the shutdown broadcast fires
 * (srv_stop_fd() readable or hung up), then ends every thread and child it
 * started and returns. Helpers below do the shared work: accepting with
 * verify_request and EMFILE handling, serving one stream connection with
 * blocking I/O, handling one datagram, forking a child that behaves.
 */
#ifndef SOCKLAB_SERVERS_MODEL_H
#define SOCKLAB_SERVERS_MODEL_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "servers/srv.h"

enum srv_kind {
	SRV_STREAM = 1,
	SRV_DGRAM = 2,
};

struct srv_model_ops {
	const char *name;
	enum srv_kind kind;
	const char *help;
	/* The core opens one socket per worker, each with SO_REUSEPORT
	 * (inet only; Unix sockets share one). */
	bool socket_per_worker;
	unsigned default_workers;      /* 0: the number of CPUs */
	int (*serve)(struct srv *s);
};

/* Lookup by name and kind; NULL if none. */
const struct srv_model_ops *srv_model_find(const char *name, enum srv_kind kind);
/* NULL-terminated table of every model. */
extern const struct srv_model_ops *const srv_models[];

/* ---- what the core offers models ---- */

const struct srv_config *srv_cfg(const struct srv *s);
struct srv_counters *srv_ctr(struct srv *s);
unsigned srv_workers(const struct srv *s);
/* Listening (stream) or bound (datagram) socket i < srv_nsockets(). */
int srv_socket(const struct srv *s, unsigned i);
unsigned srv_nsockets(const struct srv *s);
/* Read end of the shutdown broadcast: poll it for POLLIN|POLLHUP. */
int srv_stop_fd(const struct srv *s);
bool srv_stopping(const struct srv *s);

void srv_count_err(struct srv *s, int neg_errno);

/*
 * Wait for and accept one connection on listening socket lfd (which may be
 * non-blocking). Applies verify_request (--allow) and max_conns, counting
 * refusals; on EMFILE/ENFILE drains the pending connection with a reserve
 * descriptor and backs off for the poll interval instead of spinning.
 * Returns a connected descriptor (close-on-exec, blocking unless `nonblock`),
 * -EAGAIN if nothing is pending (non-blocking lfd) or it was refused,
 * -EMFILE (only when !wait) when out of descriptors — the caller should
 * stop accepting for a moment rather than sleep — or -ECANCELED on
 * shutdown. Counts accepted and active.
 */
int srv_accept(struct srv *s, int lfd, bool wait, bool nonblock, struct net_addr *peer);

/* The connection accepted by srv_accept() is done: count and close it. */
void srv_release(struct srv *s, int fd);

/*
 * Serve one stream connection to the end with blocking-style I/O (poll with
 * the stop descriptor, so shutdown interrupts it): setup, handle each read,
 * write the output, finish; then srv_release(). For iterative, thread, fork,
 * prefork and pool.
 */
void srv_serve_stream(struct srv *s, int fd, const struct net_addr *peer);

/*
 * Handle one datagram: verify_request, setup/handle/finish, honour the
 * handler's delay. Returns 1 with the reply in c->out (caller sends it and
 * then calls srv_conn_end(c)), 0 when there is no reply (already ended).
 */
int srv_dgram_request(struct srv *s, struct srv_conn *c, const uint8_t *in, size_t n,
		      const struct net_addr *peer);
/* Receive one datagram into buf (blocking with stop fd). Returns its
 * length, -ECANCELED on shutdown, or -EAGAIN when it was dropped: larger
 * than cap (counted oversize) or a socket error (counted). */
ssize_t srv_recv_dgram(struct srv *s, int fd, uint8_t *buf, size_t cap,
		       struct net_addr *peer);
/*
 * Account one datagram that recvmsg()/recvmmsg() returned on fd with mh
 * (whose control buffer had room for SRV_DGRAM_CMSG bytes): the
 * SO_RXQ_OVFL drop counter it carries, and whether it was truncated
 * (MSG_TRUNC, counted, also as an oversize error) or read whole. Returns
 * true when it was read whole and should be handled.
 */
bool srv_dgram_account(struct srv *s, int fd, const struct msghdr *mh);
#define SRV_DGRAM_CMSG 64
/* The largest datagram the server reads whole: SRV_DGRAM_MAX, or
 * --max-msg when smaller (a longer one is truncated and dropped). */
size_t srv_dgram_cap(const struct srv *s);
/* Send a reply datagram, counting bytes out or the error. */
void srv_send_dgram(struct srv *s, int fd, const struct srv_conn *c);
/*
 * Receive, handle and answer one datagram on fd, with buf (cap bytes) as
 * scratch; a datagram larger than buf is counted as oversize and dropped.
 * Returns 0, or -ECANCELED on shutdown. The iterative and reuseport loops.
 */
int srv_dgram_serve_one(struct srv *s, int fd, uint8_t *buf, size_t cap);

#define SRV_DGRAM_MAX 65536

/*
 * fork() for models: the child closes its copy of the shutdown pipe's
 * write end (so the broadcast still reaches it), dies with its parent, and
 * restores default signal dispositions. Returns as fork().
 */
pid_t srv_fork(struct srv *s);
/* Reap exited children without blocking; returns how many. */
unsigned srv_reap(struct srv *s);
/* Children of srv_fork() still running. */
unsigned srv_children(const struct srv *s);
/* At shutdown: wait for every child; SIGKILL those still there after
 * grace_ms. */
void srv_wait_children(struct srv *s, int grace_ms);

#endif
