/*
 * harness/cli/cli.h — what every verb's command line shares: value parsers
 * that name the flag in their error, the exit codes, process set-up.
 */
#ifndef SOCKLAB_HARNESS_CLI_H
#define SOCKLAB_HARNESS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CLI_OK = 0,
	CLI_FAILED = 1,       /* ran, and a threshold failed */
	CLI_USAGE = 2,        /* bad flags, bad input, unreachable target */
	CLI_INTERRUPTED = 130,
};

/* Each prints "socklab VERB: --flag: why" to stderr and returns -1 on a
 * bad value. */
int cli_uint(const char *verb, const char *flag, const char *s,
	     unsigned long long min, unsigned long long max, unsigned long long *out);
/* Sizes: 512, 4k, 64KiB, 1m, 2g (powers of 1024). */
int cli_size(const char *verb, const char *flag, const char *s, uint64_t *out);
/* Durations: 10s, 200ms, 50us, 2m, or a bare number of seconds. */
int cli_duration_ns(const char *verb, const char *flag, const char *s, uint64_t *out);

/* The unknown- or incomplete-flag message for getopt's '?' and ':'. */
void cli_bad_flag(const char *verb, int optopt, const char *arg);

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
 * Parse `socklab load` flags (argv[0] is the verb) into cfg, exactly as the
 * verb does, so the runner and the CLI share one meaning of every flag.
 * Returns 0, or -EINVAL with the message in err.
 */
struct ld_config;
int cmd_load_config(int argc, char **argv, struct ld_config *cfg, char *err, size_t errlen);

#endif
