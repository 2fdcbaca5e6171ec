/*
 * harness/runner/child.c — start, read, stop and reap a server child process.
 */
#include "harness/runner/child.h"

#include "net/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Read one line within the deadline; 0, or -ETIMEDOUT / -EPIPE (EOF). */
static int read_line(int fd, char *buf, size_t len, uint64_t deadline)
{
	size_t n = 0;
	while (n + 1 < len) {
		uint64_t now = net_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		char ch;
		ssize_t got = read(fd, &ch, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -EPIPE;
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return 0;
}

int child_start(struct child *c, char *const *argv, int timeout_ms, char *err, size_t errlen)
{
	int p[2];
	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->out = -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		snprintf(err, errlen, "fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		/* Die with the runner, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		/* Its own process group: a terminal's Ctrl-C reaches the
		 * runner, which stops the server in order. */
		setpgid(0, 0);
		dup2(p[1], STDOUT_FILENO);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(p[1]);
	c->pid = pid;
	c->out = p[0];

	char line[256];
	int rc = read_line(c->out, line, sizeof(line),
			   net_now_ns() + (uint64_t)timeout_ms * 1000000u);
	if (rc == 0 && strncmp(line, "listening on ", 13) == 0) {
		snprintf(c->addr, sizeof(c->addr), "%.*s", (int)sizeof(c->addr) - 1, line + 13);
		return 0;
	}
	/* A child that closed its stdout is on its way out: give it a moment
	 * to exit by itself, so that its own exit status is the one reported
	 * (not the SIGKILL of an impatient reap). */
	child_stop(c, rc == -EPIPE ? 1000 : 0);
	/* Name what was started: `socklab serve`, `socklab relay`. */
	char what[64];
	snprintf(what, sizeof(what), "socklab %s", argv[0] && argv[1] ? argv[1] : "child");
	if (rc == -ETIMEDOUT)
		snprintf(err, errlen, "%s did not report its address within %d ms", what, timeout_ms);
	else if (rc == 0)
		snprintf(err, errlen, "%s: unexpected first line '%.100s' (want 'listening on ADDR')",
			 what, line);
	else if (WIFSIGNALED(c->status))
		snprintf(err, errlen, "%s exited before listening (killed by signal %d)", what,
			 WTERMSIG(c->status));
	else
		snprintf(err, errlen, "%s exited before listening (status %d; see its message above)",
			 what, WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1);
	return rc == 0 ? -EPROTO : rc;
}

int child_stop(struct child *c, int grace_ms)
{
	if (c->pid <= 0)
		return c->status == 0 ? 0 : -ECHILD;
	kill(c->pid, SIGTERM);
	uint64_t deadline = net_now_ns() + (uint64_t)grace_ms * 1000000u;
	char line[sizeof(c->stats) + 16];
	while (c->out >= 0 && read_line(c->out, line, sizeof(line), deadline) == 0)
		if (strncmp(line, "stats ", 6) == 0)
			snprintf(c->stats, sizeof(c->stats), "%.*s", (int)sizeof(c->stats) - 1, line + 6);
	/* EOF or the grace period is over: reap, forcibly if need be. */
	pid_t r;
	while ((r = wait4(c->pid, &c->status, WNOHANG, &c->ru)) == 0 && net_now_ns() < deadline)
		net_sleep_ns(2000000);
	if (r == 0) {
		kill(c->pid, SIGKILL);
		while (wait4(c->pid, &c->status, 0, &c->ru) < 0 && errno == EINTR)
			;
	}
	if (c->out >= 0)
		close(c->out);
	c->out = -1;
	c->pid = -1;
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 ? 0 : -ECHILD;
}

bool child_stat(const struct child *c, const char *key, double *out)
{
	char pat[96];
	const char *scope = c->stats, *dot = strchr(key, '.');
	if (dot) {
		snprintf(pat, sizeof(pat), "\"%.*s\":{", (int)(dot - key), key);
		scope = strstr(c->stats, pat);
		if (!scope)
			return false;
		key = dot + 1;
	}
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(scope, pat);
	if (!p)
		return false;
	char *end;
	double v = strtod(p + strlen(pat), &end);
	if (end == p + strlen(pat))
		return false;
	*out = v;
	return true;
}
