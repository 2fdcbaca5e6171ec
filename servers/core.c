/*
 * servers/core.c — the server core: sockets, the shutdown broadcast, shared
 * counters, accepting, and the blocking stream and datagram drivers that
 * every model but epoll and batch uses.
 */
#include "net/applog.h"
#include "servers/model.h"
#include "servers/srv.h"

#include "net/clock.h"
#include "net/sock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define IO_CHUNK 16384

struct srv {
	struct srv_config cfg;
	unsigned workers;
	unsigned nsock;
	int socks[SRV_MAX_WORKERS];
	struct net_addr bound;
	int stop_rd;
	atomic_int stop_wr;
	pid_t owner;                 /* the process that opened; only it unlinks */
	bool in_child;               /* this copy lives in a srv_fork() child */
	struct srv_counters *ctr;    /* MAP_SHARED: fork children count too */
	/* EMFILE: a spare descriptor to give up, accept and drop a connection. */
	pthread_mutex_t reserve_lock;
	int reserve_fd;
	/* children of srv_fork(), tracked by the (single-threaded) parent */
	pid_t *kids;
	size_t nkids, capkids;
	struct srv_applog *applog;   /* --app-log; NULL: none */
};

static const char *const err_names[SRV_ERR__COUNT] = {
	[SRV_ERR_RESET] = "reset",
	[SRV_ERR_OVERSIZE] = "oversize",
	[SRV_ERR_PROTOCOL] = "protocol",
	[SRV_ERR_NOTFOUND] = "notfound",
	[SRV_ERR_EMFILE] = "emfile",
	[SRV_ERR_RESOURCE] = "resource",
	[SRV_ERR_IO] = "io",
};

const char *srv_err_name(enum srv_err e)
{
	return err_names[e];
}

const struct srv_config *srv_cfg(const struct srv *s) { return &s->cfg; }
struct srv_counters *srv_ctr(struct srv *s) { return s->ctr; }
const struct srv_counters *srv_counters(const struct srv *s) { return s->ctr; }
unsigned srv_workers(const struct srv *s) { return s->workers; }
int srv_socket(const struct srv *s, unsigned i) { return s->socks[i]; }
unsigned srv_nsockets(const struct srv *s) { return s->nsock; }
int srv_stop_fd(const struct srv *s) { return s->stop_rd; }
const struct net_addr *srv_addr(const struct srv *s) { return &s->bound; }
struct srv_applog *srv_applog(const struct srv *s) { return s->applog; }

bool srv_stopping(const struct srv *s)
{
	/* A forked child closed its copy of the write end, so only the pipe
	 * tells it; the parent's flag costs no system call. */
	if (s->in_child)
		return net_wait(s->stop_rd, POLLIN, -1, 0) != 0;
	return atomic_load(&s->stop_wr) < 0;
}

