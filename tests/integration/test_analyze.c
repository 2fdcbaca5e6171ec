/*
 * tests/integration/test_analyze.c — `socklab analyze` end to end: write
 * pcaps with pcap_dump (pcap_open_dead for each link type) holding known
 * TCP and UDP conversations (a retransmission, IPv6 behind an extension
 * header, a VLAN tag, a malformed and a truncated packet), run the real
 * binary and check its JSON. When tshark is installed, its `-z conv,tcp`
 * and `conv,udp` tables must agree exactly, on these files and on a
 * loopback capture this test takes of traffic it makes itself (skipped,
 * with the reason, without root or without capture permission).
 */
#include "testlib/testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUTMAX (1 << 20)

/* ---- building frames ---- */

struct pw {                     /* a pcap being written */
	pcap_t *pd;
	pcap_dumper_t *d;
	int dlt;
	bool vlan_next;         /* tag the next Ethernet frame */
	uint32_t t;             /* seconds */
	uint64_t bytes[2];      /* frame bytes A->B, B->A of the flow under watch */
};

static size_t put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
	return 2;
}

static size_t put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	return 2 + put16(b + 2, (uint16_t)v);
}

/* The link-layer header for an IP packet of version v. */
static size_t link_hdr(struct pw *w, uint8_t *b, int v)
{
	uint16_t et = v == 6 ? 0x86dd : 0x0800;
	size_t n = 0;

	switch (w->dlt) {
	case DLT_EN10MB:
		memcpy(b, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
		n = 12;
		if (w->vlan_next) {
			n += put16(b + n, 0x8100);
			n += put16(b + n, 42);
			w->vlan_next = false;
		}
		return n + put16(b + n, et);
	case DLT_LINUX_SLL:
		memset(b, 0, 14);
		put16(b + 2, 772);
		return 14 + put16(b + 14, et);
	case DLT_LINUX_SLL2:
		memset(b, 0, 20);
		put16(b, et);
		return 20;
	case DLT_NULL:         /* host order: little-endian here */
		memcpy(b, v == 6 ? "\x1e\0\0\0" : "\x02\0\0\0", 4);
		return 4;
	case DLT_LOOP:
		return put32(b, v == 6 ? 24 : 2);
	default:               /* DLT_RAW, DLT_IPV4, DLT_IPV6 */
		return 0;
	}
}

struct ep {
	int v;
	uint8_t addr[16];
	uint16_t port;
};

/* IP header (IPv6 with one hop-by-hop header) for l4len bytes of proto. */
static size_t ip_hdr(uint8_t *b, const struct ep *s, const struct ep *d, int proto,
		     size_t l4len)
{
	if (s->v == 4) {
		memset(b, 0, 20);
		b[0] = 0x45;
		put16(b + 2, (uint16_t)(20 + l4len));
		b[8] = 64;
		b[9] = (uint8_t)proto;
		memcpy(b + 12, s->addr, 4);
		memcpy(b + 16, d->addr, 4);
		return 20;
	}
	memset(b, 0, 48);
	b[0] = 0x60;
	put16(b + 4, (uint16_t)(8 + l4len));
	b[6] = 0;              /* hop-by-hop options first */
	b[7] = 64;
	memcpy(b + 8, s->addr, 16);
	memcpy(b + 24, d->addr, 16);
	b[40] = (uint8_t)proto;
	return 48;
}

/* Write one TCP (proto 6) or UDP packet; cut keeps only that many bytes
 * (0: all); dir counts its frame bytes into w->bytes[dir] when >= 0. */
static void emit(struct pw *w, const struct ep *s, const struct ep *d, int proto,
		 uint32_t seq, uint32_t ack, uint8_t flags, size_t plen, size_t cut, int dir)
{
	uint8_t b[2048];
	size_t l4 = proto == 6 ? 20 : 8;
	size_t n = link_hdr(w, b, s->v);

	n += ip_hdr(b + n, s, d, proto, l4 + plen);
	put16(b + n, s->port);
	put16(b + n + 2, d->port);
	if (proto == 6) {
		memset(b + n + 4, 0, 16);
		put32(b + n + 4, seq);
		put32(b + n + 8, ack);
		b[n + 12] = 0x50;
		b[n + 13] = flags;
		put16(b + n + 14, 65535);
	} else {
		put16(b + n + 4, (uint16_t)(8 + plen));
		put16(b + n + 6, 0);
	}
	n += l4;
	memset(b + n, 'x', plen);
	n += plen;
	struct pcap_pkthdr h = {.ts = {.tv_sec = w->t++}, .caplen = (bpf_u_int32)(cut ? cut : n),
				.len = (bpf_u_int32)n};
	pcap_dump((u_char *)w->d, &h, b);
	if (dir >= 0)
		w->bytes[dir] += n;
}

static void pw_open(struct pw *w, int dlt, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->dlt = dlt;
	w->t = 1000;
	w->pd = pcap_open_dead(dlt, 65535);
	assert_non_null(w->pd);
	w->d = pcap_dump_open(w->pd, path);
	if (!w->d)
		fail_msg("pcap_dump_open %s: %s", path, pcap_geterr(w->pd));
}

static void pw_close(struct pw *w)
{
	pcap_dump_close(w->d);
	pcap_close(w->pd);
}

static const struct ep A4 = {4, {10, 0, 0, 1}, 40000}, B4 = {4, {10, 0, 0, 2}, 80};
static const struct ep U4 = {4, {10, 0, 0, 1}, 5000}, D4 = {4, {10, 0, 0, 3}, 53};
static const struct ep A6 = {6, {[15] = 1}, 40001}, B6 = {6, {[15] = 2}, 443};

/* The IPv4 TCP conversation: handshake, 10 + 20 bytes, the 10 again (a
 * retransmission), 5 bytes back, FINs. 7 packets A->B, 3 B->A. */
static void tcp4_conversation(struct pw *w)
{
	emit(w, &A4, &B4, 6, 100, 0, 0x02, 0, 0, 0);
	emit(w, &B4, &A4, 6, 500, 101, 0x12, 0, 0, 1);
	emit(w, &A4, &B4, 6, 101, 501, 0x10, 0, 0, 0);
	emit(w, &A4, &B4, 6, 101, 501, 0x18, 10, 0, 0);
	emit(w, &A4, &B4, 6, 111, 501, 0x18, 20, 0, 0);
	emit(w, &A4, &B4, 6, 101, 501, 0x18, 10, 0, 0);
	emit(w, &B4, &A4, 6, 501, 131, 0x18, 5, 0, 1);
	emit(w, &A4, &B4, 6, 131, 506, 0x11, 0, 0, 0);
	emit(w, &B4, &A4, 6, 506, 132, 0x11, 0, 0, 1);
	emit(w, &A4, &B4, 6, 132, 507, 0x10, 0, 0, 0);
}

/* Write the test file for one link type; returns the expected number of
 * malformed packets. */
static int write_file(int dlt, const char *path, uint64_t tcp_bytes[2])
{
	struct pw w;
	bool v4 = dlt != DLT_IPV6, v6 = dlt != DLT_IPV4;

	pw_open(&w, dlt, path);
	if (v4) {
		tcp4_conversation(&w);
		w.vlan_next = true;
		emit(&w, &U4, &D4, 17, 0, 0, 0, 30, 0, -1);
		emit(&w, &U4, &D4, 17, 0, 0, 0, 40, 0, -1);
		emit(&w, &D4, &U4, 17, 0, 0, 0, 100, 0, -1);
	}
	if (v6) {
		emit(&w, &A6, &B6, 6, 7, 0, 0x02, 0, 0, -1);
		emit(&w, &B6, &A6, 6, 9, 8, 0x12, 0, 0, -1);
		emit(&w, &A6, &B6, 6, 8, 10, 0x18, 7, 0, -1);
	}
	/* Malformed: a UDP datagram cut inside its header by the snaplen. */
	size_t l2 = dlt == DLT_EN10MB ? 14 : dlt == DLT_LINUX_SLL ? 16 : dlt == DLT_LINUX_SLL2 ? 20
		  : dlt == DLT_NULL || dlt == DLT_LOOP ? 4 : 0;
	emit(&w, v4 ? &U4 : &A6, v4 ? &D4 : &B6, 17, 0, 0, 0, 9, l2 + (v4 ? 24 : 52), -1);
	/* Malformed: IP version 5. */
	uint8_t b[64] = {0};
	size_t n = link_hdr(&w, b, v4 ? 4 : 6);
	b[n] = 0x55;
	struct pcap_pkthdr h = {.ts = {.tv_sec = w.t++}, .caplen = (bpf_u_int32)(n + 20),
				.len = (bpf_u_int32)(n + 20)};
	pcap_dump((u_char *)w.d, &h, b);
	memcpy(tcp_bytes, w.bytes, sizeof(w.bytes));
	pw_close(&w);
	return 2;
}

/* ---- running things ---- */

/* Run a shell command line; its stdout (and stderr when both) into out.
 * Returns the exit status, -1 if it did not exit. */
static int run(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0, r;

	assert_non_null(f);
	while (n + 1 < len && (r = fread(out + n, 1, len - 1 - n, f)) > 0)
		n += r;
	out[n] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int analyze(const char *path, const char *flags, char *out, size_t len)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' analyze --json %s '%s'", tl_bin(), flags, path);
	return run(cmd, out, len);
}

static bool have_tshark(void)
{
	char out[256];
	return run("tshark --version 2>/dev/null | head -1", out, sizeof(out)) == 0 &&
	       strstr(out, "TShark") != NULL;
}

/* ---- reading the JSON ---- */

/* The n-th flow object of the output, copied into buf; false past the end. */
static bool flow_at(const char *json, int n, char *buf, size_t len)
{
	const char *p = strstr(json, "\"flows\":[");

	for (int i = 0; p && i <= n; i++)
		p = strstr(p + 1, "{\"proto\":");
	if (!p)
		return false;
	const char *end = strstr(p + 1, "{\"proto\":");
	size_t k = end ? (size_t)(end - p) : strlen(p);
	if (k >= len)
		k = len - 1;
	memcpy(buf, p, k);
	buf[k] = '\0';
	return true;
}

/* A number after "key": at or after from (NULL: whole string). */
static long long jnum(const char *s, const char *from, const char *key)
{
	char pat[64];
	const char *p = from ? strstr(s, from) : s;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = p ? strstr(p, pat) : NULL;
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static void jstr(const char *s, const char *key, char *out, size_t len)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *p = strstr(s, pat);
	assert_non_null(p);
	p += strlen(pat);
	size_t k = strcspn(p, "\"");
	snprintf(out, len, "%.*s", (int)(k < len ? k : len - 1), p);
}

/* The flow whose A port is a_port, or fail. */
static void find_flow(const char *json, unsigned a_port, char *buf, size_t len)
{
	for (int i = 0; flow_at(json, i, buf, len); i++)
		if (jnum(buf, NULL, "a_port") == a_port)
			return;
	fail_msg("no flow with A port %u in %s", a_port, json);
}

/* The flow whose B port is b_port, or fail. */
static void find_flow_b(const char *json, unsigned b_port, char *buf, size_t len)
{
	for (int i = 0; flow_at(json, i, buf, len); i++)
		if (jnum(buf, NULL, "b_port") == b_port)
			return;
	fail_msg("no flow with B port %u in %s", b_port, json);
}

/* ---- comparing with tshark ---- */

/* tshark's format_size(): whole units, truncated, once a value has 5 digits. */
static void tshark_size(unsigned long long n, char *out, size_t len)
{
	static const struct { unsigned long long div; const char *unit; } u[] = {
		{1000000000000ULL, "TB"}, {1000000000ULL, "GB"}, {1000000ULL, "MB"}, {1000ULL, "kB"},
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (n / u[i].div >= 10) {
			snprintf(out, len, "%llu %s", n / u[i].div, u[i].unit);
			return;
		}
	snprintf(out, len, "%llu bytes", n);
}

#define MAXROWS 256
#define ROWLEN 320

static int cmp_rows(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* socklab's flows as tshark rows: "proto A B frames<- bytes<- frames-> bytes->". */
static int socklab_rows(const char *json, char rows[][ROWLEN])
{
	char *fl = malloc(OUTMAX), a[64], b[64], s1[32], s2[32];
	int n = 0;

	assert_non_null(fl);
	for (int i = 0; n < MAXROWS && flow_at(json, i, fl, OUTMAX); i++) {
		char proto[8];
		jstr(fl, "proto", proto, sizeof(proto));
		jstr(fl, "a_addr", a, sizeof(a));
		jstr(fl, "b_addr", b, sizeof(b));
		tshark_size((unsigned long long)jnum(fl, "\"b_to_a\"", "bytes"), s1, sizeof(s1));
		tshark_size((unsigned long long)jnum(fl, "\"a_to_b\"", "bytes"), s2, sizeof(s2));
		snprintf(rows[n++], ROWLEN, "%s %s:%lld %s:%lld %lld %s %lld %s", proto, a,
			 jnum(fl, NULL, "a_port"), b, jnum(fl, NULL, "b_port"),
			 jnum(fl, "\"b_to_a\"", "packets"), s1, jnum(fl, "\"a_to_b\"", "packets"), s2);
	}
	free(fl);
	return n;
}

/* tshark's conv rows for one protocol, appended at rows[n]. */
static int tshark_rows(const char *path, const char *proto, char rows[][ROWLEN], int n)
{
	char cmd[1024], *out = malloc(OUTMAX);

	assert_non_null(out);
	snprintf(cmd, sizeof(cmd), "tshark -r '%s' -q -z conv,%s 2>/dev/null", path, proto);
	assert_int_equal(run(cmd, out, OUTMAX), 0);
	for (char *l = strtok(out, "\n"); l && n < MAXROWS; l = strtok(NULL, "\n")) {
		char a[80], arrow[8], b[80], u1[8], u2[8];
		unsigned long long f1, b1, f2, b2;
		if (sscanf(l, "%79s %7s %79s %llu %llu %7s %llu %llu %7s", a, arrow, b, &f1, &b1,
			   u1, &f2, &b2, u2) != 9 || strcmp(arrow, "<->") != 0)
			continue;
		snprintf(rows[n++], ROWLEN, "%s %s %s %llu %llu %s %llu %llu %s", proto, a, b,
			 f1, b1, u1, f2, b2, u2);
	}
	free(out);
	return n;
}

/* tshark prints IPv6 endpoints as "ADDR:PORT", socklab's JSON as separate
 * fields: both become "ADDR:PORT" above. Every row must match, as a set. */
static void compare_with_tshark(const char *path, const char *json)
{
	static char mine[MAXROWS][ROWLEN], theirs[MAXROWS][ROWLEN];
	int nm = socklab_rows(json, mine);
	int nt = tshark_rows(path, "tcp", theirs, 0);

	nt = tshark_rows(path, "udp", theirs, nt);
	qsort(mine, (size_t)nm, ROWLEN, cmp_rows);
	qsort(theirs, (size_t)nt, ROWLEN, cmp_rows);
	for (int i = 0; i < nm || i < nt; i++)
		if (i >= nm || i >= nt || strcmp(mine[i], theirs[i]) != 0)
			fail_msg("%s: socklab and tshark differ at row %d:\n  socklab: %s\n  tshark:  %s",
				 path, i, i < nm ? mine[i] : "(none)", i < nt ? theirs[i] : "(none)");
	print_message("  %s: %d conversations agree with tshark\n", path, nt);
	assert_true(nt > 0);
}

/* ---- tests ---- */

static const struct { int dlt; const char *name; } dlts[] = {
	{DLT_EN10MB, "en10mb"}, {DLT_LINUX_SLL, "sll"}, {DLT_LINUX_SLL2, "sll2"},
	{DLT_NULL, "null"}, {DLT_LOOP, "loop"}, {DLT_RAW, "raw"},
	{DLT_IPV4, "ipv4"}, {DLT_IPV6, "ipv6"},
};

static void check_tcp4_flow(const char *json, const uint64_t bytes[2])
{
	char fl[4096];

	find_flow(json, 40000, fl, sizeof(fl));
	assert_string_equal(strstr(fl, "\"a_addr\":\"10.0.0.1\"") ? "A" : "?", "A");
	assert_int_equal(jnum(fl, "\"a_to_b\"", "packets"), 7);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "bytes"), bytes[0]);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "segments"), 3);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "payload_bytes"), 40);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "retrans"), 1);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "retrans_bytes"), 10);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "isn"), 100);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "next_rel_seq"), 32);  /* SYN + 30 + FIN */
	assert_int_equal(jnum(fl, "\"b_to_a\"", "packets"), 3);
	assert_int_equal(jnum(fl, "\"b_to_a\"", "bytes"), bytes[1]);
	assert_int_equal(jnum(fl, "\"b_to_a\"", "segments"), 1);
	assert_int_equal(jnum(fl, "\"b_to_a\"", "retrans"), 0);
	assert_int_equal(jnum(fl, "\"b_to_a\"", "fin"), 1);
	assert_true(strstr(fl, "\"duration\":9.000000000") != NULL);
}

