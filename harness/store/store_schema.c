/*
 * harness/store/store_schema.c — the store's schema as a list of migrations, and
 * the SQL of every statement the store caches.
 *
 * Migration N takes a file from schema version N-1 to N; db_open applies
 * the missing ones in order, each in one transaction, and records each in
 * schema_version. A migration is never edited once released: a change is a
 * new migration appended to the list. Migration 2 adds the capture tables
 * (capture_info, flows, segments) hanging off cases(id); migration 3 the
 * app-boundary events, their alignment with the wire, socket-queue samples
 * and UDP accounting (docs/store.md).
 *
 * Statuses are checked in C (db_status_name), not by CHECK constraints, so
 * that a new status never needs a table rebuild.
 */
#include "harness/store/store_int.h"

/* Version 1: runs, cases, metrics, histograms, thresholds and their views. */
static const char migration_1[] =
	/* 'sklb': lets `file` and db_open tell a socklab store from another db. */
	"PRAGMA application_id = 1936419938;\n"

	"CREATE TABLE runs (\n"
	"  id              INTEGER PRIMARY KEY,\n"
	"  name            TEXT NOT NULL,\n"
	"  status          TEXT NOT NULL DEFAULT 'running',\n"
	"  started         TEXT NOT NULL,\n"
	"  ended           TEXT,\n"
	"  scenario_path   TEXT,\n"
	"  scenario_text   TEXT,\n"
	"  scenario_sha256 TEXT,\n"
	"  varying_keys    TEXT CHECK (varying_keys IS NULL OR json_valid(varying_keys)),\n"
	"  host            TEXT,\n"
	"  kernel          TEXT,\n"
	"  cpu_model       TEXT,\n"
	"  cpus            INTEGER,\n"
	"  version         TEXT,\n"
	"  git             TEXT,\n"
	"  pid             INTEGER\n"
	");\n"
	"CREATE INDEX runs_by_status ON runs(status);\n"
	"CREATE INDEX runs_by_scenario ON runs(scenario_sha256);\n"

	"CREATE TABLE cases (\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  idx        INTEGER NOT NULL,\n"
	"  status     TEXT NOT NULL DEFAULT 'running',\n"
	"  error      TEXT,\n"
	"  started    TEXT NOT NULL,\n"
	"  ended      TEXT,\n"
	"  params     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),\n"
	"  proto      TEXT,\n"
	"  model      TEXT,\n"
	"  handler    TEXT,\n"
	"  workers    INTEGER,\n"
	"  clients    INTEGER,\n"
	"  duration_s REAL,\n"
	"  size       INTEGER,\n"
	"  framing    TEXT,\n"
	"  pattern    TEXT,\n"
	"  nodelay    INTEGER,\n"
	"  rate       REAL,\n"
	"  UNIQUE (run_id, idx)\n"
	");\n"

	"CREATE TABLE metrics (\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  name    TEXT NOT NULL,\n"
	"  value   REAL,\n"
	"  PRIMARY KEY (case_id, name)\n"
	") WITHOUT ROWID;\n"

	"CREATE TABLE hist_buckets (\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  name    TEXT NOT NULL,\n"
	"  value   INTEGER NOT NULL,\n"
	"  count   INTEGER NOT NULL CHECK (count > 0),\n"
	"  PRIMARY KEY (case_id, name, value)\n"
	") WITHOUT ROWID;\n"

	"CREATE TABLE thresholds (\n"
	"  id       INTEGER PRIMARY KEY,\n"
	"  case_id  INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  expr     TEXT NOT NULL,\n"
	"  passed   INTEGER NOT NULL CHECK (passed IN (0, 1)),\n"
	"  observed REAL,\n"
	"  UNIQUE (case_id, expr)\n"
	");\n"

	"CREATE VIEW case_metrics AS\n"
	"SELECT c.run_id, c.idx AS case_index, m.case_id, m.name, m.value\n"
	"  FROM metrics m JOIN cases c ON c.id = m.case_id;\n"

