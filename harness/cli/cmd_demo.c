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
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERB "demo"

static void help(FILE *f)
{
	fprintf(f,
		"usage: socklab demo sticky|udp|concurrency [FLAGS]\n"
		"\n"
		"Classroom walk-throughs of what the seeds explain in words. Every step\n"
		"is a real run on loopback (port 0), and its measured result is printed\n"
		"next to the narration; what this machine cannot show (e.g. capture\n"
		"without root) is said so.\n"
		"\n"
		"  sticky       TCP sticky packets (粘包): Nagle, the late reader,\n"
		"               TCP_NODELAY, and the seeds' four fixes, one through a\n"
		"               relay that splits messages (半包)\n"
		"  udp          UDP keeps boundaries, empty datagrams, truncation,\n"
		"               start order, loss in a small receive buffer\n"
		"  concurrency  iterative, thread, fork, prefork, pool, epoll with an\n"
		"               I/O-bound and a CPU-bound handler: who waited, what it cost\n"
		"\n"
		"  --step         pause before each step (Enter; not when stdin is no TTY)\n"
		"  --no-color     no colour (also off when stdout is not a terminal)\n"
		"  --html FILE    also write the demo as one page with its charts\n"
		"  --lang L       en (default) or zh\n"
		"  --quick        smaller counts (for tests)\n"
		"  --json         print only a JSON document of every step's measured values\n"
		"  -h, --help     this text\n");
}

enum { OPT_STEP = 256, OPT_NOCOLOR, OPT_HTML, OPT_LANG, OPT_QUICK, OPT_JSON };

static const struct option opts[] = {
	{"step", no_argument, NULL, OPT_STEP},
	{"no-color", no_argument, NULL, OPT_NOCOLOR},
	{"html", required_argument, NULL, OPT_HTML},
	{"lang", required_argument, NULL, OPT_LANG},
	{"quick", no_argument, NULL, OPT_QUICK},
	{"json", no_argument, NULL, OPT_JSON},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
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
	struct demo_opts o = {.lang = DEMO_EN, .color = isatty(STDOUT_FILENO) != 0};
	const char *name = NULL;

	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, ":h", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'h':
			help(stdout);
			return CLI_OK;
		case OPT_STEP: o.step = true; break;
		case OPT_NOCOLOR: o.color = false; break;
		case OPT_HTML: o.html = optarg; break;
		case OPT_QUICK: o.quick = true; break;
		case OPT_JSON: o.json = true; break;
		case OPT_LANG:
			if (strcmp(optarg, "en") == 0) {
				o.lang = DEMO_EN;
			} else if (strcmp(optarg, "zh") == 0) {
				o.lang = DEMO_ZH;
			} else {
				fprintf(stderr, "socklab demo: --lang: '%s' is not en or zh\n", optarg);
				return CLI_USAGE;
			}
			break;
		default:
			cli_bad_flag(VERB, optopt, argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "socklab demo: which demo? sticky, udp or concurrency "
			"(socklab demo --help)\n");
		return CLI_USAGE;
	}
	name = argv[optind];
	if (optind + 1 < argc) {
		fprintf(stderr, "socklab demo: unexpected argument '%s'\n", argv[optind + 1]);
		return CLI_USAGE;
	}
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
