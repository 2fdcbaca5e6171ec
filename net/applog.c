/*
 * net/applog.c — the server's app-boundary log: fixed-size records
 * appended with one write() each (format and concurrency in applog.h).
 */
#include "net/applog.h"

#include "net/clock.h"
#include "net/sock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Lives in a MAP_SHARED page so forked children draw from one counter. */
struct al_shared {
	atomic_uint_fast32_t next_conn;
	atomic_uint_fast64_t written;   /* records asked for (SRV_AL_MAX_RECS) */
	atomic_uint_fast64_t dropped;
};

struct srv_applog {
	int fd;
	uint64_t sample_ns;
	struct al_shared *sh;
};

int srv_applog_open(struct srv_applog **out, const char *path, uint64_t sample_ns,
		    char *err, size_t errlen)
{
	*out = NULL;
	struct srv_applog *log = calloc(1, sizeof *log);
	if (!log) {
		snprintf(err, errlen, "--app-log: out of memory");
		return -ENOMEM;
	}
	log->sample_ns = sample_ns;
	log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log->fd < 0) {
		int rc = -errno;
		snprintf(err, errlen, "--app-log: %s: %s", path, strerror(-rc));
		free(log);
		return rc;
	}
	log->sh = mmap(NULL, sizeof *log->sh, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (log->sh == MAP_FAILED) {
		int rc = -errno;
		snprintf(err, errlen, "--app-log: mmap: %s", strerror(-rc));
		close(log->fd);
		free(log);
		return rc;
	}
	atomic_init(&log->sh->next_conn, 1);
	atomic_init(&log->sh->written, 0);
	atomic_init(&log->sh->dropped, 0);
	*out = log;
	return 0;
}

void srv_applog_close(struct srv_applog *log)
{
	if (!log)
		return;
	close(log->fd);
	munmap(log->sh, sizeof *log->sh);
	free(log);
}

uint64_t srv_applog_sample_ns(const struct srv_applog *log)
{
	return log ? log->sample_ns : 0;
}

static uint32_t rec_sum(const struct srv_al_rec *r)
{
	struct srv_al_rec c;
	memcpy(&c, r, sizeof c);
	memset(c.check, 0, sizeof c.check);
	const unsigned char *p = (const unsigned char *)&c;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < sizeof c; i++)
		h = (h ^ p[i]) * 16777619u;
	return h & 0xffffffu;
}

void srv_al_rec_seal(struct srv_al_rec *r)
{
	uint32_t h = rec_sum(r);
	r->check[0] = (uint8_t)h;
	r->check[1] = (uint8_t)(h >> 8);
	r->check[2] = (uint8_t)(h >> 16);
}

bool srv_al_rec_valid(const struct srv_al_rec *r)
{
	uint32_t h = rec_sum(r);
	return r->magic == SRV_AL_MAGIC && r->kind >= SRV_AL_ACCEPT && r->kind <= SRV_AL_SAMPLE &&
	       r->check[0] == (uint8_t)h && r->check[1] == (uint8_t)(h >> 8) &&
	       r->check[2] == (uint8_t)(h >> 16);
}

static void put(struct srv_applog *log, struct srv_al_rec *r)
{
	r->magic = SRV_AL_MAGIC;
	srv_al_rec_seal(r);
	if (atomic_fetch_add(&log->sh->written, 1) >= SRV_AL_MAX_RECS) {
		atomic_fetch_add(&log->sh->dropped, 1);
		return;
	}
	ssize_t w;
	do
		w = write(log->fd, r, sizeof *r);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)sizeof *r)
		atomic_fetch_add(&log->sh->dropped, 1);
}

static void rec_init(const struct srv_alconn *a, struct srv_al_rec *r, enum srv_al_kind k)
{
	memset(r, 0, sizeof *r);
	r->kind = (uint8_t)k;
	r->conn = a->id;
	r->lport = a->lport;
	r->rport = a->rport;
}

void srv_al_begin(struct srv_alconn *a, struct srv_applog *log, int fd,
		  const struct net_addr *peer)
{
	memset(a, 0, sizeof *a);
	a->log = log;
	a->fd = fd;
	if (!log)
		return;
	a->id = (uint32_t)atomic_fetch_add(&log->sh->next_conn, 1);
	struct net_addr local;
	if (net_local_addr(fd, &local) == 0)
		a->lport = (uint16_t)net_addr_port(&local);
	a->rport = peer ? (uint16_t)net_addr_port(peer) : 0;
	struct srv_al_rec r;
	rec_init(a, &r, SRV_AL_ACCEPT);
	r.t_ns = r.t_call_ns = net_now_ns();
	put(log, &r);
}

