/*
 * harness/cmd_report.c — `socklab report [--db FILE] [--run ID|last]
 * [--format text|md|csv|json] [-o FILE]`: load one run of the store
 * read-only (reports/model.c) and print its case table in the chosen
 * format (reports/render_*.c). The report is made in memory first, so a
 * failure writes nothing and -o never leaves a partial file. Any error is
 * one line on stderr and exit 2.
 */
#include "harness/cli.h"
#include "harness/store.h"
#include "reports/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERB "report"

enum fmt { F_TEXT, F_MD, F_CSV, F_JSON };

static void help(FILE *f)
{
	fprintf(f,
		"usage: socklab report [--db FILE] [--run ID|last] [--format FMT] [-o FILE]\n"
		"\n"
		"Print the case table of one run of the store: the parameters that vary\n"
		"across the matrix, throughput, latency percentiles, errors, server CPU\n"
		"and memory, status; the best value of each metric column is marked.\n"
		"Formats and the JSON shape are documented in docs/reports.md.\n"
		"\n"
		"  --db FILE       the SQLite store (default ./%s); opened read-only\n"
		"  --run ID|last   which run (default last)\n"
		"  --format FMT    text (default), md, csv or json\n"
		"  -o, --output FILE  write the report to FILE instead of stdout\n"
		"  -h, --help      this text\n"
		"\n"
		"Exit status: 0 ok, 2 bad flags, no such file, run or format.\n",
		DB_DEFAULT_PATH);
}

static const struct option opts[] = {
	{"db", required_argument, NULL, 'd'},
	{"run", required_argument, NULL, 'r'},
	{"format", required_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int render(const struct rpt_run *r, enum fmt fmt, FILE *f, bool colour)
{
	switch (fmt) {
	case F_MD: return rpt_render_md(r, f);
	case F_CSV: return rpt_render_csv(r, f);
	case F_JSON: return rpt_render_json(r, f);
	case F_TEXT: break;
	}
	return rpt_render_text(r, f, colour);
}

/* Write n bytes of p to path (or stdout when path is NULL); 0 or -errno. */
static int emit(const char *path, const char *p, size_t n)
{
	FILE *f = path ? fopen(path, "w") : stdout;
	if (!f)
		return -errno;
	int rc = fwrite(p, 1, n, f) == n ? 0 : -EIO;
	if (path) {
		if (fclose(f) != 0 && rc == 0)
			rc = -errno;
	} else if (fflush(f) != 0 && rc == 0) {
		rc = -errno;
	}
	return rc;
}

int cmd_report(int argc, char **argv)
{
	const char *db = DB_DEFAULT_PATH, *run = "last", *out = NULL;
	enum fmt fmt = F_TEXT;

	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, ":ho:", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'h':
			help(stdout);
			return CLI_OK;
		case 'd': db = optarg; break;
		case 'r': run = optarg; break;
		case 'o': out = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				fmt = F_TEXT;
			else if (strcmp(optarg, "md") == 0)
				fmt = F_MD;
			else if (strcmp(optarg, "csv") == 0)
				fmt = F_CSV;
			else if (strcmp(optarg, "json") == 0)
				fmt = F_JSON;
			else {
				fprintf(stderr, "socklab report: --format: '%s' is not text, md, csv or json\n",
					optarg);
				return CLI_USAGE;
			}
			break;
		default:
			cli_bad_flag(VERB, optopt, argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "socklab report: unexpected argument '%s' (see 'socklab report --help')\n",
			argv[optind]);
		return CLI_USAGE;
	}

	struct rpt_run *r = NULL;
	char err[512];
	int rc = rpt_load(db, run, &r, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "socklab report: %s\n", err);
		return CLI_USAGE;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem) {
		fprintf(stderr, "socklab report: %s\n", strerror(errno));
		rpt_free(r);
		return CLI_USAGE;
	}
	rc = render(r, fmt, mem, !out && isatty(STDOUT_FILENO));
	if (fclose(mem) != 0 && rc == 0)
		rc = -EIO;
	rpt_free(r);
	if (rc == 0 && (rc = emit(out, buf, len)) != 0) {
		fprintf(stderr, "socklab report: %s: %s\n", out ? out : "stdout", strerror(-rc));
		free(buf);
		return CLI_USAGE;
	}
	free(buf);
	if (rc != 0) {
		fprintf(stderr, "socklab report: %s\n", strerror(-rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}
