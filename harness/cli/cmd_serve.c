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

#include <errno.h>
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

/* The model and handler lists under --help, from their tables. */
static void more_help(FILE *f)
{
	fprintf(f, "\nstream models:");
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

struct serve_args {
	struct srv_config cfg;
	const char *proto, *model, *handler, *bind, *path;
	unsigned port;
	uint64_t poll_ns;
};

static int set_allow(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		     size_t errlen)
{
	struct srv_config *cfg = &((struct serve_args *)ctx)->cfg;
	(void)f;
	if (cfg->nallow == SRV_MAX_ALLOW)
		return snprintf(err, errlen, "at most %d prefixes", SRV_MAX_ALLOW), -EINVAL;
	if (net_prefix_parse(&cfg->allow[cfg->nallow], arg, err, errlen) < 0)
		return -EINVAL;
	cfg->nallow++;
	return 0;
}

static int set_framing(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		       size_t errlen)
{
	(void)f;
	return net_framing_parse(&((struct serve_args *)ctx)->cfg.handler.framing, arg, err,
				 errlen);
}

static int set_root(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		    size_t errlen)
{
	struct srv_handler_cfg *h = &((struct serve_args *)ctx)->cfg.handler;
	struct stat st;
	(void)f;
	if (stat(arg, &st) < 0 || !S_ISDIR(st.st_mode) || strlen(arg) >= sizeof(h->root))
		return snprintf(err, errlen, "'%s' is not a directory", arg), -EINVAL;
	strcpy(h->root, arg);
	return 0;
}

#define S struct serve_args
#define SEC (1000ull * 1000 * 1000)
static const struct cli_flag flags[] = {
	{"proto", 0, "P", CLI_STR(S, proto), "tcp (default), udp, unix-stream, unix-dgram"},
	{"model", 0, "M", CLI_STR(S, model),
	 "concurrency model (default: thread for streams,\niterative for datagrams)"},
	{"handler", 0, "H", CLI_STR(S, handler), "what to do with requests (default echo)"},
	{"bind", 0, "ADDR", CLI_STR(S, bind), "address to bind (default 127.0.0.1; ::1 for IPv6)"},
	{"port", 0, "N", CLI_UNSIGNED(S, port, 0, 65535), "port, 0 for any free one (default 0)"},
	{"path", 0, "FILE", CLI_STR(S, path), "socket path for unix-stream / unix-dgram"},
	{"workers", 0, "N", CLI_UNSIGNED(S, cfg.workers, 1, SRV_MAX_WORKERS),
	 "threads/processes/loops for prefork, pool, epoll,\nreuseport, batch"},
	{"max-conns", 0, "N", CLI_UNSIGNED(S, cfg.max_conns, 1, 10000000),
	 "refuse connections beyond N open (datagram thread/fork:\nrequests in flight)"},
	{"allow", 0, "PREFIX", CLI_FN(set_allow),
	 "verify_request: serve only these peers (repeatable),\ne.g. 127.0.0.1 or 127.0.0.0/8"},
	{"framing", 0, "F", CLI_FN(set_framing),
	 "framed handler: length (u32 big-endian, default),\ndelim, delim:C"},
	{"max-msg", 0, "SIZE", CLI_SIZE(S, cfg.handler.framing.max_msg, 1, UINT32_MAX),
	 "framed: largest message accepted (default 1m); file:\n"
	 "longest name, most input queued while a file streams\n"
	 "(default 4k); datagrams: longer ones are truncated\n"
	 "and counted"},
	{"root", 0, "DIR", CLI_FN(set_root), "file handler: directory served (default .)"},
	{"chunk", 0, "SIZE", CLI_SIZE(S, cfg.handler.chunk, 1, 64u << 20),
	 "source handler: bytes per write (default 64k)"},
	{"rcvbuf", 0, "SIZE", CLI_SIZE_INT(S, cfg.rcvbuf, 1, 1u << 30), "SO_RCVBUF of the server socket"},
	{"sndbuf", 0, "SIZE", CLI_SIZE_INT(S, cfg.sndbuf, 1, 1u << 30), "SO_SNDBUF of the server socket"},
	{"backlog", 0, "N", CLI_INT(S, cfg.backlog, 1, 1000000), "listen() backlog (default SOMAXCONN)"},
	{"poll-interval", 0, "D", CLI_DURATION(S, poll_ns, SEC / 1000, 60 * SEC),
	 "housekeeping period, e.g. 500ms (default)"},
	{"no-reuseaddr", 0, NULL, CLI_FALSE(S, cfg.reuseaddr), "do not set SO_REUSEADDR"},
	{"nodelay", 0, NULL, CLI_TRUE(S, cfg.nodelay),
	 "TCP_NODELAY on accepted connections (default: Nagle on)"},
	{"app-log", 0, "FILE", CLI_STR(S, cfg.app_log),
	 "streams: append every recv/send (conn, ports, time,\n"
	 "stream offset, length) to FILE (net/applog.h)"},
	{"recv-size", 0, "SIZE", CLI_SIZE(S, cfg.recv_size, 1, 16u << 20),
	 "streams: bytes asked of each recv (default 16k; epoll 64k)"},
	{"read-delay", 0, "D", CLI_DURATION(S, cfg.read_delay_ns, 0, 60 * SEC),
	 "streams: the late reader, wait D after accept before\nthe first recv, e.g. 50ms"},
	{"sample-queues", 0, "D", CLI_DURATION(S, cfg.sample_ns, 100000, 60 * SEC),
	 "with --app-log: log SIOCINQ/SIOCOUTQ/TCP_INFO every D\n"
	 "during the read delay and before every recv"},
	{0},
};
#undef S
#undef SEC

/* The model by name for the proto's kind; the list in err when unknown. */
static int resolve_model(struct serve_args *a, enum srv_kind kind, char *err, size_t errlen)
{
	const char *model = a->model ? a->model : kind == SRV_STREAM ? "thread" : "iterative";
	a->cfg.model = srv_model_find(model, kind);
	if (a->cfg.model)
		return 0;
	size_t n = (size_t)snprintf(err, errlen, "--model: '%s' is not a %s model (one of:", model,
				    kind == SRV_STREAM ? "stream" : "datagram");
	for (const struct srv_model_ops *const *m = srv_models; *m && n < errlen; m++)
		if ((*m)->kind == kind)
			n += (size_t)snprintf(err + n, errlen - n, " %s", (*m)->name);
	if (n < errlen)
		snprintf(err + n, errlen - n, ")");
	return -EINVAL;
}

/* --path for unix protos, --bind and --port for the others. */
static int resolve_addr(struct serve_args *a, char *err, size_t errlen)
{
	char why[NET_ERRLEN];
	if (net_proto_is_unix(a->cfg.proto)) {
		if (!a->path)
			return snprintf(err, errlen, "--path: required with --proto %s", a->proto),
			       -EINVAL;
		if (a->bind || a->port)
			return snprintf(err, errlen, "--bind/--port: not for --proto %s (use --path)",
					a->proto), -EINVAL;
		if (net_addr_unix(&a->cfg.addr, a->path, why, sizeof(why)) < 0)
			return snprintf(err, errlen, "--path: %s", why), -EINVAL;
		return 0;
	}
	if (a->path)
		return snprintf(err, errlen, "--path: only for unix-stream/unix-dgram"), -EINVAL;
	if (net_addr_ip(&a->cfg.addr, a->bind ? a->bind : "127.0.0.1", a->port, why,
			sizeof(why)) < 0)
		return snprintf(err, errlen, "--bind: %s", why), -EINVAL;
	return 0;
}

/* What one flag cannot say alone: proto, model, handler, address. */
static int finish(void *ctx, char *err, size_t errlen)
{
	struct serve_args *a = ctx;
	struct srv_config *cfg = &a->cfg;
	char why[NET_ERRLEN];

	if (a->poll_ns)
		cfg->poll_interval_ms = (int)(a->poll_ns / 1000000);
	if (cfg->sample_ns && !cfg->app_log)
		return snprintf(err, errlen, "--sample-queues: needs --app-log"), -EINVAL;
	if (net_proto_parse(a->proto, &cfg->proto) < 0)
		return snprintf(err, errlen, "--proto: '%s' is not one of tcp, udp, unix-stream, "
				"unix-dgram", a->proto), -EINVAL;
	enum srv_kind kind = net_proto_is_stream(cfg->proto) ? SRV_STREAM : SRV_DGRAM;
	if (kind == SRV_DGRAM && (cfg->app_log || cfg->read_delay_ns || cfg->recv_size))
		return snprintf(err, errlen, "%s: stream protocols only (tcp, unix-stream)",
				cfg->app_log ? "--app-log" : cfg->read_delay_ns ? "--read-delay"
										 : "--recv-size"), -EINVAL;
	if (resolve_model(a, kind, err, errlen) < 0)
		return -EINVAL;
	if (srv_handler_parse(&cfg->handler, a->handler, why, sizeof(why)) < 0)
		return snprintf(err, errlen, "--handler: %s", why), -EINVAL;
	if (kind == SRV_DGRAM && cfg->handler.ops->stream_only)
		return snprintf(err, errlen, "--handler: %s needs --proto tcp or unix-stream",
				cfg->handler.ops->name), -EINVAL;
	return resolve_addr(a, err, errlen);
}

static const struct cli_spec spec = {
	.verb = VERB,
	.usage = "[--proto P] [--model M] [--handler H] [FLAGS]",
	.summary = "Run one built-in server until Ctrl-C. The first line on stdout is\n"
		   "'listening on ADDR:PORT' (or PATH); on exit a 'stats {...}' line follows.",
	.flags = flags,
	.notes = CLI_UNITS_NOTE,
	.more_help = more_help,
	.finish = finish,
};

int cmd_serve(int argc, char **argv)
{
	struct serve_args a = {.proto = "tcp", .handler = "echo",
			       .cfg = {.reuseaddr = true,
				       .handler.framing.kind = NET_FRAMING_LENGTH}};
	struct srv *s;
	char err[NET_ERRLEN], as[NET_ADDRSTRLEN];
	int rc;

	if (!cli_args(&spec, argc, argv, &a, &rc))
		return rc;
	const struct srv_config cfg = a.cfg;
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
