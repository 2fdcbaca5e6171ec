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
#include <getopt.h>
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

static void help(FILE *f)
{
	fprintf(f,
		"usage: socklab relay --listen ADDR:PORT --to ADDR:PORT [FLAGS]\n"
		"\n"
		"Relay clients to a server, impairing the traffic reproducibly (same\n"
		"--seed, same decisions). The first line on stdout is 'listening on\n"
		"ADDR:PORT'; on Ctrl-C a 'stats {...}' line with every counter follows.\n"
		"\n"
		"  --listen ADDR:PORT  where clients connect (port 0: any free one)\n"
		"  --to ADDR:PORT      the server\n"
		"  --proto P           tcp (default) or udp\n"
		"  --loss P            UDP: drop probability, 0..1 or 5%%\n"
		"  --dup P             UDP: duplicate probability\n"
		"  --reorder P         UDP: hold a datagram back behind the next one\n"
		"  --delay MS[+-J]     UDP: per-datagram delay with uniform jitter;\n"
		"                      TCP: each read's bytes leave MS (+-J) after they\n"
		"                      came, in order (e.g. 20, 20+-5, 20\xc2\xb1" "5)\n"
		"  --rate BITS/s       rate limit (e.g. 800k, 10M); UDP: bounded queue, tail\n"
		"                      drop; TCP: token bucket on the byte stream, reading\n"
		"                      stops while the relay's buffer is full\n"
		"  --queue SIZE        UDP: the rate queue's bound in bytes (default 64k)\n"
		"  --rcvbuf SIZE       UDP: SO_RCVBUF of the client-facing socket; what it\n"
		"                      drops when full is counted (rcvbuf_dropped)\n"
		"  --chunk SIZES       TCP: client->server write sizes, cycled (1,3,7) or\n"
		"                      random:A-B; TCP_NODELAY, so the cuts reach the peer\n"
		"  --reset-after N     TCP: reset (RST) a connection after N client bytes\n"
		"  --stall MS@BYTES    TCP: pause client->server MS ms after BYTES bytes\n"
		"  --both              impair server->client too (default: client->server)\n"
		"  --seed N            decision seed (default 1)\n"
		"  --allow-remote      allow non-loopback --listen/--to\n"
		"  -h, --help          this text\n");
}

enum {
	OPT_LISTEN = 256, OPT_TO, OPT_PROTO, OPT_LOSS, OPT_DUP, OPT_REORDER, OPT_DELAY,
	OPT_RATE, OPT_QUEUE, OPT_RCVBUF, OPT_CHUNK, OPT_RESET, OPT_STALL, OPT_BOTH, OPT_SEED, OPT_REMOTE,
};

