/*
 * harness/relay/relay.h — `socklab relay`: a userspace impairment relay between
 * clients and a server on loopback, deterministic under a seed.
 *
 * Two halves. The decisions (relay_decide.c) are pure and socket-free: a
 * seeded xoshiro256** (clients/payload.h) says for each datagram whether
 * it is lost, duplicated, held back behind the next one (reordered) and
 * how long it is delayed; a virtual-clock rate queue admits or tail-drops
 * it; a chunker cuts a TCP byte stream into the configured write sizes.
 * Every decision draws the same number of values from the generator
 * whatever the probabilities, so one seed gives one decision sequence.
 *
 * The loop (relay.c) is one net_poller: UDP keeps one upstream socket per
 * client address; TCP pairs each accepted connection with a non-blocking
 * upstream one and forwards both ways with backpressure, a delay line
 * (--delay: bytes leave when they have been held for their delay) and a
 * token bucket (--rate). Impairment applies client->server, and
 * server->client too with `both`.
 */
#ifndef SOCKLAB_HARNESS_RELAY_RELAY_H
#define SOCKLAB_HARNESS_RELAY_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/rng.h"
#include "net/addr.h"

/* TCP: a direction stops being read while it holds this many bytes
 * (one read of RLY_READ may go above it). */
#define RLY_HWM (256u * 1024)
#define RLY_READ 65536

#define RLY_MAX_CHUNKS 32

/* TCP write sizes: none (forward as read), a cycled list, or uniform A..B. */
enum rly_chunk_kind {
	RLY_CHUNK_NONE,
	RLY_CHUNK_LIST,
	RLY_CHUNK_RANDOM,
};

struct rly_chunk_spec {
	enum rly_chunk_kind kind;
	size_t sizes[RLY_MAX_CHUNKS];
	size_t n;
	size_t lo, hi;           /* random: inclusive */
};

/* One stream's position in its chunk sequence; hash as in rly_decider. */
struct rly_chunker {
	const struct rly_chunk_spec *spec;
	size_t idx;
	struct rng rng;
	uint64_t stream, n, hash;
};

struct rly_impair {
	double loss, dup, reorder;   /* probabilities 0..1 */
	uint64_t delay_ns, jitter_ns;/* delay +- uniform jitter, clamped at 0 */
	uint64_t rate_bps;           /* 0: unlimited */
	uint64_t queue_bytes;        /* the rate queue's bound (tail drop) */
};

struct rly_config {
	enum net_proto proto;        /* NET_TCP or NET_UDP */
	struct net_addr listen, to;
	struct rly_impair imp;
	struct rly_chunk_spec chunk;
	uint64_t seed;
	bool both;                   /* impair server->client as well */
	uint64_t reset_after;        /* TCP: RST after this many c2s bytes; 0 never */
	uint64_t stall_ns, stall_at; /* TCP: pause c2s stall_ns once stall_at bytes are through */
	int rcvbuf;                  /* SO_RCVBUF of the listening socket; 0: the default */
};

/* What happens to one datagram. */
struct rly_verdict {
	bool drop;
	bool dup;
	bool reorder;
	uint64_t delay_ns;
};

/* The per-direction decision state. hash folds in every verdict, so two
 * runs that made the same decisions have the same hash (see rly_hash_fold). */
struct rly_decider {
	const struct rly_impair *imp;
	struct rng rng;
	uint64_t stream;             /* as given to rly_decider_init */
	uint64_t n, hash;            /* verdicts so far, their running hash */
};

/* A FIFO drained at rate_bps on a virtual clock: busy_until is when the
 * last admitted byte has left. */
struct rly_rate {
	uint64_t rate_bps;
	uint64_t queue_bytes;
	uint64_t busy_until;         /* ns */
};

/* TCP --rate: a token bucket on the byte stream, filled at rate_bps up to
 * burst bytes. The relay writes at most what it holds and, when empty,
 * waits until the next write's bytes are in. */
struct rly_bucket {
	uint64_t rate_bps;
	uint64_t burst;              /* bytes; also the most one write takes */
	double tokens;               /* bytes */
	uint64_t last;               /* ns of the last refill */
};

/* ---- parsers: 0 or -EINVAL with the reason in err ---- */

/* "0.05", "5%", "0" .. "1" / "100%". */
int rly_prob_parse(const char *s, double *out, char *err, size_t errlen);
/* "DELAY", "DELAY±JITTER", "DELAY+-JITTER": durations of util/units.h,
 * each with its unit ("20ms+-5ms", "1s"; only 0 may be bare), at most 1h. */
int rly_delay_parse(const char *s, uint64_t *delay_ns, uint64_t *jitter_ns,
		    char *err, size_t errlen);
/* A bit rate of util/units.h: "800kbit", "10mbit", "1gbps" (SI; a bare
 * number is refused). 1bit to 1000gbit. */
