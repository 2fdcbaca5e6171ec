/*
 * clients/ld_run.c — ld_run(): split the clients over worker threads, run
 * one epoll loop per worker until the duration or the requests are done,
 * then merge counters, histograms and app logs into the result.
 */
#include "clients/ld_int.h"

#include "net/clock.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define LD_EVENTS 256
/* Longest sleep in the loop, so that the stop flags are seen promptly. */
#define LD_TICK_MS 20

static struct ld_client *timer_client(struct net_timer *t)
{
	return (struct ld_client *)((char *)t - offsetof(struct ld_client, timer));
}

/* Keep the timerfd armed at the earliest client timer: epoll's own timeout
 * has millisecond granularity, which would send open-loop requests up to
 * 1 ms late and add that to every latency. */
static int arm_timerfd(struct ld_worker *w)
{
	uint64_t when = w->poller.ntimers ? w->poller.heap[0]->when : 0;
	if (when == w->tfd_when)
		return 0;
	struct itimerspec its = {0};
	its.it_value.tv_sec = (time_t)(when / 1000000000u);
	its.it_value.tv_nsec = (long)(when % 1000000000u);
	if (when && its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -errno;
	w->tfd_when = when;
	return 0;
}

static void drain_timerfd(struct ld_worker *w)
{
	uint64_t n;
	/* Non-blocking; EAGAIN just means it was already read. */
	if (read(w->tfd, &n, sizeof(n)) < 0)
		return;
	w->tfd_when = 0;
}

static void begin_stop(struct ld_worker *w, uint64_t now, bool drain)
{
	w->stopping = true;
	w->drain_end = now + (drain ? w->sh->drain_ns : 0);
	for (unsigned i = 0; i < w->n; i++)
		if (w->clients[i].st != LD_ST_DONE)
			w->ops->stop(&w->clients[i], now);
}

/* Add the replies completed since the last call to the caller's live
 * counter: once per loop turn, not per reply, to keep the shared cache line
 * cold. */
static void publish(struct ld_worker *w)
{
	if (w->cfg->live_replies && w->replies != w->live_pub) {
		atomic_fetch_add_explicit(w->cfg->live_replies, w->replies - w->live_pub,
					  memory_order_relaxed);
		w->live_pub = w->replies;
	}
}

static void *worker_main(void *arg)
{
	struct ld_worker *w = arg;
	const struct ld_config *cfg = w->cfg;
	struct epoll_event ev[LD_EVENTS];
	uint64_t now = net_now_ns();

	while (now < w->sh->start_ns) {
		net_sleep_ns(w->sh->start_ns - now);
		now = net_now_ns();
	}
	for (unsigned i = 0; i < w->n; i++)
		w->ops->begin(&w->clients[i], now);
	while (w->active > 0) {
		now = net_now_ns();
		bool cancel = atomic_load(&w->sh->stop) || (cfg->cancel && atomic_load(cfg->cancel));
		if (!w->stopping && (cancel || now >= w->sh->end_ns))
			begin_stop(w, now, !cancel);
		if (w->stopping && (now >= w->drain_end || w->active == 0))
			break;
		int rc = arm_timerfd(w);
		if (rc == 0)
			rc = net_poller_wait(&w->poller, ev, LD_EVENTS, LD_TICK_MS);
		if (rc < 0) {
			w->rc = rc;
			break;
		}
		now = net_now_ns();
		for (int i = 0; i < rc; i++) {
			if (ev[i].data.ptr == NULL) {
				drain_timerfd(w);
				continue;
			}
			struct ld_client *c = ev[i].data.ptr;
			if (c->st != LD_ST_DONE && c->fd >= 0)
				w->ops->io(c, ev[i].events, now);
		}
		now = net_now_ns();
		struct net_timer *t;
		while ((t = net_timer_expired(&w->poller, now)) != NULL) {
			struct ld_client *c = timer_client(t);
			if (c->st != LD_ST_DONE)
				w->ops->timer(c, now);
		}
		publish(w);
	}
	for (unsigned i = 0; i < w->n; i++)
		w->ops->finish(&w->clients[i]);
	publish(w);
	return NULL;
}

static int worker_init(struct ld_worker *w, struct ld_shared *sh, unsigned index,
		       unsigned nthreads)
{
	const struct ld_config *cfg = sh->cfg;
	bool stream = net_proto_is_stream(cfg->proto);
	unsigned plen = cfg->pattern == LD_WHOLE ? 1 : cfg->pattern_n;
	int rc;

	w->sh = sh;
	w->cfg = cfg;
	w->ops = stream ? &ld_stream_ops : &ld_dgram_ops;
	w->index = index;
	w->tfd = -1;
	hist_init(&w->hist);
	if ((rc = net_poller_init(&w->poller)) < 0)
		return rc;
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->tfd < 0)
		return -errno;
	if ((rc = net_poller_add(&w->poller, w->tfd, EPOLLIN, NULL)) < 0)
		return rc;
	if (cfg->connect_rate > 0)
		w->connect_gap = (uint64_t)(1e9 * nthreads / cfg->connect_rate);
	w->n = cfg->clients / nthreads + (index < cfg->clients % nthreads);
	w->clients = calloc(w->n ? w->n : 1, sizeof(*w->clients));
	if (!w->clients)
		return -ENOMEM;
	/* All at once, before anything can fail: worker_free closes every
	 * client's fd, and calloc's 0 is a real descriptor. */
	for (unsigned i = 0; i < w->n; i++)
		w->clients[i].fd = -1;
	for (unsigned i = 0; i < w->n; i++) {
		struct ld_client *c = &w->clients[i];
		c->w = w;
		c->id = index + i * nthreads;
		c->first = true;
		rng_seed(&c->rng, cfg->seed ^ rng_mix64(c->id));
		if (cfg->rate > 0)
			pace_init(&c->pace, sh->start_ns, cfg->rate, cfg->clients, c->id);
		net_deframer_init(&c->dfr, &cfg->framing);
		net_dgram_tracker_init(&c->trk);
		c->lens = calloc(plen, sizeof(size_t));
		c->cuts = calloc(plen, sizeof(size_t));
		if (!c->lens || !c->cuts)
			return -ENOMEM;
	}
	w->active = w->n;
	if (stream) {
		w->rbuf_len = 64 * 1024;
	} else {
		unsigned batch = cfg->batch ? cfg->batch : 32;
		w->slot = (size_t)pl_size_max(&cfg->size, LD_MAX_DGRAM);
		if (w->slot < NET_DGRAM_HDR_LEN)
			w->slot = NET_DGRAM_HDR_LEN;
		/* Replies may be longer than what we sent (a foreign server); read
		 * up to the largest datagram so that none is silently truncated. */
		w->rbuf_len = (size_t)batch * (LD_MAX_DGRAM + 1);
		w->sbuf = malloc((size_t)batch * w->slot);
		w->msgs = calloc(batch, sizeof(*w->msgs));
		w->iov = calloc(batch, sizeof(*w->iov));
		if (!w->sbuf || !w->msgs || !w->iov)
			return -ENOMEM;
	}
	w->rbuf = malloc(w->rbuf_len);
	if (!w->rbuf)
		return -ENOMEM;
	if (cfg->log_capacity) {
		w->cap = cfg->log_capacity / nthreads + 1;
		w->ev = malloc(w->cap * sizeof(*w->ev));
		if (!w->ev)
			return -ENOMEM;
	}
	return 0;
}

