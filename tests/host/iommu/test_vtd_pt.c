/* Host tests: VT-d second-level page tables (kernel/arch/x86_64/vtd_pt.c) built on plain memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <vtd_pt.h>

#define PAGE 4096ull
#define POOL_PAGES 64
#define POOL_BASE 0x40000000ull /* the pool's pretend physical address */

/* Tables come from a pool of pages with pretend physical addresses. */
struct pool {
	uint64_t (*page)[512];
	unsigned used, limit;
	uint64_t base;
};

static uint64_t pool_alloc(void *ctx)
{
	struct pool *p = ctx;
	if (p->used == p->limit)
		return 0;
	memset(p->page[p->used], 0, PAGE);
	return p->base + PAGE * p->used++;
}

static uint64_t *pool_table(void *ctx, uint64_t pa)
{
	struct pool *p = ctx;
	assert_true(pa >= p->base && pa < p->base + PAGE * p->used && !(pa & (PAGE - 1)));
	return p->page[(pa - p->base) / PAGE];
}

static struct pool pool;
static struct vtd_pt_mem mem = {pool_alloc, pool_table, &pool};

static int setup(void **state)
{
	(void)state;
	pool.page = aligned_alloc(PAGE, PAGE * POOL_PAGES);
	pool.used = 0;
	pool.limit = POOL_PAGES;
	pool.base = POOL_BASE;
	return pool.page ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(pool.page);
	return 0;
}

static struct vtd_pt space(unsigned levels, unsigned addr_bits, unsigned phys_bits)
{
	struct vtd_pt pt;
	assert_int_equal(vtd_pt_init(&pt, levels, addr_bits, phys_bits, &mem), IOMMU_OK);
	return pt;
}

static bool maps(const struct vtd_pt *pt, uint64_t iova, bool write, uint64_t want)
{
	uint64_t got = 0;
	return vtd_pt_translate(pt, &mem, iova, write, &got) && got == want;
}

/* Walks every table from the root: counts leaf entries, checks each entry holds only R, W, address. */
static unsigned count_leaves(const struct vtd_pt *pt)
{
	struct {
		const uint64_t *t;
		unsigned level, i;
	} st[5] = {{pool_table(&pool, pt->root), pt->levels, 0}};
	unsigned n = 0;
	for (int top = 0; top >= 0;) {
		if (st[top].i == 512) {
			top--;
			continue;
		}
		uint64_t e = st[top].t[st[top].i++];
		if (!e)
			continue;
		assert_int_equal(e & ~(VTD_PTE_R | VTD_PTE_W | VTD_PTE_ADDR), 0);
		assert_true((e & VTD_PTE_ADDR) < (1ull << pt->phys_bits));
		assert_true(e & VTD_PTE_R);
		if (st[top].level == 1) {
			n++;
			continue;
		}
		assert_true(e & VTD_PTE_W);
		st[top + 1].t = pool_table(&pool, e & VTD_PTE_ADDR);
		st[top + 1].level = st[top].level - 1;
		st[top + 1].i = 0;
		top++;
	}
	return n;
}

/* The table entry @i of @table points to. */
static uint64_t next(uint64_t table, unsigned i)
{
	return pool_table(&pool, table)[i] & VTD_PTE_ADDR;
}

static void one_page(void **state)
{
	(void)state;
	struct vtd_pt pt = space(4, 48, 39);
	assert_int_equal(vtd_pt_map(&pt, &mem, 0x600000001000, 0x123000, 1, true), IOMMU_OK);
	assert_true(maps(&pt, 0x600000001000, false, 0x123000));
	assert_true(maps(&pt, 0x600000001abc, true, 0x123abc));
	assert_false(maps(&pt, 0x600000002000, false, 0));
	assert_false(maps(&pt, 0x600000000000, false, 0));
	assert_int_equal(count_leaves(&pt), 1);
	assert_int_equal(pool.used, 4); /* the root and one table per level below it */
}

static void read_only(void **state)
{
	(void)state;
	struct vtd_pt pt = space(3, 39, 39);
	assert_int_equal(vtd_pt_map(&pt, &mem, 0x10000, 0x200000, 2, false), IOMMU_OK);
	assert_true(maps(&pt, 0x11000, false, 0x201000));
	assert_false(maps(&pt, 0x11000, true, 0));
	const uint64_t *pt1 = pool_table(&pool, next(next(pt.root, 0), 0));
	assert_int_equal(pt1[0x10], 0x200000 | VTD_PTE_R);
}

static void address_width(void **state)
{
	(void)state;
	struct vtd_pt pt3 = space(3, 39, 39), pt4 = space(4, 48, 46);
	uint64_t top39 = 1ull << 39, top48 = 1ull << 48;
	assert_int_equal(vtd_pt_map(&pt3, &mem, top39 - PAGE, 0x1000, 1, true), IOMMU_OK);
	assert_int_equal(vtd_pt_map(&pt3, &mem, top39, 0x1000, 1, true), IOMMU_ERR_RANGE);
	assert_int_equal(vtd_pt_map(&pt3, &mem, top39 - PAGE, 0x2000, 2, true), IOMMU_ERR_RANGE);
	assert_int_equal(vtd_pt_map(&pt3, &mem, 0x7fffffff0000, 0x1000, 1, true), IOMMU_ERR_RANGE);
	assert_int_equal(vtd_pt_map(&pt4, &mem, 0x7fffffff0000, 0x1000, 1, true), IOMMU_OK);
	assert_int_equal(vtd_pt_map(&pt4, &mem, top48, 0x1000, 1, true), IOMMU_ERR_RANGE);
	assert_int_equal(vtd_pt_map(&pt4, &mem, 0x1000, 0x1000, 0, true), IOMMU_ERR_RANGE);
	assert_int_equal(vtd_pt_map(&pt4, &mem, 0x1000, 0x1000, ~0ull, true), IOMMU_ERR_RANGE);
	assert_false(maps(&pt3, top39, false, 0));
	assert_false(maps(&pt4, top48, false, 0));
	assert_false(maps(&pt4, ~0ull, false, 0));
}

