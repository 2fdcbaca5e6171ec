/*
 * harness/runner/runner.c — the case loop of `socklab run`: server child, warmup,
 * measured phase, metrics, thresholds, store, progress and summary.
 */
#include "harness/runner/runner.h"

#include "clients/engine.h"
#include "harness/runner/align_case.h"
#include "harness/capture/capture.h"
#include "harness/runner/child.h"
#include "harness/cli/cli.h"
#include "harness/netns/netns.h"
#include "harness/relay/relay.h"
#include "harness/store/store.h"
#include "harness/capture/udp_acct.h"
#include "net/clock.h"
#include "util/json.h"
#include "servers/srv.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define SERVER_START_MS 5000
#define SERVER_STOP_MS 10000

/* What one execution of a case measured. */
struct case_out {
	size_t index;                 /* row index in the run */
	const struct scn_case *c;
	unsigned rep;
	enum db_status status;
	char error[512];
	double m[SCN_M_COUNT];        /* threshold metrics, NAN if not measured */
	bool failed[SCN_MAX_THRESHOLDS];   /* per threshold */
	unsigned nfailed;
	int64_t run_id;
	struct udp_acct udp;          /* datagram cases: where each datagram went */
	struct al_case al;            /* stream cases: app logs vs the capture */
	struct rly_case_sum relay;    /* cases with a relay: what it did */
};

/* ---------------------------------------------------------------- progress */

struct progress {
	const struct run_opts *o;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool on, quit;
	char label[512];
	uint64_t start_ns, total_ns;
	/* Replies so far, added to by the engine's workers (ld_config's
	 * live_replies); the rate is its change since the last redraw. */
	atomic_uint_fast64_t replies;
	uint64_t last_replies, last_ns;
};

/* On a terminal: one live line per case, redrawn a few times a second,
 * with the reply rate over the last redraw interval (the engine publishes
 * its counts once per event-loop turn, so up to ~20 ms of replies lag). */
