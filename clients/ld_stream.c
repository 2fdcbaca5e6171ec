/*
 * clients/ld_stream.c — one simulated client on a byte stream (TCP, Unix
 * stream): connect, write a request in its pattern, read the whole reply,
 * verify it, record the latency, repeat. See engine.h for the life cycle;
 * states are those of ld_int.h. With a file list, the request and reply
 * are ld_file.c's.
 */
#include "clients/ld_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "net/clock.h"
#include "net/sock.h"

static void start_request(struct ld_client *c, uint64_t now);
static void request_done(struct ld_client *c, uint64_t now);

static bool open_loop(const struct ld_client *c)
{
	return c->w->cfg->rate > 0;
}

/* Decide when the next request goes, and get there. */
static void next_request(struct ld_client *c, uint64_t now)
{
	struct ld_worker *w = c->w;
	const struct ld_config *cfg = w->cfg;
	uint64_t t;

	if (w->stopping) {
		ld_done(c);
		return;
	}
	if (open_loop(c)) {
		t = pace_next(&c->pace);
		if (t >= w->sh->end_ns) {
			ld_done(c);
			return;
		}
	} else {
		t = now + (c->seq ? cfg->think_ns : 0);
	}
	c->t0 = t;
	if (c->fd >= 0 && !cfg->connect_per_request) {
		if (t <= now) {
			start_request(c, now);
		} else {
			c->st = LD_ST_IDLE;
			ld_arm(c, t);
		}
		return;
	}
	c->st = LD_ST_WAIT;
	ld_arm(c, ld_connect_slot(w, t > now ? t : now));
}

static void connected(struct ld_client *c, uint64_t now)
{
	struct ld_worker *w = c->w;
	w->connects++;
	ld_reached(c);
	if (w->cap && net_addr_family(&w->cfg->target) != AF_UNIX) {
		struct net_addr a;
		if (net_local_addr(c->fd, &a) == 0)
			c->lport = (uint16_t)net_addr_port(&a);
	}
	ld_log(c, LD_EV_CONNECT, 0, 0, now);
	if (w->cfg->connect_per_request)
		start_request(c, now);
	else
		next_request(c, now);
}

static void do_connect(struct ld_client *c, uint64_t now)
{
	if (c->w->stopping) {
		ld_done(c);
		return;
	}
	if (c->w->cfg->connect_per_request && !open_loop(c))
		c->t0 = now;    /* closed loop: a request's latency includes its connect */
	int rc = ld_connect(c, SOCK_STREAM);
	if (rc == 0) {
		connected(c, now);
	} else if (rc == 1) {
		c->st = LD_ST_CONNECTING;
		if (ld_want(c, EPOLLOUT) < 0) {
			ld_fail(c, LD_ERR_OTHER, now);
			return;
		}
		ld_arm(c, now + c->w->sh->timeout_ns);
	} else if (rc == -EAGAIN) {
		/* A Unix stream listener's backlog is full: not an error yet. */
		c->st = LD_ST_BACKOFF;
		ld_arm(c, now + LD_BACKOFF_NS);
	} else {
		ld_fail(c, ld_errno_kind(-rc), now);
	}
}

static void finish_connect(struct ld_client *c, uint64_t now)
{
	int e = 0;
	socklen_t len = sizeof(e);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	if (e) {
		ld_fail(c, ld_errno_kind(e), now);
		return;
	}
	net_timer_cancel(&c->w->poller, &c->timer);
	if (ld_want(c, EPOLLIN) < 0) {
		ld_fail(c, LD_ERR_OTHER, now);
		return;
	}
	connected(c, now);
}

static int set_cork(struct ld_client *c, bool on)
{
	if (!c->w->cfg->cork)
		return 0;
	return net_set_int(c->fd, IPPROTO_TCP, TCP_CORK, on ? 1 : 0);
}

