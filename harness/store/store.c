/*
 * harness/store/store.c — the SQLite store's handle: open with the pragmas that
 * make it crash-safe (WAL, synchronous=NORMAL), migrate the schema, cache
 * prepared statements, batch writes in transactions, and write runs, cases,
 * metrics, histograms and threshold results.
 *
 * Why WAL + synchronous=NORMAL: a commit appends to the -wal file and is
 * durable against a crash of the process (kill -9) without an fsync per
 * commit; only a power loss can drop the last commits, never corrupt the
 * file. Readers (reports) see the last commit and never block the runner.
 */
#include "harness/store/store_int.h"

#include "util/sha256.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef SOCKLAB_VERSION
#define SOCKLAB_VERSION "unknown"
#endif
#ifndef SOCKLAB_GIT
#define SOCKLAB_GIT "unknown"
#endif

#define DB_APPLICATION_ID 1936419938   /* 'sklb', set by migration 1 */

/* ---- errors ---- */

int db_rc_errno(sqlite3 *sql, int rc)
{
	int sys;

	switch (rc) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;   /* a run or case id that does not exist */
	}
	switch (rc & 0xff) {
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_READONLY: return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH: return -EACCES;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_TOOBIG: return -E2BIG;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_MISUSE: return -EINVAL;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		sys = sql ? sqlite3_system_errno(sql) : 0;
		return sys > 0 ? -sys : -EIO;
	default: return -EIO;
	}
}

int db_fail(struct db *db, int rc, const char *what)
{
	snprintf(db->err, sizeof db->err, "%s: %s", what,
		 db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
	return db_rc_errno(db->sql, rc);
}

int db_invalid(struct db *db, const char *what)
{
	snprintf(db->err, sizeof db->err, "%s", what);
	return -EINVAL;
}

const char *db_errmsg(const struct db *db)
{
	return db ? db->err : "no database";
}

const char *db_status_name(enum db_status s)
{
	static const char *const names[] = {
		[DB_RUNNING] = "running", [DB_OK] = "ok", [DB_FAILED] = "failed",
		[DB_INTERRUPTED] = "interrupted", [DB_ERROR] = "error",
		[DB_SKIPPED] = "skipped",
	};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : NULL;
}

sqlite3 *db_sqlite(struct db *db)
{
	return db->sql;
}

int db_schema_version(void)
{
	size_t n;
	db_migrations(&n);
	return (int)n;
}

/* ---- cached statements ---- */

/* struct bind (store_int.h) accumulates binds so a failure is checked
 * once, keeping the first code. */

static void b_int(struct bind *b, int i, int64_t v)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_int64(b->st, i, v);
}

/* NaN binds NULL: "not measured". */
static void b_real(struct bind *b, int i, double v)
{
	if (b->rc == SQLITE_OK)
		b->rc = isnan(v) ? sqlite3_bind_null(b->st, i) : sqlite3_bind_double(b->st, i, v);
}

/* NULL binds NULL. The text must live until the statement has run. */
static void b_text(struct bind *b, int i, const char *s)
{
	if (b->rc == SQLITE_OK)
		b->rc = s ? sqlite3_bind_text(b->st, i, s, -1, SQLITE_STATIC)
			  : sqlite3_bind_null(b->st, i);
}

static int stmt_get(struct db *db, enum db_stmt_id id, struct bind *b)
{
	b->st = NULL;
	b->rc = SQLITE_MISUSE;   /* until prepared: running it is an error */
	if (!db->st[id]) {
		int rc = sqlite3_prepare_v3(db->sql, db_stmt_sql(id), -1,
					    SQLITE_PREPARE_PERSISTENT, &db->st[id], NULL);
		if (rc != SQLITE_OK)
			return db_fail(db, rc, "prepare");
	}
	b->st = db->st[id];
	b->rc = SQLITE_OK;
	return 0;
}

/*
 * Step a statement that returns no rows, then reset it and drop its
 * bindings (which point into the caller's strings).
 */
static int stmt_run(struct db *db, struct bind *b, const char *what)
{
	int rc = b->rc;
	int ret = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(b->st);
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
		ret = db_fail(db, rc, what);
	/* reset repeats the step's error, already reported above. */
	(void)sqlite3_reset(b->st);
	(void)sqlite3_clear_bindings(b->st);
	return ret;
}

int db_stmt_get(struct db *db, enum db_stmt_id id, struct bind *b)
{
	return stmt_get(db, id, b);
}

