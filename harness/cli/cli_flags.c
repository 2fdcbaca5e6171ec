/*
 * harness/cli/cli_flags.c — the one flag parser: every verb hands it a
 * const table of flags (harness/cli/cli.h) and a context struct, and it
 * reads argv into that struct through the rows' typed setters, the way
 * getopt_long would (permuted arguments, --name=value, -xVALUE, unique
 * prefixes, "--"). It also prints --help from the same table. Nothing here
 * prints unless asked to (cli_help, cli_args): errors come back in err.
 */
#include "harness/cli/cli.h"
#include "util/units.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define HELP_COL_MAX 24

static const struct cli_flag help_row = {
	"help", 'h', NULL, NULL, 0, 0, 0, "this text", NULL,
};

static bool is_end(const struct cli_flag *f)
{
	return !f->name && !f->group;
}

static const char *verb_name(const struct cli_spec *spec)
{
	return spec->verb ? spec->verb : "";
}

/* The row of --name (or of a unique prefix of it); NULL with err set. */
static const struct cli_flag *find_long(const struct cli_spec *spec, const char *name,
					size_t n, char *err, size_t errlen)
{
	const struct cli_flag *hit = NULL;
	unsigned prefixes = 0;
	if (strncmp("help", name, n) == 0 && n == 4)
		return &help_row;
	for (const struct cli_flag *f = spec->flags; !is_end(f); f++) {
		if (!f->name || strncmp(f->name, name, n) != 0)
			continue;
		if (strlen(f->name) == n)
			return f;
		hit = f;
		prefixes++;
	}
	if (n > 0 && strncmp("help", name, n) == 0)
		hit = &help_row, prefixes++;
	if (prefixes == 1)
		return hit;
	snprintf(err, errlen, "--%.*s: %s (see 'socklab %s%s--help')", (int)n, name,
		 prefixes ? "ambiguous flag" : "unknown flag", verb_name(spec),
		 spec->verb ? " " : "");
	return NULL;
}

static const struct cli_flag *find_short(const struct cli_spec *spec, char c)
{
	if (c == 'h')
		return &help_row;
	for (const struct cli_flag *f = spec->flags; !is_end(f); f++)
		if (f->name && f->letter == c)
			return f;
	return NULL;
}

/* Run the row's setter; 1 for --help. */
static int apply(const struct cli_flag *f, void *ctx, const char *val, char *err, size_t errlen)
{
	char why[256] = "";
	if (f == &help_row)
		return 1;
	if (f->set(f, ctx, val, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "--%s: %s", f->name, why);
	return -EINVAL;
}

/* argv[*i] is "--name" or "--name=value"; a value may take argv[*i + 1]. */
static int long_flag(const struct cli_spec *spec, int argc, char **argv, int *i, void *ctx,
		     char *err, size_t errlen)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t n = eq ? (size_t)(eq - name) : strlen(name);
	const struct cli_flag *f = find_long(spec, name, n, err, errlen);
	if (!f)
		return -EINVAL;
	if (!f->arg && eq) {
		snprintf(err, errlen, "--%s: takes no value", f->name);
		return -EINVAL;
	}
	const char *val = eq ? eq + 1 : NULL;
	if (f->arg && !val) {
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "--%s: needs a value (%s)", f->name, f->arg);
			return -EINVAL;
		}
		val = argv[++*i];
	}
	return apply(f, ctx, val, err, errlen);
}

/* argv[*i] is "-x", "-xy" (flags without values) or "-xVALUE". */
static int short_flags(const struct cli_spec *spec, int argc, char **argv, int *i, void *ctx,
		       char *err, size_t errlen)
{
	for (const char *p = argv[*i] + 1; *p; p++) {
		const struct cli_flag *f = find_short(spec, *p);
		if (!f) {
			snprintf(err, errlen, "-%c: unknown flag (see 'socklab %s%s--help')", *p,
				 verb_name(spec), spec->verb ? " " : "");
			return -EINVAL;
		}
		if (!f->arg) {
			int rc = apply(f, ctx, NULL, err, errlen);
			if (rc != 0)
				return rc;
			continue;
		}
		const char *val = p[1] ? p + 1 : *i + 1 < argc ? argv[++*i] : NULL;
		if (!val) {
			snprintf(err, errlen, "--%s: needs a value (%s)", f->name, f->arg);
			return -EINVAL;
		}
		return apply(f, ctx, val, err, errlen);
	}
	return 0;
}

