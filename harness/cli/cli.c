/*
 * harness/cli/cli.c — process set-up shared by the verbs (signals, the fd
 * limit) and the printing value parsers kept for callers outside the verbs.
 */
#include "harness/cli/cli.h"
#include "util/units.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>

/* The value parsers for callers outside the verbs: util/units.h, printed. */
static int printed(int rc, const char *verb, const char *flag, const char *err)
{
	if (rc == 0)
		return 0;
	fprintf(stderr, "socklab %s: %s: %s\n", verb, flag, err);
	return -1;
}

int cli_uint(const char *verb, const char *flag, const char *s,
	     unsigned long long min, unsigned long long max, unsigned long long *out)
{
	char err[256];
	uint64_t v;
	int rc = unit_uint(s, min, max, &v, err, sizeof(err));
	if (rc == 0)
		*out = v;
	return printed(rc, verb, flag, err);
}

int cli_size(const char *verb, const char *flag, const char *s, uint64_t *out)
{
	char err[256];
	return printed(unit_size(s, out, err, sizeof(err)), verb, flag, err);
}

int cli_duration_ns(const char *verb, const char *flag, const char *s, uint64_t *out)
{
	char err[256];
	return printed(unit_duration_ns(s, out, err, sizeof(err)), verb, flag, err);
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
