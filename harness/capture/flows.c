/*
 * harness/capture/flows.c — the conversation table (see flows.h): an array of flows
 * in first-seen order, indexed by an open-addressing hash of the 5-tuple
 * that is the same in both directions, plus the per-direction TCP
 * bookkeeping (ISN, relative sequence numbers, retransmissions).
 */
#include "harness/capture/flows.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_FLOWS 64

struct cap_flows {
	struct cap_flow *flows;       /* first-seen order */
	size_t n, cap;
	uint32_t *slots;              /* flow index + 1; 0 = empty; power of two */
	size_t nslots;
	size_t max_flows;
	cap_seg_fn on_seg;
	void *on_seg_arg;
	uint64_t untracked;
};

int cap_flows_new(struct cap_flows **out, const struct cap_flows_cfg *cfg)
{
	struct cap_flows *fl = calloc(1, sizeof(*fl));

	*out = NULL;
	if (!fl)
		return -ENOMEM;
	fl->max_flows = cfg && cfg->max_flows ? cfg->max_flows : CAP_FLOWS_DEFAULT_MAX;
	if (fl->max_flows > UINT32_MAX - 1)
		fl->max_flows = UINT32_MAX - 1;
	if (cfg) {
		fl->on_seg = cfg->on_seg;
		fl->on_seg_arg = cfg->on_seg_arg;
	}
	*out = fl;
	return 0;
}

void cap_flows_free(struct cap_flows *fl)
{
	if (!fl)
		return;
	free(fl->flows);
	free(fl->slots);
	free(fl);
}

size_t cap_flows_count(const struct cap_flows *fl)
{
	return fl->n;
}

const struct cap_flow *cap_flows_get(const struct cap_flows *fl, size_t i)
{
	return i < fl->n ? &fl->flows[i] : NULL;
}