static void worker_free(struct ld_worker *w)
{
	if (w->clients) {
		for (unsigned i = 0; i < w->n; i++) {
			struct ld_client *c = &w->clients[i];
			if (c->fd >= 0)
				close(c->fd);
			free(c->lens);
			free(c->cuts);
			net_buf_free(&c->out);
			net_buf_free(&c->expect);
			net_deframer_free(&c->dfr);
		}
	}
	free(w->clients);
	if (w->tfd >= 0)
		close(w->tfd);
	net_poller_close(&w->poller);
	free(w->rbuf);
	free(w->sbuf);
	free(w->msgs);
	free(w->iov);
	free(w->ev);
}

static int ev_cmp(const void *a, const void *b)
{
	const struct ld_event *x = a, *y = b;
	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return x->conn < y->conn ? -1 : x->conn > y->conn;
}

static int merge(struct ld_worker *ws, unsigned nt, struct ld_shared *sh, struct ld_result *res)
{
	size_t nev = 0;
	uint64_t last = sh->start_ns;
	for (unsigned t = 0; t < nt; t++) {
		struct ld_worker *w = &ws[t];
		res->requests += w->requests;
		res->replies += w->replies;
		for (int k = 0; k < LD_ERR__COUNT; k++) {
			res->err[k] += w->err[k];
			res->errors += w->err[k];
		}
		res->bytes_sent += w->bytes_sent;
		res->bytes_received += w->bytes_received;
		res->connects += w->connects;
		res->incomplete += w->incomplete;
		res->udp.sent += w->udp.sent;
		res->udp.received += w->udp.received;
		res->udp.lost += w->udp.lost;
		res->udp.duplicated += w->udp.duplicated;
		res->udp.reordered += w->udp.reordered;
		res->udp.late += w->udp.late;
		res->udp.refused += w->udp.refused;
		res->events_dropped += w->dropped;
		hist_merge(&res->latency, &w->hist);
		if (w->last_ns > last)
			last = w->last_ns;
		nev += w->nev;
	}
	res->elapsed_ns = last - sh->start_ns;
	res->throughput_rps = res->elapsed_ns ? (double)res->replies * 1e9 / (double)res->elapsed_ns : 0;
	if (nev) {
		res->events = malloc(nev * sizeof(*res->events));
		if (!res->events)
			return -ENOMEM;
		for (unsigned t = 0; t < nt; t++) {
			memcpy(res->events + res->nevents, ws[t].ev, ws[t].nev * sizeof(*ws[t].ev));
			res->nevents += ws[t].nev;
		}
		qsort(res->events, res->nevents, sizeof(*res->events), ev_cmp);
	}
	return 0;
}

