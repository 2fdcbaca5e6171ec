/*
 * harness/runner/stage_netns.c — the `topology: pair` stage: two network
 * namespaces joined by a veth link (harness/netns/netns.h), made first and
 * removed last. Its names are published for the server (started inside
 * the server namespace), the load and the capture (in the client one).
 * Without root, or without ip/tc/nft, the case is skipped with the reason.
 * After the case it stores what the link's loss rule and tbf dropped,
 * read while the pair still exists.
 */
#include "harness/runner/stage.h"

#include "harness/netns/netns.h"

struct netns_st {
	struct netns_pair pair;
	bool have_dropped, have_rate_dropped;
	uint64_t dropped, rate_dropped;
};

static bool wanted(const struct run_case *rc)
{
	return rc->set.pair;
}

static int begin(struct run_case *rc, void *priv)
{
	struct netns_st *ns = priv;
	char e[sizeof(rc->err)];
	if (netns_available(&rc->set.link, rc->err, sizeof(rc->err)) < 0)
		return RUN_STAGE_SKIP;   /* rc->err says why */
	int r = netns_pair_create(&ns->pair, (unsigned)rc->out->index, &rc->set.link, e,
				  sizeof(e));
	if (r < 0)
		return run_case_fail(rc, r, "%s", e);
	rc->ns_client = ns->pair.client;
	rc->ns_server = ns->pair.server;
	return 0;
}

/* What the link dropped (warmup included), after the server stopped:
 * the kernel's share of the loss, not the sockets'. A counter that cannot
 * be read is a warning; the case's accounting then lacks the term. */
static int after_measure(struct run_case *rc, void *priv)
{
	struct netns_st *ns = priv;
	char e[256] = "";
	if (!rc->measured)
		return 0;
	if (rc->set.link_loss)
		ns->have_dropped = netns_link_dropped(&ns->pair, &ns->dropped, e, sizeof(e)) == 0;
	if (e[0])
		run_case_warn(rc, "%s", e);
	e[0] = '\0';
	if (rc->set.link_rate)
		ns->have_rate_dropped = netns_link_rate_dropped(&ns->pair, &ns->rate_dropped, e,
								sizeof(e)) == 0;
	if (e[0])
		run_case_warn(rc, "%s", e);
	return 0;
}

static int store(struct run_case *rc, void *priv)
{
	struct netns_st *ns = priv;
	int r = 0;
	if (ns->have_dropped)
		r = db_case_metric(rc->db, rc->case_id, "link.dropped", (double)ns->dropped);
	if (r == 0 && ns->have_rate_dropped)
		r = db_case_metric(rc->db, rc->case_id, "link.rate_dropped",
				   (double)ns->rate_dropped);
	return r;
}

/* Last: the capture's socket, closed before, held the namespace. */
static void teardown(struct run_case *rc, void *priv)
{
	struct netns_st *ns = priv;
	char e[512];
	if (netns_pair_destroy(&ns->pair, e, sizeof(e)) < 0)
		run_case_warn(rc, "%s", e);
	rc->ns_client = rc->ns_server = NULL;
}

const struct run_stage run_stage_netns = {
	.name = "netns",
	.priv_size = sizeof(struct netns_st),
	.wanted = wanted,
	.begin = begin,
	.after_measure = after_measure,
	.store = store,
	.teardown = teardown,
};
