/*
 * harness/demo_sticky.c — `socklab demo sticky`: TCP sticky packets (粘包)
 * and half packets (半包), measured.
 *
 * Every step is one or more runs of st_run(): a listener on 127.0.0.1:0,
 * a client that writes the messages in separate send() calls (with or
 * without TCP_NODELAY, with sleeps, waiting for an ack, with a delimiter or
 * a length header), and a reader thread that starts reading at once or
 * late and reads naively (recv(1024), what the seeds' servers do), by
 * delimiter, or by length header reading exactly what remains. The wire
 * is measured twice: the sender's own kernel counter (TCP_INFO
 * tcpi_data_segs_out, no privilege needed) and, as root, a live capture on
 * lo (harness/capture.h) that gives every segment's time and bytes for the
 * timeline. Optionally the client goes through the splitting relay
 * (harness/relay.h) to force messages across segments.
 */
#include "harness/demo.h"

#include "harness/align.h"
#include "harness/capture.h"
#include "harness/relay.h"
#include "net/addr.h"
#include "net/clock.h"
#include "net/framing.h"
#include "net/sock.h"
#include "reports/svg.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ST_MAXMSG 64
#define ST_MAXRECV 512
#define ST_MAXSEG 512
#define ST_READ_TIMEOUT_MS 3000

enum st_write { W_PLAIN, W_SLEEP, W_ACK, W_DELIM, W_LENGTH };
enum st_read { R_NAIVE, R_DELIM, R_LENGTH };

struct st_ev {
	uint64_t ts;      /* CLOCK_REALTIME ns */
	size_t lo, hi;    /* stream byte range */
	bool short_read;  /* recv: fewer bytes than the reader asked for */
	uint64_t call;    /* send/recv: when the call began (ts: when it returned) */
};

struct st_run {
	/* in */
	unsigned n;
	bool nodelay;
	uint64_t reader_delay_ns;
	enum st_write w;
	enum st_read r;
	uint64_t sleep_ns;
	bool capture;
	const char *chunks;      /* through the relay with these write sizes; NULL: direct */
	/* out */
	char msg[ST_MAXMSG][16];
	size_t end[ST_MAXMSG];   /* wire offset after message i */
	struct st_ev sends[ST_MAXMSG];
	struct st_ev recvs[ST_MAXRECV];
	struct st_ev segs[ST_MAXSEG];
	size_t nrecv, nseg, total;
	long long data_segs;     /* TCP_INFO, -1 unknown */
	int cap_rc;              /* 0 captured, -errno unavailable */
	char cap_why[160];
	unsigned intact;
	unsigned split_reads;    /* reads that ended inside a message */
	unsigned max_per_recv;   /* messages completed by one read, at most */
	unsigned first_recv_msgs;
	long long relay_writes;  /* the relay's client->server writes (its cuts) */
	bool aligned;            /* harness/align.h ran on the capture */
	struct al_counts al;
	uint64_t sender_ns, t0;
	int err;                 /* -errno of a socket failure */
	char errmsg[400];
};