#define METRIC(n) "  (SELECT value FROM metrics WHERE case_id = c.id AND name = '" n "') AS " n ",\n"
	"CREATE VIEW case_summary AS\n"
	"SELECT c.run_id, c.idx AS case_index, c.id AS case_id,\n"
	"  c.proto, c.model, c.handler, c.workers, c.clients, c.duration_s,\n"
	"  c.size, c.framing, c.pattern, c.nodelay, c.rate,\n"
	METRIC("throughput_rps")
	METRIC("throughput_mbps")
	METRIC("requests")
	METRIC("errors")
	METRIC("p50_us")
	METRIC("p90_us")
	METRIC("p99_us")
	METRIC("p999_us")
	METRIC("max_us")
	METRIC("loss_pct")
	"  (SELECT sum(value) FROM metrics WHERE case_id = c.id\n"
	"     AND name IN ('server.cpu_user_s', 'server.cpu_sys_s')) AS server_cpu_s,\n"
	"  (SELECT value FROM metrics WHERE case_id = c.id\n"
	"     AND name = 'server.maxrss_kb') AS server_maxrss_kb,\n"
	"  (SELECT count(*) FROM thresholds WHERE case_id = c.id AND NOT passed) AS thresholds_failed,\n"
	"  c.status, c.error, c.params\n"
	"  FROM cases c ORDER BY c.run_id, c.idx;\n"
#undef METRIC

	"CREATE VIEW run_summary AS\n"
	"SELECT r.id, r.name, r.status, r.started, r.ended,\n"
	"  round((julianday(r.ended) - julianday(r.started)) * 86400.0, 3) AS duration_s,\n"
	"  (SELECT count(*) FROM cases WHERE run_id = r.id) AS cases,\n"
	"  (SELECT count(*) FROM cases WHERE run_id = r.id AND status <> 'ok') AS cases_not_ok,\n"
	"  (SELECT count(*) FROM thresholds t JOIN cases c ON c.id = t.case_id\n"
	"     WHERE c.run_id = r.id AND NOT t.passed) AS thresholds_failed,\n"
	"  r.varying_keys, r.scenario_path, r.scenario_sha256, r.host, r.version, r.git\n"
	"  FROM runs r ORDER BY r.id;\n"

	"CREATE VIEW thresholds_failed AS\n"
	"SELECT c.run_id, r.name AS run_name, c.idx AS case_index, t.case_id,\n"
	"  t.expr, t.observed, c.model, c.clients, c.params\n"
	"  FROM thresholds t JOIN cases c ON c.id = t.case_id JOIN runs r ON r.id = c.run_id\n"
	"  WHERE NOT t.passed ORDER BY c.run_id, c.idx, t.id;\n"

	"CREATE VIEW hist_cdf AS\n"
	"SELECT c.run_id, c.idx AS case_index, h.case_id, h.name, h.value, h.count,\n"
	"  sum(h.count) OVER w AS cum_count,\n"
	"  CAST(sum(h.count) OVER w AS REAL)\n"
	"    / sum(h.count) OVER (PARTITION BY h.case_id, h.name) AS cum_frac\n"
	"  FROM hist_buckets h JOIN cases c ON c.id = h.case_id\n"
	"  WINDOW w AS (PARTITION BY h.case_id, h.name ORDER BY h.value\n"
	"               ROWS UNBOUNDED PRECEDING);\n";

/*
 * Version 2: live capture. Per case its status and self-check, its
 * conversations and their TCP segments / UDP datagrams. Times are integer
 * nanoseconds from the capture's start. case_summary is re-created with its
 * version-1 columns in the same order and capture_status appended.
 */
static const char migration_2[] =
	"ALTER TABLE cases ADD COLUMN capture_status TEXT;\n"
	"ALTER TABLE cases ADD COLUMN capture_error TEXT;\n"

	"CREATE TABLE capture_info (\n"
	"  case_id         INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  iface           TEXT,\n"
	"  filter          TEXT,\n"
	"  snaplen         INTEGER,\n"
	"  buffer_bytes    INTEGER,\n"
	"  immediate       INTEGER,\n"
	"  link_type       INTEGER,\n"
	"  mtu             INTEGER,\n"
	"  tso             INTEGER,\n"
	"  gso             INTEGER,\n"
	"  gro             INTEGER,\n"
	"  pkts_received   INTEGER,\n"
	"  pkts_dropped    INTEGER,\n"
	"  pkts_if_dropped INTEGER,\n"
	"  pkts_captured   INTEGER,\n"
	"  pkts_malformed  INTEGER,\n"
	"  segments_seen   INTEGER,\n"
	"  segments_stored INTEGER,\n"
	"  segments_capped INTEGER,\n"
	"  pcap_path       TEXT,\n"
	"  start_utc       TEXT\n"
	");\n"

