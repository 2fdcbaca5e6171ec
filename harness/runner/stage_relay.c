/*
 * harness/runner/stage_relay.c — the relay of a `socklab run` case: started
 * as a second child between the clients and the server (or the target),
 * like the server itself (harness/runner/child.h), with the case's
 * generated `socklab relay` argv; the clients and the capture's client leg
 * go to it. It is stopped first, so that what it still delays goes out and
 * its counters are final, and its "stats {...}" counters are stored as
 * relay.* metrics: every numeric key of the stats line, so a counter added
 * to the relay reaches the store without touching this file. Its summary
 * line compares them with what the clients and the server counted.
 */
#include "harness/runner/stage.h"

#include "harness/runner/child.h"
#include "util/cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RELAY_START_MS 5000
#define RELAY_STOP_MS 10000

/* The relay's line in the run's summary. */
struct rly_case_sum {
	bool on;                     /* the case had a relay that reported */
	bool udp;
	double dropped, duplicated, reordered, rate_dropped;  /* UDP */
	double rcvbuf_dropped, send_failed;                   /* UDP, NAN: unknown */
	double chunks, bytes_c2s, resets;                      /* TCP */
	double sent, errors;         /* the clients' messages, errors (measured phase) */
	double lost, dups, late;     /* UDP: the clients' tracker (lost, dups, reordered) */
	double srv_msgs, srv_bytes;  /* server.requests, server.bytes_in; NAN: unknown */
};

struct relay_st {
	struct child *ch;
	struct rly_case_sum sum;
	char *cmd;           /* its command line, stored (also when it failed to start) */
};

static int store_stats(struct db *db, int64_t case_id, const struct child *rly)
{
	const char *p = rly->stats;
	int rc = 0;

	/* A flat object of "key":number (and "proto":"udp", skipped). */
	while (rc == 0 && (p = strchr(p, '"')) != NULL) {
		const char *k = p + 1, *e = strchr(k, '"');
		if (!e)
			break;
		p = e + 1;
		if (*p != ':')
			continue;   /* a string value, or the end of one */
		p++;
		if (!(isdigit((unsigned char)*p) || *p == '-'))
			continue;
		char *end;
		double v = strtod(p, &end);
		if (end == p || e - k > 48)
			continue;
		char name[64];
		snprintf(name, sizeof(name), "relay.%.*s", (int)(e - k), k);
		rc = db_case_metric(db, case_id, name, v);
		p = end;
	}
	return rc;
}

static double stat_or_nan(const struct child *c, const char *key)
{
	double v;
	return c && c->stats[0] && child_stat(c, key, &v) ? v : NAN;
}

/* From the stopped relay, the stopped server (NULL for a target) and the
 * case's threshold metrics m[SCN_M_COUNT] (NAN: not measured). */
static void sum_of(struct rly_case_sum *o, const struct child *rly, const struct child *srv,
		   const double *m)
{
	memset(o, 0, sizeof(*o));
	o->on = rly->stats[0] != 0;
	o->udp = strstr(rly->stats, "\"proto\":\"udp\"") != NULL;
	o->dropped = stat_or_nan(rly, "dropped");
	o->duplicated = stat_or_nan(rly, "duplicated");
	o->reordered = stat_or_nan(rly, "reordered");
	o->rate_dropped = stat_or_nan(rly, "rate_dropped");
	o->rcvbuf_dropped = stat_or_nan(rly, "rcvbuf_dropped");
	o->send_failed = stat_or_nan(rly, "send_failed");
	o->chunks = stat_or_nan(rly, "chunks");
	o->bytes_c2s = stat_or_nan(rly, "bytes_c2s");
	o->resets = stat_or_nan(rly, "resets");
	o->sent = m[SCN_M_REQUESTS];
	o->errors = m[SCN_M_ERRORS];
	o->lost = round(m[SCN_M_LOSS_PCT] * m[SCN_M_REQUESTS] / 100.0);
	o->dups = m[SCN_M_DUPS];
	o->late = m[SCN_M_REORDERED];
	o->srv_msgs = stat_or_nan(srv, "requests");
	o->srv_bytes = stat_or_nan(srv, "bytes_in");
}

