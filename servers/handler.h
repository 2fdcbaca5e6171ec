/*
 * servers/handler.h — request handlers, written once for every model.
 *
 * A handler never touches a socket. It is told what arrived and appends
 * what to send to c->out; the model's driver does the I/O (blocking for
 * iterative/thread/fork/prefork/pool, non-blocking for epoll, one datagram
 * at a time or batched for datagram models). So one `framed` handler serves
 * all eleven models, and the epoll model can turn a handler's simulated I/O
 * wait (c->delay_ns) into a timer instead of blocking its loop.
 *
 * Lifecycle, as socketserver's BaseRequestHandler: setup → handle (once per
 * read on a stream, once per datagram) → finish. For datagram servers each
 * datagram is its own request: setup, one handle, finish.
 *
 * Return values: handle() returns how many requests it completed (a read for
 * raw handlers, a message for framed, a file for file); every op may return
 * a negative errno to end the connection, counted by kind: -EMSGSIZE
 * oversize, -EPROTO protocol, -ENOENT not found, -ENOMEM resource, anything
 * else io.
 */
#ifndef SOCKLAB_SERVERS_HANDLER_H
#define SOCKLAB_SERVERS_HANDLER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "util/buf.h"
#include "net/framing.h"

struct srv;
struct srv_handler_ops;

/* What the handler was configured with (`--handler`, `--framing`, ...). */
struct srv_handler_cfg {
	const struct srv_handler_ops *ops;
	struct net_framing framing;   /* framed; file: max_msg bounds its input */
	uint64_t work_ns;             /* sleep:MS / spin:US per request */
	size_t chunk;                 /* source: bytes per write */
	char root[PATH_MAX];          /* file: directory served */
	/* file: resolve names as where openat2 is missing or filtered (old
	 * kernels, seccomp), one component at a time. For tests: no flag or
	 * scenario key sets it; the fallback is otherwise taken only when
	 * openat2 says ENOSYS or EPERM. */
	bool file_no_openat2;
};

/* One connection (stream) or one datagram request. */
struct srv_conn {
	struct srv *srv;
	const struct srv_handler_cfg *cfg;
	struct net_addr peer;
	struct net_buf out;     /* bytes to send; for datagrams, the reply */
	bool reply;             /* datagram: send c->out as a reply, even empty */
	bool want_more;         /* stream: call more() whenever out is drained */
	bool close_after;       /* stream: close once out is drained */
	uint64_t delay_ns;      /* hold the output this long (simulated I/O wait) */
	void *state;            /* the handler's own, freed by finish() */
};

struct srv_handler_ops {
	const char *name;
	const char *help;            /* one line for --help */
	bool stream_only;            /* source, file, framed need a byte stream */
	bool takes_arg;              /* sleep:MS, spin:US */
	int (*setup)(struct srv_conn *c);                                /* may be NULL */
	int (*handle)(struct srv_conn *c, const uint8_t *in, size_t n);
	int (*more)(struct srv_conn *c);                                 /* may be NULL */
	void (*finish)(struct srv_conn *c);                              /* may be NULL */
};

/*
 * Parse "echo", "sleep:200", "spin:50" into cfg->ops and cfg->work_ns; the
 * other fields keep what the caller set. Returns 0 or -EINVAL with text.
 */
int srv_handler_parse(struct srv_handler_cfg *cfg, const char *spec,
		      char *err, size_t errlen);
/* The table, NULL-terminated, for --help and for conformance tests. */
extern const struct srv_handler_ops *const srv_handlers[];

/* Drivers call these; they never call ops directly. When
 * srv_conn_begin() fails it has already ended the connection's handler
 * state: the driver must not call srv_conn_end() then. They count requests
 * and bytes in; the driver counts bytes out as it writes them. */
int srv_conn_begin(struct srv_conn *c, struct srv *s, const struct net_addr *peer);
int srv_conn_data(struct srv_conn *c, const uint8_t *in, size_t n);
int srv_conn_more(struct srv_conn *c);
void srv_conn_end(struct srv_conn *c);

/* For handlers: queue bytes to send (sets c->reply). 0 or -ENOMEM. */
int srv_conn_write(struct srv_conn *c, const void *p, size_t n);

#endif
