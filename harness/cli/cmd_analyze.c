/*
 * harness/cli/cmd_analyze.c — `socklab analyze FILE.pcap`: per-conversation
 * statistics of any pcap or pcapng file (tcpdump, Wireshark, socklab's own
 * captures), as a table or as one JSON object.
 *
 * Reads with pcap_next_ex into the parser (pkt.h) and the flow table
 * (flows.h); nothing is allocated per packet. Packet and byte counts per
 * conversation are those of `tshark -q -z conv,tcp` / `conv,udp`.
 * Exit 0 when the file was read (a file cut short mid-record, or a corrupt
 * record, is reported with its offset and analysed up to it), 2 on bad flags
 * or a file that is missing, unreadable or not a capture.
 */
#include "util/json.h"
#include "harness/cli/cli.h"
#include "harness/capture/flows.h"
#include "harness/capture/pkt.h"

#include <errno.h>
#include <stddef.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#define VERB "analyze"

struct analyze_opts {
	const char *file[1];
	bool json;
	unsigned port;
	unsigned max_flows;
};

struct analysis {
	struct cap_totals t;
	struct cap_flows *flows;
	int link;
	const char *link_name;
	char read_error[PCAP_ERRBUF_SIZE];
};

/* The help says the default in words. */
_Static_assert(CAP_FLOWS_DEFAULT_MAX == 1048576, "--max-flows help: default changed");

#define A struct analyze_opts
static const struct cli_flag flags[] = {
	{"json", 0, NULL, CLI_TRUE(A, json), "one JSON object on stdout instead of the table"},
	{"filter-port", 0, "N", CLI_UNSIGNED(A, port, 1, 65535),
	 "only TCP/UDP packets from or to port N"},
	{"max-flows", 0, "N", CLI_UNSIGNED(A, max_flows, 1, UINT32_MAX - 1),
	 "conversations kept (default 1048576); packets of\n"
	 "later ones are counted as untracked"},
	{0},
};
#undef A

static const struct cli_spec spec = {
	.verb = VERB,
	.usage = "FILE.pcap [--json] [--filter-port N]",
	.summary = "Per-conversation statistics of a pcap or pcapng file: packets and bytes\n"
		   "each way (as tshark -z conv,tcp / conv,udp counts them), TCP payload\n"
		   "segments, retransmissions, duration; then totals, including packets that\n"
		   "were malformed, truncated by the capture or not IP. A is the side that\n"
		   "sent the first packet of the conversation.",
	.flags = flags,
	.notes = "link types: Ethernet (802.1Q/802.1ad tags), Linux cooked (SLL, SLL2),\n"
		 "BSD loopback (NULL, LOOP), raw IP (RAW, IPV4, IPV6).\n",
	.min_args = 1,
	.max_args = 1,
	.args_off = offsetof(struct analyze_opts, file),
	.args_missing = "missing FILE.pcap (socklab analyze --help)",
};

/* An original (wire) length beyond this is a corrupt field, not a frame:
 * Linux hands a capture at most 512 KiB (BIG TCP), other systems 64 KiB. */
#define WIRELEN_MAX (1u << 20)

/* Feed every record to the analysis. A read error after some records is
 * kept in a->read_error with the offset of the record (or block) it is in,
 * told apart: a file cut mid-record ("file ends early") or a record whose
 * header is corrupt; the records before it count. A record whose original
 * length is smaller than its captured length or implausibly large counts
 * its captured length (a field of 0xFFFFFFFF is not 4 GiB on the wire). */
