/*
 * servers/stream_epoll.c — non-blocking event loops. Each of --workers N
 * threads runs its own loop over its own SO_REUSEPORT listening socket (Unix
 * stream sockets share one, with EPOLLEXCLUSIVE so one loop wakes per
 * connection).
 *
 * Per connection: read while the handler keeps up; the handler's output is
 * buffered and written as the socket allows. Backpressure: once more than
 * HIGH_WATER bytes wait to be written (a slow reader), the loop stops
 * reading that connection until they drain, so memory stays bounded and
 * bytes are neither lost nor reordered. A handler's simulated I/O wait
 * (sleep:MS) becomes a timer: the loop serves others meanwhile and does not
 * read that connection, so its requests stay in order. spin:US burns the
 * loop's CPU, as CPU-bound work in an event loop does.
 */
#include "net/applog.h"
#include "servers/model.h"

#include "net/clock.h"
#include "net/poller.h"
#include "net/sock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define HIGH_WATER (256 * 1024)
#define READ_CHUNK 65536
#define READS_PER_EVENT 4
#define MORE_PER_EVENT 4
#define ACCEPTS_PER_EVENT 64
#define NEVENTS 256

/* epoll data.ptr tags for the two non-connection descriptors. */
static char tag_listen, tag_stop;

struct conn {
	int fd;
	uint32_t events;          /* registered interest */
	bool open;                /* handler set up (srv_conn_begin succeeded) */
	bool eof;                 /* the peer sent all it will (recv returned 0) */
	struct srv_conn c;
	struct net_timer delay;   /* output held until then; also the read delay */
	uint64_t read_at;         /* --read-delay: no recv before then; 0: none */
	struct srv_alconn al;     /* --app-log */
	struct conn *prev, *next;
};

struct loop {
	struct srv *srv;
	int lfd;
	struct net_poller p;
	struct conn *conns;       /* every open connection, for shutdown */
	uint8_t *rbuf;
	/* Out of descriptors: the listening socket leaves the poll set until
	 * this fires, so the loop neither spins nor sleeps. */
	struct net_timer accept_pause;
	uint32_t listen_events;   /* EPOLLIN, with EPOLLEXCLUSIVE when shared */
};

#define ACCEPT_PAUSE_NS (10 * 1000000ull)

static void conn_close(struct loop *l, struct conn *k, int err)
{
	if (err && err != -ESHUTDOWN)
		srv_count_err(l->srv, err);
	net_timer_cancel(&l->p, &k->delay);
	net_poller_del(&l->p, k->fd);
	if (k->open)
		srv_conn_end(&k->c);
	srv_al_end(&k->al);
	srv_release(l->srv, k->fd);
	if (k->prev)
		k->prev->next = k->next;
	else
		l->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	free(k);
}

static int set_interest(struct loop *l, struct conn *k, uint32_t events)
{
	if (events == k->events)
		return 0;
	k->events = events;
	return net_poller_mod(&l->p, k->fd, events, k);
}

/*
 * Write what is buffered; ask the handler for more while it wants to and
 * the socket takes it. Then choose what to wait for. Returns 0, or an error
 * (-ESHUTDOWN for a clean end) after which the caller closes.
 */
static int conn_pump(struct loop *l, struct conn *k)
{
	struct srv_conn *c = &k->c;
	int rounds = 0;

	if (net_timer_armed(&k->delay))
		return set_interest(l, k, 0);
	if (c->delay_ns) {
		uint64_t when = net_now_ns() + c->delay_ns;
		c->delay_ns = 0;
		int rc = net_timer_arm(&l->p, &k->delay, when);
		return rc < 0 ? rc : set_interest(l, k, 0);
	}
	for (;;) {
		size_t n = net_buf_pending(&c->out);
		while (n > 0) {
			uint64_t t0 = net_now_ns();
			ssize_t w = send(k->fd, net_buf_head(&c->out), n, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN)
				break;
			if (w < 0)
				return -errno;
			srv_al_send(&k->al, t0, (size_t)w);
			atomic_fetch_add_explicit(&srv_ctr(l->srv)->bytes_out, (uint64_t)w,
						  memory_order_relaxed);
			net_buf_consume(&c->out, (size_t)w);
			n -= (size_t)w;
		}
		if (n > 0)
			break;
		/* After the peer's end of input, close once what is owed (a
		 * file being sent) is written. */
		if (c->close_after || (k->eof && !c->want_more))
			return -ESHUTDOWN;
		if (!c->want_more || rounds++ == MORE_PER_EVENT)
			break;
		int rc = srv_conn_more(c);
		if (rc < 0)
			return rc;
	}
	size_t pending = net_buf_pending(&c->out);
	uint32_t ev = 0;
	/* At EOF the socket stays readable: asking for EPOLLIN would spin. */
	if (pending < HIGH_WATER && !k->eof)
		ev |= EPOLLIN | EPOLLRDHUP;
	/* Output pending, or a source that wants to write more: wait for room. */
	if (pending > 0 || (c->want_more && !c->close_after))
		ev |= EPOLLOUT;
	return set_interest(l, k, ev);
}

