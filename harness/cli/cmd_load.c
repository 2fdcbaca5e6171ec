/*
 * harness/cli/cmd_load.c — `socklab load`: drive simulated clients at a target
 * on loopback (a built-in server or a foreign one) and print what happened.
 *
 * Parses flags into a struct ld_config, refuses non-loopback targets unless
 * --allow-remote, runs the engine in-process (clients/engine.h) and prints
 * a human summary or one JSON object. Exit 0 when it ran (errors are data),
 * 2 on a bad flag (one line naming it) or when every client was refused at
 * start, 1 when the engine itself could not run. Ctrl-C stops the run
 * early and still prints what was measured (exit 130).
 */
#include "harness/cli/cli.h"
#include "harness/netns/netns.h"
#include "clients/engine.h"
#include "util/units.h"

#include <errno.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERB "load"

/* The signal handler's only way to reach the running engine. */
static atomic_int cancelled;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&cancelled, 1);
}

struct load_opts {
	struct ld_config cfg;
	const char *target, *proto, *app_log;
	bool json, allow_remote, duration_given;
};

#define CFG(ctx) (&((struct load_opts *)(ctx))->cfg)

static int set_duration(const struct cli_flag *f, void *ctx, const char *arg, char *err,
			size_t errlen)
{
	((struct load_opts *)ctx)->duration_given = true;
	return cli_set_duration_ns(f, ctx, arg, err, errlen);
}

/* A rate per second, > 0, into the double at f->off. */
static int set_rate(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		    size_t errlen)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	/* A number as the scenario's clients.rate takes it (".5" too); no
	 * sign, no "inf" or "nan". */
	if (errno || *end || !(v > 0) || v > 1e9 ||
	    !(isdigit((unsigned char)arg[0]) || (arg[0] == '.' && isdigit((unsigned char)arg[1]))))
		return snprintf(err, errlen, "expected a rate per second > 0, got '%s'", arg),
		       -EINVAL;
	*(double *)((char *)ctx + f->off) = v;
	return 0;
}

static int set_size(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		    size_t errlen)
{
	(void)f;
	return pl_size_parse(&CFG(ctx)->size, arg, LD_MAX_STREAM_MSG, err, errlen);
}

static int set_framing(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		       size_t errlen)
{
	(void)f;
	return net_framing_parse(&CFG(ctx)->framing, arg, err, errlen);
}

static int set_pattern(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		       size_t errlen)
{
	struct ld_config *cfg = CFG(ctx);
	uint64_t n = 1;
	(void)f;
	if (strcmp(arg, "whole") == 0) {
		cfg->pattern = LD_WHOLE;
	} else if (strncmp(arg, "split:", 6) == 0 || strncmp(arg, "burst:", 6) == 0) {
		cfg->pattern = arg[0] == 's' ? LD_SPLIT : LD_BURST;
		if (unit_uint(arg + 6, 1, LD_MAX_PATTERN, &n, err, errlen) < 0)
			return -EINVAL;
	} else {
		return snprintf(err, errlen, "expected whole, split:K or burst:N, got '%s'", arg),
		       -EINVAL;
	}
	cfg->pattern_n = (unsigned)n;
	return 0;
}

static int set_verify(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		      size_t errlen)
{
	(void)f;
	if (pl_verify_parse(&CFG(ctx)->verify, arg) < 0)
		return snprintf(err, errlen, "expected echo, upper or none, got '%s'", arg), -EINVAL;
	return 0;
}

/* --file NAME[,NAME...]: appended to the list, comma-separated. */
static int set_file(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		    size_t errlen)
{
	struct ld_config *cfg = CFG(ctx);
	size_t have = strlen(cfg->files), add = strlen(arg);
	(void)f;
	if (add == 0)
		return snprintf(err, errlen, "expected a file name"), -EINVAL;
	if (have + (have > 0) + add >= sizeof(cfg->files))
		return snprintf(err, errlen, "the names add up to more than %zu bytes",
				sizeof(cfg->files) - 1), -EINVAL;
	if (have)
		cfg->files[have++] = ',';
	memcpy(cfg->files + have, arg, add + 1);
	return 0;
}

static int set_file_root(const struct cli_flag *f, void *ctx, const char *arg, char *err,
			 size_t errlen)
{
	struct ld_config *cfg = CFG(ctx);
	(void)f;
	if (!arg[0] || strlen(arg) >= sizeof(cfg->file_root))
		return snprintf(err, errlen, "expected a directory of at most %zu bytes",
				sizeof(cfg->file_root) - 1), -EINVAL;
	memcpy(cfg->file_root, arg, strlen(arg) + 1);
	return 0;
}

static int set_app_log(const struct cli_flag *f, void *ctx, const char *arg, char *err,
		       size_t errlen)
{
	CFG(ctx)->log_capacity = 1u << 20;
	return cli_set_str(f, ctx, arg, err, errlen);
}

