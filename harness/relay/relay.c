/*
 * harness/relay/relay.c — the relay's event loop: one net_poller for the
 * listening socket, every UDP flow and every TCP connection pair, and its
 * timer heap for delayed datagrams, held-back (reordered) datagrams and
 * TCP per-chunk holds. The decisions come from relay_decide.c.
 *
 * UDP: a flow per client address, with its own upstream socket connected
 * to the target, its own deciders and rate queues (one per direction).
 * TCP: each accepted connection gets a non-blocking upstream connect; bytes
 * go both ways through a net_buf per direction, and a side stops being read
 * while the buffer towards its peer is above RLY_HWM (backpressure). With
 * --rate a token bucket per impaired direction meters the writes (20 ms
 * of burst); the buffer fills, reading stops, and the sender's socket
 * blocks: the rate reaches the sender as TCP flow control.
 * Client->server bytes are written in the chunker's sizes with TCP_NODELAY
 * so the cuts reach the wire: the cut positions in the stream are the
 * running sums of the chunk sequence, whatever the read timing.
 */
#include "harness/relay/relay.h"

#include "util/buf.h"
#include "net/clock.h"
#include "net/poller.h"
#include "net/sock.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RLY_MAX_FLOWS 4096
#define RLY_HOLD_MAX_NS 50000000ull /* a reordered datagram waits at most 50 ms */

enum { EP_LISTEN = 1, EP_FLOW, EP_SIDE };
enum { TM_PKT = 1, TM_CONN, TM_CONN_CLI, TM_ACCEPT };
enum { C2S = 0, S2C = 1 };
enum { CLI = 0, UP = 1 };          /* TCP sides */

/* A timer that knows its owner: net_timer first, so the heap's pointer
 * converts back. */
struct rly_tmr {
	struct net_timer t;
	int kind;
	void *obj;
};

struct flow;

struct pkt {
	struct rly_tmr tm;
	struct pkt *prev, *next;   /* the relay's pending list */
	struct flow *f;
	int dir;
	bool held;
	size_t len;
	uint8_t data[];
};

struct flow {
	int kind;                  /* EP_FLOW */
	int fd;                    /* connected to the target */
	struct net_addr client;
	struct rly_decider dec[2];
	struct rly_rate rate[2];
	struct pkt *held[2];
};

struct conn;

/* TCP --delay: a delay line on the byte stream. A mark says that the bytes
 * before stream offset end (counted as appended to the buffer) may leave
 * at due; marks are in order of both. */
struct mark {
	uint64_t end, due;
};

struct dline {
	struct mark *v;
	size_t head, n, cap;       /* a ring */
	uint64_t appended, released;
};

#define DLINE_MERGE_NS 1000000ull  /* reads within 1 ms share a mark */