int rly_rate_parse(const char *s, uint64_t *bps, char *err, size_t errlen);
/* "1,3,7" (up to RLY_MAX_CHUNKS sizes of util/units.h, each 1..65536 bytes)
 * or "random:A-B". */
int rly_chunk_parse(struct rly_chunk_spec *c, const char *s, char *err, size_t errlen);
/* "DURATION@BYTES" ("500ms@1000", "1s@4k"): stall for DURATION (> 0, with
 * its unit) once BYTES (>= 1, a size) bytes are through. */
int rly_stall_parse(const char *s, uint64_t *ns, uint64_t *at, char *err, size_t errlen);

/* ---- decisions ---- */

/* stream distinguishes independent generators from one seed (direction,
 * connection number). */
void rly_decider_init(struct rly_decider *d, const struct rly_impair *imp,
		      uint64_t seed, uint64_t stream);
void rly_decide(struct rly_decider *d, struct rly_verdict *v);

/* The digest of one decision sequence (a decider's or chunker's stream
 * number, count and hash), 53 bits so that it survives a double in the
 * store. The relay adds up the digests of all its sequences: the sum does
 * not depend on the order in which flows were served. 0 for no decisions. */
uint64_t rly_hash_digest(uint64_t stream, uint64_t n, uint64_t hash);

void rly_rate_init(struct rly_rate *r, uint64_t rate_bps, uint64_t queue_bytes);
/* Admit len bytes arriving at now: 0 and *depart (when its last bit
 * leaves), or -ENOBUFS when the queue already holds queue_bytes (tail
 * drop). Unlimited rate: depart = now. */
int rly_rate_admit(struct rly_rate *r, uint64_t now, size_t len, uint64_t *depart);

/* Full bucket at now; burst 0 picks 20 ms worth of rate_bps (1 byte to 64 KiB). */
void rly_bucket_init(struct rly_bucket *b, uint64_t rate_bps, uint64_t burst, uint64_t now);
/* Take up to want bytes at now: how many may be written (0: wait). */
size_t rly_bucket_take(struct rly_bucket *b, uint64_t now, size_t want);
/* When (absolute ns) min(want, burst / 2) bytes will be in the bucket
 * (at least 1): the writer wakes then, and a late wakeup still finds room
 * under the cap for what accrued meanwhile. */
uint64_t rly_bucket_ready(const struct rly_bucket *b, uint64_t now, size_t want);

void rly_chunker_init(struct rly_chunker *c, const struct rly_chunk_spec *spec,
		      uint64_t seed, uint64_t stream);
/* The next write size; 0 for RLY_CHUNK_NONE (write what there is). */
size_t rly_chunk_next(struct rly_chunker *c);

/* ---- the loop ---- */

/* Everything the relay did, per direction. UDP counts datagrams, and
 * received == forwarded + dropped + rate_dropped; duplicated are extra
 * copies on top of forwarded. TCP streams count in struct rly_counters. */
struct rly_dgram_counters {
	uint64_t received, forwarded, dropped, duplicated, reordered, delayed, rate_dropped;
	uint64_t send_failed;        /* forwarded copies the kernel refused (ENOBUFS...) */
};

struct rly_counters {
	struct rly_dgram_counters c2s, s2c;
	uint64_t send_errors, flows, flows_refused;
	/* UDP: datagrams the client-facing socket's kernel dropped before the
	 * relay read them (receive buffer full; SO_MEMINFO sk_drops, read when
	 * the relay stops, after it has drained what was still queued). */
	uint64_t rcvbuf_dropped;
	uint64_t conns, upstream_failed, bytes_c2s, bytes_s2c, chunks, holds, stalls, resets;
	uint64_t rate_waits;         /* TCP: writes held back by --rate */
	uint64_t buf_peak;           /* TCP: most bytes one direction ever held */
	uint64_t decisions;          /* verdicts and chunk sizes drawn */
	uint64_t decision_hash;      /* sum of rly_hash_digest over every sequence, mod 2^53 */
};

struct rly_relay;

/* Bind the listening socket. Returns 0 or -errno with text in err; the
 * caller frees with rly_close. */
int rly_open(struct rly_relay **out, const struct rly_config *cfg, char *err, size_t errlen);
const struct net_addr *rly_addr(const struct rly_relay *r);
/* Run until rly_shutdown. UDP: then what is still queued on the listening
 * socket is relayed (100 ms at most) and its drop counter read; pending
 * delayed datagrams are sent at the end. Returns 0 or -errno. */
int rly_run(struct rly_relay *r);
/* Async-signal-safe: ask rly_run to return. */
void rly_shutdown(struct rly_relay *r);
/* Every counter, with the decisions of flows and connections still open. */
const struct rly_counters *rly_counters(struct rly_relay *r);
void rly_counters_json(const struct rly_counters *c, const struct rly_config *cfg, FILE *f);
void rly_close(struct rly_relay *r);

#endif
