/*
 * reports/report.h — `socklab report`: one run of the store loaded into
 * memory (reports/model.c, the only file here that speaks SQL), the case
 * table that the text and Markdown renderers share (reports/table.c), and
 * one renderer per output format (render_text.c, render_md.c,
 * render_csv.c, render_json.c, render_html.c), each exporting its row of
 * the format table (reports/format.h). Renderers take the loaded model and a
 * stream; they return 0 or -errno (-EIO when the stream failed,
 * -ENOMEM). The JSON shape is documented in docs/reports.md.
 */
#ifndef SOCKLAB_REPORTS_REPORT_H
#define SOCKLAB_REPORTS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One parameter of a case, exactly as stored in cases.params. */
struct rpt_param {
	char *key;
	char *value;
};

/*
 * One row of the metrics table; is_null: the store has NULL (not a number).
 * The loader adds derived metrics from the migration-3 tables, when a case
 * has rows there: align.{bytes,sends,segments,recvs,coalesced_segments,
 * merged_recvs,sticky_msgs,half_msgs} (flow_align, client-to-server, summed
 * over the case's flows) and udp.{sent,refused,wire,wire_relayed,
 * relay_rcvbuf_dropped,relay_dropped,relay_duplicated,link_dropped,
 * link_rate_dropped,rcvbuf_dropped,snmp_rcvbuf_errors,truncated,received,
 * unread,duplicates,reordered,unaccounted} (udp_accounting).
 */
struct rpt_metric {
	char *name;
	double value;
	bool is_null;
};

/* One app call or wire segment of a timeline: at t_us, stream bytes [lo, hi). */
struct rpt_span {
	double t_us, lo, hi;
};

enum { RPT_TL_SENDS, RPT_TL_SEGMENTS, RPT_TL_RECVS, RPT_TL_LANES };

/*
 * The client-to-server byte stream of one captured TCP flow of a case: the
 * client's sends, the wire segments (payload only), the server's recvs,
 * each in time order, at most RPT_TL_MAX per lane. Times in µs from the
 * flow's first event, offsets from the stream's first byte.
 */
#define RPT_TL_MAX 400
struct rpt_timeline {
	int64_t flow_idx;           /* flows.idx within the case */
	struct rpt_span *lane[RPT_TL_LANES];
	size_t n[RPT_TL_LANES];
	bool truncated;             /* a lane had more than RPT_TL_MAX events */
};

struct rpt_case {
	int64_t id;
	int64_t index;              /* cases.idx, 0-based matrix position */
	char *status;
	char *error;                /* NULL unless the store has one */
	char *capture_status;       /* cases.capture_status: NULL (not asked), ok, unavailable, error */
	char *capture_error;        /* cases.capture_error, or NULL */
	struct rpt_param *params;   /* in the stored (loader's) order */
	size_t nparams;
	struct rpt_metric *metrics; /* sorted by name */
	size_t nmetrics;
	struct rpt_timeline *timeline;  /* NULL unless a flow has app events */
};

/* One run and its cases, in case order. Strings the store has as NULL are NULL. */
struct rpt_run {
	int64_t id;
	char *name, *status, *started, *ended;
	char *scenario_path, *scenario_sha256;
	char *host, *kernel, *cpu_model, *version, *git;
	int64_t cpus;               /* -1 when NULL */
	char **varying;             /* runs.varying_keys, in matrix order */
	size_t nvarying;
	struct rpt_case *cases;
	size_t ncases;
	char **param_keys;          /* every param key of any case, first-seen order */
	size_t nparam_keys;
	char **metric_names;        /* every metric name of any case, sorted */
	size_t nmetric_names;
};

/*
 * Load run `run` ("last", or a decimal id) of the store at path, opened
 * read-only (never created, never migrated). 0, or a negative errno with a
 * one-line message in err: -ENOENT no such file / no runs / unknown id,
 * -EINVAL a bad run id, -ENOTSUP not a socklab store or one newer than this
 * build, -EIO and friends from SQLite, -ENOMEM.
 */
int rpt_load(const char *path, const char *run, struct rpt_run **out, char *err, size_t errlen);
void rpt_free(struct rpt_run *r);

/* The case's metric called name, or NULL when absent or NULL in the store. */
const double *rpt_metric(const struct rpt_case *c, const char *name);
/* The case's parameter key, or NULL. */
const char *rpt_param(const struct rpt_case *c, const char *key);

/* ---- the case table of text and md (reports/table.c) ---- */

enum rpt_better {
	RPT_PARAM,                  /* a parameter column: no best value */
	RPT_HIGHER,                 /* best is the highest (throughput) */
	RPT_LOWER,                  /* best is the lowest (latency, errors, cpu, memory) */
	RPT_TEXT,                   /* status */
	RPT_NUMBER,                 /* a count with no best value (capture, UDP accounting) */
};

/* The column holds numbers (right-aligned). */
static inline bool rpt_col_numeric(enum rpt_better b)
{
	return b == RPT_HIGHER || b == RPT_LOWER || b == RPT_NUMBER;
}

