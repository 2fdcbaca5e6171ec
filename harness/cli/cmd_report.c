/*
 * harness/cli/cmd_report.c — `socklab report [--db FILE] [--run ID|last |
 * --compare ID,ID...] [--format text|md|csv|json|html] [-o FILE]`: load one
 * run (or the runs to compare) of the store read-only (reports/model.c)
 * and print its case table (or the comparison, reports/compare.c) in the
 * chosen format (reports/render_*.c). The report is made in memory first, so a
 * failure writes nothing, and -o writes a temporary file renamed over the
 * target when complete, so it never leaves a partial file. Any error is one
 * line on stderr and exit 2.
 */
#include "harness/cli/cli.h"
#include "harness/store/store.h"
#include "reports/format.h"
#include "reports/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERB "report"

#define MAX_COMPARE 16

static void help(FILE *f)
{
	fprintf(f,
		"usage: socklab report [--db FILE] [--run ID|last | --compare ID,ID...]\n"
		"                      [--format FMT] [-o FILE]\n"
		"\n"
		"Print the case table of one run of the store: the parameters that vary\n"
		"across the matrix, throughput, latency percentiles, errors, server CPU\n"
		"and memory, capture and UDP accounting columns when the run has them,\n"
		"status; rows grouped the way the matrix varies, the best value of each\n"
		"metric column marked. --compare lines up the same cases of several runs\n"
		"(the first is the baseline) with differences, flagging those larger than\n"
		"the runs' own noise. Formats, the JSON shapes and the noise rule are\n"
		"documented in docs/reports.md.\n"
		"\n"
		"  --db FILE       the SQLite store (default ./%s); opened read-only\n"
		"  --run ID|last   which run (default last)\n"
		"  --compare A,B[,C...]  compare runs (ids or last; 2 to 16)\n"
		"  --format FMT    text (default), md, csv, json or html (self-contained, SVG charts)\n"
		"  -o, --output FILE  write the report to FILE instead of stdout\n"
		"  -h, --help      this text\n"
		"\n"
		"Exit status: 0 ok; 2 bad flags, no such file, run or format, or the report\n"
		"could not be written (-o then leaves FILE as it was).\n",
		DB_DEFAULT_PATH);
}

static const struct option opts[] = {
	{"db", required_argument, NULL, 'd'},
	{"run", required_argument, NULL, 'r'},
	{"compare", required_argument, NULL, 'c'},
	{"format", required_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Split "A,B,..." into ids (pointers into list, which is modified); -1 on a bad list. */
static int split_ids(char *list, char **ids, int cap)
{
	int n = 0;
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == cap)
			return -1;
		ids[n++] = tok;
	}
	return n;
}

/* Write n bytes of p to f and close it (unless stdout); 0 or -errno. */
static int put(FILE *f, const char *p, size_t n)
{
	int rc = fwrite(p, 1, n, f) == n ? 0 : -EIO;
	if (f == stdout) {
		if (fflush(f) != 0 && rc == 0)
			rc = -errno;
	} else if (fclose(f) != 0 && rc == 0) {
		rc = -errno;
	}
	return rc;
}

/*
 * Write n bytes of p to path, or stdout when path is NULL. A regular file
 * (or a new one) is written beside itself under a temporary name and
 * renamed over the old one only when complete, so that a failure (a full
 * disk) leaves the old file or none, never a partial report. Anything else
 * (a FIFO, /dev/stdout, a symlink), or a directory we may not create in,
 * is written in place. 0 or -errno.
 */