/* Bytes [appended, appended + n) arrived and may leave at due. 0 or -ENOMEM. */
static int dline_push(struct dline *d, size_t n, uint64_t due)
{
	d->appended += n;
	if (d->n) {
		struct mark *last = &d->v[(d->head + d->n - 1) % d->cap];
		if (due < last->due)
			due = last->due;          /* a stream keeps its order */
		if (due - last->due < DLINE_MERGE_NS) {
			last->end = d->appended;  /* the earlier bytes wait < 1 ms more */
			last->due = due;
			return 0;
		}
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct mark *v = malloc(cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (size_t k = 0; k < d->n; k++)
			v[k] = d->v[(d->head + k) % d->cap];
		free(d->v);
		d->v = v;
		d->head = 0;
		d->cap = cap;
	}
	d->v[(d->head + d->n++) % d->cap] = (struct mark){d->appended, due};
	return 0;
}

/* Release the marks due by now; the first still pending (due), or 0. */
static uint64_t dline_release(struct dline *d, uint64_t now)
{
	while (d->n && d->v[d->head].due <= now) {
		d->released = d->v[d->head].end;
		d->head = (d->head + 1) % d->cap;
		d->n--;
	}
	return d->n ? d->v[d->head].due : 0;
}

struct side {
	int kind;                  /* EP_SIDE */
	struct conn *c;
	int fd;
	uint32_t mask;
	bool polled, rd_eof, wr_shut;
};

struct conn {
	struct side s[2];
	struct net_buf out[2];     /* bytes to write to side i */
	struct rly_chunker ch;
	struct rly_decider dec[2]; /* --delay jitter, per side written to */
	struct rly_tmr hold;       /* writes to UP wait: delay, stall, rate */
	struct rly_tmr wait_cli;   /* writes to CLI wait: delay, rate (with --both) */
	struct rly_bucket bucket[2]; /* --rate, per side written to */
	bool paced[2];
	struct dline dl[2];        /* --delay, per side written to */
	bool delayed[2];
	uint64_t wrote[2];         /* bytes written to side i */
	size_t chunk_left;
	uint64_t sent_up;
	bool connecting, dead;
	struct conn *prev, *next;
};

struct rly_relay {
	struct rly_config cfg;
	struct net_poller p;
	int listen_kind;           /* EP_LISTEN: the listening fd's epoll tag */
	int lfd;
	/* Out of descriptors: the listening socket leaves the poll set
	 * until this fires, so the loop neither spins nor sleeps. */
	struct rly_tmr accept_pause;
	struct net_addr addr;
	volatile sig_atomic_t stopping;
	struct rly_counters c;
	struct rly_counters snap;  /* rly_counters(): c plus what is still open */
	struct flow **flows;
	size_t nflows;
	struct pkt *pending;
	struct conn *conns, *dead;
	uint64_t nconn;
	uint8_t buf[RLY_READ];
};

static bool impaired(const struct rly_relay *r, int dir)
{
	return dir == C2S || r->cfg.both;
}

/* ---- UDP ---- */

static void dgram_send(struct rly_relay *r, struct flow *f, int dir, const uint8_t *d, size_t n)
{
	ssize_t w;
	if (dir == C2S)
		w = send(f->fd, d, n, MSG_NOSIGNAL);
	else
		w = sendto(r->lfd, d, n, MSG_NOSIGNAL, (const struct sockaddr *)&f->client.ss,
			   f->client.len);
	if (w < 0) {
		r->c.send_errors++;
		(dir == C2S ? &r->c.c2s : &r->c.s2c)->send_failed++;
	}
}

static void pkt_unlink(struct rly_relay *r, struct pkt *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		r->pending = k->next;
	if (k->next)
		k->next->prev = k->prev;
}

/* A copy of d that goes out at when (held: until the next datagram). */
static int pkt_new(struct rly_relay *r, struct flow *f, int dir, const uint8_t *d, size_t n,
		   uint64_t when, bool held, struct pkt **out)
{
	struct pkt *k = malloc(sizeof(*k) + n);
	if (!k)
		return -ENOMEM;
	memset(k, 0, sizeof(*k));
	k->tm.kind = TM_PKT;
	k->tm.obj = k;
	k->f = f;
	k->dir = dir;
	k->held = held;
	k->len = n;
	memcpy(k->data, d, n);
	if (net_timer_arm(&r->p, &k->tm.t, when) < 0) {
		free(k);
		return -ENOMEM;
	}
	k->next = r->pending;
	if (k->next)
		k->next->prev = k;
	r->pending = k;
	if (out)
		*out = k;
	return 0;
}

static void pkt_fire(struct rly_relay *r, struct pkt *k)
{
	if (k->held)
		k->f->held[k->dir] = NULL;
	dgram_send(r, k->f, k->dir, k->data, k->len);
	pkt_unlink(r, k);
	free(k);
}

/* Send at when: now if due, else through the timer heap. */
static void emit(struct rly_relay *r, struct flow *f, int dir, const uint8_t *d, size_t n,
		 uint64_t now, uint64_t when)
{
	if (when <= now || pkt_new(r, f, dir, d, n, when, false, NULL) < 0)
		dgram_send(r, f, dir, d, n);
}

/* One datagram in direction dir: decide, then send, schedule or drop. */
static void dgram_in(struct rly_relay *r, struct flow *f, int dir, const uint8_t *d, size_t n)
{
	struct rly_dgram_counters *dc = dir == C2S ? &r->c.c2s : &r->c.s2c;
	struct rly_verdict v;
	uint64_t now = net_now_ns(), depart;

	dc->received++;
	if (!impaired(r, dir)) {
		dc->forwarded++;
		dgram_send(r, f, dir, d, n);
		return;
	}
	rly_decide(&f->dec[dir], &v);
	if (v.drop) {
		dc->dropped++;
		return;
	}
	if (rly_rate_admit(&f->rate[dir], now, n, &depart) < 0) {
		dc->rate_dropped++;
		return;
	}
	dc->forwarded++;
	uint64_t when = depart + v.delay_ns;
	if (when > now)
		dc->delayed++;
	if (v.dup) {
		dc->duplicated++;
		emit(r, f, dir, d, n, now, when);
	}
	struct pkt *held = f->held[dir];
	if (v.reorder && !held &&
	    pkt_new(r, f, dir, d, n, when + RLY_HOLD_MAX_NS, true, &f->held[dir]) == 0)
		return;
	emit(r, f, dir, d, n, now, when);
	if (held) {
		/* The held one goes right after this one. */
		dc->reordered++;
		net_timer_cancel(&r->p, &held->tm.t);
		if (when <= now || net_timer_arm(&r->p, &held->tm.t, when + 1) < 0)
			pkt_fire(r, held);
		else {
			held->held = false;
			f->held[dir] = NULL;
		}
	}
}

static struct flow *flow_find(struct rly_relay *r, const struct net_addr *a)
{
	for (size_t i = 0; i < r->nflows; i++) {
		struct flow *f = r->flows[i];
		if (f->client.len == a->len && memcmp(&f->client.ss, &a->ss, a->len) == 0)
			return f;
	}
	if (r->nflows == RLY_MAX_FLOWS) {
		r->c.flows_refused++;
		return NULL;
	}
	struct flow *f = calloc(1, sizeof(*f));
	struct flow **nf = realloc(r->flows, (r->nflows + 1) * sizeof(*nf));
	if (!f || !nf) {
		free(f);
		if (nf)
			r->flows = nf;
		r->c.flows_refused++;
		return NULL;
	}
	r->flows = nf;
	f->kind = EP_FLOW;
	f->client = *a;
	f->fd = socket(r->cfg.to.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0 ||
	    connect(f->fd, (const struct sockaddr *)&r->cfg.to.ss, r->cfg.to.len) < 0 ||
	    net_poller_add(&r->p, f->fd, EPOLLIN, f) < 0) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		r->c.flows_refused++;
		return NULL;
	}
	uint64_t id = r->nflows;
	for (int d = 0; d < 2; d++) {
		rly_decider_init(&f->dec[d], &r->cfg.imp, r->cfg.seed, id * 2 + (uint64_t)d);
		rly_rate_init(&f->rate[d], r->cfg.imp.rate_bps, r->cfg.imp.queue_bytes);
	}
	r->flows[r->nflows++] = f;
	r->c.flows++;
	return f;
}

