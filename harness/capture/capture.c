/*
 * harness/capture/capture.c — live capture (see capture.h): libpcap handle set up
 * with pcap_create/pcap_activate, a capture thread that sleeps in poll()
 * and reads the ring in non-blocking batches into the flow table, the
 * segment list kept through the flow table's on_seg callback, the optional
 * .pcap dump, and the interface self-check (SIOCGIFMTU, SIOCETHTOOL).
 *
 * Why the small snaplen and the explicit buffer: in immediate mode libpcap
 * on Linux uses fixed-size TPACKET_V2 frames of about snaplen bytes each,
 * so on `lo` (MTU 65536) the default snaplen leaves only a handful of ring
 * slots and a burst is dropped (DESIGN.md). Headers are all the analysis
 * reads, so 256 bytes per packet and a ring for CAP_RING_SLOTS packets.
 */
#include "harness/capture/capture.h"

#include "harness/capture/pkt.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct capture {
	pcap_t *pc;
	pcap_dumper_t *dump;
	int sel_fd;                   /* pcap_get_selectable_fd */
	int stop_r, stop_w;           /* the stop pipe */
	pthread_t thread;
	bool running;                 /* the thread was started and not joined */
	bool nano;                    /* timestamps in ns (else us) */
	uint16_t port;
	uint64_t start_ns;
	struct cap_check chk;
	struct cap_totals t;
	struct cap_flows *flows;
	struct cap_segrec *segs;
	size_t nsegs, segcap, max_segs;
	uint64_t segs_seen;
	struct cap_ackrec *acks;      /* pure TCP ACKs (the alignment's Nagle evidence) */
	size_t nacks, ackcap;
	int thread_err;               /* 0 or -errno, set by the thread */
	char thread_msg[PCAP_ERRBUF_SIZE + 64];
};

const char *cap_status_name(enum cap_status s)
{
	switch (s) {
	case CAP_ST_OK: return "ok";
	case CAP_ST_UNAVAILABLE: return "unavailable";
	case CAP_ST_ERROR: return "error";
	}
	return "error";
}

size_t cap_buffer_for(unsigned snaplen, unsigned slots)
{
	/* A TPACKET_V2 frame: its header, sockaddr_ll and alignment (~100
	 * bytes) plus the snapshot, 16-byte aligned. */
	size_t frame = ((size_t)snaplen + 128 + 15) & ~(size_t)15;
	size_t b = frame * slots;

	if (b < CAP_MIN_BUFFER)
		b = CAP_MIN_BUFFER;
	if (b > CAP_MAX_BUFFER)
		b = CAP_MAX_BUFFER;
	return b;
}

/* ---------------------------------------------------------------- self-check */

