/*
 * tests/unit/test_cli.c — the flag parser of harness/cli (cli_parse,
 * cli_help): a table with every kind of flag read into a typed struct,
 * the getopt_long spellings (--a=b, -oFILE, bundles, prefixes, "--"),
 * errors that name the flag, and --help printed from the same table.
 * The units themselves are tested in test_units.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include "harness/cli/cli.h"
#include "clients/engine.h"

struct t_opts {
	bool on, off, quiet;
	const char *name, *out;
	unsigned count;
	int backlog;
	uint64_t seed, queue_bytes, wait_ns;
	size_t chunk;
	int rcvbuf;
	char colour;
	const char *args[2];
	int finished;
};

static int set_colour(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		      size_t errlen)
{
	(void)f;
	if (strcmp(arg, "red") != 0 && strcmp(arg, "blue") != 0)
		return snprintf(err, errlen, "'%s' is not red or blue", arg), -EINVAL;
	((struct t_opts *)ctx)->colour = arg[0];
	return 0;
}

static int finish(void *ctx, char *err, size_t errlen)
{
	struct t_opts *o = ctx;
	if (o->on && o->quiet)
		return snprintf(err, errlen, "--on and --quiet exclude each other"), -EINVAL;
	o->finished++;
	return 0;
}

#define T struct t_opts
static const struct cli_flag flags[] = {
	{.group = "Switches:"},
	{"on", 0, NULL, CLI_TRUE(T, on), "turn it on"},
	{"no-off", 0, NULL, CLI_FALSE(T, off), "turn off off"},
	{"quiet", 'q', NULL, CLI_TRUE(T, quiet), "say less"},
	{.group = "Values:"},
	{"name", 'n', "NAME", CLI_STR(T, name), "a name"},
	{"output", 'o', "FILE", CLI_STR(T, out), "where to write"},
	{"count", 0, "N", CLI_UNSIGNED(T, count, 1, 100), "how many\nsecond help line"},
	{"backlog", 0, "N", CLI_INT(T, backlog, 0, 5), "a small int"},
	{"seed", 0, "N", CLI_U64(T, seed, 0, UINT64_MAX), "a seed"},
	{"queue", 0, "SIZE", CLI_SIZE_U64(T, queue_bytes, 1, 1u << 30), "a u64 size"},
	{"chunk", 0, "SIZE", CLI_SIZE(T, chunk, 1, 64u << 20), "a size_t size"},
	{"rcvbuf", 0, "SIZE", CLI_SIZE_INT(T, rcvbuf, 1, 1u << 30), "an int size"},
	{"wait", 0, "D", CLI_DURATION(T, wait_ns, 1000000, 60000000000ull), "a duration"},
	{"colour", 0, "C", CLI_FN(set_colour), "red or blue"},
	{"count-down", 0, NULL, CLI_TRUE(T, on), "shares a prefix with --count"},
	{0},
};
#undef T

static const struct cli_spec spec = {
	.verb = "test",
	.usage = "[FLAGS] A [B]",
	.summary = "A verb for the tests.",
	.flags = flags,
	.notes = "Notes: an example line.\n",
	.min_args = 1,
	.max_args = 2,
	.args_off = offsetof(struct t_opts, args),
	.args_missing = "which A?",
	.finish = finish,
};

static char err[512];

/* Parse a NULL-terminated list (argv[0] is the verb). */
static int parse(struct t_opts *o, const char **args)
{
	char *argv[32] = {"test"};
	int argc = 1;
	while (args[argc - 1])
		argv[argc] = (char *)args[argc - 1], argc++;
	memset(o, 0, sizeof(*o));
	o->off = true;
	err[0] = '\0';
	return cli_parse(&spec, argc, argv, o, err, sizeof(err));
}

