/*
 * harness/store/store_align.c — after a captured stream case: read the server's
 * app log, put it and the client's events on the capture's clock, match
 * both to the case's TCP flows (already stored by cap_case_store), align
 * each flow and direction (harness/capture/align.h) and store app_events,
 * sock_samples and flow_align (schema version 3, docs/store.md).
 *
 * Matching is per connection, not per event: a client connection belongs
 * to a flow whose client port is its local port and whose server port is
 * the port the clients connected to; a server connection to a flow with
 * its peer's port as client port and its local port as server port. When a port pair comes back within one case (flows.reuse > 0), the
 * n-th connection on it (in the order the log first names it) takes the
 * n-th flow on it (in capture order), so two connections' byte streams are
 * never mixed. Server connections accepted before the capture started (the
 * warmup's) take no flow.
 */
#include "harness/runner/align_case.h"
#include "harness/capture/capture.h"
#include "harness/store/store_int.h"

#include "clients/engine.h"
#include "net/applog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NO_FLOW SIZE_MAX

struct flow_row {
	int64_t id;
	uint32_t idx;
	uint16_t cport, sport;
	int cli;                       /* capture side (0 = A) of the client */
	uint32_t rank_c;               /* earlier flows with this client port */
	uint32_t rank_s;               /* earlier flows with this port pair */
};

/* Growable arrays of the per-direction inputs. */
struct ops {
	struct al_op *v;
	size_t n, cap;
};

static int ops_push(struct ops *o, struct al_op op)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct al_op *v = realloc(o->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = op;
	return 0;
}

