/*
 * servers/handler_framed.c — echo whole messages under length-prefix or
 * delimiter framing (net/framing.h). A message is echoed only once all of
 * it has arrived, however the stream was cut; a length prefix above
 * --max-msg closes the connection without allocating for it.
 */
#include "servers/handler.h"

#include <errno.h>
#include <stdlib.h>

static int framed_setup(struct srv_conn *c)
{
	struct net_deframer *d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	net_deframer_init(d, &c->cfg->framing);
	c->state = d;
	return 0;
}

static int framed_handle(struct srv_conn *c, const uint8_t *in, size_t n)
{
	struct net_deframer *d = c->state;
	const uint8_t *msg;
	size_t len;
	int rc, done = 0;

	if ((rc = net_deframer_push(d, in, n)) < 0)
		return rc;
	while ((rc = net_deframer_next(d, &msg, &len)) == 1) {
		if ((rc = net_framing_encode(&d->f, &c->out, msg, len)) < 0)
			return rc;
		done++;
	}
	if (rc < 0)
		return rc;
	if (done)
		c->reply = true;
	return done;
}

static void framed_finish(struct srv_conn *c)
{
	struct net_deframer *d = c->state;
	if (d) {
		net_deframer_free(d);
		free(d);
		c->state = NULL;
	}
}

const struct srv_handler_ops srv_handler_framed = {
	.name = "framed",
	.help = "echo whole messages (--framing length|delim, --max-msg)",
	.stream_only = true,
	.setup = framed_setup,
	.handle = framed_handle,
	.finish = framed_finish,
};