static int positional(const struct cli_spec *spec, unsigned *n, const char *arg, void *ctx,
		      char *err, size_t errlen)
{
	if (*n >= spec->max_args) {
		snprintf(err, errlen, "unexpected argument '%s' (see 'socklab %s%s--help')", arg,
			 verb_name(spec), spec->verb ? " " : "");
		return -EINVAL;
	}
	((const char **)((char *)ctx + spec->args_off))[(*n)++] = arg;
	return 0;
}

int cli_parse(const struct cli_spec *spec, int argc, char **argv, void *ctx,
	      char *err, size_t errlen)
{
	unsigned nargs = 0;
	bool flags_done = false;
	int rc = 0;

	for (int i = 1; i < argc && rc == 0; i++) {
		const char *a = argv[i];
		if (flags_done || a[0] != '-' || a[1] == '\0')
			rc = positional(spec, &nargs, a, ctx, err, errlen);
		else if (strcmp(a, "--") == 0)
			flags_done = true;
		else if (a[1] == '-')
			rc = long_flag(spec, argc, argv, &i, ctx, err, errlen);
		else
			rc = short_flags(spec, argc, argv, &i, ctx, err, errlen);
	}
	if (rc != 0)
		return rc;
	if (nargs < spec->min_args) {
		snprintf(err, errlen, "%s", spec->args_missing ? spec->args_missing
			 : "missing argument");
		return -EINVAL;
	}
	return spec->finish ? spec->finish(ctx, err, errlen) : 0;
}

bool cli_args(const struct cli_spec *spec, int argc, char **argv, void *ctx, int *status)
{
	char err[512];
	int rc = cli_parse(spec, argc, argv, ctx, err, sizeof(err));
	if (rc == 0)
		return true;
	if (rc > 0) {
		cli_help(spec, stdout);
		*status = CLI_OK;
	} else {
		*status = cli_fail(spec->verb, "%s", err);
	}
	return false;
}

int cli_fail(const char *verb, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "socklab%s%s: ", verb ? " " : "", verb ? verb : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_USAGE;
}

/* ---- --help ---- */

/* "  -o, --output FILE" or "      --db FILE" into buf; its length. */
static int flag_label(const struct cli_flag *f, bool letters, char *buf, size_t len)
{
	char lead[8] = "";
	if (f->letter)
		snprintf(lead, sizeof(lead), "-%c, ", f->letter);
	else if (letters)
		snprintf(lead, sizeof(lead), "    ");
	return snprintf(buf, len, "  %s--%s%s%s", lead, f->name, f->arg ? " " : "",
			f->arg ? f->arg : "");
}

static void help_row_print(const struct cli_flag *f, bool letters, int col, FILE *out)
{
	char label[96];
	int n = flag_label(f, letters, label, sizeof(label));
	fputs(label, out);
	if (n > col) {
		fputc('\n', out);
		n = 0;
	}
	fprintf(out, "%*s  ", col - n, "");
	for (const char *h = f->help; *h; h++) {
		fputc(*h, out);
		if (*h == '\n' && h[1])
			fprintf(out, "%*s  ", col, "");
	}
	fputc('\n', out);
}