/* Up to 64 client datagrams. false once the queue is empty (or failing). */
static bool udp_listen_ready(struct rly_relay *r)
{
	for (int i = 0; i < 64; i++) {
		struct net_addr a;
		a.len = sizeof(a.ss);
		ssize_t n = recvfrom(r->lfd, r->buf, sizeof(r->buf), 0, (struct sockaddr *)&a.ss, &a.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		struct flow *f = flow_find(r, &a);
		if (f)
			dgram_in(r, f, C2S, r->buf, (size_t)n);
	}
	return true;
}

/*
 * The relay is stopping: relay what clients sent that is still queued
 * (else it would be neither forwarded nor dropped), then take the
 * socket's drop counter, final now that nothing more is read. A client
 * still flooding would keep the queue full: 100 ms at most.
 */
static void udp_drain(struct rly_relay *r)
{
	uint64_t until = net_now_ns() + 100000000u;
	while (udp_listen_ready(r) && net_now_ns() < until)
		;
	uint32_t drops;
	if (net_sock_drops(r->lfd, &drops) == 0)
		r->c.rcvbuf_dropped = drops;
}

static void udp_flow_ready(struct rly_relay *r, struct flow *f)
{
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(f->fd, r->buf, sizeof(r->buf), 0);
		if (n < 0)
			return;   /* EAGAIN, or ECONNREFUSED from a closed target */
		dgram_in(r, f, S2C, r->buf, (size_t)n);
	}
}

