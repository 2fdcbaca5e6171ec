/*
 * harness/netns/netns.h — a pair of network namespaces joined by a veth link, for
 * scenarios with `topology: pair`.
 *
 * Layout of one pair (made per case, removed after it):
 *
 *     netns sklab-PID-N-c                     netns sklab-PID-N-s
 *     lo up, veth "sklab-c" 198.18.0.1/30 <--> veth "sklab-s" 198.18.0.2/30, lo up
 *
 * The addresses come from the benchmarking range 198.18.0.0/15 (RFC 2544)
 * and exist only inside the two namespaces; neither has a route anywhere
 * else, so whatever the clients send stays on the veth. Both veth ends are
 * created directly inside their namespaces (`ip link add ... netns`), so
 * the host never sees them, even for a moment.
 *
 * The link: `tc tbf` on the egress of both veth ends for link.rate (both
 * directions shaped to the rate), and an nftables rule `numgen random` on
 * the server namespace's input hook for link.loss (packets from the client
 * to the server are dropped with that probability; replies are not, so a
 * UDP echo client sees about link.loss of its requests go unanswered).
 * There is no delay: without netem neither tbf nor nftables can delay a
 * packet honestly (tbf's queue latency depends on the load), so socklab
 * does not offer one here; the relay has delay.
 *
 * The programs `ip`, `tc` and `nft` are run with posix_spawn and an argv,
 * never through a shell; their stderr becomes the error message.
 *
 * Names carry the runner's pid: netns_reap_stale() removes the pairs whose
 * runner is dead (killed with SIGKILL, a second Ctrl-C), so a crash leaves
 * nothing behind for longer than the next run.
 *
 * Entering: setns(2) moves only the calling thread. The runner enters the
 * server namespace around child_start (fork copies the calling thread, so
 * the server starts inside), and the client namespace around the load
 * phase and the capture start (the engine's threads are created inside
 * ld_run and inherit it; a pcap handle stays bound to the namespace it was
 * opened in).
 */
#ifndef SOCKLAB_HARNESS_NETNS_NETNS_H
#define SOCKLAB_HARNESS_NETNS_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

#define NETNS_PREFIX "sklab-"
#define NETNS_CLIENT_ADDR "198.18.0.1"
#define NETNS_SERVER_ADDR "198.18.0.2"
#define NETNS_CLIENT_IFACE "sklab-c"
#define NETNS_SERVER_IFACE "sklab-s"
/* The range the safety check allows inside the harness's own namespaces. */
#define NETNS_RANGE "198.18.0.0/15"

/* What the link does; zero fields: not applied. */
struct netns_link {
	uint64_t rate_bps;       /* tc tbf rate, bits/s, both directions */
	uint64_t burst_bytes;    /* tbf bucket; 0: netns_default_burst(rate) */
	double loss;             /* 0..1, client -> server, nftables numgen */
};

struct netns_pair {
	char client[64];         /* namespace names */
	char server[64];
	bool made_c, made_s;     /* what exists and must be removed */
};

/* The tbf bucket used when link.burst is not given: 10 ms at the rate,
 * at least 16 KiB (several full-size segments). */
uint64_t netns_default_burst(uint64_t rate_bps);

/*
 * Can this process make pairs for link? 0, or -EPERM (not root / missing
 * CAP_SYS_ADMIN or CAP_NET_ADMIN) or -ENOENT (ip, tc or nft not installed;
 * tc only when link->rate_bps, nft only when link->loss), with the reason
 * in why. The environment variable SOCKLAB_NETNS_UNPRIVILEGED=1 makes it
 * answer -EPERM as if not root (for tests of the skip path).
 */
int netns_available(const struct netns_link *link, char *why, size_t len);

/*
 * Make pair number n of this process with link applied. Returns 0, or
 * -errno with the failing command and its stderr in err; on failure what
 * was made is already removed. p is valid for netns_pair_destroy either way.
 */
int netns_pair_create(struct netns_pair *p, unsigned n, const struct netns_link *link,
		      char *err, size_t errlen);
/*
 * Packets the link.loss rule has dropped so far (its nftables counter), so
 * that a case can tell the link's loss from the sockets' own. 0, -ENOENT
 * when there is no pair, or -errno with err (no loss rule: -EIO).
 */
int netns_link_dropped(const struct netns_pair *p, uint64_t *packets, char *err, size_t errlen);
/*
 * Packets the tbf of link.rate tail-dropped on the client's egress so far:
 * datagrams the clients' sends "succeeded" with (UDP says ENOBUFS only with
 * IP_RECVERR) that never reached the wire. 0, -ENOENT when there is no pair,
 * or -errno with err (no tbf: -EPROTO).
 */
int netns_link_rate_dropped(const struct netns_pair *p, uint64_t *packets, char *err,
			    size_t errlen);
/* Remove both namespaces (their veth ends go with them). Idempotent.
 * 0, or the first failure's -errno with the command and its stderr in err
 * (err may be NULL): the caller says it, since the next run's
 * netns_reap_stale cannot help while this process lives. */
int netns_pair_destroy(struct netns_pair *p, char *err, size_t errlen);

/*
 * Remove every sklab-PID-N-c/s namespace whose runner is gone: no process
 * PID, or one that started after the namespace was made (a reused pid,
 * ours included). Sets *reaped to the number removed. 0 or -errno.
 */
int netns_reap_stale(unsigned *reaped);

/*
 * Move the calling thread into namespace name. *saved receives an fd of
 * the namespace it was in, for netns_leave. 0 or -errno with err.
 */
int netns_enter(const char *name, int *saved, char *err, size_t errlen);
/* Back to the saved namespace and close it; saved < 0 is ignored (0).
 * 0, or -errno of setns: the thread is then still inside, which its
 * caller must report as an error of what it was doing. */
int netns_leave(int saved);

/*
 * The safety check's exception: true when addr is in NETNS_RANGE and the
 * calling thread is inside a namespace of a pair this process made (so the
 * traffic cannot leave the machine).
 */
bool netns_target_allowed(const struct net_addr *addr);

#endif
