/*
 * tests/unit/test_framing.c — net/framing: encode/decode round trips for
 * length-prefix and delimiter framing, however the byte stream is cut (a
 * message split at every byte boundary, many messages glued into one
 * push), the oversize refusals that must happen before anything large is
 * allocated, and the `--framing` spelling accepted by net_framing_parse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/framing.h"

static const struct net_framing LEN = {.kind = NET_FRAMING_LENGTH};
static const struct net_framing LINE = {.kind = NET_FRAMING_DELIM, .delim = '\n'};

/* Encode one message, which must succeed. */
static void encode(const struct net_framing *f, struct net_buf *out, const char *msg)
{
	assert_int_equal(net_framing_encode(f, out, msg, strlen(msg)), 0);
}

/* The next message must be exactly want. */
static void expect_msg(struct net_deframer *d, const void *want, size_t wantlen)
{
	const uint8_t *msg = NULL;
	size_t len = 0;
	assert_int_equal(net_deframer_next(d, &msg, &len), 1);
	assert_int_equal(len, wantlen);
	if (wantlen)
		assert_memory_equal(msg, want, wantlen);
}

static void expect_str(struct net_deframer *d, const char *want)
{
	expect_msg(d, want, strlen(want));
}

static void expect_none(struct net_deframer *d)
{
	const uint8_t *msg;
	size_t len;
	assert_int_equal(net_deframer_next(d, &msg, &len), 0);
}

static void test_encode_bytes(void **state)
{
	(void)state;
	struct net_buf b = {0};

	encode(&LEN, &b, "hello");
	assert_int_equal(net_buf_pending(&b), 9);
	assert_memory_equal(net_buf_head(&b), "\0\0\0\5hello", 9);
	net_buf_reset(&b);

	assert_int_equal(net_framing_encode(&LEN, &b, "", 0), 0);
	assert_memory_equal(net_buf_head(&b), "\0\0\0\0", 4);
	net_buf_reset(&b);

	encode(&LINE, &b, "hi");
	assert_int_equal(net_buf_pending(&b), 3);
	assert_memory_equal(net_buf_head(&b), "hi\n", 3);
	net_buf_reset(&b);

	/* A message containing the delimiter cannot be framed by it. */
	assert_int_equal(net_framing_encode(&LINE, &b, "a\nb", 3), -EMSGSIZE);
	assert_int_equal(net_buf_pending(&b), 0);

	struct net_framing none = {.kind = NET_FRAMING_NONE};
	assert_int_equal(net_framing_encode(&none, &b, "raw\n", 4), 0);
	assert_memory_equal(net_buf_head(&b), "raw\n", 4);

	assert_int_equal(net_framing_overhead(&LEN), 4);
	assert_int_equal(net_framing_overhead(&LINE), 1);
	assert_int_equal(net_framing_overhead(&none), 0);
	net_buf_free(&b);
}

static void roundtrip_one_push(const struct net_framing *f)
{
	const char *msgs[] = {"alpha", "", "b", "a somewhat longer message body", "z"};
	size_t n = sizeof(msgs) / sizeof(msgs[0]);
	struct net_buf wire = {0};
	struct net_deframer d;

	for (size_t i = 0; i < n; i++)
		encode(f, &wire, msgs[i]);
	net_deframer_init(&d, f);
	assert_int_equal(net_deframer_push(&d, net_buf_head(&wire), net_buf_pending(&wire)), 0);
	for (size_t i = 0; i < n; i++)
		expect_str(&d, msgs[i]);
	expect_none(&d);
	assert_int_equal(net_deframer_buffered(&d), 0);
	net_deframer_free(&d);
	net_buf_free(&wire);
}

static void test_roundtrip(void **state)
{
	(void)state;
	roundtrip_one_push(&LEN);
	roundtrip_one_push(&LINE);
	struct net_framing nul = {.kind = NET_FRAMING_DELIM, .delim = 0};
	roundtrip_one_push(&nul);
}

/* One message cut into two pushes at every possible byte boundary; the
 * message appears only once the last byte is in. */
