/*
 * tests/unit/test_child.c — harness/runner/child.h: start, stop and reap a child,
 * and the messages when it does not start. child_start runs /proc/self/exe,
 * which here is this test binary: started with a verb ("serve", "relay")
 * and a behaviour as its arguments, main() plays that child instead of
 * running the tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include "harness/runner/child.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* The child's part: argv[1] the verb, argv[2] what to do. */
static int play(const char *how)
{
	if (strcmp(how, "fail") == 0) {
		fprintf(stderr, "child: --to: no such address (exiting 2, as the test wants)\n");
		return 2;
	}
	if (strcmp(how, "abort") == 0) {
		signal(SIGABRT, SIG_DFL);
		abort();
	}
	if (strcmp(how, "hang") == 0) {
		for (int i = 0; i < 100; i++)
			usleep(100000);   /* 10 s, never says where it listens */
		return 0;
	}
	if (strcmp(how, "garbage") == 0) {
		printf("hello there\n");
		fflush(stdout);
		pause();
		return 0;
	}
	/* "ok": listen, wait for SIGTERM, say what it did. */
	signal(SIGTERM, on_term);
	printf("listening on 127.0.0.1:9\n");
	fflush(stdout);
	while (!stop)
		pause();
	printf("stats {\"requests\":3,\"errors\":{\"reset\":1}}\n");
	return 0;
}

/* No child of this process is left, zombie or running. */
static void assert_no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void start_fail(const char *verb, const char *how, int timeout_ms, const char *want)
{
	struct child c;
	char err[256];
	char *argv[] = {"socklab", (char *)verb, (char *)how, NULL};
	int rc = child_start(&c, argv, timeout_ms, err, sizeof(err));
	assert_true(rc < 0);
	if (!strstr(err, want))
		fail_msg("want '%s' in: %s", want, err);
	assert_int_equal(c.pid, -1);
	assert_int_equal(c.out, -1);
	assert_no_children();
}

static void test_names_what_failed(void **state)
{
	(void)state;
	start_fail("relay", "fail", 5000,
		   "socklab relay exited before listening (status 2; see its message above)");
	start_fail("serve", "fail", 5000, "socklab serve exited before listening (status 2;");
	start_fail("relay", "abort", 5000,
		   "socklab relay exited before listening (killed by signal 6)");
	start_fail("relay", "garbage", 5000,
		   "socklab relay: unexpected first line 'hello there'");
	start_fail("serve", "hang", 300, "socklab serve did not report its address within 300 ms");
}

static void test_start_stop(void **state)
{
	(void)state;
	struct child c;
	char err[256];
	char *argv[] = {"socklab", "serve", "ok", NULL};
	assert_int_equal(child_start(&c, argv, 5000, err, sizeof(err)), 0);
	assert_string_equal(c.addr, "127.0.0.1:9");
	assert_true(c.pid > 0);
	assert_int_equal(child_stop(&c, 5000), 0);
	double v = 0;
	assert_true(child_stat(&c, "requests", &v));
	assert_true(v == 3);
	assert_true(child_stat(&c, "errors.reset", &v));
	assert_true(v == 1);
	assert_false(child_stat(&c, "accepted", &v));
	assert_no_children();
	/* Stopping again is harmless. */
	assert_int_equal(child_stop(&c, 0), 0);
}

int main(int argc, char **argv)
{
	if (argc == 3)
		return play(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_what_failed),
		cmocka_unit_test(test_start_stop),
	};
	return tl_run_group(tests, NULL, NULL);
}