#define DIRCOLS(d) \
	"  " d "_packets       INTEGER NOT NULL DEFAULT 0,\n" \
	"  " d "_bytes         INTEGER NOT NULL DEFAULT 0,\n" \
	"  " d "_segments      INTEGER NOT NULL DEFAULT 0,\n" \
	"  " d "_payload_bytes INTEGER NOT NULL DEFAULT 0,\n" \
	"  " d "_retrans       INTEGER NOT NULL DEFAULT 0,\n" \
	"  " d "_retrans_bytes INTEGER NOT NULL DEFAULT 0,\n" \
	"  " d "_truncated     INTEGER NOT NULL DEFAULT 0,\n"
	"CREATE TABLE flows (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  idx         INTEGER NOT NULL,\n"
	"  proto       TEXT NOT NULL,\n"
	"  ipver       INTEGER NOT NULL,\n"
	"  client_addr TEXT NOT NULL,\n"
	"  client_port INTEGER NOT NULL,\n"
	"  server_addr TEXT NOT NULL,\n"
	"  server_port INTEGER NOT NULL,\n"
	"  reuse       INTEGER NOT NULL DEFAULT 0,\n"
	"  first_ns    INTEGER,\n"
	"  last_ns     INTEGER,\n"
	DIRCOLS("c2s")
	DIRCOLS("s2c")
	"  UNIQUE (case_id, idx),\n"
	"  UNIQUE (case_id, proto, client_addr, client_port, server_addr, server_port, reuse)\n"
	");\n"
#undef DIRCOLS

	"CREATE TABLE segments (\n"
	"  flow_id INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,\n"
	"  dir     TEXT NOT NULL,\n"
	"  t_ns    INTEGER NOT NULL,\n"
	"  rel_seq INTEGER,\n"
	"  rel_ack INTEGER,\n"
	"  len     INTEGER NOT NULL,\n"
	"  flags   INTEGER,\n"
	"  retrans INTEGER NOT NULL DEFAULT 0,\n"
	"  offload INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX segments_by_flow ON segments(flow_id, dir, rel_seq);\n"

	"CREATE VIEW capture_summary AS\n"
	"SELECT c.run_id, c.idx AS case_index, c.id AS case_id, c.capture_status, c.capture_error,\n"
	"  i.iface, i.snaplen, i.buffer_bytes, i.immediate, i.mtu, i.tso, i.gso, i.gro,\n"
	"  i.pkts_received, i.pkts_dropped, i.pkts_if_dropped,\n"
	"  (SELECT count(*) FROM flows WHERE case_id = c.id) AS flows,\n"
	"  (SELECT sum(c2s_segments) FROM flows WHERE case_id = c.id) AS segments_c2s,\n"
	"  (SELECT sum(s2c_segments) FROM flows WHERE case_id = c.id) AS segments_s2c,\n"
	"  (SELECT sum(c2s_retrans + s2c_retrans) FROM flows WHERE case_id = c.id) AS retrans,\n"
	"  i.segments_seen, i.segments_stored, i.segments_capped, i.pcap_path,\n"
	"  c.nodelay, c.pattern, c.size, c.params\n"
	"  FROM cases c LEFT JOIN capture_info i ON i.case_id = c.id\n"
	"  WHERE c.capture_status IS NOT NULL ORDER BY c.run_id, c.idx;\n"

	"DROP VIEW case_summary;\n"
