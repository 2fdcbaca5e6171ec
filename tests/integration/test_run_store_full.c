/*
 * tests/integration/test_run_store_full.c — nothing is reported stored
 * that was not. `socklab run` is started again and again with a file size
 * limit (RLIMIT_FSIZE, SIGXFSZ ignored: writes past it fail with EFBIG, as
 * on a full disk) that cuts the store off at every stage of a 4-case run:
 * the open, a case's begin, its results, the run's end. Each time the exit
 * status, the summary and the store must agree: exit 0 only when the
 * whole run is stored; otherwise exit 1, "NOT all stored" naming the case,
 * and every case the summary shows as stored is in the store with that
 * status. Before the fix the run said "ok ... stored in" and exited 0
 * while the store held a case as 'running' without its results.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCASES 4

/* `socklab run scn --db db --quiet` with files limited to limit bytes;
 * its stdout in out. Returns its exit status. */
static int run_limited(const char *scn, const char *db, long limit, char *out, size_t len)
{
	const struct tl_opts o = {.fsize = limit};
	return tl_run_verb_opts(&o, "run", out, len,
				(const char *const[]){scn, "--db", db, "--quiet", NULL});
}

/* The status the store holds for case idx ("" when it has no such row). */
static void stored_status(sqlite3 *d, int idx, char *buf, size_t len)
{
	sqlite3_stmt *st;
	buf[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(d, "SELECT status FROM cases WHERE idx = ?1", -1,
					    &st, NULL), SQLITE_OK);
	sqlite3_bind_int(st, 1, idx);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* The summary's row of case idx: its status word, and whether it says NOT
 * STORED; false when the summary has no row for it. */
static bool summary_row(const char *out, int idx, char *status, size_t len, bool *unstored)
{
	char head[16];
	snprintf(head, sizeof(head), "\n%-4d ", idx);
	const char *row = strstr(out, head);
	if (!row)
		return false;
	const char *eol = strchr(row + 1, '\n');
	size_t n = eol ? (size_t)(eol - row - 1) : strlen(row + 1);
	char line[512];
	snprintf(line, sizeof(line), "%.*s", (int)n, row + 1);
	*unstored = strstr(line, "(NOT STORED)") != NULL;
	const char *w = strstr(line, "  ok") ? "ok" : strstr(line, "  error") ? "error" : "?";
	snprintf(status, len, "%s", w);
	return true;
}

/* What one limited run said against what its store holds. Returns the
 * number of cases the store holds as ok. */
static int check_agreement(const char *db, int rc, const char *out, long limit)
{
	sqlite3 *d = NULL;
	int ok = 0;
	if (rc == 2) {   /* the store could not even be opened: said, nothing run */
		assert_null(strstr(out, "stored in"));
		return 0;
	}
	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (int i = 0; i < NCASES; i++) {
		char st[32], sum[32];
		bool unstored = false, shown = summary_row(out, i, sum, sizeof(sum), &unstored);
		stored_status(d, i, st, sizeof(st));
		ok += strcmp(st, "ok") == 0;
		if (shown && !unstored && strcmp(sum, "ok") == 0 && strcmp(st, "ok") != 0)
			fail_msg("limit %ld: case %d shown ok and stored, but the store says '%s'\n%s",
				 limit, i, st, out);
	}
	if (rc == 0) {
		assert_non_null(strstr(out, "stored in"));
		assert_null(strstr(out, "NOT"));
		assert_int_equal(ok, NCASES);
	} else {
		/* Either the summary says what is missing, or there is none
		 * (the run could not even begin: said on stderr). */
		assert_int_equal(rc, 1);
		assert_true(strstr(out, "NOT all stored") || !strstr(out, "stored in"));
	}
	sqlite3_close(d);
	return ok;
}

static void test_full_disk_is_never_reported_stored(void **state)
{
	(void)state;
	struct tl_server s;
	char scn[128], db[160], wal[180], shm[180], text[512];
	static char out[16384];
	int partial = 0, whole = 0;

	tl_start(&s, "--proto", "tcp", NULL);
	tl_tmp_path(scn, sizeof(scn), ".yaml");
	tl_tmp_path(db, sizeof(db), ".db");
	snprintf(wal, sizeof(wal), "%s-wal", db);
	snprintf(shm, sizeof(shm), "%s-shm", db);
	snprintf(text, sizeof(text), "name: full\ntarget: {address: \"%s\", proto: tcp}\n"
		 "clients: {count: [1, 2, 3, 4], requests: 20}\n", s.addr_str);
	tl_write_file(scn, text);
	/* From too small to open to large enough, in steps smaller than one
	 * case's writes (about 20 KiB here), so that every stage is cut. */
	for (long limit = 150 * 1024; limit <= 400 * 1024; limit += 8 * 1024) {
		unlink(db), unlink(wal), unlink(shm);
		int rc = run_limited(scn, db, limit, out, sizeof(out));
		int ok = check_agreement(db, rc, out, limit);
		partial += rc == 1 && ok > 0 && ok < NCASES;
		whole += rc == 0;
	}
	print_message("runs cut off mid-way: %d, runs stored whole: %d\n", partial, whole);
	/* The scan really cut runs between cases, and reached a size that holds all. */
	assert_true(partial > 0);
	assert_true(whole > 0);
	unlink(db), unlink(wal), unlink(shm), unlink(scn);
	tl_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_full_disk_is_never_reported_stored, tl_cleanup),
	};
	return tl_run_group(tests, NULL, NULL);
}
