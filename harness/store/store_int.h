/*
 * harness/store/store_int.h — what the store's files share and nobody else sees:
 * the handle, the cached statements, the error helpers, the migrations and
 * the mapping of case parameters onto typed columns.
 */
#ifndef SOCKLAB_HARNESS_STORE_STORE_INT_H
#define SOCKLAB_HARNESS_STORE_STORE_INT_H

#include "harness/store/store.h"

#include <sqlite3.h>

/* Statements prepared once per handle (on first use), finalized at close. */
enum db_stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_RUN_INSERT,
	ST_RUN_END,
	ST_RUN_VARYING,
	ST_RUN_DERIVE_VARYING,
	ST_RUN_STALE,
	ST_RUN_REAP,
	ST_RUN_REAP_CASES,
	ST_CASE_INSERT,
	ST_CASE_END,
	ST_CASE_SERVER_CMD,
	ST_CASE_RELAY_CMD,
	ST_METRIC,
	ST_HIST_CLEAR,
	ST_BUCKET,
	ST_THRESHOLD,
	ST_CASE_CAPTURE,
	ST_CAPTURE_INFO,
	ST_FLOW_INSERT,
	ST_SEGMENT_INSERT,
	ST__COUNT
};

struct db {
	sqlite3 *sql;
	sqlite3_stmt *st[ST__COUNT];
	int tx_depth;          /* explicit db_tx_begin nesting */
	bool implicit;         /* an implicit batch is open */
	char err[512];
};

/* Binding a cached statement: binds accumulate, the first failure is kept
 * in rc and reported when the statement runs. */
struct bind {
	sqlite3_stmt *st;
	int rc;
};

/* For the store's other files (store_capture.c): the cached statement id
 * ready to bind; run it (step, reset, clear bindings); the implicit batch. */
int db_stmt_get(struct db *db, enum db_stmt_id id, struct bind *b);
int db_stmt_run(struct db *db, struct bind *b, const char *what);
int db_batch_open(struct db *db);
/* Bind helpers as in store.c: an integer; NULL text binds NULL. */
void db_bind_int(struct bind *b, int i, int64_t v);
void db_bind_text(struct bind *b, int i, const char *s);
void db_bind_null(struct bind *b, int i);
/* db->err = what; returns -EINVAL. */
int db_invalid(struct db *db, const char *what);

/* Set db->err to "what: sqlite's message" and return rc as a negative errno. */
int db_fail(struct db *db, int rc, const char *what);
/* SQLite result code (extended or not) as a negative errno; 0 for OK/DONE/ROW. */
int db_rc_errno(sqlite3 *sql, int rc);

/* The migrations: SQL text for version 1, 2, ...; *n gets how many. */
const char *const *db_migrations(size_t *n);
/* SQL of each cached statement. */
const char *db_stmt_sql(enum db_stmt_id id);

/*
 * items as a JSON array of strings; caller frees *out with free().
 * 0, -EINVAL (NULL or repeated item) or -ENOMEM.
 */
int db_json_array(const char *const *items, size_t n, char **out);

/* The typed parameter columns of `cases`, in the order db_params_bind binds them. */
#define DB_PARAM_COLUMNS 11
/* Name of typed column i (0 <= i < DB_PARAM_COLUMNS). */
const char *db_param_column(int i);
/*
 * Bind the typed columns from params to parameters first .. first+10 of st.
 * Returns an SQLite result code.
 */
int db_params_bind(sqlite3_stmt *st, int first, const struct db_param *p, size_t n);

#endif