static void read_all(pcap_t *pc, struct analysis *a, uint16_t port)
{
	struct pcap_pkthdr *h;
	const u_char *bytes;
	FILE *f = pcap_file(pc);
	long at = f ? ftell(f) : -1;    /* where the next record starts */
	int rc;

	while ((rc = pcap_next_ex(pc, &h, &bytes)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		uint32_t wire = h->len;
		if (wire < h->caplen || wire > WIRELEN_MAX)
			wire = h->caplen;
		cap_flows_account(a->flows, &a->t, a->link, bytes, h->caplen, wire, ts, port);
		at = f ? ftell(f) : -1;
	}
	if (rc != PCAP_ERROR)
		return;
	const char *e = pcap_geterr(pc);
	const char *what = strstr(e, "truncated") ? "file ends early in the record" :
			   "corrupt record";
	if (at >= 0)
		snprintf(a->read_error, sizeof(a->read_error), "%s at offset %ld: %s", what, at, e);
	else
		snprintf(a->read_error, sizeof(a->read_error), "%s: %s", what, e);
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void json_dir(FILE *f, const struct cap_dir *d, bool tcp)
{
	fprintf(f, "{\"packets\":%llu,\"bytes\":%llu,\"segments\":%llu,\"payload_bytes\":%llu,"
		"\"min_seg\":%u,\"max_seg\":%u,\"truncated\":%llu",
		(unsigned long long)d->packets, (unsigned long long)d->bytes,
		(unsigned long long)d->segments, (unsigned long long)d->payload_bytes,
		d->min_seg, d->max_seg, (unsigned long long)d->truncated);
	if (tcp)
		fprintf(f, ",\"retrans\":%llu,\"retrans_bytes\":%llu,\"syn\":%u,\"fin\":%u,"
			"\"rst\":%u,\"psh\":%u,\"syn_seen\":%s,\"isn\":%u,\"next_rel_seq\":%u",
			(unsigned long long)d->retrans, (unsigned long long)d->retrans_bytes,
			d->syn, d->fin, d->rst, d->psh, d->syn_seen ? "true" : "false",
			d->isn, d->high);
	fputc('}', f);
}

static void json_flow(FILE *f, const struct cap_flow *fw, uint64_t t0)
{
	char a[CAP_ADDRSTRLEN], b[CAP_ADDRSTRLEN];
	bool tcp = fw->proto == CAP_PROTO_TCP;

	cap_pkt_addr_str(fw->ipver, fw->addr[0], 0, false, a, sizeof(a));
	cap_pkt_addr_str(fw->ipver, fw->addr[1], 0, false, b, sizeof(b));
	fprintf(f, "{\"proto\":\"%s\",\"ip\":%u,\"a_addr\":\"%s\",\"a_port\":%u,"
		"\"b_addr\":\"%s\",\"b_port\":%u,\"reuse\":%u,\"start\":%.9f,\"duration\":%.9f,"
		"\"a_to_b\":", tcp ? "tcp" : "udp", fw->ipver, a, fw->port[0], b, fw->port[1],
		fw->reuse, secs(fw->first_ns - t0), secs(fw->last_ns - fw->first_ns));
	json_dir(f, &fw->dir[0], tcp);
	fprintf(f, ",\"b_to_a\":");
	json_dir(f, &fw->dir[1], tcp);
	fputc('}', f);
}

static void print_json(FILE *f, const struct analysis *a, const struct analyze_opts *o)
{
	const struct cap_totals *t = &a->t;

	fprintf(f, "{\"file\":");
	net_json_fputs(f, o->file[0]);
	fprintf(f, ",\"link_type\":%d,\"link_name\":", a->link);
	net_json_fputs(f, a->link_name);
	fprintf(f, ",\"filter_port\":%u,\"packets\":%llu,\"bytes\":%llu,\"duration\":%.9f,"
		"\"tcp\":%llu,\"udp\":%llu,\"other_ip\":%llu,\"fragments\":%llu,"
		"\"truncated\":%llu,\"filtered\":%llu,\"untracked\":%llu,\"malformed\":%llu,"
		"\"by_kind\":{", o->port, (unsigned long long)t->packets,
		(unsigned long long)t->bytes, secs(t->last_ns - t->first_ns),
		(unsigned long long)t->tcp, (unsigned long long)t->udp,
		(unsigned long long)t->other_ip, (unsigned long long)t->fragments,
		(unsigned long long)t->truncated, (unsigned long long)t->filtered,
		(unsigned long long)t->untracked, (unsigned long long)t->malformed);
	for (int k = 0; k < CAP_PKT_RC_COUNT; k++)
		fprintf(f, "%s\"%s\":%llu", k ? "," : "", cap_pkt_rc_name(k),
			(unsigned long long)t->rc[k]);
	fprintf(f, "},\"read_error\":");
	if (a->read_error[0])
		net_json_fputs(f, a->read_error);
	else
		fprintf(f, "null");
	fprintf(f, ",\"flows\":[");
	for (size_t i = 0; i < cap_flows_count(a->flows); i++) {
		fprintf(f, "%s", i ? "," : "");
		json_flow(f, cap_flows_get(a->flows, i), t->first_ns);
	}
	fprintf(f, "]}\n");
}

static void print_flow_row(FILE *f, const struct cap_flow *fw)
{
	char a[CAP_ADDRSTRLEN], b[CAP_ADDRSTRLEN];
	const struct cap_dir *ab = &fw->dir[0], *ba = &fw->dir[1];

	cap_pkt_addr_str(fw->ipver, fw->addr[0], fw->port[0], true, a, sizeof(a));
	cap_pkt_addr_str(fw->ipver, fw->addr[1], fw->port[1], true, b, sizeof(b));
	fprintf(f, "%-4s %-22s %-22s %8llu %11llu %8llu %11llu %7llu %7llu %7llu %10.6f\n",
		fw->proto == CAP_PROTO_TCP ? "tcp" : "udp", a, b,
		(unsigned long long)ab->packets, (unsigned long long)ab->bytes,
		(unsigned long long)ba->packets, (unsigned long long)ba->bytes,
		(unsigned long long)ab->segments, (unsigned long long)ba->segments,
		(unsigned long long)(ab->retrans + ba->retrans),
		secs(fw->last_ns - fw->first_ns));
}

static void print_table(FILE *f, const struct analysis *a, const struct analyze_opts *o)
{
	const struct cap_totals *t = &a->t;
	size_t n = cap_flows_count(a->flows);

	fprintf(f, "%s: %llu packets, link type %s, %zu conversation%s\n", o->file[0],
		(unsigned long long)t->packets, a->link_name, n, n == 1 ? "" : "s");
	fprintf(f, "%-4s %-22s %-22s %8s %11s %8s %11s %7s %7s %7s %10s\n", "prot", "A", "B",
		"pkts A>B", "bytes A>B", "pkts B>A", "bytes B>A", "seg A>B", "seg B>A",
		"retrans", "duration");
	for (size_t i = 0; i < n; i++)
		print_flow_row(f, cap_flows_get(a->flows, i));
	fprintf(f, "totals: %llu packets, %llu bytes; tcp %llu, udp %llu, other IP %llu, "
		"not IP %llu, fragments %llu, payload cut by snaplen %llu\n",
		(unsigned long long)t->packets, (unsigned long long)t->bytes,
		(unsigned long long)t->tcp, (unsigned long long)t->udp,
		(unsigned long long)t->other_ip, (unsigned long long)t->rc[CAP_PKT_NOT_IP],
		(unsigned long long)t->fragments, (unsigned long long)t->truncated);
	fprintf(f, "skipped: malformed %llu", (unsigned long long)t->malformed);
	for (int k = CAP_PKT_TRUNC_LINK; k < CAP_PKT_RC_COUNT; k++)
		if (t->rc[k])
			fprintf(f, " (%s %llu)", cap_pkt_rc_name(k), (unsigned long long)t->rc[k]);
	fprintf(f, ", unknown link type %llu, filtered %llu, untracked %llu\n",
		(unsigned long long)t->rc[CAP_PKT_BAD_LINKTYPE],
		(unsigned long long)t->filtered, (unsigned long long)t->untracked);
	if (a->read_error[0])
		fprintf(f, "warning: %s\n", a->read_error);
}

static pcap_t *open_file(const char *file)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO,
							     err);
	if (!pc) {
		/* libpcap's text alone may not name the file ("unknown file
		 * format"); ours always does, on one line. */
		char *msg = err, *nl = strchr(err, '\n');
		size_t flen = strlen(file);
		if (nl)
			*nl = '\0';
		if (strncmp(msg, file, flen) == 0 && strncmp(msg + flen, ": ", 2) == 0)
			msg += flen + 2;
		fprintf(stderr, "socklab " VERB ": cannot read '%s': %s\n", file,
			msg[0] ? msg : strerror(errno));
	}
	return pc;
}