static int ethtool_flag(int fd, const char *iface, uint32_t cmd)
{
	struct ethtool_value ev = {.cmd = cmd};
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	ifr.ifr_data = (char *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return -1;
	return ev.data ? 1 : 0;
}

int cap_iface_check(const char *iface, struct cap_check *chk)
{
	struct ifreq ifr;
	int rc = 0;

	chk->mtu = chk->tso = chk->gso = chk->gro = -1;
	if (strlen(iface) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
		rc = -errno;
	} else {
		chk->mtu = ifr.ifr_mtu;
		chk->tso = ethtool_flag(fd, iface, ETHTOOL_GTSO);
		chk->gso = ethtool_flag(fd, iface, ETHTOOL_GGSO);
		chk->gro = ethtool_flag(fd, iface, ETHTOOL_GGRO);
	}
	(void)close(fd);
	return rc;
}

/* ---------------------------------------------------------------- per packet */

/* Called by the flow table for every TCP/UDP packet it accounted. */
static void on_seg(void *arg, const struct cap_flow *f, const struct cap_seg *s,
		   const struct cap_pkt *p)
{
	struct capture *c = arg;

	if (p->proto == CAP_PROTO_TCP && !s->len &&
	    !(s->tcp_flags & (CAP_TCP_SYN | CAP_TCP_FIN | CAP_TCP_RST))) {
		/* A pure ACK: in the flow's counters, and kept apart (not
		 * stored) as evidence for harness/capture/align.c, as many as segments. */
		if (c->nacks == c->ackcap) {
			size_t ncap = c->ackcap ? c->ackcap * 2 : 1024;
			if (c->ackcap >= c->max_segs)
				return;
			if (ncap > c->max_segs)
				ncap = c->max_segs;
			struct cap_ackrec *n = realloc(c->acks, ncap * sizeof(*n));
			if (!n)
				return;
			c->acks = n;
			c->ackcap = ncap;
		}
		c->acks[c->nacks++] = (struct cap_ackrec){
			.flow = f->index, .dir = (uint8_t)s->dir, .rel_ack = s->rel_ack,
			.ts_ns = s->ts_ns - c->start_ns};
		return;
	}
	c->segs_seen++;
	if (c->nsegs == c->segcap) {
		if (c->segcap >= c->max_segs)
			return;
		size_t ncap = c->segcap ? c->segcap * 2 : 1024;
		if (ncap > c->max_segs)
			ncap = c->max_segs;
		struct cap_segrec *n = realloc(c->segs, ncap * sizeof(*n));
		if (!n) {
			c->max_segs = c->segcap;   /* keep what we have; seen > kept says so */
			return;
		}
		c->segs = n;
		c->segcap = ncap;
	}
	struct cap_segrec *r = &c->segs[c->nsegs++];
	r->flow = f->index;
	r->proto = p->proto;
	r->offload = (p->flags & CAP_PKT_F_LENFIX) ||
		     (c->chk.mtu > 0 && p->ip_len > (uint32_t)c->chk.mtu);
	r->s = *s;
	r->s.ts_ns = s->ts_ns - c->start_ns;
}

static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)arg;
	uint64_t frac = (uint64_t)h->ts.tv_usec * (c->nano ? 1u : 1000u);
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + frac;

	cap_flows_account(c->flows, &c->t, c->chk.link, bytes, h->caplen, h->len, ts, c->port);
	if (c->dump)
		pcap_dump((u_char *)c->dump, h, bytes);
}

/* Read everything the ring holds now (the handle is non-blocking).
 * Returns the packets read, or -1 with c->thread_err set. */
static long drain(struct capture *c)
{
	long total = 0;
	int n;

	while ((n = pcap_dispatch(c->pc, -1, on_packet, (u_char *)c)) > 0)
		total += n;
	if (n == PCAP_ERROR) {
		c->thread_err = -EIO;
		snprintf(c->thread_msg, sizeof(c->thread_msg), "reading the capture: %s",
			 pcap_geterr(c->pc));
		return -1;
	}
	return total;
}

