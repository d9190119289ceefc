/* SHA-256 (FIPS 180-4), shared by the kernel (image and plan hashes) and the compiler. */
#ifndef KERNEL_SHA256_H
#define KERNEL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32u /* digest length */

/* A hash in progress: start it with sha256_init, feed it, end it with sha256_final. */
struct sha256 {
	uint32_t state[8];
	uint64_t bytes;       /* message bytes fed so far */
	uint8_t block[64];    /* the partial block */
	uint32_t block_bytes; /* bytes of it in use, < 64 */
};

/** Starts a new hash in @s. Needs: @s writable. */
void sha256_init(struct sha256 *s);

/**
 * Feeds @len bytes at @data into @s.
 * Needs: @s started with sha256_init and not finished; @data readable (may be NULL if @len is 0).
 */
void sha256_update(struct sha256 *s, const void *data, size_t len);

/**
 * Pads and ends the hash in @s and writes the digest to @out (32 bytes).
 * Needs: @s started with sha256_init. Returns: nothing; @s must be started again to reuse it.
 */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_BYTES]);

/** Writes the SHA-256 of the @len bytes at @data to @out (32 bytes). */
void sha256_digest(const void *data, size_t len, uint8_t out[SHA256_BYTES]);

/**
 * Writes the first @bytes bytes of @digest as lower-case hex to @out, NUL-terminated.
 * Needs: @out has room for 2 * @bytes + 1 characters.
 */
void sha256_hex(const uint8_t *digest, size_t bytes, char *out);

#endif