static void test_every_kind(void **state)
{
	(void)state;
	struct t_opts o;
	const char *a[] = {"--on", "--no-off", "--name", "x", "--output=o.txt", "--count", "7",
			   "--backlog", "5", "--seed", "18446744073709551615", "--queue", "16k",
			   "--chunk", "1m", "--rcvbuf", "4k", "--wait", "250ms", "--colour", "blue",
			   "first", "second", NULL};
	assert_int_equal(parse(&o, a), 0);
	assert_true(o.on);
	assert_false(o.off);
	assert_false(o.quiet);
	assert_string_equal(o.name, "x");
	assert_string_equal(o.out, "o.txt");
	assert_int_equal(o.count, 7);
	assert_int_equal(o.backlog, 5);
	assert_int_equal(o.seed, UINT64_MAX);
	assert_int_equal(o.queue_bytes, 16384);
	assert_int_equal(o.chunk, 1048576);
	assert_int_equal(o.rcvbuf, 4096);
	assert_int_equal(o.wait_ns, 250000000);
	assert_int_equal(o.colour, 'b');
	assert_string_equal(o.args[0], "first");
	assert_string_equal(o.args[1], "second");
	assert_int_equal(o.finished, 1);
}

static void test_spellings(void **state)
{
	(void)state;
	struct t_opts o;
	/* Short flags bundled and with attached values; flags after arguments. */
	const char *a[] = {"A", "-qnNAME", "-o", "out", "--se=3", NULL};
	assert_int_equal(parse(&o, a), 0);
	assert_true(o.quiet);
	assert_string_equal(o.name, "NAME");
	assert_string_equal(o.out, "out");
	assert_int_equal(o.seed, 3);             /* a unique prefix, as getopt_long */
	assert_string_equal(o.args[0], "A");
	/* "--" ends the flags; "-" is an argument. */
	const char *b[] = {"--", "--on", "-", NULL};
	assert_int_equal(parse(&o, b), 0);
	assert_false(o.on);
	assert_string_equal(o.args[0], "--on");
	assert_string_equal(o.args[1], "-");
	/* A value that looks like a flag is still the value. */
	const char *c[] = {"--name", "--on", "A", NULL};
	assert_int_equal(parse(&o, c), 0);
	assert_string_equal(o.name, "--on");
	assert_false(o.on);
}

static void test_help_asked(void **state)
{
	(void)state;
	struct t_opts o;
	const char *a[] = {"--help", NULL};          /* no argument needed for help */
	assert_int_equal(parse(&o, a), 1);
	const char *b[] = {"-h", NULL};
	assert_int_equal(parse(&o, b), 1);
	const char *c[] = {"A", "--he", NULL};
	assert_int_equal(parse(&o, c), 1);
	assert_int_equal(o.finished, 0);
}

/* Refused with a message containing want. */
static void refused(const char **args, const char *want)
{
	struct t_opts o;
	assert_int_equal(parse(&o, args), -EINVAL);
	if (!strstr(err, want))
		fail_msg("expected '%s' in '%s'", want, err);
}

static void test_errors(void **state)
{
	(void)state;
	const char *unknown[] = {"A", "--nosuch", NULL};
	refused(unknown, "--nosuch: unknown flag (see 'socklab test --help')");
	const char *unknown_short[] = {"A", "-x", NULL};
	refused(unknown_short, "-x: unknown flag");
	const char *unknown_eq[] = {"A", "--nosuch=3", NULL};
	refused(unknown_eq, "--nosuch: unknown flag");
	const char *ambiguous[] = {"A", "--co", "3", NULL};
	refused(ambiguous, "--co: ambiguous flag");
	const char *missing[] = {"A", "--count", NULL};
	refused(missing, "--count: needs a value (N)");
	const char *missing_short[] = {"A", "-o", NULL};
	refused(missing_short, "--output: needs a value (FILE)");
	const char *no_value[] = {"A", "--on=yes", NULL};
	refused(no_value, "--on: takes no value");
	const char *range[] = {"A", "--count", "101", NULL};
	refused(range, "--count: expected a whole number 1-100, got '101'");
	const char *size[] = {"A", "--chunk", "65m", NULL};
	refused(size, "--chunk: must be 1 byte to 64m");
	const char *unit[] = {"A", "--wait", "2", NULL};
	refused(unit, "--wait: '2': give a unit");
	const char *dur[] = {"A", "--wait", "2m", NULL};
	refused(dur, "--wait: must be 1ms to 60s");
	const char *custom[] = {"A", "--colour", "green", NULL};
	refused(custom, "--colour: 'green' is not red or blue");
	const char *args_missing[] = {"--on", NULL};
	refused(args_missing, "which A?");
	const char *too_many[] = {"A", "B", "C", NULL};
	refused(too_many, "unexpected argument 'C'");
	const char *finish_says[] = {"A", "--on", "-q", NULL};
	refused(finish_says, "--on and --quiet exclude each other");
}

