/* Kernel vsnprintf: the small printf subset the kernel and the plan checker use. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t size;
	size_t len; /* characters that the full output would have */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_str(struct out *o, const char *s, int width)
{
	int n = 0;
	if (!s)
		s = "(null)";
	for (; s[n]; n++)
		put(o, s[n]);
	for (; n < width; n++)
		put(o, ' ');
}

static void put_num(struct out *o, uint64_t v, unsigned base, int width, char pad)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	for (int i = n; i < width; i++)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

/* Reads the length modifier at *@f and returns the argument widened to 64 bits. */
static uint64_t get_arg(const char **f, va_list *ap, int is_signed)
{
	int longs = 0;
	while (**f == 'l' || **f == 'z') {
		longs += (**f == 'z') ? 2 : 1;
		(*f)++;
	}
	if (longs)
		return is_signed ? (uint64_t)va_arg(*ap, long) : va_arg(*ap, unsigned long);
	return is_signed ? (uint64_t)(int64_t)va_arg(*ap, int) : va_arg(*ap, unsigned int);
}

static void convert(struct out *o, const char **f, va_list *ap, int width, char pad)
{
	const char *spec = *f;
	while (*spec == 'l' || *spec == 'z')
		spec++;
	switch (*spec) {
	case 's':
		put_str(o, va_arg(*ap, const char *), width);
		break;
	case 'c':
		put(o, (char)va_arg(*ap, int));
		break;
	case 'p':
		put_str(o, "0x", 0);
		put_num(o, (uintptr_t)va_arg(*ap, void *), 16, width, '0');
		break;
	case 'd': {
		int64_t v = (int64_t)get_arg(f, ap, 1);
		if (v < 0)
			put(o, '-');
		put_num(o, v < 0 ? (uint64_t)-v : (uint64_t)v, 10, width, pad);
		break;
	}
	case 'u':
	case 'x':
		put_num(o, get_arg(f, ap, 0), *spec == 'x' ? 16 : 10, width, pad);
		break;
	default:
		put(o, '%');
		put(o, *spec);
	}
	*f = spec;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};
	va_list args;
	va_copy(args, ap);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f++;
		char pad = ' ';
		int width = 0;
		if (*f == '0')
			pad = '0';
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		if (!*f)
			break;
		convert(&o, &f, &args, width, pad);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