#define L struct load_opts
#define RATE(f) .set = set_rate, .off = CLI_FIELD(L, f, double), .min = 0, .max = 0
static const struct cli_flag flags[] = {
	{"target", 0, "T", CLI_STR(L, target), "HOST:PORT, [V6]:PORT, or a socket path (unix-*)"},
	{"proto", 0, "P", CLI_STR(L, proto), "tcp (default), udp, unix-stream, unix-dgram"},
	{"clients", 0, "N", CLI_UNSIGNED(L, cfg.clients, 1, 1000000),
	 "simulated clients (default 1)"},
	{"duration", 0, "D", .set = set_duration, .off = CLI_FIELD(L, cfg.duration_ns, uint64_t),
	 .min = 0, .max = UINT64_MAX, "how long to send, e.g. 10s (default), 500ms;\n"
	 "0 with --requests: until they are done"},
	{"requests", 0, "N", CLI_U64(L, cfg.requests, 1, UINT64_MAX),
	 "stop after N requests in total"},
	{"rate", 0, "R", RATE(cfg.rate),
	 "open loop: R requests/s in total, latency from the\n"
	 "intended send time (default: closed loop)"},
	{"flood", 0, NULL, CLI_TRUE(L, cfg.flood), "udp/unix-dgram: send as fast as the socket takes"},
	{"size", 0, "S", CLI_FN(set_size),
	 "message size: N, 4k, uniform:A-B, exp:MEAN (default 64;\n"
	 "datagrams: whole datagram, at least the 24-byte header)"},
	{"framing", 0, "F", CLI_FN(set_framing),
	 "none (default; reply = as many bytes as sent),\nlength (u32 big-endian), delim, delim:C"},
	{"pattern", 0, "P", CLI_FN(set_pattern),
	 "whole (default), split:K (K writes per message),\n"
	 "burst:N (N messages back to back per request)"},
	{"nodelay", 0, NULL, CLI_TRUE(L, cfg.nodelay), "TCP_NODELAY (default: Nagle on)"},
	{"cork", 0, NULL, CLI_TRUE(L, cfg.cork), "TCP_CORK around each request's writes"},
	{"think", 0, "D", CLI_DURATION(L, cfg.think_ns, 0, UINT64_MAX),
	 "closed loop: pause after each reply"},
	{"connect-per-request", 0, NULL, CLI_TRUE(L, cfg.connect_per_request),
	 "connect, one request, close (streams)"},
	{"connect-rate", 0, "R", RATE(cfg.connect_rate), "at most R connects/s in total"},
	{"timeout", 0, "D", CLI_DURATION(L, cfg.timeout_ns, 1000000, UINT64_MAX),
	 "connect and reply timeout (default 5s)"},
	{"verify", 0, "V", CLI_FN(set_verify), "echo (default), upper (the seeds' server), none"},
	{"file", 0, "NAME", CLI_FN(set_file),
	 "fetch files from `serve --handler file` instead of\n"
	 "echoing: repeat or give a comma list; the clients\n"
	 "cycle through them; each reply is checked against\n"
	 "the copy under --file-root (size, CRC-32C; --verify\n"
	 "none: size only); a refused name counts `notfound`"},
	{"file-root", 0, "DIR", CLI_FN(set_file_root),
	 "where the client's copies of the files are (default .)"},
	{"batch", 0, "N", CLI_UNSIGNED(L, cfg.batch, 1, LD_MAX_BATCH),
	 "datagrams per sendmmsg/recvmmsg (default 32)"},
	{"threads", 0, "T", CLI_UNSIGNED(L, cfg.threads, 1, LD_MAX_THREADS),
	 "worker threads (default: one per CPU)"},
	{"sources", 0, "N", CLI_UNSIGNED(L, cfg.sources, 1, 250),
	 "spread over source addresses 127.0.0.2.. (default:\n"
	 "automatic when ephemeral ports would run out)"},
	{"seed", 0, "N", CLI_U64(L, cfg.seed, 0, UINT64_MAX), "seed for sizes (default 1)"},
	{"app-log", 0, "FILE", .set = set_app_log, .off = CLI_FIELD(L, app_log, const char *),
	 .min = 0, .max = 0, "write every send()/recv() as CSV\n"
	 "(t_ns,conn,event,offset,len,lport); 1M events kept"},
	{"allow-remote", 0, NULL, CLI_TRUE(L, allow_remote), "allow a target that is not loopback"},
	{"json", 0, NULL, CLI_TRUE(L, json), "print one JSON object instead of the summary"},
	{0},
};
#undef RATE
#undef L

