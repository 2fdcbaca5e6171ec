/*
 * harness/scenario/scenario_settings.c — a case's parameters, parsed once
 * into typed settings (struct scn_settings): the clients' struct ld_config
 * for the warmup and the measured phase, the namespace pair and its link.
 * Each schema row names its setter (scn_key.set), so one row knows how to
 * set its field; this file holds the setters and the walk. The values were
 * normalised by the loader; the setters parse them with the loader's own
 * parsers (scenario_value.c) and the tools' (pl_size_parse,
 * net_framing_parse, rly_rate_parse, ...). The loader resolves every case
 * once (scenario_expand.c) so that a bad combination is a FILE:LINE:COL
 * error at load time; the runner resolves it again for the run.
 */
#include "harness/scenario/scenario_int.h"
#include "harness/relay/relay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int bad(char *msg, size_t len, const char *what, const char *v)
{
	snprintf(msg, len, "expected %s, got '%.64s'", what, v);
	return -EINVAL;
}

static int uint_in(const char *v, unsigned long long lo, unsigned long long hi,
		   unsigned long long *out, char *msg, size_t len)
{
	if (scn_parse_uint(v, out) < 0)
		return bad(msg, len, "a whole number", v);
	if (*out < lo || *out > hi) {
		snprintf(msg, len, "expected %llu to %llu, got %.64s", lo, hi, v);
		return -EINVAL;
	}
	return 0;
}

static int bool_of(const char *v, bool *out, char *msg, size_t len)
{
	return scn_parse_bool(v, out) < 0 ? bad(msg, len, "true or false", v) : 0;
}