static int conn_read(struct loop *l, struct conn *k)
{
	for (int i = 0; i < READS_PER_EVENT; i++) {
		srv_al_sample(&k->al);
		uint64_t t0 = net_now_ns();
		ssize_t n = recv(k->fd, l->rbuf, srv_recv_size(l->srv, READ_CHUNK), 0);
		if (n > 0) {
			srv_al_recv(&k->al, t0, (size_t)n);
			int rc = srv_conn_data(&k->c, l->rbuf, (size_t)n);
			if (rc < 0)
				return rc;
			/* Stop reading while output is held or piling up. */
			if (k->c.delay_ns || net_buf_pending(&k->c.out) >= HIGH_WATER)
				break;
			continue;
		}
		if (n == 0) {
			/* A half-close (shutdown SHUT_WR) after the request:
			 * the answer is still owed, so pump before closing. */
			k->eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			break;
		return -errno;
	}
	return conn_pump(l, k);
}

static void conn_event(struct loop *l, struct conn *k, uint32_t ev)
{
	int rc = 0;
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		rc = conn_read(l, k);
	else if (ev & EPOLLOUT)
		rc = conn_pump(l, k);
	/* Hung up both ways (a reset, or a Unix peer gone) after its end of
	 * input: nothing more can be delivered, and EPOLLHUP, reported
	 * whatever the interest, would wake the loop again at once. */
	if (rc == 0 && (ev & EPOLLHUP) && k->eof)
		rc = -ESHUTDOWN;
	/* After its FIN, a peer that stops reading has simply closed. */
	if (k->eof && (rc == -EPIPE || rc == -ECONNRESET))
		rc = -ESHUTDOWN;
	if (rc < 0)
		conn_close(l, k, rc);
}

static int read_delay_step(struct loop *l, struct conn *k);

static void accept_some(struct loop *l)
{
	for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
		struct net_addr peer;
		int fd = srv_accept(l->srv, l->lfd, false, true, &peer);
		/* Removed and added back rather than modified: EPOLL_CTL_MOD
		 * refuses an EPOLLEXCLUSIVE registration. */
		if (fd == -EMFILE &&
		    net_poller_del(&l->p, l->lfd) == 0 &&
		    net_timer_arm(&l->p, &l->accept_pause, net_now_ns() + ACCEPT_PAUSE_NS) < 0)
			net_poller_add(&l->p, l->lfd, l->listen_events, &tag_listen);
		if (fd < 0)
			return;
		struct conn *k = calloc(1, sizeof(*k));
		if (!k) {
			srv_count_err(l->srv, -ENOMEM);
			srv_release(l->srv, fd);
			continue;
		}
		k->fd = fd;
		k->events = EPOLLIN | EPOLLRDHUP;
		srv_al_begin(&k->al, srv_applog(l->srv), fd, &peer);
		int rc = net_poller_add(&l->p, fd, k->events, k);
		if (rc < 0) {
			srv_count_err(l->srv, rc);
			srv_al_end(&k->al);   /* the log's accept gets its close */
			srv_release(l->srv, fd);
			free(k);
			continue;
		}
		k->next = l->conns;
		if (l->conns)
			l->conns->prev = k;
		l->conns = k;
		rc = srv_conn_begin(&k->c, l->srv, &peer);
		k->open = rc == 0;
		if (rc == 0 && srv_cfg(l->srv)->read_delay_ns) {
			/* The late reader: the delay timer keeps the connection
			 * out of the poll set (conn_pump) until read_at. */
			k->read_at = net_now_ns() + srv_cfg(l->srv)->read_delay_ns;
			rc = read_delay_step(l, k);
		}
		if (rc == 0)
			rc = conn_pump(l, k);
		if (rc < 0)
			conn_close(l, k, rc);
	}
}