static int cmp_op(const void *a, const void *b)
{
	const struct al_op *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* A connection of one side and the flow it was matched to. */
struct conn_flow {
	uint32_t conn;
	uint16_t cport, sport;         /* client: sport 0 (not compared) */
	size_t first;                  /* index of its first record */
	uint32_t rank;
	bool early;                    /* server: accepted before the capture */
	size_t flow;                   /* index into ctx.flows, or NO_FLOW */
};

struct ctx {
	struct al_case *al;
	struct db *db;
	int64_t case_id;
	int64_t base;                  /* stored t = t_mono - base */
	struct flow_row *flows;
	size_t nflows;
	struct srv_al_rec *srec;
	size_t nsrec;
	const struct capture *cap;
	struct conn_flow *cconn, *sconn;   /* sorted by conn */
	size_t ncconn, nsconn;
	size_t *byc, *bys;             /* rank_flows() */
};

static uint64_t to_cap(const struct ctx *x, uint64_t t_mono)
{
	int64_t t = (int64_t)t_mono - x->base;
	return t < 0 ? 0 : (uint64_t)t;
}

static int load_flows(struct ctx *x)
{
	static const char sql[] =
		"SELECT id, idx, client_port, server_port FROM flows"
		" WHERE case_id = ?1 AND proto = 'tcp' ORDER BY idx";
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db_sqlite(x->db), sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(x->db, rc, "align: prepare");
	sqlite3_bind_int64(st, 1, x->case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct flow_row *v = realloc(x->flows, (x->nflows + 1) * sizeof(*v));
		if (!v) {
			sqlite3_finalize(st);
			return -ENOMEM;
		}
		x->flows = v;
		struct flow_row *f = &v[x->nflows++];
		memset(f, 0, sizeof(*f));
		f->id = sqlite3_column_int64(st, 0);
		f->idx = (uint32_t)sqlite3_column_int64(st, 1);
		f->cport = (uint16_t)sqlite3_column_int(st, 2);
		f->sport = (uint16_t)sqlite3_column_int(st, 3);
		const struct cap_flow *cf = x->cap ? cap_flows_get(cap_flows(x->cap), f->idx) : NULL;
		if (cf && cf->port[0] != f->cport)
			f->cli = 1;
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(x->db, rc, "align: flows");
	sqlite3_finalize(st);
	return rc;
}

/* A flow's sort key: (client port[, server port], capture idx). */
struct flow_key {
	uint64_t key;
	size_t row;
};

static int cmp_flow_key(const void *a, const void *b)
{
	const struct flow_key *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* rows of the flows sorted by key (pair: with the server port). */
static int sort_flows(const struct ctx *x, bool pair, size_t *rows)
{
	struct flow_key *k = malloc((x->nflows ? x->nflows : 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < x->nflows; i++) {
		const struct flow_row *f = &x->flows[i];
		k[i] = (struct flow_key){(uint64_t)f->cport << 48 |
					 (uint64_t)(pair ? f->sport : 0) << 32 | f->idx, i};
	}
	if (x->nflows)
		qsort(k, x->nflows, sizeof(*k), cmp_flow_key);
	for (size_t i = 0; i < x->nflows; i++)
		rows[i] = k[i].row;
	free(k);
	return 0;
}

/* Rank every flow among those on its client port (rank_c) and on its port
 * pair (rank_s), in capture order; x->byc and x->bys index the flows in
 * those orders, so a rank's flow is found by binary search. */
static int rank_flows(struct ctx *x)
{
	size_t n = x->nflows;
	x->byc = malloc((n ? n : 1) * sizeof(*x->byc));
	x->bys = malloc((n ? n : 1) * sizeof(*x->bys));
	if (!x->byc || !x->bys || sort_flows(x, false, x->byc) < 0 ||
	    sort_flows(x, true, x->bys) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct flow_row *f = &x->flows[x->byc[i]], *p = i ? &x->flows[x->byc[i - 1]] : NULL;
		f->rank_c = p && p->cport == f->cport ? p->rank_c + 1 : 0;
		f = &x->flows[x->bys[i]];
		p = i ? &x->flows[x->bys[i - 1]] : NULL;
		f->rank_s = p && p->cport == f->cport && p->sport == f->sport ? p->rank_s + 1 : 0;
	}
	return 0;
}

/* The flow of rank `rank` on (cport[, sport]): an index into x->flows, or
 * NO_FLOW. */
static size_t find_flow(const struct ctx *x, bool pair, uint16_t cport, uint16_t sport,
			uint32_t rank)
{
	const size_t *ix = pair ? x->bys : x->byc;
	size_t lo = 0, hi = x->nflows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct flow_row *f = &x->flows[ix[mid]];
		uint64_t k = (uint64_t)f->cport << 48 | (uint64_t)(pair ? f->sport : 0) << 32 |
			     (pair ? f->rank_s : f->rank_c);
		uint64_t want = (uint64_t)cport << 48 | (uint64_t)(pair ? sport : 0) << 32 | rank;
		if (k < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == x->nflows)
		return NO_FLOW;
	const struct flow_row *f = &x->flows[ix[lo]];
	bool hit = f->cport == cport && (pair ? f->sport == sport && f->rank_s == rank
					     : f->rank_c == rank);
	return hit ? ix[lo] : NO_FLOW;
}

/* ---------------------------------------------------------------- matching */

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
 * v[0..*n) holds one entry per record (conn, ports, first = record index);
 * early entries take no rank and no flow. Keep one entry
 * per connection (its first record), rank the connections of each port
 * pair by first appearance, give each the flow of that rank, and leave v
 * sorted by conn for conn_flow_of().
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
		v[i].flow = NO_FLOW;
		if (v[i].early)
			continue;
		v[i].rank = rank++;
		v[i].flow = find_flow(x, pair, v[i].cport, v[i].sport, v[i].rank);
	}
	qsort(v, k, sizeof(*v), cmp_conn);
}

static const struct conn_flow *conn_of(const struct conn_flow *v, size_t n, uint32_t conn)
{
	struct conn_flow key = {.conn = conn};
	return n ? bsearch(&key, v, n, sizeof(*v), cmp_conn) : NULL;
}

static size_t conn_flow_of(const struct conn_flow *v, size_t n, uint32_t conn)
{
	const struct conn_flow *p = conn_of(v, n, conn);
	return p ? p->flow : NO_FLOW;
}

static const struct flow_row *client_flow(const struct ctx *x, uint32_t conn)
{
	size_t f = conn_flow_of(x->cconn, x->ncconn, conn);
	return f == NO_FLOW ? NULL : &x->flows[f];
}

static const struct flow_row *server_flow(const struct ctx *x, uint32_t conn)
{
	size_t f = conn_flow_of(x->sconn, x->nsconn, conn);
	return f == NO_FLOW ? NULL : &x->flows[f];
}

static int build_matches(struct ctx *x)
{
	const struct ld_event *ev = x->al->cev;
	int rc = rank_flows(x);
	if (rc < 0)
		return rc;
	x->cconn = malloc((x->al->ncev ? x->al->ncev : 1) * sizeof(*x->cconn));
	x->sconn = malloc((x->nsrec ? x->nsrec : 1) * sizeof(*x->sconn));
	if (!x->cconn || !x->sconn)
		return -ENOMEM;
	/* The client's connections all go to target_port: matched on the
	 * pair, so a relay's own connection that got the same local port
	 * number (ports are shared across destinations) is not taken. */
	uint16_t tp = x->al->target_port;
	for (size_t i = 0; i < x->al->ncev; i++)
		x->cconn[x->ncconn++] = (struct conn_flow){.conn = ev[i].conn,
							   .cport = ev[i].lport, .sport = tp,
							   .first = i};
	match_conns(x, x->cconn, &x->ncconn, tp != 0);
	for (size_t i = 0; i < x->nsrec; i++) {
		const struct srv_al_rec *r = &x->srec[i];
		/* A connection first named before the capture started: the
		 * warmup's. */
		x->sconn[x->nsconn++] = (struct conn_flow){
			.conn = r->conn, .cport = r->rport, .sport = r->lport, .first = i,
			.early = (int64_t)r->t_ns < x->base};
	}
	match_conns(x, x->sconn, &x->nsconn, true);
	return 0;
}

/* ---------------------------------------------------------------- events */

static const char ev_sql[] =
	"INSERT INTO app_events (case_id, flow_id, side, conn, kind, t_ns, stream_offset, len,"
	" lport, rport, t_call_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

static const char sample_sql[] =
	"INSERT INTO sock_samples (case_id, side, conn, t_ns, rx_queue, tx_queue, rtt_us, cwnd,"
	" unacked) VALUES (?1, 'server', ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static void bind_opt(sqlite3_stmt *st, int i, bool have, int64_t v)
{
	if (have)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static int step(struct ctx *x, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : db_fail(x->db, rc, what);
}

static const char *const client_kind[] = {"connect", "send", "recv", "close"};

static int store_events(struct ctx *x)
{
	sqlite3_stmt *ev = NULL, *sm = NULL;
	int rc = sqlite3_prepare_v2(db_sqlite(x->db), ev_sql, -1, &ev, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db_sqlite(x->db), sample_sql, -1, &sm, NULL);
	if (rc != SQLITE_OK) {
		rc = db_fail(x->db, rc, "align: prepare");
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < x->al->ncev && rc == 0; i++) {
		const struct ld_event *e = &x->al->cev[i];
		if (e->kind > LD_EV_CLOSE)
			continue;
		const struct flow_row *f = client_flow(x, e->conn);
		sqlite3_bind_int64(ev, 1, x->case_id);
		bind_opt(ev, 2, f, f ? f->id : 0);
		sqlite3_bind_text(ev, 3, "client", -1, SQLITE_STATIC);
		sqlite3_bind_int64(ev, 4, e->conn);
		sqlite3_bind_text(ev, 5, client_kind[e->kind], -1, SQLITE_STATIC);
		sqlite3_bind_int64(ev, 6, (int64_t)e->t_ns - x->base);
		bool io = e->kind == LD_EV_SEND || e->kind == LD_EV_RECV;
		bind_opt(ev, 7, io, (int64_t)e->offset);
		bind_opt(ev, 8, io, e->len);
		sqlite3_bind_int64(ev, 9, e->lport);
		bind_opt(ev, 10, f, f ? f->sport : 0);
		/* A recv's time is the event loop's wake-up before it: a
		 * lower bound of when the call began. A stream send logs when
		 * its call began (ld_event.t_call_ns; 0: not known, NULL). */
		if (e->kind == LD_EV_SEND)
			bind_opt(ev, 11, e->t_call_ns != 0, (int64_t)e->t_call_ns - x->base);
		else
			bind_opt(ev, 11, e->kind == LD_EV_RECV, (int64_t)e->t_ns - x->base);
		rc = step(x, ev, "align: client event");
	}
	for (size_t i = 0; i < x->nsrec && rc == 0; i++) {
		const struct srv_al_rec *r = &x->srec[i];
		if (r->kind == SRV_AL_SAMPLE) {
			sqlite3_bind_int64(sm, 1, x->case_id);
			sqlite3_bind_int64(sm, 2, r->conn);
			sqlite3_bind_int64(sm, 3, (int64_t)r->t_call_ns - x->base);
			const uint32_t v[] = {r->rx_queue, r->tx_queue, r->rtt_us, r->cwnd, r->unacked};
			for (int k = 0; k < 5; k++)
				bind_opt(sm, 4 + k, v[k] != UINT32_MAX, v[k]);
			rc = step(x, sm, "align: sample");
			continue;
		}
		static const char *const kinds[] = {
			[SRV_AL_ACCEPT] = "connect", [SRV_AL_RECV] = "recv",
			[SRV_AL_SEND] = "send", [SRV_AL_CLOSE] = "close",
		};
		if (r->kind < SRV_AL_ACCEPT || r->kind > SRV_AL_CLOSE)
			continue;
		const struct flow_row *f = server_flow(x, r->conn);
		bool io = r->kind == SRV_AL_RECV || r->kind == SRV_AL_SEND;
		const struct conn_flow *cf = conn_of(x->sconn, x->nsconn, r->conn);
		if (!f && io && x->cap && !(cf && cf->early))
			x->al->srv_unmatched++;   /* the warmup's are expected */
		sqlite3_bind_int64(ev, 1, x->case_id);
		bind_opt(ev, 2, f, f ? f->id : 0);
		sqlite3_bind_text(ev, 3, "server", -1, SQLITE_STATIC);
		sqlite3_bind_int64(ev, 4, r->conn);
		sqlite3_bind_text(ev, 5, kinds[r->kind], -1, SQLITE_STATIC);
		sqlite3_bind_int64(ev, 6, (int64_t)r->t_ns - x->base);
		bind_opt(ev, 7, io, (int64_t)r->offset);
		bind_opt(ev, 8, io, r->len);
		sqlite3_bind_int64(ev, 9, r->lport);
		sqlite3_bind_int64(ev, 10, r->rport);
		bind_opt(ev, 11, io, (int64_t)r->t_call_ns - x->base);
		rc = step(x, ev, "align: server event");
	}
out:
	sqlite3_finalize(ev);
	sqlite3_finalize(sm);
	return rc;
}

/* ---------------------------------------------------------------- alignment */

struct dir_in {
	struct ops sends, recvs, msgs;
	struct al_seg *segs;
	size_t nsegs;
	struct al_ack *acks;
	size_t nacks;
	const char *bounds;            /* flow_align.msg_bounds */
};

static void dir_free(struct dir_in *d)
{
	free(d->sends.v);
	free(d->recvs.v);
	free(d->msgs.v);
	free(d->segs);
	free(d->acks);
	memset(d, 0, sizeof(*d));
}

/* App operations of every flow, in one pass over each log: dd[f][0] is
 * flow f's c2s, dd[f][1] its s2c. */
static int collect_ops(const struct ctx *x, struct dir_in (*dd)[2])
{
	int rc = 0;
	for (size_t i = 0; i < x->al->ncev && rc == 0; i++) {
		const struct ld_event *e = &x->al->cev[i];
		size_t f;
		if ((e->kind != LD_EV_SEND && e->kind != LD_EV_RECV) ||
		    (f = conn_flow_of(x->cconn, x->ncconn, e->conn)) == NO_FLOW)
			continue;
		uint64_t t = to_cap(x, e->t_ns);
		uint64_t tc = e->kind == LD_EV_RECV ? t
			      : e->t_call_ns ? to_cap(x, e->t_call_ns) : AL_T_UNKNOWN;
		struct al_op op = {.t_ns = t, .off = e->offset, .len = e->len, .t_call_ns = tc};
		rc = ops_push(e->kind == LD_EV_SEND ? &dd[f][0].sends : &dd[f][1].recvs, op);
	}
	for (size_t i = 0; i < x->nsrec && rc == 0; i++) {
		const struct srv_al_rec *r = &x->srec[i];
		size_t f;
		if ((r->kind != SRV_AL_SEND && r->kind != SRV_AL_RECV) ||
		    (f = conn_flow_of(x->sconn, x->nsconn, r->conn)) == NO_FLOW)
			continue;
		struct al_op op = {.t_ns = to_cap(x, r->t_ns), .off = r->offset, .len = r->len,
				   .t_call_ns = to_cap(x, r->t_call_ns)};
		rc = ops_push(r->kind == SRV_AL_SEND ? &dd[f][1].sends : &dd[f][0].recvs, op);
	}
	for (size_t f = 0; f < x->nflows && rc == 0; f++) {
		for (int k = 0; k < 2; k++) {
			struct dir_in *d = &dd[f][k];
			if (d->sends.n)   /* qsort(NULL, 0, ...) is undefined */
				qsort(d->sends.v, d->sends.n, sizeof(struct al_op), cmp_op);
			if (d->recvs.n)
				qsort(d->recvs.v, d->recvs.n, sizeof(struct al_op), cmp_op);
		}
	}
	return rc;
}

static uint64_t ops_end(const struct ops *o)
{
	uint64_t e = 0;
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].off + o->v[i].len > e)
			e = o->v[i].off + o->v[i].len;
	return e;
}

/*
 * The message bounds of the flow (docs/analysis.md, "Messages"): from the
 * client's config, cut at the bytes the direction carried. c2s: the
 * requests; s2c: the same bounds when the handler echoes byte for byte,
 * else one message per server send.
 */
static int collect_msgs(const struct ctx *x, struct dir_in *d)
{
	const struct al_case *al = x->al;
	const struct ops *cs = &d[0].sends;
	d[0].bounds = d[1].bounds = "sends";
	if (al->msg_len) {
		for (int k = 0; k < 2; k++) {
			if (k == 1 && !al->echo)
				break;
			/* The receiver's recvs count too: behind a relay the
			 * server's leg has recvs and no sends, and the relay
			 * forwards the stream's bytes at the same offsets. */
			/* Bounded by the logs: a direction whose bytes would make
			 * far more messages than it had calls (an echo server's
			 * log running on after the client's filled up) keeps one
			 * message per send rather than allocating for them all. */
			uint64_t end = ops_end(&d[k].sends), rend = ops_end(&d[k].recvs);
			if (rend > end)
				end = rend;
			if (end / al->msg_len > 4 * (uint64_t)(d[k].sends.n + d[k].recvs.n) + 1024)
				continue;
			for (uint64_t off = 0; off < end; off += al->msg_len) {
				uint64_t len = end - off < al->msg_len ? end - off : al->msg_len;
				int rc = ops_push(&d[k].msgs, (struct al_op){
					.t_ns = AL_T_UNKNOWN, .t_call_ns = AL_T_UNKNOWN,
					.off = off, .len = (uint32_t)len});
				if (rc < 0)
					return rc;
			}
			d[k].bounds = "size";
		}
		return 0;
	}
	if (!al->split)
		return 0;
	/* split:K, sizes that vary: K sends (by offset) make one message. */
	for (size_t i = 0; i < cs->n; i += al->split) {
		size_t j = i + al->split < cs->n ? i + al->split : cs->n;
		uint64_t off = cs->v[i].off, end = cs->v[j - 1].off + cs->v[j - 1].len;
		int rc = ops_push(&d[0].msgs, (struct al_op){
			.t_ns = cs->v[j - 1].t_ns, .t_call_ns = AL_T_UNKNOWN, .off = off,
			.len = (uint32_t)(end - off)});
		if (rc < 0)
			return rc;
	}
	d[0].bounds = "split";
	if (al->echo) {
		uint64_t end = ops_end(&d[1].sends);
		for (size_t i = 0; i < d[0].msgs.n && d[0].msgs.v[i].off < end; i++) {
			struct al_op m = d[0].msgs.v[i];
			if (m.off + m.len > end)
				m.len = (uint32_t)(end - m.off);
			m.t_ns = AL_T_UNKNOWN;
			if (ops_push(&d[1].msgs, m) < 0)
				return -ENOMEM;
		}
		d[1].bounds = "split";
	}
	return 0;
}

/* Segments of every flow per direction, and the ACK numbers each direction
 * carries (pure ACKs and data segments, merged in capture order), in two
 * passes over the capture: count, then fill. */
static int collect_wire(const struct ctx *x, struct dir_in (*dd)[2])
{
	size_t ns = 0, na = 0, maxidx = 0;
	const struct cap_segrec *sr = cap_segments(x->cap, &ns, NULL);
	const struct cap_ackrec *ar = cap_acks(x->cap, &na);
	for (size_t f = 0; f < x->nflows; f++)
		if (x->flows[f].idx > maxidx)
			maxidx = x->flows[f].idx;
	size_t *row = malloc((maxidx + 1) * sizeof(*row));   /* capture idx -> flow row */
	if (!row)
		return -ENOMEM;
	for (size_t i = 0; i <= maxidx; i++)
		row[i] = NO_FLOW;
	for (size_t f = 0; f < x->nflows; f++)
		row[x->flows[f].idx] = f;
	int rc = 0;
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		size_t i = 0, j = 0;
		while (i < ns || j < na) {
			bool seg = j == na || (i < ns && sr[i].s.ts_ns <= ar[j].ts_ns);
			uint32_t flow = seg ? sr[i].flow : ar[j].flow;
			size_t f = flow <= maxidx ? row[flow] : NO_FLOW;
			if (f == NO_FLOW || (seg && sr[i].proto != CAP_PROTO_TCP)) {
				*(seg ? &i : &j) += 1;
				continue;
			}
			struct dir_in *d = dd[f];
			/* k: the direction of this packet, 0 = client -> server. */
			int k = (seg ? sr[i].s.dir : ar[j].dir) == x->flows[f].cli ? 0 : 1;
			uint64_t ts = seg ? sr[i].s.ts_ns : ar[j].ts_ns;
			uint32_t rel_ack = seg ? sr[i].s.rel_ack : ar[j].rel_ack;
			bool has_ack = seg ? (sr[i].s.tcp_flags & CAP_TCP_ACK) != 0 : true;
			if (seg && sr[i].s.len > 0 && sr[i].s.rel_seq >= 1) {
				if (pass)
					d[k].segs[d[k].nsegs] = (struct al_seg){
						.t_ns = ts, .off = sr[i].s.rel_seq - 1u,
						.len = sr[i].s.len, .retrans = sr[i].s.retrans,
						.offload = sr[i].offload};
				d[k].nsegs++;
			}
			/* An ACK sent by side k acknowledges the other direction. */
			if (has_ack && rel_ack >= 1) {
				if (pass)
					d[!k].acks[d[!k].nacks] = (struct al_ack){
						.t_ns = ts, .acked = rel_ack - 1u};
				d[!k].nacks++;
			}
			*(seg ? &i : &j) += 1;
		}
		for (size_t f = 0; !pass && f < x->nflows && rc == 0; f++) {
			for (int k = 0; k < 2; k++) {
				struct dir_in *d = &dd[f][k];
				d->segs = malloc((d->nsegs ? d->nsegs : 1) * sizeof(*d->segs));
				d->acks = malloc((d->nacks ? d->nacks : 1) * sizeof(*d->acks));
				d->nsegs = d->nacks = 0;
				if (!d->segs || !d->acks)
					rc = -ENOMEM;
			}
		}
	}
	free(row);
	return rc;
}

