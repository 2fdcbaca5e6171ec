/*
 * tests/unit/test_stages.c — the stage loop (harness/runner/stage.c) with
 * fake stages that log every hook they get: the passes in their order and
 * direction, teardown in reverse for every stage whose begin was called
 * (the failing one included) when a middle begin fails, a skip, Ctrl-C
 * before the measured phase, a stage that is not wanted, and a store error
 * that stops the stores after it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/runner/stage.h"

static char trace[1024];

/* What a fake stage does: its name is a letter; fail_at names the hook
 * that returns fail_rc. */
struct fake {
	struct run_stage st;
	const char *fail_at;
	int fail_rc;
};

static struct fake fakes[4];

static const struct fake *fake_of(const struct run_case *rc, const void *priv)
{
	(void)rc;
	return *(const struct fake *const *)priv;
}

static int note(struct run_case *rc, void *priv, const char *hook)
{
	const struct fake *f = fake_of(rc, priv);
	char s[32];
	snprintf(s, sizeof(s), "%s%s:%s", trace[0] ? " " : "", f->st.name, hook);
	strncat(trace, s, sizeof(trace) - strlen(trace) - 1);
	if (f->fail_at && strcmp(f->fail_at, hook) == 0) {
		/* A store error is the store's (rc->db_rc), not the case's. */
		if (f->fail_rc < 0 && strcmp(hook, "store") != 0)
			return run_case_fail(rc, f->fail_rc, "%s failed", f->st.name);
		return f->fail_rc;
	}
	return 0;
}

/* begin finds its fake by name and keeps a pointer to it in priv. */
static int h_begin(struct run_case *rc, void *priv)
{
	for (size_t i = 0; i < 4; i++)
		if (rc->out->priv[i] == priv)
			*(struct fake **)priv = &fakes[i];
	return note(rc, priv, "begin");
}

static int h_before(struct run_case *rc, void *priv) { return note(rc, priv, "before"); }
static int h_measure(struct run_case *rc, void *priv) { return note(rc, priv, "measure"); }
static int h_after(struct run_case *rc, void *priv) { return note(rc, priv, "after"); }
static int h_store(struct run_case *rc, void *priv) { return note(rc, priv, "store"); }
static int h_finish(struct run_case *rc, void *priv) { return note(rc, priv, "finish"); }
static void h_teardown(struct run_case *rc, void *priv) { (void)note(rc, priv, "teardown"); }

static bool h_wanted(const struct run_case *rc)
{
	(void)rc;
	return true;
}

static const struct run_stage *table[4];

static void setup_fakes(void)
{
	static const char *const names[] = {"a", "b", "c", "d"};
	trace[0] = '\0';
	for (size_t i = 0; i < 4; i++) {
		fakes[i] = (struct fake){.fail_rc = 0};
		fakes[i].st = (struct run_stage){
			.name = names[i], .priv_size = sizeof(struct fake *),
			.begin = h_begin, .before_measure = h_before, .after_measure = h_after,
			.store = h_store, .finish = h_finish, .teardown = h_teardown,
		};
		table[i] = &fakes[i].st;
	}
	fakes[2].st.measure = h_measure;   /* c is the load */
}

static int run(struct run_out *out, atomic_int *cancel)
{
	static struct run_case rc;
	memset(&rc, 0, sizeof(rc));
	memset(out, 0, sizeof(*out));
	rc.out = out;
	rc.cancel = cancel;
	int r = run_stages(table, 4, &rc);
	for (size_t i = 0; i < RUN_MAX_STAGES; i++)
		free(out->priv[i]);
	return r;
}

static void test_all_passes_in_order(void **state)
{
	(void)state;
	struct run_out out;
	atomic_int cancel = 0;
	setup_fakes();
	assert_int_equal(run(&out, &cancel), 0);
	assert_string_equal(trace,
		"a:begin b:begin c:begin d:begin "
		"a:before b:before c:before d:before c:measure "
		"d:after c:after b:after a:after "
		"a:store b:store c:store d:store a:finish b:finish c:finish d:finish "
		"d:teardown c:teardown b:teardown a:teardown");
}

