/*
 * tests/unit/test_sha256.c — harness/sha256 against the known answers of
 * FIPS 180-4 / NIST CSHA256 examples ("", "abc", the 448-bit message, a
 * million 'a'), and streaming in odd-sized pieces equals one shot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <string.h>

#include "util/sha256.h"

static void test_known_answers(void **state)
{
	(void)state;
	char hex[SHA256_HEX_LEN];

	sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex(m448, strlen(m448), hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	sha256_hex(m896, strlen(m896), hex);
	assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a_streamed(void **state)
{
	(void)state;
	char chunk[1000];
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_LEN];
	static const uint8_t want[SHA256_DIGEST_LEN] = {
		0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
		0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0,
	};

	memset(chunk, 'a', sizeof chunk);
	sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		sha256_update(&s, chunk, sizeof chunk);
	sha256_final(&s, d);
	assert_memory_equal(d, want, sizeof want);
}

/* Lengths around the 55/56/64-byte padding edges, fed in pieces of 1..7. */
static void test_pieces_equal_one_shot(void **state)
{
	(void)state;
	uint8_t msg[200];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 0; len <= sizeof msg; len++) {
		char one[SHA256_HEX_LEN];
		uint8_t d1[SHA256_DIGEST_LEN], d2[SHA256_DIGEST_LEN];
		struct sha256 a, b;
		sha256_hex(msg, len, one);
		sha256_init(&a);
		sha256_update(&a, msg, len);
		sha256_final(&a, d1);
		sha256_init(&b);
		for (size_t off = 0, step = 1; off < len; off += step, step = step % 7 + 1)
			sha256_update(&b, msg + off, off + step > len ? len - off : step);
		sha256_final(&b, d2);
		assert_memory_equal(d1, d2, sizeof d1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_million_a_streamed),
		cmocka_unit_test(test_pieces_equal_one_shot),
	};
	return tl_run_group(tests, NULL, NULL);
}