static void count(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

void srv_count_err(struct srv *s, int e)
{
	enum srv_err k;
	switch (-e) {
	case 0:
	case ECANCELED:
		return;
	case ECONNRESET:
	case EPIPE:
		k = SRV_ERR_RESET;
		break;
	case EMSGSIZE:
		k = SRV_ERR_OVERSIZE;
		break;
	case EPROTO:
		k = SRV_ERR_PROTOCOL;
		break;
	case ENOENT:
		k = SRV_ERR_NOTFOUND;
		break;
	case EMFILE:
	case ENFILE:
		k = SRV_ERR_EMFILE;
		break;
	case ENOMEM:
	case EAGAIN:
		k = SRV_ERR_RESOURCE;
		break;
	default:
		k = SRV_ERR_IO;
	}
	count(&s->ctr->errors[k], 1);
}

void srv_counters_json(const struct srv_counters *c, FILE *out)
{
	fprintf(out, "{\"accepted\":%llu,\"active\":%llu,\"refused\":%llu,\"closed\":%llu,"
		"\"requests\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,\"errors\":{",
		(unsigned long long)atomic_load(&c->accepted),
		(unsigned long long)atomic_load(&c->active),
		(unsigned long long)atomic_load(&c->refused),
		(unsigned long long)atomic_load(&c->closed),
		(unsigned long long)atomic_load(&c->requests),
		(unsigned long long)atomic_load(&c->bytes_in),
		(unsigned long long)atomic_load(&c->bytes_out));
	for (int i = 0; i < SRV_ERR__COUNT; i++)
		fprintf(out, "%s\"%s\":%llu", i ? "," : "", err_names[i],
			(unsigned long long)atomic_load(&c->errors[i]));
	fprintf(out, "}");
	if (c->dgram)
		fprintf(out, ",\"udp\":{\"received\":%llu,\"truncated\":%llu,"
			"\"rcvbuf_dropped\":%llu,\"unread\":%llu}",
			(unsigned long long)atomic_load(&c->dgrams),
			(unsigned long long)atomic_load(&c->truncated),
			(unsigned long long)srv_rcvbuf_dropped(c),
			(unsigned long long)atomic_load(&c->unread));
	fprintf(out, "}");
}

uint64_t srv_rcvbuf_dropped(const struct srv_counters *c)
{
	uint64_t n = 0;
	for (int i = 0; i < SRV_MAX_WORKERS; i++)
		n += atomic_load(&c->rxq_ovfl[i]);
	return n;
}

/* ---------------------------------------------------------------- open */

static int check_config(const struct srv_config *cfg, char *err, size_t errlen)
{
	enum srv_kind kind = net_proto_is_stream(cfg->proto) ? SRV_STREAM : SRV_DGRAM;
	if (!cfg->model || cfg->model->kind != kind) {
		snprintf(err, errlen, "model %s is not a %s model",
			 cfg->model ? cfg->model->name : "(none)",
			 kind == SRV_STREAM ? "stream" : "datagram");
		return -EINVAL;
	}
	if (!cfg->handler.ops) {
		snprintf(err, errlen, "no handler");
		return -EINVAL;
	}
	if (kind == SRV_DGRAM && cfg->handler.ops->stream_only) {
		snprintf(err, errlen, "handler %s needs a stream protocol (tcp or unix-stream)",
			 cfg->handler.ops->name);
		return -EINVAL;
	}
	if (cfg->workers > SRV_MAX_WORKERS) {
		snprintf(err, errlen, "at most %d workers", SRV_MAX_WORKERS);
		return -EINVAL;
	}
	return 0;
}

static bool kind_is_dgram(const struct srv_config *cfg)
{
	return !net_proto_is_stream(cfg->proto);
}

static unsigned ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > SRV_MAX_WORKERS ? SRV_MAX_WORKERS : (unsigned)n;
}

