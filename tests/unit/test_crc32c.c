/*
 * tests/unit/test_crc32c.c — clients/crc32c against the iSCSI test vectors
 * of RFC 3720 (B.4) and "123456789"; the table path and the CPU path agree
 * with a bit-at-a-time reference at every length and alignment; feeding in
 * pieces equals feeding whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib/testlib.h"

#include <string.h>

#include "util/crc32c.h"

static uint32_t reference(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
	}
	return ~c;
}

static void test_known_answers(void **state)
{
	(void)state;
	uint8_t b[32];
	assert_int_equal(crc32c_update(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c_update_sw(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c_update(0, "", 0), 0);
	memset(b, 0, sizeof(b));
	assert_int_equal(crc32c_update(0, b, 32), 0x8A9136AAu);
	memset(b, 0xff, sizeof(b));
	assert_int_equal(crc32c_update(0, b, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	assert_int_equal(crc32c_update(0, b, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	assert_int_equal(crc32c_update_sw(0, b, 32), 0x113FDB5Cu);
}

static void test_paths_agree(void **state)
{
	(void)state;
	static uint8_t buf[4096 + 16];
	uint32_t x = 1;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 9; off++) {
		for (size_t n = 0; n < 300; n += 1 + n / 16) {
			uint32_t want = reference(buf + off, n);
			assert_int_equal(crc32c_update(0, buf + off, n), want);
			assert_int_equal(crc32c_update_sw(0, buf + off, n), want);
		}
	}
	/* In pieces of every size from 1 to 64: the same as whole. */
	uint32_t whole = crc32c_update(0, buf, 4096);
	assert_int_equal(whole, reference(buf, 4096));
	for (size_t piece = 1; piece <= 64; piece++) {
		uint32_t c = 0, s = 0;
		for (size_t i = 0; i < 4096; i += piece) {
			size_t m = 4096 - i < piece ? 4096 - i : piece;
			c = crc32c_update(c, buf + i, m);
			s = crc32c_update_sw(s, buf + i, m);
		}
		assert_int_equal(c, whole);
		assert_int_equal(s, whole);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_paths_agree),
	};
	return tl_run_group(tests, NULL, NULL);
}