static void check_udp4_flow(const char *json)
{
	char fl[4096];

	find_flow(json, 5000, fl, sizeof(fl));
	assert_true(strstr(fl, "\"proto\":\"udp\"") != NULL);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "packets"), 2);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "payload_bytes"), 70);
	assert_int_equal(jnum(fl, "\"b_to_a\"", "segments"), 1);
	assert_int_equal(jnum(fl, "\"b_to_a\"", "max_seg"), 100);
}

static void check_tcp6_flow(const char *json)
{
	char fl[4096];

	find_flow(json, 40001, fl, sizeof(fl));
	assert_true(strstr(fl, "\"a_addr\":\"::1\",") != NULL);
	assert_int_equal(jnum(fl, NULL, "ip"), 6);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "packets"), 2);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "payload_bytes"), 7);
	assert_int_equal(jnum(fl, "\"b_to_a\"", "packets"), 1);
}

static void test_generated_files(void **state)
{
	(void)state;
	char path[256], *out = malloc(OUTMAX);
	bool tshark = have_tshark();
	uint64_t bytes[2];

	assert_non_null(out);
	if (!tshark)
		print_message("  tshark not installed: the comparison with it is skipped\n");
	for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		int dlt = dlts[i].dlt;
		tl_tmp_path(path, sizeof(path), ".pcap");
		int malformed = write_file(dlt, path, bytes);
		assert_int_equal(analyze(path, "", out, OUTMAX), 0);
		assert_int_equal(jnum(out, NULL, "malformed"), malformed);
		if (dlt != DLT_IPV6) {
			check_tcp4_flow(out, bytes);
			check_udp4_flow(out);
		}
		if (dlt != DLT_IPV4)
			check_tcp6_flow(out);
		if (tshark)
			compare_with_tshark(path, out);
		unlink(path);
	}
	free(out);
}