static void test_help_text(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	cli_help(&spec, f);
	fclose(f);
	assert_non_null(strstr(buf, "usage: socklab test [FLAGS] A [B]\n"));
	assert_non_null(strstr(buf, "A verb for the tests."));
	for (const struct cli_flag *fl = flags; fl->name || fl->group; fl++) {
		char want[64];
		if (fl->group) {
			assert_non_null(strstr(buf, fl->group));
			continue;
		}
		snprintf(want, sizeof(want), "--%s%s%s ", fl->name, fl->arg ? " " : "",
			 fl->arg ? fl->arg : "");
		if (!strstr(buf, want))
			fail_msg("no '%s' in the help:\n%s", want, buf);
	}
	assert_non_null(strstr(buf, "  -o, --output FILE"));
	assert_non_null(strstr(buf, "      --count N"));
	assert_non_null(strstr(buf, "  -h, --help"));
	/* A continuation line starts under the first line's text. */
	const char *first = strstr(buf, "how many\n");
	assert_non_null(first);
	const char *bol = first;
	while (bol > buf && bol[-1] != '\n')
		bol--;
	assert_int_equal(strspn(first + 9, " "), (size_t)(first - bol));
	assert_non_null(strstr(first + 9 + (first - bol), "second help line"));
	assert_non_null(strstr(buf, "Notes: an example line."));
	free(buf);
}

/* The load verb's table, read without printing: the message comes back. */
static void test_load_config(void **state)
{
	(void)state;
	struct ld_config cfg;
	char msg[256];
	char *ok[] = {"load", "--target", "127.0.0.1:9000", "--clients", "3", "--duration",
		      "1500ms", "--size", "1.5k", NULL};
	assert_int_equal(cmd_load_config(9, ok, &cfg, msg, sizeof(msg)), 0);
	assert_int_equal(cfg.clients, 3);
	assert_int_equal(cfg.duration_ns, 1500000000ull);
	assert_int_equal(cfg.size.a, 1536);
	/* A rate written as the scenario's clients.rate may be (".5"). */
	char *half[] = {"load", "--target", "127.0.0.1:9000", "--rate", ".5", NULL};
	assert_int_equal(cmd_load_config(5, half, &cfg, msg, sizeof(msg)), 0);
	assert_true(cfg.rate == 0.5);
	char *sign[] = {"load", "--target", "127.0.0.1:9000", "--rate", "-1", NULL};
	assert_int_equal(cmd_load_config(5, sign, &cfg, msg, sizeof(msg)), -EINVAL);
	char *bare[] = {"load", "--target", "127.0.0.1:9000", "--duration", "2", NULL};
	assert_int_equal(cmd_load_config(5, bare, &cfg, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "--duration: '2': give a unit"));
	/* --size 0 was clamped to 1 byte in silence (issue 17, finding 9). */
	char *zero[] = {"load", "--target", "127.0.0.1:9000", "--size", "0", NULL};
	assert_int_equal(cmd_load_config(5, zero, &cfg, msg, sizeof(msg)), -EINVAL);
	if (!strstr(msg, "--size: size '0': at least 1 byte"))
		fail_msg("--size 0: '%s'", msg);
	char *zero_u[] = {"load", "--target", "127.0.0.1:9000", "--size", "uniform:0-10", NULL};
	assert_int_equal(cmd_load_config(5, zero_u, &cfg, msg, sizeof(msg)), -EINVAL);
	if (!strstr(msg, "at least 1 byte"))
		fail_msg("--size uniform:0-10: '%s'", msg);
	char *none[] = {"load", NULL};
	assert_int_equal(cmd_load_config(1, none, &cfg, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "--target: required"));
	char *help[] = {"load", "--help", NULL};
	assert_int_equal(cmd_load_config(2, help, &cfg, msg, sizeof(msg)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_help_asked),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help_text),
		cmocka_unit_test(test_load_config),
	};
	return tl_run_group(tests, NULL, NULL);
}
