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

#include <errno.h>
#include <getopt.h>
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

static void help(FILE *f)
{
	fprintf(f,
		"usage: socklab load --target HOST:PORT|PATH [--proto P] [FLAGS]\n"
		"\n"
		"Drive simulated clients at a server on loopback and report requests,\n"
		"replies, throughput, errors by kind and latency percentiles.\n"
		"\n"
		"  --target T             HOST:PORT, [V6]:PORT, or a socket path (unix-*)\n"
		"  --proto P              tcp (default), udp, unix-stream, unix-dgram\n"
		"  --clients N            simulated clients (default 1)\n"
		"  --duration D           how long to send, e.g. 10s (default), 500ms;\n"
		"                         0 with --requests: until they are done\n"
		"  --requests N           stop after N requests in total\n"
		"  --rate R               open loop: R requests/s in total, latency from the\n"
		"                         intended send time (default: closed loop)\n"
		"  --flood                udp/unix-dgram: send as fast as the socket takes\n"
		"  --size S               message size: N, 4k, uniform:A-B, exp:MEAN (default 64;\n"
		"                         datagrams: whole datagram, at least the 24-byte header)\n"
		"  --framing F            none (default; reply = as many bytes as sent),\n"
		"                         length (u32 big-endian), delim, delim:C\n"
		"  --pattern P            whole (default), split:K (K writes per message),\n"
		"                         burst:N (N messages back to back per request)\n"
		"  --nodelay              TCP_NODELAY (default: Nagle on)\n"
		"  --cork                 TCP_CORK around each request's writes\n"
		"  --think D              closed loop: pause after each reply\n"
		"  --connect-per-request  connect, one request, close (streams)\n"
		"  --connect-rate R       at most R connects/s in total\n"
		"  --timeout D            connect and reply timeout (default 5s)\n"
		"  --verify V             echo (default), upper (the seeds' server), none\n"
		"  --file NAME            fetch files from `serve --handler file` instead of\n"
		"                         echoing: repeat or give a comma list; the clients\n"
		"                         cycle through them; each reply is checked against\n"
		"                         the copy under --file-root (size, CRC-32C; --verify\n"
		"                         none: size only); a refused name counts `notfound`\n"
		"  --file-root DIR        where the client's copies of the files are (default .)\n"
		"  --batch N              datagrams per sendmmsg/recvmmsg (default 32)\n"
		"  --threads T            worker threads (default: one per CPU)\n"
		"  --sources N            spread over source addresses 127.0.0.2.. (default:\n"
		"                         automatic when ephemeral ports would run out)\n"
		"  --seed N               seed for sizes (default 1)\n"
		"  --app-log FILE         write every send()/recv() as CSV\n"
		"                         (t_ns,conn,event,offset,len,lport); 1M events kept\n"
		"  --allow-remote         allow a target that is not loopback\n"
		"  --json                 print one JSON object instead of the summary\n"
		"  -h, --help             this text\n");
}

enum {
	OPT_TARGET = 256, OPT_PROTO, OPT_CLIENTS, OPT_DURATION, OPT_REQUESTS, OPT_RATE,
	OPT_FLOOD, OPT_SIZE, OPT_FRAMING, OPT_PATTERN, OPT_NODELAY, OPT_CORK, OPT_THINK,
	OPT_CPR, OPT_CRATE, OPT_TIMEOUT, OPT_VERIFY, OPT_BATCH, OPT_THREADS, OPT_SOURCES,
	OPT_SEED, OPT_APPLOG, OPT_REMOTE, OPT_JSON, OPT_FILE, OPT_FILE_ROOT,
};

static const struct option opts[] = {
	{"target", required_argument, NULL, OPT_TARGET},
	{"proto", required_argument, NULL, OPT_PROTO},
	{"clients", required_argument, NULL, OPT_CLIENTS},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"requests", required_argument, NULL, OPT_REQUESTS},
	{"rate", required_argument, NULL, OPT_RATE},
	{"flood", no_argument, NULL, OPT_FLOOD},
	{"size", required_argument, NULL, OPT_SIZE},
	{"framing", required_argument, NULL, OPT_FRAMING},
	{"pattern", required_argument, NULL, OPT_PATTERN},
	{"nodelay", no_argument, NULL, OPT_NODELAY},
	{"cork", no_argument, NULL, OPT_CORK},
	{"think", required_argument, NULL, OPT_THINK},
	{"connect-per-request", no_argument, NULL, OPT_CPR},
	{"connect-rate", required_argument, NULL, OPT_CRATE},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"verify", required_argument, NULL, OPT_VERIFY},
	{"batch", required_argument, NULL, OPT_BATCH},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"sources", required_argument, NULL, OPT_SOURCES},
	{"seed", required_argument, NULL, OPT_SEED},
	{"app-log", required_argument, NULL, OPT_APPLOG},
	{"allow-remote", no_argument, NULL, OPT_REMOTE},
	{"json", no_argument, NULL, OPT_JSON},
	{"file", required_argument, NULL, OPT_FILE},
	{"file-root", required_argument, NULL, OPT_FILE_ROOT},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct load_opts {
	struct ld_config cfg;
	const char *target, *proto, *app_log;
	bool json, allow_remote, proto_given, duration_given;
};

