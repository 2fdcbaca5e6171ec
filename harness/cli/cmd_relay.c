/*
 * harness/cli/cmd_relay.c — `socklab relay`: the impairment relay, standalone.
 *
 * Like `socklab serve`: the first stdout line is "listening on ADDR:PORT"
 * (flushed, so --listen ...:0 can be learnt), it runs until SIGINT/SIGTERM,
 * then prints "stats {json}" with every counter and exits 0. Both
 * addresses must be loopback unless --allow-remote.
 */
#include "harness/cli/cli.h"
#include "harness/relay/relay.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define VERB "relay"

static struct rly_relay *running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		rly_shutdown(running);
}

struct relay_args {
	struct rly_config cfg;
	const char *listen, *to, *proto;
	bool remote;
	const char *udp_flag, *tcp_flag;   /* the first flag given that needs that proto */
};

/* The flag needs --proto udp (or tcp): remember the first one for finish. */
static int only(const struct cli_flag *f, const char **first, int rc)
{
	if (rc == 0 && !*first)
		*first = f->name;
	return rc;
}

static int set_prob(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		    size_t errlen)
{
	struct relay_args *a = ctx;
	double *p = (double *)((char *)ctx + f->off);
	return only(f, &a->udp_flag, rly_prob_parse(arg, p, err, errlen));
}

static int set_queue(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen)
{
	struct relay_args *a = ctx;
	return only(f, &a->udp_flag, cli_set_size_u64(f, ctx, arg, err, errlen));
}

static int set_rcvbuf(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		      size_t errlen)
{
	struct relay_args *a = ctx;
	return only(f, &a->udp_flag, cli_set_size_int(f, ctx, arg, err, errlen));
}

static int set_delay(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen)
{
	struct rly_impair *imp = &((struct relay_args *)ctx)->cfg.imp;
	(void)f;
	return rly_delay_parse(arg, &imp->delay_ns, &imp->jitter_ns, err, errlen);
}

static int set_rate(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		    size_t errlen)
{
	(void)f;
	return rly_rate_parse(arg, &((struct relay_args *)ctx)->cfg.imp.rate_bps, err, errlen);
}

static int set_chunk(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen)
{
	struct relay_args *a = ctx;
	return only(f, &a->tcp_flag, rly_chunk_parse(&a->cfg.chunk, arg, err, errlen));
}

static int set_reset(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen)
{
	struct relay_args *a = ctx;
	return only(f, &a->tcp_flag, cli_set_u64(f, ctx, arg, err, errlen));
}

static int set_stall(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen)
{
	struct relay_args *a = ctx;
	int rc = rly_stall_parse(arg, &a->cfg.stall_ns, &a->cfg.stall_at, err, errlen);
	return only(f, &a->tcp_flag, rc);
}

#define R struct relay_args
#define PROB(f) .set = set_prob, .off = CLI_FIELD(R, f, double), .min = 0, .max = 0
#define UDP_SIZE(fn, f, type) .set = fn, .off = CLI_FIELD(R, f, type), .min = 1, .max = 1u << 30
static const struct cli_flag flags[] = {
	{"listen", 0, "ADDR:PORT", CLI_STR(R, listen), "where clients connect (port 0: any free one)"},
	{"to", 0, "ADDR:PORT", CLI_STR(R, to), "the server"},
	{"proto", 0, "P", CLI_STR(R, proto), "tcp (default) or udp"},
	{"loss", 0, "P", PROB(cfg.imp.loss), "UDP: drop probability, 0..1 or 5%"},
	{"dup", 0, "P", PROB(cfg.imp.dup), "UDP: duplicate probability"},
	{"reorder", 0, "P", PROB(cfg.imp.reorder), "UDP: hold a datagram back behind the next one"},
	{"delay", 0, "D[+-J]", CLI_FN(set_delay),
	 "UDP: per-datagram delay with uniform jitter;\n"
	 "TCP: each read's bytes leave D (+-J) after they\n"
	 "came, in order (e.g. 20ms, 20ms+-5ms, 20ms\xc2\xb1" "5ms, 1s)"},
	{"rate", 0, "RATE", CLI_FN(set_rate),
	 "rate limit in bits/s (e.g. 800kbit, 10mbit); UDP:\n"
	 "bounded queue, tail drop; TCP: token bucket on the\n"
	 "byte stream, reading stops while the relay's buffer is full"},
	{"queue", 0, "SIZE", UDP_SIZE(set_queue, cfg.imp.queue_bytes, uint64_t),
	 "UDP: the rate queue's bound in bytes (default 64k)"},
	{"rcvbuf", 0, "SIZE", UDP_SIZE(set_rcvbuf, cfg.rcvbuf, int),
	 "UDP: SO_RCVBUF of the client-facing socket; what it\n"
	 "drops when full is counted (rcvbuf_dropped)"},
	{"chunk", 0, "SIZES", CLI_FN(set_chunk),
	 "TCP: client->server write sizes, cycled (1,3,7) or\n"
	 "random:A-B; TCP_NODELAY, so the cuts reach the peer"},
	{"reset-after", 0, "N", .set = set_reset, .off = CLI_FIELD(R, cfg.reset_after, uint64_t),
	 .min = 1, .max = UINT64_MAX, "TCP: reset (RST) a connection after N client bytes"},
	{"stall", 0, "D@BYTES", CLI_FN(set_stall),
	 "TCP: pause client->server for D once BYTES bytes are\n"
	 "through (e.g. 500ms@1000)"},
	{"both", 0, NULL, CLI_TRUE(R, cfg.both), "impair server->client too (default: client->server)"},
	{"seed", 0, "N", CLI_U64(R, cfg.seed, 0, UINT64_MAX), "decision seed (default 1)"},
	{"allow-remote", 0, NULL, CLI_TRUE(R, remote), "allow non-loopback --listen/--to"},
	{0},
};
#undef PROB
#undef UDP_SIZE
#undef R

