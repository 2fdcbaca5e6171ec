/*
 * servers/dgram_thread.c — ThreadingUDPServer: the serving thread reads
 * each datagram and hands it to a new thread, which handles and answers
 * it. Threads in flight are bounded by --max-conns (default 1024): beyond
 * that, the reader waits for one to finish instead of exhausting memory.
 */
#include "servers/model.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_INFLIGHT 1024
#define DGRAM_STACK (128 * 1024)

struct inflight {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned n;
};

struct dgram_job {
	struct srv *srv;
	int fd;
	struct inflight *fl;
	struct net_addr peer;
	size_t len;
	uint8_t data[];
};

static void *dgram_main(void *arg)
{
	struct dgram_job *j = arg;
	struct srv_conn c;
	if (srv_dgram_request(j->srv, &c, j->data, j->len, &j->peer)) {
		srv_send_dgram(j->srv, j->fd, &c);
		srv_conn_end(&c);
	}
	pthread_mutex_lock(&j->fl->lock);
	j->fl->n--;
	pthread_cond_signal(&j->fl->freed);
	pthread_mutex_unlock(&j->fl->lock);
	free(j);
	return NULL;
}

static int dgram_thread_serve(struct srv *s)
{
	const struct srv_config *cfg = srv_cfg(s);
	unsigned cap = cfg->max_conns ? cfg->max_conns : DEFAULT_INFLIGHT;
	int fd = srv_socket(s, 0);
	struct inflight fl = {.n = 0};
	uint8_t *buf = malloc(SRV_DGRAM_MAX);
	pthread_attr_t attr;

	if (!buf)
		return -ENOMEM;
	pthread_mutex_init(&fl.lock, NULL);
	pthread_cond_init(&fl.freed, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, DGRAM_STACK);

	for (;;) {
		struct net_addr peer;
		ssize_t n = srv_recv_dgram(s, fd, buf, SRV_DGRAM_MAX, &peer);
		if (n == -ECANCELED)
			break;
		if (n < 0)
			continue;
		struct dgram_job *j = malloc(sizeof(*j) + (size_t)n);
		if (!j) {
			srv_count_err(s, -ENOMEM);
			continue;
		}
		*j = (struct dgram_job){.srv = s, .fd = fd, .fl = &fl, .peer = peer, .len = (size_t)n};
		memcpy(j->data, buf, (size_t)n);
		pthread_mutex_lock(&fl.lock);
		while (fl.n >= cap)
			pthread_cond_wait(&fl.freed, &fl.lock);
		fl.n++;
		pthread_mutex_unlock(&fl.lock);
		pthread_t t;
		int e = pthread_create(&t, &attr, dgram_main, j);
		if (e) {
			srv_count_err(s, -e);
			free(j);
			pthread_mutex_lock(&fl.lock);
			fl.n--;
			pthread_mutex_unlock(&fl.lock);
		}
	}
	pthread_mutex_lock(&fl.lock);
	while (fl.n > 0)
		pthread_cond_wait(&fl.freed, &fl.lock);
	pthread_mutex_unlock(&fl.lock);
	pthread_attr_destroy(&attr);
	pthread_cond_destroy(&fl.freed);
	pthread_mutex_destroy(&fl.lock);
	free(buf);
	return 0;
}

const struct srv_model_ops srv_dgram_thread = {
	.name = "thread",
	.kind = SRV_DGRAM,
	.help = "a thread per datagram (ThreadingUDPServer)",
	.default_workers = 1,
	.serve = dgram_thread_serve,
};