/* The target, its protocol and the safety rule. */
static int resolve_target(struct load_opts *o, char *err, size_t errlen)
{
	struct ld_config *cfg = &o->cfg;
	char why[NET_ERRLEN], as[NET_ADDRSTRLEN];
	int rc;

	if (!o->target)
		return snprintf(err, errlen, "--target: required (HOST:PORT or a socket path)"),
		       -EINVAL;
	const char *proto = o->proto ? o->proto : strchr(o->target, '/') ? "unix-stream" : "tcp";
	if (net_proto_parse(proto, &cfg->proto) < 0)
		return snprintf(err, errlen, "--proto: '%s' is not one of tcp, udp, unix-stream, "
				"unix-dgram", proto), -EINVAL;
	if (net_proto_is_unix(cfg->proto))
		rc = net_addr_unix(&cfg->target, o->target, why, sizeof(why));
	else
		rc = net_addr_parse_hostport(&cfg->target, o->target, why, sizeof(why));
	if (rc < 0)
		return snprintf(err, errlen, "--target: %s", why), -EINVAL;
	if (!net_proto_is_unix(cfg->proto) && net_addr_port(&cfg->target) == 0)
		return snprintf(err, errlen, "--target: port 0 cannot be a target"), -EINVAL;
	/* The one exception: the runner's own namespace pair (topology pair),
	 * from inside it, where the address cannot lead off the machine. */
	if (!o->allow_remote && !net_addr_is_loopback(&cfg->target) &&
	    !netns_target_allowed(&cfg->target))
		return snprintf(err, errlen, "--target: %s is not loopback; socklab only loads "
				"its own host unless --allow-remote is given",
				net_addr_str(&cfg->target, as, sizeof(as))), -EINVAL;
	return 0;
}

static int finish(void *ctx, char *err, size_t errlen)
{
	struct load_opts *o = ctx;
	if (resolve_target(o, err, errlen) < 0)
		return -EINVAL;
	if (o->cfg.requests && !o->duration_given)
		o->cfg.duration_ns = 0;   /* --requests alone: run until they are done */
	return ld_config_check(&o->cfg, err, errlen);
}

static const struct cli_spec spec = {
	.verb = VERB,
	.usage = "--target HOST:PORT|PATH [--proto P] [FLAGS]",
	.summary = "Drive simulated clients at a server on loopback and report requests,\n"
		   "replies, throughput, errors by kind and latency percentiles.",
	.flags = flags,
	.notes = CLI_UNITS_NOTE,
	.finish = finish,
};

static void load_opts_init(struct load_opts *o)
{
	memset(o, 0, sizeof(*o));
	ld_config_init(&o->cfg);
}

/* A run that did not happen leaves no empty log behind. */
static void drop_log(FILE *f, const char *path)
{
	if (f) {
		fclose(f);
		unlink(path);
	}
}

/* Write the log to f (opened before the run, so a bad path costs no run)
 * and close it. */
static int write_app_log(FILE *f, const struct ld_result *r)
{
	static const char *const kinds[] = {"connect", "send", "recv", "close"};
	fprintf(f, "t_ns,conn,event,offset,len,lport\n");
	for (size_t i = 0; i < r->nevents; i++) {
		const struct ld_event *e = &r->events[i];
		fprintf(f, "%" PRIu64 ",%u,%s,%" PRIu64 ",%u,%u\n", e->t_ns, e->conn,
			kinds[e->kind & 3], e->offset, e->len, e->lport);
	}
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

int cmd_load(int argc, char **argv)
{
	struct load_opts o;
	struct ld_result res;
	char err[NET_ERRLEN], as[NET_ADDRSTRLEN];
	int rc;

	load_opts_init(&o);
	if (!cli_args(&spec, argc, argv, &o, &rc))
		return rc;
	FILE *log = NULL;
	if (o.app_log && !(log = fopen(o.app_log, "w"))) {
		fprintf(stderr, "socklab load: --app-log: %s: %s\n", o.app_log, strerror(errno));
		return CLI_USAGE;
	}
	cli_raise_nofile();
	atomic_store(&cancelled, 0);
	o.cfg.cancel = &cancelled;
	if ((rc = cli_on_stop(on_signal)) < 0) {
		fprintf(stderr, "socklab load: sigaction: %s\n", strerror(-rc));
		drop_log(log, o.app_log);
		return CLI_FAILED;
	}
	rc = ld_run(&o.cfg, &res, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "socklab load: %s\n", err);
		drop_log(log, o.app_log);
		return rc == -EINVAL ? CLI_USAGE : CLI_FAILED;
	}
	if (res.unreachable) {
		fprintf(stderr, "socklab load: --target: %s refused every client at start "
			"(is a server listening?)\n", net_addr_str(&o.cfg.target, as, sizeof(as)));
		ld_result_free(&res);
		drop_log(log, o.app_log);
		return CLI_USAGE;
	}
	if (o.json)
		ld_result_json(&o.cfg, &res, stdout);
	else
		ld_result_print(&o.cfg, &res, stdout);
	fflush(stdout);
	if (log && (rc = write_app_log(log, &res)) < 0)
		fprintf(stderr, "socklab load: --app-log: %s: %s\n", o.app_log, strerror(-rc));
	ld_result_free(&res);
	if (atomic_load(&cancelled))
		return CLI_INTERRUPTED;
	return rc < 0 ? CLI_FAILED : CLI_OK;
}

int cmd_load_config(int argc, char **argv, struct ld_config *cfg, char *err, size_t errlen)
{
	struct load_opts o;
	load_opts_init(&o);
	int rc = cli_parse(&spec, argc, argv, &o, err, errlen);
	if (rc > 0)
		snprintf(err, errlen, "--help: not a client setting");
	if (rc != 0)
		return -EINVAL;
	*cfg = o.cfg;
	return 0;
}
