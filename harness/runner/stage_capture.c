/*
 * harness/runner/stage_capture.c — the case's packet capture
 * (capture.enabled; harness/runner/capture_case.c does the work): started
 * after the warmup, on the pair's client veth when there is one (a pcap
 * handle stays bound to the namespace it was opened in), stopped and
 * stored after the server stopped, so it covers the measured phase and the
 * server's shutdown and nothing of the warmup. A capture that cannot start
 * is a warning, and the case records capture_status 'unavailable'.
 */
#include "harness/runner/stage.h"

#include "harness/capture/capture.h"
#include "harness/netns/netns.h"

#include <errno.h>

static bool wanted(const struct run_case *rc)
{
	return rc->s->capture.enabled;
}

static int before_measure(struct run_case *rc, void *priv)
{
	char e[512];
	int saved = -1;
	(void)priv;
	if (rc->ns_client && netns_enter(rc->ns_client, &saved, e, sizeof(e)) < 0)
		return run_case_fail(rc, -EIO, "%s", e);
	int r = cap_case_start_via(&rc->cap, rc->s, rc->c, rc->target[0] ? rc->target : NULL,
				   rc->behind[0] ? rc->behind : NULL,
				   rc->ns_client ? NETNS_CLIENT_IFACE : NULL, rc->out->index, e,
				   sizeof(e));
	int left = run_case_leave_ns(rc, saved);
	cap_case_set_run(rc->cap, rc->run_id);
	if (left < 0)
		return left;
	if (r < 0)
		run_case_warn(rc, "capture unavailable: %s; the case runs without it", e);
	return 0;
}

/* Stops it first: the server has stopped by now. */
static int store(struct run_case *rc, void *priv)
{
	(void)priv;
	return rc->cap ? cap_case_store(rc->cap, rc->db, rc->case_id) : 0;
}

/* Before the pair goes: its socket holds the namespace. */
static void teardown(struct run_case *rc, void *priv)
{
	(void)priv;
	cap_case_stop(rc->cap);
	cap_case_free(rc->cap);
	rc->cap = NULL;
}

const struct run_stage run_stage_capture = {
	.name = "capture",
	.wanted = wanted,
	.before_measure = before_measure,
	.store = store,
	.teardown = teardown,
};