static void do_write(struct ld_client *c, uint64_t now)
{
	struct ld_worker *w = c->w;
	/* The event log's times: when each send() began and returned. One
	 * clock read per send: in a burst the next call begins when the last
	 * one returned (the bookkeeping between them is tens of ns, so
	 * t_call is at most that early). None without a log. */
	bool logging = ld_logging(c);
	uint64_t t_call = logging ? net_now_ns() : 0;
	while (c->cut_i < c->ncuts) {
		size_t left = c->cuts[c->cut_i] - c->cut_done;
		ssize_t n = send(c->fd, net_buf_head(&c->out), left, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (ld_want(c, EPOLLIN | EPOLLOUT) < 0)
					ld_fail(c, LD_ERR_OTHER, now);
				return;
			}
			ld_fail(c, ld_errno_kind(errno), now);
			return;
		}
		/* Its own clock read, not the loop turn's `now`: the capture
		 * alignment asks whether a segment left before or after each
		 * send() of a burst returned (harness/capture/align.h). */
		if (logging) {
			uint64_t t_ret = net_now_ns();
			ld_log_call(c, LD_EV_SEND, c->sent_off, (size_t)n, t_call, t_ret);
			t_call = t_ret;
		}
		c->sent_off += (size_t)n;
		w->bytes_sent += (size_t)n;
		net_buf_consume(&c->out, (size_t)n);
		c->cut_done += (size_t)n;
		if (c->cut_done == c->cuts[c->cut_i]) {
			c->cut_i++;
			c->cut_done = 0;
		}
	}
	w->last_ns = now;
	if (set_cork(c, false) < 0 || ld_want(c, EPOLLIN) < 0) {
		ld_fail(c, LD_ERR_OTHER, now);
		return;
	}
	if (c->nreplied == c->nmsg)
		request_done(c, now);   /* a server that answered before it read it all */
}

/* Cut the framed request into the pattern's writes. */
static void cut(struct ld_client *c, size_t total)
{
	const struct ld_config *cfg = c->w->cfg;
	if (cfg->pattern == LD_SPLIT) {
		size_t k = cfg->pattern_n < total ? cfg->pattern_n : (total ? total : 1);
		for (size_t i = 0; i < k; i++)
			c->cuts[i] = total / k + (i < total % k);
		c->ncuts = (unsigned)k;
	} else if (cfg->pattern == LD_WHOLE) {
		c->cuts[0] = total;
		c->ncuts = 1;
	}
	/* burst: one cut per message, set while encoding */
}

static void start_request(struct ld_client *c, uint64_t now)
{
	struct ld_worker *w = c->w;
	const struct ld_config *cfg = w->cfg;
	unsigned want = cfg->pattern == LD_BURST ? cfg->pattern_n : 1;
	unsigned nmsg = ld_claim(c, want);
	int avoid = cfg->framing.kind == NET_FRAMING_DELIM ? cfg->framing.delim : -1;

	if (nmsg == 0) {
		ld_done(c);
		return;
	}
	if (!open_loop(c) && !cfg->connect_per_request)
		c->t0 = now;
	net_buf_reset(&c->out);
	net_buf_reset(&c->expect);
	c->ncuts = 0;
	if (w->sh->files && ld_file_request(c) < 0) {   /* whole, one message */
		ld_fail(c, LD_ERR_OTHER, now);
		return;
	}
	for (unsigned i = 0; i < nmsg && !w->sh->files; i++) {
		size_t n = (size_t)pl_size_draw(&cfg->size, &c->rng, 1, LD_MAX_STREAM_MSG);
		size_t before = net_buf_pending(&c->out);
		uint8_t *p = net_buf_reserve(&c->expect, n);
		if (!p) {
			ld_fail(c, LD_ERR_OTHER, now);
			return;
		}
		pl_fill(p, n, c->id, c->seq++, avoid);
		c->expect.len += n;
		c->lens[i] = n;
		if (net_framing_encode(&cfg->framing, &c->out, p, n) < 0) {
			ld_fail(c, LD_ERR_OTHER, now);
			return;
		}
		if (cfg->pattern == LD_BURST)
			c->cuts[c->ncuts++] = net_buf_pending(&c->out) - before;
	}
	cut(c, net_buf_pending(&c->out));
	c->nmsg = nmsg;
	c->nreplied = 0;
	c->cut_i = 0;
	c->cut_done = c->msg_got = c->expect_pos = 0;
	w->requests += nmsg;
	c->st = LD_ST_BUSY;
	ld_arm(c, now + w->sh->timeout_ns);
	if (set_cork(c, true) < 0) {
		ld_fail(c, LD_ERR_OTHER, now);
		return;
	}
	do_write(c, now);
}

static void replied(struct ld_client *c, uint64_t now)
{
	c->nreplied++;
	c->w->replies++;
	ld_latency(c, c->t0, now);
}

/* Match received bytes against the request; -1 on a mismatch (or, for
 * files, the error *kind says). */
