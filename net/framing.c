/*
 * net/framing.c — length-prefix and delimiter framing.
 */
#include "net/framing.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t max_msg(const struct net_framing *f)
{
	return f->max_msg ? f->max_msg : NET_FRAMING_DEFAULT_MAX;
}

int net_framing_parse(struct net_framing *f, const char *s, char *err, size_t errlen)
{
	if (strcmp(s, "none") == 0) {
		f->kind = NET_FRAMING_NONE;
		return 0;
	}
	if (strcmp(s, "length") == 0) {
		f->kind = NET_FRAMING_LENGTH;
		return 0;
	}
	if (strcmp(s, "delim") == 0 || strcmp(s, "line") == 0) {
		f->kind = NET_FRAMING_DELIM;
		f->delim = '\n';
		return 0;
	}
	if (strncmp(s, "delim:", 6) == 0) {
		const char *d = s + 6;
		unsigned v;
		char tail;
		if (strlen(d) == 1) {
			v = (unsigned char)d[0];
		} else if (strcmp(d, "\\n") == 0) {
			v = '\n';
		} else if (strcmp(d, "\\r") == 0) {
			v = '\r';
		} else if (strcmp(d, "\\0") == 0) {
			v = 0;
		} else if (strlen(d) == 4 && isxdigit((unsigned char)d[2]) &&
			   isxdigit((unsigned char)d[3]) &&
			   sscanf(d, "0x%2x%c", &v, &tail) == 1) {
			/* v set */
		} else {
			goto bad;
		}
		f->kind = NET_FRAMING_DELIM;
		f->delim = (uint8_t)v;
		return 0;
	}
bad:
	snprintf(err, errlen, "framing '%s': expected none, length, delim or delim:C", s);
	return -EINVAL;
}

const char *net_framing_str(const struct net_framing *f, char *buf, size_t len)
{
	switch (f->kind) {
	case NET_FRAMING_NONE:
		snprintf(buf, len, "none");
		break;
	case NET_FRAMING_LENGTH:
		snprintf(buf, len, "length");
		break;
	case NET_FRAMING_DELIM:
		snprintf(buf, len, "delim:0x%02x", f->delim);
		break;
	}
	return buf;
}

size_t net_framing_overhead(const struct net_framing *f)
{
	switch (f->kind) {
	case NET_FRAMING_LENGTH:
		return NET_FRAMING_LEN_BYTES;
	case NET_FRAMING_DELIM:
		return 1;
	default:
		return 0;
	}
}

int net_framing_encode(const struct net_framing *f, struct net_buf *out,
		       const void *msg, size_t n)
{
	int rc;
	switch (f->kind) {
	case NET_FRAMING_NONE:
		return net_buf_append(out, msg, n);
	case NET_FRAMING_LENGTH: {
		if (n > UINT32_MAX)
			return -EMSGSIZE;
		uint8_t h[NET_FRAMING_LEN_BYTES] = {
			(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
		if ((rc = net_buf_append(out, h, sizeof(h))) < 0)
			return rc;
		return net_buf_append(out, msg, n);
	}
	case NET_FRAMING_DELIM:
		if (n && memchr(msg, f->delim, n))
			return -EMSGSIZE;
		if ((rc = net_buf_append(out, msg, n)) < 0)
			return rc;
		return net_buf_append(out, &f->delim, 1);
	}
	return -EINVAL;
}

void net_deframer_init(struct net_deframer *d, const struct net_framing *f)
{
	memset(d, 0, sizeof(*d));
	d->f = *f;
}

/* Drop the message returned by the previous next() call. */
static void settle(struct net_deframer *d)
{
	if (d->pending_consume) {
		net_buf_consume(&d->in, d->pending_consume);
		d->pending_consume = 0;
	}
}

int net_deframer_push(struct net_deframer *d, const void *p, size_t n)
{
	settle(d);
	return net_buf_append(&d->in, p, n);
}

int net_deframer_next(struct net_deframer *d, const uint8_t **msg, size_t *len)
{
	settle(d);
	const uint8_t *h = net_buf_head(&d->in);
	size_t have = net_buf_pending(&d->in);

	switch (d->f.kind) {
	case NET_FRAMING_NONE:
		if (have == 0)
			return 0;
		*msg = h;
		*len = have;
		d->pending_consume = have;
		return 1;
	case NET_FRAMING_LENGTH: {
		if (have < NET_FRAMING_LEN_BYTES)
			return 0;
		uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
			     (uint32_t)h[2] << 8 | (uint32_t)h[3];
		if (n > max_msg(&d->f))
			return -EMSGSIZE;
		if (have - NET_FRAMING_LEN_BYTES < n)
			return 0;
		*msg = h + NET_FRAMING_LEN_BYTES;
		*len = n;
		d->pending_consume = NET_FRAMING_LEN_BYTES + (size_t)n;
		return 1;
	}
	case NET_FRAMING_DELIM: {
		const uint8_t *end = have > d->scanned
			? memchr(h + d->scanned, d->f.delim, have - d->scanned) : NULL;
		if (!end) {
			d->scanned = have;
			return have > max_msg(&d->f) ? -EMSGSIZE : 0;
		}
		size_t n = (size_t)(end - h);
		if (n > max_msg(&d->f))
			return -EMSGSIZE;
		*msg = h;
		*len = n;
		d->pending_consume = n + 1;
		d->scanned = 0;
		return 1;
	}
	}
	return -EINVAL;
}

size_t net_deframer_buffered(const struct net_deframer *d)
{
	return net_buf_pending(&d->in) - d->pending_consume;
}

void net_deframer_free(struct net_deframer *d)
{
	net_buf_free(&d->in);
	d->scanned = d->pending_consume = 0;
}
