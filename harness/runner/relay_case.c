/*
 * harness/runner/relay_case.c — the relay of a `socklab run` case: started as a
 * second child between the clients and the server, like the server itself
 * (harness/runner/child.h), and its "stats {...}" counters stored as relay.*
 * metrics. Every numeric key of the stats line is stored, so a counter
 * added to the relay reaches the store without touching this file.
 */
#include "harness/relay/relay.h"

#include "harness/runner/child.h"
#include "harness/scenario/scenario.h"
#include "harness/store/store.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RELAY_START_MS 5000

int rly_case_start(struct child *rly, const struct scn *s, const struct scn_case *c,
		   const char *to, char *err, size_t errlen)
{
	char **argv = NULL;
	char why[400];
	int rc = scn_case_relay_argv(s, c, "socklab", to, &argv);

	rly->pid = -1;
	rly->out = -1;
	if (rc < 0) {
		snprintf(err, errlen, "could not build the relay command: %s", strerror(-rc));
		return rc;
	}
	rc = child_start(rly, argv, RELAY_START_MS, why, sizeof(why));
	scn_argv_free(argv);
	if (rc < 0)
		snprintf(err, errlen, "%s", why);   /* "socklab relay exited ..." */
	return rc;
}

int rly_case_store(struct db *db, int64_t case_id, const struct child *rly)
{
	const char *p = rly->stats;
	int rc = 0;

	/* A flat object of "key":number (and "proto":"udp", skipped). */
	while (rc == 0 && (p = strchr(p, '"')) != NULL) {
		const char *k = p + 1, *e = strchr(k, '"');
		if (!e)
			break;
		p = e + 1;
		if (*p != ':')
			continue;   /* a string value, or the end of one */
		p++;
		if (!(isdigit((unsigned char)*p) || *p == '-'))
			continue;
		char *end;
		double v = strtod(p, &end);
		if (end == p || e - k > 48)
			continue;
		char name[64];
		snprintf(name, sizeof(name), "relay.%.*s", (int)(e - k), k);
		rc = db_case_metric(db, case_id, name, v);
		p = end;
	}
	return rc;
}

static double stat_or_nan(const struct child *c, const char *key)
{
	double v;
	return c && c->stats[0] && child_stat(c, key, &v) ? v : NAN;
}

void rly_case_sum(struct rly_case_sum *o, const struct child *rly, const struct child *srv,
		  const double *m)
{
	memset(o, 0, sizeof(*o));
	o->on = rly->stats[0] != 0;
	o->udp = strstr(rly->stats, "\"proto\":\"udp\"") != NULL;
	o->dropped = stat_or_nan(rly, "dropped");
	o->duplicated = stat_or_nan(rly, "duplicated");
	o->reordered = stat_or_nan(rly, "reordered");
	o->rate_dropped = stat_or_nan(rly, "rate_dropped");
	o->rcvbuf_dropped = stat_or_nan(rly, "rcvbuf_dropped");
	o->send_failed = stat_or_nan(rly, "send_failed");
	o->chunks = stat_or_nan(rly, "chunks");
	o->bytes_c2s = stat_or_nan(rly, "bytes_c2s");
	o->resets = stat_or_nan(rly, "resets");
	o->sent = m[SCN_M_REQUESTS];
	o->errors = m[SCN_M_ERRORS];
	o->lost = round(m[SCN_M_LOSS_PCT] * m[SCN_M_REQUESTS] / 100.0);
	o->dups = m[SCN_M_DUPS];
	o->late = m[SCN_M_REORDERED];
	o->srv_msgs = stat_or_nan(srv, "requests");
	o->srv_bytes = stat_or_nan(srv, "bytes_in");
}

void rly_case_print(FILE *f, const struct rly_case_sum *o)
{
	if (!o->on)
		return;
	if (o->udp) {
		/* What the relay did, and what the clients' tracker saw of it. */
		fprintf(f, "     relay: dropped %.0f + rate-dropped %.0f", o->dropped, o->rate_dropped);
		/* The relay's own losses, not its impairment: its socket's
		 * receive buffer overflowed, or its forwarding send failed. */
		if (o->rcvbuf_dropped > 0)
			fprintf(f, " + socket-dropped %.0f", o->rcvbuf_dropped);
		if (o->send_failed > 0)
			fprintf(f, " + send-failed %.0f", o->send_failed);
		fprintf(f, " (clients lost %.0f), duplicated %.0f (clients got %.0f twice), "
			"reordered %.0f (clients saw %.0f out of order)\n", o->lost, o->duplicated,
			o->dups, o->reordered, o->late);
		return;
	}
	fprintf(f, "     relay: %.0f bytes to the server in %.0f writes", o->bytes_c2s, o->chunks);
	if (o->resets > 0)
		fprintf(f, ", %.0f reset", o->resets);
	/* What the server made of them: its requests are messages for a
	 * framed handler, reads for a raw one or framing none. */
	if (!isnan(o->srv_msgs) && o->srv_msgs > 0 && !isnan(o->sent) && o->sent > 0) {
		fprintf(f, "; the server counted %.0f messages for %.0f sent (%.0f bytes each, "
			"%.0f sent)", o->srv_msgs, o->sent, o->srv_bytes / o->srv_msgs,
			o->bytes_c2s / o->sent);
		if (o->srv_msgs == o->sent && o->errors == 0)
			fprintf(f, ": every message intact");
		else if (o->srv_msgs > o->sent)
			fprintf(f, ": message boundaries lost");
	}
	fprintf(f, "\n");
}
