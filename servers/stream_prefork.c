/*
 * servers/stream_prefork.c — N worker processes forked up front, each
 * accepting on the one shared listening socket and serving one connection
 * at a time (Apache's prefork). A worker that dies is replaced.
 */
#include "servers/model.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "net/sock.h"

static void worker(struct srv *s)
{
	struct net_addr peer;
	for (;;) {
		int fd = srv_accept(s, srv_socket(s, 0), true, false, &peer);
		if (fd == -ECANCELED)
			return;
		if (fd >= 0)
			srv_serve_stream(s, fd, &peer);
	}
}

static int spawn(struct srv *s)
{
	pid_t pid = srv_fork(s);
	if (pid == 0) {
		worker(s);
		_exit(0);
	}
	if (pid < 0) {
		int e = -errno;
		srv_count_err(s, e);
		return e;
	}
	return 0;
}

static int prefork_serve(struct srv *s)
{
	const struct srv_config *cfg = srv_cfg(s);
	unsigned n = srv_workers(s);
	int rc = 0;

	for (unsigned i = 0; i < n && rc == 0; i++)
		rc = spawn(s);
	while (rc == 0) {
		int w = net_wait(srv_stop_fd(s), POLLIN, -1, cfg->poll_interval_ms);
		if (w != 0)
			break;
		srv_reap(s);
		while (srv_children(s) < n && spawn(s) == 0)
			;
	}
	srv_wait_children(s, 2000);
	return rc;
}

const struct srv_model_ops srv_stream_prefork = {
	.name = "prefork",
	.kind = SRV_STREAM,
	.help = "N processes accept on one socket (--workers, default 4)",
	.default_workers = 4,
	.serve = prefork_serve,
};
