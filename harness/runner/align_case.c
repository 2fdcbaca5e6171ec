/*
 * harness/runner/align_case.c — the runner's glue for the sticky-packet alignment
 * (align_case.h): the server's log file, the client's event log, the
 * clocks, the summary; after the case, the client's events converted for
 * the matching and alignment (harness/capture/align_app.h), whose events
 * and rows the store writes (harness/store/store_align.c).
 */
#include "harness/runner/align_case.h"

#include "clients/engine.h"
#include "harness/capture/align_app.h"
#include "harness/capture/capture.h"
#include "harness/store/store.h"
#include "harness/scenario/scenario.h"
#include "net/clock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool is_true(const char *v)
{
	return v && strcmp(v, "true") == 0;
}

void al_case_begin(struct al_case *al, const struct scn *s, const struct scn_case *c,
		   const char *srv_log)
{
	memset(al, 0, sizeof(*al));
	if (!srv_log)
		return;   /* no log: the case runs as without alignment */
	snprintf(al->log_path, sizeof(al->log_path), "%s", srv_log);
	al->on = true;
	al->capture = s->capture.enabled;
	al->nodelay = is_true(scn_case_get(c, "clients.nodelay"));
	al->cork = is_true(scn_case_get(c, "clients.cork"));
	al->srv_nodelay = is_true(scn_case_get(c, "server.nodelay"));
	/* Handlers that answer every byte with one byte (servers/handler_basic.c). */
	const char *h = scn_case_get(c, "server.handler");
	size_t hl = h ? strcspn(h, ":") : 0;
	static const char *const same[] = {"echo", "upper", "sleep", "spin"};
	al->echo = !h;
	for (size_t i = 0; h && i < sizeof(same) / sizeof(same[0]); i++)
		if (strlen(same[i]) == hl && strncmp(h, same[i], hl) == 0)
			al->echo = true;
}

size_t al_case_log_capacity(const struct al_case *al)
{
	return al->on ? AL_CASE_LOG_EVENTS : 0;
}

