/*
 * net/applog.h — the server's app-boundary log (`socklab serve
 * --app-log FILE`): every recv and send the server makes on a stream
 * connection, with its stream offset, and optional socket-queue samples
 * (--sample-queues), so that the harness can lay them beside the capture
 * (harness/capture/align.h) as it does with the client engine's log.
 *
 * Format: a flat file of fixed-size records (struct srv_al_rec, host byte
 * order, 64 bytes), each written with one write() on a descriptor opened
 * with O_APPEND. On Linux an O_APPEND write to a regular file is not
 * interleaved with another, so the threads of every model and the children
 * of fork/prefork (which inherit the descriptor) write to the same file
 * without a lock. A write can still come out short (disk full, a child
 * killed mid-write) and leave a torn record that the next one follows: the
 * reader finds records by magic, kind and a 24-bit check, skips what is not
 * one, and counts the bytes skipped. Records of one connection are in the
 * order they happened; records of different connections interleave.
 *
 * Times are CLOCK_MONOTONIC (net/clock.h). Connection ids come from a
 * counter in a shared mapping, so they are unique across forked children.
 * Nothing here prints or exits; a failed write is counted (dropped) and
 * otherwise ignored, since logging must never change what the server does.
 */
#ifndef SOCKLAB_NET_APPLOG_H
#define SOCKLAB_NET_APPLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

#define SRV_AL_MAGIC 0x4c41534cu   /* "LSAL" little-endian: socklab app log */

enum srv_al_kind {
	SRV_AL_ACCEPT = 1,  /* connection up: lport, rport */
	SRV_AL_RECV,        /* recv() returned len > 0 bytes at offset */
	SRV_AL_SEND,        /* one application write of len bytes at offset */
	SRV_AL_CLOSE,       /* the server closes it */
	SRV_AL_SAMPLE,      /* socket queues and TCP_INFO */
};

struct srv_al_rec {
	uint32_t magic;      /* SRV_AL_MAGIC */
	uint8_t kind;        /* enum srv_al_kind */
	uint8_t check[3];    /* FNV-1a (32 bit) of the 64 bytes with check
	                        zeroed, low 24 bits, little-endian: tells a
	                        record from a torn one glued to the next */
	uint32_t conn;       /* from 1, unique in the server's life */
	uint32_t len;        /* RECV/SEND: bytes */
	uint64_t t_ns;       /* when the call returned (SAMPLE: when taken) */
	uint64_t t_call_ns;  /* RECV/SEND: when the call began */
	uint64_t offset;     /* RECV/SEND: stream bytes before it, same direction */
	uint16_t lport, rport;
	/* SAMPLE (-1 as UINT32_MAX when the kernel did not answer) */
	uint32_t rx_queue;   /* SIOCINQ: bytes received, not yet read */
	uint32_t tx_queue;   /* SIOCOUTQ: bytes sent, not yet acknowledged */
	uint32_t rtt_us;     /* TCP_INFO tcpi_rtt */
	uint32_t cwnd;       /* tcpi_snd_cwnd, segments */
	uint32_t unacked;    /* tcpi_unacked, segments */
};
_Static_assert(sizeof(struct srv_al_rec) == 64, "srv_al_rec is the file format");

struct srv_applog;

/* Open (create, append) path. sample_ns > 0 enables queue samples. Caller
 * frees with srv_applog_close(). 0 or -errno with text in err. */
int srv_applog_open(struct srv_applog **out, const char *path, uint64_t sample_ns,
		    char *err, size_t errlen);
void srv_applog_close(struct srv_applog *log);
uint64_t srv_applog_sample_ns(const struct srv_applog *log);

/* One connection's logging state; all calls do nothing when log is NULL. */
struct srv_alconn {
	struct srv_applog *log;
	int fd;
	uint32_t id;
	uint16_t lport, rport;
	uint64_t in_off, out_off;
};

void srv_al_begin(struct srv_alconn *a, struct srv_applog *log, int fd,
		  const struct net_addr *peer);
/* A recv that began at t_call and returned n > 0 bytes (now). */
void srv_al_recv(struct srv_alconn *a, uint64_t t_call, size_t n);
/* An application write of n bytes that began at t_call. */
void srv_al_send(struct srv_alconn *a, uint64_t t_call, size_t n);
void srv_al_end(struct srv_alconn *a);
/* Sample SIOCINQ/SIOCOUTQ/TCP_INFO now, if sampling is on. */
void srv_al_sample(struct srv_alconn *a);
bool srv_al_sampling(const struct srv_alconn *a);

/* Read a whole log (srv_applog_parse on the file's bytes). *recs (caller
 * frees with free()) gets the records. 0 or -errno (-EPROTO: not a log,
 * -EFBIG: above SRV_AL_MAX_BYTES). *skipped (may be NULL) gets the bytes
 * that were not part of a record. */
int srv_applog_read(const char *path, struct srv_al_rec **recs, size_t *n, size_t *skipped);
/* The records in len bytes that may be damaged (a torn append after a
 * failed write, a truncated tail, garbage): a record is 64 bytes starting
 * with SRV_AL_MAGIC, a kind in 1..5 and its check (srv_al_rec_valid);
 * other bytes are skipped one at a time until the next record, and counted
 * in *skipped (may be NULL). Never reads outside buf. 0 (also for len 0), -EPROTO when len > 0
 * and no record was found, -ENOMEM. */
int srv_applog_parse(const void *buf, size_t len, struct srv_al_rec **recs, size_t *n,
		     size_t *skipped);
#define SRV_AL_MAX_BYTES ((size_t)1 << 30)   /* 16M records */
/* Records one server writes at most (128 MB); beyond, they are dropped
 * (counted): the capture keeps 100,000 segments per case, so a longer log
 * adds no alignable evidence. */
#define SRV_AL_MAX_RECS ((uint64_t)2 << 20)
bool srv_al_rec_valid(const struct srv_al_rec *r);
/* Set r->check (the writer does; for tests and tools). */
void srv_al_rec_seal(struct srv_al_rec *r);
/* Writes that failed (not whole) since open, over all processes. */
uint64_t srv_applog_dropped(const struct srv_applog *log);

/* For the stream models (defined in core.c). */
struct srv;
/* The server's log (NULL unless --app-log). */
struct srv_applog *srv_applog(const struct srv *s);
/* Bytes to ask of each recv: --recv-size, else the model's dflt. */
size_t srv_recv_size(const struct srv *s, size_t dflt);
/* The late reader (--read-delay): sleep that long after accept, sampling
 * the queues every --sample-queues meanwhile. 0, or -ECANCELED on
 * shutdown. Blocking models only; epoll uses a timer (stream_epoll.c). */
int srv_read_delay(struct srv *s, struct srv_alconn *al);

#endif
