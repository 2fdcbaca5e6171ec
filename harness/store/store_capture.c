/*
 * harness/store/store_capture.c — the capture rows of the store (schema version
 * 2): a case's capture status and self-check (cases.capture_status,
 * capture_info), its flows and their segments. Every write goes into the
 * case's implicit batch with cached statements, so a capture of 100,000
 * segments is one transaction, committed by db_case_end.
 */
#include "harness/store/store_int.h"

#include <errno.h>
#include <stdio.h>

const char *db_capture_status_name(enum db_capture_status s)
{
	switch (s) {
	case DB_CAP_OK: return "ok";
	case DB_CAP_UNAVAILABLE: return "unavailable";
	case DB_CAP_ERROR: return "error";
	}
	return NULL;
}

/* Below 0 is "not known": NULL. */
static void b_known(struct bind *b, int i, int64_t v)
{
	if (v < 0)
		db_bind_null(b, i);
	else
		db_bind_int(b, i, v);
}

int db_case_capture(struct db *db, int64_t case_id, const struct db_capture *c)
{
	const char *st = db_capture_status_name(c->status);
	struct bind b;
	int rc;

	if (!st)
		return db_invalid(db, "capture: status must be ok, unavailable or error");
	if ((rc = db_batch_open(db)) != 0 || (rc = db_stmt_get(db, ST_CASE_CAPTURE, &b)) != 0)
		return rc;
	db_bind_int(&b, 1, case_id);
	db_bind_text(&b, 2, st);
	db_bind_text(&b, 3, c->reason);
	if ((rc = db_stmt_run(db, &b, "capture status")) != 0)
		return rc;
	if (sqlite3_changes(db_sqlite(db)) == 0) {
		snprintf(db->err, sizeof db->err, "capture status: no case with id %lld",
			 (long long)case_id);
		return -ENOENT;
	}
	if ((rc = db_stmt_get(db, ST_CAPTURE_INFO, &b)) != 0)
		return rc;
	db_bind_int(&b, 1, case_id);
	db_bind_text(&b, 2, c->iface);
	db_bind_text(&b, 3, c->filter);
	b_known(&b, 4, c->snaplen);
	b_known(&b, 5, c->buffer_bytes);
	b_known(&b, 6, c->immediate);
	b_known(&b, 7, c->link_type);
	b_known(&b, 8, c->mtu);
	b_known(&b, 9, c->tso);
	b_known(&b, 10, c->gso);
	b_known(&b, 11, c->gro);
	b_known(&b, 12, c->received);
	b_known(&b, 13, c->dropped);
	b_known(&b, 14, c->if_dropped);
	b_known(&b, 15, c->captured);
	b_known(&b, 16, c->malformed);
	b_known(&b, 17, c->segments_seen);
	b_known(&b, 18, c->segments_stored);
	b_known(&b, 19, c->segments_capped);
	db_bind_text(&b, 20, c->pcap_path);
	db_bind_text(&b, 21, c->start_utc);
	return db_stmt_run(db, &b, "capture info");
}

static void bind_dir(struct bind *b, int first, const struct db_flow_dir *d)
{
	db_bind_int(b, first, d->packets);
	db_bind_int(b, first + 1, d->bytes);
	db_bind_int(b, first + 2, d->segments);
	db_bind_int(b, first + 3, d->payload_bytes);
	db_bind_int(b, first + 4, d->retrans);
	db_bind_int(b, first + 5, d->retrans_bytes);
	db_bind_int(b, first + 6, d->truncated);
}

int db_capture_flow(struct db *db, int64_t case_id, const struct db_flow *f, int64_t *flow_id)
{
	struct bind b;
	int rc;

	if (!f->proto || !f->client_addr || !f->server_addr)
		return db_invalid(db, "flow: proto and addresses are required");
	if ((rc = db_batch_open(db)) != 0 || (rc = db_stmt_get(db, ST_FLOW_INSERT, &b)) != 0)
		return rc;
	db_bind_int(&b, 1, case_id);
	db_bind_int(&b, 2, f->idx);
	db_bind_text(&b, 3, f->proto);
	db_bind_int(&b, 4, f->ipver);
	db_bind_text(&b, 5, f->client_addr);
	db_bind_int(&b, 6, f->client_port);
	db_bind_text(&b, 7, f->server_addr);
	db_bind_int(&b, 8, f->server_port);
	db_bind_int(&b, 9, f->reuse);
	db_bind_int(&b, 10, f->first_ns);
	db_bind_int(&b, 11, f->last_ns);
	bind_dir(&b, 12, &f->c2s);
	bind_dir(&b, 19, &f->s2c);
	if ((rc = db_stmt_run(db, &b, "flow")) != 0)
		return rc;
	*flow_id = sqlite3_last_insert_rowid(db_sqlite(db));
	return 0;
}

int db_capture_segments(struct db *db, int64_t flow_id, const struct db_segment *s, size_t n)
{
	struct bind b;
	int rc;

	if ((rc = db_batch_open(db)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (s[i].dir != 0 && s[i].dir != 1)
			return db_invalid(db, "segment: dir must be 0 (c2s) or 1 (s2c)");
		if ((rc = db_stmt_get(db, ST_SEGMENT_INSERT, &b)) != 0)
			return rc;
		db_bind_int(&b, 1, flow_id);
		db_bind_text(&b, 2, s[i].dir ? "s2c" : "c2s");
		db_bind_int(&b, 3, s[i].t_ns);
		b_known(&b, 4, s[i].rel_seq);
		b_known(&b, 5, s[i].rel_ack);
		db_bind_int(&b, 6, s[i].len);
		b_known(&b, 7, s[i].flags);
		db_bind_int(&b, 8, s[i].retrans);
		db_bind_int(&b, 9, s[i].offload);
		if ((rc = db_stmt_run(db, &b, "segment")) != 0)
			return rc;
	}
	return 0;
}
