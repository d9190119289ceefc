/* VT-d second-level page tables: pure building and walking (the kernel and host tests share it). */
#include <vtd_pt.h>

#define PAGE_SHIFT 12
#define LEVEL_BITS 9
#define PAGE 4096ull

/* The index of @iova in a table of @level (1 = the last, which holds pages). */
static unsigned index_at(uint64_t iova, unsigned level)
{
	return (unsigned)(iova >> (PAGE_SHIFT + LEVEL_BITS * (level - 1))) & 511u;
}

/* Is [@a, @a + @npages pages) inside [0, 2^@bits)? */
static bool fits(uint64_t a, uint64_t npages, unsigned bits)
{
	uint64_t limit = 1ull << bits;
	return a < limit && npages <= (limit - a) >> PAGE_SHIFT;
}

enum iommu_err vtd_pt_init(struct vtd_pt *pt, unsigned levels, unsigned addr_bits,
                           unsigned phys_bits, const struct vtd_pt_mem *mem)
{
	if ((levels != 3 && levels != 4) || addr_bits < PAGE_SHIFT ||
	    addr_bits > PAGE_SHIFT + LEVEL_BITS * levels || phys_bits < 32 || phys_bits > 52)
		return IOMMU_ERR_RANGE;
	uint64_t root = mem->alloc(mem->ctx);
	if (!root || (root & (PAGE - 1)) || !fits(root, 1, phys_bits))
		return IOMMU_ERR_NOMEM;
	*pt = (struct vtd_pt){root, (uint8_t)levels, (uint8_t)addr_bits, (uint8_t)phys_bits};
	return IOMMU_OK;
}

/*
 * The leaf entry for @iova, or NULL where a table is missing; with @grow,
 * missing tables are added (NULL then means out of memory).
 */
static uint64_t *leaf(const struct vtd_pt *pt, const struct vtd_pt_mem *mem, uint64_t iova,
                      bool grow)
{
	uint64_t *t = mem->table(mem->ctx, pt->root);
	for (unsigned level = pt->levels; level > 1; level--) {
		uint64_t *e = &t[index_at(iova, level)];
		if (!(*e & VTD_PTE_ADDR)) {
			uint64_t next = grow ? mem->alloc(mem->ctx) : 0;
			if (!next || (next & (PAGE - 1)) || !fits(next, 1, pt->phys_bits))
				return NULL;
			*e = next | VTD_PTE_R | VTD_PTE_W;
		}
		t = mem->table(mem->ctx, *e & VTD_PTE_ADDR);
	}
	return &t[index_at(iova, 1)];
}

/* Clears the leaf entries of the first @n pages from @iova (they were mapped by this call). */
static void unmap(const struct vtd_pt *pt, const struct vtd_pt_mem *mem, uint64_t iova, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		*leaf(pt, mem, iova + i * PAGE, false) = 0;
}

enum iommu_err vtd_pt_map(const struct vtd_pt *pt, const struct vtd_pt_mem *mem, uint64_t iova,
                          uint64_t pa, uint64_t npages, bool writable)
{
	if ((iova | pa) & (PAGE - 1))
		return IOMMU_ERR_ALIGN;
	if (!npages || !fits(iova, npages, pt->addr_bits))
		return IOMMU_ERR_RANGE;
	if (!fits(pa, npages, pt->phys_bits))
		return IOMMU_ERR_PHYS;
	for (uint64_t i = 0; i < npages; i++) {
		const uint64_t *e = leaf(pt, mem, iova + i * PAGE, false);
		if (e && *e)
			return IOMMU_ERR_OVERLAP;
	}
	uint64_t bits = VTD_PTE_R | (writable ? VTD_PTE_W : 0);
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t *e = leaf(pt, mem, iova + i * PAGE, true);
		if (!e) {
			unmap(pt, mem, iova, i);
			return IOMMU_ERR_NOMEM;
		}
		*e = (pa + i * PAGE) | bits;
	}
	return IOMMU_OK;
}

bool vtd_pt_translate(const struct vtd_pt *pt, const struct vtd_pt_mem *mem, uint64_t iova,
                      bool write, uint64_t *pa)
{
	uint64_t need = write ? VTD_PTE_W : VTD_PTE_R;
	if (!fits(iova & ~(PAGE - 1), 1, pt->addr_bits))
		return false;
	const uint64_t *t = mem->table(mem->ctx, pt->root);
	for (unsigned level = pt->levels; level >= 1; level--) {
		uint64_t e = t[index_at(iova, level)];
		if ((e & need) != need)
			return false;
		if (level == 1) {
			*pa = (e & VTD_PTE_ADDR) | (iova & (PAGE - 1));
			return true;
		}
		t = mem->table(mem->ctx, e & VTD_PTE_ADDR);
	}
	return false;
}
