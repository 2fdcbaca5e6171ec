/*
 * harness/scenario/scenario_doc.c — the key reference of docs/scenarios.md, written
 * from scn_schema[] and the servers' model and handler tables, so the
 * documentation cannot drift from what the loader accepts. The unit test
 * compares the file's generated part with this output and regenerates it
 * on request (test_scenario --write-docs docs/scenarios.md).
 */
#include "harness/scenario/scenario_int.h"
#include "servers/handler.h"
#include "servers/model.h"

#include <errno.h>
#include <string.h>

static void models(FILE *f, enum srv_kind kind)
{
	bool first = true;
	for (const struct srv_model_ops *const *m = srv_models; *m; m++) {
		if ((*m)->kind != kind)
			continue;
		fprintf(f, "%s`%s`", first ? "" : ", ", (*m)->name);
		first = false;
	}
}

static void type_text(FILE *f, const struct scn_key *k)
{
	char lo[32], hi[32];
	switch (k->type) {
	case SCN_T_INT:
		fprintf(f, "integer, %.0f to %.0f", k->min, k->max);
		break;
	case SCN_T_SIZE:
		scn_fmt_size(k->min, lo, sizeof(lo));
		scn_fmt_size(k->max, hi, sizeof(hi));
		fprintf(f, "size in bytes (`512`, `4k`, `1m`; powers of 1024), %s to %s", lo, hi);
		break;
	case SCN_T_DURATION:
		scn_fmt_duration(k->min, lo, sizeof(lo));
		scn_fmt_duration(k->max, hi, sizeof(hi));
		fprintf(f, "duration (`10s`, `200ms`, `50us`, `2m`; with a unit, a bare number only 0), "
			"%s to %s", lo, hi);
		break;
	case SCN_T_BOOL:
		fprintf(f, "boolean (`true`/`false`, also `yes`/`no`, `on`/`off`)");
		break;
	case SCN_T_FLOAT:
		fprintf(f, "number, %g to %g", k->min, k->max);
		break;
	case SCN_T_ENUM:
		fprintf(f, "one of `");
		for (const char *c = k->choices; *c; c++) {
			if (*c == '|')
				fputs("`, `", f);
			else
				fputc(*c, f);
		}
		fputc('`', f);
		break;
	case SCN_T_PATH:
		fprintf(f, "path (a relative one is taken from the scenario file's directory)");
		break;
	case SCN_T_MAP:
		fprintf(f, "mapping");
		break;
	case SCN_T_LIST:
		fprintf(f, "list of expressions `METRIC OP NUMBER`");
		break;
	default:
		fprintf(f, "text");
		break;
	}
}

static void choices_text(FILE *f, const struct scn_key *k)
{
	if (k->check == scn_check_model) {
		fprintf(f, "; stream models: ");
		models(f, SRV_STREAM);
		fprintf(f, "; datagram models: ");
		models(f, SRV_DGRAM);
	} else if (k->check == scn_check_handler) {
		fprintf(f, "; one of: ");
		for (const struct srv_handler_ops *const *h = srv_handlers; *h; h++)
			fprintf(f, "%s`%s%s`%s", h == srv_handlers ? "" : ", ", (*h)->name,
				(*h)->takes_arg ? (strcmp((*h)->name, "sleep") == 0 ? ":MS" : ":US") : "",
				(*h)->stream_only ? " (streams only)" : "");
	}
}

static void key_entry(FILE *f, const struct scn_key *k)
{
	const char *dot = strrchr(k->path, '.');
	bool matrix = strncmp(k->path, "server.", 7) == 0 || strncmp(k->path, "clients.", 8) == 0 ||
		      strncmp(k->path, "link.", 5) == 0 || strcmp(k->path, "topology") == 0 ||
		      strncmp(k->path, "relay.", 6) == 0;

	fprintf(f, "### `%s`\n\n%c%s.\n\n", k->path,
		k->doc[0] >= 'a' && k->doc[0] <= 'z' ? k->doc[0] - 'a' + 'A' : k->doc[0], k->doc + 1);
	fprintf(f, "- type: ");
	type_text(f, k);
	choices_text(f, k);
	if (matrix)
		fprintf(f, "; a list makes it a matrix dimension");
	fprintf(f, "\n- default: ");
	if (k->def && k->def[0])
		fprintf(f, "`%s`\n", k->def);
	else if (k->def)
		fprintf(f, "empty\n");
	else if (strstr(k->doc, "default"))
		fprintf(f, "see above\n");
	else
		fprintf(f, "none\n");
	if (k->flag)
		fprintf(f, "- maps to: `socklab %s`\n", k->flag);
	fprintf(f, "- example: `%s: %s`\n\n", dot ? dot + 1 : k->path, k->example);
}

int scn_schema_markdown(FILE *f)
{
	fprintf(f, "## Key reference\n\n");
	for (const struct scn_key *k = scn_schema; k->path; k++)
		key_entry(f, k);
	fprintf(f, "## Threshold metrics\n\n| metric | meaning |\n| --- | --- |\n");
	for (int m = 0; m < SCN_M_COUNT; m++)
		fprintf(f, "| `%s` | %s |\n", scn_metrics[m].name, scn_metrics[m].doc);
	fprintf(f, "\nOperators: `<` `<=` `>` `>=` `==` `!=`.\n");
	return ferror(f) ? -EIO : 0;
}
