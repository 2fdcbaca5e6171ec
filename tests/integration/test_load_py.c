/*
 * tests/integration/test_load_py.c — the load engine against foreign
 * servers written the way the seeds write them: a python3
 * socketserver.ThreadingTCPServer that upper-cases what it gets (driven
 * with the upper-case-aware check, and with verification off), and an echo
 * server that stalls 200 ms exactly once — the coordinated-omission test:
 * the open loop's p99 shows the stall, the closed loop's p99 hides it
 * (only its max sees it). Skipped when python3 is missing.
 */
#include "testlib/testlib.h"

#include "clients/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MS 1000000ull

/* Prints its port, then serves. STALL_AT > 0: the STALL_AT-th recv (over
 * all connections) sleeps 200 ms before it is answered. */
static const char py_server[] =
	"import socketserver, sys, threading, time\n"
	"mode, stall_at = sys.argv[1], int(sys.argv[2])\n"
	"lock = threading.Lock()\n"
	"count = [0]\n"
	"class H(socketserver.BaseRequestHandler):\n"
	"    def handle(self):\n"
	"        while True:\n"
	"            d = self.request.recv(65536)\n"
	"            if not d:\n"
	"                break\n"
	"            with lock:\n"
	"                count[0] += 1\n"
	"                n = count[0]\n"
	"            if n == stall_at:\n"
	"                time.sleep(0.2)\n"
	"            self.request.sendall(d.upper() if mode == 'upper' else d)\n"
	"class S(socketserver.ThreadingTCPServer):\n"
	"    allow_reuse_address = True\n"
	"    daemon_threads = True\n"
	"s = S(('127.0.0.1', 0), H)\n"
	"print(s.server_address[1], flush=True)\n"
	"s.serve_forever()\n";

struct py {
	pid_t pid;
	struct net_addr addr;
};

static bool have_python(void)
{
	return system("python3 -c 'import socketserver' >/dev/null 2>&1") == 0;
}

static void py_start(struct py *p, const char *mode, const char *stall_at)
{
	int fds[2];
	char line[32] = {0};
	size_t n = 0;
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		dup2(fds[1], 1);
		execlp("python3", "python3", "-c", py_server, mode, stall_at, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	double end = tl_ms() + 5000;
	while (n + 1 < sizeof(line) && tl_ms() < end) {
		struct pollfd pf = {.fd = fds[0], .events = POLLIN};
		if (poll(&pf, 1, 200) <= 0)
			continue;
		if (read(fds[0], line + n, 1) != 1 || line[n] == '\n')
			break;
		n++;
	}
	close(fds[0]);
	line[n] = '\0';
	char err[256];
	if (atoi(line) <= 0 || net_addr_ip(&p->addr, "127.0.0.1", (unsigned)atoi(line),
					   err, sizeof(err)) < 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		fail_msg("python server did not start ('%s')", line);
	}
}

static void py_stop(struct py *p)
{
	kill(p->pid, SIGTERM);
	waitpid(p->pid, NULL, 0);
}

static void base(struct ld_config *cfg, const struct py *p)
{
	ld_config_init(cfg);
	cfg->target = p->addr;
	cfg->clients = 1;
	cfg->threads = 1;
	cfg->timeout_ns = 2000 * MS;
}

static void run(const struct ld_config *cfg, struct ld_result *r)
{
	char err[256];
	if (ld_run(cfg, r, err, sizeof(err)) < 0)
		fail_msg("ld_run: %s", err);
}

static void test_python_upper(void **state)
{
	(void)state;
	struct py p;
	struct ld_config cfg;
	struct ld_result r;
	if (!have_python())
		tl_skip();
	py_start(&p, "upper", "0");
	base(&cfg, &p);
	cfg.clients = 8;
	cfg.threads = 2;
	cfg.duration_ns = 500 * MS;
	cfg.verify = PL_VERIFY_UPPER;
	cfg.size.kind = PL_UNIFORM;
	cfg.size.a = 1;
	cfg.size.b = 1000;
	run(&cfg, &r);
	assert_true(r.replies > 100);
	assert_int_equal(r.errors, 0);
	assert_int_equal(r.replies, r.requests);
	/* Echo verification sees every upper-cased reply as a mismatch. */
	cfg.verify = PL_VERIFY_ECHO;
	cfg.duration_ns = 200 * MS;
	run(&cfg, &r);
	assert_true(r.err[LD_ERR_MISMATCH] > 0);
	/* Verification off, one connection per request, as the seeds' client. */
	cfg.verify = PL_VERIFY_NONE;
	cfg.connect_per_request = true;
	run(&cfg, &r);
	assert_true(r.replies > 20);
	assert_int_equal(r.errors, 0);
	assert_true(r.connects >= r.replies);
	py_stop(&p);
}

static void test_coordinated_omission(void **state)
{
	(void)state;
	struct py p;
	struct ld_config cfg;
	struct ld_result open_r, closed_r;
	if (!have_python())
		tl_skip();

	/* Open loop, 1000/s for 1.5 s; the 300th request stalls 200 ms. The
	 * ~200 requests meant to go out meanwhile wait behind it, and their
	 * latency counts from when they should have been sent. */
	py_start(&p, "echo", "300");
	base(&cfg, &p);
	cfg.rate = 1000;
	cfg.duration_ns = 1500 * MS;
	run(&cfg, &open_r);
	py_stop(&p);

	/* Closed loop for 1.5 s against the same stall: one slow sample among
	 * thousands. */
	py_start(&p, "echo", "300");
	base(&cfg, &p);
	cfg.duration_ns = 1500 * MS;
	run(&cfg, &closed_r);
	py_stop(&p);

	uint64_t op99 = hist_percentile(&open_r.latency, 99);
	uint64_t cp99 = hist_percentile(&closed_r.latency, 99);
	print_message("open loop:   %llu requests p50 %.3f ms p99 %.3f ms max %.3f ms\n",
		      (unsigned long long)open_r.replies,
		      hist_percentile(&open_r.latency, 50) / 1e6, op99 / 1e6,
		      open_r.latency.max / 1e6);
	print_message("closed loop: %llu requests p50 %.3f ms p99 %.3f ms max %.3f ms\n",
		      (unsigned long long)closed_r.replies,
		      hist_percentile(&closed_r.latency, 50) / 1e6, cp99 / 1e6,
		      closed_r.latency.max / 1e6);
	assert_int_equal(open_r.errors + closed_r.errors, 0);
	assert_in_range(open_r.requests, 1470, 1530);
	/* Both saw the stall... */
	assert_true(open_r.latency.max >= 195 * MS);
	assert_true(closed_r.latency.max >= 195 * MS);
	/* ...but only the open loop's percentiles show it. */
	assert_true(op99 >= 100 * MS);
	assert_true(hist_percentile(&open_r.latency, 90) >= 10 * MS);
	assert_true(closed_r.replies > 1000);
	assert_true(cp99 < (uint64_t)tl_bound_ms(20) * MS);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_upper),
		cmocka_unit_test(test_coordinated_omission),
	};
	return tl_run_group(tests, NULL, NULL);
}
