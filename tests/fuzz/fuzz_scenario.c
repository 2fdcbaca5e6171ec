/*
 * tests/fuzz/fuzz_scenario.c — libFuzzer target for the scenario loader:
 * any bytes go through libyaml, the schema walk, the matrix expansion and
 * the argv helpers. A load either fails with a well-formed error line or
 * yields cases whose argv can be built; nothing may crash, leak or read
 * out of bounds.
 */
#include "harness/scenario/scenario.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct scn *s)
{
	/* The first and last case are enough to walk every code path. */
	for (size_t i = 0; i < s->ncases; i += s->ncases > 1 ? s->ncases - 1 : 1) {
		const struct scn_case *c = &s->cases[i];
		char **argv = NULL;
		if (scn_case_serve_argv(s, c, "socklab", &argv) == 0)
			scn_argv_free(argv);
		if (scn_case_load_argv(s, c, NULL, s->has_server ? "127.0.0.1:1" : NULL,
				       SCN_PHASE_WARMUP, &argv) == 0)
			scn_argv_free(argv);
		free(scn_case_label(s, c));
	}
	for (size_t i = 0; i < s->nthresholds; i++)
		(void)scn_threshold_ok(&s->thresholds[i], 1.0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scn *s = NULL;
	struct scn_error err;
	int rc = scn_load_string("fuzz.yaml", (const char *)data, size, &s, &err);
	if (rc == 0) {
		exercise(s);
		scn_free(s);
	} else if (rc == -EINVAL && strncmp(err.text, "fuzz.yaml:", 10) != 0) {
		abort();   /* every scenario error names the file first */
	}
	return 0;
}
