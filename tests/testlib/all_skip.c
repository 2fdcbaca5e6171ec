/*
 * tests/testlib/all_skip.c — a test binary whose every test skips, so that
 * ctest can check that such a binary exits 77 (reported SKIP, not Passed).
 * Not a test of socklab: a test of the test harness (tests/CMakeLists.txt
 * runs it and expects 77).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

static void skips(void **state)
{
	(void)state;
	print_message("skipped: on purpose\n");
	tl_skip();
}

static void skips_too(void **state)
{
	(void)state;
	tl_skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(skips),
		cmocka_unit_test(skips_too),
	};
	return tl_run_group(tests, NULL, NULL);
}
