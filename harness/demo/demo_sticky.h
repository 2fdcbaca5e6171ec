/*
 * harness/demo/demo_sticky.h — the measuring run shared by the steps of `socklab
 * demo sticky` (internal to harness/demo_sticky*.c).
 *
 * demo_sticky_run.c: st_run(), one measured run — a listener on
 * 127.0.0.1:0, a client that writes the messages in separate send() calls
 * (with or without TCP_NODELAY, with sleeps, waiting for an ack, with a
 * delimiter or a length header), and a reader thread that starts reading at
 * once or late and reads naively (recv(1024), what the seeds' servers do),
 * by delimiter, or by length header reading exactly what remains. The wire
 * is measured twice: the sender's own kernel counter (TCP_INFO
 * tcpi_data_segs_out, no privilege needed) and, as root, a live capture on
 * lo (harness/capture/capture.h) that gives every segment's time and bytes for the
 * timeline. Optionally the client goes through the splitting relay
 * (harness/relay/relay.h) to force messages across segments.
 * demo_sticky.c: steps 1-3 and how a run is shown (timeline, chart).
 * demo_sticky_fixes.c: step 4, the seeds' fixes.
 */
#ifndef SOCKLAB_HARNESS_DEMO_DEMO_STICKY_H
#define SOCKLAB_HARNESS_DEMO_DEMO_STICKY_H

#include "harness/capture/align.h"
#include "harness/demo/demo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ST_MAXMSG 64
#define ST_MAXRECV 512
#define ST_MAXSEG 512
#define ST_READ_TIMEOUT_MS 3000

enum st_write { W_PLAIN, W_SLEEP, W_ACK, W_DELIM, W_LENGTH };
enum st_read { R_NAIVE, R_DELIM, R_LENGTH };

struct st_ev {
	uint64_t ts;      /* CLOCK_REALTIME ns */
	size_t lo, hi;    /* stream byte range */
	bool short_read;  /* recv: fewer bytes than the reader asked for */
	uint64_t call;    /* send/recv: when the call began (ts: when it returned) */
};

struct st_run {
	/* in */
	unsigned n;
	bool nodelay;
	uint64_t reader_delay_ns;
	enum st_write w;
	enum st_read r;
	uint64_t sleep_ns;
	bool capture;
	const char *chunks;      /* through the relay with these write sizes; NULL: direct */
	/* out */
	char msg[ST_MAXMSG][16];
	size_t end[ST_MAXMSG];   /* wire offset after message i */
	struct st_ev sends[ST_MAXMSG];
	struct st_ev recvs[ST_MAXRECV];
	struct st_ev segs[ST_MAXSEG];
	size_t nrecv, nseg, total;
	long long data_segs;     /* TCP_INFO, -1 unknown */
	int cap_rc;              /* 0 captured, -errno unavailable */
	char cap_why[160];
	unsigned intact;         /* messages the reader got alone and exactly as sent */
	unsigned split_reads;    /* reads that ended inside a message */
	unsigned max_per_recv;   /* messages completed by one read, at most */
	unsigned first_recv_msgs;
	long long relay_writes;  /* the relay's client->server writes (its cuts) */
	bool aligned;            /* harness/capture/align.h ran on the capture */
	struct al_counts al;
	uint64_t sender_ns, t0;
	int err;                 /* -errno of a socket failure */
	char errmsg[400];
};

/* One measured run: fill the "in" fields (zero the rest), read the "out"
 * fields. Never fails outright: a socket error is in r->err/r->errmsg. */
void st_run(struct st_run *r);

/* The splitting relay's pace: 8000 bit/s, 1000 bytes/s. */
#define ST_RELAY_BPS 8000u

/* The reader starts this late in the "late reader" runs (50 ms). */
#define ST_LATE_NS 50000000ull

/* demo_sticky.c: false (and the error shown) when the run failed. */
bool st_run_ok(struct demo *d, const struct st_run *r);

/* demo_sticky_fixes.c: step 4. 0 or -ENOMEM. */
int st_step_fixes(struct demo *d, unsigned n);

#endif
