/*
 * net/sock.h — socket helpers shared by servers and clients.
 *
 * Every function returns 0 (or a descriptor / byte count) on success and a
 * negative errno on failure; detail text, where there is any, goes into the
 * caller's buffer. Descriptors are created close-on-exec.
 */
#ifndef SOCKLAB_NET_SOCK_H
#define SOCKLAB_NET_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/addr.h"

struct net_listen_opts {
	int backlog;       /* listen() backlog for streams; 0 means SOMAXCONN */
	bool reuseaddr;    /* SO_REUSEADDR (socketserver's allow_reuse_address) */
	bool reuseport;    /* SO_REUSEPORT, for N sockets on one port */
	bool nonblock;
	bool v6only;       /* IPV6_V6ONLY on an IPv6 socket */
};

/*
 * Create, bind and (for streams) listen. For Unix paths a stale socket file
 * left by a dead server is removed first; a live one is EADDRINUSE.
 * Returns the descriptor or -errno.
 */
int net_listen(enum net_proto proto, const struct net_addr *addr,
	       const struct net_listen_opts *opts, char *err, size_t errlen);

/* The address a socket is bound to (getsockname). */
int net_local_addr(int fd, struct net_addr *out);

int net_set_nonblock(int fd, bool on);
int net_set_nodelay(int fd, bool on);
int net_set_int(int fd, int level, int name, int value);

/*
 * The socket's kernel drop counter (sk_drops: datagrams dropped because
 * the receive buffer was full, the same counter SO_RXQ_OVFL reports) via
 * SO_MEMINFO SK_MEMINFO_DROPS. 32 bits in the kernel. Returns 0 and *drops,
 * or -errno (-ENOTSUP where SO_MEMINFO is unknown).
 */
int net_sock_drops(int fd, uint32_t *drops);

/*
 * Wait until fd is ready for `events` (POLLIN/POLLOUT) or stop_fd becomes
 * readable or hung up (the shutdown broadcast, -1 for none). timeout_ms < 0
 * waits forever. Returns 1 ready, 0 timeout, -ECANCELED when stopped, or
 * -errno. EINTR is retried with the remaining time.
 */
int net_wait(int fd, short events, int stop_fd, int timeout_ms);

/*
 * Write all of buf to a (possibly non-blocking) stream socket, waiting for
 * POLLOUT as needed; MSG_NOSIGNAL so a closed peer is EPIPE, not SIGPIPE.
 * Returns 0, -ECANCELED when stop_fd fired, or -errno.
 */
int net_write_all(int fd, const void *buf, size_t len, int stop_fd);

#endif