#define METRIC(n) "  (SELECT value FROM metrics WHERE case_id = c.id AND name = '" n "') AS " n ",\n"
	"CREATE VIEW case_summary AS\n"
	"SELECT c.run_id, c.idx AS case_index, c.id AS case_id,\n"
	"  c.proto, c.model, c.handler, c.workers, c.clients, c.duration_s,\n"
	"  c.size, c.framing, c.pattern, c.nodelay, c.rate,\n"
	METRIC("throughput_rps")
	METRIC("throughput_mbps")
	METRIC("requests")
	METRIC("errors")
	METRIC("p50_us")
	METRIC("p90_us")
	METRIC("p99_us")
	METRIC("p999_us")
	METRIC("max_us")
	METRIC("loss_pct")
	"  (SELECT sum(value) FROM metrics WHERE case_id = c.id\n"
	"     AND name IN ('server.cpu_user_s', 'server.cpu_sys_s')) AS server_cpu_s,\n"
	"  (SELECT value FROM metrics WHERE case_id = c.id\n"
	"     AND name = 'server.maxrss_kb') AS server_maxrss_kb,\n"
	"  (SELECT count(*) FROM thresholds WHERE case_id = c.id AND NOT passed) AS thresholds_failed,\n"
	"  c.status, c.error, c.params,\n"
	"  c.capture_status\n"
	"  FROM cases c ORDER BY c.run_id, c.idx;\n";
#undef METRIC

/* Version 3: what the application did (app_events), how its messages met
 * the wire (flow_align), the socket queues on the same clock
 * (sock_samples) and where every datagram of a UDP case went
 * (udp_accounting). Times are t_ns from the capture's start (cap_start_ns),
 * or from the measured phase's start when the case has no capture. */