static void split_everywhere(const struct net_framing *f)
{
	const char *m = "the quick brown fox";
	struct net_buf wire = {0};
	encode(f, &wire, m);
	size_t total = net_buf_pending(&wire);
	const uint8_t *w = net_buf_head(&wire);

	for (size_t cut = 0; cut <= total; cut++) {
		struct net_deframer d;
		net_deframer_init(&d, f);
		assert_int_equal(net_deframer_push(&d, w, cut), 0);
		if (cut < total) {
			expect_none(&d);
			assert_int_equal(net_deframer_buffered(&d), cut);
			assert_int_equal(net_deframer_push(&d, w + cut, total - cut), 0);
		}
		expect_str(&d, m);
		expect_none(&d);
		net_deframer_free(&d);
	}

	/* And one byte at a time. */
	struct net_deframer d;
	net_deframer_init(&d, f);
	for (size_t i = 0; i < total; i++) {
		expect_none(&d);
		assert_int_equal(net_deframer_push(&d, w + i, 1), 0);
	}
	expect_str(&d, m);
	expect_none(&d);
	net_deframer_free(&d);
	net_buf_free(&wire);
}

static void test_split_every_boundary(void **state)
{
	(void)state;
	split_everywhere(&LEN);
	split_everywhere(&LINE);
}

/* 1000 messages of varying sizes glued into one push, then the same stream
 * in pseudo-random chunks, interleaving push and next. */
static void glued(const struct net_framing *f)
{
	enum { N = 1000 };
	struct net_buf wire = {0};
	char msg[300];
	for (int i = 0; i < N; i++) {
		int len = (i * 37) % (int)sizeof(msg);
		for (int k = 0; k < len; k++)
			msg[k] = (char)('A' + (i + k) % 26);
		assert_int_equal(net_framing_encode(f, &wire, msg, (size_t)len), 0);
	}
	const uint8_t *w = net_buf_head(&wire);
	size_t total = net_buf_pending(&wire);

	for (int pass = 0; pass < 2; pass++) {
		struct net_deframer d;
		net_deframer_init(&d, f);
		size_t pos = 0;
		int got = 0;
		unsigned seed = 7;
		while (got < N) {
			const uint8_t *m;
			size_t len;
			int rc = net_deframer_next(&d, &m, &len);
			assert_true(rc >= 0);
			if (rc == 1) {
				int want = (got * 37) % (int)sizeof(msg);
				assert_int_equal(len, (size_t)want);
				for (int k = 0; k < want; k++)
					assert_int_equal(m[k], 'A' + (got + k) % 26);
				got++;
				continue;
			}
			assert_true(pos < total);
			size_t chunk = pass == 0 ? total : 1 + (seed = seed * 1103515245 + 12345) % 700;
			if (chunk > total - pos)
				chunk = total - pos;
			assert_int_equal(net_deframer_push(&d, w + pos, chunk), 0);
			pos += chunk;
		}
		assert_int_equal(pos, total);
		expect_none(&d);
		assert_int_equal(net_deframer_buffered(&d), 0);
		net_deframer_free(&d);
	}
	net_buf_free(&wire);
}

static void test_many_glued(void **state)
{
	(void)state;
	glued(&LEN);
	glued(&LINE);
}