static const char fa_sql[] =
	"INSERT OR REPLACE INTO flow_align (flow_id, dir, bytes, sends, segments, recvs,"
	" coalesced_segments, merged_recvs, sticky_msgs, half_msgs, cause_nagle, cause_cork,"
	" cause_offload, cause_late_reader, unmapped_bytes, msgs, held_sends, cause_cwnd,"
	" cause_unknown, cause_back_to_back, recv_wait_max_ns, msg_bounds) VALUES (?1, ?2, ?3,"
	" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)";

static void add_counts(struct al_counts *t, const struct al_counts *n)
{
	t->bytes += n->bytes;
	t->sends += n->sends;
	t->segments += n->segments;
	t->recvs += n->recvs;
	t->msgs += n->msgs;
	t->retrans += n->retrans;
	t->coalesced_segments += n->coalesced_segments;
	t->merged_recvs += n->merged_recvs;
	t->sticky_msgs += n->sticky_msgs;
	t->half_msgs += n->half_msgs;
	t->held_sends += n->held_sends;
	for (int c = 0; c < AL_CAUSE__COUNT; c++)
		t->cause[c] += n->cause[c];
	t->unmapped_bytes += n->unmapped_bytes;
}

/* Align and store flow f, whose app operations are in d (freed here). */
static int store_flow(struct ctx *x, sqlite3_stmt *st, const struct flow_row *f,
		      struct dir_in *d)
{
	int rc = collect_msgs(x, d);
	for (int k = 0; k < 2 && rc == 0; k++) {
		if (!d[k].sends.n && !d[k].recvs.n)
			continue;
		struct al_input in = {
			.segs = d[k].segs, .nsegs = d[k].nsegs,
			.acks = d[k].acks, .nacks = d[k].nacks,
			.sends = d[k].sends.v, .nsends = d[k].sends.n,
			.recvs = d[k].recvs.v, .nrecvs = d[k].recvs.n,
			.msgs = d[k].msgs.n ? d[k].msgs.v : NULL, .nmsgs = d[k].msgs.n,
			.nodelay = k == 0 ? x->al->nodelay : x->al->srv_nodelay,
			.cork = k == 0 && x->al->cork,
			/* s2c is read by the client, whose recv time is its
			 * loop's wake-up: a lower bound of the call's start. */
			.recv_call_bound = k == 1,
		};
		struct al_result r;
		if ((rc = al_align(&in, &r)) < 0)
			break;
		const struct al_counts *n = &r.n;
		uint64_t wait_max = 0;
		bool have_wait = false;
		for (size_t i = 0; i < in.nrecvs; i++)
			if (r.recv[i].nsegs > 1 && in.recvs[i].t_call_ns != AL_T_UNKNOWN) {
				have_wait = true;
				if (r.recv[i].wait_ns > wait_max)
					wait_max = r.recv[i].wait_ns;
			}
		const int64_t v[] = {
			(int64_t)n->bytes, (int64_t)n->sends, (int64_t)n->segments,
			(int64_t)n->recvs, (int64_t)n->coalesced_segments,
			(int64_t)n->merged_recvs, (int64_t)n->sticky_msgs, (int64_t)n->half_msgs,
			(int64_t)n->cause[AL_CAUSE_NAGLE], (int64_t)n->cause[AL_CAUSE_CORK],
			(int64_t)n->cause[AL_CAUSE_OFFLOAD], (int64_t)n->cause[AL_CAUSE_LATE_READER],
			(int64_t)n->unmapped_bytes, (int64_t)n->msgs, (int64_t)n->held_sends,
			(int64_t)n->cause[AL_CAUSE_CWND], (int64_t)n->cause[AL_CAUSE_UNKNOWN],
			(int64_t)n->cause[AL_CAUSE_BACK_TO_BACK],
		};
		sqlite3_bind_int64(st, 1, f->id);
		sqlite3_bind_text(st, 2, k == 0 ? "c2s" : "s2c", -1, SQLITE_STATIC);
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			sqlite3_bind_int64(st, (int)i + 3, v[i]);
		bind_opt(st, 21, have_wait, (int64_t)wait_max);
		sqlite3_bind_text(st, 22, d[k].bounds, -1, SQLITE_STATIC);
		struct al_counts *t = k == 1 ? &x->al->s2c
				      : !in.nrecvs ? &x->al->c2s_client_leg
				      : !in.nsends ? &x->al->c2s_server_leg : &x->al->c2s;
		add_counts(t, n);
		al_result_free(&r);
		rc = step(x, st, "align: flow_align");
	}
	if (rc == 0 && (d[0].sends.n || d[0].recvs.n || d[1].sends.n || d[1].recvs.n)) {
		x->al->flows++;
		x->al->have = true;
	}
	dir_free(&d[0]);
	dir_free(&d[1]);
	return rc;
}

