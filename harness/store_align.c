/*
 * harness/store_align.c — after a captured stream case: read the server's
 * app log, put it and the client's events on the capture's clock, match
 * both to the case's TCP flows (already stored by cap_case_store) by port,
 * align each flow and direction (harness/align.h) and store app_events,
 * sock_samples and flow_align (schema version 3, docs/store.md).
 *
 * Matching: a client connection belongs to the flow whose client port is
 * its local port; a server connection to the flow with its peer's port as
 * client port and its local port as server port. A port reused within one
 * case (flows.reuse > 0) takes the first flow; such cases are rare on
 * loopback and the alignment then reports unmapped bytes rather than
 * guessing.
 */
#include "harness/align_case.h"
#include "harness/capture.h"
#include "harness/store_int.h"

#include "clients/engine.h"
#include "servers/applog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct flow_row {
	int64_t id;
	uint32_t idx;
	uint16_t cport, sport;
	int cli;                       /* capture side (0 = A) of the client */
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
};

static uint64_t to_cap(const struct ctx *x, uint64_t t_mono)
{
	int64_t t = (int64_t)t_mono - x->base;
	return t < 0 ? 0 : (uint64_t)t;
}

static const struct flow_row *flow_client(const struct ctx *x, uint16_t lport)
{
	for (size_t i = 0; i < x->nflows; i++)
		if (x->flows[i].cport == lport)
			return &x->flows[i];
	return NULL;
}

static const struct flow_row *flow_server(const struct ctx *x, uint16_t lport, uint16_t rport)
{
	for (size_t i = 0; i < x->nflows; i++)
		if (x->flows[i].cport == rport && x->flows[i].sport == lport)
			return &x->flows[i];
	return NULL;
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
		f->id = sqlite3_column_int64(st, 0);
		f->idx = (uint32_t)sqlite3_column_int64(st, 1);
		f->cport = (uint16_t)sqlite3_column_int(st, 2);
		f->sport = (uint16_t)sqlite3_column_int(st, 3);
		f->cli = 0;
		const struct cap_flow *cf = x->cap ? cap_flows_get(cap_flows(x->cap), f->idx) : NULL;
		if (cf && cf->port[0] != f->cport)
			f->cli = 1;
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(x->db, rc, "align: flows");
	sqlite3_finalize(st);
	return rc;
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
	for (size_t i = 0; i < x->al->ncev && rc == 0; i++) {
		const struct ld_event *e = &x->al->cev[i];
		const struct flow_row *f = flow_client(x, e->lport);
		if (e->kind > LD_EV_CLOSE)
			continue;
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
		 * lower bound of when the call began. */
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
		const struct flow_row *f = flow_server(x, r->lport, r->rport);
		bool io = r->kind == SRV_AL_RECV || r->kind == SRV_AL_SEND;
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
	struct ops sends, recvs;
	struct al_seg *segs;
	size_t nsegs;
	struct al_ack *acks;
	size_t nacks;
};

static void dir_free(struct dir_in *d)
{
	free(d->sends.v);
	free(d->recvs.v);
	free(d->segs);
	free(d->acks);
	memset(d, 0, sizeof(*d));
}

/* App operations of flow f: d[0] is c2s, d[1] s2c. */
static int collect_ops(const struct ctx *x, const struct flow_row *f, struct dir_in *d)
{
	int rc = 0;
	for (size_t i = 0; i < x->al->ncev && rc == 0; i++) {
		const struct ld_event *e = &x->al->cev[i];
		if ((e->kind != LD_EV_SEND && e->kind != LD_EV_RECV) || e->lport != f->cport)
			continue;
		uint64_t t = to_cap(x, e->t_ns);
		struct al_op op = {.t_ns = t, .off = e->offset, .len = e->len,
				   .t_call_ns = e->kind == LD_EV_RECV ? t : AL_T_UNKNOWN};
		rc = ops_push(e->kind == LD_EV_SEND ? &d[0].sends : &d[1].recvs, op);
	}
	for (size_t i = 0; i < x->nsrec && rc == 0; i++) {
		const struct srv_al_rec *r = &x->srec[i];
		if ((r->kind != SRV_AL_SEND && r->kind != SRV_AL_RECV) ||
		    r->rport != f->cport || r->lport != f->sport)
			continue;
		struct al_op op = {.t_ns = to_cap(x, r->t_ns), .off = r->offset, .len = r->len,
				   .t_call_ns = to_cap(x, r->t_call_ns)};
		rc = ops_push(r->kind == SRV_AL_SEND ? &d[1].sends : &d[0].recvs, op);
	}
	for (int k = 0; k < 2; k++) {
		if (d[k].sends.n)   /* qsort(NULL, 0, ...) is undefined */
			qsort(d[k].sends.v, d[k].sends.n, sizeof(struct al_op), cmp_op);
		if (d[k].recvs.n)
			qsort(d[k].recvs.v, d[k].recvs.n, sizeof(struct al_op), cmp_op);
	}
	return rc;
}

/* Segments of flow f per direction, and the ACK numbers each direction
 * carries (pure ACKs and data segments, merged in capture order). */
static int collect_wire(const struct ctx *x, const struct flow_row *f, struct dir_in *d)
{
	size_t ns = 0, na = 0;
	const struct cap_segrec *sr = cap_segments(x->cap, &ns, NULL);
	const struct cap_ackrec *ar = cap_acks(x->cap, &na);
	for (int k = 0; k < 2; k++) {
		d[k].segs = malloc((ns ? ns : 1) * sizeof(*d[k].segs));
		d[k].acks = malloc((ns + na ? ns + na : 1) * sizeof(*d[k].acks));
		if (!d[k].segs || !d[k].acks)
			return -ENOMEM;
	}
	size_t i = 0, j = 0;
	while (i < ns || j < na) {
		bool seg = j == na || (i < ns && sr[i].s.ts_ns <= ar[j].ts_ns);
		uint32_t flow = seg ? sr[i].flow : ar[j].flow;
		if (flow != f->idx || (seg && sr[i].proto != CAP_PROTO_TCP)) {
			*(seg ? &i : &j) += 1;
			continue;
		}
		/* k: the direction of this packet, 0 = client -> server. */
		int k = (seg ? sr[i].s.dir : ar[j].dir) == f->cli ? 0 : 1;
		uint64_t ts = seg ? sr[i].s.ts_ns : ar[j].ts_ns;
		uint32_t rel_ack = seg ? sr[i].s.rel_ack : ar[j].rel_ack;
		bool has_ack = seg ? (sr[i].s.tcp_flags & CAP_TCP_ACK) != 0 : true;
		if (seg && sr[i].s.len > 0 && sr[i].s.rel_seq >= 1)
			d[k].segs[d[k].nsegs++] = (struct al_seg){
				.t_ns = ts, .off = sr[i].s.rel_seq - 1u, .len = sr[i].s.len,
				.retrans = sr[i].s.retrans, .offload = sr[i].offload};
		/* An ACK sent by side k acknowledges the other direction. */
		if (has_ack && rel_ack >= 1)
			d[!k].acks[d[!k].nacks++] = (struct al_ack){.t_ns = ts, .acked = rel_ack - 1u};
		*(seg ? &i : &j) += 1;
	}
	return 0;
}

static const char fa_sql[] =
	"INSERT OR REPLACE INTO flow_align (flow_id, dir, bytes, sends, segments, recvs,"
	" coalesced_segments, merged_recvs, sticky_msgs, half_msgs, cause_nagle, cause_cork,"
	" cause_offload, cause_late_reader, unmapped_bytes, msgs, held_sends, cause_cwnd,"
	" cause_unknown) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	" ?15, ?16, ?17, ?18, ?19)";