static int emit(const char *path, const char *p, size_t n)
{
	struct stat sb;
	if (!path)
		return put(stdout, p, n);
	bool exists = lstat(path, &sb) == 0;
	if (exists && S_ISREG(sb.st_mode) && access(path, W_OK) != 0)
		return -errno;          /* a file we may not write is not replaced either */
	size_t len = strlen(path) + sizeof(".tmp-XXXXXX");
	char *tmp = exists && !S_ISREG(sb.st_mode) ? NULL : malloc(len);
	int fd = -1;
	if (tmp) {
		snprintf(tmp, len, "%s.tmp-XXXXXX", path);
		if ((fd = mkstemp(tmp)) < 0) {
			free(tmp);
			tmp = NULL;
		}
	}
	if (!tmp) {
		FILE *f = fopen(path, "w");
		return f ? put(f, p, n) : -errno;
	}
	/* mkstemp makes the file 0600: give it the old file's mode, or the umask's. */
	mode_t um = umask(0);
	umask(um);
	int rc = fchmod(fd, exists ? sb.st_mode & 07777 : 0666 & ~um) == 0 ? 0 : -errno;
	FILE *f = rc == 0 ? fdopen(fd, "w") : NULL;
	if (rc == 0 && !f)
		rc = -errno;
	if (!f)
		close(fd);
	else
		rc = put(f, p, n);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* -o names the store itself (a typo that would replace the data with the report). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int cmd_report(int argc, char **argv)
{
	const char *db = DB_DEFAULT_PATH, *run = "last", *out = NULL;
	char *compare = NULL;
	bool run_set = false;
	const struct rpt_format *fmt = rpt_format_default();

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
		case 'r': run = optarg; run_set = true; break;
		case 'c': compare = optarg; break;
		case 'o': out = optarg; break;
		case 'f':
			if (!(fmt = rpt_format_find(optarg))) {
				char names[128];
				rpt_format_names(names, sizeof(names));
				fprintf(stderr, "socklab report: --format: unknown format '%s' (%s)\n",
					optarg, names);
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

	if (out && same_file(out, db)) {
		fprintf(stderr, "socklab report: -o %s is the store itself: refusing to overwrite it\n",
			out);
		return CLI_USAGE;
	}
	if (compare && !rpt_format_can_compare(fmt)) {
		fprintf(stderr, "socklab report: --format %s cannot compare runs\n", fmt->name);
		return CLI_USAGE;
	}
	if (compare && run_set) {
		fprintf(stderr, "socklab report: --run and --compare exclude each other\n");
		return CLI_USAGE;
	}
	char *ids[MAX_COMPARE];
	int nids = 1;
	if (compare) {
		nids = split_ids(compare, ids, MAX_COMPARE);
		if (nids < 2) {
			fprintf(stderr, "socklab report: --compare: give 2 to %d run ids separated by"
				" commas, e.g. --compare 3,4\n", MAX_COMPARE);
			return CLI_USAGE;
		}
	} else {
		ids[0] = (char *)run;
	}
	struct rpt_run *runs[MAX_COMPARE] = {NULL};
	char err[512];
	int rc = 0;
	for (int i = 0; i < nids && rc == 0; i++)
		if ((rc = rpt_load(db, ids[i], &runs[i], err, sizeof(err))) != 0)
			fprintf(stderr, "socklab report: %s\n", err);
	/* "1,1" or "last,3" when 3 is the last: a run against itself says nothing. */
	for (int i = 0; i < nids && rc == 0; i++)
		for (int j = 0; j < i && rc == 0; j++)
			if (runs[i]->id == runs[j]->id) {
				fprintf(stderr, "socklab report: --compare: run %lld is listed twice\n",
					(long long)runs[i]->id);
				rc = -EINVAL;
			}
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = rc == 0 ? open_memstream(&buf, &len) : NULL;
	if (rc == 0 && !mem) {
		fprintf(stderr, "socklab report: %s\n", strerror(errno));
		rc = -errno;
	}
	if (rc != 0) {
		for (int i = 0; i < nids; i++)
			rpt_free(runs[i]);
		return CLI_USAGE;
	}
	bool colour = !out && isatty(STDOUT_FILENO);
	if (compare) {
		struct rpt_compare cmp;
		rc = rpt_compare_build(runs, (size_t)nids, &cmp);
		if (rc == 0) {
			rc = rpt_format_compare(fmt, &cmp, mem, colour);
			rpt_compare_free(&cmp);
		}
	} else {
		rc = rpt_format_run(fmt, runs[0], mem, colour);
	}
	if (fclose(mem) != 0 && rc == 0)
		rc = -EIO;
	for (int i = 0; i < nids; i++)
		rpt_free(runs[i]);
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