static int rate_arg(const char *flag, const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 1e9 || s[0] == '-') {
		fprintf(stderr, "socklab load: %s: expected a rate per second > 0, got '%s'\n",
			flag, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int pattern_arg(struct ld_config *cfg, const char *s)
{
	unsigned long long n;
	if (strcmp(s, "whole") == 0) {
		cfg->pattern = LD_WHOLE;
		cfg->pattern_n = 1;
		return 0;
	}
	if (strncmp(s, "split:", 6) == 0) {
		cfg->pattern = LD_SPLIT;
		s += 6;
	} else if (strncmp(s, "burst:", 6) == 0) {
		cfg->pattern = LD_BURST;
		s += 6;
	} else {
		fprintf(stderr, "socklab load: --pattern: expected whole, split:K or burst:N, "
			"got '%s'\n", s);
		return -1;
	}
	if (cli_uint(VERB, "--pattern", s, 1, LD_MAX_PATTERN, &n) < 0)
		return -1;
	cfg->pattern_n = (unsigned)n;
	return 0;
}

/* --file NAME[,NAME...]: appended to the list, comma-separated. */
static int file_arg(struct ld_config *cfg, const char *s)
{
	size_t have = strlen(cfg->files), add = strlen(s);
	if (add == 0) {
		fprintf(stderr, "socklab load: --file: expected a file name\n");
		return -1;
	}
	if (have + (have > 0) + add >= sizeof(cfg->files)) {
		fprintf(stderr, "socklab load: --file: the names add up to more than %zu bytes\n",
			sizeof(cfg->files) - 1);
		return -1;
	}
	if (have)
		cfg->files[have++] = ',';
	memcpy(cfg->files + have, s, add + 1);
	return 0;
}

/* One flag with its value; -1 when it is bad (printed). */
static int one(struct load_opts *o, int c, const char *arg)
{
	struct ld_config *cfg = &o->cfg;
	char err[NET_ERRLEN];
	unsigned long long v;

	switch (c) {
	case OPT_TARGET: o->target = arg; return 0;
	case OPT_PROTO: o->proto = arg; o->proto_given = true; return 0;
	case OPT_CLIENTS:
		if (cli_uint(VERB, "--clients", arg, 1, 1000000, &v) < 0)
			return -1;
		cfg->clients = (unsigned)v;
		return 0;
	case OPT_DURATION:
		o->duration_given = true;
		return cli_duration_ns(VERB, "--duration", arg, &cfg->duration_ns);
	case OPT_REQUESTS:
		if (cli_uint(VERB, "--requests", arg, 1, UINT64_MAX, &v) < 0)
			return -1;
		cfg->requests = v;
		return 0;
	case OPT_RATE: return rate_arg("--rate", arg, &cfg->rate);
	case OPT_CRATE: return rate_arg("--connect-rate", arg, &cfg->connect_rate);
	case OPT_FLOOD: cfg->flood = true; return 0;
	case OPT_SIZE:
		if (pl_size_parse(&cfg->size, arg, LD_MAX_STREAM_MSG, err, sizeof(err)) < 0) {
			fprintf(stderr, "socklab load: --size: %s\n", err);
			return -1;
		}
		return 0;
	case OPT_FRAMING:
		if (net_framing_parse(&cfg->framing, arg, err, sizeof(err)) < 0) {
			fprintf(stderr, "socklab load: --framing: %s\n", err);
			return -1;
		}
		return 0;
	case OPT_PATTERN: return pattern_arg(cfg, arg);
	case OPT_NODELAY: cfg->nodelay = true; return 0;
	case OPT_CORK: cfg->cork = true; return 0;
	case OPT_THINK: return cli_duration_ns(VERB, "--think", arg, &cfg->think_ns);
	case OPT_CPR: cfg->connect_per_request = true; return 0;
	case OPT_TIMEOUT:
		if (cli_duration_ns(VERB, "--timeout", arg, &cfg->timeout_ns) < 0)
			return -1;
		if (cfg->timeout_ns < 1000000) {
			fprintf(stderr, "socklab load: --timeout: at least 1ms\n");
			return -1;
		}
		return 0;
	case OPT_VERIFY:
		if (pl_verify_parse(&cfg->verify, arg) < 0) {
			fprintf(stderr, "socklab load: --verify: expected echo, upper or none, "
				"got '%s'\n", arg);
			return -1;
		}
		return 0;
	case OPT_BATCH:
		if (cli_uint(VERB, "--batch", arg, 1, LD_MAX_BATCH, &v) < 0)
			return -1;
		cfg->batch = (unsigned)v;
		return 0;
	case OPT_THREADS:
		if (cli_uint(VERB, "--threads", arg, 1, LD_MAX_THREADS, &v) < 0)
			return -1;
		cfg->threads = (unsigned)v;
		return 0;
	case OPT_SOURCES:
		if (cli_uint(VERB, "--sources", arg, 1, 250, &v) < 0)
			return -1;
		cfg->sources = (unsigned)v;
		return 0;
	case OPT_SEED:
		if (cli_uint(VERB, "--seed", arg, 0, UINT64_MAX, &v) < 0)
			return -1;
		cfg->seed = v;
		return 0;
	case OPT_APPLOG: o->app_log = arg; cfg->log_capacity = 1u << 20; return 0;
	case OPT_REMOTE: o->allow_remote = true; return 0;
	case OPT_JSON: o->json = true; return 0;
	case OPT_FILE: return file_arg(cfg, arg);
	case OPT_FILE_ROOT:
		if (!arg[0] || strlen(arg) >= sizeof(cfg->file_root)) {
			fprintf(stderr, "socklab load: --file-root: expected a directory of at most "
				"%zu bytes\n", sizeof(cfg->file_root) - 1);
			return -1;
		}
		memcpy(cfg->file_root, arg, strlen(arg) + 1);
		return 0;
	}
	return -1;
}

/* The target, its protocol and the safety rule. */
static int resolve_target(struct load_opts *o)
{
	struct ld_config *cfg = &o->cfg;
	char err[NET_ERRLEN], as[NET_ADDRSTRLEN];
	int rc;

	if (!o->target) {
		fprintf(stderr, "socklab load: --target: required (HOST:PORT or a socket path)\n");
		return -1;
	}
	bool path = strchr(o->target, '/') != NULL;
	if (!o->proto_given)
		o->proto = path ? "unix-stream" : "tcp";
	if (net_proto_parse(o->proto, &cfg->proto) < 0) {
		fprintf(stderr, "socklab load: --proto: '%s' is not one of tcp, udp, "
			"unix-stream, unix-dgram\n", o->proto);
		return -1;
	}
	if (net_proto_is_unix(cfg->proto))
		rc = net_addr_unix(&cfg->target, o->target, err, sizeof(err));
	else
		rc = net_addr_parse_hostport(&cfg->target, o->target, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "socklab load: --target: %s\n", err);
		return -1;
	}
	if (!net_proto_is_unix(cfg->proto) && net_addr_port(&cfg->target) == 0) {
		fprintf(stderr, "socklab load: --target: port 0 cannot be a target\n");
		return -1;
	}
	/* The one exception: the runner's own namespace pair (topology pair),
	 * from inside it, where the address cannot lead off the machine. */
	if (!o->allow_remote && !net_addr_is_loopback(&cfg->target) &&
	    !netns_target_allowed(&cfg->target)) {
		fprintf(stderr, "socklab load: --target: %s is not loopback; socklab only loads "
			"its own host unless --allow-remote is given\n",
			net_addr_str(&cfg->target, as, sizeof(as)));
		return -1;
	}
	return 0;
}

/* Parse argv. Returns 0, 1 for --help, -1 on error (printed). */
static int parse(int argc, char **argv, struct load_opts *o)
{
	char err[NET_ERRLEN];
	memset(o, 0, sizeof(*o));
	ld_config_init(&o->cfg);
	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, ":h", opts, NULL);
		if (c == -1)
			break;
		if (c == 'h') {
			help(stdout);
			return 1;
		}
		if (c == '?' || c == ':') {
			cli_bad_flag(VERB, optopt, argv[optind - 1]);
			return -1;
		}
		if (one(o, c, optarg) < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "socklab load: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (resolve_target(o) < 0)
		return -1;
	if (o->cfg.requests && !o->duration_given)
		o->cfg.duration_ns = 0;   /* --requests alone: run until they are done */
	if (ld_config_check(&o->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "socklab load: %s\n", err);
		return -1;
	}
	return 0;
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

	int rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? CLI_OK : CLI_USAGE;
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
	/* parse() prints its one-line message to stderr, as for the verb. */
	int rc = parse(argc, argv, &o);
	if (rc != 0) {
		snprintf(err, errlen, "invalid client settings (see the message above)");
		return -EINVAL;
	}
	*cfg = o.cfg;
	return 0;
}
