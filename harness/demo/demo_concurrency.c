/*
 * harness/demo/demo_concurrency.c — `socklab demo concurrency`: the seeds'
 * TCPServer / ThreadingTCPServer / ForkingTCPServer and friends, measured.
 *
 * Each run starts `socklab serve --model M --handler sleep:MS|spin:US` as a
 * child (harness/runner/child.h: its own process, so its rusage is the server's
 * own), lets N client threads connect at the same moment and send one
 * request each, and times when each reply came back. While the clients
 * run, /proc is sampled for the server's threads, its child processes and
 * their resident memory; after the server stops, wait4()'s rusage gives its
 * CPU time (reaped children included) and peak RSS.
 */
#include "harness/demo/demo.h"

#include "harness/runner/child.h"
#include "net/clock.h"
#include "net/sock.h"
#include "reports/svg.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CC_MAXCLI 16
#define CC_TIMEOUT_MS 10000

static const char *const models[] = {"iterative", "thread", "fork", "prefork", "pool", "epoll"};
#define NMODELS (sizeof(models) / sizeof(models[0]))

/* The start line: clients wait on cond until go; t0 is the common start. */
struct cc_start {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool go;
	uint64_t t0;          /* monotonic ns */
};

struct cc_client {
	unsigned port;
	struct cc_start *start;
	double done_ms;       /* reply complete, ms after t0; < 0 failed */
	int err;
	bool finished;        /* set last (atomic store): done_ms and err are final */
};

struct cc_result {
	double done_ms[CC_MAXCLI];   /* sorted */
	unsigned n, failed;
	long long threads, procs, rss_kb;   /* peaks sampled from /proc */
	double cpu_ms;
	long long maxrss_kb;
	int err;
	char errmsg[320];
};

static void *client_main(void *arg)
{
	struct cc_client *c = arg;
	char buf[64];
	pthread_mutex_lock(&c->start->mu);   /* every client leaves at the same moment */
	while (!c->start->go)
		pthread_cond_wait(&c->start->cond, &c->start->mu);
	uint64_t t0 = c->start->t0;
	pthread_mutex_unlock(&c->start->mu);
	int fd = demo_tcp_connect(c->port, true);
	if (fd < 0) {
		c->err = fd;
		c->done_ms = -1;
		__atomic_store_n(&c->finished, true, __ATOMIC_RELEASE);
		return NULL;
	}
	ssize_t k = send(fd, "hello", 5, MSG_NOSIGNAL);
	size_t got = 0;
	while (k == 5 && got < 5) {
		int rc = net_wait(fd, POLLIN, -1, CC_TIMEOUT_MS);
		ssize_t r = rc > 0 ? recv(fd, buf + got, sizeof(buf) - got, 0) : -1;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	c->done_ms = got >= 5 ? (double)(net_now_ns() - t0) / 1e6 : -1;
	if (got < 5)
		c->err = -EIO;
	close(fd);
	__atomic_store_n(&c->finished, true, __ATOMIC_RELEASE);
	return NULL;
}

static long long status_field(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t fl = strlen(field);
	long long v = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			v = atoll(line + fl + 1);
			break;
		}
	fclose(f);
	return v;
}

/* The server's direct children (fork, prefork workers), from
 * /proc/PID/task/TID/children; their RSS is added to *rss_kb. */
static long long count_children(pid_t pid, long long *rss_kb)
{
	char path[64];
	long long n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return -1;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		char cp[300];
		snprintf(cp, sizeof(cp), "/proc/%d/task/%s/children", (int)pid, e->d_name);
		FILE *f = fopen(cp, "r");
		if (!f)
			continue;
		int child;
		while (fscanf(f, "%d", &child) == 1) {
			n++;
			long long r = status_field(child, "VmRSS");
			if (r > 0)
				*rss_kb += r;
		}
		fclose(f);
	}
	closedir(dir);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One round against a running server: n client threads leave at the same
 * moment; the server is sampled from /proc until they are done. The
 * replies' times go to done_ms (sorted), peaks into res. 0, or -EAGAIN
 * when not every client thread could start. */