static const char migration_3[] =
	"CREATE TABLE app_events (\n"
	"  case_id       INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  flow_id       INTEGER REFERENCES flows(id) ON DELETE SET NULL,\n"
	"  side          TEXT NOT NULL,\n"          /* 'client' | 'server' */
	"  conn          INTEGER NOT NULL,\n"       /* connection id on that side */
	"  kind          TEXT NOT NULL,\n"          /* 'connect' 'send' 'recv' 'close' */
	"  t_ns          INTEGER NOT NULL,\n"
	"  stream_offset INTEGER,\n"                /* bytes before it, same direction */
	"  len           INTEGER,\n"
	"  lport         INTEGER,\n"                /* this side's port */
	"  rport         INTEGER,\n"                /* the peer's port */
	"  t_call_ns     INTEGER\n"                 /* when the call began, if known */
	");\n"
	"CREATE INDEX app_events_by_case ON app_events(case_id, side, conn, t_ns);\n"
	"CREATE INDEX app_events_by_flow ON app_events(flow_id, side, stream_offset);\n"

	/* One row per captured flow and direction ('c2s' | 's2c'). */
	"CREATE TABLE flow_align (\n"
	"  flow_id            INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,\n"
	"  dir                TEXT NOT NULL,\n"
	"  bytes              INTEGER NOT NULL DEFAULT 0,\n"
	"  sends              INTEGER NOT NULL DEFAULT 0,\n"
	"  segments           INTEGER NOT NULL DEFAULT 0,\n"
	"  recvs              INTEGER NOT NULL DEFAULT 0,\n"
	"  coalesced_segments INTEGER NOT NULL DEFAULT 0,\n" /* segments carrying > 1 send */
	"  merged_recvs       INTEGER NOT NULL DEFAULT 0,\n" /* recvs returning > 1 segment */
	"  sticky_msgs        INTEGER NOT NULL DEFAULT 0,\n" /* messages sharing a recv with another */
	"  half_msgs          INTEGER NOT NULL DEFAULT 0,\n" /* messages split across recvs */
	"  cause_nagle        INTEGER NOT NULL DEFAULT 0,\n"
	"  cause_cork         INTEGER NOT NULL DEFAULT 0,\n"
	"  cause_offload      INTEGER NOT NULL DEFAULT 0,\n"
	"  cause_late_reader  INTEGER NOT NULL DEFAULT 0,\n"
	"  unmapped_bytes     INTEGER NOT NULL DEFAULT 0,\n" /* app bytes no segment covered */
	"  msgs               INTEGER NOT NULL DEFAULT 0,\n" /* messages (docs/analysis.md) */
	"  held_sends         INTEGER NOT NULL DEFAULT 0,\n" /* first byte left after send() returned */
	"  cause_cwnd         INTEGER NOT NULL DEFAULT 0,\n" /* TCP_NODELAY, congestion window full */
	"  cause_unknown      INTEGER NOT NULL DEFAULT 0,\n" /* merged, cause not established */
	"  cause_back_to_back INTEGER NOT NULL DEFAULT 0,\n" /* merged in an on-time recv */
	"  recv_wait_max_ns   INTEGER,\n"                   /* longest first-segment wait of a merged recv */
	"  msg_bounds         TEXT,\n"                      /* 'sends' | 'size' | 'split' */
	"  PRIMARY KEY (flow_id, dir)\n"
	");\n"

	/* flow_align per flow and direction with the case and the ratios
	 * (docs/analysis.md has the rules behind each count). */
	"CREATE VIEW flow_summary AS\n"
	"SELECT c.run_id, c.idx AS case_index, f.case_id, f.idx AS flow_index, a.flow_id, a.dir,\n"
	"  f.client_port, f.server_port, c.nodelay, c.pattern, c.params,\n"
	"  a.bytes, a.sends, a.msgs, a.segments, a.recvs,\n"
	"  round(1.0 * a.sends / nullif(a.segments, 0), 3) AS sends_per_segment,\n"
	"  round(1.0 * a.segments / nullif(a.recvs, 0), 3) AS segments_per_recv,\n"
	"  round(1.0 * a.msgs / nullif(a.recvs, 0), 3) AS msgs_per_recv,\n"
	"  a.coalesced_segments, a.held_sends, a.merged_recvs, a.sticky_msgs, a.half_msgs,\n"
	"  a.cause_nagle, a.cause_cork, a.cause_cwnd, a.cause_offload, a.cause_late_reader,\n"
	"  a.cause_back_to_back, a.cause_unknown, a.unmapped_bytes, a.recv_wait_max_ns, a.msg_bounds,\n"
	"  json_extract(c.params, '$.\"server.read_delay\"') AS read_delay\n"
	"  FROM flow_align a JOIN flows f ON f.id = a.flow_id JOIN cases c ON c.id = f.case_id\n"
	"  ORDER BY c.run_id, c.idx, f.idx, a.dir;\n"

	"CREATE TABLE sock_samples (\n"
	"  case_id  INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  side     TEXT NOT NULL,\n"
	"  conn     INTEGER NOT NULL,\n"
	"  t_ns     INTEGER NOT NULL,\n"
	"  rx_queue INTEGER,\n"                     /* SIOCINQ, bytes */
	"  tx_queue INTEGER,\n"                     /* SIOCOUTQ, bytes */
	"  rtt_us   INTEGER,\n"                     /* TCP_INFO */
	"  cwnd     INTEGER,\n"
	"  unacked  INTEGER\n"
	");\n"
	"CREATE INDEX sock_samples_by_case ON sock_samples(case_id, side, conn, t_ns);\n"

	"CREATE TABLE udp_accounting (\n"
	"  case_id            INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  sent               INTEGER,\n"           /* datagrams the app's sendmmsg took */
	"  warmup_sent        INTEGER,\n"           /* of them in the warmup (not captured) */
	"  refused            INTEGER,\n"           /* ENOBUFS/EAGAIN at the sender (resent) */
	"  wire               INTEGER,\n"           /* client->server (->relay) datagrams captured */
	"  wire_relayed       INTEGER,\n"           /* relay->server datagrams captured */
	"  relay_rcvbuf_dropped INTEGER,\n"         /* the relay socket's kernel drops */
	"  relay_dropped      INTEGER,\n"           /* the relay's impairment */
	"  relay_duplicated   INTEGER,\n"
	"  link_dropped       INTEGER,\n"           /* topology pair: the link.loss rule */
	"  link_rate_dropped  INTEGER,\n"           /* topology pair: link.rate's tbf drops */
	"  rcvbuf_dropped     INTEGER,\n"           /* SO_RXQ_OVFL on the server socket(s) */
	"  snmp_rcvbuf_errors INTEGER,\n"           /* /proc/net/snmp Udp RcvbufErrors delta */
	"  truncated          INTEGER,\n"           /* MSG_TRUNC */
	"  received           INTEGER,\n"           /* datagrams the server read */
	"  unread             INTEGER,\n"           /* still queued when the server stopped */
	"  duplicates         INTEGER,\n"           /* client-side tracker */
	"  reordered          INTEGER,\n"
	"  unaccounted        INTEGER\n"            /* sent + relay_duplicated - every sink */
	");\n"

	/* udp_accounting with the case's parameters, loss shares, and how
	 * the capture's count compares with what the measured phase sent. */
	"CREATE VIEW udp_summary AS\n"
	"SELECT c.run_id, c.idx AS case_index, u.case_id, c.model, c.clients, c.size, c.rate,\n"
	"  u.sent, u.warmup_sent, u.refused, u.wire,\n"
	/* wire is what the clients put on the wire (before a relay or the
	 * link's loss rule; after link.rate's tbf, which makes it negative),
	 * the measured phase's datagrams. */
	"  u.wire - (u.sent - coalesce(u.warmup_sent, 0)) AS wire_gap,\n"
	"  u.wire_relayed, u.relay_rcvbuf_dropped,\n"
	"  u.relay_dropped, u.relay_duplicated, u.link_dropped, u.link_rate_dropped,\n"
	"  u.rcvbuf_dropped,\n"
	"  u.snmp_rcvbuf_errors,\n"
	"  u.truncated, u.received, u.unread, u.unaccounted,\n"
	"  round(100.0 * u.rcvbuf_dropped / nullif(u.sent, 0), 3) AS rcvbuf_dropped_pct,\n"
	"  round(100.0 * u.received / nullif(u.sent, 0), 3) AS received_pct,\n"
	"  u.duplicates, u.reordered, c.status, c.capture_status, c.params\n"
	"  FROM udp_accounting u JOIN cases c ON c.id = u.case_id\n"
	"  ORDER BY c.run_id, c.idx;\n"

	/* Cases run through a relay (relay.* metrics): the messages the
	 * clients sent against the messages the server decided it got, with
	 * their mean sizes, and what the relay did to the stream. */
