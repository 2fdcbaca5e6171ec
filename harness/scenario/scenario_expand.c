/*
 * harness/scenario/scenario_expand.c — the matrix: the slots a scenario declared
 * (one per key of server, target and clients, in the order written) become
 * the cartesian product of cases, the first-declared slot varying slowest.
 * Each case lists its parameters in scn_schema[] order, defaults included,
 * and is then checked as a whole: a model must exist for the case's proto,
 * a stream-only handler needs a stream proto, a Unix socket needs a path, a
 * target's address must parse for its proto.
 */
#include "harness/scenario/scenario_int.h"
#include "net/addr.h"
#include "servers/handler.h"
#include "servers/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool in_section(const struct scn_key *k, const struct scn *s)
{
	bool has_server = s->has_server;
	if (strncmp(k->path, "relay.", 6) == 0)
		return s->has_relay;
	/* topology and link: every case carries them (checked in check_link). */
	if (strncmp(k->path, "link.", 5) == 0 || strcmp(k->path, "topology") == 0)
		return true;
	if (strncmp(k->path, "clients.", 8) == 0)
		return true;
	if (strncmp(k->path, "server.", 7) == 0)
		return has_server;
	if (strncmp(k->path, "target.", 7) == 0)
		return !has_server;
	return false;
}

static int count_cases(struct scn *s, const char *file, struct scn_error *err)
{
	struct scn_store *st = s->priv;
	size_t n = 1;
	for (size_t i = 0; i < st->nslots; i++) {
		struct scn_slot *sl = &st->slots[i];
		if (n * sl->n > SCN_MAX_CASES)
			return scn_fail(err, file, sl->line, sl->col, sl->key->path,
					"the matrix reaches %zu cases here, more than %d",
					n * sl->n, SCN_MAX_CASES);
		n *= sl->n;
	}
	s->ncases = n;
	return 0;
}

static int set_vary(struct scn *s)
{
	struct scn_store *st = s->priv;
	s->vary = calloc(st->nslots ? st->nslots : 1, sizeof(*s->vary));
	if (!s->vary)
		return -ENOMEM;
	for (size_t i = 0; i < st->nslots; i++)
		if (st->slots[i].is_list && st->slots[i].n > 1)
			s->vary[s->nvary++] = st->slots[i].key->path;
	return 0;
}

static const struct scn_param *find(const struct scn_param *p, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return &p[i];
	return NULL;
}

/* A default that depends on other keys; NULL when the key stays unset. */
static const char *computed_default(const struct scn_key *k, const struct scn_param *p,
				    size_t np, const int *slot_of)
{
	if (strcmp(k->path, "server.model") == 0) {
		const struct scn_param *pr = find(p, np, "server.proto");
		enum net_proto proto = NET_TCP;
		if (pr)
			net_proto_parse(pr->value, &proto);
		return net_proto_is_stream(proto) ? "thread" : "iterative";
	}
	if (strcmp(k->path, "clients.duration") == 0) {
		/* --requests alone bounds the run; a default duration would cut it. */
		const struct scn_key *rq = scn_schema_find("clients.requests");
		return slot_of[rq - scn_schema] >= 0 ? NULL : k->def;
	}
	return k->def;
}

/* Fill case idx's parameters; choice has one entry per slot. */
static void build_case(struct scn *s, size_t idx, struct scn_case *c, size_t *choice,
		       const int *slot_of)
{
	struct scn_store *st = s->priv;
	size_t r = idx;
	for (size_t j = st->nslots; j-- > 0;) {
		choice[j] = r % st->slots[j].n;
		r /= st->slots[j].n;
	}
	c->index = idx;
	c->nparams = 0;
	for (const struct scn_key *k = scn_schema; k->path; k++) {
		if (!in_section(k, s))
			continue;
		int sl = slot_of[k - scn_schema];
		struct scn_param *p = &c->params[c->nparams];
		if (sl >= 0) {
			*p = st->slots[sl].vals[choice[sl]];
			p->key = k->path;
		} else {
			const char *def = computed_default(k, c->params, c->nparams, slot_of);
			if (!def)
				continue;
			*p = (struct scn_param){k->path, def, 0, 0};
		}
		c->nparams++;
	}
}

