/*
 * util/buf.h — a growable byte buffer with a read cursor: what a connection
 * has yet to write, or has read but not yet consumed.
 */
#ifndef SOCKLAB_UTIL_BUF_H
#define SOCKLAB_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct net_buf {
	uint8_t *data;
	size_t off;   /* first unconsumed byte */
	size_t len;   /* end of valid bytes */
	size_t cap;
};

/* Append n bytes. Returns 0 or -ENOMEM. */
int net_buf_append(struct net_buf *b, const void *p, size_t n);
/* Make room for n more bytes at the end; returns a pointer to them or NULL. */
uint8_t *net_buf_reserve(struct net_buf *b, size_t n);
/* Bytes not yet consumed. */
static inline size_t net_buf_pending(const struct net_buf *b) { return b->len - b->off; }
/* NULL for a buffer that never held anything (NULL + 0 is undefined). */
static inline uint8_t *net_buf_head(const struct net_buf *b)
{
	return b->data ? b->data + b->off : NULL;
}
/* Consume n bytes from the front; resets to empty when all are consumed. */
void net_buf_consume(struct net_buf *b, size_t n);
void net_buf_reset(struct net_buf *b);
void net_buf_free(struct net_buf *b);

#endif
