/*
 * reports/model.c — load one run of the SQLite store for `socklab report`:
 * the run's metadata, its varying keys (runs.varying_keys), and its cases in
 * case order with their parameters (cases.params through json_each, in the
 * stored order) and every metric (the metrics table, sorted by name). The
 * file is opened with sqlite3_open_v2 without SQLITE_OPEN_CREATE and with
 * PRAGMA query_only (read-only when the file is not writable), never
 * through db_open, so that reading never creates a file nor migrates one; a
 * store newer than this build is refused. This is the only file of reports/ that speaks SQL.
 */
#include "reports/report.h"
#include "harness/store/store.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *dup_col(sqlite3_stmt *st, int i, int *rc)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	if (!s)
		return NULL;
	char *d = strdup((const char *)s);
	if (!d)
		*rc = -ENOMEM;
	return d;
}

/* Append s (copied) to a string array; 0 or -ENOMEM. */
static int push_str(char ***arr, size_t *n, const char *s)
{
	char **a = realloc(*arr, (*n + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	*arr = a;
	if (!(a[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static bool has_str(char *const *arr, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(arr[i], s) == 0)
			return true;
	return false;
}

static int sql_fail(sqlite3 *sql, const char *path, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(sql));
	return -EIO;
}

static struct rpt_case *case_by_id(struct rpt_run *r, int64_t id)
{
	for (size_t i = 0; i < r->ncases; i++)
		if (r->cases[i].id == id)
			return &r->cases[i];
	return NULL;
}

static int load_run(sqlite3 *sql, struct rpt_run *r)
{
	static const char q[] =
		"SELECT name, status, started, ended, scenario_path, scenario_sha256,"
		" host, kernel, cpu_model, version, git, cpus FROM runs WHERE id = ?";
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(sql, q, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, r->id);
	int s = sqlite3_step(st);
	if (s == SQLITE_DONE) {
		rc = -ENOENT;
	} else if (s != SQLITE_ROW) {
		rc = -EIO;
	} else {
		char **f[] = {&r->name, &r->status, &r->started, &r->ended, &r->scenario_path,
			      &r->scenario_sha256, &r->host, &r->kernel, &r->cpu_model,
			      &r->version, &r->git};
		for (int i = 0; i < (int)(sizeof(f) / sizeof(f[0])); i++)
			*f[i] = dup_col(st, i, &rc);
		r->cpus = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 11);
	}
	sqlite3_finalize(st);
	return rc;
}

static int load_varying(sqlite3 *sql, struct rpt_run *r)
{
	static const char q[] =
		"SELECT CAST(j.value AS TEXT) FROM runs, json_each(runs.varying_keys) j"
		" WHERE runs.id = ? AND json_valid(runs.varying_keys) ORDER BY j.id";
	sqlite3_stmt *st = NULL;
	int rc = 0, s;
	if (sqlite3_prepare_v2(sql, q, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, r->id);
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		if (k && !has_str(r->varying, r->nvarying, k))
			rc = push_str(&r->varying, &r->nvarying, k);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(st);
	return rc;
}

static int load_cases(sqlite3 *sql, struct rpt_run *r)
{
	static const char q[] =
		"SELECT id, idx, status, error, capture_status, capture_error FROM cases"
		" WHERE run_id = ? ORDER BY idx";
	/* A version-1 store has no capture columns. */
	static const char q1[] =
		"SELECT id, idx, status, error, NULL, NULL FROM cases WHERE run_id = ? ORDER BY idx";
	sqlite3_stmt *st = NULL;
	int rc = 0, s;
	if (sqlite3_prepare_v2(sql, q, -1, &st, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(sql, q1, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, r->id);
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rpt_case *a = realloc(r->cases, (r->ncases + 1) * sizeof(*a));
		if (!a) {
			rc = -ENOMEM;
			break;
		}
		r->cases = a;
		struct rpt_case *c = &a[r->ncases++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(st, 0);
		c->index = sqlite3_column_int64(st, 1);
		c->status = dup_col(st, 2, &rc);
		c->error = dup_col(st, 3, &rc);
		c->capture_status = dup_col(st, 4, &rc);
		c->capture_error = dup_col(st, 5, &rc);
		if (rc == 0 && !c->status && !(c->status = strdup("?")))
			rc = -ENOMEM;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(st);
	return rc;
}

static int load_params(sqlite3 *sql, struct rpt_run *r)
{
	static const char q[] =
		"SELECT c.id, p.key, CAST(p.value AS TEXT) FROM cases c, json_each(c.params) p"
		" WHERE c.run_id = ? AND json_valid(c.params) ORDER BY c.idx, p.id";
	sqlite3_stmt *st = NULL;
	int rc = 0, s;
	if (sqlite3_prepare_v2(sql, q, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, r->id);
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rpt_case *c = case_by_id(r, sqlite3_column_int64(st, 0));
		const char *k = (const char *)sqlite3_column_text(st, 1);
		const char *v = (const char *)sqlite3_column_text(st, 2);
		if (!c || !k)
			continue;
		struct rpt_param *a = realloc(c->params, (c->nparams + 1) * sizeof(*a));
		if (!a) {
			rc = -ENOMEM;
			break;
		}
		c->params = a;
		a[c->nparams].key = strdup(k);
		a[c->nparams].value = strdup(v ? v : "");
		c->nparams++;
		if (!a[c->nparams - 1].key || !a[c->nparams - 1].value)
			rc = -ENOMEM;
		else if (!has_str(r->param_keys, r->nparam_keys, k))
			rc = push_str(&r->param_keys, &r->nparam_keys, k);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(st);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_metrics(sqlite3 *sql, struct rpt_run *r)
{
	static const char q[] =
		"SELECT m.case_id, m.name, m.value FROM metrics m JOIN cases c ON c.id = m.case_id"
		" WHERE c.run_id = ? ORDER BY c.idx, m.name";
	sqlite3_stmt *st = NULL;
	int rc = 0, s;
	if (sqlite3_prepare_v2(sql, q, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, r->id);
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rpt_case *c = case_by_id(r, sqlite3_column_int64(st, 0));
		const char *n = (const char *)sqlite3_column_text(st, 1);
		if (!c || !n)
			continue;
		struct rpt_metric *a = realloc(c->metrics, (c->nmetrics + 1) * sizeof(*a));
		if (!a) {
			rc = -ENOMEM;
			break;
		}
		c->metrics = a;
		struct rpt_metric *m = &a[c->nmetrics];
		m->is_null = sqlite3_column_type(st, 2) == SQLITE_NULL;
		m->value = m->is_null ? NAN : sqlite3_column_double(st, 2);
		if (!(m->name = strdup(n))) {
			rc = -ENOMEM;
			break;
		}
		c->nmetrics++;
		if (!has_str(r->metric_names, r->nmetric_names, n))
			rc = push_str(&r->metric_names, &r->nmetric_names, n);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(st);
	if (rc == 0 && r->nmetric_names > 1)
		qsort(r->metric_names, r->nmetric_names, sizeof(char *), cmp_str);
	return rc;
}

static bool has_table(sqlite3 *sql, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool yes = false;
	if (sqlite3_prepare_v2(sql, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return yes;
}

/* table has a column name (table is one of ours, not user input). */
static bool has_column(sqlite3 *sql, const char *table, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool yes = false;
	if (sqlite3_prepare_v2(sql, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return yes;
}

static int cmp_metric(const void *a, const void *b)
{
	return strcmp(((const struct rpt_metric *)a)->name, ((const struct rpt_metric *)b)->name);
}

/* Add a derived metric to a case (unless the metrics table has the name). */
static int add_metric(struct rpt_run *r, struct rpt_case *c, const char *name, sqlite3_stmt *st,
		      int col)
{
	for (size_t i = 0; i < c->nmetrics; i++)
		if (strcmp(c->metrics[i].name, name) == 0)
			return 0;
	struct rpt_metric *a = realloc(c->metrics, (c->nmetrics + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	c->metrics = a;
	struct rpt_metric *m = &a[c->nmetrics];
	m->is_null = sqlite3_column_type(st, col) == SQLITE_NULL;
	m->value = m->is_null ? NAN : sqlite3_column_double(st, col);
	if (!(m->name = strdup(name)))
		return -ENOMEM;
	c->nmetrics++;
	if (!has_str(r->metric_names, r->nmetric_names, name))
		return push_str(&r->metric_names, &r->nmetric_names, name);
	return 0;
}

/* Rows of q (?1 = run id): column 0 a case id, then one derived metric per name. */
static int load_derived(sqlite3 *sql, struct rpt_run *r, const char *q, const char *const *names,
			int nnames)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, s;
	if (sqlite3_prepare_v2(sql, q, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, r->id);
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rpt_case *c = case_by_id(r, sqlite3_column_int64(st, 0));
		for (int i = 0; c && rc == 0 && i < nnames; i++)
			rc = add_metric(r, c, names[i], st, i + 1);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(st);
	return rc;
}

/* Derived metrics from flow_align and udp_accounting (migration 3), when present. */
static int load_capture_metrics(sqlite3 *sql, struct rpt_run *r)
{
	static const char *const align[] = {
		"align.bytes", "align.sends", "align.segments", "align.recvs",
		"align.coalesced_segments", "align.merged_recvs", "align.sticky_msgs", "align.half_msgs",
	};
	static const char qa[] =
		"SELECT f.case_id, sum(a.bytes), sum(a.sends), sum(a.segments), sum(a.recvs),"
		" sum(a.coalesced_segments), sum(a.merged_recvs), sum(a.sticky_msgs), sum(a.half_msgs)"
		" FROM flow_align a JOIN flows f ON f.id = a.flow_id JOIN cases c ON c.id = f.case_id"
		" WHERE c.run_id = ? AND a.dir = 'c2s' GROUP BY f.case_id";
	static const char *const udp[] = {
		"udp.sent", "udp.refused", "udp.wire", "udp.relay_dropped", "udp.relay_duplicated",
		"udp.rcvbuf_dropped", "udp.snmp_rcvbuf_errors", "udp.truncated", "udp.received",
		"udp.duplicates", "udp.reordered", "udp.unaccounted", "udp.unread",
		"udp.wire_relayed", "udp.link_dropped", "udp.link_rate_dropped",
		"udp.relay_rcvbuf_dropped",
	};
	/* The last columns came late in migration 3: a store written before
	 * them reads NULL for them (%s: the column, or NULL). */
	static const char qu_fmt[] =
		"SELECT u.case_id, u.sent, u.refused, u.wire, u.relay_dropped, u.relay_duplicated,"
		" u.rcvbuf_dropped, u.snmp_rcvbuf_errors, u.truncated, u.received, u.duplicates,"
		" u.reordered, u.unaccounted, u.unread, %s, %s, %s, %s"
		" FROM udp_accounting u JOIN cases c ON c.id = u.case_id WHERE c.run_id = ?";
	static const char *const late[] = {
		"wire_relayed", "link_dropped", "link_rate_dropped", "relay_rcvbuf_dropped",
	};
	char qu[1024], lc[4][32];
	int rc = 0;
	if (has_table(sql, "flow_align") && has_table(sql, "flows"))
		rc = load_derived(sql, r, qa, align, 8);
	if (rc == 0 && has_table(sql, "udp_accounting")) {
		for (int i = 0; i < 4; i++)
			snprintf(lc[i], sizeof(lc[i]), "%s", has_column(sql, "udp_accounting", late[i])
				 ? late[i] : "NULL");
		snprintf(qu, sizeof(qu), qu_fmt, lc[0], lc[1], lc[2], lc[3]);
		rc = load_derived(sql, r, qu, udp, (int)(sizeof(udp) / sizeof(udp[0])));
	}
	for (size_t i = 0; rc == 0 && i < r->ncases; i++)
		if (r->cases[i].nmetrics > 1)
			qsort(r->cases[i].metrics, r->cases[i].nmetrics, sizeof(struct rpt_metric),
			      cmp_metric);
	if (rc == 0 && r->nmetric_names > 1)
		qsort(r->metric_names, r->nmetric_names, sizeof(char *), cmp_str);
	return rc;
}

/* One lane of a timeline: rows (t_ns, lo, len) of st, already bound. */
static int load_lane(sqlite3_stmt *st, struct rpt_timeline *tl, int lane)
{
	int s;
	size_t cap = 0;
	double next = 0;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (tl->n[lane] == RPT_TL_MAX) {
			tl->truncated = true;
			break;
		}
		if (tl->n[lane] == cap) {
			cap = cap ? cap * 2 : 64;
			struct rpt_span *a = realloc(tl->lane[lane], cap * sizeof(*a));
			if (!a)
				return -ENOMEM;
			tl->lane[lane] = a;
		}
		struct rpt_span *sp = &tl->lane[lane][tl->n[lane]++];
		double len = sqlite3_column_double(st, 2);
		sp->t_us = sqlite3_column_double(st, 0) / 1000.0;
		/* A send or recv without a stream offset follows the previous one. */
		sp->lo = sqlite3_column_type(st, 1) == SQLITE_NULL ? next : sqlite3_column_double(st, 1);
		sp->hi = sp->lo + len;
		next = sp->hi;
	}
	return s == SQLITE_ROW || s == SQLITE_DONE ? 0 : -EIO;
}

/*
 * The timeline of the first TCP flow (by flows.idx) of each case that has
 * app events. App events are tied to the flow by flow_id, or else by the
 * client's port. Segment offsets are rel_seq less the flow's lowest data
 * rel_seq (the SYN takes one sequence number); times are rebased to the
 * earliest event of the three lanes.
 */
static int load_timelines(sqlite3 *sql, struct rpt_run *r)
{
#define EV_MATCH " (a.flow_id = ?1 OR (a.flow_id IS NULL AND a.case_id = ?2 AND" 	" ((a.side = 'client' AND a.lport = ?3) OR (a.side = 'server' AND a.rport = ?3))))"
	static const char qf[] =
		"SELECT f.id, f.idx, f.client_port FROM flows f WHERE f.case_id = ?2 AND f.proto = 'tcp'"
		" AND EXISTS (SELECT 1 FROM app_events a WHERE (a.flow_id = f.id OR (a.flow_id IS NULL"
		" AND a.case_id = f.case_id AND ((a.side = 'client' AND a.lport = f.client_port) OR"
		" (a.side = 'server' AND a.rport = f.client_port))))) ORDER BY f.idx LIMIT 1";
	static const char *const ql[RPT_TL_LANES] = {
		/* A client send when its call began (a store before the client
		 * logged that: when it returned). */
		"SELECT coalesce(a.t_call_ns, a.t_ns) AS t, a.stream_offset, a.len FROM app_events a"
		" WHERE" EV_MATCH " AND a.side = 'client' AND a.kind = 'send' AND a.len > 0"
		" ORDER BY t, a.stream_offset LIMIT 401",
		"SELECT s.t_ns, s.rel_seq - (SELECT min(rel_seq) FROM segments WHERE flow_id = ?1"
		" AND dir = 'c2s' AND len > 0), s.len FROM segments s WHERE s.flow_id = ?1"
		" AND s.dir = 'c2s' AND s.len > 0 AND s.retrans = 0 AND ?2 IS NOT NULL AND ?3 IS NOT NULL"
		" ORDER BY s.t_ns LIMIT 401",
		"SELECT a.t_ns, a.stream_offset, a.len FROM app_events a WHERE" EV_MATCH
		" AND a.side = 'server' AND a.kind = 'recv' AND a.len > 0 ORDER BY a.t_ns, a.stream_offset"
		" LIMIT 401",
	};
#undef EV_MATCH
	if (!has_table(sql, "app_events") || !has_table(sql, "flows") || !has_table(sql, "segments"))
		return 0;
	sqlite3_stmt *sf = NULL, *sl[RPT_TL_LANES] = {NULL};
	int rc = 0;
	if (sqlite3_prepare_v2(sql, qf, -1, &sf, NULL) != SQLITE_OK)
		rc = -EIO;
	for (int k = 0; rc == 0 && k < RPT_TL_LANES; k++)
		if (sqlite3_prepare_v2(sql, ql[k], -1, &sl[k], NULL) != SQLITE_OK)
			rc = -EIO;
	for (size_t i = 0; rc == 0 && i < r->ncases; i++) {
		struct rpt_case *c = &r->cases[i];
		sqlite3_reset(sf);
		sqlite3_bind_int64(sf, 2, c->id);
		int s = sqlite3_step(sf);
		if (s == SQLITE_DONE)
			continue;
		if (s != SQLITE_ROW) {
			rc = -EIO;
			break;
		}
		if (!(c->timeline = calloc(1, sizeof(*c->timeline)))) {
			rc = -ENOMEM;
			break;
		}
		c->timeline->flow_idx = sqlite3_column_int64(sf, 1);
		for (int k = 0; rc == 0 && k < RPT_TL_LANES; k++) {
			sqlite3_reset(sl[k]);
			sqlite3_bind_int64(sl[k], 1, sqlite3_column_int64(sf, 0));
			sqlite3_bind_int64(sl[k], 2, c->id);
			sqlite3_bind_int64(sl[k], 3, sqlite3_column_int64(sf, 2));
			rc = load_lane(sl[k], c->timeline, k);
		}
		double t0 = INFINITY;
		for (int k = 0; k < RPT_TL_LANES; k++)
			for (size_t j = 0; j < c->timeline->n[k]; j++)
				if (c->timeline->lane[k][j].t_us < t0)
					t0 = c->timeline->lane[k][j].t_us;
		for (int k = 0; k < RPT_TL_LANES; k++)
			for (size_t j = 0; j < c->timeline->n[k]; j++)
				c->timeline->lane[k][j].t_us -= t0;
	}
	sqlite3_finalize(sf);
	for (int k = 0; k < RPT_TL_LANES; k++)
		sqlite3_finalize(sl[k]);
	return rc;
}

/* The run id `run` names: "last" is the highest id. */
static int pick_run(sqlite3 *sql, const char *path, const char *run, int64_t *id,
		    char *err, size_t errlen)
{
	if (strcmp(run, "last") != 0) {
		char *end;
		errno = 0;
		long long v = strtoll(run, &end, 10);
		if (errno || end == run || *end || v < 1 || !isdigit((unsigned char)run[0])) {
			snprintf(err, errlen, "--run: '%s' is not a run id or 'last'", run);
			return -EINVAL;
		}
		*id = v;
		return 0;
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(sql, "SELECT max(id) FROM runs", -1, &st, NULL) != SQLITE_OK)
		return sql_fail(sql, path, err, errlen);
	int rc = 0;
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = sql_fail(sql, path, err, errlen);
	else if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		snprintf(err, errlen, "%s: no runs in the store", path);
		rc = -ENOENT;
	} else
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* Refuse a file that is not a store, or a store newer than this build. */
static int check_schema(sqlite3 *sql, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sql, "SELECT coalesce(max(version), 0) FROM schema_version",
				    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		const char *m = sqlite3_errmsg(sql);
		sqlite3_finalize(st);
		if (strstr(m, "no such table")) {
			snprintf(err, errlen, "%s: not a socklab store", path);
			return -ENOTSUP;
		}
		snprintf(err, errlen, "%s: %s", path, m);
		return -EIO;
	}
	int64_t v = 0;
	if (sqlite3_step(st) != SQLITE_ROW) {
		/* e.g. a writer holding a lock past the busy timeout: say so, not "not a store". */
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(sql));
		sqlite3_finalize(st);
		return -EIO;
	}
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (v < 1) {
		snprintf(err, errlen, "%s: not a socklab store", path);
		return -ENOTSUP;
	}
	if (v > db_schema_version()) {
		snprintf(err, errlen, "%s: schema version %" PRId64 " is newer than this build's %d:"
			 " use a newer socklab", path, v, db_schema_version());
		return -ENOTSUP;
	}
	return 0;
}

int rpt_load(const char *path, const char *run, struct rpt_run **out, char *err, size_t errlen)
{
	struct stat sb;
	sqlite3 *sql = NULL;
	struct rpt_run *r = NULL;
	int rc;

	*out = NULL;
	if (stat(path, &sb) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	/*
	 * Read-write without CREATE, writes refused by query_only: as the last
	 * connection it checkpoints and removes the -wal and -shm files that a
	 * read-only connection to a WAL store would leave behind. A file we may
	 * not write is opened read-only.
	 */
	if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(sql);
		sql = NULL;
		if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
				    NULL) != SQLITE_OK) {
			rc = sql ? sql_fail(sql, path, err, errlen) : -ENOMEM;
			if (!sql)
				snprintf(err, errlen, "%s: out of memory", path);
			goto done;
		}
	}
	if (sqlite3_exec(sql, "PRAGMA query_only = ON", NULL, NULL, NULL) != SQLITE_OK) {
		rc = sql_fail(sql, path, err, errlen);
		goto done;
	}
	sqlite3_busy_timeout(sql, DB_BUSY_TIMEOUT_MS);
	if ((rc = check_schema(sql, path, err, errlen)) != 0)
		goto done;
	if (!(r = calloc(1, sizeof(*r)))) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto done;
	}
	r->cpus = -1;
	if ((rc = pick_run(sql, path, run, &r->id, err, errlen)) != 0)
		goto done;
	rc = load_run(sql, r);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "%s: no run %" PRId64 " (see 'socklab report --run last')",
			 path, r->id);
		goto done;
	}
	if (rc == 0)
		rc = load_varying(sql, r);
	if (rc == 0)
		rc = load_cases(sql, r);
	if (rc == 0)
		rc = load_params(sql, r);
	if (rc == 0)
		rc = load_metrics(sql, r);
	if (rc == 0)
		rc = load_capture_metrics(sql, r);
	if (rc == 0)
		rc = load_timelines(sql, r);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	else if (rc != 0)
		rc = sql_fail(sql, path, err, errlen);
done:
	sqlite3_close(sql);
	if (rc != 0) {
		rpt_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static void free_strs(char **a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i]);
	free(a);
}

void rpt_free(struct rpt_run *r)
{
	if (!r)
		return;
	char *f[] = {r->name, r->status, r->started, r->ended, r->scenario_path,
		     r->scenario_sha256, r->host, r->kernel, r->cpu_model, r->version, r->git};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		free(f[i]);
	for (size_t i = 0; i < r->ncases; i++) {
		struct rpt_case *c = &r->cases[i];
		free(c->status);
		free(c->error);
		free(c->capture_status);
		free(c->capture_error);
		for (size_t j = 0; j < c->nparams; j++) {
			free(c->params[j].key);
			free(c->params[j].value);
		}
		free(c->params);
		for (size_t j = 0; j < c->nmetrics; j++)
			free(c->metrics[j].name);
		free(c->metrics);
		if (c->timeline)
			for (int k = 0; k < RPT_TL_LANES; k++)
				free(c->timeline->lane[k]);
		free(c->timeline);
	}
	free(r->cases);
	free_strs(r->varying, r->nvarying);
	free_strs(r->param_keys, r->nparam_keys);
	free_strs(r->metric_names, r->nmetric_names);
	free(r);
}

const double *rpt_metric(const struct rpt_case *c, const char *name)
{
	for (size_t i = 0; i < c->nmetrics; i++)
		if (strcmp(c->metrics[i].name, name) == 0)
			return c->metrics[i].is_null ? NULL : &c->metrics[i].value;
	return NULL;
}

const char *rpt_param(const struct rpt_case *c, const char *key)
{
	for (size_t i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].key, key) == 0)
			return c->params[i].value;
	return NULL;
}