int db_stmt_run(struct db *db, struct bind *b, const char *what)
{
	return stmt_run(db, b, what);
}

void db_bind_int(struct bind *b, int i, int64_t v)
{
	b_int(b, i, v);
}

void db_bind_text(struct bind *b, int i, const char *s)
{
	b_text(b, i, s);
}

void db_bind_null(struct bind *b, int i)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_null(b->st, i);
}

static int exec_id(struct db *db, enum db_stmt_id id, const char *what)
{
	struct bind b;
	int rc = stmt_get(db, id, &b);
	return rc ? rc : stmt_run(db, &b, what);
}

/* An UPDATE of one row by id; -ENOENT when there is no such row. */
static int stmt_run_one(struct db *db, struct bind *b, const char *what, const char *thing, int64_t id)
{
	int rc = stmt_run(db, b, what);
	if (rc == 0 && sqlite3_changes(db->sql) == 0) {
		snprintf(db->err, sizeof db->err, "%s: no %s with id %lld", what, thing, (long long)id);
		return -ENOENT;
	}
	return rc;
}

/* ---- transactions ---- */

/* After a failed COMMIT, make sure no transaction is left open. */
static void tx_abandon(struct db *db)
{
	if (!sqlite3_get_autocommit(db->sql)) {
		char keep[sizeof db->err];
		memcpy(keep, db->err, sizeof keep);
		(void)exec_id(db, ST_ROLLBACK, "rollback");
		memcpy(db->err, keep, sizeof keep);
	}
	db->tx_depth = 0;
	db->implicit = false;
}

static int tx_commit_now(struct db *db)
{
	int rc = exec_id(db, ST_COMMIT, "commit");
	if (rc != 0)
		tx_abandon(db);
	db->tx_depth = 0;
	db->implicit = false;
	return rc;
}

/* Open the implicit batch unless some transaction is open already. */
static int batch_open(struct db *db)
{
	if (db->tx_depth > 0 || db->implicit)
		return 0;
	int rc = exec_id(db, ST_BEGIN, "begin");
	if (rc == 0)
		db->implicit = true;
	return rc;
}

int db_batch_open(struct db *db)
{
	return batch_open(db);
}

static int batch_close(struct db *db)
{
	return db->implicit ? tx_commit_now(db) : 0;
}

int db_tx_begin(struct db *db)
{
	if (db->tx_depth == 0 && !db->implicit) {
		int rc = exec_id(db, ST_BEGIN, "begin");
		if (rc != 0)
			return rc;
	}
	db->implicit = false;   /* an open batch joins the explicit transaction */
	db->tx_depth++;
	return 0;
}

int db_tx_commit(struct db *db)
{
	if (db->tx_depth == 0)
		return db_invalid(db, "commit: no transaction open");
	if (--db->tx_depth > 0)
		return 0;
	return tx_commit_now(db);
}

int db_tx_rollback(struct db *db)
{
	if (db->tx_depth == 0 && !db->implicit)
		return db_invalid(db, "rollback: no transaction open");
	int rc = exec_id(db, ST_ROLLBACK, "rollback");
	db->tx_depth = 0;
	db->implicit = false;
	return rc;
}

/* ---- open, migrate, close ---- */

static int pragma(struct db *db, const char *sql, char *result, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && result) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			snprintf(result, len, "%s", t ? (const char *)t : "");
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	int ret = rc == SQLITE_OK ? 0 : db_fail(db, rc, sql);
	(void)sqlite3_finalize(st);
	return ret;
}

/* One integer from a query with no parameters. */
static int query_int(struct db *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*out = 0;
			rc = SQLITE_OK;
		}
	}
	int ret = rc == SQLITE_OK ? 0 : db_fail(db, rc, sql);
	(void)sqlite3_finalize(st);
	return ret;
}

static int schema_current(struct db *db, int64_t *version)
{
	int64_t exists;
	int rc = query_int(db, "SELECT count(*) FROM sqlite_master"
			       " WHERE type = 'table' AND name = 'schema_version'", &exists);
	if (rc != 0 || !exists) {
		*version = 0;
		return rc;
	}
	return query_int(db, "SELECT coalesce(max(version), 0) FROM schema_version", version);
}

static int schema_check(struct db *db, int64_t version, const char *path)
{
	if (version > db_schema_version()) {
		snprintf(db->err, sizeof db->err,
			 "%s: schema version %lld is newer than this socklab knows (%d);"
			 " use a newer socklab", path, (long long)version, db_schema_version());
		return -ENOTSUP;
	}
	return 0;
}