struct st_reader {
	struct st_run *r;
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
	for (unsigned i = 0; i < r->n && i < rd->ngot; i++)
		if (rd->gotlen[i] == strlen(r->msg[i]) && strcmp(rd->got[i], r->msg[i]) == 0)
			r->intact++;
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

/* Ask harness/align.h which sends shared a segment and which recvs
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

static void st_run(struct st_run *r)
{
	int lfd = -1, cfd = -1, sfd = -1, rc;
	unsigned port = 0;
	struct capture *cap = NULL;
	struct rly_relay *rly = NULL;
	pthread_t rt, reader;
	bool rly_started = false, reader_started = false;
	struct st_reader rd = {.r = r};
	char err[NET_ERRLEN];

	r->total = 0;
	for (unsigned i = 0; i < r->n; i++) {
		snprintf(r->msg[i], sizeof(r->msg[i]), "hello-%u", (i + 1) % 1000);   /* n <= ST_MAXMSG */
		r->total += strlen(r->msg[i]) + (r->w == W_DELIM ? 1 : r->w == W_LENGTH ? 4 : 0);
		r->end[i] = r->total;
	}
	r->data_segs = -1;
	r->cap_rc = -ENOTSUP;
	snprintf(r->cap_why, sizeof(r->cap_why), "not asked");

	if ((lfd = demo_tcp_listen(&port)) < 0) {
		fail(r, lfd, "listen on 127.0.0.1:0");
		goto out;
	}
	if (r->capture) {
		char filter[64];
		snprintf(filter, sizeof(filter), "tcp dst port %u", port);
		struct cap_config cc = {.filter = filter, .port = (uint16_t)port};
		r->cap_rc = cap_start(&cc, &cap, r->cap_why, sizeof(r->cap_why));
	}
	unsigned cport = port;
	if (r->chunks) {
		/* A 5 ms hold after each chunk, so that the pieces usually
		 * reach the reader apart; where the cuts fall in the stream
		 * does not depend on timing (relay.h), what one read sees does. */
		struct rly_config rc_cfg = {.proto = NET_TCP, .seed = 1,
					    .imp = {.delay_ns = 5000000ull}};
		if ((rc = net_addr_ip(&rc_cfg.listen, "127.0.0.1", 0, err, sizeof(err))) < 0 ||
		    (rc = net_addr_ip(&rc_cfg.to, "127.0.0.1", port, err, sizeof(err))) < 0 ||
		    (rc = rly_chunk_parse(&rc_cfg.chunk, r->chunks, err, sizeof(err))) < 0 ||
		    (rc = rly_open(&rly, &rc_cfg, err, sizeof(err))) < 0) {
			fail(r, rc, err);
			goto out;
		}
		if ((rc = pthread_create(&rt, NULL, relay_main, rly)) != 0) {
			fail(r, -rc, "relay thread");
			goto out;
		}
		rly_started = true;
		cport = net_addr_port(rly_addr(rly));
	}
	if ((cfd = demo_tcp_connect(cport, r->nodelay)) < 0) {
		fail(r, cfd, "connect");
		goto out;
	}
	if ((rc = net_wait(lfd, POLLIN, -1, ST_READ_TIMEOUT_MS)) <= 0) {
		fail(r, rc ? rc : -ETIMEDOUT, "accept");
		goto out;
	}
	if ((sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		fail(r, -errno, "accept");
		goto out;
	}
	rd.fd = sfd;
	if ((rc = pthread_create(&reader, NULL, reader_main, &rd)) != 0) {
		fail(r, -rc, "reader thread");
		goto out;
	}
	reader_started = true;
	long long segs0 = data_segs_out(cfd);
	if ((rc = write_msgs(r, cfd)) < 0)
		fail(r, rc, "send");
	pthread_join(reader, NULL);
	reader_started = false;
	if (rd.err)
		fail(r, rd.err, "recv");
	long long segs1 = data_segs_out(cfd);
	if (segs0 >= 0 && segs1 >= 0)
		r->data_segs = segs1 - segs0;
	judge(r, &rd);
out:
	if (reader_started) {
		if (sfd >= 0)
			shutdown(sfd, SHUT_RDWR);
		pthread_join(reader, NULL);
	}
	if (cfd >= 0)
		close(cfd);
	if (sfd >= 0)
		close(sfd);
	if (rly_started) {
		rly_shutdown(rly);
		pthread_join(rt, NULL);
		r->relay_writes = (long long)rly_counters(rly)->chunks;
	}
	rly_close(rly);
	if (cap) {
		if (r->cap_rc == 0) {
			take_capture(r, cap);
			if (r->err == 0)
				align(r, cap_start_ns(cap));
		}
		cap_free(cap);
	}
	if (lfd >= 0)
		close(lfd);
}

/* ---- showing a run ---- */

static const char *unit(const struct demo *d, const char *key)
{
	return demo_t(d, key);
}

