/*
 * harness/demo/demo_udp.c — `socklab demo udp`: what the seeds say about UDP,
 * measured on 127.0.0.1 with real sockets: boundaries kept under the same
 * sends that glue on TCP, the empty datagram, truncation (MSG_TRUNC),
 * start order, and loss in a small receive buffer accounted for by the
 * kernel's own counters (SO_RXQ_OVFL on the socket, RcvbufErrors in
 * /proc/net/snmp).
 */
#include "harness/demo/demo.h"

#include "net/addr.h"
#include "net/clock.h"
#include "net/sock.h"
#include "reports/svg.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_WAIT_MS 2000

/* A UDP socket bound to 127.0.0.1:port (0: any); *out gets the address. */
static int udp_bound(unsigned port, struct net_addr *out)
{
	char err[NET_ERRLEN];
	int rc = net_addr_ip(out, "127.0.0.1", port, err, sizeof(err));
	if (rc < 0)
		return rc;
	struct net_listen_opts lo = {0};
	int fd = net_listen(NET_UDP, out, &lo, err, sizeof(err));
	if (fd < 0)
		return fd;
	if ((rc = net_local_addr(fd, out)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static int udp_client(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/* recvmsg with a wait: length (the real one when MSG_TRUNC is asked),
 * -ETIMEDOUT, or -errno; *flags gets msg_flags, *ovfl the SO_RXQ_OVFL
 * counter when the cmsg came. */
static ssize_t recv_dgram(int fd, void *buf, size_t cap, int wait_ms, int in_flags, int *flags,
			  long long *ovfl)
{
	if (wait_ms >= 0) {
		int rc = net_wait(fd, POLLIN, -1, wait_ms);
		if (rc == 0)
			return -ETIMEDOUT;
		if (rc < 0)
			return rc;
	}
	char cbuf[CMSG_SPACE(sizeof(uint32_t))];
	struct iovec iov = {buf, cap};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(fd, &mh, in_flags | (wait_ms < 0 ? MSG_DONTWAIT : 0));
	if (n < 0)
		return -errno;
	if (flags)
		*flags = mh.msg_flags;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (ovfl && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			uint32_t v;
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			*ovfl = v;
		}
	return n;
}

static int send_to(int fd, const struct net_addr *to, const void *p, size_t n)
{
	ssize_t k = sendto(fd, p, n, 0, (const struct sockaddr *)&to->ss, to->len);
	return k < 0 ? -errno : 0;
}

/* Udp: RcvbufErrors from /proc/net/snmp (system-wide, this namespace). */
static long long snmp_rcvbuf_errors(void)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	char head[1024], vals[1024];
	long long out = -1;
	if (!f)
		return -1;
	while (fgets(head, sizeof(head), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(head, "Udp:", 4) != 0)
			continue;
		char *sh, *sv;
		char *h = strtok_r(head, " \n", &sh), *v = strtok_r(vals, " \n", &sv);
		while (h && v) {
			if (strcmp(h, "RcvbufErrors") == 0)
				out = atoll(v);
			h = strtok_r(NULL, " \n", &sh);
			v = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	return out;
}

static void step_boundaries(struct demo *d, unsigned n)
{
	struct net_addr sa;
	int s = -1, c = -1;
	unsigned recvs = 0, intact = 0;
	demo_step(d, "boundaries", "udp.s1");
	demo_say(d, "udp.s1.say");
	if ((s = udp_bound(0, &sa)) < 0 || (c = udp_client()) < 0) {
		demo_error(d, "udp socket: %s", strerror(-(s < 0 ? s : c)));
		goto out;
	}
	char msg[16], buf[1024];
	for (unsigned i = 0; i < n; i++) {
		int k = snprintf(msg, sizeof(msg), "hello-%u", i + 1);
		int rc = send_to(c, &sa, msg, (size_t)k);
		if (rc < 0) {
			demo_error(d, "sendto: %s", strerror(-rc));
			goto out;
		}
	}
	net_sleep_ns(50000000ull);   /* the same late reader as in the sticky demo */
	for (unsigned i = 0; i < n; i++) {
		ssize_t k = recv_dgram(s, buf, sizeof(buf), UDP_WAIT_MS, 0, NULL, NULL);
		if (k < 0)
			break;
		recvs++;
		int m = snprintf(msg, sizeof(msg), "hello-%u", i + 1);
		if (k == m && memcmp(buf, msg, (size_t)m) == 0)
			intact++;
	}
	demo_vali(d, "sends", "udp.sends", n, "u.calls");
	demo_vali(d, "recvs", "udp.recvs", recvs, "u.calls");
	demo_vali(d, "intact", "udp.intact", intact, "u.msgs");
	demo_valb(d, "boundaries_kept", "udp.boundaries_kept", recvs == n && intact == n);
	demo_verdict(d, intact == n, intact == n ? "udp.s1.kept" : "udp.s1.notkept");
out:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
}

static void step_empty(struct demo *d)
{
	struct net_addr sa;
	int s = -1, c = -1;
	demo_step(d, "empty", "udp.s2");
	demo_say(d, "udp.s2.say");
	if ((s = udp_bound(0, &sa)) < 0 || (c = udp_client()) < 0) {
		demo_error(d, "udp socket: %s", strerror(-(s < 0 ? s : c)));
		goto out;
	}
	int rc = send_to(c, &sa, "", 0);
	if (rc < 0) {
		demo_error(d, "sendto of 0 bytes: %s", strerror(-rc));
		goto out;
	}
	char buf[1024];
	ssize_t k = recv_dgram(s, buf, sizeof(buf), UDP_WAIT_MS, 0, NULL, NULL);
	bool got = k == 0;
	demo_valb(d, "empty_received", "udp.empty_received", got);
	demo_vali(d, "empty_len", "udp.empty_len", k < 0 ? -1 : (long long)k, "u.bytes");
	demo_verdict(d, got, got ? "udp.s2.got" : "udp.s2.lost");
out:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
}

static void step_trunc(struct demo *d)
{
	struct net_addr sa;
	int s = -1, c = -1;
	enum { BIG = 2000, SMALL = 1024 };
	demo_step(d, "truncation", "udp.s3");
	demo_say(d, "udp.s3.say");
	if ((s = udp_bound(0, &sa)) < 0 || (c = udp_client()) < 0) {
		demo_error(d, "udp socket: %s", strerror(-(s < 0 ? s : c)));
		goto out;
	}
	char big[BIG], buf[SMALL];
	memset(big, 'x', sizeof(big));
	int rc = send_to(c, &sa, big, sizeof(big));
	if (rc < 0) {
		demo_error(d, "sendto: %s", strerror(-rc));
		goto out;
	}
	int flags = 0;
	/* MSG_TRUNC as an input flag makes recvmsg return the datagram's real
	 * length even though only SMALL bytes were copied. */
	ssize_t real = recv_dgram(s, buf, sizeof(buf), UDP_WAIT_MS, MSG_TRUNC, &flags, NULL);
	if (real < 0) {
		demo_error(d, "recvmsg: %s", strerror((int)-real));
		goto out;
	}
	ssize_t rest = recv_dgram(s, buf, sizeof(buf), -1, 0, NULL, NULL);
	size_t copied = (size_t)real < sizeof(buf) ? (size_t)real : sizeof(buf);
	demo_vali(d, "sent_bytes", "udp.sent_bytes", BIG, "u.bytes");
	demo_vali(d, "buffer_bytes", "udp.buffer_bytes", SMALL, "u.bytes");
	demo_vali(d, "copied_bytes", "udp.copied_bytes", (long long)copied, "u.bytes");
	demo_vali(d, "real_bytes", "udp.real_bytes", (long long)real, "u.bytes");
	demo_valb(d, "msg_trunc", "udp.msg_trunc", (flags & MSG_TRUNC) != 0);
	demo_valb(d, "rest_lost", "udp.rest_lost", rest == -EAGAIN || rest == -EWOULDBLOCK);
	demo_verdict(d, (flags & MSG_TRUNC) != 0,
		     (flags & MSG_TRUNC) ? "udp.s3.trunc" : "udp.s3.notrunc");
out:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
}

static void step_order(struct demo *d)
{
	struct net_addr sa;
	int s = -1, c = -1, t = -1;
	demo_step(d, "start_order", "udp.s4");
	demo_say(d, "udp.s4.say");
	/* Find a free port, then leave it free: nobody listens there yet. */
	if ((s = udp_bound(0, &sa)) < 0 || (c = udp_client()) < 0) {
		demo_error(d, "udp socket: %s", strerror(-(s < 0 ? s : c)));
		goto out;
	}
	close(s);
	s = -1;
	bool early_ok = send_to(c, &sa, "early", 5) == 0;
	net_sleep_ns(20000000ull);
	if ((s = udp_bound(net_addr_port(&sa), &sa)) < 0) {
		demo_error(d, "bind the server after the client: %s", strerror(-s));
		goto out;
	}
	bool after_ok = send_to(c, &sa, "after", 5) == 0;
	char buf[64];
	ssize_t k = recv_dgram(s, buf, sizeof(buf), UDP_WAIT_MS, 0, NULL, NULL);
	bool got_after = k == 5 && memcmp(buf, "after", 5) == 0;
	bool got_early = k == 5 && memcmp(buf, "early", 5) == 0;
	ssize_t k2 = recv_dgram(s, buf, sizeof(buf), 100, 0, NULL, NULL);
	if (k2 == 5 && memcmp(buf, "early", 5) == 0)
		got_early = true;
	demo_valb(d, "client_send_before_server_ok", "udp.send_before", early_ok);
	demo_valb(d, "server_got_after", "udp.got_after", got_after && after_ok);
	demo_valb(d, "server_got_early", "udp.got_early", got_early);

	/* TCP for contrast: connect() to a port nobody listens on. */
	unsigned port = 0;
	int l = demo_tcp_listen(&port);
	if (l >= 0) {
		close(l);
		t = demo_tcp_connect(port, false);
		demo_valb(d, "tcp_connect_refused", "udp.tcp_refused", t == -ECONNREFUSED);
	}
	demo_verdict(d, early_ok && got_after, early_ok && got_after ? "udp.s4.ok" : "udp.s4.notok");
out:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	if (t >= 0)
		close(t);
}

static void step_flood(struct demo *d, unsigned n)
{
	struct net_addr sa;
	int s = -1, c = -1;
	demo_step(d, "flood", "udp.s5");
	demo_say(d, "udp.s5.say");
	if ((s = udp_bound(0, &sa)) < 0 || (c = udp_client()) < 0) {
		demo_error(d, "udp socket: %s", strerror(-(s < 0 ? s : c)));
		goto out;
	}
	int rc;
	if ((rc = net_set_int(s, SOL_SOCKET, SO_RCVBUF, 4096)) < 0 ||
	    (rc = net_set_int(s, SOL_SOCKET, SO_RXQ_OVFL, 1)) < 0) {
		demo_error(d, "setsockopt: %s", strerror(-rc));
		goto out;
	}
	int eff = 0;
	socklen_t el = sizeof(eff);
	getsockopt(s, SOL_SOCKET, SO_RCVBUF, &eff, &el);
	long long snmp0 = snmp_rcvbuf_errors();
	char msg[64];
	unsigned send_err = 0, got = 0;
	memset(msg, 'u', sizeof(msg));
	for (unsigned i = 0; i < n; i++)
		if (send_to(c, &sa, msg, sizeof(msg)) < 0)
			send_err++;
	/* Only now the server reads: everything that did not fit is gone. */
	char buf[2048];
	long long ovfl = 0;
	while (recv_dgram(s, buf, sizeof(buf), 50, 0, NULL, &ovfl) >= 0)
		got++;
	/* The SO_RXQ_OVFL value rides on each datagram as it was queued; one
	 * marker datagram after the flood carries the final drop count. */
	if (send_to(c, &sa, "end", 3) == 0)
		recv_dgram(s, buf, sizeof(buf), UDP_WAIT_MS, 0, NULL, &ovfl);
	long long snmp1 = snmp_rcvbuf_errors();
	demo_vali(d, "rcvbuf_bytes", "udp.rcvbuf", eff, "u.bytes");
	demo_vali(d, "sent", "udp.sent", n, "u.datagrams");
	demo_vali(d, "send_errors", "udp.send_errors", send_err, "u.datagrams");
	demo_vali(d, "received", "udp.received", got, "u.datagrams");
	demo_vali(d, "rxq_ovfl_dropped", "udp.rxq_ovfl", ovfl, "u.datagrams");
	if (snmp0 >= 0 && snmp1 >= 0)
		demo_vali(d, "snmp_rcvbuf_errors", "udp.snmp", snmp1 - snmp0, "u.datagrams");
	else
		demo_unavailable(d, "snmp_rcvbuf_errors", "udp.snmp", "cannot read /proc/net/snmp");
	long long unaccounted = (long long)n - send_err - got - ovfl;
	demo_vali(d, "unaccounted", "udp.unaccounted", unaccounted, "u.datagrams");
	bool lost = got < n;
	demo_valb(d, "lost", "udp.lost", lost);
	FILE *f = demo_chart_stream(d);
	if (f) {
		const char *cat[] = {"UDP"};   /* ASCII: svg.c wraps labels by bytes */
		double y[4] = {(double)got, (double)ovfl, (double)send_err,
			       unaccounted > 0 ? (double)unaccounted : 0};
		struct svg_series sr[4] = {
			{.name = demo_t(d, "udp.received"), .y = &y[0], .n = 1},
			{.name = demo_t(d, "udp.rxq_ovfl"), .y = &y[1], .n = 1},
			{.name = demo_t(d, "udp.send_errors"), .y = &y[2], .n = 1},
			{.name = demo_t(d, "udp.unaccounted"), .y = &y[3], .n = 1},
		};
		struct svg_chart ch = {.title = demo_t(d, "udp.s5"),
				       .x_label = "u.datagrams", .height = 260};
		svg_stacked_bar_chart(f, &ch, cat, 1, sr, 4);
	}
	demo_verdict(d, lost && unaccounted == 0,
		     !lost		? "udp.s5.nolost"
		     : unaccounted != 0 ? "udp.s5.unaccounted"
		     : send_err == 0	? "udp.s5.accounted"
					: "udp.s5.senderr");
out:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
}

int demo_udp(struct demo *d)
{
	step_boundaries(d, d->o.quick ? 5 : 10);
	step_empty(d);
	step_trunc(d);
	step_order(d);
	step_flood(d, d->o.quick ? 500 : 1000);
	return 0;
}
