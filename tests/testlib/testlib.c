/*
 * tests/testlib/testlib.c — start/stop the real server for integration tests,
 * connect to it, and read what the kernel says about its process (/proc).
 * Servers started and not yet stopped are remembered so that a test that
 * failed half-way does not leave one running (tl_cleanup).
 */
#include "testlib/testlib.h"

#include "net/clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* Servers running, and Unix socket paths made, for tl_cleanup(). */
#define TL_MAX_LIVE 64
static pid_t live[TL_MAX_LIVE];
#define TL_MAX_PATHS 64
static char paths[TL_MAX_PATHS][108];
static unsigned npaths;

static void path_add(const char *p)
{
	snprintf(paths[npaths++ % TL_MAX_PATHS], sizeof(paths[0]), "%.*s", (int)sizeof(paths[0]) - 1, p);
}

static void live_add(pid_t pid)
{
	for (int i = 0; i < TL_MAX_LIVE; i++) {
		if (live[i] == 0) {
			live[i] = pid;
			return;
		}
	}
}

static void live_del(pid_t pid)
{
	for (int i = 0; i < TL_MAX_LIVE; i++)
		if (live[i] == pid)
			live[i] = 0;
}

int tl_cleanup(void **state)
{
	(void)state;
	for (int i = 0; i < TL_MAX_LIVE; i++) {
		if (live[i] > 0) {
			kill(live[i], SIGKILL);
			waitpid(live[i], NULL, 0);
		}
		live[i] = 0;
	}
	/* A server killed, or a test failed half-way, leaves its sockets. */
	for (unsigned i = 0; i < TL_MAX_PATHS; i++) {
		if (paths[i][0])
			unlink(paths[i]);
		paths[i][0] = '\0';
	}
	return 0;
}

void tl_startv(struct tl_server *s, const char *const *args)
{
	tl_startv_opts(s, NULL, args);
}

/* In the child, before exec: the limits o asks for (exits 126 if refused). */
static void apply_opts(const struct tl_opts *o)
{
	if (o && o->nofile) {
		struct rlimit rl = {o->nofile, o->nofile};
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(126);
	}
	if (o && o->fsize > 0) {
		struct rlimit rl = {(rlim_t)o->fsize, (rlim_t)o->fsize};
		signal(SIGXFSZ, SIG_IGN);   /* kept across exec: writes fail instead */
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(126);
	}
}

static void start_verb(struct tl_server *s, const struct tl_opts *o, const char *verb,
		       const char *const *args);

void tl_startv_opts(struct tl_server *s, const struct tl_opts *o, const char *const *args)
{
	start_verb(s, o, "serve", args);
}