/* ---- TCP ---- */

static void conn_kill(struct rly_relay *r, struct conn *c, bool rst)
{
	if (c->dead)
		return;
	c->dead = true;
	net_timer_cancel(&r->p, &c->hold.t);
	net_timer_cancel(&r->p, &c->wait_cli.t);
	for (int i = 0; i < 2; i++) {
		if (c->s[i].fd < 0)
			continue;
		if (c->s[i].polled)
			net_poller_del(&r->p, c->s[i].fd);
		if (rst) {
			/* SO_LINGER 0: close() sends RST instead of FIN. */
			struct linger l = {1, 0};
			if (setsockopt(c->s[i].fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0)
				r->c.send_errors++;
		}
		close(c->s[i].fd);
		c->s[i].fd = -1;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = r->dead;
	r->dead = c;
}

/* The timer that holds back writes to side i. */
static struct rly_tmr *wait_of(struct conn *c, int i)
{
	return i == UP ? &c->hold : &c->wait_cli;
}

static void conn_update(struct rly_relay *r, struct conn *c)
{
	if (c->dead)
		return;
	if (c->s[CLI].rd_eof && c->s[UP].rd_eof && c->s[CLI].wr_shut && c->s[UP].wr_shut) {
		conn_kill(r, c, false);
		return;
	}
	for (int i = 0; i < 2; i++) {
		struct side *s = &c->s[i];
		uint32_t m = 0;
		if (i == UP && c->connecting) {
			m = EPOLLOUT;
		} else {
			if (!s->rd_eof && net_buf_pending(&c->out[!i]) < RLY_HWM)
				m |= EPOLLIN;
			if (net_buf_pending(&c->out[i]) && !net_timer_armed(&wait_of(c, i)->t))
				m |= EPOLLOUT;
		}
		if (s->rd_eof && s->wr_shut) {
			/* Both ways shut: EPOLLHUP would fire for ever. */
			if (s->polled && net_poller_del(&r->p, s->fd) == 0)
				s->polled = false;
			continue;
		}
		if (m != s->mask && net_poller_mod(&r->p, s->fd, m, s) == 0)
			s->mask = m;
	}
}

/* Write what side i is owed: client->server in chunks, stopping at a hold
 * and at --reset-after. Returns 0, or -1 when the connection died. */
static int conn_write(struct rly_relay *r, struct conn *c, int i)
{
	struct net_buf *b = &c->out[i];
	const struct rly_config *cfg = &r->cfg;

	if (i == UP && c->connecting)
		return 0;
	while (net_buf_pending(b)) {
		size_t n = net_buf_pending(b), took = 0;
		if (net_timer_armed(&wait_of(c, i)->t))
			return 0;
		if (i == UP) {
			if (cfg->chunk.kind != RLY_CHUNK_NONE) {
				if (c->chunk_left == 0)
					c->chunk_left = rly_chunk_next(&c->ch);
				if (n > c->chunk_left)
					n = c->chunk_left;
			}
			if (cfg->reset_after && n > cfg->reset_after - c->sent_up)
				n = (size_t)(cfg->reset_after - c->sent_up);
			if (cfg->stall_at && c->sent_up < cfg->stall_at &&
			    n > cfg->stall_at - c->sent_up)
				n = (size_t)(cfg->stall_at - c->sent_up);
		}
		if (c->delayed[i]) {
			/* Only what has been in the line for its delay. */
			uint64_t next = dline_release(&c->dl[i], net_now_ns());
			uint64_t avail = c->dl[i].released - c->wrote[i];
			if (avail == 0) {
				if (next && net_timer_arm(&r->p, &wait_of(c, i)->t, next) == 0) {
					r->c.holds++;
					return 0;
				}
				avail = n;   /* out of memory for the timer: undelayed */
			}
			if (n > avail)
				n = (size_t)avail;
		}
		if (c->paced[i]) {
			uint64_t now = net_now_ns();
			took = rly_bucket_take(&c->bucket[i], now, n);
			if (took == 0) {
				if (net_timer_arm(&r->p, &wait_of(c, i)->t,
						  rly_bucket_ready(&c->bucket[i], now, n)) == 0) {
					r->c.rate_waits++;
					return 0;
				}
				took = n;   /* out of memory for the timer: unpaced */
			}
			n = took;
		}
		ssize_t w = send(c->s[i].fd, net_buf_head(b), n, MSG_NOSIGNAL);
		if (c->paced[i])   /* what was taken and not written goes back */
			c->bucket[i].tokens += (double)(took - (w > 0 ? (size_t)w : 0));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			conn_kill(r, c, true);
			return -1;
		}
		net_buf_consume(b, (size_t)w);
		c->wrote[i] += (uint64_t)w;
		if (i == CLI) {
			r->c.bytes_s2c += (uint64_t)w;
			continue;
		}
		r->c.bytes_c2s += (uint64_t)w;
		r->c.chunks++;
		c->sent_up += (uint64_t)w;
		if (cfg->reset_after && c->sent_up >= cfg->reset_after) {
			r->c.resets++;
			conn_kill(r, c, true);
			return -1;
		}
		if (cfg->chunk.kind != RLY_CHUNK_NONE)
			c->chunk_left -= (size_t)w;
		if (cfg->stall_at && c->sent_up == cfg->stall_at &&
		    net_timer_arm(&r->p, &c->hold.t, net_now_ns() + cfg->stall_ns) == 0)
			r->c.stalls++;
	}
	/* Everything the peer sent before its FIN is through: pass the FIN on. */
	if (c->s[!i].rd_eof && !c->s[i].wr_shut) {
		if (shutdown(c->s[i].fd, SHUT_WR) < 0) {
			conn_kill(r, c, true);
			return -1;
		}
		c->s[i].wr_shut = true;
	}
	return 0;
}

/* Read side i into the buffer towards its peer. 0, or -1 when it died. */
static int conn_read(struct rly_relay *r, struct conn *c, int i)
{
	struct net_buf *b = &c->out[!i];
	for (int k = 0; k < 16 && net_buf_pending(b) < RLY_HWM; k++) {
		ssize_t n = recv(c->s[i].fd, r->buf, sizeof(r->buf), 0);
		if (n > 0) {
			if (net_buf_append(b, r->buf, (size_t)n) < 0) {
				conn_kill(r, c, true);
				return -1;
			}
			if (net_buf_pending(b) > r->c.buf_peak)
				r->c.buf_peak = net_buf_pending(b);
			if (c->delayed[!i]) {
				struct rly_verdict v;
				rly_decide(&c->dec[!i], &v);
				if (dline_push(&c->dl[!i], (size_t)n, net_now_ns() + v.delay_ns) < 0) {
					conn_kill(r, c, true);
					return -1;
				}
			}
			continue;
		}
		if (n == 0) {
			c->s[i].rd_eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		/* A reset on one side is passed on as a reset. */
		conn_kill(r, c, true);
		return -1;
	}
	return conn_write(r, c, !i);
}

static void side_event(struct rly_relay *r, struct side *s, uint32_t events)
{
	struct conn *c = s->c;
	int i = (int)(s - c->s);

	if (c->dead)
		return;
	if (i == UP && c->connecting) {
		int e = 0;
		socklen_t l = sizeof(e);
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e) {
			r->c.upstream_failed++;
			conn_kill(r, c, true);
			return;
		}
		c->connecting = false;
		if (conn_write(r, c, UP) < 0)
			return;
		conn_update(r, c);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !s->rd_eof) {
		if (conn_read(r, c, i) < 0)
			return;
	} else if (events & EPOLLERR) {
		conn_kill(r, c, true);
		return;
	}
	if ((events & EPOLLOUT) && conn_write(r, c, i) < 0)
		return;
	conn_update(r, c);
}

static void conn_open(struct rly_relay *r, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	int up = -1;
	if (!c)
		goto fail;
	up = socket(r->cfg.to.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (up < 0 || net_set_nodelay(up, true) < 0 || net_set_nodelay(fd, true) < 0)
		goto fail;
	if (connect(up, (const struct sockaddr *)&r->cfg.to.ss, r->cfg.to.len) < 0 &&
	    errno != EINPROGRESS)
		goto fail;
	for (int i = 0; i < 2; i++) {
		c->s[i].kind = EP_SIDE;
		c->s[i].c = c;
	}
	c->s[CLI].fd = fd;
	c->s[UP].fd = up;
	/* Connected or not, EPOLLOUT reports it and SO_ERROR says how. */
	c->connecting = true;
	c->hold.kind = TM_CONN;
	c->hold.obj = c;
	c->wait_cli.kind = TM_CONN_CLI;
	c->wait_cli.obj = c;
	for (int i = 0; i < 2; i++) {
		/* Side UP receives client->server bytes. */
		c->paced[i] = r->cfg.imp.rate_bps && impaired(r, i == UP ? C2S : S2C);
		if (c->paced[i])
			rly_bucket_init(&c->bucket[i], r->cfg.imp.rate_bps, 0, net_now_ns());
	}
	rly_chunker_init(&c->ch, &r->cfg.chunk, r->cfg.seed, r->nconn);
	for (int i = 0; i < 2; i++) {
		rly_decider_init(&c->dec[i], &r->cfg.imp, r->cfg.seed,
				 ((uint64_t)(i + 1) << 32) | r->nconn);
		c->delayed[i] = (r->cfg.imp.delay_ns || r->cfg.imp.jitter_ns) &&
				impaired(r, i == UP ? C2S : S2C);
	}
	r->nconn++;
	if (net_poller_add(&r->p, fd, EPOLLIN, &c->s[CLI]) < 0)
		goto fail;
	c->s[CLI].polled = true;
	c->s[CLI].mask = EPOLLIN;
	if (net_poller_add(&r->p, up, EPOLLOUT, &c->s[UP]) < 0) {
		net_poller_del(&r->p, fd);
		goto fail;
	}
	c->s[UP].polled = true;
	c->s[UP].mask = EPOLLOUT;
	c->next = r->conns;
	if (c->next)
		c->next->prev = c;
	r->conns = c;
	r->c.conns++;
	return;
fail:
	r->c.upstream_failed++;
	if (up >= 0)
		close(up);
	close(fd);
	free(c);
}

static void tcp_accept(struct rly_relay *r)
{
	for (int k = 0; k < 64; k++) {
		int fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			r->accept_pause.kind = TM_ACCEPT;
			if (net_poller_del(&r->p, r->lfd) == 0 &&
			    net_timer_arm(&r->p, &r->accept_pause.t, net_now_ns() + 10000000) < 0)
				net_poller_add(&r->p, r->lfd, EPOLLIN, &r->listen_kind);
		}
		if (fd < 0)
			return;
		conn_open(r, fd);
	}
}

#define HASH_MASK ((1ull << 53) - 1)

static void tally_dec(struct rly_counters *t, const struct rly_decider *d)
{
	t->decisions += d->n;
	t->decision_hash = (t->decision_hash + rly_hash_digest(d->stream, d->n, d->hash)) & HASH_MASK;
}

/* A connection's decisions: its hold verdicts and its chunk sizes. */
static void tally_conn(struct rly_counters *t, const struct conn *c)
{
	tally_dec(t, &c->dec[0]);
	tally_dec(t, &c->dec[1]);
	t->decisions += c->ch.n;
	t->decision_hash = (t->decision_hash + rly_hash_digest(c->ch.stream, c->ch.n, c->ch.hash))
			   & HASH_MASK;
}

/* ---- the loop ---- */

int rly_open(struct rly_relay **out, const struct rly_config *cfg, char *err, size_t errlen)
{
	struct rly_relay *r = calloc(1, sizeof(*r));
	int rc;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->cfg = *cfg;
	r->lfd = -1;
	r->listen_kind = EP_LISTEN;
	if ((rc = net_poller_init(&r->p)) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(-rc));
		free(r);
		return rc;
	}
	struct net_listen_opts o = {.reuseaddr = true, .nonblock = true};
	if ((rc = net_listen(cfg->proto, &cfg->listen, &o, err, errlen)) < 0)
		goto fail;
	r->lfd = rc;
	if (cfg->rcvbuf > 0 && (rc = net_set_int(r->lfd, SOL_SOCKET, SO_RCVBUF, cfg->rcvbuf)) < 0) {
		snprintf(err, errlen, "SO_RCVBUF %d: %s", cfg->rcvbuf, strerror(-rc));
		goto fail;
	}
	if ((rc = net_local_addr(r->lfd, &r->addr)) < 0 ||
	    (rc = net_poller_add(&r->p, r->lfd, EPOLLIN, &r->listen_kind)) < 0) {
		snprintf(err, errlen, "listening socket: %s", strerror(-rc));
		goto fail;
	}
	*out = r;
	return 0;
fail:
	if (r->lfd >= 0)
		close(r->lfd);
	net_poller_close(&r->p);
	free(r);
	return rc;
}