static int set_bufs(int fd, const struct srv_config *cfg, char *err, size_t errlen)
{
	int rc;
	if (cfg->rcvbuf > 0 && (rc = net_set_int(fd, SOL_SOCKET, SO_RCVBUF, cfg->rcvbuf)) < 0) {
		snprintf(err, errlen, "SO_RCVBUF: %s", strerror(-rc));
		return rc;
	}
	if (cfg->sndbuf > 0 && (rc = net_set_int(fd, SOL_SOCKET, SO_SNDBUF, cfg->sndbuf)) < 0) {
		snprintf(err, errlen, "SO_SNDBUF: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

int srv_open(struct srv **out, const struct srv_config *cfg, char *err, size_t errlen)
{
	int rc, pfd[2];
	struct srv *s;

	*out = NULL;
	if ((rc = check_config(cfg, err, errlen)) < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->cfg = *cfg;
	s->owner = getpid();
	s->stop_rd = -1;
	atomic_init(&s->stop_wr, -1);
	s->reserve_fd = -1;
	for (int i = 0; i < SRV_MAX_WORKERS; i++)
		s->socks[i] = -1;
	pthread_mutex_init(&s->reserve_lock, NULL);
	if (s->cfg.poll_interval_ms <= 0)
		s->cfg.poll_interval_ms = 500;

	s->ctr = mmap(NULL, sizeof(*s->ctr), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->ctr == MAP_FAILED) {
		rc = -errno;
		s->ctr = NULL;
		snprintf(err, errlen, "mmap counters: %s", strerror(-rc));
		goto fail;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		rc = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(-rc));
		goto fail;
	}
	s->stop_rd = pfd[0];
	atomic_store(&s->stop_wr, pfd[1]);
	s->ctr->dgram = kind_is_dgram(cfg);
	s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (cfg->app_log && !kind_is_dgram(cfg) &&
	    (rc = srv_applog_open(&s->applog, cfg->app_log, cfg->sample_ns, err, errlen)) < 0)
		goto fail;

	s->workers = cfg->workers ? cfg->workers
		   : cfg->model->default_workers ? cfg->model->default_workers : ncpus();
	s->nsock = cfg->model->socket_per_worker && !net_proto_is_unix(cfg->proto)
		 ? s->workers : 1;

	struct net_listen_opts lo = {
		.backlog = cfg->backlog,
		.reuseaddr = cfg->reuseaddr,
		.reuseport = s->nsock > 1,
		/* Every model polls before it reads or accepts, so sockets are
		 * non-blocking: a wake-up that another worker served is EAGAIN,
		 * not a hang. */
		.nonblock = true,
		.v6only = true,
	};
	struct net_addr a = cfg->addr;
	for (unsigned i = 0; i < s->nsock; i++) {
		rc = net_listen(cfg->proto, &a, &lo, err, errlen);
		if (rc < 0)
			goto fail;
		s->socks[i] = rc;
		if ((rc = set_bufs(s->socks[i], cfg, err, errlen)) < 0)
			goto fail;
		/* Every datagram read then carries the socket's drop count
		 * (srv_dgram_account). */
		if (kind_is_dgram(cfg) &&
		    (rc = net_set_int(s->socks[i], SOL_SOCKET, SO_RXQ_OVFL, 1)) < 0) {
			snprintf(err, errlen, "SO_RXQ_OVFL: %s", strerror(-rc));
			goto fail;
		}
		if (i == 0) {
			if (net_proto_is_unix(cfg->proto)) {
				s->bound = cfg->addr;
			} else if ((rc = net_local_addr(s->socks[0], &s->bound)) < 0) {
				snprintf(err, errlen, "getsockname: %s", strerror(-rc));
				goto fail;
			}
			/* Further SO_REUSEPORT sockets join the port 0 resolved. */
			a = s->bound;
		}
	}
	*out = s;
	return 0;
fail:
	srv_close(s);
	return rc;
}

void srv_shutdown(struct srv *s)
{
	int w = atomic_exchange(&s->stop_wr, -1);
	if (w >= 0)
		close(w);
}

void srv_close(struct srv *s)
{
	if (!s)
		return;
	srv_shutdown(s);
	for (unsigned i = 0; i < SRV_MAX_WORKERS; i++)
		if (s->socks[i] >= 0)
			close(s->socks[i]);
	if (net_proto_is_unix(s->cfg.proto) && s->socks[0] >= 0 && getpid() == s->owner)
		unlink(((const struct sockaddr_un *)&s->bound.ss)->sun_path);
	if (s->stop_rd >= 0)
		close(s->stop_rd);
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	if (s->ctr)
		munmap(s->ctr, sizeof(*s->ctr));
	srv_applog_close(s->applog);
	pthread_mutex_destroy(&s->reserve_lock);
	free(s->kids);
	free(s);
}

static void drain_unread(struct srv *s);

int srv_serve(struct srv *s)
{
	int rc = s->cfg.model->serve(s);
	if (s->ctr->dgram && !s->in_child)
		drain_unread(s);
	return rc;
}

/* ---------------------------------------------------------------- accept */

static bool verify_request(const struct srv *s, const struct net_addr *peer)
{
	if (s->cfg.nallow == 0 || net_addr_family(peer) == AF_UNIX)
		return true;
	for (size_t i = 0; i < s->cfg.nallow; i++)
		if (net_prefix_match(&s->cfg.allow[i], peer))
			return true;
	return false;
}

/*
 * Out of descriptors: the pending connection stays in the backlog and the
 * listening socket stays readable, so a naive loop spins at 100% CPU. Give
 * up the reserve descriptor, accept the connection and close it (the client
 * sees a clean close rather than a hang), then take the reserve back.
 */
static void shed_emfile(struct srv *s, int lfd)
{
	pthread_mutex_lock(&s->reserve_lock);
	/* Another thread may have taken the slot we freed last time. */
	if (s->reserve_fd < 0)
		s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->reserve_fd >= 0) {
		close(s->reserve_fd);
		s->reserve_fd = -1;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	pthread_mutex_unlock(&s->reserve_lock);
}

int srv_accept(struct srv *s, int lfd, bool wait, bool nonblock, struct net_addr *peer)
{
	for (;;) {
		if (wait) {
			int w = net_wait(lfd, POLLIN, s->stop_rd, -1);
			if (w < 0)
				return w;
		} else if (srv_stopping(s)) {
			return -ECANCELED;
		}
		memset(peer, 0, sizeof(*peer));
		peer->len = sizeof(peer->ss);
		int fd = accept4(lfd, (struct sockaddr *)&peer->ss, &peer->len,
				 SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
		if (fd < 0) {
			switch (errno) {
			case EINTR:
			case ECONNABORTED:
				continue;
			case EAGAIN:
				if (!wait)
					return -EAGAIN;
				continue;
			case EMFILE:
			case ENFILE:
				srv_count_err(s, -errno);
				shed_emfile(s, lfd);
				/* An event loop must not sleep here; it pauses
				 * accepting on a timer instead (stream_epoll.c). */
				if (!wait)
					return -EMFILE;
				/* Back off: descriptors come back when connections end. */
				if (net_wait(s->stop_rd, POLLIN, -1, 10) != 0)
					return -ECANCELED;
				continue;
			default: {
				/* ENOBUFS, ENOMEM, EPERM (firewall): count, pause
				 * briefly so a persistent error cannot spin. */
				int e = -errno;
				srv_count_err(s, e);
				if (wait && net_wait(s->stop_rd, POLLIN, -1, 10) != 0)
					return -ECANCELED;
				return e;
			}
			}
		}
		/* Take the slot first, so that loops and processes accepting
		 * at once cannot all pass the check. */
		uint64_t was = atomic_fetch_add(&s->ctr->active, 1);
		bool over = s->cfg.max_conns && was >= s->cfg.max_conns;
		if (over || !verify_request(s, peer)) {
			atomic_fetch_sub(&s->ctr->active, 1);
			count(&s->ctr->refused, 1);
			close(fd);
			if (!wait)
				return -EAGAIN;
			continue;
		}
		count(&s->ctr->accepted, 1);
		/* Replies of several writes (a file's header and first chunk,
		 * echoed pieces) otherwise wait for the peer's delayed ACK. */
		if (s->cfg.nodelay && s->cfg.proto == NET_TCP)
			net_set_nodelay(fd, true);
		return fd;
	}
}

void srv_release(struct srv *s, int fd)
{
	close(fd);
	atomic_fetch_sub(&s->ctr->active, 1);
	count(&s->ctr->closed, 1);
}

/* ---------------------------------------------------------------- streams */

/* Sleep for the handler's simulated wait; shutdown cuts it short. */
static int hold(struct srv *s, struct srv_conn *c)
{
	if (!c->delay_ns)
		return 0;
	uint64_t ms = (c->delay_ns + 999999) / 1000000;
	c->delay_ns = 0;
	return net_wait(s->stop_rd, POLLIN, -1, (int)ms) != 0 ? -ECANCELED : 0;
}

/*
 * Feed whatever is readable right now. The peer's end of input (recv 0) is
 * not the end of the connection: a client may half-close (shutdown SHUT_WR,
 * `nc -N`) right after its request and still read the answer, so *eof is
 * set and the output owed (a file being sent) is still written.
 */
static int poll_input(struct srv *s, struct srv_alconn *al, struct srv_conn *c, uint8_t *buf,
		      bool *eof)
{
	while (!*eof) {
		uint64_t t0 = net_now_ns();
		ssize_t n = recv(al->fd, buf, srv_recv_size(s, IO_CHUNK), MSG_DONTWAIT);
		if (n > 0) {
			srv_al_recv(al, t0, (size_t)n);
			int rc = srv_conn_data(c, buf, (size_t)n);
			if (rc < 0)
				return rc;
			continue;
		}
		if (n == 0) {
			*eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : -errno;
	}
	return 0;
}

/* Write out what the handler produced, and keep asking while it wants to. */
static int flush(struct srv *s, struct srv_alconn *al, struct srv_conn *c, uint8_t *buf,
		 bool *eof)
{
	int fd = al->fd;
	for (;;) {
		int rc = hold(s, c);
		if (rc < 0)
			return rc;
		size_t n = net_buf_pending(&c->out);
		if (n) {
			uint64_t t0 = net_now_ns();
			rc = net_write_all(fd, net_buf_head(&c->out), n, s->stop_rd);
			if (rc < 0)
				return rc;
			srv_al_send(al, t0, n);
			count(&s->ctr->bytes_out, n);
			net_buf_reset(&c->out);
		}
		if (!c->want_more || c->close_after)
			return 0;
		if ((rc = poll_input(s, al, c, buf, eof)) < 0)
			return rc;
		if ((rc = srv_conn_more(c)) < 0)
			return rc;
	}
}

size_t srv_recv_size(const struct srv *s, size_t dflt)
{
	return s->cfg.recv_size ? s->cfg.recv_size : dflt;
}

int srv_read_delay(struct srv *s, struct srv_alconn *al)
{
	uint64_t end = net_now_ns() + s->cfg.read_delay_ns, step = s->cfg.sample_ns;
	for (;;) {
		srv_al_sample(al);
		uint64_t now = net_now_ns();
		if (now >= end)
			return 0;
		uint64_t left = end - now;
		if (srv_al_sampling(al) && step < left)
			left = step;
		/* poll() counts milliseconds: sleep the sub-millisecond rest. */
		if (left < 1000000) {
			net_sleep_ns(left);
			continue;
		}
		if (net_wait(s->stop_rd, POLLIN, -1, (int)(left / 1000000)) != 0)
			return -ECANCELED;
	}
}

void srv_serve_stream(struct srv *s, int fd, const struct net_addr *peer)
{
	uint8_t stackbuf[IO_CHUNK];
	size_t rsz = srv_recv_size(s, IO_CHUNK);
	uint8_t *buf = rsz <= IO_CHUNK ? stackbuf : malloc(rsz);
	struct srv_alconn al;
	struct srv_conn c;
	bool eof = false;
	int rc = buf ? 0 : -ENOMEM;

	srv_al_begin(&al, s->applog, fd, peer);
	if (rc == 0 && (rc = net_set_nonblock(fd, true)) == 0 &&
	    (rc = srv_conn_begin(&c, s, peer)) == 0) {
		rc = flush(s, &al, &c, buf, &eof);
		if (rc == 0 && s->cfg.read_delay_ns)
			rc = srv_read_delay(s, &al);
		while (rc == 0 && !c.close_after && !eof) {
			/* A peer that never pauses never lets recv() say EAGAIN,
			 * so look for shutdown on every read. Forked children
			 * need not: the parent kills them after a grace period. */
			if (!s->in_child && srv_stopping(s)) {
				rc = -ECANCELED;
				break;
			}
			srv_al_sample(&al);
			uint64_t t0 = net_now_ns();
			ssize_t n = recv(fd, buf, rsz, 0);
			if (n > 0) {
				srv_al_recv(&al, t0, (size_t)n);
				if ((rc = srv_conn_data(&c, buf, (size_t)n)) == 0)
					rc = flush(s, &al, &c, buf, &eof);
			} else if (n == 0) {
				break;
			} else if (errno == EAGAIN) {
				int w = net_wait(fd, POLLIN, s->stop_rd, -1);
				if (w < 0)
					rc = w;
			} else if (errno != EINTR) {
				rc = -errno;
			}
		}
		srv_conn_end(&c);
	}
	srv_al_end(&al);
	if (buf != stackbuf)
		free(buf);
	/* After the peer's FIN a failed write means it has now closed its
	 * reading side too: the normal end of a source, not an error. */
	if (rc != -ESHUTDOWN && !(eof && (rc == -EPIPE || rc == -ECONNRESET)))
		srv_count_err(s, rc);
	srv_release(s, fd);
}

/* ---------------------------------------------------------------- datagrams */

/* Keep the larger of the socket's counter and what we saw: values come
 * from several threads (Unix datagram workers share one socket) and the
 * counter only grows (it is 32 bits in the kernel; wrapping is ignored). */
static void note_drops(struct srv *s, int fd, uint64_t v)
{
	unsigned i = 0;
	while (i < s->nsock && s->socks[i] != fd)
		i++;
	if (i == s->nsock)
		return;
	atomic_uint_fast64_t *slot = &s->ctr->rxq_ovfl[i];
	uint64_t cur = atomic_load(slot);
	while (v > cur && !atomic_compare_exchange_weak(slot, &cur, v))
		;
}

/* The SO_RXQ_OVFL cmsg, there only once the socket has dropped something. */
static void take_drops(struct srv *s, int fd, const struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR((struct msghdr *)mh); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
			uint32_t v;
			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			note_drops(s, fd, v);
		}
	}
}

bool srv_dgram_account(struct srv *s, int fd, const struct msghdr *mh)
{
	take_drops(s, fd, mh);
	if (mh->msg_flags & MSG_TRUNC) {
		count(&s->ctr->truncated, 1);
		srv_count_err(s, -EMSGSIZE);
		return false;
	}
	count(&s->ctr->dgrams, 1);
	return true;
}

size_t srv_dgram_cap(const struct srv *s)
{
	size_t m = s->cfg.handler.framing.max_msg;
	return m && m < SRV_DGRAM_MAX ? m : SRV_DGRAM_MAX;
}

/*
 * After the model stopped: what is still queued was neither dropped nor
 * read. Count it (peeking at the length only) so the datagrams add up,
 * and take the sockets' final drop counters: SO_RXQ_OVFL rides only on a
 * datagram read, so drops after the last read are seen here, through the
 * queued datagrams or SO_MEMINFO (the same sk_drops counter). A peer
 * still flooding would keep the queue full forever: 100 ms at most.
 */
static void drain_unread(struct srv *s)
{
	uint64_t until = net_now_ns() + 100000000u;
	for (unsigned i = 0; i < s->nsock; i++) {
		int fd = s->socks[i];
		while (net_now_ns() < until) {
			uint8_t b;
			union {
				char buf[SRV_DGRAM_CMSG];
				struct cmsghdr align;
			} ctl;
			struct iovec iov = {&b, 1};
			struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
					    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
			ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			count(&s->ctr->unread, 1);
			take_drops(s, fd, &mh);
		}
		uint32_t drops;
		if (net_sock_drops(fd, &drops) == 0)
			note_drops(s, fd, drops);
	}
}

ssize_t srv_recv_dgram(struct srv *s, int fd, uint8_t *buf, size_t cap,
		       struct net_addr *peer)
{
	if (cap > srv_dgram_cap(s))
		cap = srv_dgram_cap(s);
	for (;;) {
		/* A socket that always has a datagram queued never reaches
		 * the wait below, so look for shutdown before each one. */
		if (srv_stopping(s))
			return -ECANCELED;
		/* An unbound Unix sender leaves the name empty. */
		memset(peer, 0, sizeof(*peer));
		struct iovec iov = {buf, cap};
		union {
			char buf[SRV_DGRAM_CMSG];
			struct cmsghdr align;
		} ctl;
		struct msghdr mh = {
			.msg_name = &peer->ss, .msg_namelen = sizeof(peer->ss),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n >= 0) {
			peer->len = mh.msg_namelen;
			if (!srv_dgram_account(s, fd, &mh))
				return -EAGAIN;
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			srv_count_err(s, -errno);
			return -EAGAIN;
		}
		int w = net_wait(fd, POLLIN, s->stop_rd, -1);
		if (w < 0)
			return w;
	}
}

int srv_dgram_request(struct srv *s, struct srv_conn *c, const uint8_t *in, size_t n,
		      const struct net_addr *peer)
{
	int rc;
	if (!verify_request(s, peer)) {
		count(&s->ctr->refused, 1);
		return 0;
	}
	if ((rc = srv_conn_begin(c, s, peer)) < 0) {
		srv_count_err(s, rc);
		return 0;
	}
	rc = srv_conn_data(c, in, n);
	if (rc == 0)
		rc = hold(s, c);
	if (rc < 0 || !c->reply) {
		srv_count_err(s, rc);
		srv_conn_end(c);
		return 0;
	}
	return 1;
}

void srv_send_dgram(struct srv *s, int fd, const struct srv_conn *c)
{
	size_t n = net_buf_pending(&c->out);
	if (net_addr_family(&c->peer) == AF_UNIX &&
	    c->peer.len <= offsetof(struct sockaddr_un, sun_path)) {
		/* An unbound Unix datagram client has no address to answer. */
		srv_count_err(s, -EDESTADDRREQ);
		return;
	}
	for (;;) {
		ssize_t w = sendto(fd, net_buf_head(&c->out), n, MSG_NOSIGNAL,
				   (const struct sockaddr *)&c->peer.ss, c->peer.len);
		if (w >= 0) {
			count(&s->ctr->bytes_out, (uint64_t)w);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN &&
		    net_wait(fd, POLLOUT, s->stop_rd, s->cfg.poll_interval_ms) == 1)
			continue;
		srv_count_err(s, -errno);
		return;
	}
}

int srv_dgram_serve_one(struct srv *s, int fd, uint8_t *buf, size_t cap)
{
	struct net_addr peer;
	struct srv_conn c;
	ssize_t n = srv_recv_dgram(s, fd, buf, cap, &peer);
	if (n == -ECANCELED)
		return -ECANCELED;
	if (n < 0)
		return 0;
	if (srv_dgram_request(s, &c, buf, (size_t)n, &peer)) {
		srv_send_dgram(s, fd, &c);
		srv_conn_end(&c);
	}
	return 0;
}

/* ---------------------------------------------------------------- children */

pid_t srv_fork(struct srv *s)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		int w = atomic_exchange(&s->stop_wr, -1);
		/* Our copy of the write end would keep the pipe from hanging up. */
		if (w >= 0)
			close(w);
		s->in_child = true;
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		s->nkids = 0;
		if (getppid() != parent)   /* the parent died before prctl */
			_exit(0);
		return 0;
	}
	if (pid > 0) {
		if (s->nkids == s->capkids) {
			size_t cap = s->capkids ? s->capkids * 2 : 16;
			pid_t *k = realloc(s->kids, cap * sizeof(*k));
			if (!k) {
				/* Still reaped by srv_reap through waitpid(-1). */
				return pid;
			}
			s->kids = k;
			s->capkids = cap;
		}
		s->kids[s->nkids++] = pid;
	}
	return pid;
}

static void forget_kid(struct srv *s, pid_t pid)
{
	for (size_t i = 0; i < s->nkids; i++) {
		if (s->kids[i] == pid) {
			s->kids[i] = s->kids[--s->nkids];
			return;
		}
	}
}

unsigned srv_reap(struct srv *s)
{
	unsigned n = 0;
	pid_t pid;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		forget_kid(s, pid);
		n++;
	}
	return n;
}

unsigned srv_children(const struct srv *s)
{
	return (unsigned)s->nkids;
}

void srv_wait_children(struct srv *s, int grace_ms)
{
	uint64_t deadline = net_now_ns() + (uint64_t)grace_ms * 1000000u;
	while (s->nkids > 0 && net_now_ns() < deadline) {
		if (srv_reap(s) == 0)
			net_sleep_ns(2000000);
	}
	for (size_t i = 0; i < s->nkids; i++)
		kill(s->kids[i], SIGKILL);
	while (s->nkids > 0) {
		pid_t pid = waitpid(-1, NULL, 0);
		if (pid < 0)
			break;
		forget_kid(s, pid);
	}
	s->nkids = 0;
}
