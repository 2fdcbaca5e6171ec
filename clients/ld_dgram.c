/*
 * clients/ld_dgram.c — one simulated client on a datagram socket (UDP,
 * Unix datagram). Every datagram carries net/dgram.h's header; replies are
 * matched to their flow and sequence, verified, and accounted by the
 * tracker (lost, duplicated, reordered, late). Three ways to send:
 *   closed loop  one datagram, wait for its echo (or the timeout), think
 *   open loop    datagrams at their intended times (--rate), batched
 *   flood        as fast as the socket takes them (--flood), batched
 * Sending and receiving go through sendmmsg/recvmmsg, `batch` at a time.
 */
#include "clients/ld_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "net/sock.h"

static void send_one(struct ld_client *c, uint64_t now);

static unsigned batch(const struct ld_client *c)
{
	return c->w->cfg->batch ? c->w->cfg->batch : 32;
}

/* No more to send for this client: wait a while for replies in flight. */
static void drain(struct ld_client *c, uint64_t now)
{
	if (c->fd < 0 || c->trk.received >= c->dsent) {
		ld_done(c);
		return;
	}
	c->st = LD_ST_DRAIN;
	if (ld_want(c, EPOLLIN) < 0) {
		ld_done(c);
		return;
	}
	ld_arm(c, now + c->w->sh->drain_ns);
}

/* Send k datagrams, seq c->dsent...; returns how many went, or -1 when the
 * client failed. */
static int send_batch(struct ld_client *c, unsigned k, uint64_t now)
{
	struct ld_worker *w = c->w;
	const struct ld_config *cfg = w->cfg;
	for (unsigned i = 0; i < k; i++) {
		uint8_t *p = w->sbuf + (size_t)i * w->slot;
		size_t n = (size_t)pl_size_draw(&cfg->size, &c->rng, NET_DGRAM_HDR_LEN, w->slot);
		struct net_dgram_hdr h = {.flow = c->id, .seq = c->dsent + i, .send_ns = now};
		net_dgram_encode(p, &h);
		pl_fill(p + NET_DGRAM_HDR_LEN, n - NET_DGRAM_HDR_LEN, c->id, h.seq, -1);
		w->iov[i] = (struct iovec){.iov_base = p, .iov_len = n};
		memset(&w->msgs[i], 0, sizeof(w->msgs[i]));
		w->msgs[i].msg_hdr.msg_iov = &w->iov[i];
		w->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	int m = sendmmsg(c->fd, w->msgs, k, 0);
	/* The k were claimed under --requests; give back what did not go. */
	ld_unclaim(c, m < 0 ? k : k - (unsigned)m);
	if (m < 0) {
		/* A full socket buffer (Unix datagram peers apply back-pressure,
		 * UDP says ENOBUFS) is not an error: try again later. */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
			w->udp.refused++;
			return 0;
		}
		if (errno == EINTR)
			return 0;
		ld_fail(c, ld_errno_kind(errno), now);
		return -1;
	}
	for (int i = 0; i < m; i++) {
		ld_log(c, LD_EV_SEND, c->sent_off, w->iov[i].iov_len, now);
		c->sent_off += w->iov[i].iov_len;
		w->bytes_sent += w->iov[i].iov_len;
	}
	c->dsent += (unsigned)m;
	w->requests += (unsigned)m;
	if (m)
		w->last_ns = now;
	return m;
}

/* Open loop: send what is due, then sleep until the next one is. */
static void tick(struct ld_client *c, uint64_t now)
{
	uint64_t end = c->w->sh->end_ns;
	unsigned due = 0, b = batch(c);
	if (pace_at(&c->pace, c->dsent) >= end) {
		drain(c, now);
		return;
	}
	while (due < b) {
		uint64_t t = pace_at(&c->pace, c->dsent + due);
		if (t > now || t >= end)
			break;
		due++;
	}
	int m = 0;
	if (due) {
		unsigned k = ld_claim(c, due);
		if (k == 0) {
			drain(c, now);
			return;
		}
		if ((m = send_batch(c, k, now)) < 0)
			return;
	}
	c->st = LD_ST_IDLE;
	uint64_t next = pace_at(&c->pace, c->dsent);
	if (due && m == 0)
		next = now + 1000000;    /* the socket was full; look again in 1 ms */
	ld_arm(c, next > now ? next : now);
}

