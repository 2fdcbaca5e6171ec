/*
 * util/crc32c.h — CRC-32C (Castagnoli, the iSCSI/ext4 polynomial), the
 * checksum the load engine's file workload verifies bodies with while they
 * arrive. Incremental: crc32c_update(0, ...) starts, and feeding a buffer in
 * pieces gives the same value as feeding it whole. On x86-64 with SSE4.2 it
 * uses the crc32 instruction (several GB/s); elsewhere slicing-by-8 tables.
 * Thread-safe, no allocation; the tables are built once on first use.
 */
#ifndef SOCKLAB_UTIL_CRC32C_H
#define SOCKLAB_UTIL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* crc: 0 to start, or a previous return value to continue. */
uint32_t crc32c_update(uint32_t crc, const void *data, size_t len);
/* The portable path alone, whatever the CPU (for tests). */
uint32_t crc32c_update_sw(uint32_t crc, const void *data, size_t len);

#endif
