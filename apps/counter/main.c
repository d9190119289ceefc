/* counter: counts, keeps its heap full of a pattern that depends on the count, and says so. */
#include <stdio.h>
#include <string.h>

#include <bh.h>

/*
 * The domain that save/restore and migration move (docs/management.md): its state is its
 * count, a pattern over its whole heap that each tick updates one page of, and whatever its
 * stack and registers hold between ticks. Every COUNTER_TICK_MS it counts one, rewrites the
 * next page of the heap from the count, and every COUNTER_SAY ticks prints the count and a
 * checksum of the whole heap. It checks the heap as it goes: a page that does not hold what
 * it wrote there is reported (a restore that lost or mixed up memory shows as
 * "counter: heap page N wrong"). A restored counter prints no start line: it goes on, and
 * like a paused one, it notices that its clock jumped: a tick that comes more than
 * COUNTER_GAP_MS late prints "counter: went on at count N after M ms stopped".
 */
#define COUNTER_TICK_MS 20u
#define COUNTER_SAY 10u
#define COUNTER_GAP_MS 1000u
#ifndef COUNTER_VERSION
#define COUNTER_VERSION 1 /* counter-v2, its alternative image, is built with 2 */
#endif
#define PAGE 4096u

static uint64_t count;

/* The word page @page holds at offset @i after tick @tick wrote it. */
static uint64_t pattern(uint64_t tick, uint64_t page, uint64_t i)
{
	return (tick * 0x9e3779b97f4a7c15ull) ^ (page << 20) ^ i;
}

static uint64_t heap_pages(void)
{
	return bh_info()->heap_size / PAGE;
}

static uint64_t *heap_page(uint64_t page)
{
	return (uint64_t *)(uintptr_t)(bh_info()->heap_base + page * PAGE);
}

static void fill(uint64_t page, uint64_t tick)
{
	uint64_t *w = heap_page(page);

	for (uint64_t i = 0; i < PAGE / 8; i++)
		w[i] = pattern(tick, page, i);
}

/* Whether @page holds what the last tick that wrote it (ticks p, p + n, ...) put there. */
static bool page_ok(uint64_t page)
{
	uint64_t n = heap_pages(), last = 0;
	const uint64_t *w = heap_page(page);

	if (count >= page)
		last = count - (count - page) % n;
	if (last == 0)
		return w[0] == 0 && w[PAGE / 8 - 1] == 0;
	return w[0] == pattern(last, page, 0) &&
	       w[PAGE / 8 - 1] == pattern(last, page, PAGE / 8 - 1);
}

static uint64_t heap_sum(void)
{
	uint64_t sum = 0, words = bh_info()->heap_size / 8;
	const uint64_t *w = heap_page(0);

	for (uint64_t i = 0; i < words; i++)
		sum = (sum ^ w[i]) * 0x100000001b3ull;
	return sum;
}

static void tick(void)
{
	uint64_t n = heap_pages(), page;

	count++;
	if (n == 0)
		return;
	page = count % n;
	fill(page, count);
	if (!page_ok((count + 1) % n))
		printf("counter: heap page %llu wrong at count %llu\n",
		       (unsigned long long)((count + 1) % n), (unsigned long long)count);
}

/* Says so when the tick at @now comes long after the one at @last (paused, saved). */
static void note_gap(uint64_t last, uint64_t now)
{
	uint64_t ms = (now - last) / bh_cycles_per_us() / 1000u;

	if (ms > COUNTER_GAP_MS)
		printf("counter: went on at count %llu after %llu ms stopped\n",
		       (unsigned long long)count, (unsigned long long)ms);
}

int main(void)
{
	uint64_t last = bh_rdtsc();

	printf("counter: started, generation %u, heap %llu KiB%s\n", bh_info()->generation,
	       (unsigned long long)(bh_info()->heap_size / 1024u),
	       COUNTER_VERSION == 1 ? "" : ", version 2");
	for (;;) {
		(void)bh_wait_until(0, bh_deadline_ms(COUNTER_TICK_MS));
		uint64_t now = bh_rdtsc();
		note_gap(last, now);
		last = now;
		tick();
		bh_heartbeat();
		if (count % COUNTER_SAY == 0)
			printf("counter: count %llu heap %016llx\n", (unsigned long long)count,
			       (unsigned long long)heap_sum());
	}
}
