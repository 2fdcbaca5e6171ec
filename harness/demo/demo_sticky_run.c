/*
 * harness/demo/demo_sticky_run.c — st_run(): one measured run of `socklab demo
 * sticky` (see demo_sticky.h): sockets on loopback, the writer, the reader
 * thread, the optional relay, the kernel's segment counter, the capture and
 * its alignment with the app's sends and recvs.
 */
#include "harness/demo/demo_sticky.h"

#include "harness/capture/capture.h"
#include "harness/relay/relay.h"
#include "net/addr.h"
#include "net/clock.h"
#include "net/framing.h"
#include "net/sock.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct st_reader {
	struct st_run *r;
	atomic_bool ready;       /* the thread is running: the writer may start */
	int fd;
	char got[ST_MAXMSG][16];
	size_t gotlen[ST_MAXMSG];
	unsigned ngot;
	int err;
};

static void rec_recv(struct st_run *r, size_t *off, size_t n, size_t asked, uint64_t call)
{
	if (r->nrecv < ST_MAXRECV)
		r->recvs[r->nrecv++] = (struct st_ev){demo_real_ns(), *off, *off + n, n < asked, call};
	*off += n;
}

static void got_msg(struct st_reader *rd, const void *p, size_t n)
{
	if (rd->ngot >= ST_MAXMSG)
		return;
	size_t k = n < 15 ? n : 15;
	memcpy(rd->got[rd->ngot], p, k);
	rd->got[rd->ngot][k] = 0;
	rd->gotlen[rd->ngot++] = n;
}

/* One recv with a timeout: bytes, 0 at EOF, -ETIMEDOUT or -errno. */
static ssize_t recv_wait(int fd, void *buf, size_t cap)
{
	int rc = net_wait(fd, POLLIN, -1, ST_READ_TIMEOUT_MS);
	if (rc == 0)
		return -ETIMEDOUT;
	if (rc < 0)
		return rc;
	ssize_t n = recv(fd, buf, cap, 0);
	return n < 0 ? -errno : n;
}

static void *reader_main(void *arg)
{
	struct st_reader *rd = arg;
	struct st_run *r = rd->r;
	uint8_t buf[1024];
	size_t off = 0;
	struct net_deframer df;
	struct net_framing fr = {.kind = NET_FRAMING_DELIM, .delim = '\n'};

	net_deframer_init(&df, &fr);
	atomic_store(&rd->ready, true);
	if (r->reader_delay_ns)
		net_sleep_ns(r->reader_delay_ns);
	while (off < r->total && rd->err == 0) {
		if (r->r == R_LENGTH) {
			/* "检测最后一次还剩多少就收多少": read the 4-byte header,
			 * then exactly what remains of the message. */
			uint8_t hdr[4];
			size_t got = 0;
			while (got < 4) {
				uint64_t call = demo_real_ns();
				ssize_t k = recv_wait(rd->fd, hdr + got, 4 - got);
				if (k <= 0) {
					rd->err = k ? (int)k : -ECONNRESET;
					break;
				}
				rec_recv(r, &off, (size_t)k, 4 - got, call);
				got += (size_t)k;
			}
			if (rd->err)
				break;
			size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
				     (size_t)hdr[2] << 8 | hdr[3];
			if (len > sizeof(buf)) {
				rd->err = -EMSGSIZE;
				break;
			}
			got = 0;
			while (got < len) {
				uint64_t call = demo_real_ns();
				ssize_t k = recv_wait(rd->fd, buf + got, len - got);
				if (k <= 0) {
					rd->err = k ? (int)k : -ECONNRESET;
					break;
				}
				rec_recv(r, &off, (size_t)k, len - got, call);
				got += (size_t)k;
			}
			if (!rd->err)
				got_msg(rd, buf, len);
			continue;
		}
		uint64_t call = demo_real_ns();
		ssize_t k = recv_wait(rd->fd, buf, sizeof(buf));   /* the seeds' recv(1024) */
		if (k <= 0) {
			rd->err = k ? (int)k : -ECONNRESET;
			break;
		}
		rec_recv(r, &off, (size_t)k, (size_t)k, call);
		if (r->r == R_NAIVE) {
			got_msg(rd, buf, (size_t)k);   /* whatever one read returned */
			if (r->w == W_ACK && send(rd->fd, "ok", 2, MSG_NOSIGNAL) != 2) {
				rd->err = -errno;
				break;
			}
		} else {
			const uint8_t *m;
			size_t mlen;
			if (net_deframer_push(&df, buf, (size_t)k) < 0) {
				rd->err = -ENOMEM;
				break;
			}
			while (net_deframer_next(&df, &m, &mlen) == 1)
				got_msg(rd, m, mlen);
		}
	}
	net_deframer_free(&df);
	return NULL;
}