static void flood(struct ld_client *c, uint64_t now)
{
	unsigned k = ld_claim(c, batch(c));
	if (k == 0) {
		drain(c, now);
		return;
	}
	send_batch(c, k, now);
}

static void send_one(struct ld_client *c, uint64_t now)
{
	if (ld_claim(c, 1) == 0) {
		ld_done(c);
		return;
	}
	int m = send_batch(c, 1, now);
	if (m < 0)
		return;
	if (m == 0) {
		c->st = LD_ST_IDLE;
		ld_arm(c, now + 1000000);
		return;
	}
	c->wait_seq = c->dsent - 1;
	c->t0 = now;
	c->st = LD_ST_BUSY;
	ld_arm(c, now + c->w->sh->timeout_ns);
}

/* Closed loop: the reply is in (or timed out); think, then the next. */
static void closed_next(struct ld_client *c, uint64_t now)
{
	uint64_t think = c->w->cfg->think_ns;
	net_timer_cancel(&c->w->poller, &c->timer);
	if (c->w->stopping) {
		ld_done(c);
		return;
	}
	if (think) {
		c->st = LD_ST_IDLE;
		ld_arm(c, now + think);
	} else {
		send_one(c, now);
	}
}

static void do_connect(struct ld_client *c, uint64_t now)
{
	struct ld_worker *w = c->w;
	const struct ld_config *cfg = w->cfg;
	if (w->stopping) {
		ld_done(c);
		return;
	}
	int rc = ld_connect(c, SOCK_DGRAM);
	if (rc < 0) {
		ld_fail(c, ld_errno_kind(-rc), now);
		return;
	}
	w->connects++;
	if (w->cap && net_addr_family(&cfg->target) != AF_UNIX) {
		struct net_addr a;
		if (net_local_addr(c->fd, &a) == 0)
			c->lport = (uint16_t)net_addr_port(&a);
	}
	ld_log(c, LD_EV_CONNECT, 0, 0, now);
	if (ld_want(c, cfg->flood ? EPOLLIN | EPOLLOUT : EPOLLIN) < 0) {
		ld_fail(c, LD_ERR_OTHER, now);
		return;
	}
	c->st = LD_ST_IDLE;
	if (cfg->rate > 0)
		tick(c, now);
	else if (!cfg->flood)
		send_one(c, now);
}

/* One received datagram. */
static void on_reply(struct ld_client *c, const uint8_t *p, size_t n, uint64_t now)
{
	struct ld_worker *w = c->w;
	const struct ld_config *cfg = w->cfg;
	struct net_dgram_hdr h;

	if (net_dgram_decode(p, n, &h) < 0 || h.flow != c->id || h.seq >= c->dsent ||
	    n > w->slot) {
		ld_error(c, LD_ERR_MISMATCH);
		return;
	}
	if (cfg->verify != PL_VERIFY_NONE) {
		/* sbuf is free while receiving: regenerate what was sent there. */
		pl_fill(w->sbuf, n - NET_DGRAM_HDR_LEN, c->id, h.seq, -1);
		if (!pl_check(w->sbuf, p + NET_DGRAM_HDR_LEN, n - NET_DGRAM_HDR_LEN, cfg->verify)) {
			ld_error(c, LD_ERR_MISMATCH);
			return;
		}
	}
	if (net_dgram_track(&c->trk, h.seq) == NET_DGRAM_DUPLICATE)
		return;
	w->replies++;
	ld_reached(c);
	if (cfg->rate > 0) {
		ld_latency(c, pace_at(&c->pace, h.seq), now);
	} else if (cfg->flood) {
		ld_latency(c, h.send_ns, now);
	} else if (c->t0 && h.seq == c->wait_seq) {
		/* The awaited reply, perhaps while draining at the end. */
		ld_latency(c, c->t0, now);
		c->t0 = 0;
		if (c->st == LD_ST_BUSY)
			closed_next(c, now);
	}
}

