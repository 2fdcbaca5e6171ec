/*
 * net/poller.h — the one event-loop primitive socklab uses: epoll for
 * readiness, plus a min-heap of timers (O(log n) insert/cancel, as a load
 * generator with thousands of timers needs). Shared by the epoll server
 * model and the client engine. Level-triggered; one poller per thread.
 */
#ifndef SOCKLAB_NET_POLLER_H
#define SOCKLAB_NET_POLLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct net_timer {
	uint64_t when;   /* monotonic ns */
	size_t slot;     /* index in the heap + 1; 0 when not armed */
};

struct net_poller {
	int epfd;
	struct net_timer **heap;
	size_t ntimers, cap;
};

int net_poller_init(struct net_poller *p);
void net_poller_close(struct net_poller *p);

/* ptr comes back in epoll_event.data.ptr. Return 0 or -errno. */
int net_poller_add(struct net_poller *p, int fd, uint32_t events, void *ptr);
int net_poller_mod(struct net_poller *p, int fd, uint32_t events, void *ptr);
int net_poller_del(struct net_poller *p, int fd);

/* Arm (or re-arm) t for absolute time when. 0 or -ENOMEM. */
int net_timer_arm(struct net_poller *p, struct net_timer *t, uint64_t when);
void net_timer_cancel(struct net_poller *p, struct net_timer *t);
static inline int net_timer_armed(const struct net_timer *t) { return t->slot != 0; }
/* The earliest timer due at or before now, removed from the heap; NULL if
 * none is due. */
struct net_timer *net_timer_expired(struct net_poller *p, uint64_t now);

/*
 * epoll_wait for at most max_ms (or until the next timer, if sooner;
 * max_ms < 0: no limit but timers). Returns events (0 on timeout or EINTR)
 * or -errno.
 */
int net_poller_wait(struct net_poller *p, struct epoll_event *ev, int nev, int max_ms);

#endif