static void test_length_oversize_refused_early(void **state)
{
	(void)state;
	struct net_framing f = {.kind = NET_FRAMING_LENGTH, .max_msg = 1000};
	struct net_deframer d;
	const uint8_t *m;
	size_t len;

	/* 0xffffffff announced: refused once the 4th header byte is in. */
	const uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
	net_deframer_init(&d, &f);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(net_deframer_push(&d, huge + i, 1), 0);
		assert_int_equal(net_deframer_next(&d, &m, &len), 0);
	}
	assert_int_equal(net_deframer_push(&d, huge + 3, 1), 0);
	assert_int_equal(net_deframer_next(&d, &m, &len), -EMSGSIZE);
	assert_true(d.in.cap <= 256);
	/* It stays refused. */
	assert_int_equal(net_deframer_next(&d, &m, &len), -EMSGSIZE);
	net_deframer_free(&d);

	/* One more than max: refused, with only the header buffered. */
	const uint8_t over[4] = {0, 0, 0x03, 0xe9};   /* 1001 */
	net_deframer_init(&d, &f);
	assert_int_equal(net_deframer_push(&d, over, 4), 0);
	assert_int_equal(net_deframer_next(&d, &m, &len), -EMSGSIZE);
	assert_true(d.in.cap <= 256);
	net_deframer_free(&d);

	/* Exactly max is fine. */
	struct net_buf wire = {0};
	char *big = malloc(1000);
	assert_non_null(big);
	memset(big, 'x', 1000);
	assert_int_equal(net_framing_encode(&f, &wire, big, 1000), 0);
	net_deframer_init(&d, &f);
	assert_int_equal(net_deframer_push(&d, net_buf_head(&wire), net_buf_pending(&wire)), 0);
	expect_msg(&d, big, 1000);
	net_deframer_free(&d);
	net_buf_free(&wire);
	free(big);

	/* The default max (1 MiB) applies when max_msg is 0. */
	struct net_framing dflt = {.kind = NET_FRAMING_LENGTH};
	const uint8_t mib1[4] = {0, 0x10, 0, 0x01};   /* 1 MiB + 1 */
	net_deframer_init(&d, &dflt);
	assert_int_equal(net_deframer_push(&d, mib1, 4), 0);
	assert_int_equal(net_deframer_next(&d, &m, &len), -EMSGSIZE);
	assert_true(d.in.cap <= 256);
	net_deframer_free(&d);

	/* A good message, then an oversize one behind it in the same push. */
	net_deframer_init(&d, &f);
	const uint8_t two[] = {0, 0, 0, 2, 'o', 'k', 0x7f, 0, 0, 0};
	assert_int_equal(net_deframer_push(&d, two, sizeof(two)), 0);
	expect_str(&d, "ok");
	assert_int_equal(net_deframer_next(&d, &m, &len), -EMSGSIZE);
	net_deframer_free(&d);
}

static void test_delim_oversize(void **state)
{
	(void)state;
	struct net_framing f = {.kind = NET_FRAMING_DELIM, .delim = '\n', .max_msg = 10};
	struct net_deframer d;
	const uint8_t *m;
	size_t len;

	/* Exactly max bytes without a delimiter: still waiting; then the
	 * delimiter completes a max-sized message. */
	net_deframer_init(&d, &f);
	assert_int_equal(net_deframer_push(&d, "0123456789", 10), 0);
	expect_none(&d);
	assert_int_equal(net_deframer_push(&d, "\n", 1), 0);
	expect_str(&d, "0123456789");
	expect_none(&d);

	/* max + 1 bytes without the delimiter, a byte at a time: refused as
	 * soon as the 11th byte is in. */
	for (int i = 0; i < 10; i++) {
		assert_int_equal(net_deframer_push(&d, "y", 1), 0);
		expect_none(&d);
	}
	assert_int_equal(net_deframer_push(&d, "y", 1), 0);
	assert_int_equal(net_deframer_next(&d, &m, &len), -EMSGSIZE);
	net_deframer_free(&d);

	/* 11 bytes whose delimiter arrives in the same push: still oversize. */
	net_deframer_init(&d, &f);
	assert_int_equal(net_deframer_push(&d, "0123456789A\n", 12), 0);
	assert_int_equal(net_deframer_next(&d, &m, &len), -EMSGSIZE);
	net_deframer_free(&d);

	/* A good line followed by a run of junk longer than max. */
	net_deframer_init(&d, &f);
	assert_int_equal(net_deframer_push(&d, "ok\nzzzzzzzzzzzzzzzzzzzz", 23), 0);
	expect_str(&d, "ok");
	assert_int_equal(net_deframer_next(&d, &m, &len), -EMSGSIZE);
	net_deframer_free(&d);
}

static void test_none_passthrough(void **state)
{
	(void)state;
	struct net_framing f = {.kind = NET_FRAMING_NONE};
	struct net_deframer d;
	net_deframer_init(&d, &f);
	expect_none(&d);
	assert_int_equal(net_deframer_push(&d, "ab", 2), 0);
	assert_int_equal(net_deframer_push(&d, "c\n", 2), 0);
	expect_str(&d, "abc\n");
	expect_none(&d);
	assert_int_equal(net_deframer_buffered(&d), 0);
	net_deframer_free(&d);
}

