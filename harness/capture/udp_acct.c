/*
 * harness/capture/udp_acct.c — the arithmetic of UDP accounting (udp_acct.h), the
 * /proc/net/snmp reader and the runner's summary line. The store part is
 * harness/store/store_udp.c.
 */
#include "harness/capture/udp_acct.h"

#include "net/addr.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void udp_acct_begin(struct udp_acct *a, pid_t pid)
{
	*a = (struct udp_acct){
		.sent = UDP_NA, .warmup_sent = UDP_NA, .refused = UDP_NA, .wire = UDP_NA,
		.wire_relayed = UDP_NA, .relay_rcvbuf_dropped = UDP_NA, .relay_dropped = UDP_NA, .relay_duplicated = UDP_NA,
		.link_dropped = UDP_NA, .link_rate_dropped = UDP_NA,
		.rcvbuf_dropped = UDP_NA, .snmp_rcvbuf_errors = UDP_NA,
		.truncated = UDP_NA, .received = UDP_NA, .unread = UDP_NA,
		.duplicates = UDP_NA, .reordered = UDP_NA, .unaccounted = UDP_NA,
	};
	a->snmp_start = udp_snmp_read(pid);
}

static uint16_t port_of(const char *hostport)
{
	struct net_addr na;
	char e[NET_ERRLEN];
	if (!hostport || net_addr_parse_hostport(&na, hostport, e, sizeof(e)) < 0)
		return 0;
	return (uint16_t)net_addr_port(&na);
}

void udp_acct_set_ports(struct udp_acct *a, const char *target, const char *behind)
{
	a->wire_port = port_of(target);
	a->behind_port = port_of(behind);
}

static void add(int64_t *f, uint64_t v)
{
	*f = (*f == UDP_NA ? 0 : *f) + (int64_t)v;
}

void udp_acct_add_client(struct udp_acct *a, bool warmup, uint64_t sent, uint64_t refused,
			 uint64_t duplicated, uint64_t reordered)
{
	add(&a->sent, sent);
	add(&a->refused, refused);
	if (warmup) {
		add(&a->warmup_sent, sent);
	} else {
		if (a->warmup_sent == UDP_NA)
			a->warmup_sent = 0;
		add(&a->duplicates, duplicated);
		add(&a->reordered, reordered);
	}
}

void udp_acct_end(struct udp_acct *a, pid_t pid)
{
	int64_t now = udp_snmp_read(pid);
	/* A counter that went down (another namespace, a reset) is no delta. */
	a->snmp_rcvbuf_errors = now != UDP_NA && a->snmp_start != UDP_NA && now >= a->snmp_start
		? now - a->snmp_start : UDP_NA;
}

static int64_t or0(int64_t v)
{
	return v == UDP_NA ? 0 : v;
}

int64_t udp_acct_balance(const struct udp_acct *a)
{
	if (a->sent == UDP_NA || a->received == UDP_NA || a->rcvbuf_dropped == UDP_NA)
		return UDP_NA;
	return a->sent + or0(a->relay_duplicated) - or0(a->relay_rcvbuf_dropped)
	       - or0(a->relay_dropped) - or0(a->link_dropped)
	       - or0(a->link_rate_dropped) - a->rcvbuf_dropped - or0(a->truncated) - a->received - or0(a->unread);
}

/* ---------------------------------------------------------------- snmp */

/* The value under column `name` of the "Udp:" table of /proc/net/snmp: a
 * header line of names and a line of values, both starting "Udp: ". */
static int64_t snmp_column(const char *text, const char *name)
{
	const char *hdr = text;
	size_t nl = strlen(name);
	while ((hdr = strstr(hdr, "Udp:")) != NULL) {
		if (hdr != text && hdr[-1] != '\n') {
			hdr += 4;
			continue;
		}
		const char *vals = strchr(hdr, '\n');
		if (!vals || strncmp(vals + 1, "Udp:", 4) != 0)
			return UDP_NA;
		vals += 5;
		/* Walk names and values together. */
		const char *h = hdr + 4, *v = vals;
		for (;;) {
			while (*h == ' ')
				h++;
			while (*v == ' ')
				v++;
			if (*h == '\n' || *h == '\0' || *v == '\n' || *v == '\0')
				return UDP_NA;
			size_t hl = strcspn(h, " \n");
			char *end;
			long long x = strtoll(v, &end, 10);
			if (end == v)
				return UDP_NA;
			if (hl == nl && strncmp(h, name, nl) == 0)
				return x < 0 ? UDP_NA : (int64_t)x;
			h += hl;
			v = end;
		}
	}
	return UDP_NA;
}

/* "Udp6RcvbufErrors   12" in /proc/net/snmp6. */
static int64_t snmp6_value(const char *text, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, nl) == 0 && (p[nl] == ' ' || p[nl] == '\t')) {
			char *end;
			long long x = strtoll(p + nl, &end, 10);
			return end == p + nl || x < 0 ? UDP_NA : (int64_t)x;
		}
	}
	return UDP_NA;
}

