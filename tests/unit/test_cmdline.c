/*
 * tests/unit/test_cmdline.c — util/cmdline.h: an argv joined so that
 * /bin/sh reads back the same words.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"
#include "util/cmdline.h"

static void joined(char *const *argv, const char *want)
{
	char *got = NULL;
	assert_int_equal(cmdline_join(argv, &got), 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_plain_and_quoted(void **state)
{
	(void)state;
	joined((char *[]){"socklab", "serve", "--port", "0", NULL}, "socklab serve --port 0");
	joined((char *[]){"a b", "", "it's", "$HOME", "x;y", NULL},
	       "'a b' '' 'it'\\''s' '$HOME' 'x;y'");
	joined((char *[]){"--delay", "20ms+-5ms", "--to", "127.0.0.1:9", "/tmp/a,b@c%d", NULL},
	       "--delay 20ms+-5ms --to 127.0.0.1:9 /tmp/a,b@c%d");
	joined((char *[]){NULL}, "");
}

/* The shell splits the line back into the very same words. */
static void test_shell_reads_it_back(void **state)
{
	(void)state;
	char *const argv[] = {"printf", "%s|", "two words", "it's", "tab\there", "*", "~", "", NULL};
	char *line = NULL, cmd[1024], out[256] = "";
	assert_int_equal(cmdline_join(argv, &line), 0);
	snprintf(cmd, sizeof(cmd), "%s", line);
	free(line);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_string_equal(out, "two words|it's|tab\there|*|~||");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_quoted),
		cmocka_unit_test(test_shell_reads_it_back),
	};
	return tl_run_group(tests, NULL, NULL);
}