/* Fail at p's node, or at the top of the file for a default. */
static int param_fail(const char *file, struct scn_error *err, const struct scn_param *p,
		      const char *msg)
{
	return scn_fail(err, file, p->line ? p->line : 1, p->line ? p->col : 1, p->key,
			"%s", msg);
}

static void model_list(enum srv_kind kind, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (const struct srv_model_ops *const *m = srv_models; *m && n < len; m++)
		if ((*m)->kind == kind)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", (*m)->name);
}

static int check_server(const struct scn_case *c, const char *file, struct scn_error *err)
{
	const struct scn_param *pr = scn_case_param(c, "server.proto");
	const struct scn_param *pm = scn_case_param(c, "server.model");
	const struct scn_param *ph = scn_case_param(c, "server.handler");
	char msg[512], names[256];
	enum net_proto proto;

	if (!pr || !pm || !ph || net_proto_parse(pr->value, &proto) < 0)
		return -EINVAL;
	enum srv_kind kind = net_proto_is_stream(proto) ? SRV_STREAM : SRV_DGRAM;
	if (!srv_model_find(pm->value, kind)) {
		model_list(kind, names, sizeof(names));
		snprintf(msg, sizeof(msg), "'%.32s' is not a %s model (proto %s; one of: %s)",
			 pm->value, kind == SRV_STREAM ? "stream" : "datagram", pr->value, names);
		return param_fail(file, err, pm, msg);
	}
	struct srv_handler_cfg hc;
	memset(&hc, 0, sizeof(hc));
	if (srv_handler_parse(&hc, ph->value, msg, sizeof(msg)) < 0)
		return param_fail(file, err, ph, msg);
	if (kind == SRV_DGRAM && hc.ops->stream_only) {
		snprintf(msg, sizeof(msg), "handler %s needs a byte stream (proto tcp or "
			 "unix-stream), not %s", hc.ops->name, pr->value);
		return param_fail(file, err, ph, msg);
	}
	if (net_proto_is_unix(proto) && !scn_case_get(c, "server.path")) {
		snprintf(msg, sizeof(msg), "proto %s needs server.path (a socket file)", pr->value);
		return param_fail(file, err, pr, msg);
	}
	return 0;
}

static int check_target(const struct scn_case *c, const char *file, struct scn_error *err)
{
	const struct scn_param *pa = scn_case_param(c, "target.address");
	const char *pv = scn_case_get(c, "target.proto");
	char e[NET_ERRLEN], msg[NET_ERRLEN + 64];
	struct net_addr a;
	enum net_proto proto;

	if (!pa || !pv || net_proto_parse(pv, &proto) < 0)
		return -EINVAL;
	if (net_proto_is_unix(proto)) {
		if (net_addr_unix(&a, pa->value, e, sizeof(e)) == 0)
			return 0;
		snprintf(msg, sizeof(msg), "%s (proto %s)", e, pv);
	} else {
		if (net_addr_parse_hostport(&a, pa->value, e, sizeof(e)) == 0)
			return 0;
		snprintf(msg, sizeof(msg), "%s (proto %s)", e, pv);
	}
	return param_fail(file, err, pa, msg);
}

/* The relay forwards tcp and udp; each relay key given must fit the proto. */
static int check_relay(const struct scn *s, const struct scn_case *c, const char *file,
		       struct scn_error *err)
{
	static const char *const udp_only[] = {"relay.loss", "relay.dup", "relay.reorder",
					       "relay.queue", "relay.rcvbuf", NULL};
	static const char *const tcp_only[] = {"relay.chunk", "relay.reset_after",
					       "relay.stall", NULL};
	const struct scn_param *pr = scn_case_param(c, s->has_server ? "server.proto"
							       : "target.proto");
	char msg[256];
	enum net_proto proto;

	if (!pr || net_proto_parse(pr->value, &proto) < 0)
		return -EINVAL;
	if (proto != NET_TCP && proto != NET_UDP) {
		snprintf(msg, sizeof(msg), "a relay forwards tcp and udp only, not %s", pr->value);
		return param_fail(file, err, pr, msg);
	}
	const char *const *wrong = proto == NET_TCP ? udp_only : tcp_only;
	for (; *wrong; wrong++) {
		const struct scn_param *p = scn_case_param(c, *wrong);
		if (p && p->line) {
			snprintf(msg, sizeof(msg), "applies to %s only, and this case's proto is %s",
				 proto == NET_TCP ? "udp" : "tcp", pr->value);
			return param_fail(file, err, p, msg);
		}
	}
	return 0;
}

