/*
 * harness/scenario/scenario_yaml.c — YAML text to a small tree of nodes that keep
 * their line and column, with libyaml's event API (the document API would
 * lose nothing here but is heavier, and events let us refuse aliases and
 * runaway nesting before anything is built).
 *
 * Refused on purpose: aliases (*name — a scenario is small, and expanding
 * aliases is how YAML bombs work), more than one document, nesting deeper
 * than SCN_MAX_DEPTH.
 */
#include "harness/scenario/scenario_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct builder {
	const char *file;
	struct scn_error *err;
	struct scn_node *root;
	struct scn_node *stack[SCN_MAX_DEPTH];
	int depth;
	int docs;
};

void scn_node_free(struct scn_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		scn_node_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

static struct scn_node *node_new(enum scn_node_kind kind, const yaml_event_t *ev)
{
	struct scn_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	n->end_line = (int)ev->end_mark.line + 1;
	return n;
}

/* Attach n to the open container (or make it the root); takes n. */
static int attach(struct builder *b, struct scn_node *n)
{
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	struct scn_node *p = b->stack[b->depth - 1];
	if (p->nkids == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct scn_node **k = realloc(p->kids, cap * sizeof(*k));
		if (!k) {
			scn_node_free(n);
			return -ENOMEM;
		}
		p->kids = k;
		p->cap = cap;
	}
	p->kids[p->nkids++] = n;
	return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	/* "\0" or "\x00" in a double-quoted scalar: the value would end
	 * there as a C string, e.g. a run stored under half its name. */
	if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
		return scn_fail(b->err, b->file, (int)ev->start_mark.line + 1,
				(int)ev->start_mark.column + 1, "yaml",
				"a NUL character (\\0) in a value; a scenario's text cannot "
				"hold one");
	struct scn_node *n = node_new(SCN_N_SCALAR, ev);
	if (!n)
		return -ENOMEM;
	n->text = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
	if (!n->text) {
		free(n);
		return -ENOMEM;
	}
	yaml_scalar_style_t st = ev->data.scalar.style;
	n->quoted = st == YAML_SINGLE_QUOTED_SCALAR_STYLE || st == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	n->block = st == YAML_LITERAL_SCALAR_STYLE || st == YAML_FOLDED_SCALAR_STYLE;
	return attach(b, n);
}

static int on_open(struct builder *b, const yaml_event_t *ev, enum scn_node_kind kind)
{
	if (b->depth == SCN_MAX_DEPTH)
		return scn_fail(b->err, b->file, (int)ev->start_mark.line + 1,
				(int)ev->start_mark.column + 1, "yaml",
				"nested deeper than %d levels", SCN_MAX_DEPTH);
	struct scn_node *n = node_new(kind, ev);
	if (!n)
		return -ENOMEM;
	int rc = attach(b, n);
	if (rc < 0)
		return rc;
	b->stack[b->depth++] = n;
	return 0;
}

/* Handle one event: 0 to go on, 1 at the end of the stream, or -errno. */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1)
			return scn_fail(b->err, b->file, line, col, "yaml",
					"more than one document (a scenario is one document)");
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_open(b, ev, SCN_N_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_open(b, ev, SCN_N_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	case YAML_ALIAS_EVENT:
		return scn_fail(b->err, b->file, line, col, "yaml",
				"aliases (*%s) are not supported; write the value out",
				(const char *)ev->data.alias.anchor);
	case YAML_STREAM_END_EVENT:
		return 1;
	default:
		return 0;
	}
}

/* libyaml's reader errors carry a byte offset, not a mark. */
static void offset_to_mark(const char *text, size_t len, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int syntax_error(struct builder *b, const yaml_parser_t *p, const char *text, size_t len)
{
	int line, col;
	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->error == YAML_READER_ERROR) {
		offset_to_mark(text, len, p->problem_offset, &line, &col);
	} else {
		line = (int)p->problem_mark.line + 1;
		col = (int)p->problem_mark.column + 1;
	}
	if (p->context)
		return scn_fail(b->err, b->file, line, col, "yaml", "%s %s",
				p->problem ? p->problem : "syntax error", p->context);
	return scn_fail(b->err, b->file, line, col, "yaml", "%s",
			p->problem ? p->problem : "syntax error");
}

int scn_yaml_parse(const char *file, const char *text, size_t len,
		   struct scn_node **root, struct scn_error *err)
{
	struct builder b = {.file = file, .err = err};
	yaml_parser_t p;
	int rc = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (rc == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			rc = syntax_error(&b, &p, text, len);
			break;
		}
		rc = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc < 0) {
		scn_node_free(b.root);
		return rc;
	}
	*root = b.root;
	return 0;
}
