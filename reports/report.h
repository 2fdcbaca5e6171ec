/*
 * reports/report.h — `socklab report`: one run of the store loaded into
 * memory (reports/model.c, the only file here that speaks SQL), the case
 * table that the text and Markdown renderers share (reports/table.c), and
 * one renderer per output format (render_text.c, render_md.c,
 * render_csv.c, render_json.c). Renderers take the loaded model and a
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

/* One row of the metrics table; is_null: the store has NULL (not a number). */
struct rpt_metric {
	char *name;
	double value;
	bool is_null;
};

struct rpt_case {
	int64_t id;
	int64_t index;              /* cases.idx, 0-based matrix position */
	char *status;
	char *error;                /* NULL unless the store has one */
	struct rpt_param *params;   /* in the stored (loader's) order */
	size_t nparams;
	struct rpt_metric *metrics; /* sorted by name */
	size_t nmetrics;
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

/* A number as the shortest "%.{15,16,17}g" text that reads back exactly. */
void rpt_num(char *buf, size_t len, double v);

/* ---- the case table of text and md (reports/table.c) ---- */

enum rpt_better {
	RPT_PARAM,                  /* a parameter column: no best value */
	RPT_HIGHER,                 /* best is the highest (throughput) */
	RPT_LOWER,                  /* best is the lowest (latency, errors, cpu, memory) */
	RPT_TEXT,                   /* status */
};

struct rpt_col {
	char *label;
	enum rpt_better better;     /* RPT_HIGHER/LOWER columns are numbers, right-aligned */
};

/* Cells are rows x cols, row-major; "-" for not measured / not set. */
struct rpt_table {
	struct rpt_col *cols;
	size_t ncols, nrows;
	char **cells;
	bool *best;                 /* the cell holds its column's best value */
};

/*
 * The varying parameters (labelled by the key's last dotted part, or the
 * whole key when two share it), then throughput_rps, p50_us, p99_us,
 * p999_us, errors, loss_pct (when any case has it), server_cpu_s,
 * server_maxrss_kb, status. In each metric column the best value is marked
 * on every row that has it, unless fewer than two rows have a value or all
 * values are equal.
 */
int rpt_table_build(const struct rpt_run *r, struct rpt_table *t);
void rpt_table_free(struct rpt_table *t);

/* A header line naming the run, shared by text and md (no newline). */
int rpt_run_title(const struct rpt_run *r, char *buf, size_t len);

/* ---- renderers ---- */

int rpt_render_text(const struct rpt_run *r, FILE *f, bool colour);
int rpt_render_md(const struct rpt_run *r, FILE *f);
int rpt_render_csv(const struct rpt_run *r, FILE *f);
int rpt_render_json(const struct rpt_run *r, FILE *f);

#endif