uint64_t cap_flows_untracked(const struct cap_flows *fl)
{
	return fl->untracked;
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_endpoint(const uint8_t addr[16], uint16_t port)
{
	uint64_t w0, w1;

	memcpy(&w0, addr, 8);
	memcpy(&w1, addr + 8, 8);
	return mix64(w0 ^ mix64(w1 ^ ((uint64_t)port << 32)));
}

/* Summing the endpoints' hashes makes A->B and B->A hash alike. */
static uint64_t hash_tuple(uint8_t proto, const uint8_t a[16], uint16_t pa,
			   const uint8_t b[16], uint16_t pb)
{
	return mix64(hash_endpoint(a, pa) + hash_endpoint(b, pb) + proto);
}

static uint64_t hash_flow(const struct cap_flow *f)
{
	return hash_tuple(f->proto, f->addr[0], f->port[0], f->addr[1], f->port[1]);
}

/* Does p belong to f? Sets *dir to 0 when p goes A->B, 1 when B->A. */
static bool flow_match(const struct cap_flow *f, const struct cap_pkt *p, int *dir)
{
	if (f->proto != p->proto || f->ipver != p->ipver)
		return false;
	if (f->port[0] == p->sport && f->port[1] == p->dport &&
	    memcmp(f->addr[0], p->src, 16) == 0 && memcmp(f->addr[1], p->dst, 16) == 0) {
		*dir = 0;
		return true;
	}
	if (f->port[0] == p->dport && f->port[1] == p->sport &&
	    memcmp(f->addr[0], p->dst, 16) == 0 && memcmp(f->addr[1], p->src, 16) == 0) {
		*dir = 1;
		return true;
	}
	return false;
}

static bool same_tuple(const struct cap_flow *f, const struct cap_flow *g)
{
	struct cap_pkt p = {.ipver = g->ipver, .proto = g->proto,
			    .sport = g->port[0], .dport = g->port[1]};
	int dir;

	memcpy(p.src, g->addr[0], 16);
	memcpy(p.dst, g->addr[1], 16);
	return flow_match(f, &p, &dir);
}

/* Put flow i in the index; a later flow on the same 5-tuple (a reused
 * port) replaces the earlier one. */
static void slot_insert(struct cap_flows *fl, uint32_t i)
{
	size_t mask = fl->nslots - 1;
	size_t s = hash_flow(&fl->flows[i]) & mask;

	while (fl->slots[s] && !same_tuple(&fl->flows[fl->slots[s] - 1], &fl->flows[i]))
		s = (s + 1) & mask;
	fl->slots[s] = i + 1;
}

/* Room for one more flow: the array and an index at most half full. */
static int reserve(struct cap_flows *fl)
{
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : INITIAL_FLOWS;
		struct cap_flow *nf = realloc(fl->flows, cap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		fl->flows = nf;
		fl->cap = cap;
	}
	if ((fl->n + 1) * 2 > fl->nslots) {
		size_t nslots = fl->nslots ? fl->nslots * 2 : INITIAL_FLOWS * 2;
		uint32_t *ns = calloc(nslots, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		free(fl->slots);
		fl->slots = ns;
		fl->nslots = nslots;
		for (size_t i = 0; i < fl->n; i++)
			slot_insert(fl, (uint32_t)i);
	}
	return 0;
}

/* The flow of p and its direction, or NULL. */
static struct cap_flow *lookup(struct cap_flows *fl, const struct cap_pkt *p, int *dir)
{
	size_t mask = fl->nslots - 1;
	size_t s = hash_tuple(p->proto, p->src, p->sport, p->dst, p->dport) & mask;

	while (fl->slots[s]) {
		struct cap_flow *f = &fl->flows[fl->slots[s] - 1];
		if (flow_match(f, p, dir))
			return f;
		s = (s + 1) & mask;
	}
	return NULL;
}

/* A new flow with p's sender as A, indexed (replacing an earlier flow on
 * the same 5-tuple). */
static struct cap_flow *flow_create(struct cap_flows *fl, const struct cap_pkt *p,
				    uint64_t ts_ns, uint32_t reuse, int *err)
{
	if (fl->n >= fl->max_flows) {
		*err = -ENOSPC;
		return NULL;
	}
	*err = reserve(fl);
	if (*err)
		return NULL;
	struct cap_flow *f = &fl->flows[fl->n];
	memset(f, 0, sizeof(*f));
	f->ipver = p->ipver;
	f->proto = p->proto;
	f->port[0] = p->sport;
	f->port[1] = p->dport;
	memcpy(f->addr[0], p->src, 16);
	memcpy(f->addr[1], p->dst, 16);
	f->index = (uint32_t)fl->n;
	f->reuse = reuse;
	f->first_ns = f->last_ns = ts_ns;
	fl->n++;
	slot_insert(fl, f->index);
	return f;
}

/* tshark's rule for a reused port: a SYN without ACK whose sequence number
 * is not the base already recorded for that side starts a new conversation. */
static bool is_new_incarnation(const struct cap_flow *f, int dir, const struct cap_pkt *p)
{
	return p->proto == CAP_PROTO_TCP &&
	       (p->tcp_flags & (CAP_TCP_SYN | CAP_TCP_ACK)) == CAP_TCP_SYN &&
	       f->dir[dir].isn_set && p->seq != f->dir[dir].isn;
}

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static void count_segment(struct cap_dir *d, uint32_t len)
{
	d->segments++;
	d->payload_bytes += len;
	if (d->segments == 1 || len < d->min_seg)
		d->min_seg = len;
	if (len > d->max_seg)
		d->max_seg = len;
}

static void tcp_account(struct cap_flow *f, int dir, const struct cap_pkt *p,
			struct cap_seg *s)
{
	struct cap_dir *d = &f->dir[dir];
	const struct cap_dir *peer = &f->dir[!dir];
	uint8_t fl = p->tcp_flags;

	if (!d->isn_set) {
		d->isn = fl & CAP_TCP_SYN ? p->seq : p->seq - 1;
		d->high = p->seq - d->isn;
		d->isn_set = true;
	}
	d->syn += !!(fl & CAP_TCP_SYN);
	d->fin += !!(fl & CAP_TCP_FIN);
	d->rst += !!(fl & CAP_TCP_RST);
	d->psh += !!(fl & CAP_TCP_PSH);
	if (fl & CAP_TCP_SYN)
		d->syn_seen = true;
	s->rel_seq = p->seq - d->isn;
	s->rel_ack = peer->isn_set ? p->ack - peer->isn : p->ack;
	if (p->payload_len) {
		count_segment(d, p->payload_len);
		if (seq_lt(s->rel_seq, d->high)) {
			uint32_t overlap = d->high - s->rel_seq;
			s->retrans = true;
			d->retrans++;
			d->retrans_bytes += overlap < p->payload_len ? overlap : p->payload_len;
		}
	}
	uint32_t end = s->rel_seq + p->payload_len + !!(fl & CAP_TCP_SYN) + !!(fl & CAP_TCP_FIN);
	if (seq_lt(d->high, end))
		d->high = end;
}

int cap_flows_add(struct cap_flows *fl, const struct cap_pkt *p, uint64_t ts_ns)
{
	struct cap_flow *f = NULL;
	int dir = 0, err = 0;

	if ((p->proto != CAP_PROTO_TCP && p->proto != CAP_PROTO_UDP) ||
	    (p->flags & CAP_PKT_F_FRAG))
		return 0;
	if (fl->nslots)
		f = lookup(fl, p, &dir);
	if (!f || is_new_incarnation(f, dir, p)) {
		f = flow_create(fl, p, ts_ns, f ? f->reuse + 1 : 0, &err);
		dir = 0;
		if (!f) {
			fl->untracked++;
			return err;
		}
	}
	struct cap_dir *d = &f->dir[dir];
	struct cap_seg s = {.ts_ns = ts_ns, .dir = dir, .len = p->payload_len,
			    .tcp_flags = p->tcp_flags};
	d->packets++;
	d->bytes += p->wirelen;
	d->truncated += !!(p->flags & CAP_PKT_F_TRUNC);
	if (ts_ns < f->first_ns)
		f->first_ns = ts_ns;
	if (ts_ns > f->last_ns)
		f->last_ns = ts_ns;
	if (p->proto == CAP_PROTO_TCP)
		tcp_account(f, dir, p, &s);
	else
		count_segment(d, p->payload_len);
	if (fl->on_seg)
		fl->on_seg(fl->on_seg_arg, f, &s, p);
	return 0;
}

static bool is_malformed(enum cap_pkt_rc rc)
{
	return rc == CAP_PKT_TRUNC_LINK || rc == CAP_PKT_TRUNC_IP || rc == CAP_PKT_TRUNC_L4 ||
	       rc == CAP_PKT_BAD_IP || rc == CAP_PKT_BAD_L4;
}

enum cap_pkt_rc cap_flows_account(struct cap_flows *fl, struct cap_totals *t, int link,
				  const uint8_t *bytes, uint32_t caplen, uint32_t wirelen,
				  uint64_t ts_ns, uint16_t port)
{
	struct cap_pkt p;
	enum cap_pkt_rc rc = cap_pkt_parse(link, bytes, caplen, wirelen, &p);

	if (t->packets == 0 || ts_ns < t->first_ns)
		t->first_ns = ts_ns;
	if (ts_ns > t->last_ns)
		t->last_ns = ts_ns;
	t->packets++;
	t->bytes += wirelen;
	t->rc[rc]++;
	if (is_malformed(rc))
		t->malformed++;
	if (rc != CAP_PKT_OK)
		return rc;
	if (p.proto == CAP_PROTO_TCP)
		t->tcp++;
	else if (p.proto == CAP_PROTO_UDP)
		t->udp++;
	else
		t->other_ip++;
	if (p.flags & CAP_PKT_F_FRAG) {
		t->fragments++;
		return rc;
	}
	if (p.proto != CAP_PROTO_TCP && p.proto != CAP_PROTO_UDP)
		return rc;
	if (port && p.sport != port && p.dport != port) {
		t->filtered++;
		return rc;
	}
	t->truncated += !!(p.flags & CAP_PKT_F_TRUNC);
	if (cap_flows_add(fl, &p, ts_ns) < 0)
		t->untracked++;
	return rc;
}
