/*
 * harness/capture/align_match.c — the events of a stream case's two app
 * logs matched to its captured TCP flows, one connection at a time
 * (align_app.h has the rule), and the server's records turned into
 * events. Flows are ranked among those on their client port and on their
 * port pair, in capture order; a connection takes the flow of its own
 * rank among the connections on the same ports, found by binary search.
 */
#include "harness/capture/align_app.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *al_side_name(enum al_side s)
{
	return s == AL_SIDE_SERVER ? "server" : "client";
}

const char *al_ev_kind_name(enum al_ev_kind k)
{
	static const char *const names[] = {"connect", "send", "recv", "close", "sample"};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

size_t al_events_from_applog(const struct srv_al_rec *r, size_t n, int64_t base,
			     struct al_event *out)
{
	static const uint8_t kinds[] = {
		[SRV_AL_ACCEPT] = AL_EV_CONNECT, [SRV_AL_RECV] = AL_EV_RECV,
		[SRV_AL_SEND] = AL_EV_SEND, [SRV_AL_CLOSE] = AL_EV_CLOSE,
		[SRV_AL_SAMPLE] = AL_EV_SAMPLE,
	};
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].kind < SRV_AL_ACCEPT || r[i].kind > SRV_AL_SAMPLE)
			continue;
		struct al_event *e = &out[k++];
		*e = (struct al_event){
			.t_ns = al_rel_ns(r[i].t_ns, base), .t_call_ns = al_rel_ns(r[i].t_call_ns, base),
			.flow_id = -1, .flow = AL_NO_FLOW, .conn = r[i].conn,
			.lport = r[i].lport, .rport = r[i].rport, .side = AL_SIDE_SERVER,
			.kind = kinds[r[i].kind], .has_rport = true,
			.early = (int64_t)r[i].t_ns < base};
		if (e->kind == AL_EV_SAMPLE) {
			e->q.rx_queue = r[i].rx_queue;
			e->q.tx_queue = r[i].tx_queue;
			e->q.rtt_us = r[i].rtt_us;
			e->q.cwnd = r[i].cwnd;
			e->q.unacked = r[i].unacked;
			e->has_call = true;
		} else if (e->kind == AL_EV_SEND || e->kind == AL_EV_RECV) {
			e->offset = r[i].offset;
			e->len = r[i].len;
			e->has_call = true;
		}
	}
	return k;
}

/* A flow's ranks: earlier flows on its client port, and on its port pair. */
struct rank {
	uint32_t c, s;
};

/* A connection of one side and the flow it was matched to. */
struct conn_flow {
	uint32_t conn;
	uint16_t cport, sport;         /* client: sport 0 when unknown */
	size_t first;                  /* index of its first event */
	bool early;                    /* server: accepted before the capture */
	uint32_t flow;                 /* index into the flows, or AL_NO_FLOW */
};

struct ctx {
	const struct al_flow *flows;
	size_t nflows;
	struct rank *rank;
	size_t *byc, *bys;             /* flows sorted by (cport[, sport], idx) */
};

static uint64_t flow_key(const struct al_flow *f, bool pair, uint32_t low)
{
	return (uint64_t)f->cport << 48 | (uint64_t)(pair ? f->sport : 0) << 32 | low;
}

/* A flow's sort key: (client port[, server port], capture idx). */
struct key_row {
	uint64_t key;
	size_t row;
};

