/* The console's writer of the tail page (tail_page.h): the last lines of each domain. */
#ifndef CONSOLE_TAIL_H
#define CONSOLE_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "tail_page.h"

/**
 * Takes the region at @base of @size bytes as the tail page and sets it up empty.
 * Needs: the region is mapped read-write. Returns: nothing.
 */
void tail_open(void *base, uint64_t size);

/**
 * Returns the source for domain @peer, adding it if the page has room; NULL when there
 * is no tail page or no room left.
 * Needs: @peer a NUL-terminated name.
 */
struct tail_source *tail_source_for(const char *peer);

/**
 * Records one printed line of @len sanitised bytes for @src (cut to TAIL_TEXT).
 * Needs: @src from tail_source_for, or NULL (then nothing happens). Returns: nothing.
 */
void tail_put(struct tail_source *src, const char *text, size_t len);

#endif
