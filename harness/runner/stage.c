/*
 * harness/runner/stage.c — the loop that runs a case's stages (stage.h):
 * begin forward until one fails or skips, warmup and measure only when all
 * began, then wind down in reverse, store, finish, and tear down in
 * reverse every stage whose begin was called, whatever happened. Also the
 * case's first error and its warnings.
 */
#include "harness/runner/stage.h"

#include "harness/netns/netns.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int run_case_fail(struct run_case *rc, int code, const char *fmt, ...)
{
	if (rc->rc != 0 || code >= 0)
		return code;
	rc->rc = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rc->err, sizeof(rc->err), fmt, ap);
	va_end(ap);
	return code;
}

void run_case_warn(struct run_case *rc, const char *fmt, ...)
{
	char msg[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rc->warn)
		rc->warn(rc->warn_arg, msg);
}

bool run_case_ok(const struct run_case *rc)
{
	return rc->rc == 0 && !(rc->cancel && atomic_load(rc->cancel));
}

static bool cancelled(struct run_case *rc)
{
	if (!rc->cancel || !atomic_load(rc->cancel))
		return false;
	if (rc->rc == 0)
		rc->rc = -ECANCELED;   /* no text: the status says interrupted */
	return true;
}

typedef int (*hook_fn)(struct run_case *, void *);

/* One case's pass state: which stages apply, how many begins were called. */
struct pass {
	const struct run_stage *const *t;
	size_t n, begun;
	bool on[RUN_MAX_STAGES];
};

enum hook { H_BEFORE_MEASURE, H_MEASURE, H_STORE, H_FINISH };

static hook_fn hook_at(const struct run_stage *st, enum hook h)
{
	switch (h) {
	case H_BEFORE_MEASURE: return st->before_measure;
	case H_MEASURE: return st->measure;
	case H_STORE: return st->store;
	case H_FINISH: return st->finish;
	}
	return NULL;
}

/* before_measure, measure: forward over every stage, stop at the first
 * nonzero (a skip, or a failure whose text the stage recorded). */
static int forward(struct pass *p, struct run_case *rc, enum hook which)
{
	for (size_t i = 0; i < p->n; i++) {
		hook_fn h = hook_at(p->t[i], which);
		if (!p->on[i] || !h)
			continue;
		if (cancelled(rc))
			return rc->rc;
		int r = h(rc, rc->out->priv[i]);
		if (r != 0) {
			if (rc->rc == 0)
				rc->rc = r;
			return r;
		}
	}
	return 0;
}

/* Allocate each stage's state and call its begin; p->begun counts the
 * stages whose begin was called, the failing one included. */
static int begin_all(struct pass *p, struct run_case *rc)
{
	for (p->begun = 0; p->begun < p->n; p->begun++) {
		size_t i = p->begun;
		const struct run_stage *st = p->t[i];
		if (!p->on[i])
			continue;
		if (cancelled(rc))
			return rc->rc;
		if (st->priv_size && !(rc->out->priv[i] = calloc(1, st->priv_size)))
			return run_case_fail(rc, -ENOMEM, "%s: out of memory", st->name);
		int r = st->begin ? st->begin(rc, rc->out->priv[i]) : 0;
		if (r != 0) {
			if (rc->rc == 0)
				rc->rc = r;
			p->begun++;   /* its teardown runs too */
			return r;
		}
	}
	return 0;
}

/* after_measure: reverse over the begun stages; the first error is kept. */
static void wind_down(struct pass *p, struct run_case *rc)
{
	for (size_t i = p->begun; i-- > 0;) {
		if (!p->on[i] || !p->t[i]->after_measure)
			continue;
		int r = p->t[i]->after_measure(rc, rc->out->priv[i]);
		if (r < 0 && rc->rc == 0)
			rc->rc = r;
	}
}

/* store, finish: forward over the begun stages until a store error. */
static void store_pass(struct pass *p, struct run_case *rc, enum hook which)
{
	for (size_t i = 0; i < p->begun && rc->db_rc == 0; i++) {
		hook_fn h = hook_at(p->t[i], which);
		if (p->on[i] && h)
			rc->db_rc = h(rc, rc->out->priv[i]);
	}
}

int run_stages(const struct run_stage *const *t, size_t n, struct run_case *rc)
{
	struct pass p = {.t = t, .n = n};
	if (n > RUN_MAX_STAGES)
		return run_case_fail(rc, -E2BIG, "more than %d stages", RUN_MAX_STAGES);
	for (size_t i = 0; i < n; i++)
		p.on[i] = !t[i]->wanted || t[i]->wanted(rc);
	if (begin_all(&p, rc) == 0 &&
	    forward(&p, rc, H_BEFORE_MEASURE) == 0)
		forward(&p, rc, H_MEASURE);
	wind_down(&p, rc);
	store_pass(&p, rc, H_STORE);
	store_pass(&p, rc, H_FINISH);
	for (size_t i = p.begun; i-- > 0;)
		if (p.on[i] && t[i]->teardown)
			t[i]->teardown(rc, rc->out->priv[i]);
	return rc->rc;
}

int run_case_leave_ns(struct run_case *rc, int saved)
{
	int r = netns_leave(saved);
	if (r < 0)
		run_case_fail(rc, r, "setns back to the host namespace: %s", strerror(-r));
	return r;
}