/* A status cell that reads ok: "ok", or "ok [2]" (ok, with a note about its capture). */
static inline bool rpt_status_ok(const char *cell)
{
	return cell[0] == 'o' && cell[1] == 'k' && (cell[2] == '\0' || cell[2] == ' ');
}

/* Which part of the case table a column belongs to (HTML shows each part as its own table). */
enum rpt_part {
	RPT_PART_MAIN,              /* parameters, performance, status */
	RPT_PART_TCP,               /* the captured client-to-server TCP streams (flow_align) */
	RPT_PART_UDP,               /* the UDP accounting */
};

struct rpt_col {
	char *label;
	enum rpt_better better;     /* RPT_HIGHER/LOWER columns are numbers, right-aligned */
	enum rpt_part part;
};

/* Cells are rows x cols, row-major; "-" for not measured / not set. */
struct rpt_table {
	struct rpt_col *cols;
	size_t ncols, nrows;
	size_t nparam_cols;         /* the first nparam_cols columns are parameters */
	char **cells;
	bool *best;                 /* the cell holds its column's best value */
	size_t *row_case;           /* row -> index into run->cases */
	bool *group_start;          /* the row starts a new group (never row 0) */
	bool best_unstarred;        /* text: best cells coloured only, no '*' (their text marks them) */
	bool *worse;                /* NULL, or: the cell holds a significant change for the worse */
	size_t *note;               /* NULL, or row -> its note's number (1, 2, ...; 0: none) */
	size_t nnotes;
};

/*
 * The order in which rows are sorted and parameter columns laid out: the
 * varying keys that have a single value in this run first, then those
 * whose values are all numbers (outer, in matrix order), then the others
 * (e.g. the model, in matrix order), then "repeat" when the cases have it.
 * Writes at most cap keys (pointers into r) to keys and returns their
 * number; *inner is the index of the innermost key that has two values or
 * more (the one compared within a group), or the count when there is none.
 */
size_t rpt_sort_keys(const struct rpt_run *r, const char **keys, size_t cap, size_t *inner);

/*
 * Rows in rpt_sort_keys order: numeric keys by value, other keys in the
 * order their values first appear in the matrix, ties in case order. A new
 * group starts where a key outside the innermost one changes, so that each
 * group compares the innermost key (e.g. the models) under the same outer
 * conditions (e.g. the client count). Columns: the sort keys (labelled by
 * the key's last dotted part, or the whole key when two share it), then
 * throughput_rps, p50_us, p99_us, p999_us, errors, loss_pct (when any case
 * has it), server_cpu_s, server_maxrss_kb; when any case has flow_align
 * rows sends, segments, recvs, sticky, half (client to server); when any
 * has udp_accounting rows sent, refused, wire, relay_drop, rcvbuf_drop,
 * truncated, received, unaccounted; then status. In each throughput,
 * latency, error, CPU and memory column the best value of each group is
 * marked on every row of the group that has it, among the ranked cases
 * (rpt_case_ranked) only, unless fewer than two of them have a value or
 * all their values are equal. A row that needs a note (rpt_case_note) has
 * its number cited in the status cell ("error [1]"), numbered in table
 * order (t->note, t->nnotes).
 */
int rpt_table_build(const struct rpt_run *r, struct rpt_table *t);
/* The case competes for best marks: its status is ok or failed (thresholds). */
bool rpt_case_ranked(const struct rpt_case *c);
/*
 * Whether the case needs a note: its status is not ok, or its capture was
 * asked for and is not ok. With f, writes the note (one line, no number,
 * no newline, raw text: the caller escapes): "case 7: interrupted before
 * it finished: its numbers are partial", the error text, the capture's.
 */
bool rpt_case_note(const struct rpt_case *c, FILE *f);
/* Each note of table t in number order: line(f, n, text), text raw (the
 * callback escapes it for its format). 0 or -ENOMEM. */
int rpt_table_notes(const struct rpt_run *r, const struct rpt_table *t, FILE *f,
		    void (*line)(FILE *f, size_t n, const char *text));
void rpt_table_free(struct rpt_table *t);

/*
 * A number for reading: decimals (0-7) places, or "%.6g" from 1e15 on so
 * that a huge value stays a short cell; sign: always a sign (a difference);
 * non-finite: "-".
 */
void rpt_fmt(char *buf, size_t len, double v, int decimals, bool sign);

/* A header line naming the run, shared by text and md (no newline). */
int rpt_run_title(const struct rpt_run *r, char *buf, size_t len);

/*
 * Lay out any table (the case table, the comparison table): text aligned
 * for a terminal (returns 1 when a cell was marked best, 0, or -errno), and
 * a GitHub Markdown table. rpt_md_cell writes one cell's text escaped.
 */
