/* Control domain: a bounded output buffer that answers are written into (pure code). */
#include <string.h>

#include "ctl_buf.h"

void ctl_buf_init(struct ctl_buf *b, char *text, size_t cap)
{
	b->text = text;
	b->cap = cap;
	b->len = 0;
	b->full = false;
	text[0] = '\0';
}

void ctl_buf_put(struct ctl_buf *b, const char *s, size_t n)
{
	if (b->full || n >= b->cap - b->len) {
		b->full = true;
		return;
	}
	memcpy(b->text + b->len, s, n);
	b->len += n;
	b->text[b->len] = '\0';
}

void ctl_buf_puts(struct ctl_buf *b, const char *s)
{
	ctl_buf_put(b, s, strlen(s));
}

/* Appends @v in base @base (10 or 16), digits only. */
static void put_digits(struct ctl_buf *b, uint64_t v, unsigned base)
{
	char digits[24];
	size_t i = sizeof(digits);

	do {
		digits[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	ctl_buf_put(b, digits + i, sizeof(digits) - i);
}

void ctl_buf_u64(struct ctl_buf *b, uint64_t v)
{
	put_digits(b, v, 10);
}

void ctl_buf_i64(struct ctl_buf *b, int64_t v)
{
	if (v < 0) {
		ctl_buf_put(b, "-", 1);
		put_digits(b, (uint64_t)0 - (uint64_t)v, 10);
		return;
	}
	put_digits(b, (uint64_t)v, 10);
}

void ctl_buf_hex(struct ctl_buf *b, uint64_t v)
{
	ctl_buf_put(b, "0x", 2);
	put_digits(b, v, 16);
}

void ctl_buf_rewind(struct ctl_buf *b, size_t len)
{
	b->len = len;
	b->full = false;
	b->text[len] = '\0';
}