static int cc_round(pid_t pid, unsigned port, unsigned n, struct cc_result *res,
		    double *done_ms, unsigned *ndone, unsigned *failed)
{
	struct cc_client cl[CC_MAXCLI];
	pthread_t th[CC_MAXCLI];
	unsigned started = 0;
	struct cc_start start = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};

	for (unsigned i = 0; i < n; i++) {
		cl[i] = (struct cc_client){.port = port, .start = &start};
		if (pthread_create(&th[i], NULL, client_main, &cl[i]) != 0)
			break;
		started++;
	}
	pthread_mutex_lock(&start.mu);
	start.t0 = net_now_ns();
	start.go = true;
	pthread_cond_broadcast(&start.cond);
	pthread_mutex_unlock(&start.mu);
	/* Sample the server while the clients run (until the slowest has
	 * had ample time). done_ms and err are written by the client threads
	 * while this loop reads them: only as a hint to stop sampling; the
	 * results are read after the joins. */
	uint64_t end = start.t0 + (uint64_t)CC_TIMEOUT_MS * 1000000u;
	for (;;) {
		long long t = status_field(pid, "Threads");
		long long rss = status_field(pid, "VmRSS");
		long long p = count_children(pid, &rss);
		if (t > res->threads)
			res->threads = t;
		if (p > res->procs)
			res->procs = p;
		if (rss > res->rss_kb)
			res->rss_kb = rss;
		bool all = true;
		for (unsigned i = 0; i < started; i++)
			if (!__atomic_load_n(&cl[i].finished, __ATOMIC_ACQUIRE))
				all = false;
		if (all || net_now_ns() > end)
			break;
		net_sleep_ns(2000000ull);
	}
	*ndone = *failed = 0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		if (cl[i].err || cl[i].done_ms < 0)
			(*failed)++;
		else
			done_ms[(*ndone)++] = cl[i].done_ms;
	}
	qsort(done_ms, *ndone, sizeof(double), cmp_double);
	return started < n ? -EAGAIN : 0;
}

/* Start `socklab serve` with this model and handler, run `rounds` rounds of
 * n clients against it, keep the round whose last reply came first (the
 * one least disturbed by other load on the machine; a model's own waiting
 * is in every round), then stop the server for its rusage. CPU time is
 * per round. */
static void cc_run(const char *model, const char *handler, unsigned n, unsigned rounds,
		   struct cc_result *res)
{
	struct child ch;
	char err[256];
	char *argv[] = {"socklab", "serve", "--proto", "tcp", "--model", (char *)model,
			"--handler", (char *)handler, "--port", "0", NULL};

	memset(res, 0, sizeof(*res));
	res->threads = res->procs = res->rss_kb = -1;
	int rc = child_start(&ch, argv, 5000, err, sizeof(err));
	if (rc < 0) {
		res->err = rc;
		snprintf(res->errmsg, sizeof(res->errmsg), "start %s server: %s", model, err);
		return;
	}
	const char *colon = strrchr(ch.addr, ':');
	unsigned port = colon ? (unsigned)atoi(colon + 1) : 0;
	if (n > CC_MAXCLI)
		n = CC_MAXCLI;
	if (rounds < 1)
		rounds = 1;
	bool have = false;
	for (unsigned k = 0; k < rounds && res->err == 0; k++) {
		double done[CC_MAXCLI];
		unsigned nd, nf;
		if (cc_round(ch.pid, port, n, res, done, &nd, &nf) < 0) {
			res->err = -EAGAIN;
			snprintf(res->errmsg, sizeof(res->errmsg),
				 "could not start %u client threads", n);
		}
		/* A round with failures always wins: failures must show. */
		bool better = !have || nf > res->failed ||
			      (nf == res->failed && nd && res->n &&
			       done[nd - 1] < res->done_ms[res->n - 1]);
		if (better) {
			memcpy(res->done_ms, done, nd * sizeof(double));
			res->n = nd;
			res->failed = nf;
			have = true;
		}
	}
	child_stop(&ch, 2000);
	res->cpu_ms = ((double)(ch.ru.ru_utime.tv_sec + ch.ru.ru_stime.tv_sec) * 1e3 +
		       (double)(ch.ru.ru_utime.tv_usec + ch.ru.ru_stime.tv_usec) / 1e3) /
		      rounds;
	res->maxrss_kb = ch.ru.ru_maxrss;
}

