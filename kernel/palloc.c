/* Boot-time physical page allocator: bump allocation over free ranges, then sealed. */
#include <string.h>

#include <kernel/arch.h>
#include <kernel/assert.h>
#include <kernel/palloc.h>

#define MAX_RANGES 64

struct range {
	uint64_t base, end; /* page aligned, [base, end) free */
};

static struct range ranges[MAX_RANGES];
static uint32_t n_ranges;
static bool sealed;

void palloc_add_range(paddr_t base, uint64_t len)
{
	uint64_t b = page_round_up(base.v), e = (base.v + len) & ~PAGE_MASK;
	if (e > b && n_ranges < MAX_RANGES)
		ranges[n_ranges++] = (struct range){b, e};
}

void palloc_reserve(paddr_t base, uint64_t len)
{
	uint64_t b = base.v & ~PAGE_MASK, e = page_round_up(base.v + len);
	for (uint32_t i = 0; i < n_ranges; i++) {
		struct range *r = &ranges[i];
		if (e <= r->base || b >= r->end)
			continue;
		if (b > r->base && e < r->end && n_ranges < MAX_RANGES)
			ranges[n_ranges++] = (struct range){e, r->end}; /* split */
		if (b > r->base)
			r->end = (b < r->end) ? b : r->end;
		else
			r->base = (e < r->end) ? e : r->end;
	}
}

paddr_t palloc_pages(uint64_t npages)
{
	CHECK(!sealed);
	uint64_t bytes = npages * PAGE_SIZE;
	for (uint32_t i = 0; i < n_ranges; i++) {
		struct range *r = &ranges[i];
		if (r->end - r->base < bytes)
			continue;
		paddr_t p = pa(r->base);
		r->base += bytes;
		memset(arch_phys_to_virt(p), 0, bytes);
		return p;
	}
	return pa(0);
}

void palloc_seal(void)
{
	sealed = true;
}

uint64_t palloc_free_bytes(void)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n_ranges; i++)
		sum += ranges[i].end - ranges[i].base;
	return sum;
}
