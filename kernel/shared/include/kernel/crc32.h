/* CRC-32 (IEEE 802.3), shared by the kernel, the plan checker and the compiler. */
#ifndef KERNEL_CRC32_H
#define KERNEL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/**
 * Continues the CRC-32 @crc (start with 0) over @len bytes at @buf.
 * Needs: @buf readable. Returns: the updated CRC (reflected, final xor done).
 */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