static void test_filter_and_bad_files(void **state)
{
	(void)state;
	char path[256], cmd[1024], *out = malloc(OUTMAX);
	uint64_t bytes[2];

	assert_non_null(out);
	tl_tmp_path(path, sizeof(path), ".pcap");
	write_file(DLT_EN10MB, path, bytes);
	assert_int_equal(analyze(path, "--filter-port 53", out, OUTMAX), 0);
	assert_int_equal(jnum(out, NULL, "filtered"), 13);   /* 10 TCP/IPv4 + 3 TCP/IPv6 */
	assert_null(strstr(out, "\"a_port\":40000"));
	assert_non_null(strstr(out, "\"a_port\":5000"));
	/* The table names every flow. */
	snprintf(cmd, sizeof(cmd), "'%s' analyze '%s'", tl_bin(), path);
	assert_int_equal(run(cmd, out, OUTMAX), 0);
	assert_non_null(strstr(out, "10.0.0.1:40000"));
	assert_non_null(strstr(out, "[::1]:40001"));
	assert_non_null(strstr(out, "malformed 2"));
	/* A file cut mid-record: analysed up to the cut, reported. */
	assert_int_equal(truncate(path, 300), 0);
	assert_int_equal(analyze(path, "", out, OUTMAX), 0);
	assert_null(strstr(out, "\"read_error\":null"));
	/* Missing, not a capture, no file at all: exit 2 naming the file. */
	snprintf(cmd, sizeof(cmd), "'%s' analyze /nonexistent/x.pcap 2>&1", tl_bin());
	assert_int_equal(run(cmd, out, OUTMAX), 2);
	assert_non_null(strstr(out, "/nonexistent/x.pcap"));
	assert_null(strchr(strchr(out, '\n') + 1, '\n'));   /* one line */
	snprintf(cmd, sizeof(cmd), "'%s' analyze /etc/hostname 2>&1", tl_bin());
	assert_int_equal(run(cmd, out, OUTMAX), 2);
	assert_non_null(strstr(out, "/etc/hostname"));
	snprintf(cmd, sizeof(cmd), "'%s' analyze 2>&1", tl_bin());
	assert_int_equal(run(cmd, out, OUTMAX), 2);
	unlink(path);
	free(out);
}