const struct net_addr *rly_addr(const struct rly_relay *r)
{
	return &r->addr;
}

const struct rly_counters *rly_counters(struct rly_relay *r)
{
	/* Closed connections are in r->c already; add what is still open. */
	r->snap = r->c;
	for (size_t i = 0; i < r->nflows; i++)
		for (int d = 0; d < 2; d++)
			tally_dec(&r->snap, &r->flows[i]->dec[d]);
	for (const struct conn *c = r->conns; c; c = c->next)
		tally_conn(&r->snap, c);
	for (const struct conn *c = r->dead; c; c = c->next)
		tally_conn(&r->snap, c);
	return &r->snap;
}

void rly_shutdown(struct rly_relay *r)
{
	r->stopping = 1;
}

static void timers(struct rly_relay *r, uint64_t now)
{
	struct net_timer *t;
	while ((t = net_timer_expired(&r->p, now)) != NULL) {
		struct rly_tmr *tm = (struct rly_tmr *)t;
		if (tm->kind == TM_PKT) {
			pkt_fire(r, tm->obj);
		} else if (tm->kind == TM_ACCEPT) {
			if (net_poller_add(&r->p, r->lfd, EPOLLIN, &r->listen_kind) < 0)
				r->stopping = 1;   /* cannot accept any more */
		} else {
			struct conn *c = tm->obj;
			if (conn_write(r, c, tm->kind == TM_CONN ? UP : CLI) == 0)
				conn_update(r, c);
		}
	}
}

