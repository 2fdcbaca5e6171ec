/*
 * util/units.c — sizes, durations, bit rates and bounded whole numbers from
 * text, in integer arithmetic (no strtod: "1e3", "inf", "0x10" and blanks
 * are not numbers here), with the reason for a refusal in the caller's
 * buffer. See util/units.h for the grammar.
 */
#include "util/units.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct unit_row {
	const char *name;
	uint64_t mult;
};

/* One kind of quantity: its units, whether a bare number (other than 0)
 * is allowed, and the words of its messages. */
struct quantity {
	const struct unit_row *units;
	bool bare_ok;
	const char *what;       /* "a duration" */
	const char *example;    /* "10s, 200ms" */
	const char *unit_list;  /* "ns, us, ms, s, m, h" */
	const char *bare_units[2];  /* suggested for a bare number */
};

#define KIB 1024ull
static const struct unit_row size_units[] = {
	{"", 1}, {"b", 1},
	{"k", KIB}, {"kb", KIB}, {"kib", KIB},
	{"m", KIB * KIB}, {"mb", KIB * KIB}, {"mib", KIB * KIB},
	{"g", KIB * KIB * KIB}, {"gb", KIB * KIB * KIB}, {"gib", KIB * KIB * KIB},
	{NULL, 0},
};

static const struct unit_row duration_units[] = {
	{"ns", 1}, {"us", 1000ull}, {"ms", 1000000ull}, {"s", UNIT_NS_PER_SEC},
	{"m", 60 * UNIT_NS_PER_SEC}, {"h", 3600 * UNIT_NS_PER_SEC},
	{NULL, 0},
};

static const struct unit_row bitrate_units[] = {
	{"bit", 1}, {"kbit", 1000ull}, {"mbit", 1000000ull}, {"gbit", 1000000000ull},
	{"bps", 1}, {"kbps", 1000ull}, {"mbps", 1000000ull}, {"gbps", 1000000000ull},
	{"bit/s", 1}, {"kbit/s", 1000ull}, {"mbit/s", 1000000ull}, {"gbit/s", 1000000000ull},
	{NULL, 0},
};

static const struct quantity q_size = {
	size_units, true, "a size", "512, 4k, 1m", "b, k, kb, kib, m, mb, mib, g, gb, gib",
	{"", ""},
};
static const struct quantity q_duration = {
	duration_units, false, "a duration", "10s, 200ms", "ns, us, ms, s, m, h",
	{"s", "ms"},
};
static const struct quantity q_bitrate = {
	bitrate_units, false, "a bit rate", "800kbit, 10mbit",
	"bit, kbit, mbit, gbit, bps, kbps, mbps, gbps", {"bit", "kbit"},
};

/* Digits, optionally '.' and more digits: whole and fraction (fd digits). */
static int number(const char *s, const char **end, uint64_t *whole, uint64_t *frac,
		  unsigned *fd)
{
	const char *p = s;
	uint64_t w = 0, f = 0;
	unsigned n = 0;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++)
		if (__builtin_mul_overflow(w, 10, &w) || __builtin_add_overflow(w, *p - '0', &w))
			return -ERANGE;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return -EINVAL;
		for (p++; isdigit((unsigned char)*p); p++) {
			if (n == 18)
				return -ERANGE;
			f = f * 10 + (uint64_t)(*p - '0');
			n++;
		}
	}
	*whole = w;
	*frac = f;
	*fd = n;
	*end = p;
	return 0;
}

/* whole.frac * mult, rounded half up; -ERANGE beyond 64 bits. */
static int scale(uint64_t whole, uint64_t frac, unsigned fd, uint64_t mult, uint64_t *out)
{
	unsigned __int128 pow = 1, r;
	for (unsigned i = 0; i < fd; i++)
		pow *= 10;
	r = (unsigned __int128)whole * mult + ((unsigned __int128)frac * mult + pow / 2) / pow;
	if (r > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)r;
	return 0;
}

