/*
 * harness/demo/demo_net.c — the few socket helpers the demos share: a TCP
 * listener on 127.0.0.1:0 and a connect to it (demo.h).
 */
#include "harness/demo/demo.h"

#include "net/addr.h"
#include "net/sock.h"

#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int demo_tcp_listen(unsigned *port)
{
	struct net_addr a;
	struct net_listen_opts lo = {.backlog = 16, .reuseaddr = true};
	char err[NET_ERRLEN];
	int rc = net_addr_ip(&a, "127.0.0.1", 0, err, sizeof(err));
	if (rc < 0)
		return rc;
	int fd = net_listen(NET_TCP, &a, &lo, err, sizeof(err));
	if (fd < 0)
		return fd;
	if ((rc = net_local_addr(fd, &a)) < 0) {
		close(fd);
		return rc;
	}
	*port = net_addr_port(&a);
	return fd;
}

int demo_tcp_connect(unsigned port, bool nodelay)
{
	struct net_addr a;
	char err[NET_ERRLEN];
	int rc = net_addr_ip(&a, "127.0.0.1", port, err, sizeof(err));
	if (rc < 0)
		return rc;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&a.ss, a.len) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (nodelay && (rc = net_set_nodelay(fd, true)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

uint64_t demo_real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