/* topology: pair needs a built-in IP server the runner can place in its
 * namespace, bound to the namespace's address; link.* needs topology: pair. */
static int check_link(const struct scn *s, const struct scn_case *c, const char *file,
		      struct scn_error *err)
{
	const struct scn_param *pt = scn_case_param(c, "topology");
	bool pair = pt && strcmp(pt->value, "pair") == 0;
	static const char *const link_keys[] = {"link.rate", "link.loss", "link.burst", NULL};
	enum net_proto proto = NET_TCP;

	if (!pair) {
		for (const char *const *k = link_keys; *k; k++) {
			const struct scn_param *pl = scn_case_param(c, *k);
			if (pl)
				return param_fail(file, err, pl, "needs topology: pair (a link between "
						  "two network namespaces); on loopback use a relay");
		}
		return 0;
	}
	if (!s->has_server)
		return param_fail(file, err, pt, "topology pair needs a server section: the "
				  "runner starts the server inside its namespace");
	if (s->has_relay)
		return param_fail(file, err, pt, "topology pair and a relay do not combine yet");
	const struct scn_param *pr = scn_case_param(c, "server.proto");
	if (pr)
		net_proto_parse(pr->value, &proto);
	if (net_proto_is_unix(proto))
		return param_fail(file, err, pt, "topology pair needs proto tcp or udp (Unix "
				  "sockets do not cross a network link)");
	const struct scn_param *pb = scn_case_param(c, "server.bind");
	if (pb && pb->line)
		return param_fail(file, err, pb, "not with topology pair: the server binds the "
				  "server namespace's address (198.18.0.2)");
	const struct scn_param *pk = scn_case_param(c, "link.burst");
	if (pk && !scn_case_param(c, "link.rate"))
		return param_fail(file, err, pk, "needs link.rate (it is the rate's token bucket)");
	return 0;
}

static int fill_cases(struct scn *s, const int *slot_of, size_t stride, const char *file,
		      struct scn_error *err)
{
	struct scn_store *st = s->priv;
	size_t *choice = calloc(st->nslots ? st->nslots : 1, sizeof(*choice));
	struct scn_settings *st_case = malloc(sizeof(*st_case));
	int rc = 0;
	if (!choice || !st_case) {
		free(choice);
		free(st_case);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->ncases && rc == 0; i++) {
		struct scn_case *c = &s->cases[i];
		c->params = &st->params[i * stride];
		build_case(s, i, c, choice, slot_of);
		rc = s->has_server ? check_server(c, file, err) : check_target(c, file, err);
		if (rc == 0 && s->has_relay)
			rc = check_relay(s, c, file, err);
		if (rc == 0)
			rc = check_link(s, c, file, err);
		/* The case's typed settings as the runner will resolve them: a
		 * value no case can take fails here, at its key. A combination
		 * only some cases of a matrix make (nodelay on udp) is that
		 * case's stored error at run time (scn_settings_target). */
		if (rc == 0)
			rc = scn_case_settings(s, c, st_case, err);
	}
	free(choice);
	free(st_case);
	return rc;
}

int scn_expand(struct scn *s, const char *file, struct scn_error *err)
{
	struct scn_store *st = s->priv;
	size_t nrows = 0, stride = 0;
	for (const struct scn_key *k = scn_schema; k->path; k++, nrows++)
		stride += in_section(k, s);
	int rc = count_cases(s, file, err);
	if (rc < 0)
		return rc;
	if ((rc = set_vary(s)) < 0)
		return rc;
	int *slot_of = malloc(nrows * sizeof(*slot_of));
	s->cases = calloc(s->ncases, sizeof(*s->cases));
	st->params = calloc(s->ncases * stride, sizeof(*st->params));
	rc = -ENOMEM;
	if (slot_of && s->cases && st->params) {
		for (size_t r = 0; r < nrows; r++) {
			slot_of[r] = -1;
			for (size_t j = 0; j < st->nslots; j++)
				if (st->slots[j].key == &scn_schema[r])
					slot_of[r] = (int)j;
		}
		rc = fill_cases(s, slot_of, stride, file, err);
	}
	free(slot_of);
	return rc;
}