/*
 * Refuse a file that is not ours (another application's database, or a
 * socklab store newer than this build) by reading it only: called before
 * any pragma that changes the file (journal_mode = WAL rewrites its
 * header), so a refused file is left byte for byte as it was.
 */
static int refuse_foreign(struct db *db, const char *path)
{
	int64_t version, app_id;
	int rc;

	if ((rc = query_int(db, "PRAGMA application_id", &app_id)) != 0)
		return rc;
	if (app_id != 0 && app_id != DB_APPLICATION_ID) {
		snprintf(db->err, sizeof db->err,
			 "%s: not a socklab store (application_id %lld)", path, (long long)app_id);
		return -EINVAL;
	}
	/* Migration 1 sets the application_id in the same transaction as it
	 * creates the tables: a file without one that holds tables is someone
	 * else's database, not to be written into. */
	int64_t foreign = 0;
	if (app_id == 0 &&
	    (rc = query_int(db, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
			    "AND name <> 'schema_version'", &foreign)) != 0)
		return rc;
	if (foreign) {
		snprintf(db->err, sizeof db->err,
			 "%s: not a socklab store (a SQLite database with %lld tables, views or "
			 "indexes of its own); give --db a new file", path, (long long)foreign);
		return -EINVAL;
	}
	if ((rc = schema_current(db, &version)) != 0)
		return rc;
	return schema_check(db, version, path);
}

/*
 * Apply the migrations the file lacks, each in its own transaction. The
 * version is read again inside each transaction, so two processes opening
 * a new file at once do not both migrate it.
 */
static int migrate(struct db *db, const char *path)
{
	size_t n;
	const char *const *mig = db_migrations(&n);
	int64_t version;
	int rc;

	if ((rc = schema_current(db, &version)) != 0 || (rc = schema_check(db, version, path)) != 0)
		return rc;
	while ((size_t)version < n) {
		char now[32], *msg = NULL, sql[160];

		if ((rc = exec_id(db, ST_BEGIN, "begin migration")) != 0)
			return rc;
		rc = sqlite3_exec(db->sql, "CREATE TABLE IF NOT EXISTS schema_version ("
				  " version INTEGER PRIMARY KEY, applied TEXT NOT NULL)",
				  NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			rc = db_fail(db, rc, "create schema_version");
			goto fail;
		}
		if ((rc = schema_current(db, &version)) != 0 || (rc = schema_check(db, version, path)) != 0)
			goto fail;
		if ((size_t)version >= n) {
			rc = tx_commit_now(db);
			break;
		}
		rc = sqlite3_exec(db->sql, mig[version], NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			snprintf(db->err, sizeof db->err, "%s: migration %lld: %s", path,
				 (long long)version + 1, msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			rc = db_rc_errno(db->sql, rc);
			goto fail;
		}
		db_utc_now(now);
		snprintf(sql, sizeof sql, "INSERT INTO schema_version (version, applied)"
			 " VALUES (%lld, '%s')", (long long)version + 1, now);
		rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			rc = db_fail(db, rc, "record migration");
			goto fail;
		}
		if ((rc = tx_commit_now(db)) != 0)
			return rc;
		version++;
	}
	return rc;
fail:
	tx_abandon(db);
	return rc;
}

static int configure(struct db *db)
{
	char mode[32];
	int rc;
	if ((rc = pragma(db, "PRAGMA journal_mode = WAL", mode, sizeof mode)) != 0)
		return rc;
	/* ":memory:" and temporary files report "memory"; anything else lost WAL. */
	if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
		snprintf(db->err, sizeof db->err,
			 "journal_mode is '%s', not 'wal' (a filesystem without shared memory?)", mode);
		return -EIO;
	}
	if ((rc = pragma(db, "PRAGMA synchronous = NORMAL", NULL, 0)) != 0 ||
	    (rc = pragma(db, "PRAGMA foreign_keys = ON", NULL, 0)) != 0)
		return rc;
	return 0;
}

/*
 * The store is a regular file or a path not there yet (SQLite creates it).
 * Anything else is refused before SQLite opens it: on a device such as
 * /dev/null it would create DEV-journal beside it, on a FIFO it would block.
 */