static void reap(struct rly_relay *r)
{
	while (r->dead) {
		struct conn *c = r->dead;
		r->dead = c->next;
		tally_conn(&r->c, c);
		net_buf_free(&c->out[0]);
		net_buf_free(&c->out[1]);
		free(c->dl[0].v);
		free(c->dl[1].v);
		free(c);
	}
}

int rly_run(struct rly_relay *r)
{
	struct epoll_event ev[64];
	while (!r->stopping) {
		/* Bounded wait: a signal between the check and epoll_wait is
		 * seen within 200 ms. */
		int n = net_poller_wait(&r->p, ev, 64, 200);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			int kind = *(int *)ev[i].data.ptr;
			if (kind == EP_LISTEN) {
				if (r->cfg.proto == NET_UDP)
					(void)udp_listen_ready(r);
				else
					tcp_accept(r);
			} else if (kind == EP_FLOW) {
				udp_flow_ready(r, ev[i].data.ptr);
			} else {
				side_event(r, ev[i].data.ptr, ev[i].events);
			}
		}
		timers(r, net_now_ns());
		reap(r);
	}
	if (r->cfg.proto == NET_UDP)
		udp_drain(r);
	/* What is still delayed goes out now, in release order. */
	struct net_timer *t;
	while ((t = net_timer_expired(&r->p, UINT64_MAX)) != NULL) {
		struct rly_tmr *tm = (struct rly_tmr *)t;
		if (tm->kind == TM_PKT)
			pkt_fire(r, tm->obj);
	}
	return 0;
}