/* "--flag: why" into err; -EINVAL. */
static int bad(char *err, size_t errlen, const char *flag, const char *why)
{
	snprintf(err, errlen, "%s: %s", flag, why);
	return -EINVAL;
}

/* The addresses, the proto, and the flags that need one proto. */
static int finish(void *ctx, char *err, size_t errlen)
{
	struct relay_args *a = ctx;
	struct rly_config *cfg = &a->cfg;
	char why[NET_ERRLEN], flag[32];

	if (net_proto_parse(a->proto, &cfg->proto) < 0 ||
	    (cfg->proto != NET_TCP && cfg->proto != NET_UDP))
		return bad(err, errlen, "--proto", "must be tcp or udp");
	if (!a->listen)
		return bad(err, errlen, "--listen", "required (ADDR:PORT, e.g. 127.0.0.1:0)");
	if (!a->to)
		return bad(err, errlen, "--to", "required (ADDR:PORT of the server)");
	if (net_addr_parse_hostport(&cfg->listen, a->listen, why, sizeof(why)) < 0)
		return bad(err, errlen, "--listen", why);
	if (net_addr_parse_hostport(&cfg->to, a->to, why, sizeof(why)) < 0)
		return bad(err, errlen, "--to", why);
	if (net_addr_port(&cfg->to) == 0)
		return bad(err, errlen, "--to", "needs a port other than 0");
	if (!a->remote && !net_addr_is_loopback(&cfg->listen))
		return bad(err, errlen, "--listen", "not a loopback address (add --allow-remote)");
	if (!a->remote && !net_addr_is_loopback(&cfg->to))
		return bad(err, errlen, "--to", "not a loopback address (add --allow-remote)");
	if (a->udp_flag && cfg->proto != NET_UDP)
		return snprintf(flag, sizeof(flag), "--%s", a->udp_flag),
		       bad(err, errlen, flag, "needs --proto udp");
	if (a->tcp_flag && cfg->proto != NET_TCP)
		return snprintf(flag, sizeof(flag), "--%s", a->tcp_flag),
		       bad(err, errlen, flag, "needs --proto tcp");
	return 0;
}

static const struct cli_spec spec = {
	.verb = VERB,
	.usage = "--listen ADDR:PORT --to ADDR:PORT [FLAGS]",
	.summary = "Relay clients to a server, impairing the traffic reproducibly (same\n"
		   "--seed, same decisions). The first line on stdout is 'listening on\n"
		   "ADDR:PORT'; on Ctrl-C a 'stats {...}' line with every counter follows.",
	.flags = flags,
	.notes = CLI_UNITS_NOTE,
	.finish = finish,
};

int cmd_relay(int argc, char **argv)
{
	struct relay_args a = {.proto = "tcp", .cfg = {.seed = 1, .imp.queue_bytes = 64 * 1024}};
	struct rly_relay *r;
	char err[NET_ERRLEN], as[NET_ADDRSTRLEN];
	int rc;

	if (!cli_args(&spec, argc, argv, &a, &rc))
		return rc;
	const struct rly_config cfg = a.cfg;
	if (rly_open(&r, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "socklab relay: --listen: %s\n", err);
		return CLI_USAGE;
	}
	running = r;
	if ((rc = cli_on_stop(on_signal)) < 0) {
		fprintf(stderr, "socklab relay: sigaction: %s\n", strerror(-rc));
		running = NULL;
		rly_close(r);
		return CLI_FAILED;
	}

	printf("listening on %s\n", net_addr_str(rly_addr(r), as, sizeof(as)));
	fflush(stdout);
	rc = rly_run(r);
	printf("stats ");
	rly_counters_json(rly_counters(r), &cfg, stdout);
	printf("\n");
	fflush(stdout);
	running = NULL;
	rly_close(r);
	if (rc < 0) {
		fprintf(stderr, "socklab relay: event loop failed: %s\n", strerror(-rc));
		return CLI_FAILED;
	}
	return CLI_OK;
}
