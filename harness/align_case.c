/*
 * harness/align_case.c — the runner's glue for the sticky-packet alignment
 * (align_case.h): the server's log file, the client's event log, the
 * clocks, the summary. The alignment and the writes are in store_align.c.
 */
#include "harness/align_case.h"

#include "clients/engine.h"
#include "harness/scenario.h"
#include "net/clock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool is_true(const char *v)
{
	return v && strcmp(v, "true") == 0;
}

void al_case_begin(struct al_case *al, const struct scn *s, const struct scn_case *c)
{
	memset(al, 0, sizeof(*al));
	const char *proto = scn_case_get(c, "server.proto");
	bool tcp = !proto || strcmp(proto, "tcp") == 0;
	if (!s->has_server || !tcp)
		return;
	al->capture = s->capture.enabled;
	if (!al->capture && !scn_case_get(c, "server.sample_queues"))
		return;
	snprintf(al->log_path, sizeof(al->log_path), "/tmp/socklab-applog-XXXXXX");
	int fd = mkstemp(al->log_path);
	if (fd < 0) {
		al->log_path[0] = '\0';
		al->capture = false;
		return;   /* no log: the case runs as without alignment */
	}
	close(fd);
	al->on = true;
	al->nodelay = is_true(scn_case_get(c, "clients.nodelay"));
	al->cork = is_true(scn_case_get(c, "clients.cork"));
	al->srv_nodelay = is_true(scn_case_get(c, "server.nodelay"));
}

int al_case_serve_argv(struct al_case *al, char ***argv)
{
	if (!al->on)
		return 0;
	size_t n = 0;
	while ((*argv)[n])
		n++;
	char **v = realloc(*argv, (n + 3) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	*argv = v;
	v[n] = strdup("--app-log");
	v[n + 1] = v[n] ? strdup(al->log_path) : NULL;
	v[n + 2] = NULL;
	if (!v[n + 1]) {
		free(v[n]);
		v[n] = NULL;
		return -ENOMEM;
	}
	return 0;
}

size_t al_case_log_capacity(const struct al_case *al)
{
	return al->on ? AL_CASE_LOG_EVENTS : 0;
}

void al_case_clock(struct al_case *al)
{
	struct timespec r, m;
	if (!al->on)
		return;
	/* The two reads bracket nothing but each other: ~50 ns apart. */
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	al->mono0 = (uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec;
	al->real_minus_mono = (int64_t)((uint64_t)r.tv_sec * 1000000000u + (uint64_t)r.tv_nsec) -
			      (int64_t)al->mono0;
	al->clock_set = true;
}

void al_case_take_client(struct al_case *al, const struct ld_config *cfg,
			 struct ld_result *res)
{
	if (!al->on)
		return;
	free(al->cev);
	al->cev = res->events;
	al->ncev = res->nevents;
	al->cev_dropped = res->events_dropped;
	res->events = NULL;
	res->nevents = 0;
	al->nodelay = cfg->nodelay;
	al->cork = cfg->cork;
}

void al_case_end(struct al_case *al)
{
	if (al->log_path[0])
		unlink(al->log_path);
	al->log_path[0] = '\0';
	free(al->cev);
	al->cev = NULL;
	al->ncev = 0;
}

/* The strongest cause among the sender's merges, and the receiver's. */
static void causes(FILE *f, const struct al_counts *n)
{
	bool any = false;
	for (int c = AL_CAUSE_NAGLE; c < AL_CAUSE__COUNT; c++) {
		if (!n->cause[c])
			continue;
		fprintf(f, "%s%s %" PRIu64, any ? ", " : " (", al_cause_name((enum al_cause)c),
			n->cause[c]);
		any = true;
	}
	if (any)
		fputc(')', f);
}

void al_case_print(FILE *f, const struct al_case *al)
{
	if (!al->have)
		return;
	const struct al_counts *n = &al->c2s;
	fprintf(f, "     c2s: %" PRIu64 " sends -> %" PRIu64 " segments -> %" PRIu64
		" recvs; coalesced %" PRIu64 ", merged recvs %" PRIu64 ", sticky %" PRIu64
		", half %" PRIu64, n->sends, n->segments, n->recvs, n->coalesced_segments,
		n->merged_recvs, n->sticky_msgs, n->half_msgs);
	causes(f, n);
	if (n->unmapped_bytes)
		fprintf(f, "; %" PRIu64 " bytes not captured", n->unmapped_bytes);
	fputc('\n', f);
}

void al_case_json(FILE *f, const struct al_case *al)
{
	if (!al->have)
		return;
	const struct al_counts *n = &al->c2s;
	fprintf(f, ",\"align\":{\"flows\":%" PRIu64 ",\"c2s\":{\"sends\":%" PRIu64
		",\"segments\":%" PRIu64 ",\"recvs\":%" PRIu64 ",\"coalesced_segments\":%" PRIu64
		",\"merged_recvs\":%" PRIu64 ",\"sticky_msgs\":%" PRIu64 ",\"half_msgs\":%" PRIu64
		",\"unmapped_bytes\":%" PRIu64 ",\"causes\":{",
		al->flows, n->sends, n->segments, n->recvs, n->coalesced_segments,
		n->merged_recvs, n->sticky_msgs, n->half_msgs, n->unmapped_bytes);
	for (int c = AL_CAUSE_NAGLE; c < AL_CAUSE__COUNT; c++)
		fprintf(f, "%s\"%s\":%" PRIu64, c == AL_CAUSE_NAGLE ? "" : ",",
			al_cause_name((enum al_cause)c), n->cause[c]);
	fprintf(f, "}}}");
}