void tl_start_verb(struct tl_server *s, const char *verb, ...)
{
	const char *args[60];
	size_t n = 0;
	va_list ap;
	va_start(ap, verb);
	while (n < 59 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	start_verb(s, NULL, verb, args);
}

static void start_verb(struct tl_server *s, const struct tl_opts *o, const char *verb,
		       const char *const *args)
{
	int p[2];
	const char *argv[64];
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	argv[n++] = tl_bin();
	argv[n++] = verb;
	for (; args[n - 2] && n < 63; n++)
		argv[n] = args[n - 2];
	argv[n] = NULL;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		dup2(p[1], 1);
		apply_opts(o);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	s->out = p[0];
	live_add(s->pid);
	char line[256];
	if (read_line(s->out, line, sizeof(line), (int)tl_bound_ms(5000)) < 0 ||
	    strncmp(line, "listening on ", 13) != 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		live_del(s->pid);
		close(s->out);
		fail_msg("server did not announce itself (args start with %s)", args[0]);
	}
	snprintf(s->addr_str, sizeof(s->addr_str), "%.*s", (int)sizeof(s->addr_str) - 1, line + 13);
	char err[NET_ERRLEN];
	if (s->addr_str[0] == '/') {
		path_add(s->addr_str);
		assert_int_equal(net_addr_unix(&s->addr, s->addr_str, err, sizeof(err)), 0);
	} else {
		assert_int_equal(net_addr_parse_hostport(&s->addr, s->addr_str, err, sizeof(err)), 0);
	}
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

void tl_start_opts(struct tl_server *s, const struct tl_opts *o, ...)
{
	const char *args[60];
	size_t n = 0;
	va_list ap;
	va_start(ap, o);
	while (n < 59 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	tl_startv_opts(s, o, args);
}

void tl_stop(struct tl_server *s)
{
	kill(s->pid, SIGTERM);
	double end = tl_ms() + tl_bound_ms(10000);
	int st = 0;
	pid_t r;
	while ((r = waitpid(s->pid, &st, WNOHANG)) == 0 && tl_ms() < end)
		usleep(2000);
	if (r == 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &st, 0);
		live_del(s->pid);
		close(s->out);
		fail_msg("server did not stop within 10 s of SIGTERM");
	}
	live_del(s->pid);
	s->status = st;
	char line[sizeof(s->stats) + 16];
	s->stats[0] = '\0';
	while (read_line(s->out, line, sizeof(line), 1000) == 0) {
		if (strncmp(line, "stats ", 6) == 0)
			snprintf(s->stats, sizeof(s->stats), "%.*s", (int)sizeof(s->stats) - 1, line + 6);
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
		path_add(bound_path);
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

int tl_connect_from(const struct tl_server *s, const char *local_ip)
{
	int fd = socket(s->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	timeouts(fd);
	if (local_ip) {
		struct net_addr la;
		char err[NET_ERRLEN];
		assert_int_equal(net_addr_ip(&la, local_ip, 0, err, sizeof(err)), 0);
		if (bind(fd, (const struct sockaddr *)&la.ss, la.len) < 0)
			fail_msg("bind %s: %s", local_ip, strerror(errno));
	}
	if (connect(fd, (const struct sockaddr *)&s->addr.ss, s->addr.len) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int tl_finish(int fd, size_t *discarded)
{
	char buf[4096];
	size_t n = 0;
	int rc;
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r > 0) {
			n += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		rc = r == 0 ? 1 : errno == ECONNRESET ? 0 : -1;
		break;
	}
	if (discarded)
		*discarded = n;
	return rc;
}

int tl_wait_closed(int fd, int timeout_ms)
{
	char buf[4096];
	double end = tl_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(end - tl_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return 0;
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return 1;
	}
}

/* Fields of /proc/PID/stat after the command (which may hold spaces and
 * parentheses, hence the last ')'): fields[0] is the state (field 3). */
static int proc_stat_fields(pid_t pid, char **fields, int max, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	int k = 0;
	char *save = NULL;
	for (char *t = strtok_r(p + 1, " \n", &save); t && k < max; t = strtok_r(NULL, " \n", &save))
		fields[k++] = t;
	return k;
}

long long tl_proc_cpu_ticks(pid_t pid)
{
	char buf[1024], *f[16];
	/* After ')': state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime — utime is f[11], stime f[12]. */
	if (proc_stat_fields(pid, f, 16, buf, sizeof(buf)) < 13)
		return -1;
	return atoll(f[11]) + atoll(f[12]);
}

long long tl_proc_rss_kb(pid_t pid)
{
	return tl_proc_status_kb(pid, "VmRSS");
}

long long tl_proc_status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t fl = strlen(field);
	long long kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, fl) == 0 && line[fl] == ':')
			kb = atoll(line + fl + 1);
	fclose(f);
	return kb;
}

static int count_children(pid_t ppid, bool zombies_only)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char buf[1024], *f[4];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (proc_stat_fields((pid_t)atoi(e->d_name), f, 4, buf, sizeof(buf)) < 2)
			continue;
		if (atoi(f[1]) == (int)ppid && (!zombies_only || f[0][0] == 'Z'))
			n++;
	}
	closedir(d);
	return n;
}

long long tl_proc_tree_rss_kb(pid_t pid)
{
	long long kb = tl_proc_rss_kb(pid);
	DIR *d = opendir("/proc");
	struct dirent *e;
	if (kb < 0 || !d) {
		if (d)
			closedir(d);
		return kb;
	}
	while ((e = readdir(d)) != NULL) {
		char buf[1024], *f[4];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid_t c = (pid_t)atoi(e->d_name);
		if (proc_stat_fields(c, f, 4, buf, sizeof(buf)) < 2 || atoi(f[1]) != (int)pid)
			continue;
		long long ck = tl_proc_rss_kb(c);
		if (ck > 0)   /* a child that just exited has no VmRSS */
			kb += ck;
	}
	closedir(d);
	return kb;
}

int tl_zombie_children(pid_t ppid)
{
	return count_children(ppid, true);
}

int tl_children(pid_t ppid)
{
	return count_children(ppid, false);
}

int tl_run_verb(const char *verb, char *out, size_t len, const char *const *args)
{
	return tl_run_verb_opts(NULL, verb, out, len, args);
}

int tl_run_verb_opts(const struct tl_opts *o, const char *verb, char *out, size_t len,
		     const char *const *args)
{
	const char *argv[40];
	size_t n = 0;
	int p[2];
	argv[n++] = tl_bin();
	argv[n++] = verb;
	for (size_t i = 0; args[i] && n < 39; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		apply_opts(o);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	ssize_t r;
	while (got + 1 < len && (r = read(p[0], out + got, len - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

void tl_repo_path(char *buf, size_t len, const char *rel)
{
	const char *me = __FILE__, *cut = strstr(me, "tests/testlib/");
	assert_non_null(cut);
	snprintf(buf, len, "%.*s%s", (int)(cut - me), me, rel);
}

void tl_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

char *tl_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0, cap = 4096;
	char *b = malloc(cap);
	assert_non_null(b);
	if (f) {
		size_t got;
		while ((got = fread(b + n, 1, cap - n - 1, f)) > 0) {
			n += got;
			if (n + 1 == cap) {
				cap *= 2;
				b = realloc(b, cap);
				assert_non_null(b);
			}
		}
		fclose(f);
	}
	b[n] = '\0';
	return b;
}

/* ---------------------------------------------------------------- skips */

static size_t skipped;

void tl_note_skip(void)
{
	skipped++;
}

int tl_exit(int failed, size_t ntests)
{
	if (failed)
		return failed;
	if (ntests > 0 && skipped >= ntests) {
		fprintf(stderr, "every test of this binary skipped: exit 77 (SKIP)\n");
		return 77;
	}
	return 0;
}

/* ---------------------------------------------------------------- bounds */

double tl_bound_ms(double ms)
{
	double k = 1;
	const char *e = getenv("SOCKLAB_TEST_TIME_SCALE");
	if (e && atof(e) >= 1)
		k = atof(e);
#if defined(__SANITIZE_ADDRESS__)
	k *= 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	k *= 4;
#endif
#endif
	return ms * k;
}
