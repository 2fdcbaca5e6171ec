/*
 * servers/stream_iterative.c — socketserver's TCPServer: one connection at a
 * time, in the serving thread. The second client waits in the backlog until
 * the first is done.
 */
#include "servers/model.h"

#include <errno.h>

static int iterative_serve(struct srv *s)
{
	struct net_addr peer;
	for (;;) {
		int fd = srv_accept(s, srv_socket(s, 0), true, false, &peer);
		if (fd == -ECANCELED)
			return 0;
		if (fd < 0)
			continue;
		srv_serve_stream(s, fd, &peer);
	}
}

const struct srv_model_ops srv_stream_iterative = {
	.name = "iterative",
	.kind = SRV_STREAM,
	.help = "one connection at a time (TCPServer)",
	.default_workers = 1,
	.serve = iterative_serve,
};
