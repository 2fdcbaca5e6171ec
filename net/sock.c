/*
 * net/sock.c — listening sockets, options, waiting with a stop descriptor,
 * and writing whole buffers.
 */
#include "net/sock.h"
#include "net/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int net_set_int(int fd, int level, int name, int value)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
		return -errno;
	return 0;
}

int net_sock_drops(int fd, uint32_t *drops)
{
#ifdef SO_MEMINFO
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0)
		return -errno;
	if (len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
		return -ENOTSUP;   /* an older kernel's shorter array */
	*drops = mi[SK_MEMINFO_DROPS];
	return 0;
#else
	(void)fd;
	(void)drops;
	return -ENOTSUP;
#endif
}

int net_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	if (fcntl(fd, F_SETFL, fl) < 0)
		return -errno;
	return 0;
}

int net_set_nodelay(int fd, bool on)
{
	return net_set_int(fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

int net_local_addr(int fd, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if (getsockname(fd, (struct sockaddr *)&out->ss, &out->len) < 0)
		return -errno;
	return 0;
}

/*
 * A Unix socket file outlives its server. Remove it only when it is a socket
 * and nobody answers on it, so that two servers never steal a live path.
 */
static void unlink_stale_unix(enum net_proto proto, const struct net_addr *addr)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&addr->ss;
	struct stat st;
	if (stat(un->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	int fd = socket(AF_UNIX, net_proto_socktype(proto) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 &&
	    errno == ECONNREFUSED)
		unlink(un->sun_path);
	close(fd);
}

int net_listen(enum net_proto proto, const struct net_addr *addr,
	       const struct net_listen_opts *opts, char *err, size_t errlen)
{
	char as[NET_ADDRSTRLEN];
	int family = net_addr_family(addr);
	int type = net_proto_socktype(proto) | SOCK_CLOEXEC | (opts->nonblock ? SOCK_NONBLOCK : 0);
	int fd, rc;

	if (net_proto_is_unix(proto) != (family == AF_UNIX)) {
		snprintf(err, errlen, "protocol %s does not take address %s",
			 net_proto_name(proto), net_addr_str(addr, as, sizeof(as)));
		return -EINVAL;
	}
	if (family == AF_UNIX)
		unlink_stale_unix(proto, addr);

	fd = socket(family, type, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		return rc;
	}
	if (family != AF_UNIX) {
		if ((opts->reuseaddr && (rc = net_set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)) < 0) ||
		    (opts->reuseport && (rc = net_set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1)) < 0) ||
		    (family == AF_INET6 &&
		     (rc = net_set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, opts->v6only)) < 0)) {
			snprintf(err, errlen, "setsockopt: %s", strerror(-rc));
			goto fail;
		}
	}
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0) {
		rc = -errno;
		snprintf(err, errlen, "bind %s: %s", net_addr_str(addr, as, sizeof(as)),
			 strerror(-rc));
		goto fail;
	}
	if (net_proto_is_stream(proto) &&
	    listen(fd, opts->backlog > 0 ? opts->backlog : SOMAXCONN) < 0) {
		rc = -errno;
		snprintf(err, errlen, "listen: %s", strerror(-rc));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

int net_wait(int fd, short events, int stop_fd, int timeout_ms)
{
	struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = stop_fd, .events = POLLIN}};
	uint64_t deadline = timeout_ms >= 0 ? net_now_ns() + (uint64_t)timeout_ms * 1000000u : 0;
	for (;;) {
		int rc = poll(p, stop_fd >= 0 ? 2 : 1, timeout_ms);
		if (rc < 0 && errno == EINTR) {
			if (timeout_ms >= 0) {
				uint64_t now = net_now_ns();
				timeout_ms = now >= deadline ? 0 : (int)((deadline - now) / 1000000u);
			}
			continue;
		}
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return 0;
		if (stop_fd >= 0 && p[1].revents)
			return -ECANCELED;
		return 1;
	}
}

int net_write_all(int fd, const void *buf, size_t len, int stop_fd)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int rc = net_wait(fd, POLLOUT, stop_fd, -1);
		if (rc < 0)
			return rc;
	}
	return 0;
}
