/*
 * servers/dgram_reuseport.c — N threads, each with its own socket bound to
 * the same port with SO_REUSEPORT, so the kernel spreads datagrams over
 * them by flow hash. (Unix datagram sockets cannot share a path: there the
 * N threads read one socket.)
 */
#include "servers/model.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct rp_worker {
	struct srv *srv;
	int fd;
};

static void *rp_main(void *arg)
{
	struct rp_worker *w = arg;
	uint8_t *buf = malloc(SRV_DGRAM_MAX);
	if (!buf) {
		srv_count_err(w->srv, -ENOMEM);
		return NULL;
	}
	while (srv_dgram_serve_one(w->srv, w->fd, buf, SRV_DGRAM_MAX) == 0)
		;
	free(buf);
	return NULL;
}

static int reuseport_serve(struct srv *s)
{
	unsigned n = srv_workers(s);
	struct rp_worker w[SRV_MAX_WORKERS];
	pthread_t t[SRV_MAX_WORKERS];
	unsigned started = 0;
	int rc = 0;

	for (; started < n; started++) {
		w[started] = (struct rp_worker){s, srv_socket(s, started % srv_nsockets(s))};
		int e = pthread_create(&t[started], NULL, rp_main, &w[started]);
		if (e) {
			rc = -e;
			srv_shutdown(s);
			break;
		}
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	return rc;
}

const struct srv_model_ops srv_dgram_reuseport = {
	.name = "reuseport",
	.kind = SRV_DGRAM,
	.help = "N threads, a SO_REUSEPORT socket each (--workers, default: CPUs)",
	.socket_per_worker = true,
	.serve = reuseport_serve,
};
