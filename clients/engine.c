/*
 * clients/engine.c — ld_run(): configuration, worker threads and their
 * event loops, the helpers both client kinds use (sockets, counters, the
 * app-boundary log, connect pacing), and merging the workers' results.
 */
#include "clients/ld_int.h"

#include "net/clock.h"
#include "net/sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

static const char *const err_names[LD_ERR__COUNT] = {
	"refused", "reset", "timeout", "short", "mismatch", "notfound", "other",
};

const char *ld_err_name(enum ld_err e)
{
	return (unsigned)e < LD_ERR__COUNT ? err_names[e] : "?";
}

void ld_config_init(struct ld_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->proto = NET_TCP;
	cfg->clients = 1;
	cfg->duration_ns = 10000000000ull;
	cfg->size.kind = PL_FIXED;
	cfg->size.a = cfg->size.b = 64;
	cfg->framing.kind = NET_FRAMING_NONE;
	cfg->framing.delim = '\n';
	cfg->pattern = LD_WHOLE;
	cfg->pattern_n = 1;
	cfg->verify = PL_VERIFY_ECHO;
	cfg->seed = 1;
}

/* The file workload's own rules; the files themselves are read by ld_run. */
static int check_files(const struct ld_config *cfg, char *err, size_t errlen)
{
	const char *s = cfg->files;
	if (!memchr(cfg->files, '\0', sizeof(cfg->files)) ||
	    !memchr(cfg->file_root, '\0', sizeof(cfg->file_root))) {
		snprintf(err, errlen, "--file: the list or the root is too long");
		return -EINVAL;
	}
	if (!s[0]) {
		if (cfg->file_root[0]) {
			snprintf(err, errlen, "--file-root: only with --file");
			return -EINVAL;
		}
		return 0;
	}
	if (!net_proto_is_stream(cfg->proto)) {
		snprintf(err, errlen, "--file: only for stream protocols (tcp, unix-stream)");
		return -EINVAL;
	}
	if (cfg->framing.kind != NET_FRAMING_NONE) {
		snprintf(err, errlen, "--framing: not with --file (the file protocol has its own)");
		return -EINVAL;
	}
	if (cfg->pattern != LD_WHOLE) {
		snprintf(err, errlen, "--pattern: not with --file (one name per request)");
		return -EINVAL;
	}
	if (cfg->verify == PL_VERIFY_UPPER) {
		snprintf(err, errlen, "--verify: upper is not for --file (echo or none)");
		return -EINVAL;
	}
	for (;;) {
		size_t n = strcspn(s, ",");
		if (n == 0 || n > LD_FILE_NAME_MAX || memchr(s, '\n', n) || memchr(s, '\r', n)) {
			snprintf(err, errlen, "--file: %s name in '%.64s'",
				 n == 0 ? "an empty" : n > LD_FILE_NAME_MAX ? "a too long"
				 : "a newline in a", cfg->files);
			return -EINVAL;
		}
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

int ld_config_check(const struct ld_config *cfg, char *err, size_t errlen)
{
	bool stream = net_proto_is_stream(cfg->proto);
	if (cfg->clients == 0) {
		snprintf(err, errlen, "--clients: at least 1");
		return -EINVAL;
	}
	if (net_proto_is_unix(cfg->proto) != (net_addr_family(&cfg->target) == AF_UNIX)) {
		snprintf(err, errlen, "--target: --proto %s needs %s", net_proto_name(cfg->proto),
			 net_proto_is_unix(cfg->proto) ? "a socket path" : "HOST:PORT");
		return -EINVAL;
	}
	if (cfg->duration_ns == 0 && cfg->requests == 0) {
		snprintf(err, errlen, "--duration: 0 needs --requests");
		return -EINVAL;
	}
	if (cfg->pattern != LD_WHOLE && (cfg->pattern_n < 1 || cfg->pattern_n > LD_MAX_PATTERN)) {
		snprintf(err, errlen, "--pattern: K/N must be 1-%u", LD_MAX_PATTERN);
		return -EINVAL;
	}
	if (!stream && (cfg->pattern != LD_WHOLE || cfg->framing.kind != NET_FRAMING_NONE ||
			cfg->connect_per_request || cfg->cork)) {
		snprintf(err, errlen, "--pattern/--framing/--cork/--connect-per-request: "
			 "only for stream protocols");
		return -EINVAL;
	}
	if (stream && cfg->flood) {
		snprintf(err, errlen, "--flood: only for udp and unix-dgram");
		return -EINVAL;
	}
	if (cfg->flood && cfg->rate > 0) {
		snprintf(err, errlen, "--flood: not with --rate");
		return -EINVAL;
	}
	if ((cfg->nodelay || cfg->cork) && cfg->proto != NET_TCP) {
		snprintf(err, errlen, "--nodelay/--cork: only for tcp");
		return -EINVAL;
	}
	uint64_t max = stream ? LD_MAX_STREAM_MSG : LD_MAX_DGRAM;
	if (pl_size_max(&cfg->size, max) > max) {
		snprintf(err, errlen, "--size: at most %llu bytes for %s", (unsigned long long)max,
			 net_proto_name(cfg->proto));
		return -EINVAL;
	}
	if (cfg->batch > LD_MAX_BATCH) {
		snprintf(err, errlen, "--batch: at most %u", LD_MAX_BATCH);
		return -EINVAL;
	}
	return check_files(cfg, err, errlen);
}

/* ---- helpers for the client kinds ---- */

enum ld_err ld_errno_kind(int e)
{
	switch (e) {
	case ECONNREFUSED:
	case ENOENT:        /* a Unix socket path nobody created */
		return LD_ERR_REFUSED;
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
		return LD_ERR_RESET;
	case ETIMEDOUT:
		return LD_ERR_TIMEOUT;
	default:
		return LD_ERR_OTHER;
	}
}

void ld_error(struct ld_client *c, enum ld_err kind)
{
	struct ld_worker *w = c->w;
	w->err[kind]++;
	if (!c->first)
		return;
	c->first = false;
	if (kind != LD_ERR_REFUSED)
		return;
	/* Every client refused on its first try and none got through: nobody is
	 * listening. Stop now rather than probe for the whole duration. */
	unsigned n = atomic_fetch_add(&w->sh->first_refused, 1) + 1;
	if (n == w->cfg->clients && atomic_load(&w->sh->reached) == 0)
		atomic_store(&w->sh->stop, 1);
}

void ld_reached(struct ld_client *c)
{
	c->first = false;
	if (!c->reached) {
		c->reached = true;
		atomic_fetch_add(&c->w->sh->reached, 1);
	}
}

void ld_log_call(struct ld_client *c, enum ld_ev_kind kind, uint64_t off, size_t len,
		 uint64_t t_call, uint64_t now)
{
	struct ld_worker *w = c->w;
	if (w->cap == 0)
		return;
	if (w->nev == w->cap) {
		w->dropped++;
		return;
	}
	w->ev[w->nev++] = (struct ld_event){
		.t_ns = now, .t_call_ns = t_call, .offset = off, .conn = c->conn,
		.len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len,
		.lport = c->lport, .kind = (uint8_t)kind,
	};
}

void ld_log(struct ld_client *c, enum ld_ev_kind kind, uint64_t off, size_t len, uint64_t now)
{
	ld_log_call(c, kind, off, len, 0, now);
}

int ld_want(struct ld_client *c, uint32_t events)
{
	int rc = 0;
	if (events == c->events)
		return 0;
	if (c->events == 0)
		rc = net_poller_add(&c->w->poller, c->fd, events, c);
	else if (events == 0)
		rc = net_poller_del(&c->w->poller, c->fd);
	else
		rc = net_poller_mod(&c->w->poller, c->fd, events, c);
	if (rc == 0)
		c->events = events;
	return rc;
}

void ld_arm(struct ld_client *c, uint64_t when)
{
	/* The heap grows by doubling from 64 entries; failing that, the client
	 * could never wake again, so treat it as finished. */
	if (net_timer_arm(&c->w->poller, &c->timer, when) < 0) {
		ld_error(c, LD_ERR_OTHER);
		ld_done(c);
	}
}

void ld_close(struct ld_client *c)
{
	if (c->fd < 0)
		return;
	/* close() removes the descriptor from the epoll set. */
	ld_log(c, LD_EV_CLOSE, c->sent_off, 0, net_now_ns());
	close(c->fd);
	c->fd = -1;
	c->events = 0;
	c->sent_off = c->recv_off = 0;
	net_deframer_free(&c->dfr);
	net_deframer_init(&c->dfr, &c->w->cfg->framing);
}

void ld_done(struct ld_client *c)
{
	if (c->st == LD_ST_DONE)
		return;
	net_timer_cancel(&c->w->poller, &c->timer);
	ld_close(c);
	c->st = LD_ST_DONE;
	c->w->active--;
}

void ld_fail(struct ld_client *c, enum ld_err kind, uint64_t now)
{
	ld_error(c, kind);
	net_timer_cancel(&c->w->poller, &c->timer);
	ld_close(c);
	if (c->w->stopping) {
		ld_done(c);
		return;
	}
	c->st = LD_ST_BACKOFF;
	ld_arm(c, now + LD_BACKOFF_NS);
}

unsigned ld_claim(struct ld_client *c, unsigned want)
{
	struct ld_worker *w = c->w;
	uint64_t limit = w->cfg->requests;
	if (w->stopping)
		return 0;
	if (limit == 0)
		return want;
	/* Never past the limit, so that ld_unclaim can give requests back
	 * to whichever client sends next. */
	uint_fast64_t old = atomic_load(&w->sh->claimed), got;
	do {
		if (old >= limit)
			return 0;
		got = old + want > limit ? limit - old : want;
	} while (!atomic_compare_exchange_weak(&w->sh->claimed, &old, old + got));
	return (unsigned)got;
}

void ld_unclaim(struct ld_client *c, unsigned n)
{
	if (n && c->w->cfg->requests)
		atomic_fetch_sub(&c->w->sh->claimed, n);
}

uint64_t ld_connect_slot(struct ld_worker *w, uint64_t when)
{
	if (w->connect_gap == 0)
		return when;
	if (w->next_connect > when)
		when = w->next_connect;
	w->next_connect = when + w->connect_gap;
	return when;
}

/* Bind to 127.0.0.(2 + id % nsrc) before connecting, so that more than one
 * source address shares the load of ephemeral ports (~28k per source and
 * destination pair). IP_BIND_ADDRESS_NO_PORT defers the port choice to
 * connect(), which can then reuse a port across destinations; a plain
 * bind(port 0) would reserve a port per socket and run out just the same. */
static int bind_source(struct ld_client *c, int fd)
{
	unsigned nsrc = c->w->sh->nsrc;
	if (nsrc == 0 || net_addr_family(&c->w->cfg->target) != AF_INET)
		return 0;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	sin.sin_addr.s_addr = htonl(0x7f000002u + c->id % nsrc);
	if (net_proto_is_stream(c->w->cfg->proto) &&
	    net_set_int(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;
	return 0;
}

int ld_connect(struct ld_client *c, int type)
{
	const struct ld_config *cfg = c->w->cfg;
	int family = net_addr_family(&cfg->target);
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;
	if (fd < 0)
		return -errno;
	if (cfg->proto == NET_TCP && cfg->nodelay && (rc = net_set_nodelay(fd, true)) < 0)
		goto fail;
	if (family == AF_UNIX && type == SOCK_DGRAM) {
		/* Autobind to an abstract name, so that the server's reply has
		 * somewhere to go and no file is left behind. */
		sa_family_t fam = AF_UNIX;
		if (bind(fd, (struct sockaddr *)&fam, sizeof(fam)) < 0) {
			rc = -errno;
			goto fail;
		}
	} else if ((rc = bind_source(c, fd)) < 0) {
		goto fail;
	}
	c->conn = atomic_fetch_add(&c->w->sh->next_conn, 1) + 1;
	c->lport = 0;
	c->fd = fd;
	c->events = 0;
	if (connect(fd, (const struct sockaddr *)&cfg->target.ss, cfg->target.len) == 0)
		return 0;
	if (errno == EINPROGRESS)
		return 1;
	rc = -errno;
	c->fd = -1;
fail:
	close(fd);
	return rc;
}

void ld_latency(struct ld_client *c, uint64_t t0, uint64_t now)
{
	hist_record(&c->w->hist, now > t0 ? now - t0 : 0);
	c->w->last_ns = now;
}