int rpt_table_text(const struct rpt_table *t, FILE *f, bool colour);
int rpt_table_md(const struct rpt_table *t, FILE *f);
void rpt_md_cell(FILE *f, const char *s);
/* Text for a terminal: control characters (C0, DEL) written as '?'. */
void rpt_text_cell(FILE *f, const char *s);
/* One CSV field (RFC 4180): quoted when it holds , " CR or LF, quotes doubled; NULL writes nothing. */
void rpt_csv_field(FILE *f, const char *s);

/* ---- comparing runs (reports/compare.c) ---- */

/* The values of one metric over a case's repeats in one run: n = 0 when none.
 * sig and p compare it with the baseline run (the first): RPT_SIG_UNKNOWN
 * and NAN for the baseline itself. */
struct rpt_stat {
	double median, min, max;
	size_t n;
	int sig;                    /* enum rpt_sig */
	double p;                   /* two-sided Mann-Whitney p-value, NAN when not judged */
};

/*
 * A significant change: an exact two-sided Mann-Whitney (rank-sum) test of
 * the two runs' repeats gives p <= RPT_SIG_CHANCE. It assumes nothing about
 * the distribution (latency percentiles are anything but normal), and one
 * odd repeat cannot hide a shift the others agree on, as it could with
 * "ranges apart". The smallest p that na and nb repeats can give is
 * 2 / C(na + nb, na) (all of one run beyond all of the other): 3 and 3
 * repeats give 0.10, so fewer than that (or a run with fewer than 2 values)
 * give no verdict.
 */
#define RPT_SIG_CHANCE 0.10
enum rpt_sig {
	RPT_SIG_UNKNOWN,            /* fewer than 2 values in a run, or too few to tell */
	RPT_SIG_NOISE,              /* p > RPT_SIG_CHANCE: within the runs' own noise */
	RPT_SIG_YES,                /* p <= RPT_SIG_CHANCE */
};

struct rpt_cmp_metric {
	const char *label;          /* e.g. "throughput_rps" */
	const char *name, *plus;    /* the metric (plus a second one summed) */
	enum rpt_better better;
	int decimals;
};

/* One case (the same params, the "repeat" key aside) across the runs. */
struct rpt_cmp_case {
	const struct rpt_case *rep; /* its first case in the first run that has it */
	struct rpt_stat *stats;     /* [run * nmetrics + metric] */
	bool *present;              /* [run]: the run has the case */
};

struct rpt_compare {
	struct rpt_run *const *runs;
	size_t nruns;
	const struct rpt_cmp_metric *metrics;
	size_t nmetrics;            /* the headline metrics some case has */
	const char **keys;          /* param columns: the first run's sort keys, repeat aside,
				       then other runs' varying keys, then any other key whose
				       value differs between the lined-up cases */
	size_t nkeys;
	struct rpt_cmp_case *cases; /* in the first run's table order, then others' */
	size_t ncases;
};

/* Line up the cases of runs[0..n) (n >= 2; runs stay owned by the caller). */
int rpt_compare_build(struct rpt_run *const *runs, size_t n, struct rpt_compare *out);
void rpt_compare_free(struct rpt_compare *c);
/* The verdict of st against the baseline (st->sig, as an enum). */
enum rpt_sig rpt_compare_sig(const struct rpt_stat *st);
/* 2 / C(na + nb, na): the chance that na and nb exchangeable values form disjoint ranges. */
double rpt_disjoint_chance(size_t na, size_t nb);
/*
 * Exact two-sided Mann-Whitney p-value of samples a[0..na) and b[0..nb)
 * (ties count one half; the null distribution is the tie-free one, which
 * is conservative enough for measurements). NAN when na or nb is 0, or
 * when na * nb > RPT_MW_MAX_PAIRS (no exact table that large is needed:
 * repeats are few).
 */
#define RPT_MW_MAX_PAIRS 10000
double rpt_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);
/* The number of the baseline's cases that run k also has. */
size_t rpt_compare_matched(const struct rpt_compare *c, size_t k);
/*
 * Lines (text, each ending in "\n") for the runs that share no case with
 * the baseline, naming them and why; nothing when every run shares one.
 */
void rpt_compare_notes(const struct rpt_compare *c, FILE *f);
/* The comparison as a table: params, metric, then per run value (and diff, diff% after the first). */
int rpt_compare_table(const struct rpt_compare *c, struct rpt_table *t);

int rpt_render_compare_text(const struct rpt_compare *c, FILE *f, bool colour);
int rpt_render_compare_md(const struct rpt_compare *c, FILE *f);
int rpt_render_compare_csv(const struct rpt_compare *c, FILE *f);
int rpt_render_compare_json(const struct rpt_compare *c, FILE *f);
int rpt_render_compare_html(const struct rpt_compare *c, FILE *f);

/* ---- renderers ---- */

int rpt_render_text(const struct rpt_run *r, FILE *f, bool colour);
int rpt_render_md(const struct rpt_run *r, FILE *f);
int rpt_render_csv(const struct rpt_run *r, FILE *f);
int rpt_render_json(const struct rpt_run *r, FILE *f);
int rpt_render_html(const struct rpt_run *r, FILE *f);

#endif
