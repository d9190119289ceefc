/* Control domain: a bounded output buffer that answers are written into (pure code). */
#ifndef CONTROL_CTL_BUF_H
#define CONTROL_CTL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Writes never go past @cap - 1 bytes (the text stays NUL-terminated); a write that does not
 * fit sets @full and writes nothing more, so one check at the end tells whether the whole
 * answer is there.
 */
struct ctl_buf {
	char *text;
	size_t cap; /* bytes at @text, at least 1 */
	size_t len; /* bytes written, without the NUL */
	bool full;  /* a write did not fit */
};

/** Starts an empty buffer over @text (@cap >= 1 bytes). Returns: nothing. */
void ctl_buf_init(struct ctl_buf *b, char *text, size_t cap);

/** Appends the @n bytes at @s (all of them or, if they do not fit, none). Returns: nothing. */
void ctl_buf_put(struct ctl_buf *b, const char *s, size_t n);

/** Appends the NUL-terminated @s. Returns: nothing. */
void ctl_buf_puts(struct ctl_buf *b, const char *s);

/** Appends @v in decimal. Returns: nothing. */
void ctl_buf_u64(struct ctl_buf *b, uint64_t v);

/** Appends @v in decimal, with a '-' if it is negative. Returns: nothing. */
void ctl_buf_i64(struct ctl_buf *b, int64_t v);

/** Appends @v as "0x" and lower-case hex digits. Returns: nothing. */
void ctl_buf_hex(struct ctl_buf *b, uint64_t v);

/** Goes back to length @len (<= b->len, from an earlier b->len) and clears @full. */
void ctl_buf_rewind(struct ctl_buf *b, size_t len);

#endif
