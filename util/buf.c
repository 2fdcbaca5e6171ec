/*
 * util/buf.c — growable byte buffer.
 */
#include "util/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint8_t *net_buf_reserve(struct net_buf *b, size_t n)
{
	if (n > SIZE_MAX - b->len)
		return NULL;
	if (b->off > 0 && b->len + n > b->cap) {
		/* Slide unconsumed bytes to the front before growing. */
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	/* An empty buffer allocates even for n == 0: the result is then a
	 * real pointer, never NULL + 0 (undefined behaviour in C). */
	if (b->len + n > b->cap || !b->data) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n) {
			if (cap > SIZE_MAX / 2)
				return NULL;
			cap *= 2;
		}
		uint8_t *d = realloc(b->data, cap);
		if (!d)
			return NULL;
		b->data = d;
		b->cap = cap;
	}
	return b->data + b->len;
}

int net_buf_append(struct net_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	uint8_t *dst = net_buf_reserve(b, n);
	if (!dst)
		return -ENOMEM;
	memcpy(dst, p, n);
	b->len += n;
	return 0;
}

void net_buf_consume(struct net_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void net_buf_reset(struct net_buf *b)
{
	b->off = b->len = 0;
}

void net_buf_free(struct net_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}
