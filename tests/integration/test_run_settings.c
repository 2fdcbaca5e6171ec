/*
 * tests/integration/test_run_settings.c — the runner's typed client
 * settings end to end: a combination a matrix allows but the clients do
 * not (nodelay on the udp cases of a tcp/udp matrix) is that case's stored
 * error, naming the scenario keys and the reason, while the tcp case runs;
 * a value no case can take is refused at load time (exit 2, nothing
 * stored).
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

static char *query(const char *db, const char *sql)
{
	sqlite3 *d = NULL;
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(d, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		out = strdup(t ? (const char *)t : "NULL");
	}
	sqlite3_finalize(st);
	sqlite3_close(d);
	assert_non_null(out);
	return out;
}

static void test_bad_combination_is_the_case_error(void **state)
{
	(void)state;
	char scn[128], db[128], out[8192];
	tl_tmp_path(scn, sizeof(scn), ".yaml");
	tl_tmp_path(db, sizeof(db), ".db");
	tl_write_file(scn, "name: settings\n"
			   "server: {proto: [tcp, udp]}\n"
			   "clients: {nodelay: true, count: 1}\n"
			   "duration: 200ms\n");
	int rc = tl_run_verb("run", out, sizeof(out),
			     (const char *const[]){scn, "--db", db, "--quiet", NULL});
	assert_int_equal(rc, 1);
	char *s0 = query(db, "SELECT status FROM cases WHERE idx = 0");
	char *s1 = query(db, "SELECT status FROM cases WHERE idx = 1");
	char *e1 = query(db, "SELECT error FROM cases WHERE idx = 1");
	assert_string_equal(s0, "ok");
	assert_string_equal(s1, "error");
	assert_string_equal(e1, "clients.nodelay/clients.cork: only for tcp");
	assert_non_null(strstr(out, "clients.nodelay/clients.cork: only for tcp"));
	free(s0);
	free(s1);
	free(e1);
	unlink(scn);
	unlink(db);
}

static void test_bad_value_refused_at_load(void **state)
{
	(void)state;
	char scn[128], db[128], out[4096];
	tl_tmp_path(scn, sizeof(scn), ".yaml");
	tl_tmp_path(db, sizeof(db), ".db");
	tl_write_file(scn, "server: {proto: tcp}\nclients: {threads: 500}\nduration: 100ms\n");
	int rc = tl_run_verb("run", out, sizeof(out),
			     (const char *const[]){scn, "--db", db, "--quiet", NULL});
	assert_int_equal(rc, 2);
	assert_int_equal(access(db, F_OK), -1);
	unlink(scn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_combination_is_the_case_error),
		cmocka_unit_test(test_bad_value_refused_at_load),
	};
	return tl_run_group(tests, NULL, NULL);
}