/* b's begin fails: nothing goes forward; a and b wind down and tear down,
 * in reverse; c and d never hear of the case. */
static void test_middle_begin_fails(void **state)
{
	(void)state;
	struct run_out out;
	atomic_int cancel = 0;
	setup_fakes();
	fakes[1].fail_at = "begin";
	fakes[1].fail_rc = -ECHILD;
	struct run_case rc = {.out = &out, .cancel = &cancel};
	memset(&out, 0, sizeof(out));
	assert_int_equal(run_stages(table, 4, &rc), -ECHILD);
	assert_string_equal(rc.err, "b failed");
	for (size_t i = 0; i < RUN_MAX_STAGES; i++)
		free(out.priv[i]);
	assert_string_equal(trace,
		"a:begin b:begin b:after a:after a:store b:store a:finish b:finish "
		"b:teardown a:teardown");
}

static void test_skip_and_first_error_kept(void **state)
{
	(void)state;
	struct run_out out;
	atomic_int cancel = 0;
	setup_fakes();
	fakes[2].fail_at = "begin";
	fakes[2].fail_rc = RUN_STAGE_SKIP;
	fakes[0].fail_at = "after";   /* a later error does not replace the skip */
	fakes[0].fail_rc = -EIO;
	assert_int_equal(run(&out, &cancel), RUN_STAGE_SKIP);
	assert_string_equal(trace,
		"a:begin b:begin c:begin c:after b:after a:after a:store b:store c:store "
		"a:finish b:finish c:finish c:teardown b:teardown a:teardown");
}

/* Interrupted after the begins: no warmup, no measure, everything torn down. */
static int cancel_in_begin(struct run_case *rc, void *priv)
{
	atomic_store(rc->cancel, 1);
	return h_begin(rc, priv);
}

static void test_cancel(void **state)
{
	(void)state;
	struct run_out out;
	atomic_int cancel = 0;
	setup_fakes();
	fakes[3].st.begin = cancel_in_begin;
	assert_int_equal(run(&out, &cancel), -ECANCELED);
	assert_string_equal(trace,
		"a:begin b:begin c:begin d:begin d:after c:after b:after a:after "
		"a:store b:store c:store d:store a:finish b:finish c:finish d:finish "
		"d:teardown c:teardown b:teardown a:teardown");
}

/* A stage that is not wanted gets nothing; a store error stops the stores
 * (and the finishes) after it, not the teardown. */
static bool not_wanted(const struct run_case *rc)
{
	(void)rc;
	return false;
}

static void test_unwanted_and_store_error(void **state)
{
	(void)state;
	struct run_out out;
	atomic_int cancel = 0;
	setup_fakes();
	fakes[1].st.wanted = not_wanted;
	fakes[0].st.wanted = h_wanted;
	fakes[2].fail_at = "store";
	fakes[2].fail_rc = -EIO;
	struct run_case rc = {.out = &out, .cancel = &cancel};
	memset(&out, 0, sizeof(out));
	assert_int_equal(run_stages(table, 4, &rc), 0);
	assert_int_equal(rc.db_rc, -EIO);
	assert_null(out.priv[1]);
	for (size_t i = 0; i < RUN_MAX_STAGES; i++)
		free(out.priv[i]);
	assert_string_equal(trace,
		"a:begin c:begin d:begin a:before c:before d:before c:measure "
		"d:after c:after a:after a:store c:store d:teardown c:teardown a:teardown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_passes_in_order),
		cmocka_unit_test(test_middle_begin_fails),
		cmocka_unit_test(test_skip_and_first_error_kept),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_unwanted_and_store_error),
	};
	return tl_run_group(tests, NULL, NULL);
}
