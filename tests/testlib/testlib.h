/*
 * tests/testlib/testlib.h — helpers for integration tests: start the real
 * `socklab serve` on loopback with port 0, learn its address from its first
 * line, talk to it, stop it and read its final counters. Every wait is
 * bounded so that a broken server fails a test instead of hanging it.
 */
#ifndef SOCKLAB_TESTLIB_H
#define SOCKLAB_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/types.h>

#include "net/addr.h"

struct tl_server {
	pid_t pid;
	int out;                 /* its stdout */
	char addr_str[NET_ADDRSTRLEN];
	struct net_addr addr;
	char stats[2048];        /* the final "stats {...}" JSON, after tl_stop */
	int status;              /* wait status, after tl_stop */
};

/* Path of the socklab binary under test ($SOCKLAB_BIN). */
const char *tl_bin(void);

/* Start `socklab serve ARGS...` (NULL-terminated). Fails the test if it does
 * not print "listening on ..." within 5 s. */
void tl_start(struct tl_server *s, ...);
void tl_startv(struct tl_server *s, const char *const *args);
/* SIGTERM, wait (bounded), collect stats; asserts exit status 0. */
void tl_stop(struct tl_server *s);
/* A counter from the stats JSON (e.g. "accepted", "oversize"); -1 if absent. */
long long tl_stat(const struct tl_server *s, const char *key);

/* Connected socket to the server (tcp or unix-stream), 2 s send/recv timeouts. */
int tl_connect(const struct tl_server *s);
/* A UDP / unix-dgram socket connected to the server (bound to a temp path
 * for unix-dgram so replies can come back). */
int tl_dgram(const struct tl_server *s, char *bound_path, size_t len);

/* Send all; read exactly n bytes (or until EOF/timeout). Return bytes. */
void tl_send_all(int fd, const void *p, size_t n);
size_t tl_recv_n(int fd, void *p, size_t n);

/* Milliseconds of monotonic time. */
double tl_ms(void);
/* A unique temp path under /tmp for sockets and files. */
void tl_tmp_path(char *buf, size_t len, const char *suffix);

#endif
