/*
 * harness/netns/netns.c — make, enter and remove the namespace pair of a
 * `topology: pair` case with ip, tc and nft (see netns.h for the layout).
 */
#include "harness/netns/netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define NETNS_DIR "/run/netns"
#define CAP_NET_ADMIN_BIT 12
#define CAP_SYS_ADMIN_BIT 21

/* ---------------------------------------------------------------- programs */

/* Full path of a system program: PATH first, then the sbin directories a
 * non-login root shell may lack. false when not found. */
static bool find_prog(const char *name, char *out, size_t len)
{
	static const char *const extra[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL};
	const char *path = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path ? path : "");
	for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	for (const char *const *d = extra; *d; d++) {
		snprintf(out, len, "%s/%s", *d, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* The command as one line, for messages. */
static void argv_text(char *const *argv, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; argv[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", argv[i]);
}

/*
 * Run argv (argv[0] a program name, looked up with find_prog) with stdin on
 * /dev/null, and wait for it. Its stderr (and stdout when out is not NULL:
 * then also copied to out, NUL-terminated) is read through a pipe. 0 when
 * it exits 0; else -EIO (or the spawn error) with "CMD: its output" in err.
 */
static int run_prog_out(char *const *argv, char *out, size_t outlen, char *err, size_t errlen)
{
	char path[512], cmd[512], msg[2048];
	int p[2] = {-1, -1}, rc;
	size_t got = 0;
	pid_t pid;
	posix_spawn_file_actions_t fa;

	argv_text(argv, cmd, sizeof(cmd));
	if (!find_prog(argv[0], path, sizeof(path))) {
		snprintf(err, errlen, "%s: program not found", cmd);
		return -ENOENT;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: pipe: %s", cmd, strerror(errno));
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (out)
		posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
	/* Its own process group: a terminal's Ctrl-C goes to the runner, which
	 * then cleans up, and must not kill the `ip netns delete` doing it. */
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		snprintf(err, errlen, "%s: %s", cmd, strerror(rc));
		return -rc;
	}
	for (;;) {
		ssize_t r = read(p[0], msg + got, sizeof(msg) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == sizeof(msg) - 1) {
			/* Keep draining so the program can finish. (errno is only
			 * looked at after a failed read: a 0 at EOF leaves a stale
			 * EINTR in it, which looped here for ever.) */
			char sink[256];
			for (;;) {
				ssize_t k = read(p[0], sink, sizeof(sink));
				if (k > 0 || (k < 0 && errno == EINTR))
					continue;
				break;
			}
			break;
		}
	}
	msg[got] = '\0';
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "%s: waitpid: %s", cmd, strerror(errno));
			return -ECHILD;
		}
	if (out)
		snprintf(out, outlen, "%s", msg);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	while (got && (msg[got - 1] == '\n' || msg[got - 1] == ' '))
		msg[--got] = '\0';
	for (char *c = msg; *c; c++)
		if (*c == '\n')
			*c = ' ';
	if (WIFEXITED(st))
		snprintf(err, errlen, "%s: exit %d: %s", cmd, WEXITSTATUS(st),
			 got ? msg : "(no message)");
	else
		snprintf(err, errlen, "%s: killed by signal %d", cmd, WTERMSIG(st));
	return -EIO;
}

#define RUN(err, errlen, ...) \
	run_prog_out((char *const[]){__VA_ARGS__, NULL}, NULL, 0, (err), (errlen))

/* ---------------------------------------------------------------- checks */

/* The effective capability set of this process, from /proc/self/status. */
static bool cap_effective(uint64_t *caps)
{
	char line[256];
	bool ok = false;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0) {
			ok = sscanf(line + 7, "%" SCNx64, caps) == 1;
			break;
		}
	fclose(f);
	return ok;
}

uint64_t netns_default_burst(uint64_t rate_bps)
{
	uint64_t b = rate_bps / 8 / 100;   /* 10 ms at the rate */
	return b < 16384 ? 16384 : b;
}

