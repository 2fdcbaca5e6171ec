/*
 * harness/cli/cmd_serve.c — `socklab serve`: one built-in server, standalone.
 *
 * Prints exactly "listening on ADDR:PORT" (or "listening on PATH") as its
 * first stdout line, flushed, so a script or the runner learns the port of
 * --port 0. Serves until SIGINT/SIGTERM, then closes every connection and
 * child, prints "stats {json}" with the server's counters and exits 0.
 */
#include "harness/cli/cli.h"
#include "servers/model.h"
#include "servers/srv.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define VERB "serve"

static struct srv *running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		srv_shutdown(running);
}

static void help(FILE *f)
{
	fprintf(f,
		"usage: socklab serve [--proto P] [--model M] [--handler H] [FLAGS]\n"
		"\n"
		"Run one built-in server until Ctrl-C. The first line on stdout is\n"
		"'listening on ADDR:PORT' (or PATH); on exit a 'stats {...}' line follows.\n"
		"\n"
		"  --proto P          tcp (default), udp, unix-stream, unix-dgram\n"
		"  --model M          concurrency model (default: thread for streams,\n"
		"                     iterative for datagrams)\n"
		"  --handler H        what to do with requests (default echo)\n"
		"  --bind ADDR        address to bind (default 127.0.0.1; ::1 for IPv6)\n"
		"  --port N           port, 0 for any free one (default 0)\n"
		"  --path FILE        socket path for unix-stream / unix-dgram\n"
		"  --workers N        threads/processes/loops for prefork, pool, epoll,\n"
		"                     reuseport, batch\n"
		"  --max-conns N      refuse connections beyond N open (datagram thread/fork:\n"
		"                     requests in flight)\n"
		"  --allow PREFIX     verify_request: serve only these peers (repeatable),\n"
		"                     e.g. 127.0.0.1 or 127.0.0.0/8\n"
		"  --framing F        framed handler: length (u32 big-endian, default),\n"
		"                     delim, delim:C\n"
		"  --max-msg SIZE     framed/file: largest message accepted (default 1m);\n"
		"                     datagrams: longer ones are truncated and counted\n"
		"  --root DIR         file handler: directory served (default .)\n"
		"  --chunk SIZE       source handler: bytes per write (default 64k)\n"
		"  --rcvbuf SIZE      SO_RCVBUF of the server socket\n"
		"  --sndbuf SIZE      SO_SNDBUF of the server socket\n"
		"  --backlog N        listen() backlog (default SOMAXCONN)\n"
		"  --poll-interval D  housekeeping period, e.g. 500ms (default)\n"
		"  --no-reuseaddr     do not set SO_REUSEADDR\n"
		"  --nodelay          TCP_NODELAY on accepted connections (default: Nagle on)\n"
		"  --app-log FILE     streams: append every recv/send (conn, ports, time,\n"
		"                     stream offset, length) to FILE (net/applog.h)\n"
		"  --recv-size SIZE   streams: bytes asked of each recv (default 16k; epoll 64k)\n"
		"  --read-delay D     streams: the late reader, wait D after accept before\n"
		"                     the first recv, e.g. 50ms\n"
		"  --sample-queues D  with --app-log: log SIOCINQ/SIOCOUTQ/TCP_INFO every D\n"
		"                     during the read delay and before every recv\n"
		"  -h, --help         this text\n"
		"\nstream models:");
	for (const struct srv_model_ops *const *m = srv_models; *m; m++)
		if ((*m)->kind == SRV_STREAM)
			fprintf(f, "\n  %-12s %s", (*m)->name, (*m)->help);
	fprintf(f, "\ndatagram models:");
	for (const struct srv_model_ops *const *m = srv_models; *m; m++)
		if ((*m)->kind == SRV_DGRAM)
			fprintf(f, "\n  %-12s %s", (*m)->name, (*m)->help);
	fprintf(f, "\nhandlers:");
	for (const struct srv_handler_ops *const *h = srv_handlers; *h; h++)
		fprintf(f, "\n  %-12s %s%s", (*h)->takes_arg
			? (strcmp((*h)->name, "sleep") == 0 ? "sleep:MS" : "spin:US") : (*h)->name,
			(*h)->help, (*h)->stream_only ? " (streams only)" : "");
	fprintf(f, "\n");
}