static long long data_segs_out(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_data_segs_out) + sizeof(ti.tcpi_data_segs_out))
		return -1;
	return ti.tcpi_data_segs_out;
}

static int write_msgs(struct st_run *r, int fd)
{
	struct net_framing fr = {.kind = r->w == W_LENGTH ? NET_FRAMING_LENGTH : NET_FRAMING_DELIM,
				 .delim = '\n'};
	struct net_buf b = {0};
	size_t off = 0;
	int rc = 0;

	r->t0 = demo_real_ns();
	for (unsigned i = 0; i < r->n && rc == 0; i++) {
		net_buf_reset(&b);
		size_t ml = strlen(r->msg[i]);
		if (r->w == W_DELIM || r->w == W_LENGTH)
			rc = net_framing_encode(&fr, &b, r->msg[i], ml);
		else
			rc = net_buf_append(&b, r->msg[i], ml);
		if (rc < 0)
			break;
		size_t len = net_buf_pending(&b);
		uint64_t call = demo_real_ns();
		ssize_t k = send(fd, net_buf_head(&b), len, MSG_NOSIGNAL);   /* one send() per message */
		r->sends[i] = (struct st_ev){demo_real_ns(), off, off + len, false, call};
		if (k != (ssize_t)len) {
			rc = k < 0 ? -errno : -EIO;
			break;
		}
		off += len;
		if (r->w == W_SLEEP && i + 1 < r->n)
			net_sleep_ns(r->sleep_ns);
		if (r->w == W_ACK) {
			char ack[8];
			ssize_t a = recv_wait(fd, ack, 2);
			if (a <= 0)
				rc = a ? (int)a : -ECONNRESET;
		}
	}
	r->sender_ns = demo_real_ns() - r->t0;
	net_buf_free(&b);
	return rc;
}

static void *relay_main(void *arg)
{
	rly_run(arg);
	return NULL;
}

static void fail(struct st_run *r, int rc, const char *what)
{
	if (r->err)
		return;
	r->err = rc;
	snprintf(r->errmsg, sizeof(r->errmsg), "%s: %s", what, strerror(-rc));
}

/* Judge what the reader got against what was sent. */
static void judge(struct st_run *r, const struct st_reader *rd)
{
	/* A message is intact when the reader got it alone and exactly as
	 * sent (the messages are all different, each is counted once): after
	 * a glued read the later messages can still arrive intact. */
	bool seen[ST_MAXMSG] = {false};
	for (unsigned j = 0; j < rd->ngot; j++)
		for (unsigned i = 0; i < r->n; i++)
			if (!seen[i] && rd->gotlen[j] == strlen(r->msg[i]) &&
			    strcmp(rd->got[j], r->msg[i]) == 0) {
				seen[i] = true;
				r->intact++;
				break;
			}
	for (size_t j = 0; j < r->nrecv; j++) {
		unsigned ends = 0;
		bool at_end = false;
		for (unsigned i = 0; i < r->n; i++) {
			if (r->end[i] > r->recvs[j].lo && r->end[i] <= r->recvs[j].hi)
				ends++;
			if (r->end[i] == r->recvs[j].hi)
				at_end = true;
		}
		/* A half packet: the length reader asked for the rest of a
		 * message and got less; other readers ended inside one. */
		if (r->r == R_LENGTH ? r->recvs[j].short_read : !at_end)
			r->split_reads++;
		if (ends > r->max_per_recv)
			r->max_per_recv = ends;
		if (j == 0)
			r->first_recv_msgs = ends;
	}
}

static void take_capture(struct st_run *r, struct capture *cap)
{
	char err[160];
	size_t n;
	uint64_t seen;
	if (cap_stop(cap, err, sizeof(err)) < 0) {
		r->cap_rc = -EIO;
		snprintf(r->cap_why, sizeof(r->cap_why), "%s", err);
		return;
	}
	const struct cap_segrec *s = cap_segments(cap, &n, &seen);
	uint64_t base = cap_start_ns(cap);
	for (size_t i = 0; i < n && r->nseg < ST_MAXSEG; i++) {
		if (s[i].proto != CAP_PROTO_TCP || s[i].s.len == 0 || s[i].s.retrans)
			continue;
		size_t lo = s[i].s.rel_seq ? s[i].s.rel_seq - 1 : 0;   /* SYN takes seq 0 */
		r->segs[r->nseg++] = (struct st_ev){base + s[i].s.ts_ns, lo, lo + s[i].s.len, false, 0};
	}
}