int netns_available(const struct netns_link *link, char *why, size_t len)
{
	const char *sim = getenv("SOCKLAB_NETNS_UNPRIVILEGED");
	uint64_t caps = 0;
	char path[512];

	if (sim && *sim && strcmp(sim, "0") != 0) {
		snprintf(why, len, "topology pair needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) "
			 "to make network namespaces; SOCKLAB_NETNS_UNPRIVILEGED is set");
		return -EPERM;
	}
	if (geteuid() != 0 || !cap_effective(&caps) ||
	    !(caps & (1ull << CAP_SYS_ADMIN_BIT)) || !(caps & (1ull << CAP_NET_ADMIN_BIT))) {
		snprintf(why, len, "topology pair needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) "
			 "to make network namespaces; running as uid %u", (unsigned)geteuid());
		return -EPERM;
	}
	if (!find_prog("ip", path, sizeof(path))) {
		snprintf(why, len, "topology pair needs the ip program (iproute2), not installed");
		return -ENOENT;
	}
	if (link && link->rate_bps && !find_prog("tc", path, sizeof(path))) {
		snprintf(why, len, "link.rate needs the tc program (iproute2), not installed");
		return -ENOENT;
	}
	if (link && link->loss > 0 && !find_prog("nft", path, sizeof(path))) {
		snprintf(why, len, "link.loss needs the nft program (nftables), not installed");
		return -ENOENT;
	}
	struct stat st;
	if (stat("/proc/self/ns/net", &st) < 0) {
		snprintf(why, len, "this kernel has no network namespaces (/proc/self/ns/net: %s)",
			 strerror(errno));
		return -ENOENT;
	}
	return 0;
}

/* ---------------------------------------------------------------- pairs */

static int apply_link(const struct netns_pair *p, const struct netns_link *l,
		      char *err, size_t errlen)
{
	char rate[32], burst[32], cmp[48];
	int rc = 0;

	if (l->rate_bps) {
		uint64_t b = l->burst_bytes ? l->burst_bytes : netns_default_burst(l->rate_bps);
		snprintf(rate, sizeof(rate), "%" PRIu64 "bit", l->rate_bps);
		snprintf(burst, sizeof(burst), "%" PRIu64 "b", b);
		/* Both egresses: the link is that fast in each direction. The
		 * queue holds 50 ms at the rate beyond the bucket. */
		rc = RUN(err, errlen, "tc", "-n", (char *)p->client, "qdisc", "add", "dev",
			 NETNS_CLIENT_IFACE, "root", "tbf", "rate", rate, "burst", burst, "latency", "50ms");
		if (rc == 0)
			rc = RUN(err, errlen, "tc", "-n", (char *)p->server, "qdisc", "add", "dev",
				 NETNS_SERVER_IFACE, "root", "tbf", "rate", rate, "burst", burst,
				 "latency", "50ms");
	}
	if (rc == 0 && l->loss > 0) {
		/* numgen random mod 10^6 < loss * 10^6: a drop probability with
		 * a resolution of one in a million, on what reaches the server.
		 * Only the client's own IPv4 TCP and UDP: its counter is a term
		 * of the UDP accounting (link_dropped), which an ICMP error or
		 * the veth's IPv6 neighbour discovery must not inflate. */
		snprintf(cmp, sizeof(cmp), "%.0f", l->loss * 1e6);
		rc = RUN(err, errlen, "ip", "netns", "exec", (char *)p->server, "nft", "add",
			 "table", "inet", "sklab");
		if (rc == 0)
			rc = RUN(err, errlen, "ip", "netns", "exec", (char *)p->server, "nft", "add",
				 "chain", "inet", "sklab", "input",
				 "{ type filter hook input priority 0; policy accept; }");
		if (rc == 0)
			rc = RUN(err, errlen, "ip", "netns", "exec", (char *)p->server, "nft", "add",
				 "rule", "inet", "sklab", "input", "iifname", NETNS_SERVER_IFACE,
				 "ip", "saddr", NETNS_CLIENT_ADDR, "meta", "l4proto", "{ tcp, udp }",
				 "numgen", "random", "mod", "1000000", "<", cmp, "counter", "drop");
	}
	return rc;
}

