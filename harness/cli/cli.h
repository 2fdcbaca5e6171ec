/*
 * harness/cli/cli.h — what every verb's command line shares: the flag
 * tables and their one parser, the exit codes, process set-up.
 */
#ifndef SOCKLAB_HARNESS_CLI_CLI_H
#define SOCKLAB_HARNESS_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
	CLI_OK = 0,
	CLI_FAILED = 1,       /* ran, and a threshold failed */
	CLI_USAGE = 2,        /* bad flags, bad input, unreachable target */
	CLI_INTERRUPTED = 130,
};

/*
 * Flags as tables. Each verb describes its flags as one const array of
 * struct cli_flag (long name, short letter, argument name, typed setter,
 * help) and one struct cli_spec around it; cli_parse() reads argv with it
 * and cli_help() prints --help from the same rows, so the two cannot drift.
 *
 * A setter writes the value into the verb's context struct (its typed
 * config) at .off; the stock setters below check the field's type at
 * compile time through the CLI_* macros. A setter returns 0, or -EINVAL
 * with the reason (without the flag's name) in err.
 */
struct cli_flag;
typedef int (*cli_set_fn)(const struct cli_flag *f, void *ctx, const char *arg,
			  char *err, size_t errlen);

struct cli_flag {
	const char *name;     /* without "--"; NULL with .group: a heading; all 0: the end */
	char letter;          /* short flag, 0 for none */
	const char *arg;      /* the value's name in help; NULL: takes no value */
	cli_set_fn set;
	size_t off;           /* where set writes, in the verb's context */
	uint64_t min, max;    /* bounds for the number setters */
	const char *help;     /* '\n' starts a continuation line */
	const char *group;    /* heading row only */
};

/* The field's offset, a compile error unless it has type `type`. */
#define CLI_FIELD(T, field, type) \
	(offsetof(T, field) + 0 * sizeof(_Generic(((T *)0)->field, type: 1)))

/* Row middles, from .set to .max: {"name", 'x', "ARG", CLI_...(...), "help"}. */
#define CLI_TRUE(T, f) .set = cli_set_true, .off = CLI_FIELD(T, f, bool), .min = 0, .max = 0
#define CLI_FALSE(T, f) .set = cli_set_false, .off = CLI_FIELD(T, f, bool), .min = 0, .max = 0
#define CLI_STR(T, f) .set = cli_set_str, .off = CLI_FIELD(T, f, const char *), .min = 0, .max = 0
#define CLI_UNSIGNED(T, f, lo, hi) \
	.set = cli_set_unsigned, .off = CLI_FIELD(T, f, unsigned), .min = (lo), .max = (hi)
#define CLI_INT(T, f, lo, hi) .set = cli_set_int, .off = CLI_FIELD(T, f, int), .min = (lo), .max = (hi)
#define CLI_U64(T, f, lo, hi) \
	.set = cli_set_u64, .off = CLI_FIELD(T, f, uint64_t), .min = (lo), .max = (hi)
#define CLI_SIZE(T, f, lo, hi) \
	.set = cli_set_size, .off = CLI_FIELD(T, f, size_t), .min = (lo), .max = (hi)
#define CLI_SIZE_INT(T, f, lo, hi) \
	.set = cli_set_size_int, .off = CLI_FIELD(T, f, int), .min = (lo), .max = (hi)
#define CLI_SIZE_U64(T, f, lo, hi) \
	.set = cli_set_size_u64, .off = CLI_FIELD(T, f, uint64_t), .min = (lo), .max = (hi)
#define CLI_DURATION(T, f, lo, hi) \
	.set = cli_set_duration_ns, .off = CLI_FIELD(T, f, uint64_t), .min = (lo), .max = (hi)
/* A verb's own setter, which casts ctx to its struct. */
#define CLI_FN(fn) .set = (fn), .off = 0, .min = 0, .max = 0

int cli_set_true(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen);
int cli_set_false(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen);
int cli_set_str(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen);
int cli_set_unsigned(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen);
int cli_set_int(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen);
int cli_set_u64(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen);
int cli_set_size(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen);
int cli_set_size_int(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen);
int cli_set_size_u64(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen);
int cli_set_duration_ns(const struct cli_flag *f, void *ctx, const char *arg, char *err,
			size_t errlen);

/* The --help note on units (util/units.h), the same for every verb. */
#define CLI_UNITS_NOTE \
	"Units: durations need one (10s, 200ms, 50us; only 0 may be bare); sizes are\n" \
	"bytes unless k, m or g follow (powers of 1024); bit rates need one (800kbit,\n" \
	"10mbit; powers of 1000, and bps means bits); requests/s and connects/s are\n" \
	"plain numbers.\n"

/* One verb's command line: its flags, its positional arguments, its help. */
struct cli_spec {
	const char *verb;            /* NULL: socklab itself */
	const char *usage;           /* after "usage: socklab VERB " */
	const char *summary;         /* the paragraph under the usage line */
	const struct cli_flag *flags;
	const char *notes;           /* free text after the flags, or NULL */
	void (*more_help)(FILE *f);  /* help that is computed (lists of models) */
	/* Positional arguments go, in order, to the const char *[max_args] at
	 * args_off; fewer than min_args is args_missing. */
	unsigned min_args, max_args;
	size_t args_off;
	const char *args_missing;
	/* Checks across flags once all are read: 0 or -EINVAL, err complete. */
	int (*finish)(void *ctx, char *err, size_t errlen);
};

/*
 * Read argv[1..argc) into ctx (argv[0] is the verb). Flags may come before,
 * between or after positional arguments; "--" ends the flags; --name=value,
 * -x value, -xvalue and a unique prefix of a long name are accepted, as
 * getopt_long does. Returns 0, 1 when --help/-h was asked for (nothing
 * else is checked), or -EINVAL with "--flag: why" in err. Prints nothing.
 */
int cli_parse(const struct cli_spec *spec, int argc, char **argv, void *ctx,
	      char *err, size_t errlen);
/* --help: usage, summary, the flags aligned, the notes. */
void cli_help(const struct cli_spec *spec, FILE *f);
/* cli_parse, then the printing a verb wants: help on stdout, or
 * "socklab VERB: --flag: why" on stderr. True when the verb should run;
 * otherwise *status is its exit status (CLI_OK after help, CLI_USAGE). */
bool cli_args(const struct cli_spec *spec, int argc, char **argv, void *ctx, int *status);
/* "socklab VERB: " + the message, on stderr; returns CLI_USAGE. */
int cli_fail(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Route SIGINT and SIGTERM to fn (which must be async-signal-safe):
 * how every long-running verb learns it should stop in order. 0 or -errno. */
int cli_on_stop(void (*fn)(int));

/* Raise RLIMIT_NOFILE to its hard limit; returns the soft limit now. */
unsigned long cli_raise_nofile(void);

/* One verb: a name, a line of help, and its main. */
struct cli_verb {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

int cmd_serve(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_demo(int argc, char **argv);

/*
 * Parse `socklab load` flags (argv[0] is the verb) into cfg through the
 * verb's own flag table, printing nothing: how a test (or an embedder)
 * checks what a load command line means. Returns 0, or -EINVAL with the
 * message in err.
 */
struct ld_config;
int cmd_load_config(int argc, char **argv, struct ld_config *cfg, char *err, size_t errlen);

#endif
