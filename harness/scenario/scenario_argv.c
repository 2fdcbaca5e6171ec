/*
 * harness/scenario/scenario_argv.c — from a case to command lines: the argv of
 * `socklab serve` for its server and of `socklab load` for its clients,
 * with each key's flag taken from scn_schema[]. A flag is passed when the
 * scenario gave the key (defaults are the tools' own, so they are not
 * repeated), plus the few every run needs explicitly (proto, model,
 * handler; clients and the measured phase). Also case lookups and labels.
 */
#include "harness/scenario/scenario_int.h"
#include "net/addr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct argv_b {
	char **v;
	size_t n, cap;
	int rc;
};

static void push(struct argv_b *b, const char *s)
{
	if (b->rc < 0)
		return;
	if (b->n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		char **v = realloc(b->v, cap * sizeof(*v));
		if (!v) {
			b->rc = -ENOMEM;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	if (!(b->v[b->n] = strdup(s))) {
		b->rc = -ENOMEM;
		return;
	}
	b->v[++b->n] = NULL;
}

void scn_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

int scn_argv_append(char ***argv, const char *flag, const char *value)
{
	size_t n = 0;
	while ((*argv)[n])
		n++;
	char *f = strdup(flag), *v = strdup(value);
	char **a = f && v ? realloc(*argv, (n + 3) * sizeof(*a)) : NULL;
	if (!a) {
		free(f);
		free(v);
		return -ENOMEM;
	}
	a[n] = f;
	a[n + 1] = v;
	a[n + 2] = NULL;
	*argv = a;
	return 0;
}

static int finish(struct argv_b *b, char ***out)
{
	if (b->rc < 0) {
		scn_argv_free(b->v);
		*out = NULL;
		return b->rc;
	}
	*out = b->v;
	return 0;
}

const struct scn_param *scn_case_param(const struct scn_case *c, const char *key)
{
	for (size_t i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].key, key) == 0)
			return &c->params[i];
	return NULL;
}

const char *scn_case_get(const struct scn_case *c, const char *key)
{
	const struct scn_param *p = scn_case_param(c, key);
	return p ? p->value : NULL;
}

/* "serve --max-conns" -> "--max-conns" into buf. */
static const char *flag_of(const struct scn_key *k, char *buf, size_t len)
{
	const char *f = k->flag ? strchr(k->flag, ' ') : NULL;
	if (!f || f[1] != '-')
		return NULL;
	snprintf(buf, len, "%s", f + 1);
	char *sp = strchr(buf, ' ');
	if (sp)
		*sp = '\0';
	return buf;
}

/* Append p as flags: "--flag VALUE", or "--flag" alone for a true bool. */
static void push_param(struct argv_b *b, const struct scn_param *p)
{
	const struct scn_key *k = scn_schema_find(p->key);
	char flag[64];
	if (!k || !flag_of(k, flag, sizeof(flag)))
		return;
	if (strcmp(p->key, "server.reuseaddr") == 0) {
		if (strcmp(p->value, "false") == 0)
			push(b, flag);
		return;
	}
	if (k->type == SCN_T_BOOL) {
		if (strcmp(p->value, "true") == 0)
			push(b, flag);
		return;
	}
	push(b, flag);
	push(b, p->value);
}