/*
 * Corrupt records (issue 17, finding 9). A record whose captured length is
 * absurd, in the middle of the file, is "corrupt record at offset N", not
 * "file ends early"; the records before it are analysed. A record whose
 * original length field is 0xFFFFFFFF counts its captured length, as
 * tshark does, not 4 GiB.
 */
static void test_corrupt_records(void **state)
{
	(void)state;
	char path[256], cmd[1024], want[128], *out = malloc(OUTMAX);
	struct pw w;

	assert_non_null(out);
	tl_tmp_path(path, sizeof(path), ".pcap");
	pw_open(&w, DLT_EN10MB, path);
	emit(&w, &U4, &D4, 17, 0, 0, 0, 30, 0, -1);   /* 14 + 20 + 8 + 30 = 72 bytes */
	emit(&w, &U4, &D4, 17, 0, 0, 0, 40, 0, -1);
	emit(&w, &D4, &U4, 17, 0, 0, 0, 100, 0, -1);
	pw_close(&w);
	/* The second record starts after the 24-byte file header and the
	 * first record (16 + 72): give it a captured length of 0xFFFFFF00. */
	long off = 24 + 16 + 72;
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, off + 8, SEEK_SET), 0);
	const uint8_t bad[4] = {0x00, 0xff, 0xff, 0xff};   /* little-endian, as written */
	assert_int_equal(fwrite(bad, 1, 4, f), 4);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "'%s' analyze '%s' 2>&1", tl_bin(), path);
	assert_int_equal(run(cmd, out, OUTMAX), 0);
	snprintf(want, sizeof(want), "corrupt record at offset %ld", off);
	if (!strstr(out, want) || strstr(out, "ends early"))
		fail_msg("want '%s', not 'ends early':\n%s", want, out);
	assert_int_equal(analyze(path, "", out, OUTMAX), 0);
	assert_int_equal(jnum(out, NULL, "packets"), 1);

	/* orig_len 0xFFFFFFFF on one record of 72 captured bytes. */
	pw_open(&w, DLT_EN10MB, path);
	emit(&w, &U4, &D4, 17, 0, 0, 0, 30, 0, -1);
	pw_close(&w);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 24 + 12, SEEK_SET), 0);
	const uint8_t ones[4] = {0xff, 0xff, 0xff, 0xff};
	assert_int_equal(fwrite(ones, 1, 4, f), 4);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(analyze(path, "", out, OUTMAX), 0);
	if (jnum(out, NULL, "bytes") != 72)
		fail_msg("bytes %lld, want 72 (the captured length):\n%.2000s",
			 jnum(out, NULL, "bytes"), out);
	unlink(path);
	free(out);
}