void al_case_clock(struct al_case *al)
{
	struct timespec r, m;
	if (!al->on)
		return;
	/* The two reads bracket nothing but each other: ~50 ns apart. */
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	al->mono0 = (uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec;
	al->real_minus_mono = (int64_t)((uint64_t)r.tv_sec * 1000000000u + (uint64_t)r.tv_nsec) -
			      (int64_t)al->mono0;
	al->clock_set = true;
}

void al_case_take_client(struct al_case *al, const struct ld_config *cfg,
			 struct ld_result *res)
{
	if (!al->on)
		return;
	free(al->cev);
	al->cev = res->events;
	al->ncev = res->nevents;
	al->cev_dropped = res->events_dropped;
	res->events = NULL;
	res->nevents = 0;
	al->nodelay = cfg->nodelay;
	al->cork = cfg->cork;
	al->target_port = (uint16_t)net_addr_port(&cfg->target);
	/* A message is what the engine framed (clients/ld_stream.c): a size
	 * drawn in [1, LD_MAX_STREAM_MSG] plus the framing's overhead. */
	al->msg_len = 0;
	al->split = 0;
	if (cfg->files[0])
		return;   /* file requests: one name per send */
	if (cfg->size.kind == PL_FIXED) {
		uint64_t a = cfg->size.a < 1 ? 1 : cfg->size.a;
		if (a > LD_MAX_STREAM_MSG)
			a = LD_MAX_STREAM_MSG;
		al->msg_len = a + net_framing_overhead(&cfg->framing);
	}
	if (cfg->pattern == LD_SPLIT && cfg->pattern_n > 1)
		al->split = cfg->pattern_n;
}

/* The zero of the case's stored times, on CLOCK_MONOTONIC. */
static int64_t case_base(const struct al_case *al, const struct capture *cap)
{
	if (cap && al->clock_set)
		return (int64_t)cap_start_ns(cap) - al->real_minus_mono;
	return (int64_t)al->mono0;
}

/* The client's events as al_events into out; returns how many. A recv's
 * time is the event loop's wake-up before it: a lower bound of when the
 * call began. A stream send logs when its call began (0: not known). */
static size_t client_events(const struct al_case *al, int64_t base, struct al_event *out)
{
	static const uint8_t kinds[] = {
		[LD_EV_CONNECT] = AL_EV_CONNECT, [LD_EV_SEND] = AL_EV_SEND,
		[LD_EV_RECV] = AL_EV_RECV, [LD_EV_CLOSE] = AL_EV_CLOSE,
	};
	size_t k = 0;
	for (size_t i = 0; i < al->ncev; i++) {
		const struct ld_event *e = &al->cev[i];
		if (e->kind > LD_EV_CLOSE)
			continue;
		struct al_event *a = &out[k++];
		*a = (struct al_event){.t_ns = al_rel_ns(e->t_ns, base), .flow_id = -1,
				       .flow = AL_NO_FLOW, .conn = e->conn, .lport = e->lport,
				       .side = AL_SIDE_CLIENT, .kind = kinds[e->kind]};
		if (e->kind == LD_EV_SEND || e->kind == LD_EV_RECV) {
			a->offset = e->offset;
			a->len = e->len;
		}
		if (e->kind == LD_EV_SEND && e->t_call_ns != 0) {
			a->has_call = true;
			a->t_call_ns = al_rel_ns(e->t_call_ns, base);
		} else if (e->kind == LD_EV_RECV) {
			a->has_call = true;
			a->t_call_ns = a->t_ns;
		}
	}
	return k;
}

/* Both logs as events of c: the client's, then the server's (read from
 * its file; a missing or unreadable log leaves the server side empty,
 * and the summary says why). 0 or -ENOMEM. */
static int case_events(struct al_case *al, int64_t base, struct al_app_case *c)
{
	struct srv_al_rec *srec = NULL;
	size_t nsrec = 0;
	al->srv_log_err = srv_applog_read(al->log_path, &srec, &nsrec, &al->srv_skipped);
	if (al->srv_log_err < 0)
		nsrec = 0;
	c->ev = malloc((al->ncev + nsrec ? al->ncev + nsrec : 1) * sizeof(*c->ev));
	if (c->ev) {
		c->nev = client_events(al, base, c->ev);
		c->nev += al_events_from_applog(srec, nsrec, base, c->ev + c->nev);
	}
	free(srec);
	return c->ev ? 0 : -ENOMEM;
}

static void case_totals(struct al_case *al, const struct al_app_totals *t)
{
	al->have = t->have;
	al->flows = t->flows;
	al->c2s = t->c2s;
	al->s2c = t->s2c;
	al->c2s_client_leg = t->c2s_client_leg;
	al->c2s_server_leg = t->c2s_server_leg;
}

int al_case_store(struct al_case *al, struct db *db, int64_t case_id,
		  const struct cap_case *cc)
{
	if (!al->on)
		return 0;
	struct al_app_case c = {
		.nodelay = al->nodelay, .cork = al->cork, .srv_nodelay = al->srv_nodelay,
		.target_port = al->target_port, .msg_len = al->msg_len, .split = al->split,
		.echo = al->echo, .cap = al->capture ? cap_case_capture(cc) : NULL};
	struct al_flow *flows = NULL;
	struct al_flow_dir *dirs = NULL;
	size_t ndirs = 0;
	int rc = c.cap ? db_case_tcp_flows(db, case_id, &flows, &c.nflows) : 0;
	c.flows = flows;
	if (rc == 0)
		rc = case_events(al, case_base(al, c.cap), &c);
	if (rc == 0)
		rc = al_app_match(&c, &al->srv_unmatched);
	if (rc == 0)
		rc = db_case_app_events(db, case_id, c.ev, c.nev);
	if (rc == 0) {
		struct al_app_totals tot;
		rc = al_app_align(&c, &dirs, &ndirs, &tot);
		case_totals(al, &tot);
	}
	if (rc == 0)
		rc = db_case_flow_align(db, dirs, ndirs);
	free(dirs);
	free(c.ev);
	free(flows);
	return rc;
}

void al_case_end(struct al_case *al)
{
	free(al->cev);
	al->cev = NULL;
	al->ncev = 0;
}

/* The strongest cause among the sender's merges, and the receiver's. */
static void causes(FILE *f, const struct al_counts *n)
{
	bool any = false;
	for (int c = AL_CAUSE_NAGLE; c < AL_CAUSE__COUNT; c++) {
		if (!n->cause[c])
			continue;
		fprintf(f, "%s%s %" PRIu64, any ? ", " : " (", al_cause_name((enum al_cause)c),
			n->cause[c]);
		any = true;
	}
	if (any)
		fputc(')', f);
}

static void merges(FILE *f, const struct al_counts *n)
{
	fprintf(f, "coalesced %" PRIu64 ", merged recvs %" PRIu64 ", sticky %" PRIu64
		", half %" PRIu64, n->coalesced_segments, n->merged_recvs, n->sticky_msgs,
		n->half_msgs);
	causes(f, n);
}

void al_case_print(FILE *f, const struct al_case *al)
{
	if (!al->have)
		return;
	const struct al_counts *n = &al->c2s, *cl = &al->c2s_client_leg,
			       *sl = &al->c2s_server_leg;
	uint64_t unmapped = n->unmapped_bytes + cl->unmapped_bytes + sl->unmapped_bytes;
	bool legs = cl->sends || sl->recvs;
	if (n->sends || n->recvs || !legs) {
		fprintf(f, "     c2s: %" PRIu64 " sends -> %" PRIu64 " segments -> %" PRIu64
			" recvs; ", n->sends, n->segments, n->recvs);
		merges(f, n);
	}
	if (legs) {
		if (n->sends || n->recvs)
			fputs(";\n", f);
		/* Behind a relay: the client's sends met its leg's segments,
		 * the server's recvs the relay's segments. */
		fprintf(f, "     c2s via relay: client %" PRIu64 " sends -> %" PRIu64
			" segments; relay %" PRIu64 " segments -> server %" PRIu64 " recvs; ",
			cl->sends, cl->segments, sl->segments, sl->recvs);
		struct al_counts m = *sl;   /* merges of both legs */
		m.coalesced_segments += cl->coalesced_segments;
		for (int c = 0; c < AL_CAUSE__COUNT; c++)
			m.cause[c] += cl->cause[c];
		merges(f, &m);
	}
	if (unmapped)
		fprintf(f, "; %" PRIu64 " bytes not captured", unmapped);
	if (al->srv_log_err < 0)
		fprintf(f, "; server log unreadable: %s", strerror(-al->srv_log_err));
	if (al->srv_skipped)
		fprintf(f, "; server log: %zu bytes not records (torn or truncated)",
			al->srv_skipped);
	if (al->srv_unmatched)
		fprintf(f, "; %" PRIu64 " server sends/recvs on no captured flow", al->srv_unmatched);
	fputc('\n', f);
}

static void counts_json(FILE *f, const char *name, const struct al_counts *n)
{
	fprintf(f, ",\"%s\":{\"sends\":%" PRIu64 ",\"segments\":%" PRIu64 ",\"recvs\":%" PRIu64
		",\"coalesced_segments\":%" PRIu64 ",\"merged_recvs\":%" PRIu64
		",\"sticky_msgs\":%" PRIu64 ",\"half_msgs\":%" PRIu64 ",\"msgs\":%" PRIu64
		",\"unmapped_bytes\":%" PRIu64 ",\"causes\":{",
		name, n->sends, n->segments, n->recvs, n->coalesced_segments, n->merged_recvs,
		n->sticky_msgs, n->half_msgs, n->msgs, n->unmapped_bytes);
	for (int c = AL_CAUSE_NAGLE; c < AL_CAUSE__COUNT; c++)
		fprintf(f, "%s\"%s\":%" PRIu64, c == AL_CAUSE_NAGLE ? "" : ",",
			al_cause_name((enum al_cause)c), n->cause[c]);
	fputs("}}", f);
}

void al_case_json(FILE *f, const struct al_case *al)
{
	if (!al->have)
		return;
	fprintf(f, ",\"align\":{\"flows\":%" PRIu64, al->flows);
	counts_json(f, "c2s", &al->c2s);
	if (al->c2s_client_leg.sends || al->c2s_server_leg.recvs) {
		counts_json(f, "c2s_client_leg", &al->c2s_client_leg);
		counts_json(f, "c2s_server_leg", &al->c2s_server_leg);
	}
	fprintf(f, ",\"server_log_skipped_bytes\":%zu,\"server_unmatched\":%" PRIu64 "}",
		al->srv_skipped, al->srv_unmatched);
}
