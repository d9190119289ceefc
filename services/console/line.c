/* Line assembly for the console: bytes in, whole sanitized lines out to the UART. */
#include <string.h>

#include "line.h"
#include "uart.h"

/* Printable ASCII and tab pass; everything else a peer sends becomes '?'. */
static char sanitize(uint8_t c)
{
	return (c == '\t' || (c >= 0x20 && c < 0x7f)) ? (char)c : '?';
}

static void line_emit(struct line *l, const char *tail)
{
	uart_puts(l->prefix);
	uart_write(l->buf, l->len);
	uart_puts(tail);
	uart_puts("\r\n");
	tail_put(l->tail, l->buf, l->len);
	l->len = 0;
}

void line_init(struct line *l, const char *prefix)
{
	size_t n = strnlen(prefix, LINE_PREFIX_MAX - 1);

	for (size_t i = 0; i < n; i++)
		l->prefix[i] = sanitize((uint8_t)prefix[i]);
	l->prefix[n] = '\0';
	l->tail = NULL;
	l->len = 0;
}

void line_feed(struct line *l, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n') {
			line_emit(l, "");
			continue;
		}
		if (l->len == LINE_MAX_BYTES)
			line_emit(l, LINE_CUT_MARK);
		l->buf[l->len++] = sanitize(p[i]);
	}
}

void line_flush(struct line *l)
{
	line_emit(l, "");
}

void line_discard(struct line *l)
{
	l->len = 0;
}