/* ---- a real loopback capture ---- */

/* A bound loopback socket of the given type and family; its port in *port. */
static int lo_socket(int family, int type, uint16_t *port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd = socket(family, type, 0);

	assert_true(fd >= 0);
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			: ((struct sockaddr_in *)&ss)->sin_port);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int lo_connect(int family, int type, uint16_t port)
{
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_addr = in6addr_loopback};
	int fd = socket(family, type, 0), one = 1;

	assert_true(fd >= 0);
	if (type == SOCK_STREAM)
		assert_int_equal(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	assert_int_equal(family == AF_INET6 ? connect(fd, (struct sockaddr *)&a6, sizeof(a6))
			 : connect(fd, (struct sockaddr *)&a4, sizeof(a4)), 0);
	return fd;
}

/* One TCP conversation: three small sends, one reply, close. */
static void tcp_traffic(int family, int lfd, uint16_t port)
{
	char buf[4096];
	int c = lo_connect(family, SOCK_STREAM, port);
	int s = accept(lfd, NULL, NULL);

	assert_true(s >= 0);
	for (int i = 0; i < 3; i++) {
		tl_send_all(c, "hello, socklab!", 15);
		usleep(20000);
	}
	assert_int_equal(tl_recv_n(s, buf, 45), 45);
	tl_send_all(s, "HELLO", 5);
	assert_int_equal(tl_recv_n(c, buf, 5), 5);
	close(c);
	usleep(20000);
	close(s);
}

