/*
 * net/clock.h — the one monotonic clock every timestamp in socklab uses
 * (CLOCK_MONOTONIC, nanoseconds), and a sleep that survives signals.
 */
#ifndef SOCKLAB_NET_CLOCK_H
#define SOCKLAB_NET_CLOCK_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t net_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep ns nanoseconds; resumes after signal interruptions. */
static inline void net_sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* This thread's CPU time in ns (CLOCK_THREAD_CPUTIME_ID). */
static inline uint64_t net_thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Burn ns nanoseconds of this thread's own CPU time (simulated CPU-bound
 * work: a fixed amount of computation). When more threads spin than there
 * are cores, each takes longer in wall-clock time, as real work does. */
static inline void net_spin_ns(uint64_t ns)
{
	uint64_t end = net_thread_cpu_ns() + ns;
	volatile uint64_t x = 0;
	while (net_thread_cpu_ns() < end)
		for (int i = 0; i < 64; i++)
			x += (uint64_t)i;
	(void)x;
}

#endif