static void bad_arguments(void **state)
{
	(void)state;
	struct vtd_pt pt = space(4, 48, 39);
	assert_int_equal(vtd_pt_map(&pt, &mem, 0x1001, 0x1000, 1, true), IOMMU_ERR_ALIGN);
	assert_int_equal(vtd_pt_map(&pt, &mem, 0x1000, 0x1800, 1, true), IOMMU_ERR_ALIGN);
	assert_int_equal(vtd_pt_map(&pt, &mem, 0x1000, 1ull << 39, 1, true), IOMMU_ERR_PHYS);
	assert_int_equal(vtd_pt_map(&pt, &mem, 0x1000, (1ull << 39) - PAGE, 2, true),
	                 IOMMU_ERR_PHYS);
	struct vtd_pt bad;
	assert_int_equal(vtd_pt_init(&bad, 2, 30, 39, &mem), IOMMU_ERR_RANGE);
	assert_int_equal(vtd_pt_init(&bad, 5, 57, 39, &mem), IOMMU_ERR_RANGE);
	assert_int_equal(vtd_pt_init(&bad, 3, 48, 39, &mem), IOMMU_ERR_RANGE);
	assert_int_equal(vtd_pt_init(&bad, 4, 48, 53, &mem), IOMMU_ERR_RANGE);
	assert_int_equal(count_leaves(&pt), 0);
}

/* A range that overlaps a mapped page changes nothing. */
static void overlap(void **state)
{
	(void)state;
	struct vtd_pt pt = space(4, 48, 39);
	assert_int_equal(vtd_pt_map(&pt, &mem, 0x10000, 0x100000, 4, true), IOMMU_OK);
	assert_int_equal(vtd_pt_map(&pt, &mem, 0x12000, 0x200000, 4, true), IOMMU_ERR_OVERLAP);
	assert_true(maps(&pt, 0x12000, true, 0x102000));
	assert_false(maps(&pt, 0x14000, false, 0));
	assert_int_equal(count_leaves(&pt), 4);
	assert_int_equal(vtd_pt_map(&pt, &mem, 0xe000, 0x200000, 2, true), IOMMU_OK);
}

/* Running out of tables midway leaves nothing of the range mapped. */
static void out_of_tables(void **state)
{
	(void)state;
	struct vtd_pt pt = space(4, 48, 39);
	pool.limit = pool.used + 3; /* the tables down to one 2 MiB span, not the next one */
	uint64_t iova = 0x3ff000;   /* the last page of one 2 MiB span, then the next */
	assert_int_equal(vtd_pt_map(&pt, &mem, iova, 0x100000, 2, true), IOMMU_ERR_NOMEM);
	assert_false(maps(&pt, iova, false, 0));
	assert_false(maps(&pt, iova + PAGE, false, 0));
	assert_int_equal(count_leaves(&pt), 0);
	pool.limit = POOL_PAGES;
	assert_int_equal(vtd_pt_map(&pt, &mem, iova, 0x100000, 2, true), IOMMU_OK);
	assert_true(maps(&pt, iova + PAGE, true, 0x101000));
}

static uint64_t bad_alloc(void *ctx)
{
	(void)ctx;
	return 1ull << 40; /* beyond a 39-bit host address width */
}

static void unusable_tables(void **state)
{
	(void)state;
	struct vtd_pt pt;
	struct vtd_pt_mem far = {bad_alloc, pool_table, &pool};
	assert_int_equal(vtd_pt_init(&pt, 4, 48, 39, &far), IOMMU_ERR_NOMEM);
	pool.limit = pool.used;
	assert_int_equal(vtd_pt_init(&pt, 4, 48, 39, &mem), IOMMU_ERR_NOMEM);
	pool.limit = POOL_PAGES;
}

/* 1100 pages across 2 MiB and 1 GiB boundaries: every one where it belongs, nothing else. */
static void large_range(void **state)
{
	(void)state;
	struct vtd_pt pt = space(4, 48, 39);
	uint64_t iova = (1ull << 30) - 600 * PAGE, pa = 0x7000000;
	assert_int_equal(vtd_pt_map(&pt, &mem, iova, pa, 1100, true), IOMMU_OK);
	for (uint64_t i = 0; i < 1100; i++)
		assert_true(maps(&pt, iova + i * PAGE, true, pa + i * PAGE));
	assert_false(maps(&pt, iova - PAGE, false, 0));
	assert_false(maps(&pt, iova + 1100 * PAGE, false, 0));
	assert_int_equal(count_leaves(&pt), 1100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(one_page, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(address_width, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(unusable_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(large_range, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