static void *cap_main(void *arg)
{
	struct capture *c = arg;
	struct pollfd pfd[2] = {
		{.fd = c->sel_fd, .events = POLLIN},
		{.fd = c->stop_r, .events = POLLIN},
	};

	for (;;) {
		int n = poll(pfd, 2, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			c->thread_err = -errno;
			snprintf(c->thread_msg, sizeof(c->thread_msg), "capture poll: %s",
				 strerror(errno));
			return NULL;
		}
		if (pfd[0].revents) {
			long got = drain(c);
			if (got < 0)
				return NULL;
			if (got == 0 && (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
				c->thread_err = -EIO;
				snprintf(c->thread_msg, sizeof(c->thread_msg),
					 "capture: %s went away (poll revents 0x%x)",
					 c->chk.iface, (unsigned)pfd[0].revents);
				return NULL;
			}
		}
		if (pfd[1].revents)
			break;
	}
	/* Stopped: what the kernel put in the ring before now is still read. */
	(void)drain(c);
	return NULL;
}

/* ---------------------------------------------------------------- start, stop */

static int activate_errno(int rc)
{
	switch (rc) {
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return -EPERM;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return -ENODEV;
	case PCAP_ERROR_IFACE_NOT_UP:
		return -ENETDOWN;
	default:
		return -EIO;
	}
}

/* libpcap's own text when it has one, else the generic one for rc. */
static const char *pcap_msg(pcap_t *pc, int rc)
{
	const char *m = pcap_geterr(pc);
	return m && *m ? m : pcap_statustostr(rc);
}

static int setup(struct capture *c, const struct cap_config *cfg, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	int rc;

	c->pc = pcap_create(c->chk.iface, ebuf);
	if (!c->pc) {
		snprintf(err, errlen, "pcap_create(%s): %s", c->chk.iface, ebuf);
		return -EIO;
	}
	if ((rc = pcap_set_snaplen(c->pc, (int)c->chk.snaplen)) != 0 ||
	    (rc = pcap_set_immediate_mode(c->pc, 1)) != 0 ||
	    (rc = pcap_set_buffer_size(c->pc, (int)c->chk.buffer_bytes)) != 0 ||
	    (rc = pcap_set_promisc(c->pc, 0)) != 0) {
		snprintf(err, errlen, "pcap setup on %s: %s", c->chk.iface, pcap_statustostr(rc));
		return -EIO;
	}
	c->nano = pcap_set_tstamp_precision(c->pc, PCAP_TSTAMP_PRECISION_NANO) == 0;
	rc = pcap_activate(c->pc);
	if (rc < 0) {
		int e = activate_errno(rc);
		if (e == -EPERM)
			snprintf(err, errlen, "no permission to capture on %s (needs root or "
				 "CAP_NET_RAW): %s", c->chk.iface, pcap_msg(c->pc, rc));
		else
			snprintf(err, errlen, "cannot capture on %s: %s", c->chk.iface,
				 pcap_msg(c->pc, rc));
		return e;
	}
	c->chk.immediate = true;
	c->chk.link = pcap_datalink(c->pc);
	c->nano = pcap_get_tstamp_precision(c->pc) == PCAP_TSTAMP_PRECISION_NANO;
	if (!cap_pkt_link_supported(c->chk.link)) {
		snprintf(err, errlen, "%s: link type %d is not one socklab parses", c->chk.iface,
			 c->chk.link);
		return -EINVAL;
	}
	if (cfg->filter) {
		if (pcap_compile(c->pc, &prog, cfg->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
			snprintf(err, errlen, "capture filter '%s': %s", cfg->filter, pcap_geterr(c->pc));
			return -EINVAL;
		}
		rc = pcap_setfilter(c->pc, &prog);
		pcap_freecode(&prog);
		if (rc != 0) {
			snprintf(err, errlen, "capture filter '%s': %s", cfg->filter, pcap_geterr(c->pc));
			return -EIO;
		}
	}
	if (pcap_setnonblock(c->pc, 1, ebuf) != 0) {
		snprintf(err, errlen, "capture on %s: non-blocking: %s", c->chk.iface, ebuf);
		return -EIO;
	}
	c->sel_fd = pcap_get_selectable_fd(c->pc);
	if (c->sel_fd < 0) {
		snprintf(err, errlen, "capture on %s: no selectable descriptor", c->chk.iface);
		return -EIO;
	}
	if (cfg->pcap_path) {
		c->dump = pcap_dump_open(c->pc, cfg->pcap_path);
		if (!c->dump) {
			snprintf(err, errlen, "capture file: %s", pcap_geterr(c->pc));
			return -EIO;
		}
	}
	return 0;
}

int cap_start(const struct cap_config *cfg, struct capture **out, char *err, size_t errlen)
{
	const char *iface = cfg->iface ? cfg->iface : CAP_DEFAULT_IFACE;
	struct cap_flows_cfg fcfg = {.on_seg = on_seg};
	struct timespec now;
	int rc;

	*out = NULL;
	if (strlen(iface) >= IF_NAMESIZE || !*iface) {
		snprintf(err, errlen, "capture interface '%s': no such interface", iface);
		return -ENODEV;
	}
	if (cfg->filter && strlen(cfg->filter) >= sizeof(((struct cap_check *)0)->filter)) {
		snprintf(err, errlen, "capture filter too long");
		return -EINVAL;
	}
	struct capture *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "capture: out of memory");
		return -ENOMEM;
	}
	c->sel_fd = c->stop_r = c->stop_w = -1;
	c->port = cfg->port;
	c->max_segs = cfg->max_segs ? cfg->max_segs : CAP_DEFAULT_MAX_SEGS;
	snprintf(c->chk.iface, sizeof(c->chk.iface), "%s", iface);
	snprintf(c->chk.filter, sizeof(c->chk.filter), "%s", cfg->filter ? cfg->filter : "");
	c->chk.snaplen = cfg->snaplen ? cfg->snaplen : CAP_DEFAULT_SNAPLEN;
	c->chk.buffer_bytes = cfg->buffer_bytes ? cfg->buffer_bytes
			      : cap_buffer_for(c->chk.snaplen, CAP_RING_SLOTS);
	if (c->chk.buffer_bytes > (size_t)INT32_MAX || c->chk.snaplen > (unsigned)INT32_MAX) {
		snprintf(err, errlen, "capture buffer or snaplen too large");
		free(c);
		return -EINVAL;
	}
	c->chk.link = -1;
	(void)cap_iface_check(iface, &c->chk);   /* unknowns stay -1; pcap says why */
	fcfg.on_seg_arg = c;
	if ((rc = cap_flows_new(&c->flows, &fcfg)) < 0) {
		snprintf(err, errlen, "capture: out of memory");
		goto fail;
	}
	if ((rc = setup(c, cfg, err, errlen)) < 0)
		goto fail;
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		rc = -errno;
		snprintf(err, errlen, "capture: pipe: %s", strerror(errno));
		goto fail;
	}
	c->stop_r = p[0];
	c->stop_w = p[1];
	if (clock_gettime(CLOCK_REALTIME, &now) < 0) {
		rc = -errno;
		snprintf(err, errlen, "capture: clock: %s", strerror(errno));
		goto fail;
	}
	c->start_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	rc = pthread_create(&c->thread, NULL, cap_main, c);
	if (rc != 0) {
		snprintf(err, errlen, "capture: thread: %s", strerror(rc));
		rc = -rc;
		goto fail;
	}
	c->running = true;
	*out = c;
	return 0;