static int parse(const struct quantity *q, const char *s, const char **endp,
		 uint64_t *out, char *err, size_t errlen)
{
	uint64_t whole, frac, v;
	unsigned fd;
	const char *p, *u;

	int rc = number(s, &p, &whole, &frac, &fd);
	if (rc == -ERANGE)
		goto too_large;
	if (rc < 0) {
		if (*s == '-')
			snprintf(err, errlen, "'%s': must not be negative", s);
		else
			snprintf(err, errlen, "'%s' is not %s (e.g. %s)", s, q->what, q->example);
		return -EINVAL;
	}
	for (u = p; isalpha((unsigned char)*u) || *u == '/'; u++)
		;
	if (!endp && *u) {
		snprintf(err, errlen, "'%s' is not %s (e.g. %s)", s, q->what, q->example);
		return -EINVAL;
	}
	size_t ulen = (size_t)(u - p);
	if (ulen == 0 && !q->bare_ok && (whole || frac)) {
		snprintf(err, errlen, "'%.*s': give a unit, e.g. %.*s%s or %.*s%s (only 0 may be bare)",
			 (int)(p - s), s, (int)(p - s), s, q->bare_units[0], (int)(p - s), s,
			 q->bare_units[1]);
		return -EINVAL;
	}
	const struct unit_row *row = ulen == 0 && !q->bare_ok ? &q->units[0] : NULL;
	for (const struct unit_row *r = q->units; !row && r->name; r++)
		if (strlen(r->name) == ulen && strncasecmp(p, r->name, ulen) == 0)
			row = r;
	if (!row && q == &q_bitrate && ulen == 1 && strchr("kKmMgG", *p)) {
		/* "10M": mebibytes to a size, minutes to a duration. */
		snprintf(err, errlen, "'%s': say %.*s%cbit (bits/s; '%c' alone is not a rate unit)",
			 s, (int)(p - s), s, tolower((unsigned char)*p), *p);
		return -EINVAL;
	}
	if (!row) {
		snprintf(err, errlen, "'%s': unknown unit '%.*s' (%s)", s, (int)ulen, p, q->unit_list);
		return -EINVAL;
	}
	if (scale(whole, frac, fd, row->mult, &v) < 0)
		goto too_large;
	*out = v;
	if (endp)
		*endp = u;
	return 0;
too_large:
	snprintf(err, errlen, "'%s' is too large", s);
	return -ERANGE;
}

int unit_size(const char *s, uint64_t *out, char *err, size_t errlen)
{
	return parse(&q_size, s, NULL, out, err, errlen);
}

int unit_duration_ns(const char *s, uint64_t *out, char *err, size_t errlen)
{
	return parse(&q_duration, s, NULL, out, err, errlen);
}

int unit_bitrate(const char *s, uint64_t *bps, char *err, size_t errlen)
{
	return parse(&q_bitrate, s, NULL, bps, err, errlen);
}

int unit_duration_ns_prefix(const char *s, const char **end, uint64_t *out,
			    char *err, size_t errlen)
{
	return parse(&q_duration, s, end, out, err, errlen);
}

int unit_size_prefix(const char *s, const char **end, uint64_t *out,
		     char *err, size_t errlen)
{
	return parse(&q_size, s, end, out, err, errlen);
}

int unit_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	      char *err, size_t errlen)
{
	uint64_t v = 0;
	const char *p = s;
	bool ok = isdigit((unsigned char)*p);
	for (; ok && isdigit((unsigned char)*p); p++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
			ok = false;
	if (!ok || *p || v < min || v > max) {
		snprintf(err, errlen, "expected a whole number %llu-%llu, got '%s'",
			 (unsigned long long)min, (unsigned long long)max, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

void unit_fmt_size(uint64_t b, char *buf, size_t len)
{
	static const char sfx[] = "gmk";
	for (int i = 0; i < 3; i++) {
		uint64_t m = 1ull << (10 * (3 - i));
		if (b >= m && b % m == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(b / m), sfx[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)b);
}

void unit_fmt_duration(uint64_t ns, char *buf, size_t len)
{
	/* Exact, in the grammar's own spelling: whole hours or minutes when
	 * they divide it and it is 100 s or more (60s stays 60s), else the
	 * largest of s, ms, us, ns not above it with the rest as decimals
	 * (trailing zeros trimmed), never an exponent. */
	static const struct { uint64_t mult; const char *name; } u[] = {
		{3600000000000ull, "h"}, {60000000000ull, "m"}, {1000000000ull, "s"},
		{1000000ull, "ms"}, {1000ull, "us"}, {1, "ns"},
	};
	size_t i = 0;
	if (ns == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	while (i < 2 && (ns % u[i].mult != 0 || ns < 100 * u[2].mult))
		i++;
	if (i == 2)
		while (ns < u[i].mult)
			i++;
	uint64_t whole = ns / u[i].mult, rest = ns % u[i].mult;
	if (rest == 0) {
		snprintf(buf, len, "%llu%s", (unsigned long long)whole, u[i].name);
		return;
	}
	int digits = 0;
	for (uint64_t m = u[i].mult; m > 1; m /= 10)
		digits++;
	while (rest % 10 == 0) {
		rest /= 10;
		digits--;
	}
	snprintf(buf, len, "%llu.%0*llu%s", (unsigned long long)whole, digits,
		 (unsigned long long)rest, u[i].name);
}
