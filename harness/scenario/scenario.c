/*
 * harness/scenario/scenario.c — load a scenario: read the file, build the YAML tree
 * (scenario_yaml.c), walk it against scn_schema[] (every key known, every
 * value typed, duplicates refused), collect each server/clients/target key
 * as a "slot" of one or more values (a YAML list is a matrix dimension),
 * then expand the slots into cases and check each case as a whole (model
 * against proto, handler against proto, unix sockets need a path).
 *
 * All text the cases point to is owned by struct scn_store (scn->priv), so a
 * case is an array of (key, value, line, col) with no allocation of its own.
 */
#include "harness/scenario/scenario_int.h"
#include "net/addr.h"
#include "servers/handler.h"
#include "servers/model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NORM_MAX 1024

struct loader {
	const char *file;
	struct scn_error *err;
	struct scn *s;
	struct scn_store *st;
	const struct scn_node *server, *target;
};

int scn_fail(struct scn_error *err, const char *file, int line, int col,
	     const char *path, const char *fmt, ...)
{
	va_list ap;
	snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = line;
	err->col = col;
	snprintf(err->path, sizeof(err->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	int n = snprintf(err->text, sizeof(err->text), "%s:%d:%d: %s: %s", err->file, line, col,
			 err->path, err->msg);
	(void)n;
	return -EINVAL;
}

static int node_fail(struct loader *L, const struct scn_node *n, const char *path,
		     const char *msg)
{
	return scn_fail(L->err, L->file, n->line, n->col, path, "%s", msg);
}

/* Keep a copy of v for the life of the scenario. */
static const char *keep(struct scn_store *st, const char *v)
{
	if (st->nstrs == st->strcap) {
		size_t cap = st->strcap ? st->strcap * 2 : 32;
		char **p = realloc(st->strs, cap * sizeof(*p));
		if (!p)
			return NULL;
		st->strs = p;
		st->strcap = cap;
	}
	char *c = strdup(v);
	if (c)
		st->strs[st->nstrs++] = c;
	return c;
}

static const char *kind_name(const struct scn_node *n)
{
	return n->kind == SCN_N_MAP ? "a mapping" : n->kind == SCN_N_SEQ ? "a list" : "a value";
}

/* A YAML null (empty, ~, null) reads as empty text. */
static const char *scalar_text(const struct scn_node *n)
{
	if (!n->quoted && (strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0))
		return "";
	return n->text;
}

static void join_path(char *buf, size_t len, const char *parent, const char *key)
{
	if (parent)
		snprintf(buf, len, "%s.%.100s", parent, key);
	else
		snprintf(buf, len, "%.100s", key);
}

/* ---- unknown keys ---- */

/* Is row k directly under parent (NULL: top level)? */
static bool is_child(const struct scn_key *k, const char *parent)
{
	const char *dot = strrchr(k->path, '.');
	if (!parent)
		return dot == NULL;
	size_t n = strlen(parent);
	return dot && (size_t)(dot - k->path) == n && strncmp(k->path, parent, n) == 0;
}

static const char *last(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot ? dot + 1 : path;
}

static int unknown_key(struct loader *L, const struct scn_node *k, const char *parent,
		       const char *path)
{
	const struct scn_key *best = NULL, *elsewhere = NULL;
	unsigned bestd = 99;
	char msg[512];
	size_t n;

	for (const struct scn_key *r = scn_schema; r->path; r++) {
		if (!is_child(r, parent)) {
			if (strcmp(last(r->path), k->text) == 0 && !elsewhere)
				elsewhere = r;
			continue;
		}
		unsigned d = scn_edit_distance(k->text, last(r->path));
		if (d < bestd) {
			bestd = d;
			best = r;
		}
	}
	if (best && bestd <= 2 && bestd < strlen(k->text)) {
		snprintf(msg, sizeof(msg), "unknown key, did you mean '%s'?", last(best->path));
	} else if (elsewhere) {
		snprintf(msg, sizeof(msg), "unknown key here; did you mean '%s'?", elsewhere->path);
	} else {
		n = (size_t)snprintf(msg, sizeof(msg), "unknown key (expected one of:");
		for (const struct scn_key *r = scn_schema; r->path && n < sizeof(msg); r++)
			if (is_child(r, parent))
				n += (size_t)snprintf(msg + n, sizeof(msg) - n, " %s", last(r->path));
		if (n < sizeof(msg))
			snprintf(msg + n, sizeof(msg) - n, ")");
	}
	return node_fail(L, k, path, msg);
}

/* ---- slots: the keys of server, target and clients ---- */

static struct scn_slot *slot_find(struct scn_store *st, const struct scn_key *k)
{
	for (size_t i = 0; i < st->nslots; i++)
		if (st->slots[i].key == k)
			return &st->slots[i];
	return NULL;
}

static struct scn_slot *slot_add(struct scn_store *st, const struct scn_key *k, size_t n)
{
	if (st->nslots == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct scn_slot *p = realloc(st->slots, cap * sizeof(*p));
		if (!p)
			return NULL;
		st->slots = p;
		st->cap = cap;
	}
	struct scn_slot *sl = &st->slots[st->nslots];
	memset(sl, 0, sizeof(*sl));
	sl->key = k;
	sl->vals = calloc(n ? n : 1, sizeof(*sl->vals));
	if (!sl->vals)
		return NULL;
	st->nslots++;
	return sl;
}

/* Check one scalar node against k; on success keep its normalised text. */
static int take_value(struct loader *L, const struct scn_key *k, const struct scn_node *v,
		      const char *path, struct scn_param *out)
{
	char norm[NORM_MAX], msg[512];
	if (v->kind != SCN_N_SCALAR) {
		char want[256];
		scn_value_describe(k, want, sizeof(want));
		snprintf(msg, sizeof(msg), "expected %s, got %s", want, kind_name(v));
		return node_fail(L, v, path, msg);
	}
	if (scn_value_check(k, scalar_text(v), norm, sizeof(norm), msg, sizeof(msg)) < 0)
		return node_fail(L, v, path, msg);
	out->key = k->path;
	/* A relative path is taken from the scenario file's directory, not
	 * from wherever socklab was started. */
	const char *slash = k->type == SCN_T_PATH && norm[0] && norm[0] != '/' ?
				    strrchr(L->file, '/') : NULL;
	if (slash) {
		char joined[NORM_MAX + 4096];
		snprintf(joined, sizeof(joined), "%.*s/%s", (int)(slash - L->file), L->file, norm);
		out->value = keep(L->st, joined);
	} else {
		out->value = keep(L->st, norm);
	}
	out->line = v->line;
	out->col = v->col;
	return out->value ? 0 : -ENOMEM;
}

static bool matrix_ok(const char *path)
{
	return strncmp(path, "server.", 7) == 0 || strncmp(path, "clients.", 8) == 0 ||
	       strncmp(path, "relay.", 6) == 0 || strncmp(path, "link.", 5) == 0 ||
	       strcmp(path, "topology") == 0;
}

/* A key of server/target/clients, or the top-level duration shorthand. */
static int on_slot(struct loader *L, const struct scn_key *k, const struct scn_node *v,
		   const char *path)
{
	bool list = v->kind == SCN_N_SEQ && matrix_ok(path);
	size_t n = list ? v->nkids : 1;

	if (list && n == 0)
		return node_fail(L, v, path, "empty list (a matrix needs at least one value)");
	struct scn_slot *sl = slot_add(L->st, k, n);
	if (!sl)
		return -ENOMEM;
	sl->is_list = list;
	sl->line = v->line;
	sl->col = v->col;
	for (size_t i = 0; i < n; i++) {
		int rc = take_value(L, k, list ? v->kids[i] : v, path, &sl->vals[i]);
		if (rc < 0)
			return rc;
		sl->n++;
	}
	return 0;
}

/* ---- top-level values ---- */

static int on_top_value(struct loader *L, const struct scn_key *k, const struct scn_node *v,
			const char *path)
{
	struct scn_param p;
	struct scn *s = L->s;
	uint64_t ns;
	int rc = take_value(L, k, v, path, &p);
	if (rc < 0)
		return rc;
	if (strcmp(path, "name") == 0)
		s->name = (char *)p.value;
	else if (strcmp(path, "description") == 0)
		s->description = (char *)p.value;
	else if (strcmp(path, "warmup") == 0 && scn_parse_duration_ns(p.value, &ns) == 0)
		s->warmup_ns = ns;
	else if (strcmp(path, "repeat") == 0)
		s->repeat = (unsigned)strtoul(p.value, NULL, 10);
	else if (strcmp(path, "capture.enabled") == 0)
		s->capture.enabled = strcmp(p.value, "true") == 0;
	else if (strcmp(path, "capture.pcap") == 0)
		s->capture.pcap_dir = (char *)p.value;
	else if (strcmp(path, "capture.snaplen") == 0)
		s->capture.snaplen = (unsigned)strtoul(p.value, NULL, 10);
	return 0;
}

/* The top-level `duration` and clients.duration are one setting. */
static int on_duration(struct loader *L, const struct scn_node *v, const char *path)
{
	const struct scn_key *cd = scn_schema_find("clients.duration");
	struct scn_slot *prev = slot_find(L->st, cd);
	char msg[128];
	if (prev) {
		snprintf(msg, sizeof(msg), "given twice: also at line %d (%s); give one",
			 prev->line, strcmp(path, "duration") == 0 ? "clients.duration" : "duration");
		return node_fail(L, v, path, msg);
	}
	if (strcmp(path, "duration") == 0 && v->kind == SCN_N_SEQ)
		return take_value(L, scn_schema_find("duration"), v, path, &(struct scn_param){0});
	return on_slot(L, cd, v, path);
}

/* ---- thresholds ---- */

static int on_threshold(struct loader *L, const struct scn_node *v, size_t idx)
{
	char path[48], msg[512];
	size_t off;
	struct scn *s = L->s;
	struct scn_threshold t = {0};

	snprintf(path, sizeof(path), "thresholds[%zu]", idx);
	if (v->kind != SCN_N_SCALAR)
		return node_fail(L, v, path, v->kind == SCN_N_MAP
				 ? "expected an expression like 'p99_us < 2000', got a mapping "
				   "(quote it if it contains ': ')"
				 : "expected an expression like 'p99_us < 2000', got a list");
	if (scn_threshold_parse(v->text, &t, &off, msg, sizeof(msg)) < 0) {
		/* Point inside the string when it sits on one line as written. */
		int col = v->col;
		if (!v->block && v->line == v->end_line && !strchr(v->text, '\\'))
			col += (int)off + (v->quoted ? 1 : 0);
		return scn_fail(L->err, L->file, v->line, col, path, "%s", msg);
	}
	if (!(t.text = strdup(v->text)))
		return -ENOMEM;
	t.line = v->line;
	t.col = v->col;
	s->thresholds[s->nthresholds++] = t;
	return 0;
}

static int on_thresholds(struct loader *L, const struct scn_node *v)
{
	const struct scn_node *one = v;
	size_t n = v->kind == SCN_N_SEQ ? v->nkids : 1;
	if (v->kind == SCN_N_MAP)
		return node_fail(L, v, "thresholds",
				 "expected a list of expressions like 'p99_us < 2000', got a mapping");
	if (n > SCN_MAX_THRESHOLDS) {
		char msg[96];
		snprintf(msg, sizeof(msg), "at most %d thresholds, got %zu", SCN_MAX_THRESHOLDS, n);
		return node_fail(L, v->kids[SCN_MAX_THRESHOLDS], "thresholds", msg);
	}
	if (!(L->s->thresholds = calloc(n ? n : 1, sizeof(struct scn_threshold))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = on_threshold(L, v->kind == SCN_N_SEQ ? v->kids[i] : one, i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the walk ---- */

static int walk_map(struct loader *L, const struct scn_node *map, const char *parent);

static int on_section(struct loader *L, const struct scn_node *v, const char *path)
{
	char msg[320];
	/* `server:` with nothing after it means "all defaults". */
	bool empty = v->kind == SCN_N_SCALAR && !v->quoted && !scalar_text(v)[0];
	if (v->kind != SCN_N_MAP && !empty) {
		snprintf(msg, sizeof(msg), "expected a mapping of %s keys, got %s", path,
			 v->kind == SCN_N_SEQ ? "a list" : "a value");
		return node_fail(L, v, path, msg);
	}
	if (strcmp(path, "server") == 0)
		L->server = v;
	else if (strcmp(path, "target") == 0)
		L->target = v;
	else if (strcmp(path, "relay") == 0)
		L->s->has_relay = true;
	return empty ? 0 : walk_map(L, v, path);
}

static int on_key(struct loader *L, const struct scn_key *k, const struct scn_node *v,
		  const char *path)
{
	if (k->type == SCN_T_MAP)
		return on_section(L, v, path);
	if (k->type == SCN_T_LIST)
		return on_thresholds(L, v);
	if (strcmp(path, "duration") == 0 || strcmp(path, "clients.duration") == 0)
		return on_duration(L, v, path);
	if (strncmp(path, "server.", 7) == 0 || strncmp(path, "clients.", 8) == 0 ||
	    strncmp(path, "target.", 7) == 0 || strncmp(path, "relay.", 6) == 0 ||
	    strncmp(path, "link.", 5) == 0 || strcmp(path, "topology") == 0)
		return on_slot(L, k, v, path);
	return on_top_value(L, k, v, path);
}

static int walk_map(struct loader *L, const struct scn_node *map, const char *parent)
{
	char path[160], msg[64];
	for (size_t i = 0; i + 1 < map->nkids; i += 2) {
		const struct scn_node *k = map->kids[i], *v = map->kids[i + 1];
		if (k->kind != SCN_N_SCALAR)
			return node_fail(L, k, parent ? parent : "scenario",
					 "keys must be plain names, not a list or mapping");
		join_path(path, sizeof(path), parent, k->text);
		for (size_t j = 0; j < i; j += 2) {
			const struct scn_node *o = map->kids[j];
			if (o->kind == SCN_N_SCALAR && strcmp(o->text, k->text) == 0) {
				snprintf(msg, sizeof(msg), "duplicate key (first given at line %d)",
					 o->line);
				return node_fail(L, k, path, msg);
			}
		}
		const struct scn_key *row = scn_schema_find(path);
		if (!row || !is_child(row, parent))
			return unknown_key(L, k, parent, path);
		int rc = on_key(L, row, v, path);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the scenario as a whole ---- */

static int check_whole(struct loader *L, const struct scn_node *root)
{
	char msg[160];
	if (!L->server && !L->target)
		return node_fail(L, root, "server",
				 "missing: a scenario needs a server (a built-in server to start) "
				 "or a target (a server already running)");
	if (L->server && L->target) {
		const struct scn_node *later = L->server->line > L->target->line ? L->server : L->target;
		const struct scn_node *first = later == L->server ? L->target : L->server;
		snprintf(msg, sizeof(msg), "give server or target, not both (%s is at line %d)",
			 first == L->server ? "server" : "target", first->line);
		return node_fail(L, later, later == L->server ? "server" : "target", msg);
	}
	L->s->has_server = L->server != NULL;
	if (L->target && !slot_find(L->st, scn_schema_find("target.address")))
		return node_fail(L, L->target, "target.address",
				 "required: HOST:PORT or a socket path");
	return 0;
}

/* "scenarios/x.yaml" -> "x". */
static int default_name(struct loader *L)
{
	char buf[256];
	const char *b = strrchr(L->file, '/');
	snprintf(buf, sizeof(buf), "%s", b ? b + 1 : L->file);
	char *dot = strrchr(buf, '.');
	if (dot && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0) && dot != buf)
		*dot = '\0';
	L->s->name = (char *)keep(L->st, buf);
	return L->s->name ? 0 : -ENOMEM;
}

static int validate(struct loader *L, const struct scn_node *root)
{
	if (!root)
		return scn_fail(L->err, L->file, 1, 1, "scenario",
				"empty file (expected a mapping of scenario keys)");
	if (root->kind != SCN_N_MAP)
		return node_fail(L, root, "scenario",
				 root->kind == SCN_N_SEQ
				 ? "expected a mapping of scenario keys, got a list"
				 : "expected a mapping of scenario keys, got a value");
	int rc = walk_map(L, root, NULL);
	if (rc == 0)
		rc = check_whole(L, root);
	if (rc == 0 && !L->s->name)
		rc = default_name(L);
	return rc;
}

static int load_tree(struct loader *L, const char *text, size_t len)
{
	struct scn_node *root;
	int rc = scn_yaml_parse(L->file, text, len, &root, L->err);
	if (rc < 0)
		return rc;
	rc = validate(L, root);
	if (rc == 0)
		rc = scn_expand(L->s, L->file, L->err);
	scn_node_free(root);
	return rc;
}

static struct scn *scn_new(const char *file, const char *text, size_t len)
{
	struct scn *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->priv = calloc(1, sizeof(struct scn_store));
	s->file = strdup(file);
	s->text = malloc(len + 1);
	if (!s->priv || !s->file || !s->text) {
		scn_free(s);
		return NULL;
	}
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->description = "";
	s->repeat = 1;
	s->capture.snaplen = 256;
	return s;
}

int scn_load_string(const char *file, const char *text, size_t len,
		    struct scn **out, struct scn_error *err)
{
	struct scn_error spare;
	if (!err)
		err = &spare;
	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (len > SCN_MAX_BYTES)
		return scn_fail(err, file, 1, 1, "scenario", "file larger than %u bytes",
				SCN_MAX_BYTES);
	struct scn *s = scn_new(file, text, len);
	if (!s)
		goto nomem;
	struct loader L = {.file = file, .err = err, .s = s, .st = s->priv};
	int rc = load_tree(&L, s->text, len);
	if (rc == -ENOMEM)
		goto nomem;
	if (rc < 0) {
		scn_free(s);
		return rc;
	}
	*out = s;
	return 0;
nomem:
	scn_free(s);
	scn_fail(err, file, 0, 0, "scenario", "out of memory");
	snprintf(err->text, sizeof(err->text), "%.255s: out of memory", file);
	return -ENOMEM;
}

/*
 * Read a whole file: a regular file, or a pipe or FIFO (`socklab run
 * <(cat x.yaml)`), which has no size to check beforehand. At most
 * SCN_MAX_BYTES + 1 bytes are read, so that scn_load_string refuses a larger
 * one with the limit in its message, without reading on to the end.
 */
static int read_file(const char *path, char **buf, size_t *len)
{
	struct stat sb;
	char *b = NULL;
	int rc, fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		rc = -EISDIR;
		goto fail;
	}
	size_t max = (size_t)SCN_MAX_BYTES + 1, cap = 4096;
	if (S_ISREG(sb.st_mode) && sb.st_size > 0)
		cap = (size_t)sb.st_size < max ? (size_t)sb.st_size + 1 : max;
	rc = -ENOMEM;
	if (!(b = malloc(cap + 1)))
		goto fail;
	*len = 0;
	while (*len < max) {
		if (*len == cap) {
			size_t ncap = cap * 2 < max ? cap * 2 : max;
			char *nb = realloc(b, ncap + 1);
			if (!nb)
				goto fail;
			b = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, b + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	*buf = b;
	return 0;
fail:
	free(b);
	close(fd);
	return rc;
}

int scn_load(const char *path, struct scn **out, struct scn_error *err)
{
	char *text = NULL;
	size_t len = 0;
	struct scn_error spare;
	if (!err)
		err = &spare;
	*out = NULL;
	int rc = read_file(path, &text, &len);
	if (rc < 0) {
		memset(err, 0, sizeof(*err));
		snprintf(err->file, sizeof(err->file), "%s", path);
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(-rc));
		snprintf(err->text, sizeof(err->text), "%.255s: %s", path, err->msg);
		return rc;
	}
	rc = scn_load_string(path, text, len, out, err);
	free(text);
	return rc;
}

void scn_free(struct scn *s)
{
	if (!s)
		return;
	struct scn_store *st = s->priv;
	if (st) {
		for (size_t i = 0; i < st->nslots; i++)
			free(st->slots[i].vals);
		free(st->slots);
		for (size_t i = 0; i < st->nstrs; i++)
			free(st->strs[i]);
		free(st->strs);
		free(st->params);
		free(st);
	}
	for (size_t i = 0; i < s->nthresholds; i++)
		free(s->thresholds[i].text);
	free(s->thresholds);
	free(s->vary);
	free(s->cases);
	free(s->file);
	free(s->text);
	free(s);
}
