/*
 * harness/cli/cli.c — command-line value parsing shared by the verbs.
 */
#include "harness/cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/resource.h>

int cli_uint(const char *verb, const char *flag, const char *s,
	     unsigned long long min, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || errno || *end || v < min || v > max) {
		fprintf(stderr, "socklab %s: %s: expected a whole number %llu-%llu, got '%s'\n",
			verb, flag, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

struct unit {
	const char *name;
	uint64_t mult;
};

static int scaled(const char *s, const struct unit *units, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	double v = strtod(s, &end);
	if (errno || v < 0)
		return -1;
	for (const struct unit *u = units; u->name; u++) {
		if (strcasecmp(end, u->name) == 0) {
			double r = v * (double)u->mult;
			if (r > 1.8e19)
				return -1;
			*out = (uint64_t)(r + 0.5);
			return 0;
		}
	}
	return -1;
}

int cli_size(const char *verb, const char *flag, const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{"", 1}, {"b", 1},
		{"k", 1ull << 10}, {"kb", 1ull << 10}, {"kib", 1ull << 10},
		{"m", 1ull << 20}, {"mb", 1ull << 20}, {"mib", 1ull << 20},
		{"g", 1ull << 30}, {"gb", 1ull << 30}, {"gib", 1ull << 30},
		{NULL, 0},
	};
	if (scaled(s, units, out) == 0)
		return 0;
	fprintf(stderr, "socklab %s: %s: expected a size like 512, 4k, 1m, got '%s'\n",
		verb, flag, s);
	return -1;
}

int cli_duration_ns(const char *verb, const char *flag, const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{"", 1000000000ull}, {"s", 1000000000ull}, {"ms", 1000000ull},
		{"us", 1000ull}, {"ns", 1}, {"m", 60000000000ull}, {"h", 3600000000000ull},
		{NULL, 0},
	};
	if (scaled(s, units, out) == 0)
		return 0;
	fprintf(stderr, "socklab %s: %s: expected a duration like 10s, 200ms, got '%s'\n",
		verb, flag, s);
	return -1;
}

void cli_bad_flag(const char *verb, int optopt, const char *arg)
{
	if (optopt && optopt < 128 && arg && arg[0] == '-' && arg[1] != '-')
		fprintf(stderr, "socklab %s: -%c: unknown flag or missing value "
			"(see 'socklab %s --help')\n", verb, optopt, verb);
	else
		fprintf(stderr, "socklab %s: %s: unknown flag or missing value "
			"(see 'socklab %s --help')\n", verb, arg ? arg : "?", verb);
}

int cli_on_stop(void (*fn)(int))
{
	struct sigaction sa = {.sa_handler = fn};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	return 0;
}

unsigned long cli_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (unsigned long)rl.rlim_cur;
}