static void summary_text(FILE *f, const void *priv)
{
	const struct rly_case_sum *o = &((const struct relay_st *)priv)->sum;
	if (!o->on)
		return;
	if (o->udp) {
		/* What the relay did, and what the clients' tracker saw of it. */
		fprintf(f, "     relay: dropped %.0f + rate-dropped %.0f", o->dropped, o->rate_dropped);
		/* The relay's own losses, not its impairment: its socket's
		 * receive buffer overflowed, or its forwarding send failed. */
		if (o->rcvbuf_dropped > 0)
			fprintf(f, " + socket-dropped %.0f", o->rcvbuf_dropped);
		if (o->send_failed > 0)
			fprintf(f, " + send-failed %.0f", o->send_failed);
		fprintf(f, " (clients lost %.0f), duplicated %.0f (clients got %.0f twice), "
			"reordered %.0f (clients saw %.0f out of order)\n", o->lost, o->duplicated,
			o->dups, o->reordered, o->late);
		return;
	}
	fprintf(f, "     relay: %.0f bytes to the server in %.0f writes", o->bytes_c2s, o->chunks);
	if (o->resets > 0)
		fprintf(f, ", %.0f reset", o->resets);
	/* What the server made of them: its requests are messages for a
	 * framed handler, reads for a raw one or framing none. */
	if (!isnan(o->srv_msgs) && o->srv_msgs > 0 && !isnan(o->sent) && o->sent > 0) {
		fprintf(f, "; the server counted %.0f messages for %.0f sent (%.0f bytes each, "
			"%.0f sent)", o->srv_msgs, o->sent, o->srv_bytes / o->srv_msgs,
			o->bytes_c2s / o->sent);
		if (o->srv_msgs == o->sent && o->errors == 0)
			fprintf(f, ": every message intact");
		else if (o->srv_msgs > o->sent)
			fprintf(f, ": message boundaries lost");
	}
	fprintf(f, "\n");
}

static bool wanted(const struct run_case *rc)
{
	return rc->s->has_relay;
}

/* In front of rc->target (the server's, or target.address). */
static int begin(struct run_case *rc, void *priv)
{
	struct relay_st *r = priv;
	char **argv = NULL;
	char why[400];
	const char *to = rc->target[0] ? rc->target : NULL;
	if (!(r->ch = calloc(1, sizeof(*r->ch))))
		return run_case_fail(rc, -ENOMEM, "relay: out of memory");
	r->ch->pid = -1;
	r->ch->out = -1;
	int e = scn_case_relay_argv(rc->s, rc->c, "socklab", to, &argv);
	if (e < 0)
		return run_case_fail(rc, e, "could not build the relay command: %s", strerror(-e));
	if ((e = cmdline_join(argv, &r->cmd)) < 0) {
		scn_argv_free(argv);
		return run_case_fail(rc, e, "relay: out of memory");
	}
	e = child_start(r->ch, argv, RELAY_START_MS, why, sizeof(why));
	scn_argv_free(argv);
	if (e < 0)
		return run_case_fail(rc, e, "%s", why);   /* "socklab relay exited ..." */
	snprintf(rc->behind, sizeof(rc->behind), "%s", to ? to : "");
	snprintf(rc->target, sizeof(rc->target), "%s", r->ch->addr);
	return 0;
}

static int after_measure(struct run_case *rc, void *priv)
{
	struct relay_st *r = priv;
	if (r->ch && child_stop(r->ch, RELAY_STOP_MS) < 0 && run_case_ok(rc))
		return run_case_fail(rc, -ECHILD, "relay did not exit cleanly");
	return 0;
}

static int store(struct run_case *rc, void *priv)
{
	struct relay_st *r = priv;
	int e = r->cmd ? db_case_command(rc->db, rc->case_id, DB_CHILD_RELAY, r->cmd) : 0;
	if (e < 0 || !r->ch)
		return e;
	/* The server's counts cover the warmup too: compare them with the
	 * measured requests only when there was none. */
	sum_of(&r->sum, r->ch, rc->s->warmup_ns ? NULL : rc->srv, rc->out->m);
	return r->ch->stats[0] ? store_stats(rc->db, rc->case_id, r->ch) : 0;
}

static void teardown(struct run_case *rc, void *priv)
{
	struct relay_st *r = priv;
	(void)rc;
	if (r->ch)
		(void)child_stop(r->ch, RELAY_STOP_MS);
	free(r->ch);
	r->ch = NULL;
	free(r->cmd);
	r->cmd = NULL;
}

const struct run_stage run_stage_relay = {
	.name = "relay",
	.priv_size = sizeof(struct relay_st),
	.wanted = wanted,
	.begin = begin,
	.after_measure = after_measure,
	.store = store,
	.teardown = teardown,
	.summary_text = summary_text,
};