/* Four datagrams one way, one back. */
static void udp_traffic(int ufd, uint16_t port)
{
	char buf[2048];
	int c = lo_connect(AF_INET, SOCK_DGRAM, port);
	struct sockaddr_storage from;
	socklen_t flen;

	for (int i = 0; i < 4; i++)
		assert_int_equal(send(c, buf, 100 + (size_t)i * 300, 0), 100 + i * 300);
	for (int i = 0; i < 4; i++) {
		flen = sizeof(from);
		assert_true(recvfrom(ufd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) > 0);
	}
	assert_int_equal(sendto(ufd, "ok", 2, 0, (struct sockaddr *)&from, flen), 2);
	assert_true(recv(c, buf, sizeof(buf), 0) == 2);
	close(c);
}

/* Start `tshark -i lo -w path -f filter`; 0 once it captures, or -1 with
 * the reason in why (then nothing is left running). */
static int start_capture(const char *path, const char *filter, pid_t *pid, char *why,
			 size_t len)
{
	char log[256], text[2048];
	tl_tmp_path(log, sizeof(log), ".log");
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("tshark", "tshark", "-i", "lo", "-w", path, "-f", filter, (char *)NULL);
		_exit(127);
	}
	for (double t0 = tl_ms(); tl_ms() - t0 < 15000; usleep(50000)) {
		FILE *f = fopen(log, "r");
		size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
		if (f)
			fclose(f);
		text[n] = '\0';
		if (strstr(text, "Capturing on")) {
			unlink(log);
			usleep(300000);   /* the first line comes just before the ring is live */
			return 0;
		}
		int st;
		if (waitpid(*pid, &st, WNOHANG) == *pid) {
			snprintf(why, len, "tshark -i lo could not capture: %.200s", text);
			unlink(log);
			return -1;
		}
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	snprintf(why, len, "tshark -i lo did not start capturing within 15 s");
	unlink(log);
	return -1;
}