/* Sample the queues and arm the delay timer for the next sample or the
 * end of the read delay, whichever comes first. */
static int read_delay_step(struct loop *l, struct conn *k)
{
	srv_al_sample(&k->al);
	uint64_t when = k->read_at, step = srv_applog_sample_ns(k->al.log);
	if (step && net_now_ns() + step < when)
		when = net_now_ns() + step;
	return net_timer_arm(&l->p, &k->delay, when);
}

static void run_timers(struct loop *l)
{
	struct net_timer *t;
	uint64_t now = net_now_ns();
	while ((t = net_timer_expired(&l->p, now)) != NULL) {
		if (t == &l->accept_pause) {
			if (net_poller_add(&l->p, l->lfd, l->listen_events, &tag_listen) < 0)
				srv_shutdown(l->srv);   /* cannot accept any more */
			continue;
		}
		struct conn *k = (struct conn *)((char *)t - offsetof(struct conn, delay));
		int rc = 0;
		if (k->read_at && now < k->read_at) {
			if ((rc = read_delay_step(l, k)) == 0)
				continue;
		}
		k->read_at = 0;
		if (rc == 0)
			rc = conn_pump(l, k);
		if (rc < 0)
			conn_close(l, k, rc);
	}
}

static void *loop_main(void *arg)
{
	struct loop *l = arg;
	struct epoll_event ev[NEVENTS];
	bool exclusive = net_proto_is_unix(srv_cfg(l->srv)->proto) && srv_workers(l->srv) > 1;
	l->listen_events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0);
	int rc;

	if ((rc = net_poller_add(&l->p, l->lfd, l->listen_events,
				 &tag_listen)) < 0 ||
	    (rc = net_poller_add(&l->p, srv_stop_fd(l->srv), EPOLLIN, &tag_stop)) < 0) {
		srv_count_err(l->srv, rc);
		srv_shutdown(l->srv);
		return NULL;
	}
	for (bool stop = false; !stop;) {
		int n = net_poller_wait(&l->p, ev, NEVENTS, srv_cfg(l->srv)->poll_interval_ms);
		if (n < 0) {
			srv_count_err(l->srv, n);
			break;
		}
		for (int i = 0; i < n; i++) {
			void *ptr = ev[i].data.ptr;
			if (ptr == &tag_stop)
				stop = true;
			else if (ptr == &tag_listen)
				accept_some(l);
			else
				conn_event(l, ptr, ev[i].events);
		}
		run_timers(l);
	}
	while (l->conns)
		conn_close(l, l->conns, 0);
	return NULL;
}

static int epoll_serve(struct srv *s)
{
	unsigned n = srv_workers(s);
	struct loop *loops = calloc(n, sizeof(*loops));
	pthread_t t[SRV_MAX_WORKERS];
	unsigned started = 0;
	int rc = 0;

	if (!loops)
		return -ENOMEM;
	/* Every loop's descriptors exist before the first loop accepts: a
	 * running loop can take the last descriptor (clients are connecting
	 * already), and a later epoll_create would then fail with EMFILE. */
	unsigned ready = 0;
	for (; ready < n; ready++) {
		struct loop *l = &loops[ready];
		l->srv = s;
		l->lfd = srv_socket(s, ready % srv_nsockets(s));
		l->rbuf = malloc(srv_recv_size(s, READ_CHUNK));
		rc = l->rbuf ? net_poller_init(&l->p) : -ENOMEM;
		if (rc < 0) {
			free(l->rbuf);
			break;
		}
	}
	for (; rc == 0 && started < n; started++) {
		int e = pthread_create(&t[started], NULL, loop_main, &loops[started]);
		if (e) {
			rc = -e;
			srv_shutdown(s);
			break;
		}
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (unsigned i = 0; i < ready; i++) {
		net_poller_close(&loops[i].p);
		free(loops[i].rbuf);
	}
	free(loops);
	return rc;
}

const struct srv_model_ops srv_stream_epoll = {
	.name = "epoll",
	.kind = SRV_STREAM,
	.help = "non-blocking event loops, one per worker with SO_REUSEPORT (default 1)",
	.socket_per_worker = true,
	.default_workers = 1,
	.serve = epoll_serve,
};
