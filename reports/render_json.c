/*
 * reports/render_json.c — the JSON report, one object whose shape is
 * documented (and kept stable) in docs/reports.md:
 * {"run": {metadata, "varying_keys": [...]}, "cases": [{"index", "status",
 * "error", "params": {key: string}, "metrics": {name: number|null}}]}.
 * Every metric of the store is there, numbers as the shortest text that
 * reads back to the stored double; NULL and non-finite values are null.
 */
#include "util/json.h"
#include "reports/format.h"
#include "reports/report.h"

#include <errno.h>
#include <math.h>

static void json_kv(FILE *f, const char *k, const char *v, bool comma)
{
	fprintf(f, "%s\n    ", comma ? "," : "");
	net_json_fputs(f, k);
	fputs(": ", f);
	net_json_fputs(f, v);
}

int rpt_render_json(const struct rpt_run *r, FILE *f)
{
	fprintf(f, "{\n  \"run\": {\n    \"id\": %lld", (long long)r->id);
	json_kv(f, "name", r->name, true);
	json_kv(f, "status", r->status, true);
	json_kv(f, "started", r->started, true);
	json_kv(f, "ended", r->ended, true);
	json_kv(f, "scenario_path", r->scenario_path, true);
	json_kv(f, "scenario_sha256", r->scenario_sha256, true);
	fputs(",\n    \"varying_keys\": [", f);
	for (size_t k = 0; k < r->nvarying; k++) {
		fputs(k ? ", " : "", f);
		net_json_fputs(f, r->varying[k]);
	}
	fputc(']', f);
	json_kv(f, "host", r->host, true);
	json_kv(f, "kernel", r->kernel, true);
	json_kv(f, "cpu_model", r->cpu_model, true);
	if (r->cpus >= 0)
		fprintf(f, ",\n    \"cpus\": %lld", (long long)r->cpus);
	else
		fputs(",\n    \"cpus\": null", f);
	json_kv(f, "version", r->version, true);
	json_kv(f, "git", r->git, true);
	fputs("\n  },\n  \"cases\": [", f);
	for (size_t i = 0; i < r->ncases; i++) {
		const struct rpt_case *c = &r->cases[i];
		fprintf(f, "%s\n    {\"index\": %lld, \"status\": ", i ? "," : "", (long long)c->index);
		net_json_fputs(f, c->status);
		fputs(", \"error\": ", f);
		net_json_fputs(f, c->error);
		fputs(", \"capture_status\": ", f);
		net_json_fputs(f, c->capture_status);
		fputs(", \"capture_error\": ", f);
		net_json_fputs(f, c->capture_error);
		fputs(",\n     \"params\": {", f);
		for (size_t k = 0; k < c->nparams; k++) {
			fputs(k ? ", " : "", f);
			net_json_fputs(f, c->params[k].key);
			fputs(": ", f);
			net_json_fputs(f, c->params[k].value);
		}
		fputs("},\n     \"metrics\": {", f);
		for (size_t m = 0; m < c->nmetrics; m++) {
			fputs(m ? ", " : "", f);
			net_json_fputs(f, c->metrics[m].name);
			fputs(": ", f);
			net_json_number(f, c->metrics[m].is_null ? NAN : c->metrics[m].value);
		}
		fputs("}}", f);
	}
	fputs(r->ncases ? "\n  ]\n}\n" : "]\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

static int json_run(const struct rpt_run *r, FILE *f, bool colour)
{
	(void)colour;
	return rpt_render_json(r, f);
}

static int json_compare(const struct rpt_compare *c, FILE *f, bool colour)
{
	(void)colour;
	return rpt_render_compare_json(c, f);
}

const struct rpt_format rpt_format_json = {
	.name = "json",
	.help = "one JSON object, every metric (shape in docs/reports.md)",
	.run = json_run,
	.compare = json_compare,
};
