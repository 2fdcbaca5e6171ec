/*
 * harness/cli/cmd_demo.c — `socklab demo sticky|udp|concurrency`: classroom
 * walk-throughs. Flags are parsed here; the demos are in harness/demo_*.c
 * and the narration engine in harness/demo/demo.c.
 *
 * Exit status: 0 when every step ran (a step that cannot show its effect
 * here, e.g. capture without root, says so and still counts as run), 1
 * when a step failed with an error, 2 on bad flags.
 */
#include "harness/cli/cli.h"
#include "harness/demo/demo.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERB "demo"

struct demo_args {
	struct demo_opts o;
	const char *name[1];
};

static int set_lang(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		    size_t errlen)
{
	struct demo_args *a = ctx;
	(void)f;
	if (strcmp(arg, "en") == 0)
		a->o.lang = DEMO_EN;
	else if (strcmp(arg, "zh") == 0)
		a->o.lang = DEMO_ZH;
	else
		return snprintf(err, errlen, "'%s' is not en or zh", arg), -EINVAL;
	return 0;
}

#define D struct demo_args
static const struct cli_flag flags[] = {
	{"step", 0, NULL, CLI_TRUE(D, o.step),
	 "pause before each step (Enter; not when stdin is no TTY)"},
	{"no-color", 0, NULL, CLI_FALSE(D, o.color),
	 "no colour (also off when stdout is not a terminal)"},
	{"html", 0, "FILE", CLI_STR(D, o.html), "also write the demo as one page with its charts"},
	{"lang", 0, "L", CLI_FN(set_lang), "en (default) or zh"},
	{"quick", 0, NULL, CLI_TRUE(D, o.quick), "smaller counts (for tests)"},
	{"json", 0, NULL, CLI_TRUE(D, o.json),
	 "print only a JSON document of every step's measured values"},
	{0},
};
#undef D

static const struct cli_spec spec = {
	.verb = VERB,
	.usage = "sticky|udp|concurrency [FLAGS]",
	.summary = "Classroom walk-throughs of what the seeds explain in words. Every step\n"
		   "is a real run on loopback (port 0), and its measured result is printed\n"
		   "next to the narration; what this machine cannot show (e.g. capture\n"
		   "without root) is said so.\n"
		   "\n"
		   "  sticky       TCP sticky packets (\xe7\xb2\x98\xe5\x8c\x85): Nagle, the late reader,\n"
		   "               TCP_NODELAY, and the seeds' four fixes, one through a\n"
		   "               relay that splits messages (\xe5\x8d\x8a\xe5\x8c\x85)\n"
		   "  udp          UDP keeps boundaries, empty datagrams, truncation,\n"
		   "               start order, loss in a small receive buffer\n"
		   "  concurrency  iterative, thread, fork, prefork, pool, epoll with an\n"
		   "               I/O-bound and a CPU-bound handler: who waited, what it cost",
	.flags = flags,
	.min_args = 1,
	.max_args = 1,
	.args_off = offsetof(struct demo_args, name),
	.args_missing = "which demo? sticky, udp or concurrency (socklab demo --help)",
};

static const struct {
	const char *name;
	const char *title_key;
	int (*run)(struct demo *d);
} demos[] = {
	{"sticky", "sticky.title", demo_sticky},
	{"udp", "udp.title", demo_udp},
	{"concurrency", "conc.title", demo_concurrency},
};

/* Whether path can be written, checked before the demo runs (a bad --html
 * path must not cost a whole demo); a file made to check is removed. */
static bool writable(const char *path)
{
	struct stat st;
	bool existed = stat(path, &st) == 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	close(fd);
	if (!existed)
		unlink(path);
	return true;
}

int cmd_demo(int argc, char **argv)
{
	struct demo_args a = {.o = {.lang = DEMO_EN, .color = isatty(STDOUT_FILENO) != 0}};
	int status;

	if (!cli_args(&spec, argc, argv, &a, &status))
		return status;
	struct demo_opts o = a.o;
	o.out = stdout;
	o.diag = stderr;
	const char *name = a.name[0];
	if (o.html && !writable(o.html)) {
		fprintf(stderr, "socklab demo: --html: %s: %s\n", o.html, strerror(errno));
		return CLI_USAGE;
	}
	/* A demo holds nothing to save on Ctrl-C (its servers are children
	 * that die with it, the page is written at the end): let SIGINT and
	 * SIGTERM end it at once, even when started with SIGINT ignored (a
	 * background job of a script). */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	for (size_t i = 0; i < sizeof(demos) / sizeof(demos[0]); i++) {
		if (strcmp(name, demos[i].name) != 0)
			continue;
		struct demo d;
		if (demo_begin(&d, &o, demos[i].name, demos[i].title_key) < 0) {
			fprintf(stderr, "socklab demo: out of memory\n");
			return CLI_FAILED;
		}
		demos[i].run(&d);
		return demo_end(&d);
	}
	fprintf(stderr, "socklab demo: unknown demo '%s': sticky, udp or concurrency\n", name);
	return CLI_USAGE;
}
