/* Kernel log: whole report lines to COM1 or, once it runs, to the console service. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/klog.h>
#include <kernel/arch.h>
#include <kernel/klog.h>

#define LINE_MAX 256u

static struct bh_klog_page *page; /* shared read-only with the console service */
static struct domain *reader;
static uint64_t reader_bit;
static klog_wake_fn wake;
static void (*before)(void); /* lines that must come out first (klog_before_line) */

void klog_attach(void *p, struct domain *d, uint32_t bit, klog_wake_fn fn)
{
	page = p;
	reader = d;
	reader_bit = 1ull << bit;
	wake = fn;
}

void klog_before_line(void (*fn)(void))
{
	before = fn;
}

void klog_detach(void)
{
	reader = NULL;
}

struct domain *klog_reader(void)
{
	return reader;
}

static void append(const char *s, size_t n)
{
	uint64_t head = page->head;
	for (size_t i = 0; i < n; i++)
		page->buf[(head + i) % BH_KLOG_BUF_SIZE] = s[i];
	__atomic_store_n(&page->head, head + n, __ATOMIC_RELEASE);
	wake(reader, reader_bit);
}

void kprintf(const char *fmt, ...)
{
	char line[LINE_MAX];
	va_list ap;
	if (before)
		before();
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	size_t len = (n < 0) ? 0 : ((size_t)n < sizeof(line) - 2 ? (size_t)n : sizeof(line) - 2);
	line[len++] = '\n';
	if (reader)
		append(line, len);
	else
		arch_serial_write(line, len);
}