static void io(struct srv_alconn *a, enum srv_al_kind k, uint64_t t_call, size_t n,
	       uint64_t *off)
{
	if (!a->log || n == 0)
		return;
	struct srv_al_rec r;
	rec_init(a, &r, k);
	r.t_ns = net_now_ns();
	r.t_call_ns = t_call;
	r.offset = *off;
	r.len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	*off += n;
	put(a->log, &r);
}

void srv_al_recv(struct srv_alconn *a, uint64_t t_call, size_t n)
{
	io(a, SRV_AL_RECV, t_call, n, &a->in_off);
}

void srv_al_send(struct srv_alconn *a, uint64_t t_call, size_t n)
{
	io(a, SRV_AL_SEND, t_call, n, &a->out_off);
}

void srv_al_end(struct srv_alconn *a)
{
	if (!a->log)
		return;
	struct srv_al_rec r;
	rec_init(a, &r, SRV_AL_CLOSE);
	r.t_ns = r.t_call_ns = net_now_ns();
	r.offset = a->in_off;
	put(a->log, &r);
	a->log = NULL;
}

bool srv_al_sampling(const struct srv_alconn *a)
{
	return a->log && a->log->sample_ns;
}

void srv_al_sample(struct srv_alconn *a)
{
	if (!srv_al_sampling(a))
		return;
	struct srv_al_rec r;
	rec_init(a, &r, SRV_AL_SAMPLE);
	r.t_call_ns = net_now_ns();
	int v;
	r.rx_queue = ioctl(a->fd, SIOCINQ, &v) == 0 ? (uint32_t)v : UINT32_MAX;
	r.tx_queue = ioctl(a->fd, SIOCOUTQ, &v) == 0 ? (uint32_t)v : UINT32_MAX;
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	memset(&ti, 0, sizeof ti);
	if (getsockopt(a->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
		r.rtt_us = ti.tcpi_rtt;
		r.cwnd = ti.tcpi_snd_cwnd;
		r.unacked = ti.tcpi_unacked;
	} else {
		r.rtt_us = r.cwnd = r.unacked = UINT32_MAX;
	}
	r.t_ns = net_now_ns();
	put(a->log, &r);
}

uint64_t srv_applog_dropped(const struct srv_applog *log)
{
	return log ? atomic_load(&log->sh->dropped) : 0;
}

/* The records of p[0..len) into out (len / 64 entries; out may be p
 * itself: a record is only ever moved towards the start). */
static size_t scan(const unsigned char *p, size_t len, struct srv_al_rec *out, size_t *skip)
{
	size_t cnt = 0, i = 0;
	*skip = 0;
	while (len - i >= sizeof *out) {
		struct srv_al_rec r;
		memcpy(&r, p + i, sizeof r);   /* p need not be aligned */
		/* The magic first: most skipped bytes fail there, cheaply. */
		if (r.magic == SRV_AL_MAGIC && srv_al_rec_valid(&r)) {
			memmove(&out[cnt++], &r, sizeof r);
			i += sizeof r;
		} else {
			++*skip;
			i++;
		}
	}
	*skip += len - i;
	return cnt;
}

int srv_applog_parse(const void *buf, size_t len, struct srv_al_rec **recs, size_t *n,
		     size_t *skipped)
{
	size_t cap = len / sizeof(struct srv_al_rec), skip;
	*recs = NULL;
	*n = 0;
	if (skipped)
		*skipped = 0;
	struct srv_al_rec *r = malloc((cap ? cap : 1) * sizeof *r);
	if (!r)
		return -ENOMEM;
	size_t cnt = scan(buf, len, r, &skip);
	if (skipped)
		*skipped = skip;
	if (len && !cnt) {
		free(r);
		return -EPROTO;
	}
	*recs = r;
	*n = cnt;
	return 0;
}

int srv_applog_read(const char *path, struct srv_al_rec **recs, size_t *n, size_t *skipped)
{
	*recs = NULL;
	*n = 0;
	if (skipped)
		*skipped = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	if ((uint64_t)st.st_size > SRV_AL_MAX_BYTES) {
		close(fd);
		return -EFBIG;
	}
	/* Read into memory aligned for the records and compact them in
	 * place: one copy of the file in memory, not two. */
	size_t want = (size_t)st.st_size, got = 0, skip;
	struct srv_al_rec *r = malloc(want / sizeof *r * sizeof *r + sizeof *r);
	char *buf = (char *)r;
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < want) {
		ssize_t k = read(fd, buf + got, want - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	size_t cnt = scan((const unsigned char *)buf, got, r, &skip);
	if (skipped)
		*skipped = skip;
	if (got && !cnt) {
		free(r);
		return -EPROTO;
	}
	*recs = r;
	*n = cnt;
	return 0;
}
