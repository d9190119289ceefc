/* Line assembly for the console: bytes in, whole sanitized lines out to the UART. */
#ifndef CONSOLE_LINE_H
#define CONSOLE_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "tail.h"

/* Longest line printed as one; longer ones are cut with LINE_CUT_MARK and continued. */
#define LINE_MAX_BYTES 512u
#define LINE_PREFIX_MAX 80u
#define LINE_CUT_MARK " [...]"

/* One source of lines (a ring or the kernel log), with its private buffer. */
struct line {
	char prefix[LINE_PREFIX_MAX]; /* printed before every line, e.g. "ping: " */
	struct tail_source *tail;     /* where printed lines are also kept, or NULL */
	uint32_t len;                 /* bytes in buf */
	char buf[LINE_MAX_BYTES];
};

/**
 * Sets up @l with the printable @prefix (cut to LINE_PREFIX_MAX - 1 bytes) and no tail
 * source (set l->tail afterwards to keep its lines in the tail page).
 * Needs: nothing. Returns: nothing.
 */
void line_init(struct line *l, const char *prefix);

/**
 * Appends @len bytes of untrusted @data: prints a line per '\n', cuts lines longer than
 * LINE_MAX_BYTES and replaces every non-printable byte except '\t' by '?'.
 * Needs: the UART is set up. Returns: nothing.
 */
void line_feed(struct line *l, const void *data, size_t len);

/**
 * Prints what @l holds as a line, even if empty, and empties it.
 * Needs: the UART is set up. Returns: nothing.
 */
void line_flush(struct line *l);

/**
 * Drops what @l holds without printing it.
 */
void line_discard(struct line *l);

#endif