void cli_help(const struct cli_spec *spec, FILE *out)
{
	bool letters = false;
	int col = 0;
	char label[96];

	for (const struct cli_flag *f = spec->flags; !is_end(f); f++)
		letters |= f->name && f->letter;
	for (const struct cli_flag *f = spec->flags;; f++) {
		const struct cli_flag *row = is_end(f) ? &help_row : f;
		int n = row->name ? flag_label(row, letters, label, sizeof(label)) : 0;
		if (n > col && n <= HELP_COL_MAX)
			col = n;
		if (row == &help_row)
			break;
	}
	fprintf(out, "usage: socklab %s%s%s\n\n%s\n\n", verb_name(spec), spec->verb ? " " : "",
		spec->usage, spec->summary);
	for (const struct cli_flag *f = spec->flags; !is_end(f); f++) {
		if (f->name)
			help_row_print(f, letters, col, out);
		else
			fprintf(out, "\n%s\n", f->group);
	}
	help_row_print(&help_row, letters, col, out);
	if (spec->notes)
		fprintf(out, "\n%s", spec->notes);
	if (spec->more_help)
		spec->more_help(out);
}

/* ---- the stock setters ---- */

#define FIELD(type) ((type *)((char *)ctx + f->off))

int cli_set_true(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	*FIELD(bool) = true;
	return 0;
}

int cli_set_false(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	*FIELD(bool) = false;
	return 0;
}

int cli_set_str(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	*FIELD(const char *) = arg;
	return 0;
}

int cli_set_u64(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen)
{
	return unit_uint(arg, f->min, f->max, FIELD(uint64_t), err, errlen);
}

int cli_set_unsigned(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen)
{
	uint64_t v;
	if (unit_uint(arg, f->min, f->max, &v, err, errlen) < 0)
		return -EINVAL;
	*FIELD(unsigned) = (unsigned)v;
	return 0;
}

int cli_set_int(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	if (unit_uint(arg, f->min, f->max, &v, err, errlen) < 0)
		return -EINVAL;
	*FIELD(int) = (int)v;
	return 0;
}

/* A size within the row's bounds, for the setters below. */
static int size_in(const struct cli_flag *f, const char *arg, uint64_t *v, char *err,
		   size_t errlen)
{
	char lo[24], hi[24];
	if (unit_size(arg, v, err, errlen) < 0)
		return -EINVAL;
	if (*v >= f->min && *v <= f->max)
		return 0;
	unit_fmt_size(f->min, lo, sizeof(lo));
	unit_fmt_size(f->max, hi, sizeof(hi));
	if (f->max == UINT64_MAX)
		snprintf(err, errlen, "at least %s", lo);
	else
		snprintf(err, errlen, "must be %s%s to %s", lo, f->min == 1 ? " byte" : "", hi);
	return -EINVAL;
}

int cli_set_size(const struct cli_flag *f, void *ctx, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	if (size_in(f, arg, &v, err, errlen) < 0)
		return -EINVAL;
	*FIELD(size_t) = (size_t)v;
	return 0;
}

int cli_set_size_int(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen)
{
	uint64_t v;
	if (size_in(f, arg, &v, err, errlen) < 0)
		return -EINVAL;
	*FIELD(int) = (int)v;
	return 0;
}

int cli_set_size_u64(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen)
{
	uint64_t v;
	if (size_in(f, arg, &v, err, errlen) < 0)
		return -EINVAL;
	*FIELD(uint64_t) = v;
	return 0;
}

int cli_set_duration_ns(const struct cli_flag *f, void *ctx, const char *arg, char *err,
			size_t errlen)
{
	char lo[24], hi[24];
	uint64_t v;
	if (unit_duration_ns(arg, &v, err, errlen) < 0)
		return -EINVAL;
	if (v < f->min || v > f->max) {
		unit_fmt_duration(f->min, lo, sizeof(lo));
		unit_fmt_duration(f->max, hi, sizeof(hi));
		if (f->max == UINT64_MAX)
			snprintf(err, errlen, "at least %s", lo);
		else
			snprintf(err, errlen, "must be %s to %s", f->min ? lo : "0", hi);
		return -EINVAL;
	}
	*FIELD(uint64_t) = v;
	return 0;
}