fail:
	cap_free(c);
	return rc;
}

int cap_stop(struct capture *c, char *err, size_t errlen)
{
	int rc = 0;

	if (!c || !c->pc)
		return 0;
	if (c->running) {
		ssize_t w;
		do
			w = write(c->stop_w, "x", 1);
		while (w < 0 && errno == EINTR);
		/* A full pipe (EAGAIN) already wakes the thread; anything else
		 * cannot happen on our own pipe, and join would then hang. */
		if (w < 0 && errno != EAGAIN) {
			snprintf(err, errlen, "capture: stop: %s", strerror(errno));
			pthread_cancel(c->thread);
		}
		pthread_join(c->thread, NULL);
		c->running = false;
	}
	struct pcap_stat ps;
	if (pcap_stats(c->pc, &ps) == 0) {
		c->chk.stats_ok = true;
		c->chk.received = ps.ps_recv;
		c->chk.dropped = ps.ps_drop;
		c->chk.if_dropped = ps.ps_ifdrop;
	}
	if (c->thread_err) {
		rc = c->thread_err;
		snprintf(err, errlen, "%s", c->thread_msg);
	}
	if (c->dump) {
		if (pcap_dump_flush(c->dump) != 0 && rc == 0) {
			rc = -EIO;
			snprintf(err, errlen, "capture file: write error");
		}
		pcap_dump_close(c->dump);
		c->dump = NULL;
	}
	pcap_close(c->pc);
	c->pc = NULL;
	return rc;
}

void cap_free(struct capture *c)
{
	char err[8];

	if (!c)
		return;
	(void)cap_stop(c, err, sizeof(err));
	if (c->dump)
		pcap_dump_close(c->dump);
	if (c->pc)
		pcap_close(c->pc);
	if (c->stop_r >= 0)
		(void)close(c->stop_r);
	if (c->stop_w >= 0)
		(void)close(c->stop_w);
	cap_flows_free(c->flows);
	free(c->segs);
	free(c->acks);
	free(c);
}

const struct cap_check *cap_check(const struct capture *c)
{
	return &c->chk;
}

const struct cap_totals *cap_totals(const struct capture *c)
{
	return &c->t;
}

const struct cap_flows *cap_flows(const struct capture *c)
{
	return c->flows;
}

const struct cap_ackrec *cap_acks(const struct capture *c, size_t *n)
{
	*n = c->nacks;
	return c->acks;
}

const struct cap_segrec *cap_segments(const struct capture *c, size_t *n, uint64_t *seen)
{
	*n = c->nsegs;
	if (seen)
		*seen = c->segs_seen;
	return c->segs;
}

uint64_t cap_start_ns(const struct capture *c)
{
	return c->start_ns;
}
