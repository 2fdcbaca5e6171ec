/*
 * servers/handler_basic.c — echo, upper, discard, and echo with simulated
 * work: sleep:MS (I/O-bound: the reply waits, the CPU is free) and spin:US
 * (CPU-bound: the handler burns US microseconds of its own thread's CPU
 * time before replying, so with more spinning requests than cores each
 * takes longer in wall-clock time, as a fixed amount of real work does).
 *
 * On a stream a "request" is whatever one read returned; on a datagram
 * socket it is one datagram (an empty one included, answered empty).
 */
#include "servers/handler.h"

#include "net/clock.h"

#include <errno.h>

static int echo_handle(struct srv_conn *c, const uint8_t *in, size_t n)
{
	int rc = srv_conn_write(c, in, n);
	return rc < 0 ? rc : 1;
}

static int upper_handle(struct srv_conn *c, const uint8_t *in, size_t n)
{
	uint8_t *dst = net_buf_reserve(&c->out, n);
	if (!dst && n)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		dst[i] = (in[i] >= 'a' && in[i] <= 'z') ? (uint8_t)(in[i] - 32) : in[i];
	c->out.len += n;
	c->reply = true;
	return 1;
}

static int discard_handle(struct srv_conn *c, const uint8_t *in, size_t n)
{
	(void)c, (void)in, (void)n;
	return 1;
}

static int sleep_handle(struct srv_conn *c, const uint8_t *in, size_t n)
{
	c->delay_ns = c->cfg->work_ns;
	return echo_handle(c, in, n);
}

static int spin_handle(struct srv_conn *c, const uint8_t *in, size_t n)
{
	net_spin_ns(c->cfg->work_ns);
	return echo_handle(c, in, n);
}

const struct srv_handler_ops srv_handler_echo = {
	.name = "echo",
	.help = "send back what arrived",
	.handle = echo_handle,
};

const struct srv_handler_ops srv_handler_upper = {
	.name = "upper",
	.help = "send back what arrived in upper case (the seeds' server)",
	.handle = upper_handle,
};

const struct srv_handler_ops srv_handler_discard = {
	.name = "discard",
	.help = "read and drop everything, answer nothing",
	.handle = discard_handle,
};

const struct srv_handler_ops srv_handler_sleep = {
	.name = "sleep",
	.help = "echo after waiting MS milliseconds (I/O-bound work)",
	.takes_arg = true,
	.handle = sleep_handle,
};

const struct srv_handler_ops srv_handler_spin = {
	.name = "spin",
	.help = "echo after using US microseconds of CPU time (CPU-bound work)",
	.takes_arg = true,
	.handle = spin_handle,
};
