/*
 * servers/models.c — the table of concurrency models. Adding a model is
 * adding its file and a row here.
 */
#include "servers/model.h"

#include <string.h>

extern const struct srv_model_ops srv_stream_iterative, srv_stream_thread,
	srv_stream_fork, srv_stream_prefork, srv_stream_pool, srv_stream_epoll,
	srv_dgram_iterative, srv_dgram_thread, srv_dgram_fork,
	srv_dgram_reuseport, srv_dgram_batch;

const struct srv_model_ops *const srv_models[] = {
	&srv_stream_iterative,
	&srv_stream_thread,
	&srv_stream_fork,
	&srv_stream_prefork,
	&srv_stream_pool,
	&srv_stream_epoll,
	&srv_dgram_iterative,
	&srv_dgram_thread,
	&srv_dgram_fork,
	&srv_dgram_reuseport,
	&srv_dgram_batch,
	NULL,
};

const struct srv_model_ops *srv_model_find(const char *name, enum srv_kind kind)
{
	for (const struct srv_model_ops *const *m = srv_models; *m; m++)
		if ((*m)->kind == kind && strcmp((*m)->name, name) == 0)
			return *m;
	return NULL;
}
