/*
 * servers/dgram_batch.c — batched datagrams: recvmmsg() takes up to 64
 * datagrams in one system call, each is handled, and the replies leave in
 * one sendmmsg(). With --workers N, N threads each batch on their own
 * SO_REUSEPORT socket.
 */
#include "servers/model.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "net/sock.h"

#define BATCH 64
/* Per-slot buffer; a larger datagram is truncated and counted oversize. */
#define SLOT (SRV_DGRAM_MAX)

struct batch {
	struct srv *srv;
	int fd;
	uint8_t *bufs;                     /* BATCH * SLOT */
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iin[BATCH], iout[BATCH];
	struct sockaddr_storage from[BATCH];
	/* SO_RXQ_OVFL's drop counter per datagram (srv_dgram_account) */
	union {
		char buf[SRV_DGRAM_CMSG];
		struct cmsghdr align;
	} ctl[BATCH];
	struct srv_conn conns[BATCH];
};

static void send_replies(struct batch *b, unsigned nout)
{
	unsigned sent = 0;
	while (sent < nout) {
		int r = sendmmsg(b->fd, b->out + sent, nout - sent, MSG_NOSIGNAL);
		if (r > 0) {
			for (int i = 0; i < r; i++)
				atomic_fetch_add_explicit(&srv_ctr(b->srv)->bytes_out,
							  b->out[sent + (unsigned)i].msg_len,
							  memory_order_relaxed);
			sent += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN &&
		    net_wait(b->fd, POLLOUT, srv_stop_fd(b->srv), 100) == 1)
			continue;
		/* The first message failed (e.g. an unreachable peer): count
		 * it and go on with the rest. */
		srv_count_err(b->srv, r < 0 ? -errno : -EIO);
		sent++;
	}
}

static void *batch_main(void *arg)
{
	struct batch *b = arg;
	struct srv *s = b->srv;

	for (;;) {
		/* Under a steady flood recvmmsg never says EAGAIN: look for
		 * shutdown before each batch. */
		if (srv_stopping(s))
			break;
		for (unsigned i = 0; i < BATCH; i++) {
			b->iin[i] = (struct iovec){b->bufs + (size_t)i * SLOT, srv_dgram_cap(s)};
			b->in[i].msg_hdr = (struct msghdr){
				.msg_name = &b->from[i], .msg_namelen = sizeof(b->from[i]),
				.msg_iov = &b->iin[i], .msg_iovlen = 1,
				.msg_control = b->ctl[i].buf, .msg_controllen = sizeof(b->ctl[i].buf)};
		}
		int n = recvmmsg(b->fd, b->in, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (net_wait(b->fd, POLLIN, srv_stop_fd(s), -1) == -ECANCELED)
					break;
				continue;
			}
			srv_count_err(s, -errno);
			continue;
		}
		unsigned nout = 0;
		for (int i = 0; i < n; i++) {
			struct net_addr peer;
			if (!srv_dgram_account(s, b->fd, &b->in[i].msg_hdr))
				continue;
			memcpy(&peer.ss, &b->from[i], sizeof(peer.ss));
			peer.len = b->in[i].msg_hdr.msg_namelen;
			struct srv_conn *c = &b->conns[nout];
			if (!srv_dgram_request(s, c, b->iin[i].iov_base, b->in[i].msg_len, &peer))
				continue;
			if (net_addr_family(&c->peer) == AF_UNIX &&
			    c->peer.len <= offsetof(struct sockaddr_un, sun_path)) {
				srv_count_err(s, -EDESTADDRREQ);
				srv_conn_end(c);
				continue;
			}
			b->iout[nout] = (struct iovec){net_buf_head(&c->out), net_buf_pending(&c->out)};
			b->out[nout].msg_hdr = (struct msghdr){
				.msg_name = &c->peer.ss, .msg_namelen = c->peer.len,
				.msg_iov = &b->iout[nout], .msg_iovlen = 1};
			nout++;
		}
		send_replies(b, nout);
		for (unsigned i = 0; i < nout; i++)
			srv_conn_end(&b->conns[i]);
	}
	return NULL;
}

static int batch_serve(struct srv *s)
{
	unsigned n = srv_workers(s);
	struct batch *b = calloc(n, sizeof(*b));
	pthread_t t[SRV_MAX_WORKERS];
	unsigned started = 0;
	int rc = 0;

	if (!b)
		return -ENOMEM;
	for (; started < n; started++) {
		b[started].srv = s;
		b[started].fd = srv_socket(s, started % srv_nsockets(s));
		b[started].bufs = malloc((size_t)BATCH * SLOT);
		int e = b[started].bufs ? pthread_create(&t[started], NULL, batch_main, &b[started])
					: ENOMEM;
		if (e) {
			free(b[started].bufs);
			rc = -e;
			srv_shutdown(s);
			break;
		}
	}
	for (unsigned i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		free(b[i].bufs);
	}
	free(b);
	return rc;
}

const struct srv_model_ops srv_dgram_batch = {
	.name = "batch",
	.kind = SRV_DGRAM,
	.help = "recvmmsg/sendmmsg, 64 datagrams a call (--workers, default 1)",
	.socket_per_worker = true,
	.default_workers = 1,
	.serve = batch_serve,
};
