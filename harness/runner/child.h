/*
 * harness/runner/child.h — a server under test as a child process.
 *
 * The runner starts `socklab serve` (this very binary, /proc/self/exe) per
 * case, so that a crash or the fork model's children stay isolated from the
 * runner, and so that getrusage of the child is the server's own CPU and
 * memory. The child's first stdout line tells its address; at the end it is
 * sent SIGTERM, its "stats {...}" line is read and it is reaped with
 * wait4(). It is killed and reaped on every path: child_stop() after a
 * grace period sends SIGKILL, and the child dies with the runner
 * (PR_SET_PDEATHSIG) if the runner itself is killed.
 */
#ifndef SOCKLAB_HARNESS_RUNNER_CHILD_H
#define SOCKLAB_HARNESS_RUNNER_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "net/addr.h"

struct child {
	pid_t pid;                    /* -1 when not running */
	int out;                      /* its stdout */
	char addr[NET_ADDRSTRLEN];    /* from "listening on ADDR" */
	char stats[4096];             /* the JSON of its "stats" line, or "" */
	struct rusage ru;             /* after child_stop */
	int status;                   /* wait status, after child_stop */
};

/*
 * Start argv (argv[0] is replaced by /proc/self/exe) and wait up to
 * timeout_ms for its "listening on" line. Returns 0, or -errno with text in
 * err (the child is already reaped then).
 */
int child_start(struct child *c, char *const *argv, int timeout_ms, char *err, size_t errlen);
/*
 * SIGTERM, read its stats line, reap with rusage; SIGKILL after grace_ms.
 * Returns 0 when it exited 0 by itself, -ECHILD otherwise (status says how).
 * Safe to call on a child that was never started or is already stopped.
 */
int child_stop(struct child *c, int grace_ms);

/* A number from the flat or one-level-nested stats JSON: "accepted" or
 * "errors.reset". Returns false when absent. */
bool child_stat(const struct child *c, const char *key, double *out);

#endif