static int cmp_key_row(const void *a, const void *b)
{
	const struct key_row *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* rows of the flows sorted by key (pair: with the server port). */
static int sort_flows(const struct ctx *x, bool pair, size_t *rows)
{
	struct key_row *k = malloc((x->nflows ? x->nflows : 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < x->nflows; i++)
		k[i] = (struct key_row){flow_key(&x->flows[i], pair, x->flows[i].idx), i};
	if (x->nflows)
		qsort(k, x->nflows, sizeof(*k), cmp_key_row);
	for (size_t i = 0; i < x->nflows; i++)
		rows[i] = k[i].row;
	free(k);
	return 0;
}

/* Rank every flow in capture order; x->byc and x->bys index the flows in
 * those orders, so a rank's flow is found by binary search. */
static int rank_flows(struct ctx *x)
{
	size_t n = x->nflows ? x->nflows : 1;
	x->rank = calloc(n, sizeof(*x->rank));
	x->byc = malloc(n * sizeof(*x->byc));
	x->bys = malloc(n * sizeof(*x->bys));
	if (!x->rank || !x->byc || !x->bys || sort_flows(x, false, x->byc) < 0 ||
	    sort_flows(x, true, x->bys) < 0)
		return -ENOMEM;
	for (size_t i = 1; i < x->nflows; i++) {
		const struct al_flow *f = &x->flows[x->byc[i]], *p = &x->flows[x->byc[i - 1]];
		if (p->cport == f->cport)
			x->rank[x->byc[i]].c = x->rank[x->byc[i - 1]].c + 1;
		f = &x->flows[x->bys[i]];
		p = &x->flows[x->bys[i - 1]];
		if (p->cport == f->cport && p->sport == f->sport)
			x->rank[x->bys[i]].s = x->rank[x->bys[i - 1]].s + 1;
	}
	return 0;
}

/* The flow of rank `rank` on (cport[, sport]), or AL_NO_FLOW. */
static uint32_t find_flow(const struct ctx *x, bool pair, uint16_t cport, uint16_t sport,
			  uint32_t rank)
{
	const size_t *ix = pair ? x->bys : x->byc;
	const struct al_flow want_f = {.cport = cport, .sport = sport};
	uint64_t want = flow_key(&want_f, pair, rank);
	size_t lo = 0, hi = x->nflows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct rank *r = &x->rank[ix[mid]];
		if (flow_key(&x->flows[ix[mid]], pair, pair ? r->s : r->c) < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == x->nflows)
		return AL_NO_FLOW;
	const struct al_flow *f = &x->flows[ix[lo]];
	const struct rank *r = &x->rank[ix[lo]];
	bool hit = f->cport == cport && (pair ? f->sport == sport && r->s == rank : r->c == rank);
	return hit ? (uint32_t)ix[lo] : AL_NO_FLOW;
}

static int cmp_conn_first(const void *a, const void *b)
{
	const struct conn_flow *x = a, *y = b;
	if (x->conn != y->conn)
		return x->conn < y->conn ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int cmp_ports_first(const void *a, const void *b)
{
	const struct conn_flow *x = a, *y = b;
	if (x->cport != y->cport)
		return x->cport < y->cport ? -1 : 1;
	if (x->sport != y->sport)
		return x->sport < y->sport ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int cmp_conn(const void *a, const void *b)
{
	const struct conn_flow *x = a, *y = b;
	return x->conn < y->conn ? -1 : x->conn > y->conn;
}

/*
 * v[0..*n) holds one entry per event (conn, ports, first = event index);
 * early entries take no rank and no flow. Keep one entry per connection
 * (its first event), rank the connections of each port pair by first
 * appearance, give each the flow of that rank, and leave v sorted by conn.
 */
static void match_conns(const struct ctx *x, struct conn_flow *v, size_t *n, bool pair)
{
	if (!*n)
		return;
	qsort(v, *n, sizeof(*v), cmp_conn_first);
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (k == 0 || v[k - 1].conn != v[i].conn)
			v[k++] = v[i];
	*n = k;
	qsort(v, k, sizeof(*v), cmp_ports_first);
	uint32_t rank = 0;
	for (size_t i = 0; i < k; i++) {
		if (i == 0 || v[i].cport != v[i - 1].cport || v[i].sport != v[i - 1].sport)
			rank = 0;
		v[i].flow = AL_NO_FLOW;
		if (!v[i].early)
			v[i].flow = find_flow(x, pair, v[i].cport, v[i].sport, rank++);
	}
	qsort(v, k, sizeof(*v), cmp_conn);
}

static const struct conn_flow *conn_of(const struct conn_flow *v, size_t n, uint32_t conn)
{
	struct conn_flow key = {.conn = conn};
	return n ? bsearch(&key, v, n, sizeof(*v), cmp_conn) : NULL;
}

/* Match one side's connections, then mark its events with their flows. */
static int match_side(const struct ctx *x, struct al_app_case *c, enum al_side side,
		      uint64_t *unmatched)
{
	struct conn_flow *v = malloc((c->nev ? c->nev : 1) * sizeof(*v));
	size_t n = 0;
	if (!v)
		return -ENOMEM;
	/* The client's connections all go to target_port: matched on the
	 * pair, so a relay's own connection that got the same local port
	 * number (ports are shared across destinations) is not taken. */
	bool pair = side == AL_SIDE_SERVER || c->target_port != 0;
	for (size_t i = 0; i < c->nev; i++) {
		const struct al_event *e = &c->ev[i];
		if (e->side != side)
			continue;
		v[n++] = side == AL_SIDE_CLIENT
			? (struct conn_flow){.conn = e->conn, .cport = e->lport,
					     .sport = c->target_port, .first = i}
			: (struct conn_flow){.conn = e->conn, .cport = e->rport,
					     .sport = e->lport, .first = i, .early = e->early};
	}
	match_conns(x, v, &n, pair);
	for (size_t i = 0; i < c->nev; i++) {
		struct al_event *e = &c->ev[i];
		if (e->side != side)
			continue;
		const struct conn_flow *cf = conn_of(v, n, e->conn);
		e->flow = cf ? cf->flow : AL_NO_FLOW;
		e->flow_id = e->flow == AL_NO_FLOW ? -1 : x->flows[e->flow].id;
		bool io = e->kind == AL_EV_SEND || e->kind == AL_EV_RECV;
		if (side == AL_SIDE_CLIENT) {
			e->has_rport = e->flow != AL_NO_FLOW;
			e->rport = e->has_rport ? x->flows[e->flow].sport : 0;
		} else if (e->flow == AL_NO_FLOW && io && c->cap && !(cf && cf->early)) {
			(*unmatched)++;   /* the warmup's are expected */
		}
	}
	free(v);
	return 0;
}

int al_app_match(struct al_app_case *c, uint64_t *unmatched)
{
	struct ctx x = {.flows = c->flows, .nflows = c->nflows};
	*unmatched = 0;
	int rc = rank_flows(&x);
	if (rc == 0)
		rc = match_side(&x, c, AL_SIDE_CLIENT, unmatched);
	if (rc == 0)
		rc = match_side(&x, c, AL_SIDE_SERVER, unmatched);
	free(x.rank);
	free(x.byc);
	free(x.bys);
	return rc;
}
