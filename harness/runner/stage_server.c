/*
 * harness/runner/stage_server.c — the built-in server of a case: `socklab
 * serve` as a child (harness/runner/child.h) with the case's generated
 * argv, started inside the pair's server namespace when there is one
 * (fork copies the calling thread's namespace), stopped after the relay
 * and the UDP accounting's end, and its counters and resource use stored
 * as server.* metrics. When the settings ask for it the server also logs
 * its app boundary events to a temporary file (--app-log) that the
 * alignment reads; the file goes with the server.
 */
#include "harness/runner/stage.h"

#include "harness/netns/netns.h"
#include "harness/runner/child.h"
#include "servers/srv.h"
#include "util/cmdline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SERVER_START_MS 5000
#define SERVER_STOP_MS 10000

struct server_st {
	struct child *ch;
	char log_path[64];
	char *cmd;           /* its command line, stored (also when it failed to start) */
};

static bool wanted(const struct run_case *rc)
{
	return rc->s->has_server;
}

/* The temporary file of --app-log; none when it cannot be made (the case
 * then runs without alignment). */
static void make_log(struct server_st *sv)
{
	snprintf(sv->log_path, sizeof(sv->log_path), "/tmp/socklab-applog-XXXXXX");
	int fd = mkstemp(sv->log_path);
	if (fd < 0)
		sv->log_path[0] = '\0';
	else
		close(fd);
}

static int serve_argv(struct run_case *rc, struct server_st *sv, char ***argv)
{
	int r = scn_case_serve_argv(rc->s, rc->c, "socklab", argv);
	if (r == 0 && rc->set.server_app_log)
		make_log(sv);
	if (r == 0 && sv->log_path[0])
		r = scn_argv_append(argv, "--app-log", sv->log_path);
	/* In a pair the server binds its namespace's address (the loader
	 * refuses server.bind with topology pair). */
	if (r == 0 && rc->ns_server)
		r = scn_argv_append(argv, "--bind", NETNS_SERVER_ADDR);
	if (r < 0)
		run_case_fail(rc, r, "could not build the serve command: %s", strerror(-r));
	return r;
}

static int begin(struct run_case *rc, void *priv)
{
	struct server_st *sv = priv;
	char **argv = NULL;
	char e[512];
	int saved = -1;
	if (!(sv->ch = calloc(1, sizeof(*sv->ch))))
		return run_case_fail(rc, -ENOMEM, "server: out of memory");
	sv->ch->pid = -1;
	sv->ch->out = -1;
	int r = serve_argv(rc, sv, &argv);
	if (r == 0 && (r = cmdline_join(argv, &sv->cmd)) < 0)
		run_case_fail(rc, r, "server: out of memory");
	if (r == 0 && rc->ns_server && (r = netns_enter(rc->ns_server, &saved, e, sizeof(e))) < 0)
		run_case_fail(rc, r, "%s", e);
	if (r == 0) {
		r = child_start(sv->ch, argv, SERVER_START_MS, e, sizeof(e));
		if (r < 0)
			run_case_fail(rc, r, "%s", e);
		if (run_case_leave_ns(rc, saved) < 0 && r == 0)
			r = rc->rc;
	}
	scn_argv_free(argv);
	if (r < 0)
		return r;
	rc->srv = sv->ch;
	rc->srv_app_log = sv->log_path[0] ? sv->log_path : NULL;
	snprintf(rc->target, sizeof(rc->target), "%s", sv->ch->addr);
	return 0;
}

/* After the relay (what it still delays reaches the server) and the UDP
 * accounting's end (which reads the server's /proc). */
static int after_measure(struct run_case *rc, void *priv)
{
	struct server_st *sv = priv;
	int st;
	if (!sv->ch || child_stop(sv->ch, SERVER_STOP_MS) == 0 || !run_case_ok(rc))
		return 0;
	st = sv->ch->status;
	return run_case_fail(rc, -ECHILD, "server did not exit cleanly (%s %d)",
			     WIFSIGNALED(st) ? "signal" : "status",
			     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

/* The server's own counters and what it cost, from its stats line and
 * wait4's rusage. */
static int store_counters(struct db *db, int64_t id, const struct child *srv)
{
	static const char *const keys[] = {
		"accepted", "refused", "closed", "requests", "bytes_in", "bytes_out",
		"udp.received", "udp.truncated", "udp.rcvbuf_dropped", "udp.unread",
	};
	int rc = 0;
	char name[64], key[48];
	double v;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && rc == 0; i++) {
		if (child_stat(srv, keys[i], &v)) {
			snprintf(name, sizeof(name), "server.%s", keys[i]);
			rc = db_case_metric(db, id, name, v);
		}
	}
	/* Error kinds from the server's own table, so a new kind is stored
	 * without touching this list. */
	for (int e = 0; e < SRV_ERR__COUNT && rc == 0; e++) {
		snprintf(key, sizeof(key), "errors.%s", srv_err_name((enum srv_err)e));
		if (child_stat(srv, key, &v)) {
			snprintf(name, sizeof(name), "server.%s", key);
			rc = db_case_metric(db, id, name, v);
		}
	}
	return rc;
}

static int store(struct run_case *rc, void *priv)
{
	struct server_st *sv = priv;
	int r = sv->cmd ? db_case_command(rc->db, rc->case_id, DB_CHILD_SERVER, sv->cmd) : 0;
	if (r < 0 || !sv->ch || !sv->ch->stats[0])
		return r;
	const struct rusage *ru = &sv->ch->ru;
	r = store_counters(rc->db, rc->case_id, sv->ch);
	if (r == 0)
		r = db_case_metric(rc->db, rc->case_id, DB_M_SRV_CPU_USER_S,
				   (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6);
	if (r == 0)
		r = db_case_metric(rc->db, rc->case_id, DB_M_SRV_CPU_SYS_S,
				   (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6);
	if (r == 0)
		r = db_case_metric(rc->db, rc->case_id, DB_M_SRV_MAXRSS_KB, (double)ru->ru_maxrss);
	return r;
}

static void teardown(struct run_case *rc, void *priv)
{
	struct server_st *sv = priv;
	if (sv->ch)
		(void)child_stop(sv->ch, SERVER_STOP_MS);   /* a no-op when stopped */
	free(sv->ch);
	sv->ch = NULL;
	rc->srv = NULL;
	free(sv->cmd);
	sv->cmd = NULL;
	if (sv->log_path[0])
		unlink(sv->log_path);
	sv->log_path[0] = '\0';
	rc->srv_app_log = NULL;
}

const struct run_stage run_stage_server = {
	.name = "server",
	.priv_size = sizeof(struct server_st),
	.wanted = wanted,
	.begin = begin,
	.after_measure = after_measure,
	.store = store,
	.teardown = teardown,
};
