/*
 * util/units.h — the one grammar for quantities with units, shared by every
 * flag and every scenario key, so that "200ms" or "4k" means the same
 * wherever it is written.
 *
 *   sizes       512, 512b, 4k, 4kb, 4kib, 1m, 1mb, 1mib, 2g, 2gb, 2gib:
 *               powers of 1024; a bare number is bytes.
 *   durations   750ns, 50us, 200ms, 10s, 2m, 1h; a bare number is refused
 *               (seconds or milliseconds? say which), except 0.
 *   bit rates   800kbit, 10mbit, 1gbit, 1500bit (SI: powers of 1000, as tc
 *               counts); bps, kbps, mbps, gbps and bit/s, kbit/s, mbit/s,
 *               gbit/s are the same units. Unlike tc, "bps" is bits, never
 *               bytes. A bare number is refused, except 0.
 *
 * Numbers are decimal digits with an optional fraction ("1.5k", "0.5s"),
 * rounded to the nearest byte, nanosecond or bit/s; units are matched
 * case-insensitively. No sign, no blanks, no exponent, no hex.
 *
 * Every function returns 0, or -EINVAL (malformed) or -ERANGE (a number
 * beyond 64 bits) with a one-line reason in err (which quotes the value but
 * not the flag or key: the caller adds that). On error *out is left alone.
 * Nothing prints.
 */
#ifndef SOCKLAB_UTIL_UNITS_H
#define SOCKLAB_UTIL_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define UNIT_NS_PER_SEC 1000000000ull

int unit_size(const char *s, uint64_t *out, char *err, size_t errlen);
int unit_duration_ns(const char *s, uint64_t *out, char *err, size_t errlen);
int unit_bitrate(const char *s, uint64_t *bps, char *err, size_t errlen);
/* A whole number min..max, digits only. */
int unit_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	      char *err, size_t errlen);

/* The same, for a quantity at the start of a compound value ("20ms+-5ms",
 * "300ms@1k"): the unit runs up to the first character that is not a
 * letter or '/', and *end is set just past it. */
int unit_duration_ns_prefix(const char *s, const char **end, uint64_t *out,
			    char *err, size_t errlen);
int unit_size_prefix(const char *s, const char **end, uint64_t *out,
		     char *err, size_t errlen);

/* Shortest exact spelling: 1536 -> "1536", 4096 -> "4k", 2^20 -> "1m". */
void unit_fmt_size(uint64_t bytes, char *buf, size_t len);
/* 0 -> "0s", 1500000 -> "1.5ms", 2e9 -> "2s". */
void unit_fmt_duration(uint64_t ns, char *buf, size_t len);

#endif
