/*
 * servers/stream_pool.c — a fixed pool of N threads fed by a bounded queue.
 * The serving thread accepts and queues; when the queue is full it stops
 * accepting (clients wait in the kernel's backlog), so a burst costs
 * neither unbounded memory nor new threads.
 */
#include "servers/model.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#define QUEUE_CAP 1024
#define POOL_STACK (256 * 1024)

struct pending {
	int fd;
	struct net_addr peer;
};

struct pool {
	struct srv *srv;
	pthread_mutex_t lock;
	pthread_cond_t nonempty, nonfull;
	struct pending q[QUEUE_CAP];
	size_t head, len;
	bool done;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->len == 0 && !p->done)
			pthread_cond_wait(&p->nonempty, &p->lock);
		if (p->len == 0) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		struct pending job = p->q[p->head];
		p->head = (p->head + 1) % QUEUE_CAP;
		p->len--;
		pthread_cond_signal(&p->nonfull);
		pthread_mutex_unlock(&p->lock);
		srv_serve_stream(p->srv, job.fd, &job.peer);
	}
}

static int pool_serve(struct srv *s)
{
	unsigned n = srv_workers(s);
	pthread_t *tids = calloc(n, sizeof(*tids));
	struct pool *p = calloc(1, sizeof(*p));
	unsigned started = 0;
	int rc = 0;

	if (!tids || !p) {
		free(tids);
		free(p);
		return -ENOMEM;
	}
	p->srv = s;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->nonempty, NULL);
	pthread_cond_init(&p->nonfull, NULL);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, POOL_STACK);
	for (; started < n; started++) {
		int e = pthread_create(&tids[started], &attr, pool_worker, p);
		if (e != 0) {
			rc = -e;
			break;
		}
	}
	pthread_attr_destroy(&attr);

	while (rc == 0) {
		struct pending job;
		job.fd = srv_accept(s, srv_socket(s, 0), true, false, &job.peer);
		if (job.fd == -ECANCELED)
			break;
		if (job.fd < 0)
			continue;
		pthread_mutex_lock(&p->lock);
		/* Queue full: every worker is busy and 1024 wait. Hold this
		 * one until a slot frees; the workers watch the shutdown
		 * broadcast, so this cannot wait forever. */
		while (p->len == QUEUE_CAP)
			pthread_cond_wait(&p->nonfull, &p->lock);
		p->q[(p->head + p->len) % QUEUE_CAP] = job;
		p->len++;
		pthread_cond_signal(&p->nonempty);
		pthread_mutex_unlock(&p->lock);
	}

	/* Connections still queued at shutdown are served (they see the
	 * broadcast at once and close), then the workers leave. */
	pthread_mutex_lock(&p->lock);
	p->done = true;
	pthread_cond_broadcast(&p->nonempty);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);

	pthread_cond_destroy(&p->nonfull);
	pthread_cond_destroy(&p->nonempty);
	pthread_mutex_destroy(&p->lock);
	free(p);
	free(tids);
	return rc;
}

const struct srv_model_ops srv_stream_pool = {
	.name = "pool",
	.kind = SRV_STREAM,
	.help = "a fixed pool of threads fed by a queue (--workers, default 8)",
	.default_workers = 8,
	.serve = pool_serve,
};
