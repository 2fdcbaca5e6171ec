/*
 * harness/cli/cmd_report.c — `socklab report [--db FILE] [--run ID|last |
 * --compare ID,ID...] [--format text|md|csv|json|html] [-o FILE]`: load one
 * run (or the runs to compare) of the store read-only (reports/model.c)
 * and print its case table (or the comparison, reports/compare.c) in the
 * chosen format (the table of reports/format.h). The report is made in memory first, so a
 * failure writes nothing, and -o writes a temporary file renamed over the
 * target when complete, so it never leaves a partial file. Any error is one
 * line on stderr and exit 2.
 */
#include "harness/cli/cli.h"
#include "harness/store/store.h"
#include "reports/format.h"
#include "reports/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERB "report"

#define MAX_COMPARE 16

/* -o names the store itself (a typo that would replace the data with the report). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

struct report_args {
	const char *db, *run, *out;
	char *compare;
	bool run_set;
	const struct rpt_format *fmt;
};

static int set_run(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		   size_t errlen)
{
	struct report_args *a = ctx;
	(void)f, (void)err, (void)errlen;
	a->run = arg;
	a->run_set = true;
	return 0;
}

static int set_format(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		      size_t errlen)
{
	struct report_args *a = ctx;
	(void)f;
	if ((a->fmt = rpt_format_find(arg)) != NULL)
		return 0;
	char names[128];
	rpt_format_names(names, sizeof(names));
	snprintf(err, errlen, "unknown format '%s' (%s)", arg, names);
	return -EINVAL;
}

static int set_compare(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		       size_t errlen)
{
	struct report_args *a = ctx;
	(void)f, (void)err, (void)errlen;
	a->compare = (char *)arg;   /* argv's own string: split_ids() cuts it up */
	return 0;
}

#define A struct report_args
static const struct cli_flag flags[] = {
	{"db", 0, "FILE", CLI_STR(A, db),
	 "the SQLite store (default ./" DB_DEFAULT_PATH "); opened read-only"},
	{"run", 0, "ID|last", CLI_FN(set_run), "which run (default last)"},
	{"compare", 0, "A,B[,C...]", CLI_FN(set_compare), "compare runs (ids or last; 2 to 16)"},
	{"format", 0, "FMT", CLI_FN(set_format), "one of the formats below (default text)"},
	{"output", 'o', "FILE", CLI_STR(A, out), "write the report to FILE instead of stdout"},
	{0},
};
#undef A

static int check_args(void *ctx, char *err, size_t errlen)
{
	struct report_args *a = ctx;
	if (a->out && same_file(a->out, a->db))
		return snprintf(err, errlen, "-o %s is the store itself: refusing to overwrite it",
				a->out), -EINVAL;
	if (a->compare && !rpt_format_can_compare(a->fmt))
		return snprintf(err, errlen, "--format %s cannot compare runs", a->fmt->name),
		       -EINVAL;
	if (a->compare && a->run_set)
		return snprintf(err, errlen, "--run and --compare exclude each other"), -EINVAL;
	return 0;
}

static void formats_help(FILE *f)
{
	fprintf(f, "\nFormats:\n");
	rpt_format_help(f, "  ");
}

static const struct cli_spec spec = {
	.verb = VERB,
	.usage = "[--db FILE] [--run ID|last | --compare ID,ID...]\n"
		 "                      [--format FMT] [-o FILE]",
	.summary = "Print the case table of one run of the store: the parameters that vary\n"
		   "across the matrix, throughput, latency percentiles, errors, server CPU\n"
		   "and memory, capture and UDP accounting columns when the run has them,\n"
		   "status; rows grouped the way the matrix varies, the best value of each\n"
		   "metric column marked. --compare lines up the same cases of several runs\n"
		   "(the first is the baseline) with differences, flagging those larger than\n"
		   "the runs' own noise. Formats, the JSON shapes and the noise rule are\n"
		   "documented in docs/reports.md.",
	.flags = flags,
	.notes = "Exit status: 0 ok; 2 bad flags, no such file, run or format, or the report\n"
		 "could not be written (-o then leaves FILE as it was).\n",
	.more_help = formats_help,
	.finish = check_args,
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

/* Load the runs named (one, or those to compare); 0 or -errno, printed. */
static int load_runs(const struct report_args *a, struct rpt_run **runs, int *nids)
{
	char *ids[MAX_COMPARE];
	char err[512];
	int rc = 0;

	*nids = 1;
	ids[0] = (char *)a->run;
	if (a->compare && (*nids = split_ids(a->compare, ids, MAX_COMPARE)) < 2) {
		*nids = 0;
		cli_fail(VERB, "--compare: give 2 to %d run ids separated by commas, "
			 "e.g. --compare 3,4", MAX_COMPARE);
		return -EINVAL;
	}
	for (int i = 0; i < *nids && rc == 0; i++)
		if ((rc = rpt_load(a->db, ids[i], &runs[i], err, sizeof(err))) != 0)
			cli_fail(VERB, "%s", err);
	/* "1,1" or "last,3" when 3 is the last: a run against itself says nothing. */
	for (int i = 0; i < *nids && rc == 0; i++)
		for (int j = 0; j < i && rc == 0; j++)
			if (runs[i]->id == runs[j]->id) {
				cli_fail(VERB, "--compare: run %lld is listed twice",
					 (long long)runs[i]->id);
				rc = -EINVAL;
			}
	return rc;
}

/* The whole report in memory (*buf, *len; caller frees *buf); 0 or -errno. */
static int make_report(const struct report_args *a, struct rpt_run **runs, int nids,
		       char **buf, size_t *len)
{
	FILE *mem = open_memstream(buf, len);
	int rc;
	if (!mem)
		return -errno;
	bool colour = !a->out && isatty(STDOUT_FILENO);
	if (a->compare) {
		struct rpt_compare cmp;
		rc = rpt_compare_build(runs, (size_t)nids, &cmp);
		if (rc == 0) {
			rc = rpt_format_compare(a->fmt, &cmp, mem, colour);
			rpt_compare_free(&cmp);
		}
	} else {
		rc = rpt_format_run(a->fmt, runs[0], mem, colour);
	}
	if (fclose(mem) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = {.db = DB_DEFAULT_PATH, .run = "last",
				 .fmt = rpt_format_default()};
	struct rpt_run *runs[MAX_COMPARE] = {NULL};
	char *buf = NULL;
	size_t len = 0;
	int nids, status;

	if (!cli_args(&spec, argc, argv, &a, &status))
		return status;
	int rc = load_runs(&a, runs, &nids);
	if (rc == 0 && (rc = make_report(&a, runs, nids, &buf, &len)) != 0)
		cli_fail(VERB, "%s", strerror(-rc));
	for (int i = 0; i < nids; i++)
		rpt_free(runs[i]);
	if (rc == 0 && (rc = emit(a.out, buf, len)) != 0)
		cli_fail(VERB, "%s: %s", a.out ? a.out : "stdout", strerror(-rc));
	free(buf);
	return rc == 0 ? CLI_OK : CLI_USAGE;
}
