/*
 * harness/store/store_align.c — the rows of the sticky-packet alignment
 * (schema version 3, docs/store.md): a case's TCP flows read back for
 * matching, then app_events and sock_samples from the matched events and
 * flow_align from the aligned directions. The matching and the alignment
 * are harness/capture/align_app.h's; here they are only written, in the
 * case's batch.
 */
#include "harness/capture/align_app.h"
#include "harness/store/store_int.h"

#include <errno.h>
#include <stdlib.h>

int db_case_tcp_flows(struct db *db, int64_t case_id, struct al_flow **out, size_t *n)
{
	static const char sql[] =
		"SELECT id, idx, client_port, server_port FROM flows"
		" WHERE case_id = ?1 AND proto = 'tcp' ORDER BY idx";
	sqlite3_stmt *st = NULL;
	struct al_flow *v = NULL;
	size_t k = 0;
	*out = NULL;
	*n = 0;
	int rc = sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, "align: prepare");
	sqlite3_bind_int64(st, 1, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct al_flow *w = realloc(v, (k + 1) * sizeof(*w));
		if (!w) {
			sqlite3_finalize(st);
			free(v);
			return -ENOMEM;
		}
		v = w;
		v[k++] = (struct al_flow){
			.id = sqlite3_column_int64(st, 0),
			.idx = (uint32_t)sqlite3_column_int64(st, 1),
			.cport = (uint16_t)sqlite3_column_int(st, 2),
			.sport = (uint16_t)sqlite3_column_int(st, 3)};
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, rc, "align: flows");
	sqlite3_finalize(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = k;
	return 0;
}

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

static int step(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, rc, what);
}

static int put_event(struct db *db, sqlite3_stmt *st, int64_t case_id, const struct al_event *e)
{
	bool io = e->kind == AL_EV_SEND || e->kind == AL_EV_RECV;
	sqlite3_bind_int64(st, 1, case_id);
	bind_opt(st, 2, e->flow_id >= 0, e->flow_id);
	sqlite3_bind_text(st, 3, al_side_name((enum al_side)e->side), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, e->conn);
	sqlite3_bind_text(st, 5, al_ev_kind_name((enum al_ev_kind)e->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, e->t_ns);
	bind_opt(st, 7, io, (int64_t)e->offset);
	bind_opt(st, 8, io, e->len);
	sqlite3_bind_int64(st, 9, e->lport);
	bind_opt(st, 10, e->has_rport, e->rport);
	bind_opt(st, 11, e->has_call, e->t_call_ns);
	return step(db, st, e->side == AL_SIDE_CLIENT ? "align: client event"
						     : "align: server event");
}

static int put_sample(struct db *db, sqlite3_stmt *st, int64_t case_id, const struct al_event *e)
{
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, e->conn);
	sqlite3_bind_int64(st, 3, e->t_call_ns);
	const uint32_t v[] = {e->q.rx_queue, e->q.tx_queue, e->q.rtt_us, e->q.cwnd, e->q.unacked};
	for (int k = 0; k < 5; k++)
		bind_opt(st, 4 + k, v[k] != UINT32_MAX, v[k]);
	return step(db, st, "align: sample");
}

int db_case_app_events(struct db *db, int64_t case_id, const struct al_event *ev, size_t n)
{
	sqlite3_stmt *st = NULL, *sm = NULL;
	int rc = db_batch_open(db);
	if (rc != 0)
		return rc;
	rc = sqlite3_prepare_v2(db_sqlite(db), ev_sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db_sqlite(db), sample_sql, -1, &sm, NULL);
	rc = rc == SQLITE_OK ? 0 : db_fail(db, rc, "align: prepare");
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ev[i].kind == AL_EV_SAMPLE ? put_sample(db, sm, case_id, &ev[i])
						: put_event(db, st, case_id, &ev[i]);
	sqlite3_finalize(st);
	sqlite3_finalize(sm);
	return rc;
}

static const char fa_sql[] =
	"INSERT OR REPLACE INTO flow_align (flow_id, dir, bytes, sends, segments, recvs,"
	" coalesced_segments, merged_recvs, sticky_msgs, half_msgs, cause_nagle, cause_cork,"
	" cause_offload, cause_late_reader, unmapped_bytes, msgs, held_sends, cause_cwnd,"
	" cause_unknown, cause_back_to_back, recv_wait_max_ns, msg_bounds) VALUES (?1, ?2, ?3,"
	" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)";

static int put_dir(struct db *db, sqlite3_stmt *st, const struct al_flow_dir *d)
{
	const struct al_counts *n = &d->n;
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
	sqlite3_bind_int64(st, 1, d->flow_id);
	sqlite3_bind_text(st, 2, d->dir == 0 ? "c2s" : "s2c", -1, SQLITE_STATIC);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		sqlite3_bind_int64(st, (int)i + 3, v[i]);
	bind_opt(st, 21, d->have_wait, (int64_t)d->recv_wait_max_ns);
	sqlite3_bind_text(st, 22, d->msg_bounds, -1, SQLITE_STATIC);
	return step(db, st, "align: flow_align");
}

int db_case_flow_align(struct db *db, const struct al_flow_dir *dirs, size_t n)
{
	sqlite3_stmt *st = NULL;
	if (!n)
		return 0;
	int rc = db_batch_open(db);
	if (rc != 0)
		return rc;
	rc = sqlite3_prepare_v2(db_sqlite(db), fa_sql, -1, &st, NULL);
	rc = rc == SQLITE_OK ? 0 : db_fail(db, rc, "align: prepare");
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = put_dir(db, st, &dirs[i]);
	sqlite3_finalize(st);
	return rc;
}