static int path_check(struct db *db, const char *path)
{
	struct stat st;
	if (strcmp(path, ":memory:") == 0 || path[0] == '\0')
		return 0;
	if (stat(path, &st) == 0) {
		if (S_ISREG(st.st_mode))
			return 0;
		snprintf(db->err, sizeof db->err,
			 "%s: not a regular file (%s); give a store file, new or existing", path,
			 S_ISDIR(st.st_mode) ? "a directory" :
			 S_ISCHR(st.st_mode) ? "a character device" :
			 S_ISBLK(st.st_mode) ? "a block device" :
			 S_ISFIFO(st.st_mode) ? "a pipe" :
			 S_ISSOCK(st.st_mode) ? "a socket" : "a special file");
		return -EINVAL;
	}
	if (errno == ENOENT)
		return 0;
	int e = errno;
	snprintf(db->err, sizeof db->err, "%s: %s", path, strerror(e));
	return -e;
}

int db_open(const char *path, struct db **out, char *err, size_t errlen)
{
	struct db *db = calloc(1, sizeof *db);
	int rc;

	*out = NULL;
	if (!db) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if ((rc = path_check(db, path)) != 0)
		goto fail;
	rc = sqlite3_open_v2(path, &db->sql,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = db_fail(db, rc, path);
		goto fail;
	}
	if ((rc = sqlite3_extended_result_codes(db->sql, 1)) != SQLITE_OK) {
		rc = db_fail(db, rc, path);
		goto fail;
	}
	if ((rc = sqlite3_busy_timeout(db->sql, DB_BUSY_TIMEOUT_MS)) != SQLITE_OK) {
		rc = db_fail(db, rc, "busy_timeout");
		goto fail;
	}
	if ((rc = refuse_foreign(db, path)) != 0 || (rc = configure(db)) != 0 ||
	    (rc = migrate(db, path)) != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	/* Messages from configure/migrate already name the path where it helps. */
	if (strncmp(db->err, path, strlen(path)) == 0)
		snprintf(err, errlen, "%s", db->err);
	else
		snprintf(err, errlen, "%s: %s", path, db->err);
	(void)db_close(db);
	return rc;
}

int db_close(struct db *db)
{
	int rc = 0;

	if (!db)
		return 0;
	if (db->sql) {
		if (db->implicit)
			rc = tx_commit_now(db);
		else if (db->tx_depth > 0)
			rc = db_tx_rollback(db);
		for (int i = 0; i < ST__COUNT; i++)
			(void)sqlite3_finalize(db->st[i]);   /* returns the last step's error, seen already */
		int crc = sqlite3_close(db->sql);
		if (crc != SQLITE_OK && rc == 0)
			rc = db_rc_errno(NULL, crc);
	}
	free(db);
	return rc;
}

/* ---- runs ---- */

int db_run_begin(struct db *db, const struct db_run_meta *meta, int64_t *run_id)
{
	struct db_host host;
	const struct db_host *h = meta->host;
	char sha[SHA256_HEX_LEN], now[32];
	const char *hash = meta->scenario_sha256;
	struct bind b;
	int rc;

	if (!meta->name)
		return db_invalid(db, "run: a name is required");
	if (!h) {
		if ((rc = db_host_meta(&host)) != 0) {
			snprintf(db->err, sizeof db->err, "run: host: %s", strerror(-rc));
			return rc;
		}
		h = &host;
	}
	if (!hash && meta->scenario_text) {
		sha256_hex(meta->scenario_text, strlen(meta->scenario_text), sha);
		hash = sha;
	}
	db_utc_now(now);
	if ((rc = stmt_get(db, ST_RUN_INSERT, &b)) != 0)
		return rc;
	b_text(&b, 1, meta->name);
	b_text(&b, 2, now);
	b_text(&b, 3, meta->scenario_path);
	b_text(&b, 4, meta->scenario_text);
	b_text(&b, 5, hash);
	b_text(&b, 6, h->host);
	b_text(&b, 7, h->kernel);
	b_text(&b, 8, h->cpu_model);
	b_int(&b, 9, h->cpus);
	b_text(&b, 10, meta->version ? meta->version : SOCKLAB_VERSION);
	b_text(&b, 11, meta->git ? meta->git : SOCKLAB_GIT);
	b_int(&b, 12, (int64_t)getpid());
	if ((rc = stmt_run(db, &b, "run begin")) != 0)
		return rc;
	*run_id = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

int db_run_set_varying(struct db *db, int64_t run_id, const char *const *keys, size_t n)
{
	char *json = NULL;
	struct bind b;
	int rc = db_json_array(keys, n, &json);

	if (rc == -EINVAL)
		return db_invalid(db, "varying keys: NULL or repeated key");
	if (rc != 0)
		return rc;
	if ((rc = stmt_get(db, ST_RUN_VARYING, &b)) == 0) {
		b_int(&b, 1, run_id);
		b_text(&b, 2, json);
		rc = stmt_run_one(db, &b, "run varying", "run", run_id);
	}
	free(json);
	return rc;
}

int db_run_end(struct db *db, int64_t run_id, enum db_status status)
{
	char now[32];
	struct bind b;
	int rc;

	if (status == DB_RUNNING || !db_status_name(status))
		return db_invalid(db, "run end: status must be ok, failed, interrupted, error or skipped");
	db_utc_now(now);
	if ((rc = stmt_get(db, ST_RUN_DERIVE_VARYING, &b)) != 0)
		return rc;
	b_int(&b, 1, run_id);
	if ((rc = stmt_run(db, &b, "run varying")) != 0)
		return rc;
	if ((rc = stmt_get(db, ST_RUN_END, &b)) != 0)
		return rc;
	b_int(&b, 1, run_id);
	b_text(&b, 2, db_status_name(status));
	b_text(&b, 3, now);
	if ((rc = stmt_run_one(db, &b, "run end", "run", run_id)) != 0)
		return rc;
	return batch_close(db);
}

static int reap_one(struct db *db, int64_t id)
{
	struct bind b;
	int rc = stmt_get(db, ST_RUN_REAP, &b);
	if (rc != 0)
		return rc;
	b_int(&b, 1, id);
	if ((rc = stmt_run(db, &b, "reap run")) != 0 || (rc = stmt_get(db, ST_RUN_REAP_CASES, &b)) != 0)
		return rc;
	b_int(&b, 1, id);
	return stmt_run(db, &b, "reap cases");
}

int db_run_reap_stale(struct db *db, int *n)
{
	struct db_host h;
	struct bind b;
	int64_t *ids = NULL;
	size_t nids = 0, cap = 0;
	int rc, reaped = 0;

	if (n)
		*n = 0;
	if ((rc = db_host_meta(&h)) != 0) {
		snprintf(db->err, sizeof db->err, "reap: host: %s", strerror(-rc));
		return rc;
	}
	if ((rc = db_tx_begin(db)) != 0)
		return rc;
	if ((rc = stmt_get(db, ST_RUN_STALE, &b)) != 0)
		goto fail;
	b_text(&b, 1, h.host);
	/* Collect the dead first, then update: no writes while the list is stepped. */
	int step = b.rc;
	while (step == SQLITE_OK || step == SQLITE_ROW) {
		step = sqlite3_step(b.st);
		if (step != SQLITE_ROW)
			break;
		int64_t id = sqlite3_column_int64(b.st, 0);
		pid_t pid = (pid_t)sqlite3_column_int64(b.st, 1);
		/* ESRCH: no such process. EPERM means it exists under another user. */
		if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (nids == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			int64_t *nid = realloc(ids, ncap * sizeof *ids);
			if (!nid) {
				rc = -ENOMEM;
				break;
			}
			ids = nid;
			cap = ncap;
		}
		ids[nids++] = id;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_fail(db, step, "reap: list");
	(void)sqlite3_reset(b.st);
	(void)sqlite3_clear_bindings(b.st);
	for (size_t i = 0; rc == 0 && i < nids; i++)
		if ((rc = reap_one(db, ids[i])) == 0)
			reaped++;
	free(ids);
	ids = NULL;
	if (rc != 0)
		goto fail;
	if ((rc = db_tx_commit(db)) != 0)
		return rc;
	if (n)
		*n = reaped;
	return 0;
fail:
	(void)db_tx_rollback(db);
	return rc;
}

/* ---- cases ---- */

int db_case_begin(struct db *db, int64_t run_id, size_t index,
		  const struct db_param *params, size_t nparams, int64_t *case_id)
{
	char now[32], *json = NULL;
	struct bind b;
	int rc = db_params_json(params, nparams, &json);

	if (rc == -EINVAL)
		return db_invalid(db, "case params: NULL or repeated key");
	if (rc != 0)
		return rc;
	db_utc_now(now);
	if ((rc = stmt_get(db, ST_CASE_INSERT, &b)) == 0) {
		b_int(&b, 1, run_id);
		b_int(&b, 2, (int64_t)index);
		b_text(&b, 3, now);
		b_text(&b, 4, json);
		if (b.rc == SQLITE_OK)
			b.rc = db_params_bind(b.st, 5, params, nparams);
		rc = stmt_run(db, &b, "case begin");
	}
	free(json);
	if (rc == 0)
		*case_id = sqlite3_last_insert_rowid(db->sql);
	return rc;
}

int db_case_end(struct db *db, int64_t case_id, enum db_status status, const char *error)
{
	char now[32];
	struct bind b;
	int rc;

	if (status == DB_RUNNING || !db_status_name(status))
		return db_invalid(db, "case end: status must be ok, failed, interrupted, error or skipped");
	db_utc_now(now);
	if ((rc = stmt_get(db, ST_CASE_END, &b)) != 0)
		return rc;
	b_int(&b, 1, case_id);
	b_text(&b, 2, db_status_name(status));
	b_text(&b, 3, error);
	b_text(&b, 4, now);
	if ((rc = stmt_run_one(db, &b, "case end", "case", case_id)) != 0)
		return rc;
	return batch_close(db);
}

int db_case_command(struct db *db, int64_t case_id, enum db_child child, const char *cmd)
{
	struct bind b;
	int rc;
	enum db_stmt_id id = child == DB_CHILD_SERVER ? ST_CASE_SERVER_CMD : ST_CASE_RELAY_CMD;

	if (!cmd || (child != DB_CHILD_SERVER && child != DB_CHILD_RELAY))
		return db_invalid(db, "case command: a server or relay command line is required");
	if ((rc = stmt_get(db, id, &b)) != 0)
		return rc;
	b_int(&b, 1, case_id);
	b_text(&b, 2, cmd);
	return stmt_run_one(db, &b, "case command", "case", case_id);
}

int db_case_metric(struct db *db, int64_t case_id, const char *name, double value)
{
	struct bind b;
	int rc;

	if (!name)
		return db_invalid(db, "metric: a name is required");
	if ((rc = batch_open(db)) != 0 || (rc = stmt_get(db, ST_METRIC, &b)) != 0)
		return rc;
	b_int(&b, 1, case_id);
	b_text(&b, 2, name);
	b_real(&b, 3, value);
	return stmt_run(db, &b, "metric");
}

int db_case_hist(struct db *db, int64_t case_id, const char *name,
		 const struct db_bucket *bk, size_t n)
{
	char keep[sizeof db->err];
	struct bind b;
	int rc;

	if (!name)
		return db_invalid(db, "histogram: a name is required");
	for (size_t i = 0; i < n; i++)
		if (bk[i].count > INT64_MAX)
			return db_invalid(db, "histogram: a count above 2^63");
	if ((rc = batch_open(db)) != 0)
		return rc;
	/* A savepoint makes the histogram all-or-nothing inside the batch. */
	if ((rc = exec_id(db, ST_SAVEPOINT, "histogram")) != 0)
		return rc;
	if ((rc = stmt_get(db, ST_HIST_CLEAR, &b)) != 0)
		goto fail;
	b_int(&b, 1, case_id);
	b_text(&b, 2, name);
	if ((rc = stmt_run(db, &b, "histogram clear")) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (bk[i].count == 0)
			continue;
		if ((rc = stmt_get(db, ST_BUCKET, &b)) != 0)
			goto fail;
		b_int(&b, 1, case_id);
		b_text(&b, 2, name);
		b_int(&b, 3, bk[i].value);
		b_int(&b, 4, (int64_t)bk[i].count);
		if ((rc = stmt_run(db, &b, "histogram bucket")) != 0)
			goto fail;
	}
	return exec_id(db, ST_RELEASE, "histogram");
fail:
	memcpy(keep, db->err, sizeof keep);
	/* ROLLBACK TO keeps the savepoint open; RELEASE then drops it. */
	if (exec_id(db, ST_ROLLBACK_TO, "histogram") == 0)
		(void)exec_id(db, ST_RELEASE, "histogram");
	memcpy(db->err, keep, sizeof keep);
	return rc;
}

int db_case_threshold(struct db *db, int64_t case_id, const char *expr,
		      bool passed, double observed)
{
	struct bind b;
	int rc;

	if (!expr)
		return db_invalid(db, "threshold: an expression is required");
	if ((rc = batch_open(db)) != 0 || (rc = stmt_get(db, ST_THRESHOLD, &b)) != 0)
		return rc;
	b_int(&b, 1, case_id);
	b_text(&b, 2, expr);
	b_int(&b, 3, passed ? 1 : 0);
	b_real(&b, 4, observed);
	return stmt_run(db, &b, "threshold");
}