static uint64_t rel(uint64_t t, uint64_t base)
{
	return t >= base ? t - base : 0;
}

/* Ask harness/capture/align.h which sends shared a segment and which recvs
 * returned several segments, and why. No ACKs are kept by the capture, so
 * a coalesced segment's cause may stay "unknown"; the late reader is
 * decided from each recv's call time against the segments' capture times. */
static void align(struct st_run *r, uint64_t base)
{
	struct al_seg sg[ST_MAXSEG];
	struct al_op snd[ST_MAXMSG], rcv[ST_MAXRECV];
	for (size_t i = 0; i < r->nseg; i++)
		sg[i] = (struct al_seg){.t_ns = rel(r->segs[i].ts, base), .off = r->segs[i].lo,
					.len = (uint32_t)(r->segs[i].hi - r->segs[i].lo)};
	for (size_t i = 0; i < r->n; i++)
		snd[i] = (struct al_op){.t_ns = rel(r->sends[i].ts, base), .t_call_ns = AL_T_UNKNOWN,
					.off = r->sends[i].lo,
					.len = (uint32_t)(r->sends[i].hi - r->sends[i].lo)};
	for (size_t i = 0; i < r->nrecv; i++)
		rcv[i] = (struct al_op){.t_ns = rel(r->recvs[i].ts, base),
					.t_call_ns = rel(r->recvs[i].call, base),
					.off = r->recvs[i].lo,
					.len = (uint32_t)(r->recvs[i].hi - r->recvs[i].lo)};
	struct al_input in = {.segs = sg, .nsegs = r->nseg, .sends = snd, .nsends = r->n,
			      .recvs = rcv, .nrecvs = r->nrecv, .nodelay = r->nodelay};
	struct al_result res;
	if (al_align(&in, &res) < 0)
		return;
	r->al = res.n;
	r->aligned = true;
	al_result_free(&res);
}

/* What one run holds, so that every path releases it in one place. */
struct st_res {
	int lfd, cfd, sfd;
	unsigned port, cport;         /* the server's, and where the client goes */
	struct capture *cap;
	struct rly_relay *rly;
	pthread_t rt, reader;
	bool rly_started, reader_started;
	struct st_reader rd;
};

/* The messages and their ends in the stream. */
static void st_prepare(struct st_run *r)
{
	r->total = 0;
	for (unsigned i = 0; i < r->n; i++) {
		snprintf(r->msg[i], sizeof(r->msg[i]), "hello-%u", (i + 1) % 1000);   /* n <= ST_MAXMSG */
		r->total += strlen(r->msg[i]) + (r->w == W_DELIM ? 1 : r->w == W_LENGTH ? 4 : 0);
		r->end[i] = r->total;
	}
	r->data_segs = -1;
	r->cap_rc = -ENOTSUP;
	snprintf(r->cap_why, sizeof(r->cap_why), "not asked");
}

/* The relay writes the stream in the chunk sizes, paced at 1000 bytes/s
 * (a 20-byte burst, then a piece every few ms), so that the pieces reach a
 * prompt reader apart and it sees half messages. The pacing may cut a
 * piece smaller still; what one read returns depends on when the reader
 * wakes. 0, or -errno after fail(). */
static int st_relay_start(struct st_run *r, struct st_res *x)
{
	char err[NET_ERRLEN];
	int rc;
	struct rly_config rc_cfg = {.proto = NET_TCP, .seed = 1,
				    .imp = {.rate_bps = ST_RELAY_BPS}};
	if ((rc = net_addr_ip(&rc_cfg.listen, "127.0.0.1", 0, err, sizeof(err))) < 0 ||
	    (rc = net_addr_ip(&rc_cfg.to, "127.0.0.1", x->port, err, sizeof(err))) < 0 ||
	    (rc = rly_chunk_parse(&rc_cfg.chunk, r->chunks, err, sizeof(err))) < 0 ||
	    (rc = rly_open(&x->rly, &rc_cfg, err, sizeof(err))) < 0) {
		fail(r, rc, err);
		return rc;
	}
	if ((rc = pthread_create(&x->rt, NULL, relay_main, x->rly)) != 0) {
		fail(r, -rc, "relay thread");
		return -rc;
	}
	x->rly_started = true;
	x->cport = net_addr_port(rly_addr(x->rly));
	return 0;
}