int netns_pair_create(struct netns_pair *p, unsigned n, const struct netns_link *link,
		      char *err, size_t errlen)
{
	static const struct netns_link none = {0};
	int rc;

	memset(p, 0, sizeof(*p));
	if (!link)
		link = &none;
	snprintf(p->client, sizeof(p->client), NETNS_PREFIX "%ld-%u-c", (long)getpid(), n);
	snprintf(p->server, sizeof(p->server), NETNS_PREFIX "%ld-%u-s", (long)getpid(), n);

	rc = RUN(err, errlen, "ip", "netns", "add", p->client);
	p->made_c = rc == 0;
	if (rc == 0) {
		rc = RUN(err, errlen, "ip", "netns", "add", p->server);
		p->made_s = rc == 0;
	}
	if (rc == 0)
		rc = RUN(err, errlen, "ip", "link", "add", "name", NETNS_CLIENT_IFACE, "netns",
			 p->client, "type", "veth", "peer", "name", NETNS_SERVER_IFACE,
			 "netns", p->server);
	if (rc == 0)
		rc = RUN(err, errlen, "ip", "-n", p->client, "addr", "add", NETNS_CLIENT_ADDR "/30",
			 "dev", NETNS_CLIENT_IFACE);
	if (rc == 0)
		rc = RUN(err, errlen, "ip", "-n", p->server, "addr", "add", NETNS_SERVER_ADDR "/30",
			 "dev", NETNS_SERVER_IFACE);
	if (rc == 0)
		rc = RUN(err, errlen, "ip", "-n", p->client, "link", "set", "lo", "up");
	if (rc == 0)
		rc = RUN(err, errlen, "ip", "-n", p->server, "link", "set", "lo", "up");
	if (rc == 0)
		rc = RUN(err, errlen, "ip", "-n", p->client, "link", "set", NETNS_CLIENT_IFACE, "up");
	if (rc == 0)
		rc = RUN(err, errlen, "ip", "-n", p->server, "link", "set", NETNS_SERVER_IFACE, "up");
	if (rc == 0)
		rc = apply_link(p, link, err, errlen);
	if (rc < 0)
		(void)netns_pair_destroy(p, NULL, 0);   /* err keeps why the pair failed */
	return rc;
}

int netns_pair_destroy(struct netns_pair *p, char *err, size_t errlen)
{
	char e[2][512];
	int rc[2] = {0, 0};
	/* Deleting a namespace removes its veth end, and with it the peer. */
	if (p->made_c)
		rc[0] = RUN(e[0], sizeof(e[0]), "ip", "netns", "delete", p->client);
	if (p->made_s)
		rc[1] = RUN(e[1], sizeof(e[1]), "ip", "netns", "delete", p->server);
	p->made_c = p->made_s = false;
	int k = rc[0] < 0 ? 0 : 1;
	if (rc[k] < 0 && err && errlen)
		snprintf(err, errlen, "%s", e[k]);
	return rc[k];
}

int netns_link_dropped(const struct netns_pair *p, uint64_t *packets, char *err, size_t errlen)
{
	char out[2048];
	*packets = 0;
	if (!p->made_s)
		return -ENOENT;
	int rc = run_prog_out((char *const[]){"ip", "netns", "exec", (char *)p->server, "nft",
					      "list", "chain", "inet", "sklab", "input", NULL},
			      out, sizeof(out), err, errlen);
	if (rc < 0)
		return rc;
	/* "... numgen random mod 1000000 < 50000 counter packets 1017 bytes 94581 drop" */
	const char *c = strstr(out, "counter packets ");
	unsigned long long n;
	if (!c || sscanf(c + 16, "%llu", &n) != 1) {
		snprintf(err, errlen, "nft list chain: no counter in '%.200s'", out);
		return -EPROTO;
	}
	*packets = n;
	return 0;
}

int netns_link_rate_dropped(const struct netns_pair *p, uint64_t *packets, char *err,
			    size_t errlen)
{
	char out[2048];
	*packets = 0;
	if (!p->made_c)
		return -ENOENT;
	int rc = run_prog_out((char *const[]){"tc", "-n", (char *)p->client, "-s", "qdisc",
					      "show", "dev", NETNS_CLIENT_IFACE, "root", NULL},
			      out, sizeof(out), err, errlen);
	if (rc < 0)
		return rc;
	/* "qdisc tbf 8001: root refcnt 2 rate 10Mbit burst 16Kb lat 50ms
	 *   Sent 2088 bytes 12 pkt (dropped 319512, overlimits 0 requeues 0)" */
	const char *c = strstr(out, "qdisc tbf ");
	unsigned long long n;
	if (!c || !(c = strstr(c, "(dropped ")) || sscanf(c + 9, "%llu", &n) != 1) {
		snprintf(err, errlen, "tc -s qdisc show: no tbf drop count in '%.200s'", out);
		return -EPROTO;
	}
	*packets = n;
	return 0;
}

/* "sklab-PID-N-c" -> PID; false for any other name. */
static bool parse_name(const char *name, long *pid)
{
	unsigned n;
	char side, tail;
	if (strncmp(name, NETNS_PREFIX, strlen(NETNS_PREFIX)) != 0)
		return false;
	if (sscanf(name + strlen(NETNS_PREFIX), "%ld-%u-%c%c", pid, &n, &side, &tail) != 3)
		return false;
	return *pid > 0 && (side == 'c' || side == 's');
}