#define RM(n, as) "  (SELECT value FROM metrics WHERE case_id = c.id AND name = '" n "') AS " as ",\n"
	"CREATE VIEW relay_messages AS\n"
	"SELECT c.run_id, c.idx, c.id AS case_id, c.proto, c.handler,\n"
	"  json_extract(c.params, '$.\"server.framing\"') AS server_framing,\n"
	"  c.framing AS client_framing,\n"
	"  json_extract(c.params, '$.\"relay.chunk\"') AS relay_chunk,\n"
	RM("requests", "messages_sent")
	RM("replies", "replies")
	RM("errors", "errors")
	RM("server.requests", "server_messages")
	"  round((SELECT value FROM metrics WHERE case_id = c.id AND name = 'bytes_sent') /\n"
	"    nullif((SELECT value FROM metrics WHERE case_id = c.id AND name = 'requests'), 0), 1)\n"
	"    AS bytes_per_message,\n"
	"  round((SELECT value FROM metrics WHERE case_id = c.id AND name = 'server.bytes_in') /\n"
	"    nullif((SELECT value FROM metrics WHERE case_id = c.id AND name = 'server.requests'), 0),\n"
	"    1) AS bytes_per_server_message,\n"
	RM("relay.chunks", "relay_chunks")
	RM("relay.bytes_c2s", "relay_bytes_c2s")
	RM("relay.dropped", "relay_dropped")
	RM("relay.duplicated", "relay_duplicated")
	RM("relay.reordered", "relay_reordered")
	RM("relay.resets", "relay_resets")
	RM("relay.decision_hash", "relay_decision_hash")
	"  c.status, c.params\n"
	"  FROM cases c\n"
	"  WHERE EXISTS (SELECT 1 FROM metrics WHERE case_id = c.id AND name = 'relay.seed')\n"
	"  ORDER BY c.run_id, c.idx;\n";
#undef RM

/* Migration 4: the command lines of the case's children (the server, the
 * relay), as a shell reads them, so a case can be started again by hand. */
static const char migration_4[] =
	"ALTER TABLE cases ADD COLUMN server_cmd TEXT;"
	"ALTER TABLE cases ADD COLUMN relay_cmd TEXT;";

static const char *const migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
};