static int consume(struct ld_client *c, const uint8_t *p, size_t n, uint64_t now,
		   enum ld_err *kind)
{
	const struct ld_config *cfg = c->w->cfg;
	if (c->w->sh->files) {
		int rc = ld_file_consume(c, p, n, kind);
		if (rc == 1)
			replied(c, now);
		return rc < 0 ? -1 : 0;
	}
	if (cfg->framing.kind == NET_FRAMING_NONE) {
		while (n > 0) {
			if (c->nreplied == c->nmsg)
				return -1;   /* more bytes than were sent */
			size_t want = c->lens[c->nreplied] - c->msg_got;
			size_t m = n < want ? n : want;
			if (!pl_check(c->expect.data + c->expect_pos, p, m, cfg->verify))
				return -1;
			c->expect_pos += m;
			c->msg_got += m;
			p += m;
			n -= m;
			if (c->msg_got == c->lens[c->nreplied]) {
				c->msg_got = 0;
				replied(c, now);
			}
		}
		return 0;
	}
	const uint8_t *msg;
	size_t len;
	int rc;
	if (net_deframer_push(&c->dfr, p, n) < 0)
		return -1;
	while ((rc = net_deframer_next(&c->dfr, &msg, &len)) == 1) {
		if (c->nreplied == c->nmsg || len != c->lens[c->nreplied] ||
		    !pl_check(c->expect.data + c->expect_pos, msg, len, cfg->verify))
			return -1;
		c->expect_pos += len;
		replied(c, now);
	}
	return rc < 0 ? -1 : 0;
}

static void request_done(struct ld_client *c, uint64_t now)
{
	net_timer_cancel(&c->w->poller, &c->timer);
	if (c->w->cfg->connect_per_request)
		ld_close(c);
	else
		c->st = LD_ST_IDLE;
	next_request(c, now);
}

static void do_read(struct ld_client *c, uint64_t now)
{
	struct ld_worker *w = c->w;
	ssize_t n = recv(c->fd, w->rbuf, w->rbuf_len, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		ld_fail(c, ld_errno_kind(errno), now);
		return;
	}
	if (n == 0) {
		if (c->st == LD_ST_BUSY) {
			ld_fail(c, LD_ERR_SHORT, now);
			return;
		}
		/* The server closed an idle connection: reconnect, no error. */
		net_timer_cancel(&w->poller, &c->timer);
		ld_close(c);
		c->st = LD_ST_BACKOFF;
		ld_arm(c, now + LD_BACKOFF_NS);
		return;
	}
	ld_log(c, LD_EV_RECV, c->recv_off, (size_t)n, now);
	c->recv_off += (size_t)n;
	if (!w->sh->files)
		w->bytes_received += (size_t)n;   /* files: bodies only, counted there */
	enum ld_err kind = LD_ERR_MISMATCH;
	if (c->st != LD_ST_BUSY || consume(c, w->rbuf, (size_t)n, now, &kind) < 0) {
		ld_fail(c, kind, now);
		return;
	}
	w->last_ns = now;
	if (c->nreplied == c->nmsg && c->cut_i == c->ncuts)
		request_done(c, now);
}

static void s_begin(struct ld_client *c, uint64_t now)
{
	if (c->w->cfg->connect_per_request) {
		next_request(c, now);
		return;
	}
	c->st = LD_ST_WAIT;
	ld_arm(c, ld_connect_slot(c->w, now));
}

static void s_io(struct ld_client *c, uint32_t events, uint64_t now)
{
	int fd = c->fd;
	if (c->st == LD_ST_CONNECTING) {
		finish_connect(c, now);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		do_read(c, now);
	if ((events & EPOLLOUT) && c->fd == fd && c->st == LD_ST_BUSY)
		do_write(c, now);
}

static void s_timer(struct ld_client *c, uint64_t now)
{
	switch (c->st) {
	case LD_ST_BACKOFF:
		if (c->w->cfg->connect_per_request)
			next_request(c, now);
		else
			do_connect(c, now);
		break;
	case LD_ST_WAIT:
		do_connect(c, now);
		break;
	case LD_ST_IDLE:
		start_request(c, now);
		break;
	case LD_ST_CONNECTING:
	case LD_ST_BUSY:
		ld_fail(c, LD_ERR_TIMEOUT, now);
		break;
	default:
		break;
	}
}

static void s_stop(struct ld_client *c, uint64_t now)
{
	(void)now;
	/* A request in flight may still finish within the drain time. */
	if (c->st != LD_ST_BUSY)
		ld_done(c);
}

static void s_finish(struct ld_client *c)
{
	if (c->st == LD_ST_BUSY)
		c->w->incomplete += c->nmsg - c->nreplied;
	if (c->st != LD_ST_DONE)
		ld_done(c);
}

const struct ld_ops ld_stream_ops = {
	.begin = s_begin,
	.io = s_io,
	.timer = s_timer,
	.stop = s_stop,
	.finish = s_finish,
};
