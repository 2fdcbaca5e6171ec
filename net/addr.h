/*
 * net/addr.h — socket addresses and protocol names, shared by servers,
 * clients and the harness.
 *
 * A net_addr holds any of IPv4, IPv6 or a Unix path. Parsing accepts
 * "HOST:PORT", "[V6]:PORT", "PORT" (host defaults to the caller's choice) and
 * absolute or relative Unix paths. Functions return 0 or a negative errno and
 * write detail text into the caller's buffer; no global error state.
 */
#ifndef SOCKLAB_NET_ADDR_H
#define SOCKLAB_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define NET_ERRLEN 256
#define NET_ADDRSTRLEN 128

enum net_proto {
	NET_TCP,
	NET_UDP,
	NET_UNIX_STREAM,
	NET_UNIX_DGRAM,
};

struct net_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "tcp", "udp", "unix-stream", "unix-dgram" -> proto; -EINVAL if unknown. */
int net_proto_parse(const char *s, enum net_proto *out);
const char *net_proto_name(enum net_proto p);
bool net_proto_is_stream(enum net_proto p);
bool net_proto_is_unix(enum net_proto p);
int net_proto_socktype(enum net_proto p);

/*
 * Parse an IP host (numeric or "localhost") and a port into addr. No DNS:
 * socklab only ever talks to literal addresses or localhost.
 */
int net_addr_ip(struct net_addr *addr, const char *host, unsigned port,
		char *err, size_t errlen);
/* Parse "HOST:PORT" / "[V6]:PORT". */
int net_addr_parse_hostport(struct net_addr *addr, const char *s,
			    char *err, size_t errlen);
int net_addr_unix(struct net_addr *addr, const char *path,
		  char *err, size_t errlen);

int net_addr_family(const struct net_addr *addr);
unsigned net_addr_port(const struct net_addr *addr);
void net_addr_set_port(struct net_addr *addr, unsigned port);
/* "127.0.0.1:8080", "[::1]:8080", "/tmp/x.sock", "(unnamed)". */
const char *net_addr_str(const struct net_addr *addr, char *buf, size_t len);
/* 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104, or any Unix path. */
bool net_addr_is_loopback(const struct net_addr *addr);

/*
 * A CIDR prefix for allow lists ("127.0.0.1", "127.0.0.0/8", "::1/128").
 * An address matches when it has the same family and the same leading bits;
 * an IPv4-mapped IPv6 address matches an IPv4 prefix.
 */
struct net_prefix {
	int family;
	unsigned char bytes[16];
	unsigned bits;
};
int net_prefix_parse(struct net_prefix *p, const char *s,
		     char *err, size_t errlen);
bool net_prefix_match(const struct net_prefix *p, const struct net_addr *addr);

#endif