static void add_counts(struct al_counts *t, const struct al_counts *n)
{
	const uint64_t *s = (const uint64_t *)n;
	uint64_t *d = (uint64_t *)t;
	for (size_t i = 0; i < sizeof(*n) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static int store_flow(struct ctx *x, sqlite3_stmt *st, const struct flow_row *f)
{
	struct dir_in d[2];
	memset(d, 0, sizeof(d));
	int rc = collect_ops(x, f, d);
	if (rc == 0)
		rc = collect_wire(x, f, d);
	for (int k = 0; k < 2 && rc == 0; k++) {
		if (!d[k].sends.n && !d[k].recvs.n)
			continue;
		struct al_input in = {
			.segs = d[k].segs, .nsegs = d[k].nsegs,
			.acks = d[k].acks, .nacks = d[k].nacks,
			.sends = d[k].sends.v, .nsends = d[k].sends.n,
			.recvs = d[k].recvs.v, .nrecvs = d[k].recvs.n,
			.nodelay = k == 0 ? x->al->nodelay : x->al->srv_nodelay,
			.cork = k == 0 && x->al->cork,
		};
		struct al_result r;
		if ((rc = al_align(&in, &r)) < 0)
			break;
		const struct al_counts *n = &r.n;
		const int64_t v[] = {
			(int64_t)n->bytes, (int64_t)n->sends, (int64_t)n->segments,
			(int64_t)n->recvs, (int64_t)n->coalesced_segments,
			(int64_t)n->merged_recvs, (int64_t)n->sticky_msgs, (int64_t)n->half_msgs,
			(int64_t)n->cause[AL_CAUSE_NAGLE], (int64_t)n->cause[AL_CAUSE_CORK],
			(int64_t)n->cause[AL_CAUSE_OFFLOAD], (int64_t)n->cause[AL_CAUSE_LATE_READER],
			(int64_t)n->unmapped_bytes, (int64_t)n->msgs, (int64_t)n->held_sends,
			(int64_t)n->cause[AL_CAUSE_CWND], (int64_t)n->cause[AL_CAUSE_UNKNOWN],
		};
		sqlite3_bind_int64(st, 1, f->id);
		sqlite3_bind_text(st, 2, k == 0 ? "c2s" : "s2c", -1, SQLITE_STATIC);
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			sqlite3_bind_int64(st, (int)i + 3, v[i]);
		add_counts(k == 0 ? &x->al->c2s : &x->al->s2c, n);
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
	if (srv_applog_read(al->log_path, &x.srec, &x.nsrec) < 0)
		x.nsrec = 0;   /* no server log: the server side stays empty */
	x.cap = al->capture ? cap_case_capture(cc) : NULL;
	if (x.cap && al->clock_set)
		x.base = (int64_t)cap_start_ns(x.cap) - al->real_minus_mono;
	else
		x.base = (int64_t)al->mono0;
	rc = x.cap ? load_flows(&x) : 0;
	if (rc == 0)
		rc = store_events(&x);
	if (rc == 0 && x.cap && x.nflows) {
		sqlite3_stmt *st = NULL;
		rc = sqlite3_prepare_v2(db_sqlite(db), fa_sql, -1, &st, NULL);
		if (rc != SQLITE_OK)
			rc = db_fail(db, rc, "align: prepare");
		for (size_t i = 0; i < x.nflows && rc == 0; i++)
			rc = store_flow(&x, st, &x.flows[i]);
		sqlite3_finalize(st);
	}
	free(x.flows);
	free(x.srec);
	return rc;
}
