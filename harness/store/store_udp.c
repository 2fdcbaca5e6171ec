/*
 * harness/store/store_udp.c — a UDP case's udp_accounting row (schema version
 * 3). What the runner measured itself (the client's sends, the snmp delta)
 * comes in struct udp_acct; the rest is read back from what the case
 * already stored in its batch: the server's counters (metrics
 * server.udp.*), the impairment relay's (relay.dropped + relay.rate_dropped
 * + relay.send_failed, relay.duplicated, relay.rcvbuf_dropped), the link's loss rule and tbf (link.dropped,
 * link.rate_dropped) and the
 * capture's client -> server UDP packets (flows), so a part that did not
 * run is simply NULL. With a relay the capture holds two legs, told apart
 * by their server port: wire is the clients' leg (to a->wire_port),
 * wire_relayed the relay's (to a->behind_port).
 */
#include "harness/store/store_int.h"
#include "harness/capture/udp_acct.h"

#include <errno.h>

/* Bound: ?1 case id, ?2 the clients' port (0: any), ?3 the port behind the
 * relay (0: no relay). One row: the server's four counters, the relay's
 * three, the link's two, and the wire counts (NULL unless the capture ran). */
static const char read_sql[] =
	"SELECT"
	" (SELECT value FROM metrics WHERE case_id = ?1 AND name = 'server.udp.received'),"
	" (SELECT value FROM metrics WHERE case_id = ?1 AND name = 'server.udp.truncated'),"
	" (SELECT value FROM metrics WHERE case_id = ?1 AND name = 'server.udp.rcvbuf_dropped'),"
	" (SELECT value FROM metrics WHERE case_id = ?1 AND name = 'server.udp.unread'),"
	/* The relay drops by its impairment, by its rate limit and when the
	 * kernel refuses its forwarding send (client -> server only). */
	" (SELECT sum(value) FROM metrics WHERE case_id = ?1"
	"   AND name IN ('relay.dropped', 'relay.rate_dropped', 'relay.send_failed')),"
	" (SELECT value FROM metrics WHERE case_id = ?1 AND name = 'relay.duplicated'),"
	/* Its client-facing socket's kernel drops (receive buffer full). */
	" (SELECT value FROM metrics WHERE case_id = ?1 AND name = 'relay.rcvbuf_dropped'),"
	" (SELECT value FROM metrics WHERE case_id = ?1 AND name = 'link.dropped'),"
	" (SELECT value FROM metrics WHERE case_id = ?1 AND name = 'link.rate_dropped'),"
	" CASE WHEN (SELECT capture_status FROM cases WHERE id = ?1) = 'ok' THEN"
	"  (SELECT coalesce(sum(c2s_packets), 0) FROM flows WHERE case_id = ?1 AND proto = 'udp'"
	"    AND (?2 = 0 OR server_port = ?2))"
	" END,"
	" CASE WHEN ?3 != 0 AND (SELECT capture_status FROM cases WHERE id = ?1) = 'ok' THEN"
	"  (SELECT coalesce(sum(c2s_packets), 0) FROM flows WHERE case_id = ?1 AND proto = 'udp'"
	"    AND server_port = ?3)"
	" END";

static const char insert_sql[] =
	"INSERT OR REPLACE INTO udp_accounting (case_id, sent, warmup_sent, refused, wire,"
	" wire_relayed, relay_rcvbuf_dropped, relay_dropped, relay_duplicated, link_dropped,"
	" link_rate_dropped, rcvbuf_dropped, snmp_rcvbuf_errors, truncated, received, unread,"
	" duplicates, reordered, unaccounted)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
	" ?19)";

static int64_t col(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? UDP_NA
	       : (int64_t)sqlite3_column_int64(st, i);
}

static int read_stored(struct db *db, int64_t case_id, struct udp_acct *a)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db_sqlite(db), read_sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, "udp accounting: prepare");
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int(st, 2, a->wire_port);
	sqlite3_bind_int(st, 3, a->behind_port);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a->received = col(st, 0);
		a->truncated = col(st, 1);
		a->rcvbuf_dropped = col(st, 2);
		a->unread = col(st, 3);
		a->relay_dropped = col(st, 4);
		a->relay_duplicated = col(st, 5);
		a->relay_rcvbuf_dropped = col(st, 6);
		a->link_dropped = col(st, 7);
		a->link_rate_dropped = col(st, 8);
		a->wire = col(st, 9);
		a->wire_relayed = col(st, 10);
		rc = SQLITE_OK;
	} else {
		rc = db_fail(db, rc, "udp accounting: read");
	}
	sqlite3_finalize(st);
	return rc;
}

int db_case_udp_accounting(struct db *db, int64_t case_id, struct udp_acct *a)
{
	const int64_t *v[] = {
		&a->sent, &a->warmup_sent, &a->refused, &a->wire, &a->wire_relayed,
		&a->relay_rcvbuf_dropped, &a->relay_dropped, &a->relay_duplicated, &a->link_dropped, &a->link_rate_dropped,
		&a->rcvbuf_dropped, &a->snmp_rcvbuf_errors,
		&a->truncated, &a->received, &a->unread, &a->duplicates, &a->reordered,
		&a->unaccounted,
	};
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = db_batch_open(db)) != 0 || (rc = read_stored(db, case_id, a)) != 0)
		return rc;
	a->unaccounted = udp_acct_balance(a);
	rc = sqlite3_prepare_v2(db_sqlite(db), insert_sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, "udp accounting: prepare");
	sqlite3_bind_int64(st, 1, case_id);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (*v[i] == UDP_NA)
			sqlite3_bind_null(st, (int)i + 2);
		else
			sqlite3_bind_int64(st, (int)i + 2, *v[i]);
	}
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, rc, "udp accounting: insert");
	sqlite3_finalize(st);
	return rc;
}