static void test_buffered_accounting(void **state)
{
	(void)state;
	struct net_deframer d;
	net_deframer_init(&d, &LINE);
	assert_int_equal(net_deframer_push(&d, "one\ntwo\nthr", 11), 0);
	assert_int_equal(net_deframer_buffered(&d), 11);
	expect_str(&d, "one");
	/* The returned message no longer counts as buffered. */
	assert_int_equal(net_deframer_buffered(&d), 7);
	expect_str(&d, "two");
	assert_int_equal(net_deframer_buffered(&d), 3);
	expect_none(&d);
	assert_int_equal(net_deframer_buffered(&d), 3);
	assert_int_equal(net_deframer_push(&d, "ee\n", 3), 0);
	expect_str(&d, "three");
	assert_int_equal(net_deframer_buffered(&d), 0);
	net_deframer_free(&d);
}

static void parse_ok(const char *s, enum net_framing_kind kind, uint8_t delim)
{
	char err[128];
	struct net_framing f = {.max_msg = 1234};
	if (net_framing_parse(&f, s, err, sizeof(err)) != 0)
		fail_msg("'%s' rejected: %s", s, err);
	assert_int_equal(f.kind, kind);
	if (kind == NET_FRAMING_DELIM)
		assert_int_equal(f.delim, delim);
	assert_int_equal(f.max_msg, 1234);   /* left alone */
}

static void test_parse(void **state)
{
	(void)state;
	parse_ok("none", NET_FRAMING_NONE, 0);
	parse_ok("length", NET_FRAMING_LENGTH, 0);
	parse_ok("delim", NET_FRAMING_DELIM, '\n');
	parse_ok("line", NET_FRAMING_DELIM, '\n');
	parse_ok("delim:;", NET_FRAMING_DELIM, ';');
	parse_ok("delim:\\n", NET_FRAMING_DELIM, '\n');
	parse_ok("delim:\\r", NET_FRAMING_DELIM, '\r');
	parse_ok("delim:\\0", NET_FRAMING_DELIM, 0);
	parse_ok("delim:0x00", NET_FRAMING_DELIM, 0);
	parse_ok("delim:0x7e", NET_FRAMING_DELIM, 0x7e);
	parse_ok("delim:0xFF", NET_FRAMING_DELIM, 0xff);

	const char *bad[] = {
		"", "Length", "len", "delim:", "delim:ab", "delim:0x", "delim:0x1",
		"delim:0x123", "delim:0xzz", "delim:\\t", "delimiter", "length:4",
		"none ", "delim:0x1g", "delim:0x 1", "delim:0x+1", "delim:0x-1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[128] = "";
		struct net_framing f = {0};
		int rc = net_framing_parse(&f, bad[i], err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("'%s' should be rejected, got %d", bad[i], rc);
		assert_non_null(strstr(err, "framing"));
	}

	char buf[32];
	struct net_framing f = {.kind = NET_FRAMING_DELIM, .delim = '\n'};
	assert_string_equal(net_framing_str(&f, buf, sizeof(buf)), "delim:0x0a");
	assert_string_equal(net_framing_str(&LEN, buf, sizeof(buf)), "length");
	/* What net_framing_str prints, net_framing_parse reads back. */
	parse_ok(buf, NET_FRAMING_LENGTH, 0);
	f.delim = 0xab;
	parse_ok(net_framing_str(&f, buf, sizeof(buf)), NET_FRAMING_DELIM, 0xab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_bytes),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_split_every_boundary),
		cmocka_unit_test(test_many_glued),
		cmocka_unit_test(test_length_oversize_refused_early),
		cmocka_unit_test(test_delim_oversize),
		cmocka_unit_test(test_none_passthrough),
		cmocka_unit_test(test_buffered_accounting),
		cmocka_unit_test(test_parse),
	};
	return tl_run_group(tests, NULL, NULL);
}