/* Listen, capture what goes to the port, put the relay in front. 0, or
 * -errno after fail(). */
static int st_setup(struct st_run *r, struct st_res *x)
{
	if ((x->lfd = demo_tcp_listen(&x->port)) < 0) {
		fail(r, x->lfd, "listen on 127.0.0.1:0");
		return x->lfd;
	}
	if (r->capture) {
		char filter[64];
		snprintf(filter, sizeof(filter), "tcp dst port %u", x->port);
		struct cap_config cc = {.filter = filter, .port = (uint16_t)x->port};
		r->cap_rc = cap_start(&cc, &x->cap, r->cap_why, sizeof(r->cap_why));
	}
	x->cport = x->port;
	return r->chunks ? st_relay_start(r, x) : 0;
}

/* Connect, accept, start the reader. 0, or -errno after fail(). */
static int st_connect(struct st_run *r, struct st_res *x)
{
	int rc;
	if ((x->cfd = demo_tcp_connect(x->cport, r->nodelay)) < 0) {
		fail(r, x->cfd, "connect");
		return x->cfd;
	}
	if ((rc = net_wait(x->lfd, POLLIN, -1, ST_READ_TIMEOUT_MS)) <= 0) {
		fail(r, rc ? rc : -ETIMEDOUT, "accept");
		return rc ? rc : -ETIMEDOUT;
	}
	if ((x->sfd = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		rc = -errno;
		fail(r, rc, "accept");
		return rc;
	}
	x->rd.fd = x->sfd;
	if ((rc = pthread_create(&x->reader, NULL, reader_main, &x->rd)) != 0) {
		fail(r, -rc, "reader thread");
		return -rc;
	}
	x->reader_started = true;
	return 0;
}

/* Write the messages once the reader runs, so that "late" means late by
 * reader_delay_ns and a prompt reader is really waiting in poll() when the
 * first bytes come (1 ms is ample to get there); then judge what it read. */
static void st_exchange(struct st_run *r, struct st_res *x)
{
	int rc;
	while (!atomic_load(&x->rd.ready))
		net_sleep_ns(100000ull);
	if (r->reader_delay_ns == 0)
		net_sleep_ns(1000000ull);
	long long segs0 = data_segs_out(x->cfd);
	if ((rc = write_msgs(r, x->cfd)) < 0)
		fail(r, rc, "send");
	pthread_join(x->reader, NULL);
	x->reader_started = false;
	if (x->rd.err)
		fail(r, x->rd.err, "recv");
	long long segs1 = data_segs_out(x->cfd);
	if (segs0 >= 0 && segs1 >= 0)
		r->data_segs = segs1 - segs0;
	judge(r, &x->rd);
}

/* Release what st_setup and st_connect made, in reverse; the capture is
 * read (and aligned) once every byte is through. */
static void st_teardown(struct st_run *r, struct st_res *x)
{
	if (x->reader_started) {
		if (x->sfd >= 0)
			shutdown(x->sfd, SHUT_RDWR);
		pthread_join(x->reader, NULL);
	}
	if (x->cfd >= 0)
		close(x->cfd);
	if (x->sfd >= 0)
		close(x->sfd);
	if (x->rly_started) {
		rly_shutdown(x->rly);
		pthread_join(x->rt, NULL);
		r->relay_writes = (long long)rly_counters(x->rly)->chunks;
	}
	rly_close(x->rly);
	if (x->cap) {
		if (r->cap_rc == 0) {
			take_capture(r, x->cap);
			if (r->err == 0)
				align(r, cap_start_ns(x->cap));
		}
		cap_free(x->cap);
	}
	if (x->lfd >= 0)
		close(x->lfd);
}

void st_run(struct st_run *r)
{
	struct st_res x = {.lfd = -1, .cfd = -1, .sfd = -1, .rd = {.r = r}};

	st_prepare(r);
	if (st_setup(r, &x) == 0 && st_connect(r, &x) == 0)
		st_exchange(r, &x);
	st_teardown(r, &x);
}
