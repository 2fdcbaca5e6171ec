/*
 * util/sha256.h — SHA-256 (FIPS 180-4), small and dependency-free, so the
 * store can fingerprint a run's scenario text: two runs of the same file
 * carry the same hash, and an edited file a different one.
 *
 * Streaming use: sha256_init, any number of sha256_update, sha256_final.
 * One-shot: sha256_hex. No allocation, no global state.
 */
#ifndef SOCKLAB_UTIL_SHA256_H
#define SOCKLAB_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN 65          /* 64 hex digits and a NUL */

struct sha256 {
	uint32_t h[8];
	uint64_t len;                  /* bytes hashed so far */
	uint8_t block[64];
	size_t fill;                   /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the 32-byte digest; s must be re-initialised before reuse. */
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_DIGEST_LEN]);
/* Lower-case hex digest of data into hex (SHA256_HEX_LEN bytes). */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN]);

#endif