int al_case_store(struct al_case *al, struct db *db, int64_t case_id,
		  const struct cap_case *cc)
{
	if (!al->on)
		return 0;
	struct ctx x = {.al = al, .db = db, .case_id = case_id};
	int rc;
	if ((rc = db_batch_open(db)) != 0)
		return rc;
	/* No server log, or not one: the server side stays empty, and the
	 * summary says why. */
	al->srv_log_err = srv_applog_read(al->log_path, &x.srec, &x.nsrec, &al->srv_skipped);
	if (al->srv_log_err < 0)
		x.nsrec = 0;
	x.cap = al->capture ? cap_case_capture(cc) : NULL;
	if (x.cap && al->clock_set)
		x.base = (int64_t)cap_start_ns(x.cap) - al->real_minus_mono;
	else
		x.base = (int64_t)al->mono0;
	rc = x.cap ? load_flows(&x) : 0;
	if (rc == 0)
		rc = build_matches(&x);
	if (rc == 0)
		rc = store_events(&x);
	if (rc == 0 && x.cap && x.nflows) {
		struct dir_in (*dd)[2] = calloc(x.nflows, sizeof(*dd));
		sqlite3_stmt *st = NULL;
		rc = dd ? collect_ops(&x, dd) : -ENOMEM;
		if (rc == 0)
			rc = collect_wire(&x, dd);
		if (rc == 0) {
			rc = sqlite3_prepare_v2(db_sqlite(db), fa_sql, -1, &st, NULL);
			rc = rc == SQLITE_OK ? 0 : db_fail(db, rc, "align: prepare");
		}
		for (size_t i = 0; i < x.nflows && rc == 0; i++)
			rc = store_flow(&x, st, &x.flows[i], dd[i]);
		sqlite3_finalize(st);
		for (size_t i = 0; dd && i < x.nflows; i++) {   /* after an error */
			dir_free(&dd[i][0]);
			dir_free(&dd[i][1]);
		}
		free(dd);
	}
	free(x.flows);
	free(x.srec);
	free(x.cconn);
	free(x.sconn);
	free(x.byc);
	free(x.bys);
	return rc;
}