/* The three lanes, merged by time: app sends | wire segments | app recvs. */
static void timeline(struct demo *d, const struct st_run *r)
{
	size_t i = 0, j = 0, k = 0;
	char p0[64], p1[64], p2[64];
	demo_pre(d, "%s  %s %s %s", demo_pad(p0, sizeof(p0), demo_t(d, "st.tl_time"), 10),
		 demo_pad(p1, sizeof(p1), demo_t(d, "st.tl_send"), 18),
		 demo_pad(p2, sizeof(p2), demo_t(d, "st.tl_wire"), 18), demo_t(d, "st.tl_recv"));
	while (i < r->n || j < r->nseg || k < r->nrecv) {
		uint64_t ti = i < r->n ? r->sends[i].call : UINT64_MAX;
		uint64_t tj = j < r->nseg ? r->segs[j].ts : UINT64_MAX;
		uint64_t tk = k < r->nrecv ? r->recvs[k].ts : UINT64_MAX;
		char cell[64];
		if (ti <= tj && ti <= tk) {
			snprintf(cell, sizeof(cell), "send %zuB", r->sends[i].hi - r->sends[i].lo);
			demo_pre(d, "%10.1f  %s", (double)(ti - r->t0) / 1000.0, cell);
			i++;
		} else if (tj <= tk) {
			snprintf(cell, sizeof(cell), "seg %zuB", r->segs[j].hi - r->segs[j].lo);
			demo_pre(d, "%10.1f  %-18s %s", (double)(tj - r->t0) / 1000.0, "", cell);
			j++;
		} else {
			snprintf(cell, sizeof(cell), "recv %zuB", r->recvs[k].hi - r->recvs[k].lo);
			demo_pre(d, "%10.1f  %-18s %-18s %s", (double)(tk - r->t0) / 1000.0, "", "",
				 cell);
			k++;
		}
	}
}

static void chart(struct demo *d, const struct st_run *r, const char *title_key)
{
	FILE *f = demo_chart_stream(d);
	if (!f)
		return;
	struct svg_span s[3][ST_MAXRECV];
	struct svg_lane l[3];
	size_t nl = 0;
	const struct st_ev *ev[3] = {r->sends, r->segs, r->recvs};
	size_t n[3] = {r->n, r->nseg, r->nrecv};
	const char *names[3] = {"st.tl_send", "st.tl_wire", "st.tl_recv"};
	for (size_t a = 0; a < 3; a++) {
		if (n[a] == 0)
			continue;
		for (size_t i = 0; i < n[a]; i++)
			s[nl][i] = (struct svg_span){(double)((a == 0 ? ev[a][i].call : ev[a][i].ts) -
							       r->t0) / 1000.0,
						     (double)ev[a][i].lo, (double)ev[a][i].hi};
		l[nl] = (struct svg_lane){demo_t(d, names[a]), s[nl], n[a]};
		nl++;
	}
	struct svg_chart c = {.title = demo_t(d, title_key), .x_label = demo_t(d, "st.x_time"),
			      .y_label = demo_t(d, "st.y_offset"), .y_from_zero = true};
	svg_timeline(f, &c, l, nl);
}

static void show_wire(struct demo *d, const char *prefix, const struct st_run *r)
{
	char k[64];
	snprintf(k, sizeof(k), "%swire_segments", prefix);
	if (r->data_segs >= 0)
		demo_vali(d, k, "st.wire_segments", r->data_segs, unit(d, "u.segments"));
	else
		demo_unavailable(d, k, "st.wire_segments", "TCP_INFO has no tcpi_data_segs_out");
	snprintf(k, sizeof(k), "%scaptured_segments", prefix);
	if (r->cap_rc == 0)
		demo_vali(d, k, "st.captured_segments", (long long)r->nseg, unit(d, "u.segments"));
	else
		demo_unavailable(d, k, "st.captured_segments", r->cap_why);
}

/* What harness/align.h concluded from the capture, or why it could not. */
static void show_align(struct demo *d, const struct st_run *r)
{
	if (!r->aligned) {
		demo_unavailable(d, "align", "st.align", r->cap_rc ? r->cap_why : "alignment failed");
		return;
	}
	demo_vali(d, "align_coalesced_segments", "st.al_coalesced",
		  (long long)r->al.coalesced_segments, unit(d, "u.segments"));
	demo_vali(d, "align_merged_recvs", "st.al_merged", (long long)r->al.merged_recvs,
		  unit(d, "u.calls"));
	demo_vali(d, "align_sticky_msgs", "st.al_sticky", (long long)r->al.sticky_msgs,
		  unit(d, "u.msgs"));
	demo_vali(d, "align_cause_nagle", "st.al_nagle", (long long)r->al.cause[AL_CAUSE_NAGLE],
		  NULL);
	demo_vali(d, "align_cause_late_reader", "st.al_late",
		  (long long)r->al.cause[AL_CAUSE_LATE_READER], NULL);
	demo_vali(d, "align_cause_unknown", "st.al_unknown",
		  (long long)r->al.cause[AL_CAUSE_UNKNOWN], NULL);
}

static bool run_ok(struct demo *d, struct st_run *r)
{
	if (r->err == 0)
		return true;
	demo_error(d, "%s", r->errmsg);
	return false;
}

