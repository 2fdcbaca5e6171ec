/*
 * harness/scenario/scenario_schema.c — the one table of scenario keys: type, range,
 * default, one line of documentation, an example, and the `socklab serve` or
 * `socklab load` flag each maps to, and the setter of its field in a case's
 * typed settings (scenario_settings.c). The loader validates against it, the
 * argv helpers read the flags from it, the runner's settings come from its
 * setters, and docs/scenarios.md is generated
 * from it (scn_schema_markdown), so a key exists in exactly one place.
 * Also the metrics that thresholds may name.
 */
#include "harness/scenario/scenario_int.h"
#include "clients/engine.h"
#include "clients/payload.h"
#include "harness/relay/relay.h"
#include "net/framing.h"
#include "servers/handler.h"
#include "servers/model.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NOLIMIT 0, 0
#define KIB 1024.0
#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * 1024.0 * 1024.0)

int scn_check_model(const char *v, char *msg, size_t len)
{
	if (srv_model_find(v, SRV_STREAM) || srv_model_find(v, SRV_DGRAM))
		return 0;
	size_t n = (size_t)snprintf(msg, len, "unknown model '%.32s' (one of: ", v);
	const char *sep = "";
	for (const struct srv_model_ops *const *m = srv_models; *m && n < len; m++) {
		bool dup = false;
		for (const struct srv_model_ops *const *p = srv_models; p < m; p++)
			dup |= strcmp((*p)->name, (*m)->name) == 0;
		if (!dup) {
			n += (size_t)snprintf(msg + n, len - n, "%s%s", sep, (*m)->name);
			sep = ", ";
		}
	}
	if (n < len)
		snprintf(msg + n, len - n, ")");
	return -EINVAL;
}

int scn_check_handler(const char *v, char *msg, size_t len)
{
	struct srv_handler_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	return srv_handler_parse(&cfg, v, msg, len) < 0 ? -EINVAL : 0;
}

static int check_framing(const char *v, char *msg, size_t len)
{
	struct net_framing f = {0};
	return net_framing_parse(&f, v, msg, len) < 0 ? -EINVAL : 0;
}

static int check_nonempty(const char *v, char *msg, size_t len)
{
	if (v[0])
		return 0;
	snprintf(msg, len, "must not be empty");
	return -EINVAL;
}

/* clients.size: N, uniform:A-B, exp:MEAN — parsed by the client engine's
 * own parser, so the scenario accepts exactly what `socklab load --size` does. */
static int check_size_dist(const char *v, char *msg, size_t len)
{
	struct pl_size ps;
	return pl_size_parse(&ps, v, LD_MAX_STREAM_MSG, msg, len) < 0 ? -EINVAL : 0;
}

/* clients.file: NAME or NAME,NAME,... — no empty names, no newlines. */
static int check_file_list(const char *v, char *msg, size_t len)
{
	size_t n = strlen(v);
	if (n == 0 || v[0] == ',' || v[n - 1] == ',' || strstr(v, ",,") || strpbrk(v, "\r\n")) {
		snprintf(msg, len, "expected a file name or a comma list of names, got '%.64s'", v);
		return -EINVAL;
	}
	if (n >= LD_FILES_MAX) {
		snprintf(msg, len, "the names add up to more than %d bytes", LD_FILES_MAX - 1);
		return -EINVAL;
	}
	return 0;
}

/* clients.pattern: whole, split:K, burst:N. */
static int check_pattern(const char *v, char *msg, size_t len)
{
	unsigned long long k;
	if (strcmp(v, "whole") == 0)
		return 0;
	if ((strncmp(v, "split:", 6) == 0 || strncmp(v, "burst:", 6) == 0) &&
	    scn_parse_uint(v + 6, &k) == 0 && k >= 1 && k <= LD_MAX_PATTERN)
		return 0;
	snprintf(msg, len, "expected whole, split:K or burst:N (K, N from 1 to %d), got '%.64s'",
		 LD_MAX_PATTERN, v);
	return -EINVAL;
}