const char *const *db_migrations(size_t *n)
{
	*n = sizeof migrations / sizeof migrations[0];
	return migrations;
}

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT db_batch",
	[ST_RELEASE] = "RELEASE db_batch",
	[ST_ROLLBACK_TO] = "ROLLBACK TO db_batch",
	[ST_RUN_INSERT] =
		"INSERT INTO runs (name, status, started, scenario_path, scenario_text,"
		" scenario_sha256, host, kernel, cpu_model, cpus, version, git, pid)"
		" VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_RUN_END] = "UPDATE runs SET status = ?2, ended = ?3 WHERE id = ?1",
	[ST_RUN_VARYING] = "UPDATE runs SET varying_keys = ?2 WHERE id = ?1",
	/*
	 * A key varies when its value differs between cases, or when some case
	 * lacks it; keys come out in the order the params list them.
	 */
	[ST_RUN_DERIVE_VARYING] =
		"UPDATE runs SET varying_keys = (SELECT json_group_array(key) FROM"
		" (SELECT j.key AS key FROM cases c, json_each(c.params) j"
		"   WHERE c.run_id = ?1 GROUP BY j.key"
		"   HAVING count(DISTINCT j.value) > 1"
		"       OR count(*) < (SELECT count(*) FROM cases WHERE run_id = ?1)"
		"   ORDER BY min(j.id), j.key))"
		" WHERE id = ?1 AND varying_keys IS NULL",
	[ST_RUN_STALE] = "SELECT id, pid FROM runs WHERE status = 'running' AND host = ?1",
	[ST_RUN_REAP] = "UPDATE runs SET status = 'interrupted' WHERE id = ?1 AND status = 'running'",
	[ST_RUN_REAP_CASES] =
		"UPDATE cases SET status = 'interrupted' WHERE run_id = ?1 AND status = 'running'",
	[ST_CASE_INSERT] =
		"INSERT INTO cases (run_id, idx, started, params, proto, model, handler,"
		" workers, clients, duration_s, size, framing, pattern, nodelay, rate)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_CASE_END] = "UPDATE cases SET status = ?2, error = ?3, ended = ?4 WHERE id = ?1",
	[ST_CASE_SERVER_CMD] = "UPDATE cases SET server_cmd = ?2 WHERE id = ?1",
	[ST_CASE_RELAY_CMD] = "UPDATE cases SET relay_cmd = ?2 WHERE id = ?1",
	[ST_METRIC] =
		"INSERT INTO metrics (case_id, name, value) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (case_id, name) DO UPDATE SET value = excluded.value",
	[ST_HIST_CLEAR] = "DELETE FROM hist_buckets WHERE case_id = ?1 AND name = ?2",
	[ST_BUCKET] =
		"INSERT INTO hist_buckets (case_id, name, value, count) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (case_id, name, value) DO UPDATE SET count = count + excluded.count",
	[ST_THRESHOLD] =
		"INSERT INTO thresholds (case_id, expr, passed, observed) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (case_id, expr) DO UPDATE"
		" SET passed = excluded.passed, observed = excluded.observed",
	[ST_CASE_CAPTURE] =
		"UPDATE cases SET capture_status = ?2, capture_error = ?3 WHERE id = ?1",
	[ST_CAPTURE_INFO] =
		"INSERT OR REPLACE INTO capture_info (case_id, iface, filter, snaplen, buffer_bytes,"
		" immediate, link_type, mtu, tso, gso, gro, pkts_received, pkts_dropped,"
		" pkts_if_dropped, pkts_captured, pkts_malformed, segments_seen, segments_stored,"
		" segments_capped, pcap_path, start_utc)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?18, ?19, ?20, ?21)",
	[ST_FLOW_INSERT] =
		"INSERT INTO flows (case_id, idx, proto, ipver, client_addr, client_port,"
		" server_addr, server_port, reuse, first_ns, last_ns,"
		" c2s_packets, c2s_bytes, c2s_segments, c2s_payload_bytes, c2s_retrans,"
		" c2s_retrans_bytes, c2s_truncated,"
		" s2c_packets, s2c_bytes, s2c_segments, s2c_payload_bytes, s2c_retrans,"
		" s2c_retrans_bytes, s2c_truncated)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		" ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
	[ST_SEGMENT_INSERT] =
		"INSERT INTO segments (flow_id, dir, t_ns, rel_seq, rel_ack, len, flags, retrans,"
		" offload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
};

const char *db_stmt_sql(enum db_stmt_id id)
{
	return stmt_sql[id];
}
