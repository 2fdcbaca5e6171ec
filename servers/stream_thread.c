/*
 * servers/stream_thread.c — ThreadingTCPServer: a thread per connection.
 * The serving thread only accepts; at shutdown it waits for every
 * connection thread, each of which sees the broadcast in its own poll.
 */
#include "servers/model.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

/* Connection threads need little stack: 16 KiB of I/O buffer and the
 * handler. Small stacks let thousands of connections fit. */
#define CONN_STACK (256 * 1024)

struct conn_job {
	struct srv *srv;
	int fd;
	struct net_addr peer;
	atomic_uint *live;
};

static void *conn_main(void *arg)
{
	struct conn_job *j = arg;
	srv_serve_stream(j->srv, j->fd, &j->peer);
	atomic_fetch_sub(j->live, 1);
	free(j);
	return NULL;
}

static int thread_serve(struct srv *s)
{
	atomic_uint live = 0;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CONN_STACK);

	for (;;) {
		struct net_addr peer;
		int fd = srv_accept(s, srv_socket(s, 0), true, false, &peer);
		if (fd == -ECANCELED)
			break;
		if (fd < 0)
			continue;
		struct conn_job *j = malloc(sizeof(*j));
		pthread_t t;
		int rc = ENOMEM;
		if (j) {
			*j = (struct conn_job){.srv = s, .fd = fd, .peer = peer, .live = &live};
			atomic_fetch_add(&live, 1);
			rc = pthread_create(&t, &attr, conn_main, j);
			if (rc != 0) {
				atomic_fetch_sub(&live, 1);
				free(j);
			}
		}
		if (rc != 0) {
			srv_count_err(s, -rc);
			srv_release(s, fd);
		}
	}
	pthread_attr_destroy(&attr);
	/* Detached threads: wait until the last one has left srv_serve_stream. */
	while (atomic_load(&live) > 0) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

const struct srv_model_ops srv_stream_thread = {
	.name = "thread",
	.kind = SRV_STREAM,
	.help = "a thread per connection (ThreadingTCPServer)",
	.default_workers = 1,
	.serve = thread_serve,
};