static int text_into(char *dst, size_t cap, const char *v, char *msg, size_t len)
{
	size_t n = strlen(v);
	if (n >= cap) {
		snprintf(msg, len, "at most %zu bytes", cap - 1);
		return -EINVAL;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

/* ---- the setters, in scn_schema[] order ---- */

int scn_set_proto(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	return net_proto_parse(v, &st->load.proto) < 0
	       ? bad(msg, len, "tcp, udp, unix-stream or unix-dgram", v) : 0;
}

int scn_set_sample_queues(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	uint64_t ns;
	if (scn_parse_duration_ns(v, &ns) < 0)
		return bad(msg, len, "a duration", v);
	st->sample_queues = true;
	return 0;
}

int scn_set_target(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	(void)msg;
	(void)len;
	st->target = v;   /* parsed per proto once the proto is known */
	return 0;
}

int scn_set_clients(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	unsigned long long n;
	int rc = uint_in(v, 1, 1000000, &n, msg, len);
	st->load.clients = (unsigned)n;
	return rc;
}

int scn_set_duration(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	st->duration_given = true;
	return scn_parse_duration_ns(v, &st->load.duration_ns) < 0
	       ? bad(msg, len, "a duration like 10s, 200ms", v) : 0;
}

int scn_set_requests(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	unsigned long long n;
	int rc = uint_in(v, 1, UINT64_MAX, &n, msg, len);
	st->load.requests = n;
	return rc;
}

int scn_set_rate(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	double r;
	if (scn_parse_float(v, &r) < 0 || !(r > 0) || r > 1e9)
		return bad(msg, len, "a rate per second > 0", v);
	st->load.rate = r;
	return 0;
}

int scn_set_flood(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	return bool_of(v, &st->load.flood, msg, len);
}

int scn_set_size(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	return pl_size_parse(&st->load.size, v, LD_MAX_STREAM_MSG, msg, len) < 0 ? -EINVAL : 0;
}

int scn_set_framing(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	return net_framing_parse(&st->load.framing, v, msg, len) < 0 ? -EINVAL : 0;
}

int scn_set_pattern(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	unsigned long long k;
	struct ld_config *cfg = &st->load;
	if (strcmp(v, "whole") == 0) {
		cfg->pattern = LD_WHOLE;
		cfg->pattern_n = 1;
		return 0;
	}
	if (strncmp(v, "split:", 6) == 0)
		cfg->pattern = LD_SPLIT;
	else if (strncmp(v, "burst:", 6) == 0)
		cfg->pattern = LD_BURST;
	else
		return bad(msg, len, "whole, split:K or burst:N", v);
	int rc = uint_in(v + 6, 1, LD_MAX_PATTERN, &k, msg, len);
	cfg->pattern_n = (unsigned)k;
	return rc;
}

int scn_set_nodelay(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	return bool_of(v, &st->load.nodelay, msg, len);
}

int scn_set_cork(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	return bool_of(v, &st->load.cork, msg, len);
}

int scn_set_think(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	return scn_parse_duration_ns(v, &st->load.think_ns) < 0
	       ? bad(msg, len, "a duration like 10ms", v) : 0;
}

int scn_set_per_request(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	return bool_of(v, &st->load.connect_per_request, msg, len);
}

int scn_set_file(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	return text_into(st->load.files, sizeof(st->load.files), v, msg, len);
}

int scn_set_file_root(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	if (!v[0])
		return bad(msg, len, "a directory", v);
	return text_into(st->load.file_root, sizeof(st->load.file_root), v, msg, len);
}

int scn_set_threads(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	unsigned long long n;
	int rc = uint_in(v, 1, LD_MAX_THREADS, &n, msg, len);
	st->load.threads = (unsigned)n;
	return rc;
}

int scn_set_topology(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	if (strcmp(v, "pair") != 0 && strcmp(v, "loopback") != 0)
		return bad(msg, len, "loopback or pair", v);
	st->pair = strcmp(v, "pair") == 0;
	return 0;
}

int scn_set_link_rate(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	st->link_rate = true;
	return rly_rate_parse(v, &st->link.rate_bps, msg, len) < 0 ? -EINVAL : 0;
}

int scn_set_link_loss(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	st->link_loss = true;
	return rly_prob_parse(v, &st->link.loss, msg, len) < 0 ? -EINVAL : 0;
}

int scn_set_link_burst(struct scn_settings *st, const char *v, char *msg, size_t len)
{
	return scn_parse_size(v, &st->link.burst_bytes) < 0 ? bad(msg, len, "a size", v) : 0;
}

/* ---- the walk ---- */

/* "--nodelay" -> "clients.nodelay": the key whose row maps to `load FLAG`. */
static const char *key_of_flag(const char *flag, size_t n)
{
	for (const struct scn_key *k = scn_schema; k->path; k++) {
		const char *f = k->flag;
		if (f && strncmp(f, "load ", 5) == 0 && strncmp(f + 5, flag, n) == 0 &&
		    (f[5 + n] == '\0' || f[5 + n] == ' '))
			return k->path;
	}
	return NULL;
}

/* ld_config_check speaks in flags ("--flood: not with --rate"): the same
 * text in scenario keys ("clients.flood: not with clients.rate"). */
static void flags_to_keys(const char *in, char *out, size_t len)
{
	size_t o = 0;
	while (*in && o + 1 < len) {
		size_t n = in[0] == '-' && in[1] == '-' ? 2 + strspn(in + 2,
				"abcdefghijklmnopqrstuvwxyz-") : 0;
		const char *key = n > 2 ? key_of_flag(in, n) : NULL;
		if (key) {
			o += (size_t)snprintf(out + o, len - o, "%s", key);
			in += n;
		} else {
			out[o++] = *in++;
		}
	}
	out[o < len ? o : len - 1] = '\0';
}

/* ld_config_check of cfg, its message in keys: 0 or -EINVAL with "KEY: msg". */
static int check_cfg(const struct ld_config *cfg, char *msg, size_t len)
{
	char e[256];
	if (ld_config_check(cfg, e, sizeof(e)) == 0)
		return 0;
	flags_to_keys(e, msg, len);
	return -EINVAL;
}

static int set_params(const struct scn *s, const struct scn_case *c, struct scn_settings *st,
		      struct scn_error *err)
{
	char msg[256];
	for (size_t i = 0; i < c->nparams; i++) {
		const struct scn_param *p = &c->params[i];
		const struct scn_key *k = scn_schema_find(p->key);
		/* Defaults are the engine's own, as on the command line. */
		if (!p->line || !k || !k->set)
			continue;
		if (k->set(st, p->value, msg, sizeof(msg)) < 0)
			return scn_fail(err, s->file, p->line, p->col, p->key, "%s", msg);
	}
	return 0;
}

/* A target scenario's address: parsed for its proto, loopback only. */
static int own_target(const struct scn *s, const struct scn_case *c, struct scn_settings *st,
		      struct scn_error *err)
{
	char e[NET_ERRLEN];
	const struct scn_param *p = scn_case_param(c, "target.address");
	struct ld_config *cfg = &st->load;
	int line = p && p->line ? p->line : 1, col = p && p->line ? p->col : 1;
	if (!st->target)
		return 0;
	int rc = net_proto_is_unix(cfg->proto)
		 ? net_addr_unix(&cfg->target, st->target, e, sizeof(e))
		 : net_addr_parse_hostport(&cfg->target, st->target, e, sizeof(e));
	if (rc < 0)
		return scn_fail(err, s->file, line, col, "target.address", "%s", e);
	if (!net_proto_is_unix(cfg->proto) && !net_addr_is_loopback(&cfg->target))
		return scn_fail(err, s->file, line, col, "target.address",
				"%.64s is not loopback; socklab only loads its own host", st->target);
	return 0;
}

int scn_case_settings(const struct scn *s, const struct scn_case *c, struct scn_settings *st,
		      struct scn_error *err)
{
	memset(st, 0, sizeof(*st));
	ld_config_init(&st->load);
	int rc = set_params(s, c, st, err);
	if (rc < 0)
		return rc;
	if (st->load.requests && !st->duration_given)
		st->load.duration_ns = 0;   /* requests alone: run until they are done */
	st->warmup.duration_ns = s->warmup_ns;
	st->server_app_log = s->has_server && st->load.proto == NET_TCP &&
			     (s->capture.enabled || st->sample_queues);
	return own_target(s, c, st, err);
}

int scn_settings_target(struct scn_settings *st, const char *addr, char *err, size_t errlen)
{
	char e[NET_ERRLEN];
	struct ld_config *cfg = &st->load;
	int rc = net_proto_is_unix(cfg->proto)
		 ? net_addr_unix(&cfg->target, addr, e, sizeof(e))
		 : net_addr_parse_hostport(&cfg->target, addr, e, sizeof(e));
	if (rc < 0) {
		snprintf(err, errlen, "target.address: %s", e);
		return -EINVAL;
	}
	if (!net_proto_is_unix(cfg->proto) && net_addr_port(&cfg->target) == 0) {
		snprintf(err, errlen, "target.address: port 0 cannot be a target");
		return -EINVAL;
	}
	if (check_cfg(cfg, err, errlen) < 0)
		return -EINVAL;
	uint64_t warm_ns = st->warmup.duration_ns;
	st->warmup = *cfg;
	st->warmup.duration_ns = warm_ns;
	st->warmup.requests = 0;
	return 0;
}