static const struct option opts[] = {
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"to", required_argument, NULL, OPT_TO},
	{"proto", required_argument, NULL, OPT_PROTO},
	{"loss", required_argument, NULL, OPT_LOSS},
	{"dup", required_argument, NULL, OPT_DUP},
	{"reorder", required_argument, NULL, OPT_REORDER},
	{"delay", required_argument, NULL, OPT_DELAY},
	{"rate", required_argument, NULL, OPT_RATE},
	{"queue", required_argument, NULL, OPT_QUEUE},
	{"rcvbuf", required_argument, NULL, OPT_RCVBUF},
	{"chunk", required_argument, NULL, OPT_CHUNK},
	{"reset-after", required_argument, NULL, OPT_RESET},
	{"stall", required_argument, NULL, OPT_STALL},
	{"both", no_argument, NULL, OPT_BOTH},
	{"seed", required_argument, NULL, OPT_SEED},
	{"allow-remote", no_argument, NULL, OPT_REMOTE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int bad(const char *flag, const char *why)
{
	fprintf(stderr, "socklab relay: %s: %s\n", flag, why);
	return -1;
}

/* Parse argv into cfg. Returns 0, 1 for --help, -1 on error (printed). */
static int parse(int argc, char **argv, struct rly_config *cfg)
{
	const char *listen = NULL, *to = NULL, *proto = "tcp";
	bool remote = false, udp_only = false, tcp_only = false;
	char err[NET_ERRLEN];
	unsigned long long v;

	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	cfg->imp.queue_bytes = 64 * 1024;
	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, ":h", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'h':
			help(stdout);
			return 1;
		case OPT_LISTEN: listen = optarg; break;
		case OPT_TO: to = optarg; break;
		case OPT_PROTO: proto = optarg; break;
		case OPT_LOSS:
		case OPT_DUP:
		case OPT_REORDER: {
			const char *flag = c == OPT_LOSS ? "--loss" : c == OPT_DUP ? "--dup" : "--reorder";
			double *p = c == OPT_LOSS ? &cfg->imp.loss
				: c == OPT_DUP ? &cfg->imp.dup : &cfg->imp.reorder;
			if (rly_prob_parse(optarg, p, err, sizeof(err)) < 0)
				return bad(flag, err);
			udp_only = true;
			break;
		}
		case OPT_DELAY:
			if (rly_delay_parse(optarg, &cfg->imp.delay_ns, &cfg->imp.jitter_ns,
					    err, sizeof(err)) < 0)
				return bad("--delay", err);
			break;
		case OPT_RATE:
			if (rly_rate_parse(optarg, &cfg->imp.rate_bps, err, sizeof(err)) < 0)
				return bad("--rate", err);
			break;
		case OPT_QUEUE:
			if (cli_size(VERB, "--queue", optarg, &cfg->imp.queue_bytes) < 0)
				return -1;
			if (cfg->imp.queue_bytes == 0 || cfg->imp.queue_bytes > (1u << 30))
				return bad("--queue", "must be 1 byte to 1g");
			udp_only = true;
			break;
		case OPT_RCVBUF: {
			uint64_t sz;
			if (cli_size(VERB, "--rcvbuf", optarg, &sz) < 0)
				return -1;
			if (sz == 0 || sz > (1u << 30))
				return bad("--rcvbuf", "must be 1 byte to 1g");
			cfg->rcvbuf = (int)sz;
			udp_only = true;
			break;
		}
		case OPT_CHUNK:
			if (rly_chunk_parse(&cfg->chunk, optarg, err, sizeof(err)) < 0)
				return bad("--chunk", err);
			tcp_only = true;
			break;
		case OPT_RESET:
			if (cli_uint(VERB, "--reset-after", optarg, 1, UINT64_MAX, &v) < 0)
				return -1;
			cfg->reset_after = v;
			tcp_only = true;
			break;
		case OPT_STALL:
			if (rly_stall_parse(optarg, &cfg->stall_ns, &cfg->stall_at, err, sizeof(err)) < 0)
				return bad("--stall", err);
			tcp_only = true;
			break;
		case OPT_BOTH: cfg->both = true; break;
		case OPT_SEED:
			if (cli_uint(VERB, "--seed", optarg, 0, UINT64_MAX, &v) < 0)
				return -1;
			cfg->seed = v;
			break;
		case OPT_REMOTE: remote = true; break;
		default:
			cli_bad_flag(VERB, optopt, argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "socklab relay: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (net_proto_parse(proto, &cfg->proto) < 0 ||
	    (cfg->proto != NET_TCP && cfg->proto != NET_UDP))
		return bad("--proto", "must be tcp or udp");
	if (!listen)
		return bad("--listen", "required (ADDR:PORT, e.g. 127.0.0.1:0)");
	if (!to)
		return bad("--to", "required (ADDR:PORT of the server)");
	if (net_addr_parse_hostport(&cfg->listen, listen, err, sizeof(err)) < 0)
		return bad("--listen", err);
	if (net_addr_parse_hostport(&cfg->to, to, err, sizeof(err)) < 0)
		return bad("--to", err);
	if (net_addr_port(&cfg->to) == 0)
		return bad("--to", "needs a port other than 0");
	if (!remote && !net_addr_is_loopback(&cfg->listen))
		return bad("--listen", "not a loopback address (add --allow-remote)");
	if (!remote && !net_addr_is_loopback(&cfg->to))
		return bad("--to", "not a loopback address (add --allow-remote)");
	if (udp_only && cfg->proto != NET_UDP)
		return bad("--loss/--dup/--reorder/--queue/--rcvbuf", "need --proto udp");
	if (tcp_only && cfg->proto != NET_TCP)
		return bad("--chunk/--reset-after/--stall", "need --proto tcp");
	return 0;
}

int cmd_relay(int argc, char **argv)
{
	struct rly_config cfg;
	struct rly_relay *r;
	char err[NET_ERRLEN], as[NET_ADDRSTRLEN];

	int rc = parse(argc, argv, &cfg);
	if (rc != 0)
		return rc > 0 ? CLI_OK : CLI_USAGE;
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