/* relay.*: the relay's own parsers, so a scenario accepts exactly what
 * `socklab relay` does. */
static int check_prob(const char *v, char *msg, size_t len)
{
	double p;
	return rly_prob_parse(v, &p, msg, len) < 0 ? -EINVAL : 0;
}

static int check_delay(const char *v, char *msg, size_t len)
{
	uint64_t d, j;
	return rly_delay_parse(v, &d, &j, msg, len) < 0 ? -EINVAL : 0;
}

static int check_rate(const char *v, char *msg, size_t len)
{
	uint64_t b;
	return rly_rate_parse(v, &b, msg, len) < 0 ? -EINVAL : 0;
}

static int check_chunk(const char *v, char *msg, size_t len)
{
	struct rly_chunk_spec c;
	return rly_chunk_parse(&c, v, msg, len) < 0 ? -EINVAL : 0;
}

static int check_stall(const char *v, char *msg, size_t len)
{
	uint64_t ns, at;
	return rly_stall_parse(v, &ns, &at, msg, len) < 0 ? -EINVAL : 0;
}

/* link.rate and link.loss: the relay's parsers, so both accept the same. */
static int check_link_rate(const char *v, char *msg, size_t len)
{
	uint64_t bps;
	return rly_rate_parse(v, &bps, msg, len) < 0 ? -EINVAL : 0;
}

static int check_link_loss(const char *v, char *msg, size_t len)
{
	double p;
	return rly_prob_parse(v, &p, msg, len) < 0 ? -EINVAL : 0;
}