static void do_read(struct ld_client *c, uint64_t now)
{
	struct ld_worker *w = c->w;
	unsigned b = batch(c);
	for (unsigned i = 0; i < b; i++) {
		w->iov[i] = (struct iovec){.iov_base = w->rbuf + (size_t)i * (LD_MAX_DGRAM + 1),
					   .iov_len = LD_MAX_DGRAM + 1};
		memset(&w->msgs[i], 0, sizeof(w->msgs[i]));
		w->msgs[i].msg_hdr.msg_iov = &w->iov[i];
		w->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	int m = recvmmsg(c->fd, w->msgs, b, MSG_DONTWAIT, NULL);
	if (m < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		/* ECONNREFUSED here is the ICMP port unreachable of an earlier
		 * datagram, reported on the connected socket. */
		ld_fail(c, ld_errno_kind(errno), now);
		return;
	}
	int fd = c->fd;
	for (int i = 0; i < m && c->fd == fd; i++) {
		size_t n = w->msgs[i].msg_len;
		ld_log(c, LD_EV_RECV, c->recv_off, n, now);
		c->recv_off += n;
		w->bytes_received += n;
		w->last_ns = now;
		on_reply(c, w->rbuf + (size_t)i * (LD_MAX_DGRAM + 1), n, now);
	}
	if (c->st == LD_ST_DRAIN && c->trk.received >= c->dsent)
		ld_done(c);
}

static void d_begin(struct ld_client *c, uint64_t now)
{
	c->st = LD_ST_WAIT;
	ld_arm(c, ld_connect_slot(c->w, now));
}

static void d_io(struct ld_client *c, uint32_t events, uint64_t now)
{
	int fd = c->fd;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		do_read(c, now);
	if ((events & EPOLLOUT) && c->fd == fd && c->st == LD_ST_IDLE && c->w->cfg->flood)
		flood(c, now);
}

static void d_timer(struct ld_client *c, uint64_t now)
{
	switch (c->st) {
	case LD_ST_WAIT:
	case LD_ST_BACKOFF:
		do_connect(c, now);
		break;
	case LD_ST_IDLE:
		if (c->w->cfg->rate > 0)
			tick(c, now);
		else if (!c->w->cfg->flood)
			send_one(c, now);
		break;
	case LD_ST_BUSY:
		ld_error(c, LD_ERR_TIMEOUT);
		c->t0 = 0;
		closed_next(c, now);
		break;
	case LD_ST_DRAIN:
		ld_done(c);
		break;
	default:
		break;
	}
}

static void d_stop(struct ld_client *c, uint64_t now)
{
	/* What is still unanswered shows up as lost, unless it arrives while
	 * draining. */
	net_timer_cancel(&c->w->poller, &c->timer);
	c->st = LD_ST_IDLE;
	drain(c, now);
}

static void d_finish(struct ld_client *c)
{
	struct ld_worker *w = c->w;
	if (c->st == LD_ST_BUSY)
		w->incomplete++;
	w->udp.sent += c->dsent;
	w->udp.received += c->trk.received;
	w->udp.duplicated += c->trk.duplicated;
	w->udp.reordered += c->trk.reordered;
	w->udp.late += c->trk.late;
	w->udp.lost += net_dgram_lost(&c->trk, c->dsent);
	if (c->st != LD_ST_DONE)
		ld_done(c);
}

const struct ld_ops ld_dgram_ops = {
	.begin = d_begin,
	.io = d_io,
	.timer = d_timer,
	.stop = d_stop,
	.finish = d_finish,
};
