/* Kernel log reader for the console: the read-only page the kernel appends lines to. */
#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/klog.h>

#include "klog.h"
#include "line.h"
#include "uart.h"

/*
 * The page (struct bh_klog_page): the kernel only appends whole lines, so a reader that
 * keeps up sees every line; one that falls behind by more than a buffer skips to
 * the oldest byte still there and drops the partial line it lands in.
 */
#define KLOG_CHUNK 256u

static const struct bh_klog_page *klog;
static uint64_t klog_tail;
static bool klog_resync; /* drop bytes up to the next '\n' (we lost the line start) */
static struct line klog_line;

bool klog_open(const struct bh_info_entry *e)
{
	if (e->size < sizeof(struct bh_klog_page) || e->vaddr % 4096 != 0)
		return false;
	klog = (const struct bh_klog_page *)(uintptr_t)e->vaddr;
	klog_tail = 0;
	line_init(&klog_line, "");
	return true;
}

static uint64_t klog_head(void)
{
	return __atomic_load_n(&klog->head, __ATOMIC_ACQUIRE);
}

/* Moves the tail to the oldest byte still in the buffer and says how much was lost. */
static void klog_skip(uint64_t head)
{
	char note[96];
	uint64_t lost;

	if (head < klog_tail) {
		lost = 0;
		klog_tail = head; /* the kernel restarted its count: start over */
	} else {
		lost = head - BH_KLOG_BUF_SIZE - klog_tail;
		klog_tail = head - BH_KLOG_BUF_SIZE;
	}
	snprintf(note, sizeof(note), "console: kernel log overran, %llu bytes lost\r\n",
	         (unsigned long long)lost);
	uart_puts(note);
	line_discard(&klog_line);
	klog_resync = true;
}

/*
 * Feeds @n bytes to the line buffer, dropping the head of a line we lost the start of, and
 * calls @before ahead of each whole line it prints.
 */
static void klog_feed(const char *p, uint32_t n, klog_before_fn before)
{
	uint32_t i = 0;

	while (klog_resync && i < n)
		if (p[i++] == '\n')
			klog_resync = false;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		uint32_t end = nl ? (uint32_t)(nl - p) : n;
		line_feed(&klog_line, p + i, end - i);
		if (!nl)
			return;
		if (before)
			before(klog_line.buf, klog_line.len);
		line_flush(&klog_line);
		i = end + 1;
	}
}

bool klog_drain(klog_before_fn before)
{
	char chunk[KLOG_CHUNK];

	if (!klog)
		return false;
	uint64_t head = klog_head();
	if (head < klog_tail || head - klog_tail > BH_KLOG_BUF_SIZE)
		klog_skip(head);
	uint32_t n = head - klog_tail < KLOG_CHUNK ? (uint32_t)(head - klog_tail) : KLOG_CHUNK;
	for (uint32_t i = 0; i < n; i++)
		chunk[i] = klog->buf[(klog_tail + i) % BH_KLOG_BUF_SIZE];
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (klog_head() - klog_tail > BH_KLOG_BUF_SIZE)
		return true; /* overwritten while we copied: the next call skips */
	klog_feed(chunk, n, before);
	klog_tail += n;
	return klog_tail != klog_head();
}

bool klog_pending(void)
{
	return klog && klog_head() != klog_tail;
}