/* When process pid started, in seconds since the epoch (/proc/PID/stat
 * field 22, in clock ticks since boot, plus btime); -1 if unknown. */
static double proc_start_time(long pid)
{
	char path[64], buf[1024], line[256];
	double btime = -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name (field 2) may hold spaces and parentheses: fields 3.. start
	 * after the last ')'. starttime is field 22, the 20th after it. */
	const char *p = strrchr(buf, ')');
	unsigned long long ticks = 0;
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &ticks) != 1)
		return -1;
	f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lf", &btime) == 1)
			break;
	fclose(f);
	long hz = sysconf(_SC_CLK_TCK);
	return btime < 0 || hz <= 0 ? -1 : btime + (double)ticks / (double)hz;
}

/*
 * Is the namespace at path (named for pid) left by a runner that is gone?
 * Gone: no process pid, or one that started after the namespace was made
 * (the pid was reused: a container's pids repeat from 1 on every start, so
 * this happens, and then even our own pid can name a stale pair). The
 * namespace's nsfs inode is made when `ip netns add` binds it, so its
 * ctime is the pair's birth; a second of slack for the clocks' rounding.
 * (Both are wall-clock times: a clock stepped forward by more than that
 * between a live runner making its pair and this check would make the pair
 * look stale. A lock held by the runner would not have that hole.)
 */
static bool ns_is_stale(const char *path, long pid)
{
	struct stat st;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return true;
	double started = proc_start_time(pid);
	if (started < 0 || stat(path, &st) < 0)
		return false;   /* cannot tell: leave it alone */
	return started > (double)st.st_ctime + 1.0;
}

int netns_reap_stale(unsigned *reaped)
{
	char err[256];
	*reaped = 0;
	DIR *d = opendir(NETNS_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* Collect first: deleting while reading the directory may skip names.
	 * More than 64 stale ones wait for the next run. */
	char names[64][64];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64) {
		long pid;
		char path[sizeof(NETNS_DIR) + 1 + sizeof(e->d_name)];
		if (!parse_name(e->d_name, &pid) || strlen(e->d_name) >= sizeof(names[0]))
			continue;
		snprintf(path, sizeof(path), NETNS_DIR "/%s", e->d_name);
		if (!ns_is_stale(path, pid))
			continue;   /* its runner is alive */
		memcpy(names[n++], e->d_name, strlen(e->d_name) + 1);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		if (RUN(err, sizeof(err), "ip", "netns", "delete", names[i]) == 0)
			(*reaped)++;
	return 0;
}

/* ---------------------------------------------------------------- entering */

int netns_enter(const char *name, int *saved, char *err, size_t errlen)
{
	char path[128];
	int rc;
	*saved = -1;
	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	int cur = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (cur < 0) {
		rc = -errno;
		snprintf(err, errlen, "/proc/thread-self/ns/net: %s", strerror(errno));
		close(fd);
		return rc;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		rc = -errno;
		snprintf(err, errlen, "setns %s: %s", name, strerror(errno));
		close(fd);
		close(cur);
		return rc;
	}
	close(fd);
	*saved = cur;
	return 0;
}

int netns_leave(int saved)
{
	int rc = 0;
	if (saved < 0)
		return 0;
	/* Cannot fail for a namespace we were in and still hold open; if it
	 * did, the thread would stay inside: the caller must say so. */
	if (setns(saved, CLONE_NEWNET) < 0)
		rc = -errno;
	close(saved);
	return rc;
}

bool netns_target_allowed(const struct net_addr *addr)
{
	struct net_prefix range;
	char e[NET_ERRLEN], prefix[64];
	struct stat cur, st;
	bool ok = false;

	if (net_prefix_parse(&range, NETNS_RANGE, e, sizeof(e)) < 0 ||
	    !net_prefix_match(&range, addr) || stat("/proc/thread-self/ns/net", &cur) < 0)
		return false;
	snprintf(prefix, sizeof(prefix), NETNS_PREFIX "%ld-", (long)getpid());
	DIR *d = opendir(NETNS_DIR);
	if (!d)
		return false;
	struct dirent *de;
	while (!ok && (de = readdir(d))) {
		char path[320];
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), NETNS_DIR "/%s", de->d_name);
		ok = stat(path, &st) == 0 && st.st_dev == cur.st_dev && st.st_ino == cur.st_ino;
	}
	closedir(d);
	return ok;
}