static uint64_t late_ns(const struct demo *d)
{
	(void)d;
	return 50000000ull;   /* the reader starts 50 ms after the sender */
}

static int step_glued(struct demo *d, unsigned n)
{
	struct st_run *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	demo_step(d, "glued", "st.s1");
	demo_say(d, "st.s1.say");
	*r = (struct st_run){.n = n, .reader_delay_ns = late_ns(d), .capture = true};
	st_run(r);
	if (run_ok(d, r)) {
		demo_vali(d, "sends", "st.sends", r->n, unit(d, "u.calls"));
		show_wire(d, "", r);
		demo_vali(d, "recvs", "st.recvs", (long long)r->nrecv, unit(d, "u.calls"));
		demo_vali(d, "first_recv_bytes", "st.first_recv_bytes",
			  r->nrecv ? (long long)(r->recvs[0].hi - r->recvs[0].lo) : 0,
			  unit(d, "u.bytes"));
		demo_vali(d, "first_recv_msgs", "st.first_recv_msgs", r->first_recv_msgs,
			  unit(d, "u.msgs"));
		demo_valb(d, "glued", "st.glued", r->first_recv_msgs > 1);
		show_align(d, r);
		timeline(d, r);
		chart(d, r, "st.s1");
		demo_verdict(d, r->first_recv_msgs > 1,
			     r->first_recv_msgs > 1 ? "st.s1.glued" : "st.s1.notglued");
	}
	free(r);
	return 0;
}

static int step_why(struct demo *d, unsigned n)
{
	struct st_run *a = calloc(2, sizeof(*a));
	if (!a)
		return -ENOMEM;
	struct st_run *b = a + 1;
	demo_step(d, "why", "st.s2");
	demo_say(d, "st.s2.say");
	a[0] = (struct st_run){.n = n, .capture = true};
	st_run(a);
	*b = (struct st_run){.n = n, .nodelay = true, .capture = true};
	st_run(b);
	if (run_ok(d, a) && run_ok(d, b)) {
		demo_vali(d, "sends", "st.sends", n, unit(d, "u.calls"));
		demo_say(d, "st.s2.nagle");
		show_wire(d, "nagle_", a);
		if (a->aligned)
			demo_vali(d, "nagle_align_coalesced_segments", "st.al_coalesced",
				  (long long)a->al.coalesced_segments, unit(d, "u.segments"));
		demo_vali(d, "nagle_recvs", "st.recvs", (long long)a->nrecv, unit(d, "u.calls"));
		demo_say(d, "st.s2.nodelay");
		show_wire(d, "nodelay_", b);
		demo_vali(d, "nodelay_recvs", "st.recvs", (long long)b->nrecv, unit(d, "u.calls"));
		chart(d, a, "st.s2.chart");
		bool coalesced = a->data_segs >= 0 && a->data_segs < (long long)n;
		demo_valb(d, "sender_coalesced", "st.sender_coalesced", coalesced);
		demo_verdict(d, coalesced, coalesced ? "st.s2.coalesced" : "st.s2.notcoalesced");
	}
	free(a);
	return 0;
}

static int step_nodelay(struct demo *d, unsigned n)
{
	struct st_run *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	demo_step(d, "nodelay_late", "st.s3");
	demo_say(d, "st.s3.say");
	*r = (struct st_run){.n = n, .nodelay = true, .reader_delay_ns = late_ns(d),
			     .capture = true};
	st_run(r);
	if (run_ok(d, r)) {
		demo_vali(d, "sends", "st.sends", r->n, unit(d, "u.calls"));
		show_wire(d, "", r);
		demo_vali(d, "recvs", "st.recvs", (long long)r->nrecv, unit(d, "u.calls"));
		demo_vali(d, "max_msgs_per_recv", "st.max_per_recv", r->max_per_recv,
			  unit(d, "u.msgs"));
		bool glued = r->max_per_recv > 1;
		demo_valb(d, "glued", "st.glued", glued);
		show_align(d, r);
		timeline(d, r);
		chart(d, r, "st.s3");
		demo_verdict(d, glued, glued ? "st.s3.glued" : "st.s3.notglued");
	}
	free(r);
	return 0;
}

struct fix {
	const char *id, *label_key;
	enum st_write w;
	enum st_read r;
	bool late;
	const char *chunks;
};

