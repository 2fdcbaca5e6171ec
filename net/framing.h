/*
 * net/framing.h — message framing on a byte stream, the one implementation
 * that both the `framed` server handler and the clients use.
 *
 *   none     no boundaries: whatever one read returned is "a message"
 *   length   a 4-byte big-endian length, then that many bytes
 *   delim    bytes up to a delimiter byte (default '\n'), delimiter excluded
 *
 * The deframer never allocates on the word of a length prefix: a prefix
 * above max_msg is refused (-EMSGSIZE) as soon as its 4 bytes are in, and a
 * delimited message is refused once max_msg bytes have come without the
 * delimiter. Memory held is bounded by max_msg plus the last read.
 */
#ifndef SOCKLAB_NET_FRAMING_H
#define SOCKLAB_NET_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define NET_FRAMING_LEN_BYTES 4
#define NET_FRAMING_DEFAULT_MAX (1u << 20)

enum net_framing_kind {
	NET_FRAMING_NONE,
	NET_FRAMING_LENGTH,
	NET_FRAMING_DELIM,
};

struct net_framing {
	enum net_framing_kind kind;
	uint8_t delim;
	size_t max_msg;   /* 0 means NET_FRAMING_DEFAULT_MAX */
};

/* "none", "length", "delim" (newline), "delim:C" for a one-character
 * delimiter, "delim:\n", "delim:0xNN". max_msg is left unchanged. */
int net_framing_parse(struct net_framing *f, const char *s, char *err, size_t errlen);
/* "none", "length", "delim:0x0a". */
const char *net_framing_str(const struct net_framing *f, char *buf, size_t len);
/* Header/trailer bytes one message costs on the wire. */
size_t net_framing_overhead(const struct net_framing *f);
/* Append msg framed to out. -EMSGSIZE if it cannot be framed (too long for
 * the length header, or contains the delimiter); -ENOMEM. */
int net_framing_encode(const struct net_framing *f, struct net_buf *out,
		       const void *msg, size_t n);

struct net_deframer {
	struct net_framing f;
	struct net_buf in;
	size_t scanned;   /* delim: bytes already searched without a delimiter */
	size_t pending_consume;
};

void net_deframer_init(struct net_deframer *d, const struct net_framing *f);
int net_deframer_push(struct net_deframer *d, const void *p, size_t n);
/*
 * The next whole message: 1 with msg and len set (valid until the next call
 * on d), 0 when more bytes are needed, -EMSGSIZE when the peer announced or
 * sent more than max_msg.
 */
int net_deframer_next(struct net_deframer *d, const uint8_t **msg, size_t *len);
/* Bytes received but not yet part of a returned message. */
size_t net_deframer_buffered(const struct net_deframer *d);
void net_deframer_free(struct net_deframer *d);

#endif
