/*
 * harness/runner/stage_align.c — the sticky-packet alignment of a case
 * (harness/runner/align_case.h): when the server logs its app events
 * (rc->srv_app_log), the clients keep theirs too; the clocks are read
 * right after the capture started; after the case both logs are put on
 * the capture's clock, matched to its flows and stored. It comes after
 * the capture in the table, so its finish sees the capture's stored flows.
 */
#include "harness/runner/stage.h"

#include "harness/runner/align_case.h"

static int begin(struct run_case *rc, void *priv)
{
	struct al_case *al = priv;
	al_case_begin(al, rc->s, rc->c, rc->srv_app_log);
	rc->client_log = al_case_log_capacity(al);
	return 0;
}

/* Last before the measured phase: after the capture started. */
static int before_measure(struct run_case *rc, void *priv)
{
	(void)rc;
	al_case_clock(priv);
	return 0;
}

static int after_measure(struct run_case *rc, void *priv)
{
	if (rc->measured)
		al_case_take_client(priv, rc->cfg, &rc->res);
	return 0;
}

static int finish(struct run_case *rc, void *priv)
{
	return al_case_store(priv, rc->db, rc->case_id, rc->cap);
}

static void teardown(struct run_case *rc, void *priv)
{
	(void)rc;
	al_case_end(priv);
}

static void summary_text(FILE *f, const void *priv)
{
	al_case_print(f, priv);
}

static void summary_json(FILE *f, const void *priv)
{
	al_case_json(f, priv);
}

const struct run_stage run_stage_align = {
	.name = "align",
	.priv_size = sizeof(struct al_case),
	.begin = begin,
	.before_measure = before_measure,
	.after_measure = after_measure,
	.finish = finish,
	.teardown = teardown,
	.summary_text = summary_text,
	.summary_json = summary_json,
};
