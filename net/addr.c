/*
 * net/addr.c — address parsing, formatting, loopback checks and prefixes.
 */
#include "net/addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static const char *const proto_names[] = {
	[NET_TCP] = "tcp",
	[NET_UDP] = "udp",
	[NET_UNIX_STREAM] = "unix-stream",
	[NET_UNIX_DGRAM] = "unix-dgram",
};

int net_proto_parse(const char *s, enum net_proto *out)
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (strcmp(s, proto_names[i]) == 0) {
			*out = (enum net_proto)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *net_proto_name(enum net_proto p)
{
	return proto_names[p];
}

bool net_proto_is_stream(enum net_proto p)
{
	return p == NET_TCP || p == NET_UNIX_STREAM;
}

bool net_proto_is_unix(enum net_proto p)
{
	return p == NET_UNIX_STREAM || p == NET_UNIX_DGRAM;
}

int net_proto_socktype(enum net_proto p)
{
	return net_proto_is_stream(p) ? SOCK_STREAM : SOCK_DGRAM;
}

int net_addr_ip(struct net_addr *addr, const char *host, unsigned port,
		char *err, size_t errlen)
{
	memset(addr, 0, sizeof(*addr));
	if (port > 65535) {
		snprintf(err, errlen, "port %u out of range 0-65535", port);
		return -EINVAL;
	}
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	struct sockaddr_in *in4 = (struct sockaddr_in *)&addr->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr->ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		addr->len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		addr->len = sizeof(*in6);
		return 0;
	}
	snprintf(err, errlen, "'%s' is not a numeric IPv4/IPv6 address or localhost", host);
	return -EINVAL;
}

static int parse_port(const char *s, unsigned *port)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	/* strtoul would also skip blanks and take a sign: digits only. */
	if (!isdigit((unsigned char)*s) || errno || *end || v > 65535)
		return -EINVAL;
	*port = (unsigned)v;
	return 0;
}

int net_addr_parse_hostport(struct net_addr *addr, const char *s,
			    char *err, size_t errlen)
{
	char host[NET_ADDRSTRLEN];
	const char *portstr;
	unsigned port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host)) {
			snprintf(err, errlen, "'%s': expected [IPV6]:PORT", s);
			return -EINVAL;
		}
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		portstr = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon || (size_t)(colon - s) >= sizeof(host)) {
			snprintf(err, errlen, "'%s': expected HOST:PORT (IPv6 as [ADDR]:PORT)", s);
			return -EINVAL;
		}
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		portstr = colon + 1;
	}
	if (parse_port(portstr, &port) < 0) {
		snprintf(err, errlen, "'%s': port must be a number 0-65535", s);
		return -EINVAL;
	}
	return net_addr_ip(addr, host, port, err, errlen);
}

int net_addr_unix(struct net_addr *addr, const char *path,
		  char *err, size_t errlen)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&addr->ss;
	memset(addr, 0, sizeof(*addr));
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(un->sun_path)) {
		snprintf(err, errlen, "unix socket path must be 1-%zu bytes",
			 sizeof(un->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, n + 1);
	addr->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int net_addr_family(const struct net_addr *addr)
{
	return addr->ss.ss_family;
}

unsigned net_addr_port(const struct net_addr *addr)
{
	switch (addr->ss.ss_family) {
	case AF_INET:
		return ntohs(((const struct sockaddr_in *)&addr->ss)->sin_port);
	case AF_INET6:
		return ntohs(((const struct sockaddr_in6 *)&addr->ss)->sin6_port);
	default:
		return 0;
	}
}

void net_addr_set_port(struct net_addr *addr, unsigned port)
{
	if (addr->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&addr->ss)->sin_port = htons((uint16_t)port);
	else if (addr->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&addr->ss)->sin6_port = htons((uint16_t)port);
}

const char *net_addr_str(const struct net_addr *addr, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	switch (addr->ss.ss_family) {
	case AF_INET:
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&addr->ss)->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, net_addr_port(addr));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&addr->ss)->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, net_addr_port(addr));
		break;
	case AF_UNIX: {
		const struct sockaddr_un *un = (const struct sockaddr_un *)&addr->ss;
		if (addr->len <= offsetof(struct sockaddr_un, sun_path) || un->sun_path[0] == '\0')
			snprintf(buf, len, "(unnamed)");
		else
			snprintf(buf, len, "%.*s",
				 (int)(addr->len - offsetof(struct sockaddr_un, sun_path)),
				 un->sun_path);
		break;
	}
	default:
		snprintf(buf, len, "(family %d)", addr->ss.ss_family);
	}
	return buf;
}

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool net_addr_is_loopback(const struct net_addr *addr)
{
	switch (addr->ss.ss_family) {
	case AF_INET: {
		uint32_t a = ntohl(((const struct sockaddr_in *)&addr->ss)->sin_addr.s_addr);
		return (a >> 24) == 127;
	}
	case AF_INET6: {
		const unsigned char *b = ((const struct sockaddr_in6 *)&addr->ss)->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)b))
			return true;
		return memcmp(b, v4mapped_prefix, 12) == 0 && b[12] == 127;
	}
	case AF_UNIX:
		return true;
	default:
		return false;
	}
}

int net_prefix_parse(struct net_prefix *p, const char *s, char *err, size_t errlen)
{
	char host[NET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	memset(p, 0, sizeof(*p));
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, p->bytes) == 1) {
		p->family = AF_INET;
		p->bits = 32;
	} else if (inet_pton(AF_INET6, host, p->bytes) == 1) {
		p->family = AF_INET6;
		p->bits = 128;
	} else {
		goto bad;
	}
	if (slash) {
		unsigned bits;
		if (parse_port(slash + 1, &bits) < 0 || bits > p->bits)
			goto bad;
		p->bits = bits;
	}
	return 0;
bad:
	snprintf(err, errlen, "'%s': expected an address or ADDR/BITS prefix", s);
	return -EINVAL;
}

static bool bits_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool net_prefix_match(const struct net_prefix *p, const struct net_addr *addr)
{
	const unsigned char *b;
	if (addr->ss.ss_family == AF_INET) {
		b = (const unsigned char *)&((const struct sockaddr_in *)&addr->ss)->sin_addr;
		return p->family == AF_INET && bits_equal(p->bytes, b, p->bits);
	}
	if (addr->ss.ss_family == AF_INET6) {
		b = ((const struct sockaddr_in6 *)&addr->ss)->sin6_addr.s6_addr;
		if (p->family == AF_INET6)
			return bits_equal(p->bytes, b, p->bits);
		return p->family == AF_INET && memcmp(b, v4mapped_prefix, 12) == 0 &&
		       bits_equal(p->bytes, b + 12, p->bits);
	}
	return false;
}
