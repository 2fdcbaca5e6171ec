/*
 * net/poller.c — epoll wrapper and timer min-heap.
 */
#include "net/poller.h"
#include "net/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int net_poller_init(struct net_poller *p)
{
	p->heap = NULL;
	p->ntimers = p->cap = 0;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	return p->epfd < 0 ? -errno : 0;
}

void net_poller_close(struct net_poller *p)
{
	if (p->epfd >= 0)
		close(p->epfd);
	p->epfd = -1;
	free(p->heap);
	p->heap = NULL;
	p->ntimers = p->cap = 0;
}

static int ctl(struct net_poller *p, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = {.events = events, .data.ptr = ptr};
	return epoll_ctl(p->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

int net_poller_add(struct net_poller *p, int fd, uint32_t events, void *ptr)
{
	return ctl(p, EPOLL_CTL_ADD, fd, events, ptr);
}

int net_poller_mod(struct net_poller *p, int fd, uint32_t events, void *ptr)
{
	return ctl(p, EPOLL_CTL_MOD, fd, events, ptr);
}

int net_poller_del(struct net_poller *p, int fd)
{
	return ctl(p, EPOLL_CTL_DEL, fd, 0, NULL);
}

/* ---- binary min-heap on when; slot is index+1 so 0 means unarmed ---- */

static void place(struct net_poller *p, size_t i, struct net_timer *t)
{
	p->heap[i] = t;
	t->slot = i + 1;
}

static void sift_up(struct net_poller *p, size_t i)
{
	struct net_timer *t = p->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (p->heap[parent]->when <= t->when)
			break;
		place(p, i, p->heap[parent]);
		i = parent;
	}
	place(p, i, t);
}

static void sift_down(struct net_poller *p, size_t i)
{
	struct net_timer *t = p->heap[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t mw = t->when;
		if (l < p->ntimers && p->heap[l]->when < mw)
			m = l, mw = p->heap[l]->when;
		if (r < p->ntimers && p->heap[r]->when < mw)
			m = r;
		if (m == i)
			break;
		place(p, i, p->heap[m]);
		i = m;
	}
	place(p, i, t);
}

void net_timer_cancel(struct net_poller *p, struct net_timer *t)
{
	if (!t->slot)
		return;
	size_t i = t->slot - 1;
	t->slot = 0;
	struct net_timer *last = p->heap[--p->ntimers];
	if (i == p->ntimers)
		return;
	place(p, i, last);
	sift_down(p, i);
	sift_up(p, last->slot - 1);
}

int net_timer_arm(struct net_poller *p, struct net_timer *t, uint64_t when)
{
	net_timer_cancel(p, t);
	if (p->ntimers == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct net_timer **h = realloc(p->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		p->heap = h;
		p->cap = cap;
	}
	t->when = when;
	place(p, p->ntimers++, t);
	sift_up(p, p->ntimers - 1);
	return 0;
}

struct net_timer *net_timer_expired(struct net_poller *p, uint64_t now)
{
	if (p->ntimers == 0 || p->heap[0]->when > now)
		return NULL;
	struct net_timer *t = p->heap[0];
	net_timer_cancel(p, t);
	return t;
}

int net_poller_wait(struct net_poller *p, struct epoll_event *ev, int nev, int max_ms)
{
	int timeout = max_ms;
	if (p->ntimers) {
		uint64_t now = net_now_ns(), when = p->heap[0]->when;
		/* Round up so that we do not wake just before the deadline. */
		uint64_t ms = when <= now ? 0 : (when - now + 999999) / 1000000;
		if (timeout < 0 || ms < (uint64_t)timeout)
			timeout = (int)ms;
	}
	int n = epoll_wait(p->epfd, ev, nev, timeout);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n;
}