int64_t udp_snmp_rcvbuf_errors(const char *snmp, const char *snmp6)
{
	int64_t v4 = snmp ? snmp_column(snmp, "RcvbufErrors") : UDP_NA;
	int64_t v6 = snmp6 ? snmp6_value(snmp6, "Udp6RcvbufErrors") : UDP_NA;
	if (v4 == UDP_NA && v6 == UDP_NA)
		return UDP_NA;
	return or0(v4) + or0(v6);
}

/* The whole of a small /proc file, NUL-terminated; NULL if unreadable. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - 1 - n, f);
		if (n < cap - 1 || ferror(f))
			break;
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

int64_t udp_snmp_read(pid_t pid)
{
	char p4[64], p6[64];
	/* Per network namespace: the server's, which may not be ours. */
	if (pid > 0) {
		snprintf(p4, sizeof(p4), "/proc/%d/net/snmp", (int)pid);
		snprintf(p6, sizeof(p6), "/proc/%d/net/snmp6", (int)pid);
	} else {
		snprintf(p4, sizeof(p4), "/proc/thread-self/net/snmp");
		snprintf(p6, sizeof(p6), "/proc/thread-self/net/snmp6");
	}
	char *s4 = slurp(p4), *s6 = slurp(p6);
	int64_t v = udp_snmp_rcvbuf_errors(s4, s6);
	free(s4);
	free(s6);
	return v;
}

/* ---------------------------------------------------------------- output */

static void num(FILE *f, int64_t v)
{
	if (v == UDP_NA)
		fputs("-", f);
	else
		fprintf(f, "%" PRId64, v);
}

void udp_acct_print(FILE *f, const struct udp_acct *a)
{
	fputs("     udp: sent ", f);
	num(f, a->sent);
	if (a->warmup_sent > 0)
		fprintf(f, " (warmup %" PRId64 ")", a->warmup_sent);
	fputs(" = received ", f);
	num(f, a->received);
	fputs(" + rcvbuf_dropped ", f);
	num(f, a->rcvbuf_dropped);
	fputs(" + truncated ", f);
	num(f, a->truncated);
	fputs(" + unread ", f);
	num(f, a->unread);
	if (a->relay_rcvbuf_dropped != UDP_NA) {
		fputs(" + relay_rcvbuf_dropped ", f);
		num(f, a->relay_rcvbuf_dropped);
	}
	if (a->relay_dropped != UDP_NA || a->relay_duplicated != UDP_NA) {
		fputs(" + relay_dropped ", f);
		num(f, a->relay_dropped);
		fputs(" - relay_duplicated ", f);
		num(f, a->relay_duplicated);
	}
	if (a->link_dropped != UDP_NA) {
		fputs(" + link_dropped ", f);
		num(f, a->link_dropped);
	}
	if (a->link_rate_dropped != UDP_NA) {
		fputs(" + link_rate_dropped ", f);
		num(f, a->link_rate_dropped);
	}
	if (a->unaccounted == UDP_NA) {
		fputs("  (balance unknown)", f);   /* sent, received or rcvbuf_dropped */
	} else if (a->unaccounted == 0) {
		fputs("  (all accounted)", f);
	} else {
		fputs("  UNACCOUNTED ", f);
		num(f, a->unaccounted);
	}
	fputs(";  refused ", f);
	num(f, a->refused);
	fputs("  wire ", f);
	num(f, a->wire);
	if (a->wire_relayed != UDP_NA) {
		fputs(" (relayed ", f);
		num(f, a->wire_relayed);
		fputs(")", f);
	}
	fputs("  kernel RcvbufErrors +", f);
	num(f, a->snmp_rcvbuf_errors);
	fputs(" (system-wide)\n", f);
}

void udp_acct_json(FILE *f, const struct udp_acct *a)
{
	static const char *const names[] = {
		"sent", "warmup_sent", "refused", "wire", "wire_relayed", "relay_rcvbuf_dropped",
		"relay_dropped",
		"relay_duplicated", "link_dropped", "link_rate_dropped", "rcvbuf_dropped", "snmp_rcvbuf_errors", "truncated", "received", "unread",
		"duplicates", "reordered", "unaccounted",
	};
	const int64_t v[] = {
		a->sent, a->warmup_sent, a->refused, a->wire, a->wire_relayed,
		a->relay_rcvbuf_dropped, a->relay_dropped,
		a->relay_duplicated, a->link_dropped, a->link_rate_dropped, a->rcvbuf_dropped, a->snmp_rcvbuf_errors, a->truncated,
		a->received, a->unread, a->duplicates, a->reordered, a->unaccounted,
	};
	fputs("\"udp\":{", f);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fprintf(f, "%s\"%s\":", i ? "," : "", names[i]);
		if (v[i] == UDP_NA)
			fputs("null", f);
		else
			fprintf(f, "%" PRId64, v[i]);
	}
	fputs("}", f);
}
