/*
 * servers/dgram_fork.c — ForkingUDPServer: a process per datagram. The
 * child answers on the inherited socket and exits; the parent reaps.
 * Processes in flight are bounded by --max-conns (default 64): beyond
 * that the parent waits for one to exit before reading on. While idle the
 * parent wakes every poll interval to reap, so the last child does not stay
 * a zombie until the next datagram.
 */
#include "servers/model.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/clock.h"
#include "net/sock.h"

#define DEFAULT_INFLIGHT 64

static int dgram_fork_serve(struct srv *s)
{
	const struct srv_config *cfg = srv_cfg(s);
	unsigned cap = cfg->max_conns ? cfg->max_conns : DEFAULT_INFLIGHT;
	int fd = srv_socket(s, 0);
	uint8_t *buf = malloc(SRV_DGRAM_MAX);
	if (!buf)
		return -ENOMEM;

	for (;;) {
		srv_reap(s);
		while (srv_children(s) >= cap && !srv_stopping(s)) {
			net_sleep_ns(1000000);
			srv_reap(s);
		}
		/* srv_recv_dgram() waits without a timeout: wait here first,
		 * bounded by the poll interval, so that reaping goes on. */
		int w = net_wait(fd, POLLIN, srv_stop_fd(s), cfg->poll_interval_ms);
		if (w == -ECANCELED)
			break;
		if (w == 0)
			continue;
		struct net_addr peer;
		ssize_t n = srv_recv_dgram(s, fd, buf, SRV_DGRAM_MAX, &peer);
		if (n == -ECANCELED)
			break;
		if (n < 0)
			continue;
		pid_t pid = srv_fork(s);
		if (pid == 0) {
			struct srv_conn c;
			if (srv_dgram_request(s, &c, buf, (size_t)n, &peer)) {
				srv_send_dgram(s, fd, &c);
				srv_conn_end(&c);
			}
			_exit(0);
		}
		if (pid < 0)
			srv_count_err(s, -errno);
	}
	srv_wait_children(s, 2000);
	free(buf);
	return 0;
}

const struct srv_model_ops srv_dgram_fork = {
	.name = "fork",
	.kind = SRV_DGRAM,
	.help = "a process per datagram (ForkingUDPServer), children reaped",
	.default_workers = 1,
	.serve = dgram_fork_serve,
};
