/*
 * harness/runner/capture_case.c — the capture of one `socklab run` case, from the
 * scenario's `capture:` section to the store: choose what to capture (the
 * port the server reported), start it, stop it, and write its status,
 * self-check, flows, segments and headline metrics in the case's batch.
 *
 * A case whose capture could not start is still recorded, as
 * capture_status 'unavailable' with the reason, so that an empty capture is
 * never mistaken for "no packets". Flows are stored oriented client ->
 * server: the server is the side that owns the case's port.
 */
#include "harness/capture/capture.h"

#include "harness/capture/pkt.h"
#include "harness/scenario/scenario.h"
#include "harness/store/store.h"
#include "net/addr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cap_case {
	struct capture *cap;          /* NULL when it could not start */
	enum cap_status status;
	char reason[512];
	char filter[96];
	char pcap_path[4096];         /* being written: DIR/.case-N.PID.pcap */
	char pcap_final[4096];        /* renamed to at stop (cap_case_set_run) */
	char start_utc[32];
	uint16_t port;
	uint16_t port2;               /* the server behind a relay at port; 0: none */
	unsigned snaplen;
	struct cap_check chk;         /* the interface part, when it never started */
	bool stopped;
};

static bool is_unix(const char *proto)
{
	return proto && strncmp(proto, "unix", 4) == 0;
}

/*
 * DIR exists (made if missing); path is a name private to this process,
 * DIR/.case-N.PID.pcap, and final DIR/case-N.pcap, the name it gets at
 * stop unless cap_case_set_run() gave it one per run: a second run into
 * the same DIR must not overwrite the first run's files.
 */