static void dgram_json(const char *pre, const struct rly_dgram_counters *d, FILE *f)
{
	fprintf(f, "\"%sreceived\":%llu,\"%sforwarded\":%llu,\"%sdropped\":%llu,"
		"\"%sduplicated\":%llu,\"%sreordered\":%llu,\"%sdelayed\":%llu,"
		"\"%srate_dropped\":%llu,\"%ssend_failed\":%llu,",
		pre, (unsigned long long)d->received, pre, (unsigned long long)d->forwarded,
		pre, (unsigned long long)d->dropped, pre, (unsigned long long)d->duplicated,
		pre, (unsigned long long)d->reordered, pre, (unsigned long long)d->delayed,
		pre, (unsigned long long)d->rate_dropped, pre, (unsigned long long)d->send_failed);
}

void rly_counters_json(const struct rly_counters *c, const struct rly_config *cfg, FILE *f)
{
	fprintf(f, "{\"proto\":\"%s\",\"seed\":%llu,", net_proto_name(cfg->proto),
		(unsigned long long)cfg->seed);
	dgram_json("", &c->c2s, f);
	dgram_json("reply_", &c->s2c, f);
	if (cfg->proto == NET_UDP)
		fprintf(f, "\"rcvbuf_dropped\":%llu,", (unsigned long long)c->rcvbuf_dropped);
	fprintf(f, "\"send_errors\":%llu,\"flows\":%llu,\"flows_refused\":%llu,"
		"\"conns\":%llu,\"upstream_failed\":%llu,\"bytes_c2s\":%llu,"
		"\"bytes_s2c\":%llu,\"chunks\":%llu,\"holds\":%llu,\"stalls\":%llu,\"resets\":%llu,"
		"\"rate_waits\":%llu,\"buf_peak\":%llu,\"decisions\":%llu,\"decision_hash\":%llu}",
		(unsigned long long)c->send_errors, (unsigned long long)c->flows,
		(unsigned long long)c->flows_refused, (unsigned long long)c->conns,
		(unsigned long long)c->upstream_failed, (unsigned long long)c->bytes_c2s,
		(unsigned long long)c->bytes_s2c, (unsigned long long)c->chunks,
		(unsigned long long)c->holds, (unsigned long long)c->stalls,
		(unsigned long long)c->resets, (unsigned long long)c->rate_waits,
		(unsigned long long)c->buf_peak,
		(unsigned long long)c->decisions, (unsigned long long)c->decision_hash);
}

void rly_close(struct rly_relay *r)
{
	if (!r)
		return;
	while (r->conns)
		conn_kill(r, r->conns, false);
	reap(r);
	while (r->pending) {
		struct pkt *k = r->pending;
		pkt_unlink(r, k);
		free(k);
	}
	for (size_t i = 0; i < r->nflows; i++) {
		close(r->flows[i]->fd);
		free(r->flows[i]);
	}
	free(r->flows);
	if (r->lfd >= 0)
		close(r->lfd);
	net_poller_close(&r->p);
	free(r);
}
