/*
 * tests/fuzz/fuzz_flags.c — libFuzzer target over the one flag parser
 * (harness/cli/cli_flags.c), the load verb's table and its setters, and
 * the unit grammar (util/units.h) behind them. The input is split on NUL
 * bytes into an argv after "load". Whatever the bytes, parsing returns 0 or
 * -EINVAL with a reason, never reads out of bounds, and prints nothing; a
 * value the grammar accepts formats back into text the grammar accepts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clients/engine.h"
#include "harness/cli/cli.h"
#include "util/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 32

static void check_units(const char *s)
{
	char err[256], buf[64];
	uint64_t v, w;
	err[0] = '\0';
	if (unit_size(s, &v, err, sizeof(err)) == 0) {
		unit_fmt_size(v, buf, sizeof(buf));
		if (unit_size(buf, &w, err, sizeof(err)) != 0)
			abort();   /* what we print, we must read */
	} else if (!err[0]) {
		abort();       /* a refusal says why */
	}
	err[0] = '\0';
	if (unit_duration_ns(s, &v, err, sizeof(err)) == 0) {
		unit_fmt_duration(v, buf, sizeof(buf));
		if (unit_duration_ns(buf, &w, err, sizeof(err)) != 0)
			abort();
	} else if (!err[0]) {
		abort();
	}
	err[0] = '\0';
	if (unit_bitrate(s, &v, err, sizeof(err)) != 0 && !err[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = "load";
	for (char *p = copy; p <= copy + size && argc <= MAX_ARGS; p += strlen(p) + 1) {
		argv[argc++] = p;
		check_units(p);
	}
	argv[argc] = NULL;

	struct ld_config cfg;
	char err[512];
	err[0] = '\0';
	int rc = cmd_load_config(argc, argv, &cfg, err, sizeof(err));
	if (rc != 0 && (rc != -EINVAL || !err[0]))
		abort();
	free(copy);
	return 0;
}
