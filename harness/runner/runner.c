/*
 * harness/runner/runner.c — the case loop of `socklab run`: open the store,
 * run every case of the matrix (times repeat) through the stage table
 * (stages.c), give each its status and error, report progress, and print
 * the run's summary. Nothing here writes to stderr: progress, warnings and
 * the summary go to the streams of struct run_opts, errors back to the
 * caller.
 */
#include "harness/runner/runner.h"

#include "harness/runner/stage.h"
#include "harness/netns/netns.h"
#include "harness/store/store.h"
#include "net/clock.h"
#include "util/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

/* A line of its own (a warning, an error of the run), clearing the live
 * line first; printed even with quiet, as errors are. */
static void progress_line(void *arg, const char *line)
{
	struct progress *p = arg;
	pthread_mutex_lock(&p->lock);
	fprintf(p->o->progress, "%ssocklab run: %s\n", p->o->tty && !p->o->quiet ? "\r\033[K" : "",
		line);
	fflush(p->o->progress);
	pthread_mutex_unlock(&p->lock);
}

static void progress_warn(void *arg, const char *msg)
{
	char line[700];
	snprintf(line, sizeof(line), "warning: %s", msg);
	progress_line(arg, line);
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

/* ---------------------------------------------------------------- a case */

static uint64_t phase_ns(const struct run_case *rc)
{
	return rc->s->warmup_ns + rc->set.load.duration_ns;
}

static enum db_status status_of(const struct run_case *rc, const atomic_int *cancel)
{
	if (rc->rc == RUN_STAGE_SKIP)
		return DB_SKIPPED;
	if (atomic_load(cancel))
		return DB_INTERRUPTED;
	if (rc->rc < 0 || rc->db_rc < 0)
		return DB_ERROR;
	return rc->out->nfailed ? DB_FAILED : DB_OK;
}

static void verdict_of(const struct run_out *co, char *buf, size_t len)
{
	if (co->status == DB_OK || co->status == DB_FAILED)
		snprintf(buf, len, "%.0f req/s  p99 %.0f us  errors %.0f%s",
			 co->m[SCN_M_THROUGHPUT_RPS], co->m[SCN_M_P99_US], co->m[SCN_M_ERRORS],
			 co->nfailed ? "  THRESHOLD FAILED" : "");
	else
		snprintf(buf, len, "%s%s%s", db_status_name(co->status),
			 co->error[0] ? ": " : "", co->error);
}

/* End the case in the store. When that fails (a full disk), nothing of
 * the case is stored as shown: the case is an error, said so, and the
 * caller ends the run. 0 or the store's -errno. */
static int case_end(struct db *db, int64_t case_id, struct run_out *co)
{
	int rc = db_case_end(db, case_id, co->status, co->error[0] ? co->error : NULL);
	if (rc < 0) {
		co->unstored = true;
		co->status = DB_ERROR;
		snprintf(co->error, sizeof(co->error), "not stored: %s", db_errmsg(db));
	}
	return rc;
}

/* Run one case once through the stages, then record its status. 0, or the
 * store's -errno when the case could not be stored. */
static int run_case(const struct scn *s, struct run_out *co, struct db *db, int64_t run_id,
		     int64_t case_id, const struct run_opts *o, struct progress *pg,
		     const char *label)
{
	struct scn_error se;
	struct run_case *rc = calloc(1, sizeof(*rc));
	char verdict[640];
	for (int i = 0; i < SCN_M_COUNT; i++)
		co->m[i] = NAN;
	if (!rc) {
		snprintf(co->error, sizeof(co->error), "out of memory");
		co->status = DB_ERROR;
		return case_end(db, case_id, co);
	}
	*rc = (struct run_case){.s = s, .c = co->c, .out = co, .db = db, .run_id = run_id,
				.case_id = case_id, .cancel = o->cancel, .live = &pg->replies,
				.warn = progress_warn, .warn_arg = pg};
	if (scn_case_settings(s, co->c, &rc->set, &se) < 0)
		run_case_fail(rc, -EINVAL, "%s: %s", se.path, se.msg);
	if (rc->set.target)   /* a target scenario's own; the stages may replace it */
		snprintf(rc->target, sizeof(rc->target), "%s", rc->set.target);
	progress_begin(pg, label, phase_ns(rc));
	if (rc->rc == 0)
		run_stages(run_stage_table, run_stage_count, rc);
	co->status = status_of(rc, o->cancel);
	if (rc->db_rc < 0 && !rc->err[0])
		snprintf(rc->err, sizeof(rc->err), "store: %s", db_errmsg(db));
	snprintf(co->error, sizeof(co->error), "%s", rc->err);
	int stored = case_end(db, case_id, co);
	verdict_of(co, verdict, sizeof(verdict));
	progress_end(pg, verdict);
	free(rc);
	return stored;
}

/* ---------------------------------------------------------------- summary */

static void case_json(FILE *f, const struct scn *s, const struct run_out *co)
{
	struct db_param vp[64];
	size_t nv = 0;
	char *params = NULL;
	for (size_t k = 0; k < s->nvary && nv < 64; k++)
		vp[nv++] = (struct db_param){s->vary[k], scn_case_get(co->c, s->vary[k])};
	fprintf(f, "{\"index\":%zu,\"repeat\":%u,\"status\":\"%s\",\"params\":%s,\"metrics\":{",
		co->index, co->rep, db_status_name(co->status),
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
	if (co->unstored)
		fprintf(f, ",\"stored\":false");
	if (co->error[0]) {   /* why, for error and skipped */
		fprintf(f, ",\"error\":");
		net_json_fputs(f, co->error);
	}
	for (size_t k = 0; k < run_stage_count; k++)
		if (co->priv[k] && run_stage_table[k]->summary_json)
			run_stage_table[k]->summary_json(f, co->priv[k]);
	fprintf(f, "}");
}

static void summary_json(const struct scn *s, const struct run_out *cs, size_t n,
			 int64_t run_id, enum db_status st, const char *unstored,
			 const struct run_opts *o)
{
	FILE *f = o->out;
	fprintf(f, "{\"run_id\":%" PRId64 ",\"status\":\"%s\",\"db\":", run_id, db_status_name(st));
	net_json_fputs(f, o->db_path);
	if (unstored) {   /* not everything shown is in the store */
		fprintf(f, ",\"stored\":false,\"store_error\":");
		net_json_fputs(f, unstored);
	}
	fprintf(f, ",\"cases\":[");
	for (size_t i = 0; i < n; i++) {
		fputs(i ? "," : "", f);
		case_json(f, s, &cs[i]);
	}
	fprintf(f, "]}\n");
}

static void case_text(FILE *f, const struct scn *s, const struct run_out *co)
{
	static const int cols[] = {SCN_M_THROUGHPUT_RPS, SCN_M_P50_US, SCN_M_P99_US,
				   SCN_M_P999_US, SCN_M_ERRORS, SCN_M_LOSS_PCT};
	static const int width[] = {12, 10, 10, 10, 8, 7};
	char *label = scn_case_label(s, co->c);
	fprintf(f, "%-4zu %-44.44s", co->index, label && *label ? label : "-");
	free(label);
	for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
		double v = co->m[cols[k]];
		/* Not measured (an errored case, loss on TCP): a dash. */
		if (isnan(v))
			fprintf(f, " %*s", width[k], "-");
		else
			fprintf(f, " %*.*f", width[k], cols[k] == SCN_M_LOSS_PCT ? 2 : 0, v);
	}
	fprintf(f, "  %s%s\n", db_status_name(co->status), co->unstored ? " (NOT STORED)" : "");
	for (size_t t = 0; t < s->nthresholds; t++)
		if (co->failed[t])
			fprintf(f, "     threshold failed: %s (measured %g)\n",
				s->thresholds[t].text, co->m[s->thresholds[t].metric]);
	for (size_t k = 0; k < run_stage_count; k++)
		if (co->priv[k] && run_stage_table[k]->summary_text)
			run_stage_table[k]->summary_text(f, co->priv[k]);
	if (co->error[0])
		fprintf(f, "     %s\n", co->error);
}

static void summary_text(const struct scn *s, const struct run_out *cs, size_t n,
			 int64_t run_id, enum db_status st, const char *unstored,
			 const struct run_opts *o)
{
	FILE *f = o->out;
	if (unstored)
		fprintf(f, "\n%s: run %" PRId64 " %s, %zu case%s, NOT all stored in %s: %s\n",
			s->name, run_id, db_status_name(st), n, n == 1 ? "" : "s", o->db_path,
			unstored);
	else
		fprintf(f, "\n%s: run %" PRId64 " %s, %zu case%s, stored in %s\n", s->name,
			run_id, db_status_name(st), n, n == 1 ? "" : "s", o->db_path);
	fprintf(f, "%-4s %-44s %12s %10s %10s %10s %8s %7s  %s\n", "case", "parameters",
		"req/s", "p50 us", "p99 us", "p99.9 us", "errors", "loss %", "status");
	for (size_t i = 0; i < n; i++)
		case_text(f, s, &cs[i]);
}

/* ---------------------------------------------------------------- run */

/* One run in the store: its cases' outputs, the progress line. */
struct run {
	const struct scn *s;
	const struct run_opts *o;
	struct db *db;
	int64_t run_id;
	struct run_out *cs;
	size_t total, done;
	unsigned reps;
	struct progress pg;
	bool live;
	char unstored[600];          /* the first store write that failed; "" none */
};

/* The case's parameters, and its repeat when there are several. */
static int case_begin(struct run *R, const struct scn_case *c, unsigned r, int64_t *case_id)
{
	struct db_param *dp = calloc(c->nparams + 1, sizeof(*dp));
	char repbuf[16];
	if (!dp)
		return -ENOMEM;
	for (size_t k = 0; k < c->nparams; k++)
		dp[k] = (struct db_param){c->params[k].key, c->params[k].value};
	size_t np = c->nparams;
	if (R->reps > 1) {
		snprintf(repbuf, sizeof(repbuf), "%u", r);
		dp[np++] = (struct db_param){"repeat", repbuf};
	}
	int rc = db_case_begin(R->db, R->run_id, R->done, dp, np, case_id);
	free(dp);
	return rc;
}

/* "[2/6] model=epoll count=10 #2" */
static void case_head(const struct run *R, const struct scn_case *c, unsigned r, char *head,
		      size_t len)
{
	char *label = scn_case_label(R->s, c);
	snprintf(head, len, "[%zu/%zu] %s", R->done + 1, R->total,
		 label && *label ? label : R->s->name);
	if (R->reps > 1)
		snprintf(head + strlen(head), len - strlen(head), " #%u", r + 1);
	free(label);
}

/* Repeats are interleaved: the whole matrix once, then again, so that a
 * slow drift of a shared machine lands between the repeats of every case
 * (where report --compare sees it as noise) and not between cases. */
static void run_matrix(struct run *R)
{
	char head[600], line[640];
	int64_t case_id;
	for (unsigned r = 0; r < R->reps && !atomic_load(R->o->cancel); r++) {
		for (size_t i = 0; i < R->s->ncases && !atomic_load(R->o->cancel); i++) {
			struct run_out *co = &R->cs[R->done];
			*co = (struct run_out){.index = R->done, .c = &R->s->cases[i], .rep = r};
			if (case_begin(R, co->c, r, &case_id) < 0) {
				snprintf(R->unstored, sizeof(R->unstored), "case %zu could not "
					 "begin: %s", R->done, db_errmsg(R->db));
				snprintf(line, sizeof(line), "store: %s", R->unstored);
				progress_line(&R->pg, line);
				return;
			}
			case_head(R, co->c, r, head, sizeof(head));
			int stored = run_case(R->s, co, R->db, R->run_id, case_id, R->o, &R->pg,
					      head);
			R->done++;
			/* A store that fails once (a full disk) takes no more: end
			 * the run there; the cases before it stay stored. */
			if (stored < 0) {
				snprintf(R->unstored, sizeof(R->unstored), "case %zu %s", co->index,
					 co->error);
				return;
			}
		}
	}
}

/* Open the store and begin the run. 0, or -errno with err (*usage: the
 * --db path is at fault). */
static int run_open(struct run *R, char *err, size_t errlen, bool *usage)
{
	char e[512];
	int reaped = 0;
	unsigned ns_reaped = 0;
	int rc = db_open(R->o->db_path, &R->db, e, sizeof(e));
	if (rc < 0) {
		*usage = true;
		snprintf(err, errlen, "--db: %s", e);
		return rc;
	}
	db_run_reap_stale(R->db, &reaped);
	if (netns_reap_stale(&ns_reaped) == 0 && ns_reaped && !R->o->quiet)
		fprintf(R->o->progress, "socklab run: removed %u network namespace%s left by a "
			"runner that died\n", ns_reaped, ns_reaped == 1 ? "" : "s");
	struct db_run_meta meta = {.name = R->s->name, .scenario_path = R->s->file,
				   .scenario_text = R->s->text};
	if ((rc = db_run_begin(R->db, &meta, &R->run_id)) < 0 ||
	    (rc = db_run_set_varying(R->db, R->run_id, R->s->vary, R->s->nvary)) < 0) {
		snprintf(err, errlen, "%s: %s", R->o->db_path, db_errmsg(R->db));
		db_close(R->db);
		return rc;
	}
	return 0;
}

static void progress_start(struct run *R)
{
	R->pg.o = R->o;
	pthread_mutex_init(&R->pg.lock, NULL);
	pthread_cond_init(&R->pg.cond, NULL);
	R->live = R->o->tty && !R->o->quiet &&
		  pthread_create(&R->pg.thread, NULL, progress_main, &R->pg) == 0;
}

static void progress_stop(struct run *R)
{
	if (R->live) {
		pthread_mutex_lock(&R->pg.lock);
		R->pg.quit = true;
		pthread_cond_signal(&R->pg.cond);
		pthread_mutex_unlock(&R->pg.lock);
		pthread_join(R->pg.thread, NULL);
	}
	pthread_cond_destroy(&R->pg.cond);
	pthread_mutex_destroy(&R->pg.lock);
}

static enum db_status run_status(const struct run *R)
{
	enum db_status st = DB_OK;
	for (size_t i = 0; i < R->done; i++) {
		if (R->cs[i].status == DB_ERROR)
			st = DB_ERROR;
		else if (R->cs[i].status == DB_FAILED && st == DB_OK)
			st = DB_FAILED;
	}
	if (atomic_load(R->o->cancel))
		return DB_INTERRUPTED;
	return R->done < R->total ? DB_ERROR : st;
}

/* End the run in the store and close it; a failure of either (the final
 * commit) is the run's first unstored write unless one came before. */
static void run_close(struct run *R, enum db_status st)
{
	char e[512] = "";
	if (db_run_end(R->db, R->run_id, st) < 0)
		snprintf(e, sizeof(e), "the run's end: %s", db_errmsg(R->db));
	if (db_close(R->db) < 0 && !e[0])
		snprintf(e, sizeof(e), "the final commit failed");
	if (e[0] && !R->unstored[0])
		snprintf(R->unstored, sizeof(R->unstored), "%s", e);
}

static void run_free(struct run *R)
{
	for (size_t i = 0; i < R->done; i++)
		for (size_t k = 0; k < RUN_MAX_STAGES; k++)
			free(R->cs[i].priv[k]);
	free(R->cs);
}

int run_scenario(const struct scn *s, const struct run_opts *o, struct run_result *res,
		 char *err, size_t errlen)
{
	struct run R = {.s = s, .o = o, .reps = s->repeat ? s->repeat : 1};
	R.total = s->ncases * R.reps;
	*res = (struct run_result){.status = DB_ERROR};
	if (!(R.cs = calloc(R.total ? R.total : 1, sizeof(*R.cs)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = run_open(&R, err, errlen, &res->usage);
	if (rc < 0) {
		free(R.cs);
		return rc;
	}
	progress_start(&R);
	run_matrix(&R);
	progress_stop(&R);
	res->status = run_status(&R);
	res->run_id = R.run_id;
	run_close(&R, res->status);
	const char *unstored = R.unstored[0] ? R.unstored : NULL;
	if (unstored && res->status != DB_INTERRUPTED)
		res->status = DB_ERROR;   /* what the store could not record */
	if (o->json)
		summary_json(s, R.cs, R.done, R.run_id, res->status, unstored, o);
	else
		summary_text(s, R.cs, R.done, R.run_id, res->status, unstored, o);
	fflush(o->out);
	if ((res->unstored = unstored != NULL))
		snprintf(err, errlen, "%s: not stored: %s", o->db_path, unstored);
	run_free(&R);
	return 0;
}