int cmd_analyze(int argc, char **argv)
{
	struct analyze_opts o = {0};
	struct analysis a = {0};
	struct cap_flows_cfg cfg = {0};
	int status = CLI_OK;

	if (!cli_args(&spec, argc, argv, &o, &status))
		return status;
	pcap_t *pc = open_file(o.file[0]);
	if (!pc)
		return CLI_USAGE;
	a.link = pcap_datalink(pc);
	a.link_name = pcap_datalink_val_to_name(a.link);
	if (!a.link_name)
		a.link_name = "unknown";
	if (!cap_pkt_link_supported(a.link))
		fprintf(stderr, "socklab " VERB ": %s: link type %s (%d) is not one socklab "
			"parses; its packets are counted, not analysed\n", o.file[0], a.link_name, a.link);
	cfg.max_flows = o.max_flows;
	if (cap_flows_new(&a.flows, &cfg) < 0) {
		fprintf(stderr, "socklab " VERB ": out of memory\n");
		pcap_close(pc);
		return CLI_FAILED;
	}
	read_all(pc, &a, (uint16_t)o.port);
	pcap_close(pc);
	if (a.read_error[0] && !o.json)
		fprintf(stderr, "socklab " VERB ": %s: %s (analysed the packets before it)\n",
			o.file[0], a.read_error);
	if (o.json)
		print_json(stdout, &a, &o);
	else
		print_table(stdout, &a, &o);
	cap_flows_free(a.flows);
	return CLI_OK;
}
