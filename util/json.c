/*
 * util/json.c — JSON string escaping.
 */
#include "util/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The escape for byte c into esc (no NUL); its length, 0 if c needs none. */
static size_t escape(unsigned char c, char esc[6])
{
	static const char hex[] = "0123456789abcdef";
	char short_form = 0;
	switch (c) {
	case '"': short_form = '"'; break;
	case '\\': short_form = '\\'; break;
	case '\b': short_form = 'b'; break;
	case '\f': short_form = 'f'; break;
	case '\n': short_form = 'n'; break;
	case '\r': short_form = 'r'; break;
	case '\t': short_form = 't'; break;
	default:
		if (c >= 0x20)
			return 0;
		memcpy(esc, "\\u00", 4);
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		return 6;
	}
	esc[0] = '\\';
	esc[1] = short_form;
	return 2;
}

int net_json_string(struct net_buf *b, const char *s)
{
	int rc = net_buf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
		char esc[6];
		size_t n = escape(*p, esc);
		rc = n ? net_buf_append(b, esc, n) : net_buf_append(b, p, 1);
	}
	if (rc == 0)
		rc = net_buf_append(b, "\"", 1);
	return rc;
}

void net_json_fputs(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[6];
		size_t n = escape(*p, esc);
		if (n)
			fwrite(esc, 1, n, f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void net_num_shortest(char *buf, size_t len, double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

void net_json_number(FILE *f, double v)
{
	char buf[40];
	if (!isfinite(v)) {
		fputs("null", f);
		return;
	}
	net_num_shortest(buf, sizeof(buf), v);
	fputs(buf, f);
}
