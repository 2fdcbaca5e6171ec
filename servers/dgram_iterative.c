/*
 * servers/dgram_iterative.c — UDPServer: one datagram at a time, answered
 * before the next is read.
 */
#include "servers/model.h"

#include <errno.h>
#include <stdlib.h>

static int dgram_iterative_serve(struct srv *s)
{
	uint8_t *buf = malloc(SRV_DGRAM_MAX);
	if (!buf)
		return -ENOMEM;
	while (srv_dgram_serve_one(s, srv_socket(s, 0), buf, SRV_DGRAM_MAX) == 0)
		;
	free(buf);
	return 0;
}

const struct srv_model_ops srv_dgram_iterative = {
	.name = "iterative",
	.kind = SRV_DGRAM,
	.help = "one datagram at a time (UDPServer)",
	.default_workers = 1,
	.serve = dgram_iterative_serve,
};
