/*
 * servers/handler_source.c — stream bytes to the client until it closes
 * (a chargen-like source for throughput tests). Input is read and dropped.
 */
#include "servers/handler.h"

#include <errno.h>

#define SOURCE_DEFAULT_CHUNK 65536

static int source_setup(struct srv_conn *c)
{
	c->want_more = true;
	return 0;
}

static int source_handle(struct srv_conn *c, const uint8_t *in, size_t n)
{
	(void)c, (void)in, (void)n;
	return 0;
}

/* A repeating, recognisable pattern: bytes 'a'..'z' then '\n'. */
static int source_more(struct srv_conn *c)
{
	size_t n = c->cfg->chunk ? c->cfg->chunk : SOURCE_DEFAULT_CHUNK;
	uint8_t *dst = net_buf_reserve(&c->out, n);
	if (!dst)
		return -ENOMEM;
	/* c->state holds the stream offset, so the pattern runs on across
	 * chunks. */
	uintptr_t off = (uintptr_t)c->state;
	for (size_t i = 0; i < n; i++) {
		uintptr_t k = (off + i) % 27;
		dst[i] = k == 26 ? '\n' : (uint8_t)('a' + k);
	}
	c->state = (void *)(off + n);
	c->out.len += n;
	return 0;
}

const struct srv_handler_ops srv_handler_source = {
	.name = "source",
	.help = "stream bytes until the client closes",
	.stream_only = true,
	.setup = source_setup,
	.handle = source_handle,
	.more = source_more,
};