static int step_fixes(struct demo *d, unsigned n)
{
	uint64_t nap = d->o.quick ? 10000000ull : 50000000ull;
	const struct fix fx[] = {
		{"none", "st.fix.none", W_PLAIN, R_NAIVE, true, NULL},
		{"sleep", "st.fix.sleep", W_SLEEP, R_NAIVE, false, NULL},
		{"sleep_late", "st.fix.sleep_late", W_SLEEP, R_NAIVE, true, NULL},
		{"ack", "st.fix.ack", W_ACK, R_NAIVE, false, NULL},
		{"delim", "st.fix.delim", W_DELIM, R_DELIM, true, NULL},
		{"length", "st.fix.length", W_LENGTH, R_LENGTH, true, NULL},
		{"naive_relay", "st.fix.naive_relay", W_PLAIN, R_NAIVE, false, "3,5,2,7,1,11"},
		{"length_relay", "st.fix.length_relay", W_LENGTH, R_LENGTH, false, "3,5,2,7,1,11"},
	};
	struct st_run *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	demo_step(d, "fixes", "st.s4");
	demo_say(d, "st.s4.say");
	char h0[96], h1[64], h2[64];
	demo_pre(d, "%s %s %s %s", demo_pad(h0, sizeof(h0), demo_t(d, "st.col_fix"), 34),
		 demo_pad(h1, sizeof(h1), demo_t(d, "st.col_intact"), 9),
		 demo_pad(h2, sizeof(h2), demo_t(d, "st.col_time"), 13), demo_t(d, "st.col_split"));
	double y_time[8];
	const char *cats[8];
	for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
		memset(r, 0, sizeof(*r));
		r->n = n;
		r->w = fx[i].w;
		r->r = fx[i].r;
		r->sleep_ns = nap;
		r->reader_delay_ns = fx[i].late ? late_ns(d) : 0;
		r->chunks = fx[i].chunks;
		st_run(r);
		char k[64];
		/* The chart's categories are the ASCII ids: svg.c wraps labels by
		 * bytes and would cut a Chinese label inside a character. */
		cats[i] = fx[i].id;
		y_time[i] = (double)r->sender_ns / 1e6;
		if (!run_ok(d, r))
			continue;
		bool ok = r->intact == r->n;
		demo_pre(d, "%s %4u/%-3u %9.2f ms %8u  %s",
			 demo_pad(h0, sizeof(h0), demo_t(d, fx[i].label_key), 34), r->intact, r->n,
			 (double)r->sender_ns / 1e6, r->split_reads,
			 demo_t(d, ok ? "ui.yes" : "ui.no"));
		demo_quiet(d, true);
		snprintf(k, sizeof(k), "%s_intact", fx[i].id);
		demo_vali(d, k, "st.col_intact", r->intact, NULL);
		snprintf(k, sizeof(k), "%s_ok", fx[i].id);
		demo_valb(d, k, "st.all_intact", ok);
		snprintf(k, sizeof(k), "%s_sender_ms", fx[i].id);
		demo_valf(d, k, "st.col_time", (double)r->sender_ns / 1e6, "ms");
		snprintf(k, sizeof(k), "%s_split_reads", fx[i].id);
		demo_vali(d, k, "st.col_split", r->split_reads, NULL);
		if (fx[i].chunks) {
			snprintf(k, sizeof(k), "%s_relay_writes", fx[i].id);
			demo_vali(d, k, "st.relay_writes", r->relay_writes, NULL);
		}
		demo_quiet(d, false);
	}
	demo_vali(d, "messages", "st.messages", n, unit(d, "u.msgs"));
	FILE *f = demo_chart_stream(d);
	if (f) {
		struct svg_series s = {.name = demo_t(d, "st.col_time"), .y = y_time,
				       .n = sizeof(fx) / sizeof(fx[0])};
		struct svg_chart c = {.title = demo_t(d, "st.s4"), .y_label = "ms",
				      .y_from_zero = true};
		svg_bar_chart(f, &c, cats, s.n, &s, 1);
	}
	demo_say(d, "st.s4.end");
	free(r);
	return 0;
}

int demo_sticky(struct demo *d)
{
	unsigned n = d->o.quick ? 5 : 10;
	if (!d->root)
		demo_say(d, "st.noroot");
	if (step_glued(d, n) < 0 || step_why(d, 20) < 0 ||
	    step_nodelay(d, n) < 0 || step_fixes(d, n) < 0) {
		demo_error(d, "out of memory");
		return -ENOMEM;
	}
	return 0;
}