const struct scn_key scn_schema[] = {
	/* top level */
	{"name", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "name of the scenario in reports (default: the file name without .yaml)",
	 NULL, "sticky-nagle", check_nonempty, NULL},
	{"description", SCN_T_STRING, NULL, NOLIMIT, "",
	 "what the scenario shows, one paragraph, kept with the run", NULL,
	 "Echo across the six stream models", NULL, NULL},
	{"server", SCN_T_MAP, NULL, NOLIMIT, NULL,
	 "a built-in server the runner starts for each case (exactly one of server and target)",
	 "serve", "{proto: tcp, model: thread, handler: echo}", NULL, NULL},
	{"server.proto", SCN_T_ENUM, "tcp|udp|unix-stream|unix-dgram", NOLIMIT, "tcp",
	 "transport; the clients use the same", "serve --proto", "udp", NULL, scn_set_proto},
	{"server.model", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "concurrency model; must fit the proto (default: thread for streams, iterative for datagrams)",
	 "serve --model", "[thread, epoll]", scn_check_model, NULL},
	{"server.handler", SCN_T_STRING, NULL, NOLIMIT, "echo",
	 "what the server does with each request", "serve --handler", "sleep:10",
	 scn_check_handler, NULL},
	{"server.bind", SCN_T_STRING, NULL, NOLIMIT, "127.0.0.1",
	 "address to bind (tcp, udp); loopback unless you mean it", "serve --bind", "::1",
	 check_nonempty, NULL},
	{"server.port", SCN_T_INT, NULL, 0, 65535, "0",
	 "port (tcp, udp); 0 picks a free one and the runner reads it back", "serve --port",
	 "9000", NULL, NULL},
	{"server.path", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "socket file, required for unix-stream and unix-dgram", "serve --path",
	 "/tmp/socklab.sock", check_nonempty, NULL},
	{"server.workers", SCN_T_INT, NULL, 1, 64, NULL,
	 "threads, processes or loops for prefork, pool, epoll, reuseport, batch (default: the model's)",
	 "serve --workers", "4", NULL, NULL},
	{"server.max_conns", SCN_T_INT, NULL, 1, 10000000, NULL,
	 "refuse connections beyond this many open (datagram thread/fork: requests in flight)",
	 "serve --max-conns", "1000", NULL, NULL},
	{"server.framing", SCN_T_STRING, NULL, NOLIMIT, "length",
	 "framed handler: length (u32 big-endian), delim (newline) or delim:C",
	 "serve --framing", "delim", check_framing, NULL},
	{"server.max_msg", SCN_T_SIZE, NULL, 1, 4 * GIB - 1, "1m",
	 "framed and file handlers: largest message accepted; larger is refused, never allocated."
	 " Datagram servers: largest datagram read whole (at most 64k); a longer one is"
	 " truncated (MSG_TRUNC), counted and dropped",
	 "serve --max-msg", "64k", NULL, NULL},
	{"server.root", SCN_T_PATH, NULL, NOLIMIT, ".",
	 "file handler: directory served", "serve --root", "/srv/files", check_nonempty, NULL},
	{"server.chunk", SCN_T_SIZE, NULL, 1, 64 * MIB, "64k",
	 "source handler: bytes per write", "serve --chunk", "16k", NULL, NULL},
	{"server.rcvbuf", SCN_T_SIZE, NULL, 1, GIB, NULL,
	 "SO_RCVBUF of the server socket (default: the kernel's)", "serve --rcvbuf", "4k", NULL, NULL},
	{"server.sndbuf", SCN_T_SIZE, NULL, 1, GIB, NULL,
	 "SO_SNDBUF of the server socket (default: the kernel's)", "serve --sndbuf", "256k", NULL, NULL},
	{"server.backlog", SCN_T_INT, NULL, 1, 1000000, NULL,
	 "listen() backlog (default: SOMAXCONN)", "serve --backlog", "4096", NULL, NULL},
	{"server.poll_interval", SCN_T_DURATION, NULL, 0.001, 60, "500ms",
	 "how often the server does its housekeeping", "serve --poll-interval", "100ms", NULL, NULL},
	{"server.nodelay", SCN_T_BOOL, NULL, NOLIMIT, "false",
	 "TCP_NODELAY on the server's connections (replies of several writes do not wait "
	 "for the client's delayed ACK)", "serve --nodelay", "true", NULL, NULL},
	{"server.read_delay", SCN_T_DURATION, NULL, 0, 60, NULL,
	 "streams: the late reader; after accept the server waits this long before its first "
	 "recv, so the client's sends pile up in the receive queue (default: none)",
	 "serve --read-delay", "[0s, 50ms]", NULL, NULL},
	{"server.recv_size", SCN_T_SIZE, NULL, 1, 16 * 1048576.0, NULL,
	 "streams: bytes the server asks of each recv (default 16k; epoll 64k; the seeds "
	 "use recv(1024))", "serve --recv-size", "1024", NULL, NULL},
	{"server.sample_queues", SCN_T_DURATION, NULL, 0.0001, 60, NULL,
	 "streams: sample SIOCINQ, SIOCOUTQ and TCP_INFO of each connection this often during "
	 "the read delay and before every recv, into the store's sock_samples (default: off)",
	 "serve --sample-queues", "5ms", NULL, scn_set_sample_queues},
	{"server.reuseaddr", SCN_T_BOOL, NULL, NOLIMIT, "true",
	 "set SO_REUSEADDR on the listening socket", "serve --no-reuseaddr (when false)",
	 "false", NULL, NULL},

	{"target", SCN_T_MAP, NULL, NOLIMIT, NULL,
	 "a server someone else started (exactly one of server and target)", NULL,
	 "{address: 127.0.0.1:9000, proto: tcp}", NULL, NULL},
	{"target.address", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "HOST:PORT, [V6]:PORT, or a socket path for unix protos (required)",
	 "load --target", "127.0.0.1:9000", check_nonempty, scn_set_target},
	{"target.proto", SCN_T_ENUM, "tcp|udp|unix-stream|unix-dgram", NOLIMIT, "tcp",
	 "transport of the target", "load --proto", "udp", NULL, scn_set_proto},

	{"relay", SCN_T_MAP, NULL, NOLIMIT, NULL,
	 "an impairment relay (`socklab relay`) the runner starts between the clients and the "
	 "server (or target), seeded: same seed, same decisions; its counters are stored as "
	 "relay.* metrics", "relay", "{loss: 5%, dup: 1%, seed: 7}", NULL, NULL},
	{"relay.loss", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "udp: probability that a datagram is dropped (0..1 or 5%)", "relay --loss", "5%",
	 check_prob, NULL},
	{"relay.dup", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "udp: probability that a datagram is sent twice", "relay --dup", "0.01", check_prob, NULL},
	{"relay.reorder", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "udp: probability that a datagram is held back behind the next one", "relay --reorder",
	 "2%", check_prob, NULL},
	{"relay.delay", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "DELAY or DELAY+-JITTER, each with a unit (20ms+-5ms): udp: delay per datagram; tcp: bytes leave that long after they "
	 "came (a delay line on the stream, order kept)",
	 "relay --delay", "\"20ms+-5ms\"", check_delay, NULL},
	{"relay.rate", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "bit rate with a unit (800kbit, 10mbit): udp: rate limit with a bounded queue (tail drop); tcp: token "
	 "bucket on the byte stream, reading stops while its buffer is full", "relay --rate",
	 "10mbit", check_rate, NULL},
	{"relay.queue", SCN_T_SIZE, NULL, 1, GIB, "64k",
	 "udp: the rate queue's bound in bytes", "relay --queue", "16k", NULL, NULL},
	{"relay.rcvbuf", SCN_T_SIZE, NULL, 1, GIB, NULL,
	 "udp: SO_RCVBUF of the relay's client-facing socket (default: the kernel's); its "
	 "drops are counted (relay.rcvbuf_dropped) and are a term of the UDP accounting",
	 "relay --rcvbuf", "4k", NULL, NULL},
	{"relay.chunk", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "tcp: client->server write sizes, cycled (1,3,7) or random:A-B, with TCP_NODELAY: "
	 "the server sees messages cut and merged", "relay --chunk", "random:1-16", check_chunk, NULL},
	{"relay.reset_after", SCN_T_INT, NULL, 1, 1e15, NULL,
	 "tcp: reset (RST) each connection after this many client bytes", "relay --reset-after",
	 "100000", NULL, NULL},
	{"relay.stall", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "tcp: DURATION@BYTES: pause client->server that long once BYTES bytes are through",
	 "relay --stall", "500ms@1000", check_stall, NULL},
	{"relay.both", SCN_T_BOOL, NULL, NOLIMIT, "false",
	 "impair server->client too (default: client->server only)", "relay --both", "true", NULL, NULL},
	{"relay.seed", SCN_T_INT, NULL, 0, 1e15, "1",
	 "seed of every decision (list several to repeat with other draws)", "relay --seed",
	 "[1, 2, 3]", NULL, NULL},

	{"clients", SCN_T_MAP, NULL, NOLIMIT, NULL,
	 "the simulated clients: everything `socklab load` takes", "load",
	 "{count: [1, 10, 100], duration: 5s}", NULL, NULL},
	{"clients.count", SCN_T_INT, NULL, 1, 1000000, "1",
	 "simulated clients (connections, or UDP sockets)", "load --clients", "[1, 10, 100]", NULL, scn_set_clients},
	{"clients.duration", SCN_T_DURATION, NULL, 0.001, 86400, "10s",
	 "measured phase length (default 10s, none when requests is given)", "load --duration",
	 "5s", NULL, scn_set_duration},
	{"clients.requests", SCN_T_INT, NULL, 1, 1e15, NULL,
	 "stop after this many requests in total instead of after a duration", "load --requests",
	 "10000", NULL, scn_set_requests},
	{"clients.rate", SCN_T_FLOAT, NULL, 0.001, 1e9, NULL,
	 "open loop: aggregate requests per second, latency from the intended send time "
	 "(default: closed loop)", "load --rate", "5000", NULL, scn_set_rate},
	{"clients.flood", SCN_T_BOOL, NULL, NOLIMIT, "false",
	 "udp/unix-dgram: send datagrams as fast as the socket takes them", "load --flood",
	 "true", NULL, scn_set_flood},
	{"clients.size", SCN_T_STRING, NULL, NOLIMIT, "64",
	 "payload bytes per request: N, uniform:A-B or exp:MEAN", "load --size", "uniform:64-4k",
	 check_size_dist, scn_set_size},
	{"clients.framing", SCN_T_ENUM, "none|length|delim", NOLIMIT, "none",
	 "message framing the clients write and expect back", "load --framing", "length", NULL, scn_set_framing},
	{"clients.pattern", SCN_T_STRING, NULL, NOLIMIT, "whole",
	 "how one message is written: whole, split:K (K writes) or burst:N (N messages back to back)",
	 "load --pattern", "split:3", check_pattern, scn_set_pattern},
	{"clients.nodelay", SCN_T_BOOL, NULL, NOLIMIT, "false",
	 "TCP_NODELAY on the client sockets (Nagle off)", "load --nodelay", "[false, true]", NULL, scn_set_nodelay},
	{"clients.cork", SCN_T_BOOL, NULL, NOLIMIT, "false",
	 "TCP_CORK around each message's writes", "load --cork", "true", NULL, scn_set_cork},
	{"clients.think", SCN_T_DURATION, NULL, 0, 3600, NULL,
	 "closed loop: pause between a reply and the next request (default: none)", "load --think",
	 "10ms", NULL, scn_set_think},
	{"clients.connect_per_request", SCN_T_BOOL, NULL, NOLIMIT, "false",
	 "open a new connection for every request", "load --connect-per-request", "true", NULL, scn_set_per_request},
	{"clients.file", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "fetch files from a `handler: file` server instead of echoing: one name or a comma "
	 "list the clients cycle through; every reply is checked (size and CRC-32C) against "
	 "the copy under clients.file_root; a name the server refuses counts as errors.notfound",
	 "load --file", "1k.txt,64k.txt", check_file_list, scn_set_file},
	{"clients.file_root", SCN_T_PATH, NULL, NOLIMIT, ".",
	 "directory holding the client's copies of clients.file", "load --file-root",
	 "files", check_nonempty, scn_set_file_root},
	{"clients.threads", SCN_T_INT, NULL, 1, 1024, NULL,
	 "client engine threads (default: socklab load's choice)", "load --threads", "4", NULL, scn_set_threads},

	{"warmup", SCN_T_DURATION, NULL, 0, 3600, "0s",
	 "load run before each measured phase and not recorded", NULL, "2s", NULL, NULL},
	{"duration", SCN_T_DURATION, NULL, 0.001, 86400, NULL,
	 "shorthand for clients.duration (give one of the two)", "load --duration", "30s", NULL, scn_set_duration},
	{"repeat", SCN_T_INT, NULL, 1, 1000, "1",
	 "run the whole matrix this many times, one pass after the other (so a machine's drift shows as noise between repeats, not as a difference between cases), to estimate the noise", NULL, "3", NULL, NULL},
	{"thresholds", SCN_T_LIST, NULL, NOLIMIT, NULL,
	 "pass/fail expressions METRIC OP NUMBER checked per case; a failure makes `socklab run` exit 1",
	 NULL, "[\"p99_us < 2000\", \"errors == 0\"]", NULL, NULL},

	{"capture", SCN_T_MAP, NULL, NOLIMIT, NULL,
	 "packet capture with libpcap on lo around the measured phase, stored with the case "
	 "(needs root or CAP_NET_RAW; without, the case records capture_status unavailable)",
	 NULL, "{enabled: true, snaplen: 256}", NULL, NULL},
	{"capture.enabled", SCN_T_BOOL, NULL, NOLIMIT, "false",
	 "capture the case's packets", NULL, "true", NULL, NULL},
	{"capture.pcap", SCN_T_PATH, NULL, NOLIMIT, NULL,
	 "directory to save one .pcap per case in, as DIR/run-R-case-N.pcap (R the run id,"
	 " N the case index; default: none saved)", NULL, "captures/",
	 check_nonempty, NULL},
	{"capture.snaplen", SCN_T_INT, NULL, 64, 262144, "256",
	 "bytes kept per packet; small keeps the capture ring from dropping on lo", NULL, "256",
	 NULL, NULL},

	{"topology", SCN_T_ENUM, "loopback|pair", NOLIMIT, NULL,
	 "where clients and server meet: loopback (default), or pair: two network namespaces "
	 "joined by a veth link, client 198.18.0.1, server 198.18.0.2 (needs root; without, "
	 "the case is recorded as skipped); see docs/namespaces.md", NULL, "pair", NULL, scn_set_topology},
	{"link", SCN_T_MAP, NULL, NOLIMIT, NULL,
	 "the veth link of topology pair: tc tbf for rate, nftables for loss; no delay "
	 "(there is no netem here; use a relay for delay)", NULL, "{rate: 10mbit, loss: 5%}", NULL, NULL},
	{"link.rate", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "rate of the link in bits/s, each direction, by tc tbf; written as the relay's rate, "
	 "e.g. 10mbit (default: not shaped)", NULL,
	 "[10mbit, 50mbit]", check_link_rate, scn_set_link_rate},
	{"link.loss", SCN_T_STRING, NULL, NOLIMIT, NULL,
	 "probability that a packet from the client to the server is dropped (nftables "
	 "numgen on the server's input hook): 0.05 or 5%", NULL, "5%", check_link_loss, scn_set_link_loss},
	{"link.burst", SCN_T_SIZE, NULL, 1536, 64 * MIB, NULL,
	 "tbf bucket in bytes (default: 10 ms at the rate, at least 16k)", NULL, "32k", NULL, scn_set_link_burst},
	{NULL, 0, NULL, NOLIMIT, NULL, NULL, NULL, NULL, NULL, NULL},
};