/* Source addresses needed so that no (source, destination) pair holds more
 * connections than ~90% of the ephemeral port range. */
static unsigned auto_sources(const struct ld_config *cfg)
{
	unsigned lo = 32768, hi = 60999;
	if (net_addr_family(&cfg->target) != AF_INET || !net_addr_is_loopback(&cfg->target))
		return 0;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || hi <= lo)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	unsigned per = (hi - lo + 1) * 9 / 10;
	if (cfg->clients <= per)
		return 0;
	unsigned n = (cfg->clients + per - 1) / per;
	return n > 250 ? 250 : n;
}

int ld_run(const struct ld_config *cfg, struct ld_result *res, char *err, size_t errlen)
{
	struct ld_shared sh;
	struct ld_worker *ws = NULL;
	unsigned nt = cfg->threads;
	int rc;

	memset(res, 0, sizeof(*res));
	hist_init(&res->latency);
	if ((rc = ld_config_check(cfg, err, errlen)) < 0)
		return rc;
	if (nt == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nt = n > 0 ? (unsigned)n : 1;
	}
	if (nt > cfg->clients)
		nt = cfg->clients;
	if (nt > LD_MAX_THREADS)
		nt = LD_MAX_THREADS;

	memset(&sh, 0, sizeof(sh));
	sh.cfg = cfg;
	sh.timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : 5000000000ull;
	sh.drain_ns = cfg->drain_ns ? cfg->drain_ns
		: (sh.timeout_ns < 1000000000ull ? sh.timeout_ns : 1000000000ull);
	sh.nsrc = cfg->sources ? cfg->sources : auto_sources(cfg);
	/* A little head start so that every worker is ready at start_ns. */
	sh.start_ns = net_now_ns() + 2000000;
	sh.end_ns = cfg->duration_ns ? sh.start_ns + cfg->duration_ns : UINT64_MAX;

	if ((rc = ld_files_load(&sh, err, errlen)) < 0) {
		ld_files_free(&sh);
		return rc;
	}
	ws = calloc(nt, sizeof(*ws));
	if (!ws) {
		ld_files_free(&sh);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned t = 0; t < nt; t++) {
		ws[t].tfd = -1;
		ws[t].poller.epfd = -1;
	}
	for (unsigned t = 0; t < nt; t++) {
		if ((rc = worker_init(&ws[t], &sh, t, nt)) < 0) {
			snprintf(err, errlen, "worker set-up: %s", strerror(-rc));
			goto out;
		}
	}
	sh.start_ns = net_now_ns() + 2000000;
	sh.end_ns = cfg->duration_ns ? sh.start_ns + cfg->duration_ns : UINT64_MAX;
	for (unsigned t = 0; t < nt; t++) {
		if (cfg->rate > 0)
			for (unsigned i = 0; i < ws[t].n; i++)
				ws[t].clients[i].pace.start_ns = sh.start_ns;
		if ((rc = -pthread_create(&ws[t].tid, NULL, worker_main, &ws[t])) < 0) {
			snprintf(err, errlen, "pthread_create: %s", strerror(-rc));
			atomic_store(&sh.stop, 1);
			break;
		}
		ws[t].started = true;
	}
	for (unsigned t = 0; t < nt; t++)
		if (ws[t].started)
			pthread_join(ws[t].tid, NULL);
	if (rc < 0)
		goto out;
	for (unsigned t = 0; t < nt; t++) {
		if (ws[t].rc < 0) {
			rc = ws[t].rc;
			snprintf(err, errlen, "event loop: %s", strerror(-rc));
			goto out;
		}
	}
	res->threads = nt;
	res->sources = sh.nsrc;
	res->unreachable = atomic_load(&sh.stop) && atomic_load(&sh.reached) == 0;
	if ((rc = merge(ws, nt, &sh, res)) < 0)
		snprintf(err, errlen, "out of memory");
out:
	for (unsigned t = 0; t < nt; t++)
		worker_free(&ws[t]);
	free(ws);
	ld_files_free(&sh);
	return rc;
}

void ld_result_free(struct ld_result *res)
{
	free(res->events);
	res->events = NULL;
	res->nevents = 0;
}