static bool in_list(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

int scn_case_serve_argv(const struct scn *s, const struct scn_case *c,
			const char *prog, char ***argv)
{
	static const char *const always[] = {"server.proto", "server.model", "server.handler", NULL};
	static const char *const inet_only[] = {"server.bind", "server.port", NULL};
	struct argv_b b = {0};
	enum net_proto proto = NET_TCP;
	const char *pv = scn_case_get(c, "server.proto");

	*argv = NULL;
	if (!s->has_server)
		return -EINVAL;
	if (pv)
		net_proto_parse(pv, &proto);
	bool unix_ = net_proto_is_unix(proto);
	if (prog)
		push(&b, prog);
	push(&b, "serve");
	for (size_t i = 0; i < c->nparams; i++) {
		const struct scn_param *p = &c->params[i];
		if (strncmp(p->key, "server.", 7) != 0)
			continue;
		if (!p->line && !in_list(p->key, always))
			continue;
		if ((unix_ && in_list(p->key, inet_only)) ||
		    (!unix_ && strcmp(p->key, "server.path") == 0))
			continue;
		push_param(&b, p);
	}
	return finish(&b, argv);
}

int scn_case_relay_argv(const struct scn *s, const struct scn_case *c,
			const char *prog, const char *to, char ***argv)
{
	struct argv_b b = {0};
	struct net_addr a;
	char e[NET_ERRLEN];
	const char *proto = scn_case_get(c, s->has_server ? "server.proto" : "target.proto");

	*argv = NULL;
	if (!to && !s->has_server)
		to = scn_case_get(c, "target.address");
	if (!s->has_relay || !to || !proto)
		return -EINVAL;
	/* Listen on the loopback of the server's family. */
	bool v6 = net_addr_parse_hostport(&a, to, e, sizeof(e)) == 0 &&
		  a.ss.ss_family == AF_INET6;
	if (prog)
		push(&b, prog);
	push(&b, "relay");
	push(&b, "--proto");
	push(&b, proto);
	push(&b, "--listen");
	push(&b, v6 ? "[::1]:0" : "127.0.0.1:0");
	push(&b, "--to");
	push(&b, to);
	for (size_t i = 0; i < c->nparams; i++) {
		const struct scn_param *p = &c->params[i];
		/* Given keys only (and the seed, so it is in every argv). */
		if (strncmp(p->key, "relay.", 6) == 0 &&
		    (p->line || strcmp(p->key, "relay.seed") == 0))
			push_param(&b, p);
	}
	return finish(&b, argv);
}

/* "2500000000" ns -> "2500ms": the largest unit that is exact. */
static void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns % 1000000000ull == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000ull));
	else if (ns % 1000000ull == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000ull));
	else if (ns % 1000ull == 0)
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000ull));
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

static void push_clients(struct argv_b *b, const struct scn *s, const struct scn_case *c,
			 enum scn_phase phase)
{
	static const char *const always[] = {"clients.count", "clients.duration", NULL};
	char warm[32];
	for (size_t i = 0; i < c->nparams; i++) {
		const struct scn_param *p = &c->params[i];
		if (strncmp(p->key, "clients.", 8) != 0)
			continue;
		if (phase == SCN_PHASE_WARMUP && (strcmp(p->key, "clients.duration") == 0 ||
						  strcmp(p->key, "clients.requests") == 0))
			continue;
		if (p->line || in_list(p->key, always))
			push_param(b, p);
	}
	if (phase == SCN_PHASE_WARMUP) {
		fmt_ns(s->warmup_ns, warm, sizeof(warm));
		push(b, "--duration");
		push(b, warm);
	}
}

int scn_case_load_argv(const struct scn *s, const struct scn_case *c,
		       const char *prog, const char *target, enum scn_phase phase,
		       char ***argv)
{
	struct argv_b b = {0};
	const char *proto = scn_case_get(c, s->has_server ? "server.proto" : "target.proto");

	*argv = NULL;
	if (!target && !s->has_server)
		target = scn_case_get(c, "target.address");
	if (!target || !proto)
		return -EINVAL;
	if (prog)
		push(&b, prog);
	push(&b, "load");
	push(&b, "--target");
	push(&b, target);
	push(&b, "--proto");
	push(&b, proto);
	push_clients(&b, s, c, phase);
	return finish(&b, argv);
}

/* The short name of key, or the full path when another varying key
 * shares it (server.framing and clients.framing). */
static const char *label_key(const struct scn *s, const char *key)
{
	const char *dot = strrchr(key, '.'), *shortk = dot ? dot + 1 : key;
	for (size_t i = 0; i < s->nvary; i++) {
		const char *o = s->vary[i], *od = strrchr(o, '.');
		if (o != key && strcmp(od ? od + 1 : o, shortk) == 0)
			return key;
	}
	return shortk;
}

char *scn_case_label(const struct scn *s, const struct scn_case *c)
{
	size_t len = 1;
	for (size_t i = 0; i < s->nvary; i++) {
		const char *v = scn_case_get(c, s->vary[i]);
		len += strlen(s->vary[i]) + strlen(v ? v : "") + 2;
	}
	char *out = malloc(len);
	if (!out)
		return NULL;
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < s->nvary; i++) {
		const char *v = scn_case_get(c, s->vary[i]);
		n += (size_t)snprintf(out + n, len - n, "%s%s=%s", i ? " " : "",
				      label_key(s, s->vary[i]), v ? v : "");
	}
	return out;
}
