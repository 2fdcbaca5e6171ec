/*
 * servers/stream_fork.c — ForkingTCPServer: a process per connection.
 * Children are reaped as they exit (every accept and every poll interval,
 * as socketserver's service_actions does), so none stays a zombie.
 */
#include "servers/model.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "net/sock.h"

static int fork_serve(struct srv *s)
{
	const struct srv_config *cfg = srv_cfg(s);
	int lfd = srv_socket(s, 0);

	for (;;) {
		srv_reap(s);
		int w = net_wait(lfd, POLLIN, srv_stop_fd(s), cfg->poll_interval_ms);
		if (w == -ECANCELED)
			break;
		if (w <= 0)
			continue;
		struct net_addr peer;
		int fd = srv_accept(s, lfd, false, false, &peer);
		if (fd == -ECANCELED)
			break;
		if (fd == -EMFILE)   /* out of descriptors: back off, do not spin */
			net_wait(srv_stop_fd(s), POLLIN, -1, 10);
		if (fd < 0)
			continue;
		pid_t pid = srv_fork(s);
		if (pid == 0) {
			for (unsigned i = 0; i < srv_nsockets(s); i++)
				close(srv_socket(s, i));
			srv_serve_stream(s, fd, &peer);
			_exit(0);
		}
		if (pid < 0) {
			srv_count_err(s, -errno);
			srv_release(s, fd);
			continue;
		}
		/* The child counts the connection closed when it is done. */
		close(fd);
	}
	srv_wait_children(s, 2000);
	return 0;
}

const struct srv_model_ops srv_stream_fork = {
	.name = "fork",
	.kind = SRV_STREAM,
	.help = "a process per connection (ForkingTCPServer), children reaped",
	.default_workers = 1,
	.serve = fork_serve,
};