enum {
	OPT_PROTO = 256, OPT_MODEL, OPT_HANDLER, OPT_BIND, OPT_PORT, OPT_PATH,
	OPT_WORKERS, OPT_MAXCONNS, OPT_ALLOW, OPT_FRAMING, OPT_MAXMSG, OPT_ROOT,
	OPT_CHUNK, OPT_RCVBUF, OPT_SNDBUF, OPT_BACKLOG, OPT_POLL, OPT_NOREUSE, OPT_NODELAY,
	OPT_APPLOG, OPT_RECVSIZE, OPT_READDELAY, OPT_SAMPLE,
};

static const struct option opts[] = {
	{"proto", required_argument, NULL, OPT_PROTO},
	{"model", required_argument, NULL, OPT_MODEL},
	{"handler", required_argument, NULL, OPT_HANDLER},
	{"bind", required_argument, NULL, OPT_BIND},
	{"port", required_argument, NULL, OPT_PORT},
	{"path", required_argument, NULL, OPT_PATH},
	{"workers", required_argument, NULL, OPT_WORKERS},
	{"max-conns", required_argument, NULL, OPT_MAXCONNS},
	{"allow", required_argument, NULL, OPT_ALLOW},
	{"framing", required_argument, NULL, OPT_FRAMING},
	{"max-msg", required_argument, NULL, OPT_MAXMSG},
	{"root", required_argument, NULL, OPT_ROOT},
	{"chunk", required_argument, NULL, OPT_CHUNK},
	{"rcvbuf", required_argument, NULL, OPT_RCVBUF},
	{"sndbuf", required_argument, NULL, OPT_SNDBUF},
	{"backlog", required_argument, NULL, OPT_BACKLOG},
	{"poll-interval", required_argument, NULL, OPT_POLL},
	{"no-reuseaddr", no_argument, NULL, OPT_NOREUSE},
	{"nodelay", no_argument, NULL, OPT_NODELAY},
	{"app-log", required_argument, NULL, OPT_APPLOG},
	{"recv-size", required_argument, NULL, OPT_RECVSIZE},
	{"read-delay", required_argument, NULL, OPT_READDELAY},
	{"sample-queues", required_argument, NULL, OPT_SAMPLE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Parse argv into cfg. Returns 0, 1 for --help, -1 on error (printed). */
static int parse(int argc, char **argv, struct srv_config *cfg)
{
	const char *proto = "tcp", *model = NULL, *handler = "echo", *bind = NULL;
	const char *path = NULL;
	unsigned long long port = 0, v;
	uint64_t sz;
	char err[NET_ERRLEN];
	bool have_path = false;

	memset(cfg, 0, sizeof(*cfg));
	cfg->reuseaddr = true;
	cfg->handler.framing.kind = NET_FRAMING_LENGTH;
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
		case OPT_PROTO: proto = optarg; break;
		case OPT_MODEL: model = optarg; break;
		case OPT_HANDLER: handler = optarg; break;
		case OPT_BIND: bind = optarg; break;
		case OPT_PATH: path = optarg; have_path = true; break;
		case OPT_PORT:
			if (cli_uint(VERB, "--port", optarg, 0, 65535, &port) < 0)
				return -1;
			break;
		case OPT_WORKERS:
			if (cli_uint(VERB, "--workers", optarg, 1, SRV_MAX_WORKERS, &v) < 0)
				return -1;
			cfg->workers = (unsigned)v;
			break;
		case OPT_MAXCONNS:
			if (cli_uint(VERB, "--max-conns", optarg, 1, 10000000, &v) < 0)
				return -1;
			cfg->max_conns = (unsigned)v;
			break;
		case OPT_BACKLOG:
			if (cli_uint(VERB, "--backlog", optarg, 1, 1000000, &v) < 0)
				return -1;
			cfg->backlog = (int)v;
			break;
		case OPT_ALLOW:
			if (cfg->nallow == SRV_MAX_ALLOW) {
				fprintf(stderr, "socklab serve: --allow: at most %d prefixes\n", SRV_MAX_ALLOW);
				return -1;
			}
			if (net_prefix_parse(&cfg->allow[cfg->nallow], optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "socklab serve: --allow: %s\n", err);
				return -1;
			}
			cfg->nallow++;
			break;
		case OPT_FRAMING:
			if (net_framing_parse(&cfg->handler.framing, optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "socklab serve: --framing: %s\n", err);
				return -1;
			}
			break;
		case OPT_MAXMSG:
			if (cli_size(VERB, "--max-msg", optarg, &sz) < 0)
				return -1;
			if (sz == 0 || sz > UINT32_MAX) {
				fprintf(stderr, "socklab serve: --max-msg: must be 1 byte to 4g\n");
				return -1;
			}
			cfg->handler.framing.max_msg = (size_t)sz;
			break;
		case OPT_ROOT: {
			struct stat st;
			if (stat(optarg, &st) < 0 || !S_ISDIR(st.st_mode) ||
			    strlen(optarg) >= sizeof(cfg->handler.root)) {
				fprintf(stderr, "socklab serve: --root: '%s' is not a directory\n", optarg);
				return -1;
			}
			strcpy(cfg->handler.root, optarg);
			break;
		}
		case OPT_CHUNK:
			if (cli_size(VERB, "--chunk", optarg, &sz) < 0)
				return -1;
			if (sz == 0 || sz > (64u << 20)) {
				fprintf(stderr, "socklab serve: --chunk: must be 1 byte to 64m\n");
				return -1;
			}
			cfg->handler.chunk = (size_t)sz;
			break;
		case OPT_RCVBUF:
		case OPT_SNDBUF:
			if (cli_size(VERB, c == OPT_RCVBUF ? "--rcvbuf" : "--sndbuf", optarg, &sz) < 0)
				return -1;
			if (sz == 0 || sz > (1u << 30)) {
				fprintf(stderr, "socklab serve: %s: must be 1 byte to 1g\n",
					c == OPT_RCVBUF ? "--rcvbuf" : "--sndbuf");
				return -1;
			}
			*(c == OPT_RCVBUF ? &cfg->rcvbuf : &cfg->sndbuf) = (int)sz;
			break;
		case OPT_POLL: {
			uint64_t ns;
			if (cli_duration_ns(VERB, "--poll-interval", optarg, &ns) < 0)
				return -1;
			if (ns < 1000000 || ns > 60000000000ull) {
				fprintf(stderr, "socklab serve: --poll-interval: must be 1ms to 60s\n");
				return -1;
			}
			cfg->poll_interval_ms = (int)(ns / 1000000);
			break;
		}
		case OPT_NOREUSE: cfg->reuseaddr = false; break;
		case OPT_NODELAY: cfg->nodelay = true; break;
		case OPT_APPLOG: cfg->app_log = optarg; break;
		case OPT_RECVSIZE:
			if (cli_size(VERB, "--recv-size", optarg, &sz) < 0)
				return -1;
			if (sz == 0 || sz > (16u << 20)) {
				fprintf(stderr, "socklab serve: --recv-size: must be 1 byte to 16m\n");
				return -1;
			}
			cfg->recv_size = (size_t)sz;
			break;
		case OPT_READDELAY:
		case OPT_SAMPLE: {
			const char *f = c == OPT_READDELAY ? "--read-delay" : "--sample-queues";
			uint64_t ns;
			if (cli_duration_ns(VERB, f, optarg, &ns) < 0)
				return -1;
			if (ns > 60000000000ull || (c == OPT_SAMPLE && ns < 100000)) {
				fprintf(stderr, "socklab serve: %s: must be %s to 60s\n", f,
					c == OPT_SAMPLE ? "100us" : "0");
				return -1;
			}
			*(c == OPT_READDELAY ? &cfg->read_delay_ns : &cfg->sample_ns) = ns;
			break;
		}
		default:
			cli_bad_flag(VERB, optopt, argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "socklab serve: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (cfg->sample_ns && !cfg->app_log) {
		fprintf(stderr, "socklab serve: --sample-queues: needs --app-log\n");
		return -1;
	}

	if (net_proto_parse(proto, &cfg->proto) < 0) {
		fprintf(stderr, "socklab serve: --proto: '%s' is not one of tcp, udp, "
			"unix-stream, unix-dgram\n", proto);
		return -1;
	}
	enum srv_kind kind = net_proto_is_stream(cfg->proto) ? SRV_STREAM : SRV_DGRAM;
	if (kind == SRV_DGRAM && (cfg->app_log || cfg->read_delay_ns || cfg->recv_size)) {
		fprintf(stderr, "socklab serve: %s: stream protocols only (tcp, unix-stream)\n",
			cfg->app_log ? "--app-log" : cfg->read_delay_ns ? "--read-delay"
									 : "--recv-size");
		return -1;
	}
	if (!model)
		model = kind == SRV_STREAM ? "thread" : "iterative";
	cfg->model = srv_model_find(model, kind);
	if (!cfg->model) {
		fprintf(stderr, "socklab serve: --model: '%s' is not a %s model (one of:", model,
			kind == SRV_STREAM ? "stream" : "datagram");
		for (const struct srv_model_ops *const *m = srv_models; *m; m++)
			if ((*m)->kind == kind)
				fprintf(stderr, " %s", (*m)->name);
		fprintf(stderr, ")\n");
		return -1;
	}
	if (srv_handler_parse(&cfg->handler, handler, err, sizeof(err)) < 0) {
		fprintf(stderr, "socklab serve: --handler: %s\n", err);
		return -1;
	}
	if (kind == SRV_DGRAM && cfg->handler.ops->stream_only) {
		fprintf(stderr, "socklab serve: --handler: %s needs --proto tcp or unix-stream\n",
			cfg->handler.ops->name);
		return -1;
	}
	if (net_proto_is_unix(cfg->proto)) {
		if (!have_path) {
			fprintf(stderr, "socklab serve: --path: required with --proto %s\n", proto);
			return -1;
		}
		if (bind || port) {
			fprintf(stderr, "socklab serve: --bind/--port: not for --proto %s (use --path)\n",
				proto);
			return -1;
		}
		if (net_addr_unix(&cfg->addr, path, err, sizeof(err)) < 0) {
			fprintf(stderr, "socklab serve: --path: %s\n", err);
			return -1;
		}
	} else {
		if (have_path) {
			fprintf(stderr, "socklab serve: --path: only for unix-stream/unix-dgram\n");
			return -1;
		}
		if (net_addr_ip(&cfg->addr, bind ? bind : "127.0.0.1", (unsigned)port,
				err, sizeof(err)) < 0) {
			fprintf(stderr, "socklab serve: --bind: %s\n", err);
			return -1;
		}
	}
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct srv_config cfg;
	struct srv *s;
	char err[NET_ERRLEN], as[NET_ADDRSTRLEN];

	int rc = parse(argc, argv, &cfg);
	if (rc != 0)
		return rc > 0 ? CLI_OK : CLI_USAGE;
	if ((rc = srv_open(&s, &cfg, err, sizeof(err))) < 0) {
		fprintf(stderr, "socklab serve: %s\n", err);
		return CLI_USAGE;
	}
	running = s;
	if ((rc = cli_on_stop(on_signal)) < 0) {
		fprintf(stderr, "socklab serve: sigaction: %s\n", strerror(-rc));
		running = NULL;
		srv_close(s);
		return CLI_FAILED;
	}

	printf("listening on %s\n", net_addr_str(srv_addr(s), as, sizeof(as)));
	fflush(stdout);
	rc = srv_serve(s);
	printf("stats ");
	srv_counters_json(srv_counters(s), stdout);
	printf("\n");
	fflush(stdout);
	running = NULL;
	srv_close(s);
	if (rc < 0) {
		fprintf(stderr, "socklab serve: %s model failed: %s\n", cfg.model->name,
			strerror(-rc));
		return CLI_FAILED;
	}
	return CLI_OK;
}
