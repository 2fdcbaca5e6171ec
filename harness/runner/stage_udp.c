/*
 * harness/runner/stage_udp.c — where every datagram of a case went
 * (harness/capture/udp_acct.h): the server network namespace's
 * RcvbufErrors before the warmup and after the relay stopped (the server
 * still up, its /proc there), the clients' counts of both phases, and
 * after every other stage stored its rows, the udp_accounting row that
 * reads them back. Only a datagram case that was measured is accounted.
 */
#include "harness/runner/stage.h"

#include "harness/capture/udp_acct.h"
#include "harness/runner/child.h"

struct udp_st {
	struct udp_acct a;
	bool begun;
};

static pid_t server_pid(const struct run_case *rc)
{
	return rc->srv ? rc->srv->pid : -1;
}

/* Before the warmup, after the relay started: the clients' leg goes to
 * rc->target, the relay's to rc->behind. */
static int before_measure(struct run_case *rc, void *priv)
{
	struct udp_st *u = priv;
	udp_acct_begin(&u->a, server_pid(rc));
	udp_acct_set_ports(&u->a, rc->target[0] ? rc->target : NULL,
			   rc->behind[0] ? rc->behind : NULL);
	u->begun = true;
	return 0;
}

static int after_measure(struct run_case *rc, void *priv)
{
	struct udp_st *u = priv;
	if (!u->begun)
		return 0;
	udp_acct_end(&u->a, server_pid(rc));
	if (rc->warmed)
		udp_acct_add_client(&u->a, true, rc->warm_udp.sent, rc->warm_udp.refused, 0, 0);
	if (rc->measured && !net_proto_is_stream(rc->cfg->proto)) {
		const struct ld_udp *m = &rc->res.udp;
		u->a.udp = true;
		udp_acct_add_client(&u->a, false, m->sent, m->refused, m->duplicated, m->reordered);
	}
	return 0;
}

static int finish(struct run_case *rc, void *priv)
{
	struct udp_st *u = priv;
	return u->a.udp ? db_case_udp_accounting(rc->db, rc->case_id, &u->a) : 0;
}

static void summary_text(FILE *f, const void *priv)
{
	const struct udp_st *u = priv;
	if (u->a.udp)
		udp_acct_print(f, &u->a);
}

static void summary_json(FILE *f, const void *priv)
{
	const struct udp_st *u = priv;
	if (u->a.udp) {
		fputc(',', f);
		udp_acct_json(f, &u->a);
	}
}

const struct run_stage run_stage_udp = {
	.name = "udp",
	.priv_size = sizeof(struct udp_st),
	.before_measure = before_measure,
	.after_measure = after_measure,
	.finish = finish,
	.summary_text = summary_text,
	.summary_json = summary_json,
};