static size_t model_index(const char *name)
{
	for (size_t m = 0; m < NMODELS; m++)
		if (strcmp(models[m], name) == 0)
			return m;
	return 0;
}

/* Runs every model with counts[0] and counts[1] clients; last[c][m] gets
 * when the last client of each run had its reply (ms, NAN on failure). */
static void step(struct demo *d, const char *id, const char *title_key, const char *say_key,
		 const char *handler, double work_ms, unsigned rounds, const unsigned *counts, size_t ncounts,
		 double last[2][NMODELS], double cpu_ms[2][NMODELS])
{
	struct cc_result res;
	demo_step(d, id, title_key);
	demo_say(d, say_key);
	demo_valf(d, "work_ms", "cc.work", work_ms, "ms");
	demo_vali(d, "rounds", "cc.rounds", rounds, NULL);
	char h[8][64];
	static const char *const hk[8] = {"cc.col_model", "cc.col_clients", "cc.col_done",
					  "cc.col_wait", "cc.col_threads", "cc.col_procs",
					  "cc.col_cpu", "cc.col_rss"};
	static const int hw[8] = {10, 8, 25, 12, 9, 7, 11, 9};
	for (int i = 0; i < 8; i++)
		demo_pad(h[i], sizeof(h[i]), demo_t(d, hk[i]), hw[i]);
	demo_pre(d, "%s%s%s%s%s%s%s%s", h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
	for (size_t c = 0; c < ncounts; c++) {
		for (size_t m = 0; m < NMODELS; m++) {
			cc_run(models[m], handler, counts[c], rounds, &res);
			last[c][m] = res.n ? res.done_ms[res.n - 1] : NAN;
			cpu_ms[c][m] = res.err ? NAN : res.cpu_ms;
			if (res.err) {
				demo_error(d, "%s", res.errmsg);
				continue;
			}
			char done[64] = "";
			if (res.n <= 2) {
				for (unsigned i = 0; i < res.n; i++)
					snprintf(done + strlen(done), sizeof(done) - strlen(done),
						 "%s%.0f", i ? ", " : "", res.done_ms[i]);
			} else if (res.n) {
				snprintf(done, sizeof(done), "%.0f .. %.0f", res.done_ms[0],
					 res.done_ms[res.n - 1]);
			}
			double wait = res.n ? res.done_ms[res.n - 1] - work_ms : 0;
			if (wait < 0)
				wait = 0;
			demo_pre(d, "%-10s%-8u%-25s%-12.0f%-9lld%-7lld%-11.1f%lld", models[m],
				 counts[c], done, wait, res.threads, res.procs, res.cpu_ms,
				 res.rss_kb);
			char k[96];
			demo_quiet(d, true);
#define KEY(what) (snprintf(k, sizeof(k), "%s_%u_%s", models[m], counts[c], what), k)
			demo_valf(d, KEY("first_ms"), "cc.col_done", res.n ? res.done_ms[0] : -1, "ms");
			demo_valf(d, KEY("last_ms"), "cc.col_done", last[c][m], "ms");
			demo_valf(d, KEY("max_wait_ms"), "cc.col_wait", wait, "ms");
			demo_vali(d, KEY("failed"), "cc.failed", res.failed, NULL);
			demo_vali(d, KEY("threads"), "cc.col_threads", res.threads, NULL);
			demo_vali(d, KEY("procs"), "cc.col_procs", res.procs, NULL);
			demo_valf(d, KEY("cpu_ms"), "cc.col_cpu", res.cpu_ms, "ms");
			demo_vali(d, KEY("rss_kb"), "cc.col_rss", res.rss_kb, "KiB");
			demo_vali(d, KEY("maxrss_kb"), "cc.col_rss", res.maxrss_kb, "KiB");
#undef KEY
			demo_quiet(d, false);
		}
	}
	FILE *f = demo_chart_stream(d);
	if (f) {
		char names[2][64];
		struct svg_series s[2];
		for (size_t c = 0; c < ncounts && c < 2; c++) {
			snprintf(names[c], sizeof(names[c]), "%u %s", counts[c],
				 demo_t(d, "cc.col_clients"));
			s[c] = (struct svg_series){.name = names[c], .y = last[c], .n = NMODELS};
		}
		struct svg_chart ch = {.title = demo_t(d, title_key),
				       .y_label = demo_t(d, "cc.chart_y"), .y_from_zero = true};
		svg_bar_chart(f, &ch, (const char *const *)models, NMODELS, s,
			      ncounts < 2 ? ncounts : 2);
	}
}

int demo_concurrency(struct demo *d)
{
	unsigned counts[2] = {2, d->o.quick ? 6 : 10};
	double work_ms = d->o.quick ? 50 : 100;
	double last[2][NMODELS], cpu_ms[2][NMODELS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char io[32], cpu[32];
	size_t it = model_index("iterative"), th = model_index("thread"),
	       ep = model_index("epoll");

	snprintf(io, sizeof(io), "sleep:%.0f", work_ms);
	snprintf(cpu, sizeof(cpu), "spin:%.0f", work_ms * 1000);
	demo_say(d, "cc.intro");

	/* I/O-bound: the best of 3 rounds (2 with --quick), so that a burst
	 * of other load does not pass for a model's waiting. CPU-bound: one
	 * round; its claims are bounds that load cannot break (see below). */
	step(d, "io", "cc.s1", "cc.s1.say", io, work_ms, d->o.quick ? 2 : 3, counts, 2, last, cpu_ms);
	/* Iterative: the second client waits for the first one's whole
	 * request; thread: both are served at once; one epoll loop serves
	 * every waiting request at once. */
	bool serial = last[0][it] >= 2 * work_ms * 0.95;
	bool parallel = last[0][th] < 2 * work_ms * 0.9;
	bool ep_waits = last[1][ep] < 2 * work_ms;
	demo_valb(d, "iterative_second_waited", "cc.it_waited", serial);
	demo_valb(d, "thread_second_waited", "cc.th_waited", !parallel);
	demo_valb(d, "epoll_served_waits_at_once", "cc.ep_waits", ep_waits);
	bool io_ok = serial && parallel && ep_waits;
	demo_verdict(d, io_ok, io_ok ? "cc.s1.end" : "cc.s1.odd");

	step(d, "cpu", "cc.s2", "cc.s2.say", cpu, work_ms, 1, counts, 2, last, cpu_ms);
	/* spin:US uses US microseconds of its thread's own CPU time (a fixed
	 * amount of work), so N requests need N x work of CPU however they are
	 * scheduled, and no model can answer the last one sooner than
	 * N x work / cores. One event loop computes one request at a time;
	 * threads overlap the work, but only on as many cores as there are. */
	double n = counts[1];
	double cores = ncpu > 0 ? (double)ncpu : 1;
	double floor_ms = n * work_ms / (cores < n ? cores : n);
	double th_cpu = cpu_ms[1][th];
	demo_vali(d, "cpus", "cc.cpus", ncpu, NULL);
	demo_valf(d, "requested_cpu_ms", "cc.req_cpu", n * work_ms, "ms");
	demo_valf(d, "thread_cpu_ms", "cc.th_cpu", th_cpu, "ms");
	demo_valf(d, "cores_floor_ms", "cc.floor", floor_ms, "ms");
	demo_valf(d, "thread_last_ms", "cc.th_last", last[1][th], "ms");
	demo_valf(d, "epoll_last_ms", "cc.ep_last", last[1][ep], "ms");
	bool full_cpu = th_cpu >= 0.9 * n * work_ms;
	bool ep_serial = last[1][ep] >= n * work_ms * 0.9;
	bool th_cores = last[1][th] >= floor_ms * 0.9;
	/* With more than one core the threads must also have used them: the
	 * last reply clearly before one loop's n x work. */
	bool th_overlap = cores < 2 || last[1][th] < n * work_ms * 0.8;
	demo_valb(d, "thread_used_full_cpu", "cc.full_cpu", full_cpu);
	demo_valb(d, "epoll_serial_for_cpu", "cc.ep_serial", ep_serial);
	demo_valb(d, "thread_limited_by_cores", "cc.th_cores", th_cores);
	demo_valb(d, "thread_used_several_cores", "cc.th_overlap", th_overlap);
	bool cpu_ok = full_cpu && ep_serial && th_cores && th_overlap;
	demo_verdict(d, cpu_ok, cpu_ok ? "cc.s2.end" : "cc.s2.odd");
	return 0;
}