static int pcap_path_for(const char *dir, size_t index, char *path, char *final, size_t len,
			 char *err, size_t errlen)
{
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "capture.pcap: cannot create %s: %s", dir, strerror(e));
		return -e;
	}
	int n = snprintf(path, len, "%s/.case-%zu.%d.pcap", dir, index, (int)getpid());
	int m = snprintf(final, len, "%s/case-%zu.pcap", dir, index);
	if (n < 0 || (size_t)n >= len || m < 0 || (size_t)m >= len) {
		snprintf(err, errlen, "capture.pcap: directory name too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The reason is the error text; the case is 'unavailable'. */
static int unavailable(struct cap_case *cc, int rc, const char *why, char *err, size_t errlen)
{
	cc->status = CAP_ST_UNAVAILABLE;
	snprintf(cc->reason, sizeof(cc->reason), "%s", why);
	snprintf(err, errlen, "%s", why);
	return rc;
}

int cap_case_start(struct cap_case **out, const struct scn *s, const struct scn_case *c,
		   const char *addr, size_t index, char *err, size_t errlen)
{
	return cap_case_start_on(out, s, c, addr, NULL, index, err, errlen);
}

int cap_case_start_on(struct cap_case **out, const struct scn *s, const struct scn_case *c,
		      const char *addr, const char *iface, size_t index, char *err, size_t errlen)
{
	return cap_case_start_via(out, s, c, addr, NULL, iface, index, err, errlen);
}

int cap_case_start_via(struct cap_case **out, const struct scn *s, const struct scn_case *c,
		       const char *addr, const char *behind, const char *iface, size_t index,
		       char *err, size_t errlen)
{
	char why[512];
	struct net_addr na;
	int rc;

	*out = NULL;
	struct cap_case *cc = calloc(1, sizeof(*cc));
	if (!cc) {
		snprintf(err, errlen, "capture: out of memory");
		return -ENOMEM;
	}
	*out = cc;
	cc->snaplen = s->capture.snaplen ? s->capture.snaplen : CAP_DEFAULT_SNAPLEN;
	snprintf(cc->chk.iface, sizeof(cc->chk.iface), "%s", iface ? iface : CAP_DEFAULT_IFACE);
	cc->chk.snaplen = cc->snaplen;
	cc->chk.buffer_bytes = cap_buffer_for(cc->snaplen, CAP_RING_SLOTS);
	cc->chk.link = -1;
	(void)cap_iface_check(cc->chk.iface, &cc->chk);
	db_utc_now(cc->start_utc);

	const char *proto = scn_case_get(c, s->has_server ? "server.proto" : "target.proto");
	if (!addr)
		addr = scn_case_get(c, "target.address");
	if (is_unix(proto)) {
		snprintf(why, sizeof(why), "%s sockets do not pass through a network interface: "
			 "nothing to capture", proto);
		return unavailable(cc, -EAFNOSUPPORT, why, err, errlen);
	}
	if (!addr || net_addr_parse_hostport(&na, addr, why, sizeof(why)) < 0) {
		if (!addr)
			snprintf(why, sizeof(why), "no server address to capture");
		return unavailable(cc, -EINVAL, why, err, errlen);
	}
	cc->port = (uint16_t)net_addr_port(&na);
	snprintf(cc->filter, sizeof(cc->filter), "tcp port %u or udp port %u", cc->port, cc->port);
	/* A relay at addr: both legs, client<->relay and relay<->server. */
	if (behind && net_addr_parse_hostport(&na, behind, why, sizeof(why)) == 0) {
		cc->port2 = (uint16_t)net_addr_port(&na);
		snprintf(cc->filter, sizeof(cc->filter), "(tcp or udp) and (port %u or port %u)",
			 cc->port, cc->port2);
	}
	snprintf(cc->chk.filter, sizeof(cc->chk.filter), "%s", cc->filter);
	if (s->capture.pcap_dir) {
		rc = pcap_path_for(s->capture.pcap_dir, index, cc->pcap_path, cc->pcap_final,
				   sizeof(cc->pcap_path), why, sizeof(why));
		if (rc < 0)
			return unavailable(cc, rc, why, err, errlen);
	}
	struct cap_config cfg = {
		.iface = cc->chk.iface,
		.filter = cc->filter,
		.port = cc->port2 ? 0 : cc->port,   /* two legs: the filter keeps both */
		.snaplen = cc->snaplen,
		.pcap_path = cc->pcap_path[0] ? cc->pcap_path : NULL,
	};
	rc = cap_start(&cfg, &cc->cap, why, sizeof(why));
	if (rc < 0)
		return unavailable(cc, rc, why, err, errlen);
	db_utc_now(cc->start_utc);
	cc->status = CAP_ST_OK;
	return 0;
}

void cap_case_set_run(struct cap_case *cc, int64_t run_id)
{
	if (!cc || !cc->pcap_final[0])
		return;
	/* DIR/case-N.pcap -> DIR/run-R-case-N.pcap */
	char *base = strrchr(cc->pcap_final, '/');
	size_t dirlen = base ? (size_t)(base - cc->pcap_final) : 0;
	char tmp[sizeof(cc->pcap_final)];
	int n = snprintf(tmp, sizeof(tmp), "%.*s/run-%lld-%s", (int)dirlen, cc->pcap_final,
			 (long long)run_id, base ? base + 1 : cc->pcap_final);
	if (n > 0 && (size_t)n < sizeof(tmp))
		memcpy(cc->pcap_final, tmp, (size_t)n + 1);
}

void cap_case_stop(struct cap_case *cc)
{
	char why[512];

	if (!cc || cc->stopped)
		return;
	cc->stopped = true;
	if (cc->cap && cap_stop(cc->cap, why, sizeof(why)) < 0) {
		cc->status = CAP_ST_ERROR;
		snprintf(cc->reason, sizeof(cc->reason), "%s", why);
	}
	/* The file is complete: give it its name. */
	if (cc->cap && cc->pcap_path[0] && cc->pcap_final[0]) {
		if (rename(cc->pcap_path, cc->pcap_final) == 0) {
			memcpy(cc->pcap_path, cc->pcap_final, sizeof(cc->pcap_path));
		} else if (cc->status == CAP_ST_OK) {
			cc->status = CAP_ST_ERROR;
			snprintf(cc->reason, sizeof(cc->reason), "capture.pcap: rename %.400s: %s",
				 cc->pcap_final, strerror(errno));
		}
	}
}

static struct db_flow_dir dir_of(const struct cap_dir *d)
{
	return (struct db_flow_dir){
		.packets = (int64_t)d->packets, .bytes = (int64_t)d->bytes,
		.segments = (int64_t)d->segments, .payload_bytes = (int64_t)d->payload_bytes,
		.retrans = (int64_t)d->retrans, .retrans_bytes = (int64_t)d->retrans_bytes,
		.truncated = (int64_t)d->truncated,
	};
}

/* Index (0 = A, 1 = B) of the flow's client: the side without the server's
 * port (with a relay: without the relay's or the server's port, so the
 * relay is the server of the client leg and the client of the server leg). */
static int client_side(const struct cap_flow *f, const struct cap_case *cc)
{
	for (int k = 0; k < 2; k++) {
		uint16_t port = k ? cc->port2 : cc->port;
		if (!port)
			continue;
		if (f->port[1] == port)
			return 0;
		if (f->port[0] == port)
			return 1;
	}
	return 0;
}

struct totals {
	uint64_t c2s, s2c, retrans;
};

static int store_flows(struct cap_case *cc, struct db *db, int64_t case_id, struct totals *tot)
{
	const struct cap_flows *fl = cap_flows(cc->cap);
	size_t nf = cap_flows_count(fl), nseg;
	uint64_t t0 = cap_start_ns(cc->cap);
	int64_t *ids = calloc(nf ? nf : 1, sizeof(*ids));
	int rc = 0;

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < nf && rc == 0; i++) {
		const struct cap_flow *f = cap_flows_get(fl, i);
		int cli = client_side(f, cc);
		char ca[CAP_ADDRSTRLEN], sa[CAP_ADDRSTRLEN];
		struct db_flow df = {
			.idx = (int64_t)f->index,
			.proto = f->proto == CAP_PROTO_TCP ? "tcp" : "udp",
			.ipver = f->ipver,
			.client_addr = cap_pkt_addr_str(f->ipver, f->addr[cli], 0, false, ca, sizeof(ca)),
			.server_addr = cap_pkt_addr_str(f->ipver, f->addr[!cli], 0, false, sa, sizeof(sa)),
			.client_port = f->port[cli],
			.server_port = f->port[!cli],
			.reuse = f->reuse,
			.first_ns = (int64_t)(f->first_ns - t0),
			.last_ns = (int64_t)(f->last_ns - t0),
			.c2s = dir_of(&f->dir[cli]),
			.s2c = dir_of(&f->dir[!cli]),
		};
		tot->c2s += f->dir[cli].segments;
		tot->s2c += f->dir[!cli].segments;
		tot->retrans += f->dir[0].retrans + f->dir[1].retrans;
		rc = db_capture_flow(db, case_id, &df, &ids[i]);
	}
	const struct cap_segrec *r = cap_segments(cc->cap, &nseg, NULL);
	for (size_t i = 0; i < nseg && rc == 0; i++) {
		const struct cap_flow *f = cap_flows_get(fl, r[i].flow);
		if (!f)
			continue;
		bool tcp = r[i].proto == CAP_PROTO_TCP;
		struct db_segment ds = {
			.dir = r[i].s.dir == client_side(f, cc) ? 0 : 1,
			.t_ns = (int64_t)r[i].s.ts_ns,
			.rel_seq = tcp ? (int64_t)r[i].s.rel_seq : -1,
			.rel_ack = tcp && (r[i].s.tcp_flags & CAP_TCP_ACK) ? (int64_t)r[i].s.rel_ack : -1,
			.len = r[i].s.len,
			.flags = tcp ? r[i].s.tcp_flags : -1,
			.retrans = r[i].s.retrans,
			.offload = r[i].offload,
		};
		rc = db_capture_segments(db, ids[r[i].flow], &ds, 1);
	}
	free(ids);
	return rc;
}

int cap_case_store(struct cap_case *cc, struct db *db, int64_t case_id)
{
	struct totals tot = {0};
	int rc = 0;

	if (!cc)
		return 0;
	cap_case_stop(cc);
	const struct cap_check *k = cc->cap ? cap_check(cc->cap) : &cc->chk;
	const struct cap_totals *t = cc->cap ? cap_totals(cc->cap) : NULL;
	size_t nseg = 0;
	uint64_t seen = 0;
	if (cc->cap)
		(void)cap_segments(cc->cap, &nseg, &seen);
	struct db_capture dc = {
		.status = cc->status == CAP_ST_OK ? DB_CAP_OK
			  : cc->status == CAP_ST_ERROR ? DB_CAP_ERROR : DB_CAP_UNAVAILABLE,
		.reason = cc->status == CAP_ST_OK ? NULL : cc->reason,
		.iface = k->iface,
		.filter = k->filter[0] ? k->filter : NULL,
		.pcap_path = cc->cap && cc->pcap_path[0] ? cc->pcap_path : NULL,
		.start_utc = cc->cap ? cc->start_utc : NULL,
		.snaplen = k->snaplen,
		.buffer_bytes = (int64_t)k->buffer_bytes,
		.immediate = cc->cap ? k->immediate : -1,
		.link_type = k->link,
		.mtu = k->mtu, .tso = k->tso, .gso = k->gso, .gro = k->gro,
		.received = k->stats_ok ? (int64_t)k->received : -1,
		.dropped = k->stats_ok ? (int64_t)k->dropped : -1,
		.if_dropped = k->stats_ok ? (int64_t)k->if_dropped : -1,
		.captured = t ? (int64_t)t->packets : -1,
		.malformed = t ? (int64_t)t->malformed : -1,
		.segments_seen = cc->cap ? (int64_t)seen : -1,
		.segments_stored = cc->cap ? (int64_t)nseg : -1,
		.segments_capped = cc->cap ? seen > nseg : -1,
	};
	rc = db_case_capture(db, case_id, &dc);
	if (rc == 0 && cc->cap)
		rc = store_flows(cc, db, case_id, &tot);
	if (rc != 0 || !cc->cap)
		return rc;
#define PUT(name, v) do { if (rc == 0) rc = db_case_metric(db, case_id, (name), (double)(v)); } while (0)
	PUT("capture.packets", t->packets);
	PUT("capture.segments_c2s", tot.c2s);
	PUT("capture.segments_s2c", tot.s2c);
	PUT("capture.flows", cap_flows_count(cap_flows(cc->cap)));
	PUT("capture.retrans", tot.retrans);
	if (k->stats_ok) {
		PUT("capture.dropped", k->dropped);
		PUT("capture.if_dropped", k->if_dropped);
	}
#undef PUT
	return rc;
}

void cap_case_free(struct cap_case *cc)
{
	if (!cc)
		return;
	cap_free(cc->cap);
	free(cc);
}

const struct capture *cap_case_capture(const struct cap_case *cc)
{
	return cc ? cc->cap : NULL;
}
