/* The control domain's reader of the console's tail page: a domain's last lines. */
#ifndef CONTROL_CTL_TAIL_H
#define CONTROL_CTL_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "tail_page.h"

/* Called once per line, oldest first: @text of @len bytes (no NUL; printable ASCII or tab). */
typedef void (*ctl_tail_fn)(void *ctx, const char *text, size_t len);

/**
 * Hands the last @want (at most TAIL_LINES) lines the console kept for domain @name to
 * @fn, oldest first. The page at @page (@size bytes) is written by the console while this
 * reads: every field is read once and checked, lines the console may have overwritten
 * during the copy are dropped, every length is clamped and every byte that is not
 * printable ASCII or a tab becomes '?'.
 * Needs: @page readable for @size bytes, or NULL. Returns: the lines handed out; 0 for no
 * page, no such domain or no lines yet.
 */
unsigned ctl_tail_read(const volatile void *page, uint64_t size, const char *name, unsigned want,
                       ctl_tail_fn fn, void *ctx);

#endif
