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

/* Start any long-running verb that announces itself the same way
 * (`socklab VERB ARGS...`, e.g. "relay"); stop it with tl_stop. */
void tl_start_verb(struct tl_server *s, const char *verb, ...);

/* How the server process is started, beyond its arguments. */
struct tl_opts {
	unsigned nofile;         /* > 0: RLIMIT_NOFILE soft and hard, set in the
				  * child before exec (EMFILE tests) */
	long fsize;              /* > 0: RLIMIT_FSIZE in bytes, SIGXFSZ ignored:
				  * writes past it fail as on a full disk */
};
void tl_start_opts(struct tl_server *s, const struct tl_opts *o, ...);
void tl_startv_opts(struct tl_server *s, const struct tl_opts *o, const char *const *args);

/* SIGTERM, wait (bounded), collect stats; asserts exit status 0. */
void tl_stop(struct tl_server *s);
/* SIGKILL and reap every server started and not yet stopped, e.g. after a
 * failed assertion left one behind, and unlink the Unix socket paths of
 * servers and datagram clients (those still there). For cmocka teardown;
 * returns 0. */
int tl_cleanup(void **state);
/* A counter from the stats JSON (e.g. "accepted", "oversize"); -1 if absent. */
long long tl_stat(const struct tl_server *s, const char *key);

/* Connected socket to the server (tcp or unix-stream), 2 s send/recv timeouts. */
int tl_connect(const struct tl_server *s);
/* A UDP / unix-dgram socket connected to the server (bound to a temp path
 * for unix-dgram so replies can come back). */
int tl_dgram(const struct tl_server *s, char *bound_path, size_t len);

/* As tl_connect, but bound to local_ip first (e.g. "127.0.0.2"); NULL for
 * any. Returns the descriptor or -errno of connect() without failing. */
int tl_connect_from(const struct tl_server *s, const char *local_ip);
/* Half-close our side, then read until the server closes (bounded by the
 * 2 s receive timeout). Returns 1 on EOF, 0 on reset, -1 on timeout; the
 * bytes read meanwhile go to *discarded if not NULL. */
int tl_finish(int fd, size_t *discarded);
/* Wait up to timeout_ms for the peer to end the connection: 1 if it did
 * (EOF or reset), 0 if it is still open. Data that arrives is discarded. */
int tl_wait_closed(int fd, int timeout_ms);

/* Send all; read exactly n bytes (or until EOF/timeout). Return bytes. */
void tl_send_all(int fd, const void *p, size_t n);
size_t tl_recv_n(int fd, void *p, size_t n);

/* Run `socklab VERB ARGS...` (NULL-terminated args) to completion with
 * stdout into out (NUL-terminated, truncated to len); returns its exit
 * status, failing the test if it did not exit normally. */
int tl_run_verb(const char *verb, char *out, size_t len, const char *const *args);
/* The same, started as o says (NULL: as tl_run_verb). */
int tl_run_verb_opts(const struct tl_opts *o, const char *verb, char *out, size_t len,
		     const char *const *args);

/* Milliseconds of monotonic time. */
double tl_ms(void);
/* A unique temp path under /tmp for sockets and files. */
void tl_tmp_path(char *buf, size_t len, const char *suffix);
/* Write text to path (created or truncated); a failure fails the test. */
void tl_write_file(const char *path, const char *text);
/* The whole file, NUL-terminated; caller frees. "" for a missing file. */
char *tl_read_file(const char *path);
/* The path of rel (e.g. "scenarios/sticky.yaml") in this source tree. */
void tl_repo_path(char *buf, size_t len, const char *rel);

/* ---- the server process, from /proc ---- */

/* utime + stime of pid in clock ticks; -1 if unreadable. */
long long tl_proc_cpu_ticks(pid_t pid);
/* A kB field of /proc/PID/status ("VmRSS", "VmPeak", "VmHWM"); -1 if
 * unreadable. */
long long tl_proc_status_kb(pid_t pid, const char *field);
/* VmRSS of pid in kB; -1 if unreadable. */
long long tl_proc_rss_kb(pid_t pid);
/* VmRSS of pid plus that of each of its children (the fork and prefork
 * models serve in children) in kB; -1 if pid's is unreadable. */
long long tl_proc_tree_rss_kb(pid_t pid);
/* Children of ppid in state Z (zombies), from /proc/[pid]/stat. */
int tl_zombie_children(pid_t ppid);
/* All children of ppid, any state. */
int tl_children(pid_t ppid);

/* ---- skipping honestly ---- */

/*
 * Skip the running test (cmocka's skip()), counted: a test binary whose
 * every test skipped exits 77, which ctest reports as Not Run (SKIP), never
 * Passed. Print why before calling it.
 */
#define tl_skip() do { tl_note_skip(); skip(); } while (0)
void tl_note_skip(void);
/* The exit code of a group that ran ntests: the failures if any, 77 when
 * every test skipped, else 0. */
int tl_exit(int failed, size_t ntests);
#define tl_run_group(tests, setup, teardown) \
	tl_exit(cmocka_run_group_tests(tests, setup, teardown), sizeof(tests) / sizeof((tests)[0]))

/* ---- time bounds ---- */

/*
 * A wall-clock bound of ms milliseconds for something the test waits for,
 * scaled for slow builds: times 4 under AddressSanitizer (it slows the
 * binary under test 2-5x), times $SOCKLAB_TEST_TIME_SCALE when set (a busy
 * CI machine). Use it for upper bounds only; a lower bound stays exact.
 */
double tl_bound_ms(double ms);

#endif
