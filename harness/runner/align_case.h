/*
 * harness/runner/align_case.h — the runner's side of the sticky-packet alignment
 * for one case: give the server child an app log (--app-log, a temporary
 * file), give the client engine an event log (ld_config.log_capacity),
 * note the clocks when the capture starts, and after the case put both
 * logs on the capture's clock, match them to the captured TCP flows by
 * port, run harness/capture/align.h per flow and direction
 * (harness/capture/align_app.h), and store app_events, sock_samples and
 * flow_align (harness/store/store_align.c).
 *
 * The case is aligned when its server keeps an app log (scn_settings'
 * server_app_log: a tcp server whose case is captured, or that samples
 * its queues; the server stage makes the file) and capture is enabled;
 * server.sample_queues alone also gives the server a log (its samples are
 * stored on the measured phase's clock).
 * Owned by the runner thread; nothing here is shared.
 *
 * Clocks: app times are CLOCK_MONOTONIC (client in-process, server child:
 * the same clock), capture times CLOCK_REALTIME from cap_start_ns().
 * al_case_clock() reads REALTIME - MONOTONIC right after the capture
 * started; stored times are t_mono + that offset - cap_start_ns.
 */
#ifndef SOCKLAB_HARNESS_RUNNER_ALIGN_CASE_H
#define SOCKLAB_HARNESS_RUNNER_ALIGN_CASE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/capture/align.h"

#define AL_CASE_LOG_EVENTS ((size_t)200000)   /* client events kept per case */

struct scn;
struct scn_case;
struct db;
struct cap_case;
struct ld_config;
struct ld_result;
struct ld_event;

struct al_case {
	bool on;                   /* the server gets --app-log */
	bool capture;              /* ... and the case is captured: align */
	char log_path[64];         /* the server's log (the server stage's file) */
	bool clock_set;
	int64_t real_minus_mono;   /* at the capture's start */
	uint64_t mono0;            /* CLOCK_MONOTONIC then (no capture: phase start) */
	struct ld_event *cev;      /* the client's log, taken from its result */
	size_t ncev;
	uint64_t cev_dropped;
	bool nodelay, cork;        /* the client's sockets */
	uint16_t target_port;      /* what the clients connected to (the
	                              server, or the relay in front of it) */
	bool srv_nodelay;
	/* Message bounds (docs/analysis.md, "Messages"), from the client's
	 * config: every message msg_len framed bytes (a fixed size), else
	 * split:K's K sends per message, else one send per message. */
	uint64_t msg_len;          /* 0: sizes vary (or files) */
	unsigned split;            /* K of split:K, else 0 */
	bool echo;                 /* the handler's replies repeat the request's
	                              bytes: s2c has the same bounds */
	/* The server log: bytes that were not records (a torn or truncated
	 * file), and records not matched to a captured flow. */
	size_t srv_skipped;
	uint64_t srv_unmatched;
	int srv_log_err;           /* -errno reading it (0: read, or none) */
	/* What the summary shows: c2s totals over the case's aligned flows
	 * that have both ends' logs; behind a relay the client's leg (sends,
	 * no recvs) and the server's (recvs, no sends) are totalled apart,
	 * since adding their segments would count every byte twice. */
	bool have;
	uint64_t flows;
	struct al_counts c2s, s2c;
	struct al_counts c2s_client_leg, c2s_server_leg;
};

/* Set up for case c of s, whose server writes its app log to srv_log
 * (NULL: none, and nothing is aligned). al is zeroed first. */
void al_case_begin(struct al_case *al, const struct scn *s, const struct scn_case *c,
		   const char *srv_log);
/* log_capacity for the measured phase's ld_config (0 when off). */
size_t al_case_log_capacity(const struct al_case *al);
/* Right after the capture started (or the measured phase, without one). */
void al_case_clock(struct al_case *al);
/* After the measured phase: keep the client's events (res->events is then
 * NULL) and its socket options. */
void al_case_take_client(struct al_case *al, const struct ld_config *cfg,
			 struct ld_result *res);
/* After cap_case_store(): align and store. 0 or the store's -errno (text
 * in db_errmsg); a missing or unreadable server log is not an error (the
 * server side is then empty). */
int al_case_store(struct al_case *al, struct db *db, int64_t case_id,
		  const struct cap_case *cap);
/* Free the events (the log file is the server's). Idempotent. */
void al_case_end(struct al_case *al);

/* Summary lines: "  c2s  20 sends -> 11 segments -> 1 recvs ..." and the
 * JSON member "align":{...} (with a leading comma). Nothing when !have. */
void al_case_print(FILE *f, const struct al_case *al);
void al_case_json(FILE *f, const struct al_case *al);

#endif