static void stop_capture(pid_t pid)
{
	int st;

	usleep(300000);          /* let the last packets reach the file */
	kill(pid, SIGINT);
	for (double t0 = tl_ms(); tl_ms() - t0 < 10000; usleep(20000))
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static void test_live_loopback_capture(void **state)
{
	(void)state;
	char path[256], filter[128], why[512], *out;
	uint16_t p4, p6 = 0, pu;
	pid_t pid;

	if (!have_tshark()) {
		print_message("  SKIP live capture: tshark is not installed\n");
		tl_skip();
	}
	if (geteuid() != 0) {
		print_message("  SKIP live capture: not root, no permission to capture on lo\n");
		tl_skip();
	}
	int l4 = lo_socket(AF_INET, SOCK_STREAM, &p4);
	int l6 = lo_socket(AF_INET6, SOCK_STREAM, &p6);
	int u = lo_socket(AF_INET, SOCK_DGRAM, &pu);
	assert_true(l4 >= 0 && u >= 0);
	snprintf(filter, sizeof(filter), "port %u or port %u or port %u", p4, pu, l6 >= 0 ? p6 : p4);
	tl_tmp_path(path, sizeof(path), ".pcapng");
	if (start_capture(path, filter, &pid, why, sizeof(why)) < 0) {
		print_message("  SKIP live capture: %s\n", why);
		tl_skip();
	}
	tcp_traffic(AF_INET, l4, p4);
	if (l6 >= 0)
		tcp_traffic(AF_INET6, l6, p6);
	udp_traffic(u, pu);
	stop_capture(pid);
	close(l4);
	close(u);
	if (l6 >= 0)
		close(l6);
	out = malloc(OUTMAX);
	assert_non_null(out);
	assert_int_equal(analyze(path, "", out, OUTMAX), 0);
	char fl[4096];
	find_flow_b(out, p4, fl, sizeof(fl));
	assert_int_equal(jnum(fl, "\"a_to_b\"", "syn"), 1);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "segments"), 3);   /* TCP_NODELAY, 20 ms apart */
	assert_int_equal(jnum(fl, "\"a_to_b\"", "payload_bytes"), 45);
	assert_int_equal(jnum(fl, "\"b_to_a\"", "payload_bytes"), 5);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "retrans"), 0);
	find_flow_b(out, pu, fl, sizeof(fl));
	assert_int_equal(jnum(fl, "\"a_to_b\"", "packets"), 4);
	assert_int_equal(jnum(fl, "\"a_to_b\"", "payload_bytes"), 100 + 400 + 700 + 1000);
	assert_int_equal(jnum(fl, "\"b_to_a\"", "packets"), 1);
	compare_with_tshark(path, out);
	free(out);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_files),
		cmocka_unit_test(test_corrupt_records),
		cmocka_unit_test(test_filter_and_bad_files),
		cmocka_unit_test(test_live_loopback_capture),
	};
	return tl_run_group(tests, NULL, NULL);
}
