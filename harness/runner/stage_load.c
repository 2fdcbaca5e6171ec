/*
 * harness/runner/stage_load.c — the clients: the warmup, then the measured
 * phase, with the load engine in-process (clients/engine.h) and the case's
 * typed settings (scn_settings: no argv, no flag parsing), inside the
 * pair's client namespace when there is one (the engine's threads inherit
 * the calling thread's). After the measured phase it derives the
 * threshold metrics, and stores them with the engine's counters, the
 * latency histogram and the threshold verdicts.
 */
#include "harness/runner/stage.h"

#include "harness/netns/netns.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct load_st {
	bool target_set;   /* set_target done (the first phase) */
	bool have_res;     /* rc->res is the engine's, to free */
};

/* Where the clients go, checked as `socklab load` checks --target: the
 * settings' own checks, and loopback unless inside our own pair. */
static int set_target(struct run_case *rc)
{
	char e[320], as[NET_ADDRSTRLEN];
	if (scn_settings_target(&rc->set, rc->target, e, sizeof(e)) < 0)
		return run_case_fail(rc, -EINVAL, "%s", e);
	const struct net_addr *t = &rc->set.load.target;
	if (!net_proto_is_unix(rc->set.load.proto) && !net_addr_is_loopback(t) &&
	    !netns_target_allowed(t))
		return run_case_fail(rc, -EINVAL, "target.address: %s is not loopback; socklab "
				     "only loads its own host", net_addr_str(t, as, sizeof(as)));
	return 0;
}

/* One phase in the client namespace (the target is checked there, once).
 * -ECANCELED when interrupted before. *got: res holds what it measured
 * (also when leaving the namespace then failed: nothing measured is lost). */
static int phase(struct run_case *rc, struct load_st *ld, bool warm, struct ld_result *res,
		 bool *got)
{
	char e[512];
	int saved = -1, r = 0;
	*got = false;
	if (rc->ns_client && netns_enter(rc->ns_client, &saved, e, sizeof(e)) < 0)
		return run_case_fail(rc, -EIO, "%s", e);
	if (!ld->target_set)
		r = set_target(rc);
	ld->target_set = r == 0;
	struct ld_config *cfg = warm ? &rc->set.warmup : &rc->set.load;
	cfg->cancel = rc->cancel;
	cfg->live_replies = rc->live;
	cfg->log_capacity = warm ? 0 : rc->client_log;
	if (r == 0 && rc->cancel && atomic_load(rc->cancel))
		r = -ECANCELED;
	if (r == 0 && (r = ld_run(cfg, res, e, sizeof(e))) < 0)
		run_case_fail(rc, r, "%s", e);
	int left = run_case_leave_ns(rc, saved);
	if (r == 0 && res->unreachable) {
		ld_result_free(res);
		return run_case_fail(rc, -ECONNREFUSED, "target %s refused every client",
				     rc->target);
	}
	*got = r == 0;
	return r < 0 ? r : left;
}

static int warmup(struct run_case *rc, void *priv)
{
	struct ld_result res;
	bool got;
	if (!rc->s->warmup_ns)
		return 0;
	int r = phase(rc, priv, true, &res, &got);
	if (got) {
		rc->warmed = true;
		rc->warm_udp = res.udp;
		ld_result_free(&res);
	}
	return r;
}

static int measure(struct run_case *rc, void *priv)
{
	struct load_st *ld = priv;
	bool got;
	int r = phase(rc, ld, false, &rc->res, &got);
	ld->have_res = rc->measured = got;
	rc->cfg = &rc->set.load;
	return r;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* The threshold metrics of the measured phase. */
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

static int after_measure(struct run_case *rc, void *priv)
{
	(void)priv;
	if (rc->measured)
		derive(&rc->res, !net_proto_is_stream(rc->cfg->proto), rc->out->m);
	return 0;
}

static int store_hist(struct db *db, int64_t id, const struct hist *h)
{
	size_t n = 0, cap = 256;
	struct db_bucket *b = malloc(cap * sizeof(*b));
	struct hist_iter it = {0};
	if (!b)
		return -ENOMEM;
	while (hist_next(h, &it)) {
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
	int rc = db_case_hist(db, id, DB_H_LATENCY_NS, b, n);
	free(b);
	return rc;
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
	return rc == 0 && r->latency.total ? store_hist(db, id, &r->latency) : rc;
}

/* The metrics, then each threshold's verdict on them. */
static int store(struct run_case *rc, void *priv)
{
	struct run_out *o = rc->out;
	(void)priv;
	if (!rc->measured)
		return 0;
	int r = store_metrics(rc->db, rc->case_id, &rc->res, o->m,
			      !net_proto_is_stream(rc->cfg->proto));
	for (size_t t = 0; t < rc->s->nthresholds && r == 0; t++) {
		const struct scn_threshold *th = &rc->s->thresholds[t];
		double v = o->m[th->metric];
		o->failed[t] = isnan(v) || !scn_threshold_ok(th, v);
		o->nfailed += o->failed[t];
		r = db_case_threshold(rc->db, rc->case_id, th->text, !o->failed[t], v);
	}
	return r;
}

static void teardown(struct run_case *rc, void *priv)
{
	struct load_st *ld = priv;
	if (ld->have_res)
		ld_result_free(&rc->res);
	ld->have_res = false;
}

const struct run_stage run_stage_load = {
	.name = "load",
	.priv_size = sizeof(struct load_st),
	.before_measure = warmup,
	.measure = measure,
	.after_measure = after_measure,
	.store = store,
	.teardown = teardown,
};
