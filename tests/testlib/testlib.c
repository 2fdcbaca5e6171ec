/*
 * tests/testlib/testlib.c — start/stop the real server for integration tests.
 */
#include "testlib/testlib.h"

#include "net/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

const char *tl_bin(void)
{
	const char *b = getenv("SOCKLAB_BIN");
	return b && *b ? b : "./socklab";
}

double tl_ms(void)
{
	return (double)net_now_ns() / 1e6;
}

void tl_tmp_path(char *buf, size_t len, const char *suffix)
{
	static unsigned seq;
	snprintf(buf, len, "/tmp/socklab-test-%d-%u%s", (int)getpid(), seq++, suffix);
}

/* Read one line from fd within timeout_ms into buf (no newline). */
static int read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;
	double end = tl_ms() + timeout_ms;
	while (n + 1 < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(end - tl_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r <= 0)
			return -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

void tl_startv(struct tl_server *s, const char *const *args)
{
	int p[2];
	const char *argv[64];
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	argv[n++] = tl_bin();
	argv[n++] = "serve";
	for (; args[n - 2] && n < 63; n++)
		argv[n] = args[n - 2];
	argv[n] = NULL;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		dup2(p[1], 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	s->out = p[0];
	char line[256];
	if (read_line(s->out, line, sizeof(line), 5000) < 0 ||
	    strncmp(line, "listening on ", 13) != 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		fail_msg("server did not announce itself (args start with %s)", args[0]);
	}
	snprintf(s->addr_str, sizeof(s->addr_str), "%s", line + 13);
	char err[NET_ERRLEN];
	if (s->addr_str[0] == '/')
		assert_int_equal(net_addr_unix(&s->addr, s->addr_str, err, sizeof(err)), 0);
	else
		assert_int_equal(net_addr_parse_hostport(&s->addr, s->addr_str, err, sizeof(err)), 0);
}

void tl_start(struct tl_server *s, ...)
{
	const char *args[60];
	size_t n = 0;
	va_list ap;
	va_start(ap, s);
	while (n < 59 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	tl_startv(s, args);
}

void tl_stop(struct tl_server *s)
{
	kill(s->pid, SIGTERM);
	double end = tl_ms() + 10000;
	int st = 0;
	pid_t r;
	while ((r = waitpid(s->pid, &st, WNOHANG)) == 0 && tl_ms() < end)
		usleep(2000);
	if (r == 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &st, 0);
		close(s->out);
		fail_msg("server did not stop within 10 s of SIGTERM");
	}
	s->status = st;
	char line[sizeof(s->stats) + 16];
	s->stats[0] = '\0';
	while (read_line(s->out, line, sizeof(line), 1000) == 0) {
		if (strncmp(line, "stats ", 6) == 0)
			snprintf(s->stats, sizeof(s->stats), "%s", line + 6);
	}
	close(s->out);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(s->stats[0] == '{');
}

long long tl_stat(const struct tl_server *s, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(s->stats, pat);
	return p ? atoll(p + strlen(pat)) : -1;
}

static void timeouts(int fd)
{
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int tl_connect(const struct tl_server *s)
{
	int fd = socket(s->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	timeouts(fd);
	if (connect(fd, (const struct sockaddr *)&s->addr.ss, s->addr.len) < 0)
		fail_msg("connect %s: %s", s->addr_str, strerror(errno));
	return fd;
}

int tl_dgram(const struct tl_server *s, char *bound_path, size_t len)
{
	int fd = socket(s->addr.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	timeouts(fd);
	if (s->addr.ss.ss_family == AF_UNIX) {
		struct sockaddr_un un = {.sun_family = AF_UNIX};
		tl_tmp_path(bound_path, len, ".cli");
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", bound_path);
		assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	} else if (bound_path && len) {
		bound_path[0] = '\0';
	}
	assert_int_equal(connect(fd, (const struct sockaddr *)&s->addr.ss, s->addr.len), 0);
	return fd;
}

void tl_send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fail_msg("send: %s", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
}

size_t tl_recv_n(int fd, void *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = recv(fd, (char *)p + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}