static void *progress_main(void *arg)
{
	struct progress *p = arg;
	pthread_mutex_lock(&p->lock);
	while (!p->quit) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		if (p->on && !p->quit) {
			uint64_t now = net_now_ns();
			uint64_t n = atomic_load_explicit(&p->replies, memory_order_relaxed);
			double el = (double)(now - p->start_ns) / 1e9;
			double rate = now > p->last_ns
				? (double)(n - p->last_replies) * 1e9 / (double)(now - p->last_ns) : 0;
			p->last_replies = n;
			p->last_ns = now;
			fprintf(p->o->progress, "\r\033[K%s  %.1fs", p->label, el);
			if (p->total_ns)
				fprintf(p->o->progress, "/%.1fs", (double)p->total_ns / 1e9);
			fprintf(p->o->progress, "  %.0f req/s", rate);
			fflush(p->o->progress);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void progress_begin(struct progress *p, const char *label, uint64_t total_ns)
{
	if (p->o->quiet)
		return;
	pthread_mutex_lock(&p->lock);
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->start_ns = net_now_ns();
	p->total_ns = total_ns;
	p->last_ns = p->start_ns;
	p->last_replies = atomic_load_explicit(&p->replies, memory_order_relaxed);
	p->on = p->o->tty;
	pthread_mutex_unlock(&p->lock);
	if (!p->o->tty)
		fprintf(p->o->progress, "%s ...\n", label);
}

static void progress_end(struct progress *p, const char *verdict)
{
	if (p->o->quiet)
		return;
	pthread_mutex_lock(&p->lock);
	p->on = false;
	if (p->o->tty)
		fprintf(p->o->progress, "\r\033[K%s  %s\n", p->label, verdict);
	else
		fprintf(p->o->progress, "%s  %s\n", p->label, verdict);
	fflush(p->o->progress);
	pthread_mutex_unlock(&p->lock);
}

/* ---------------------------------------------------------------- metrics */

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void derive(const struct ld_result *r, bool udp, double *m)
{
	const struct hist *h = &r->latency;
	bool lat = h->total > 0;
	double el = (double)r->elapsed_ns / 1e9;
	m[SCN_M_REQUESTS] = (double)r->requests;
	m[SCN_M_ERRORS] = (double)r->errors;
	m[SCN_M_ERROR_PCT] = pct(r->errors, r->requests);
	m[SCN_M_THROUGHPUT_RPS] = r->throughput_rps;
	m[SCN_M_THROUGHPUT_MBPS] = el > 0
		? (double)(r->bytes_sent + r->bytes_received) * 8 / el / 1e6 : 0;
	m[SCN_M_MEAN_US] = lat ? hist_mean(h) / 1e3 : NAN;
	m[SCN_M_P50_US] = lat ? (double)hist_percentile(h, 50) / 1e3 : NAN;
	m[SCN_M_P90_US] = lat ? (double)hist_percentile(h, 90) / 1e3 : NAN;
	m[SCN_M_P99_US] = lat ? (double)hist_percentile(h, 99) / 1e3 : NAN;
	m[SCN_M_P999_US] = lat ? (double)hist_percentile(h, 99.9) / 1e3 : NAN;
	m[SCN_M_MAX_US] = lat ? (double)hist_percentile(h, 100) / 1e3 : NAN;
	m[SCN_M_LOSS_PCT] = udp ? pct(r->udp.lost, r->udp.sent) : NAN;
	m[SCN_M_DUPS] = udp ? (double)r->udp.duplicated : NAN;
	m[SCN_M_REORDERED] = udp ? (double)r->udp.reordered : NAN;
	m[SCN_M_CONNECT_ERRORS] = (double)r->err[LD_ERR_REFUSED];
	m[SCN_M_TIMEOUTS] = (double)r->err[LD_ERR_TIMEOUT];
}

static int store_metrics(struct db *db, int64_t id, const struct ld_result *r,
			 const double *m, bool udp)
{
	int rc = 0;
#define PUT(name, v) do { if (rc == 0) rc = db_case_metric(db, id, (name), (v)); } while (0)
	for (int i = 0; i < SCN_M_COUNT; i++)
		if (!isnan(m[i]))
			PUT(scn_metrics[i].name, m[i]);
	PUT("replies", (double)r->replies);
	PUT("bytes_sent", (double)r->bytes_sent);
	PUT("bytes_received", (double)r->bytes_received);
	PUT("connects", (double)r->connects);
	PUT("incomplete", (double)r->incomplete);
	PUT("elapsed_s", (double)r->elapsed_ns / 1e9);
	PUT("client_threads", (double)r->threads);
	for (int k = 0; k < LD_ERR__COUNT; k++) {
		char name[64];
		snprintf(name, sizeof(name), "errors.%s", ld_err_name((enum ld_err)k));
		PUT(name, (double)r->err[k]);
	}
	if (udp) {
		PUT("udp.sent", (double)r->udp.sent);
		PUT("udp.received", (double)r->udp.received);
		PUT("udp.lost", (double)r->udp.lost);
		PUT("udp.late", (double)r->udp.late);
		PUT("udp.refused", (double)r->udp.refused);
	}
#undef PUT
	if (rc == 0 && r->latency.total) {
		size_t n = 0, cap = 256;
		struct db_bucket *b = malloc(cap * sizeof(*b));
		struct hist_iter it = {0};
		if (!b)
			return -ENOMEM;
		while (hist_next(&r->latency, &it)) {
			if (n == cap) {
				struct db_bucket *nb = realloc(b, 2 * cap * sizeof(*b));
				if (!nb) {
					free(b);
					return -ENOMEM;
				}
				b = nb;
				cap *= 2;
			}
			b[n++] = (struct db_bucket){(int64_t)it.hi, it.count};
		}
		rc = db_case_hist(db, id, DB_H_LATENCY_NS, b, n);
		free(b);
	}
	return rc;
}

/* The server's own counters and what it cost, from its stats line and
 * wait4's rusage. */
static int store_server(struct db *db, int64_t id, const struct child *srv)
{
	static const char *const keys[] = {
		"accepted", "refused", "closed", "requests", "bytes_in", "bytes_out",
		"udp.received", "udp.truncated", "udp.rcvbuf_dropped", "udp.unread",
	};
	int rc = 0;
	char name[64], key[48];
	double v;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && rc == 0; i++) {
		if (child_stat(srv, keys[i], &v)) {
			snprintf(name, sizeof(name), "server.%s", keys[i]);
			rc = db_case_metric(db, id, name, v);
		}
	}
	/* Error kinds from the server's own table, so a new kind is stored
	 * without touching this list. */
	for (int e = 0; e < SRV_ERR__COUNT && rc == 0; e++) {
		snprintf(key, sizeof(key), "errors.%s", srv_err_name((enum srv_err)e));
		if (child_stat(srv, key, &v)) {
			snprintf(name, sizeof(name), "server.%s", key);
			rc = db_case_metric(db, id, name, v);
		}
	}
	const struct rusage *ru = &srv->ru;
	if (rc == 0)
		rc = db_case_metric(db, id, DB_M_SRV_CPU_USER_S,
				    (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6);
	if (rc == 0)
		rc = db_case_metric(db, id, DB_M_SRV_CPU_SYS_S,
				    (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6);
	if (rc == 0)
		rc = db_case_metric(db, id, DB_M_SRV_MAXRSS_KB, (double)ru->ru_maxrss);
	return rc;
}

/* ---------------------------------------------------------------- phases */

/* Parse the case's load argv and run it. -ECANCELED if interrupted before. */
static int load_phase(const struct scn *s, const struct scn_case *c, const char *target,
		      enum scn_phase phase, const struct run_opts *o, atomic_uint_fast64_t *live,
		      size_t log_cap, struct ld_config *cfg, struct ld_result *res, char *err,
		      size_t errlen)
{
	char **argv = NULL;
	int rc = scn_case_load_argv(s, c, NULL, target, phase, &argv);
	if (rc < 0) {
		snprintf(err, errlen, "could not build the load command: %s", strerror(-rc));
		return rc;
	}
	int argc = 0;
	while (argv[argc])
		argc++;
	rc = cmd_load_config(argc, argv, cfg, err, errlen);
	scn_argv_free(argv);
	if (rc < 0)
		return rc;
	cfg->cancel = o->cancel;
	cfg->live_replies = live;
	cfg->log_capacity = log_cap;
	if (atomic_load(o->cancel))
		return -ECANCELED;
	rc = ld_run(cfg, res, err, errlen);
	if (rc == 0 && res->unreachable) {
		/* With a `target:` scenario the address comes from the case. */
		const char *addr = target ? target : scn_case_get(c, "target.address");
		snprintf(err, errlen, "target %s refused every client", addr ? addr : "?");
		ld_result_free(res);
		return -ECONNREFUSED;
	}
	return rc;
}

static uint64_t phase_ns(const struct scn_case *c)
{
	uint64_t ns = 0;
	const char *d = scn_case_get(c, "clients.duration");
	if (d && cli_duration_ns("run", "clients.duration", d, &ns) < 0)
		ns = 0;
	return ns;
}

/* Start the case's capture (capture.enabled). When it cannot start, one
 * warning line and the case goes on; it records capture_status
 * 'unavailable' with the reason. */
static struct cap_case *capture_begin(const struct scn *s, const struct case_out *co,
				      const char *target, const char *behind, const char *iface,
				      const struct run_opts *o, struct progress *pg)
{
	struct cap_case *cc = NULL;
	char err[512];

	int rc = cap_case_start_via(&cc, s, co->c, target, behind, iface, co->index, err,
				    sizeof(err));
	cap_case_set_run(cc, co->run_id);
	if (rc < 0) {
		pthread_mutex_lock(&pg->lock);
		fprintf(o->progress, "%ssocklab run: warning: capture unavailable: %s; "
			"the case runs without it\n", o->tty && !o->quiet ? "\r\033[K" : "", err);
		pthread_mutex_unlock(&pg->lock);
	}
	return cc;
}

/* ---------------------------------------------------------------- topology pair */

/* The case's link: keys. Values were checked by the scenario loader. */
static void link_of(const struct scn_case *c, struct netns_link *l)
{
	char e[256];
	const char *v;
	memset(l, 0, sizeof(*l));
	if ((v = scn_case_get(c, "link.rate")))
		(void)rly_rate_parse(v, &l->rate_bps, e, sizeof(e));
	if ((v = scn_case_get(c, "link.loss")))
		(void)rly_prob_parse(v, &l->loss, e, sizeof(e));
	if ((v = scn_case_get(c, "link.burst")))
		(void)cli_size("run", "link.burst", v, &l->burst_bytes);
}

/* Make the case's namespace pair. 0: made; 1: skipped, the reason in err
 * (no root, no ip/tc/nft); -errno: could not be made (err says why). */
static int pair_begin(const struct case_out *co, struct netns_pair *p, char *err, size_t errlen)
{
	struct netns_link l;
	link_of(co->c, &l);
	if (netns_available(&l, err, errlen) < 0)
		return 1;
	return netns_pair_create(p, (unsigned)co->index, &l, err, errlen);
}

/* Run one case once: server up, warmup, measure, server down, store. The
 * capture (if any) covers the measured phase and the server's shutdown,
 * not the warmup, so its counts are those of the measured requests. */
static void run_case(const struct scn *s, struct case_out *co, struct db *db, int64_t case_id,
		     const struct run_opts *o, struct progress *pg, const char *label)
{
	struct child srv = {.pid = -1, .out = -1};
	struct ld_config cfg;
	struct ld_result res;
	char err[512] = "";
	const char *target = NULL;
	bool measured = false;
	struct cap_case *cap = NULL;
	int rc = 0;
	/* topology pair: the server starts inside p.server (fork copies the
	 * calling thread's namespace), the clients and the capture run inside
	 * p.client (entered on this thread around the load phases); rc 1
	 * means skipped. */
	const char *topo = scn_case_get(co->c, "topology");
	bool in_pair = topo && strcmp(topo, "pair") == 0;
	struct netns_pair pair = {.made_c = false};
	int saved_ns = -1;

	for (int i = 0; i < SCN_M_COUNT; i++)
		co->m[i] = NAN;
	al_case_begin(&co->al, s, co->c);
	if (in_pair)
		rc = pair_begin(co, &pair, err, sizeof(err));
	if (rc == 0 && s->has_server) {
		char **argv = NULL;
		rc = scn_case_serve_argv(s, co->c, "socklab", &argv);
		if (rc == 0)
			rc = al_case_serve_argv(&co->al, &argv);
		/* In a pair the server binds its namespace's address (the
		 * loader refuses server.bind with topology pair). */
		if (rc == 0 && in_pair)
			rc = scn_argv_append(&argv, "--bind", NETNS_SERVER_ADDR);
		if (rc == 0 && in_pair)
			rc = netns_enter(pair.server, &saved_ns, err, sizeof(err));
		if (rc == 0) {
			rc = child_start(&srv, argv, SERVER_START_MS, err, sizeof(err));
			netns_leave(saved_ns);
			saved_ns = -1;
		} else if (!err[0]) {
			snprintf(err, sizeof(err), "could not build the serve command: %s", strerror(-rc));
		}
		scn_argv_free(argv);
		target = srv.addr;
	}
	/* relay: a second child in front of the server (or target); the
	 * clients and the capture's client leg go to it. */
	struct child rly = {.pid = -1, .out = -1};
	const char *behind = NULL;
	if (rc == 0 && s->has_relay) {
		rc = rly_case_start(&rly, s, co->c, target, err, sizeof(err));
		behind = target ? target : scn_case_get(co->c, "target.address");
		target = rly.addr;
	}
	if (rc == 0 && in_pair)
		rc = netns_enter(pair.client, &saved_ns, err, sizeof(err));
	progress_begin(pg, label, s->warmup_ns + phase_ns(co->c));
	udp_acct_begin(&co->udp, srv.pid);
	/* The capture's legs: the clients' (to target) and the relay's. */
	udp_acct_set_ports(&co->udp, target ? target : scn_case_get(co->c, "target.address"),
			   behind);
	if (rc == 0 && s->warmup_ns) {
		rc = load_phase(s, co->c, target, SCN_PHASE_WARMUP, o, &pg->replies, 0, &cfg, &res,
				err, sizeof(err));
		if (rc == 0) {
			udp_acct_add_client(&co->udp, true, res.udp.sent, res.udp.refused, 0, 0);
			ld_result_free(&res);
		}
	}
	if (rc == 0 && s->capture.enabled)
		cap = capture_begin(s, co, target, behind, in_pair ? NETNS_CLIENT_IFACE : NULL, o, pg);
	al_case_clock(&co->al);
	if (rc == 0) {
		rc = load_phase(s, co->c, target, SCN_PHASE_MEASURE, o, &pg->replies,
				al_case_log_capacity(&co->al), &cfg, &res, err, sizeof(err));
		measured = rc == 0;
	}
	netns_leave(saved_ns);
	/* The relay first: what it still delays goes out, its counters are final. */
	if (s->has_relay && child_stop(&rly, SERVER_STOP_MS) < 0 && rc == 0 &&
	    !atomic_load(o->cancel)) {
		snprintf(err, sizeof(err), "relay did not exit cleanly");
		rc = -ECHILD;
	}
	udp_acct_end(&co->udp, srv.pid);
	if (s->has_server) {
		int sr = child_stop(&srv, SERVER_STOP_MS);
		if (sr < 0 && rc == 0 && !atomic_load(o->cancel)) {
			snprintf(err, sizeof(err), "server did not exit cleanly (%s %d)",
				 WIFSIGNALED(srv.status) ? "signal" : "status",
				 WIFSIGNALED(srv.status) ? WTERMSIG(srv.status) : WEXITSTATUS(srv.status));
			rc = -ECHILD;
		}
	}

	/* What the link's loss rule dropped (warmup included), read while the
	 * pair still exists: the kernel's share of the loss, not the sockets'. */
	uint64_t link_dropped = 0, rate_dropped = 0;
	char lerr[2][256] = {"", ""};
	bool have_dropped = in_pair && measured && scn_case_get(co->c, "link.loss") &&
			    netns_link_dropped(&pair, &link_dropped, lerr[0], sizeof(lerr[0])) == 0;
	/* And what link.rate's tbf tail-dropped before the wire (client side). */
	bool have_rate_dropped = in_pair && measured && scn_case_get(co->c, "link.rate") &&
		netns_link_rate_dropped(&pair, &rate_dropped, lerr[1], sizeof(lerr[1])) == 0;
	for (int k = 0; k < 2; k++)
		if (lerr[k][0]) {   /* the case goes on; its accounting lacks the term */
			pthread_mutex_lock(&pg->lock);
			fprintf(o->progress, "%ssocklab run: warning: %s\n",
				o->tty && !o->quiet ? "\r\033[K" : "", lerr[k]);
			pthread_mutex_unlock(&pg->lock);
		}

	int dbrc = 0;
	if (measured) {
		bool udp = !net_proto_is_stream(cfg.proto);
		derive(&res, udp, co->m);
		co->udp.udp = udp;
		udp_acct_add_client(&co->udp, false, res.udp.sent, res.udp.refused,
				    res.udp.duplicated, res.udp.reordered);
		dbrc = store_metrics(db, case_id, &res, co->m, udp);
		al_case_take_client(&co->al, &cfg, &res);
		ld_result_free(&res);
	}
	if (have_dropped && dbrc == 0)
		dbrc = db_case_metric(db, case_id, "link.dropped", (double)link_dropped);
	if (have_rate_dropped && dbrc == 0)
		dbrc = db_case_metric(db, case_id, "link.rate_dropped", (double)rate_dropped);
	if (s->has_server && srv.stats[0] && dbrc == 0)
		dbrc = store_server(db, case_id, &srv);
	if (s->has_relay && rly.stats[0] && dbrc == 0)
		dbrc = rly_case_store(db, case_id, &rly);
	if (s->has_relay)
		/* The server's counts cover the warmup too: compare them with
		 * the measured requests only when there was none. */
		rly_case_sum(&co->relay, &rly, s->has_server && !s->warmup_ns ? &srv : NULL, co->m);
	cap_case_stop(cap);
	if (cap && dbrc == 0)
		dbrc = cap_case_store(cap, db, case_id);
	if (dbrc == 0)
		dbrc = al_case_store(&co->al, db, case_id, cap);
	al_case_end(&co->al);
	cap_case_free(cap);
	if (co->udp.udp && dbrc == 0)
		dbrc = db_case_udp_accounting(db, case_id, &co->udp);
	/* After the capture is closed: its socket holds the namespace. */
	netns_pair_destroy(&pair);
	if (measured) {
		for (size_t t = 0; t < s->nthresholds && dbrc == 0; t++) {
			const struct scn_threshold *th = &s->thresholds[t];
			double v = co->m[th->metric];
			co->failed[t] = isnan(v) || !scn_threshold_ok(th, v);
			co->nfailed += co->failed[t];
			dbrc = db_case_threshold(db, case_id, th->text, !co->failed[t], v);
		}
	}
	if (rc == 1)
		co->status = DB_SKIPPED;
	else if (atomic_load(o->cancel))
		co->status = DB_INTERRUPTED;
	else if (rc < 0 || dbrc < 0)
		co->status = DB_ERROR;
	else
		co->status = co->nfailed ? DB_FAILED : DB_OK;
	if (dbrc < 0 && !err[0])
		snprintf(err, sizeof(err), "store: %s", db_errmsg(db));
	snprintf(co->error, sizeof(co->error), "%s", err);
	db_case_end(db, case_id, co->status, err[0] ? err : NULL);

	char verdict[640];
	if (co->status == DB_OK || co->status == DB_FAILED)
		snprintf(verdict, sizeof(verdict), "%.0f req/s  p99 %.0f us  errors %.0f%s",
			 co->m[SCN_M_THROUGHPUT_RPS], co->m[SCN_M_P99_US], co->m[SCN_M_ERRORS],
			 co->nfailed ? "  THRESHOLD FAILED" : "");
	else
		snprintf(verdict, sizeof(verdict), "%s%s%s", db_status_name(co->status),
			 err[0] ? ": " : "", err);
	progress_end(pg, verdict);
}

/* ---------------------------------------------------------------- summary */

static void summary_json(const struct scn *s, const struct case_out *cs, size_t n,
			 int64_t run_id, enum db_status st, const struct run_opts *o)
{
	FILE *f = o->out;
	fprintf(f, "{\"run_id\":%" PRId64 ",\"status\":\"%s\",\"db\":", run_id, db_status_name(st));
	net_json_fputs(f, o->db_path);
	fprintf(f, ",\"cases\":[");
	for (size_t i = 0; i < n; i++) {
		const struct case_out *co = &cs[i];
		struct db_param vp[64];
		size_t nv = 0;
		for (size_t k = 0; k < s->nvary && nv < 64; k++)
			vp[nv++] = (struct db_param){s->vary[k], scn_case_get(co->c, s->vary[k])};
		char *params = NULL;
		fprintf(f, "%s{\"index\":%zu,\"repeat\":%u,\"status\":\"%s\",\"params\":%s,\"metrics\":{",
			i ? "," : "", co->index, co->rep, db_status_name(co->status),
			db_params_json(vp, nv, &params) == 0 ? params : "{}");
		free(params);
		for (int m = 0; m < SCN_M_COUNT; m++) {
			fprintf(f, "%s\"%s\":", m ? "," : "", scn_metrics[m].name);
			net_json_number(f, co->m[m]);
		}
		fprintf(f, "},\"thresholds_failed\":[");
		for (size_t t = 0, first = 1; t < s->nthresholds; t++) {
			if (!co->failed[t])
				continue;
			fputs(first ? "" : ",", f);
			net_json_fputs(f, s->thresholds[t].text);
			first = 0;
		}
		fprintf(f, "]");
		if (co->error[0]) {   /* why, for error and skipped */
			fprintf(f, ",\"error\":");
			net_json_fputs(f, co->error);
		}
		if (co->udp.udp) {
			fputc(',', f);
			udp_acct_json(f, &co->udp);
		}
		al_case_json(f, &co->al);
		fprintf(f, "}");
	}
	fprintf(f, "]}\n");
}

static void summary_text(const struct scn *s, const struct case_out *cs, size_t n,
			 int64_t run_id, enum db_status st, const struct run_opts *o)
{
	FILE *f = o->out;
	fprintf(f, "\n%s: run %" PRId64 " %s, %zu case%s, stored in %s\n", s->name, run_id,
		db_status_name(st), n, n == 1 ? "" : "s", o->db_path);
	fprintf(f, "%-4s %-44s %12s %10s %10s %10s %8s %7s  %s\n", "case", "parameters",
		"req/s", "p50 us", "p99 us", "p99.9 us", "errors", "loss %", "status");
	for (size_t i = 0; i < n; i++) {
		const struct case_out *co = &cs[i];
		char *label = scn_case_label(s, co->c);
		static const int cols[] = {SCN_M_THROUGHPUT_RPS, SCN_M_P50_US, SCN_M_P99_US,
					   SCN_M_P999_US, SCN_M_ERRORS, SCN_M_LOSS_PCT};
		static const int width[] = {12, 10, 10, 10, 8, 7};
		fprintf(f, "%-4zu %-44.44s", co->index, label && *label ? label : "-");
		for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			double v = co->m[cols[k]];
			/* Not measured (an errored case, loss on TCP): a dash. */
			if (isnan(v))
				fprintf(f, " %*s", width[k], "-");
			else
				fprintf(f, " %*.*f", width[k], cols[k] == SCN_M_LOSS_PCT ? 2 : 0, v);
		}
		fprintf(f, "  %s\n", db_status_name(co->status));
		free(label);
		for (size_t t = 0; t < s->nthresholds; t++)
			if (co->failed[t])
				fprintf(f, "     threshold failed: %s (measured %g)\n",
					s->thresholds[t].text, co->m[s->thresholds[t].metric]);
		if (co->udp.udp)
			udp_acct_print(f, &co->udp);
		rly_case_print(f, &co->relay);
		al_case_print(f, &co->al);
		if (co->error[0])
			fprintf(f, "     %s\n", co->error);
	}
}

/* ---------------------------------------------------------------- run */

int run_scenario(const struct scn *s, const struct run_opts *o)
{
	struct db *db = NULL;
	char err[512];
	int64_t run_id = 0;
	size_t total = s->ncases * (s->repeat ? s->repeat : 1), done = 0;
	struct case_out *cs = calloc(total ? total : 1, sizeof(*cs));
	struct progress pg = {.o = o};
	int reaped = 0;

	if (!cs) {
		fprintf(stderr, "socklab run: out of memory\n");
		return CLI_FAILED;
	}
	if (db_open(o->db_path, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "socklab run: --db: %s\n", err);
		free(cs);
		return CLI_USAGE;
	}
	db_run_reap_stale(db, &reaped);
	unsigned ns_reaped = 0;
	if (netns_reap_stale(&ns_reaped) == 0 && ns_reaped && !o->quiet)
		fprintf(o->progress, "socklab run: removed %u network namespace%s left by a "
			"runner that died\n", ns_reaped, ns_reaped == 1 ? "" : "s");
	struct db_run_meta meta = {.name = s->name, .scenario_path = s->file,
				   .scenario_text = s->text};
	if (db_run_begin(db, &meta, &run_id) < 0 ||
	    db_run_set_varying(db, run_id, s->vary, s->nvary) < 0) {
		fprintf(stderr, "socklab run: %s: %s\n", o->db_path, db_errmsg(db));
		db_close(db);
		free(cs);
		return CLI_FAILED;
	}
	pthread_mutex_init(&pg.lock, NULL);
	pthread_cond_init(&pg.cond, NULL);
	bool live = o->tty && !o->quiet &&
		    pthread_create(&pg.thread, NULL, progress_main, &pg) == 0;

	/* Repeats are interleaved: the whole matrix once, then again, so that
	 * a slow drift of a shared machine lands between the repeats of every
	 * case (where report --compare sees it as noise) and not between
	 * cases. */
	unsigned reps = s->repeat ? s->repeat : 1;
	for (unsigned r = 0; r < reps && !atomic_load(o->cancel); r++) {
		for (size_t i = 0; i < s->ncases && !atomic_load(o->cancel); i++) {
			struct case_out *co = &cs[done];
			co->index = done;
			co->c = &s->cases[i];
			co->rep = r;
			co->run_id = run_id;
			struct db_param *dp = calloc(co->c->nparams + 1, sizeof(*dp));
			char repbuf[16];
			int64_t case_id;
			if (!dp)
				break;
			for (size_t k = 0; k < co->c->nparams; k++)
				dp[k] = (struct db_param){co->c->params[k].key, co->c->params[k].value};
			size_t np = co->c->nparams;
			if (reps > 1) {
				snprintf(repbuf, sizeof(repbuf), "%u", r);
				dp[np++] = (struct db_param){"repeat", repbuf};
			}
			int rc = db_case_begin(db, run_id, done, dp, np, &case_id);
			free(dp);
			if (rc < 0) {
				fprintf(stderr, "socklab run: store: %s\n", db_errmsg(db));
				break;
			}
			char *label = scn_case_label(s, co->c);
			char head[600];
			snprintf(head, sizeof(head), "[%zu/%zu] %s%s", done + 1, total,
				 label && *label ? label : s->name, reps > 1 ? "" : "");
			if (reps > 1)
				snprintf(head + strlen(head), sizeof(head) - strlen(head), " #%u", r + 1);
			free(label);
			run_case(s, co, db, case_id, o, &pg, head);
			done++;
		}
	}

	if (live) {
		pthread_mutex_lock(&pg.lock);
		pg.quit = true;
		pthread_cond_signal(&pg.cond);
		pthread_mutex_unlock(&pg.lock);
		pthread_join(pg.thread, NULL);
	}
	pthread_cond_destroy(&pg.cond);
	pthread_mutex_destroy(&pg.lock);

	enum db_status st = DB_OK;
	for (size_t i = 0; i < done; i++) {
		if (cs[i].status == DB_ERROR)
			st = DB_ERROR;
		else if (cs[i].status == DB_FAILED && st == DB_OK)
			st = DB_FAILED;
	}
	if (atomic_load(o->cancel))
		st = DB_INTERRUPTED;
	else if (done < total)
		st = DB_ERROR;
	db_run_end(db, run_id, st);
	db_close(db);

	if (o->json)
		summary_json(s, cs, done, run_id, st, o);
	else
		summary_text(s, cs, done, run_id, st, o);
	fflush(o->out);
	free(cs);
	switch (st) {
	case DB_OK: return CLI_OK;
	case DB_INTERRUPTED: return CLI_INTERRUPTED;
	default: return CLI_FAILED;
	}
}
