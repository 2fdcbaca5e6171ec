/*
 * servers/handler.c — the handler table, `--handler` parsing, and the
 * per-connection calls the drivers make.
 */
#include "servers/handler.h"
#include "servers/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct srv_handler_ops srv_handler_echo, srv_handler_upper,
	srv_handler_discard, srv_handler_source, srv_handler_framed,
	srv_handler_file, srv_handler_sleep, srv_handler_spin;

const struct srv_handler_ops *const srv_handlers[] = {
	&srv_handler_echo,
	&srv_handler_upper,
	&srv_handler_discard,
	&srv_handler_source,
	&srv_handler_framed,
	&srv_handler_file,
	&srv_handler_sleep,
	&srv_handler_spin,
	NULL,
};

int srv_handler_parse(struct srv_handler_cfg *cfg, const char *spec,
		      char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t nl = colon ? (size_t)(colon - spec) : strlen(spec);

	for (const struct srv_handler_ops *const *h = srv_handlers; *h; h++) {
		const struct srv_handler_ops *ops = *h;
		if (strlen(ops->name) != nl || strncmp(ops->name, spec, nl) != 0)
			continue;
		if (ops->takes_arg != (colon != NULL)) {
			snprintf(err, errlen, ops->takes_arg
				 ? "handler %s needs an argument, e.g. %s:10"
				 : "handler %s takes no argument%s", ops->name,
				 ops->takes_arg ? ops->name : "");
			return -EINVAL;
		}
		if (colon) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(colon + 1, &end, 10);
			if (errno || end == colon + 1 || *end || colon[1] == '-' || v > 600000000ull) {
				snprintf(err, errlen, "handler %s: '%s' is not a whole number "
					 "(%s per request)", ops->name, colon + 1,
					 strcmp(ops->name, "sleep") == 0 ? "milliseconds" : "microseconds");
				return -EINVAL;
			}
			/* sleep:MS is milliseconds, spin:US microseconds. */
			cfg->work_ns = strcmp(ops->name, "sleep") == 0 ? v * 1000000ull : v * 1000ull;
		}
		cfg->ops = ops;
		return 0;
	}
	int n = snprintf(err, errlen, "unknown handler '%.*s' (one of:", (int)nl, spec);
	for (const struct srv_handler_ops *const *h = srv_handlers; *h && n > 0 && (size_t)n < errlen; h++)
		n += snprintf(err + n, errlen - (size_t)n, " %s%s", (*h)->name,
			      (*h)->takes_arg ? ":N" : "");
	if (n > 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, ")");
	return -EINVAL;
}

int srv_conn_begin(struct srv_conn *c, struct srv *s, const struct net_addr *peer)
{
	memset(c, 0, sizeof(*c));
	c->srv = s;
	c->cfg = &srv_cfg(s)->handler;
	c->peer = *peer;
	int rc = c->cfg->ops->setup ? c->cfg->ops->setup(c) : 0;
	if (rc < 0)
		srv_conn_end(c);   /* whatever setup allocated before failing */
	return rc;
}

int srv_conn_data(struct srv_conn *c, const uint8_t *in, size_t n)
{
	struct srv_counters *ctr = srv_ctr(c->srv);
	atomic_fetch_add_explicit(&ctr->bytes_in, n, memory_order_relaxed);
	int rc = c->cfg->ops->handle(c, in, n);
	if (rc > 0)
		atomic_fetch_add_explicit(&ctr->requests, (unsigned)rc, memory_order_relaxed);
	return rc < 0 ? rc : 0;
}

int srv_conn_more(struct srv_conn *c)
{
	if (!c->want_more || net_buf_pending(&c->out) || !c->cfg->ops->more)
		return 0;
	return c->cfg->ops->more(c);
}

void srv_conn_end(struct srv_conn *c)
{
	if (c->cfg->ops->finish)
		c->cfg->ops->finish(c);
	net_buf_free(&c->out);
}

int srv_conn_write(struct srv_conn *c, const void *p, size_t n)
{
	c->reply = true;
	return net_buf_append(&c->out, p, n);
}