const struct scn_metric_info scn_metrics[SCN_M_COUNT] = {
	[SCN_M_REQUESTS] = {"requests", "requests sent (messages; UDP: datagrams); replies are stored as `replies`"},
	[SCN_M_ERRORS] = {"errors", "requests that failed: refused, reset, timed out, wrong reply"},
	[SCN_M_ERROR_PCT] = {"error_pct", "errors as a percentage of requests attempted"},
	[SCN_M_THROUGHPUT_RPS] = {"throughput_rps", "completed requests per second"},
	[SCN_M_THROUGHPUT_MBPS] = {"throughput_mbps", "payload megabits per second, both directions"},
	[SCN_M_MEAN_US] = {"mean_us", "mean latency, microseconds"},
	[SCN_M_P50_US] = {"p50_us", "median latency, microseconds"},
	[SCN_M_P90_US] = {"p90_us", "90th percentile latency, microseconds"},
	[SCN_M_P99_US] = {"p99_us", "99th percentile latency, microseconds"},
	[SCN_M_P999_US] = {"p999_us", "99.9th percentile latency, microseconds"},
	[SCN_M_MAX_US] = {"max_us", "largest latency, microseconds"},
	[SCN_M_LOSS_PCT] = {"loss_pct", "UDP: datagrams sent and never answered, percent"},
	[SCN_M_DUPS] = {"dups", "UDP: duplicate replies"},
	[SCN_M_REORDERED] = {"reordered", "UDP: replies that arrived out of order"},
	[SCN_M_CONNECT_ERRORS] = {"connect_errors", "connections that could not be opened"},
	[SCN_M_TIMEOUTS] = {"timeouts", "requests that got no reply in time"},
};

const struct scn_key *scn_schema_find(const char *path)
{
	for (const struct scn_key *k = scn_schema; k->path; k++)
		if (strcmp(k->path, path) == 0)
			return k;
	return NULL;
}
