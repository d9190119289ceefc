/* x86_64 paging: kernel direct map, W^X kernel image, per-domain address spaces. */
#include <stdint.h>
#include <string.h>

#include <kernel/arch.h>
#include <kernel/assert.h>
#include <kernel/palloc.h>
#include <x86.h>

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_PWT 0x8ull
#define PTE_PCD 0x10ull
#define PTE_PS 0x80ull
#define PTE_G 0x100ull
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define DIRECT_MAP_MAX_GIB 64
#define KERNEL_PTS 4

typedef uint64_t table_t[512];

static table_t kernel_pml4 __attribute__((aligned(4096)));
static table_t direct_pdpt __attribute__((aligned(4096)));
static table_t direct_pd[DIRECT_MAP_MAX_GIB] __attribute__((aligned(4096)));
static table_t kernel_pdpt __attribute__((aligned(4096)));
static table_t kernel_pd __attribute__((aligned(4096)));
static table_t kernel_pt[KERNEL_PTS] __attribute__((aligned(4096)));

extern char _text_start[], _text_end[], _rodata_end[], _kernel_end[];

static uint64_t kphys(const void *kernel_va)
{
	return (uint64_t)kernel_va - KERNEL_VMA;
}

void *arch_phys_to_virt(paddr_t p)
{
	return (void *)(DIRECT_MAP_BASE + p.v);
}

/* Maps physical [0, @max_phys) at DIRECT_MAP_BASE with 2 MiB pages, no execute. */
static void map_direct(uint64_t max_phys)
{
	uint64_t gib = (max_phys + (1ull << 30) - 1) >> 30;
	if (gib > DIRECT_MAP_MAX_GIB)
		gib = DIRECT_MAP_MAX_GIB;
	for (uint64_t g = 0; g < gib; g++) {
		for (uint64_t i = 0; i < 512; i++)
			direct_pd[g][i] = ((g << 30) | (i << 21)) | PTE_P | PTE_W | PTE_PS | PTE_G |
			                  PTE_NX;
		direct_pdpt[g] = kphys(direct_pd[g]) | PTE_P | PTE_W;
	}
	kernel_pml4[256] = kphys(direct_pdpt) | PTE_P | PTE_W;
}

/* Maps the 2 MiB of local APIC / IOAPIC registers uncached (below 4 GiB). */
static void map_mmio(void)
{
	uint64_t apic = 0xfee00000ull, big = apic & ~((1ull << 21) - 1);
	uint64_t g = big >> 30, i = (big >> 21) & 511;
	if (!direct_pdpt[g]) {
		for (uint64_t k = 0; k < 512; k++)
			direct_pd[g][k] = 0;
		direct_pdpt[g] = kphys(direct_pd[g]) | PTE_P | PTE_W;
	}
	direct_pd[g][i] = big | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX | PTE_PCD | PTE_PWT;
}

/* Maps the kernel image with 4 KiB pages: text RX, rodata R, data RW. */
static void map_kernel(void)
{
	for (uint64_t v = (uint64_t)_text_start; v < (uint64_t)_kernel_end; v += PAGE_SIZE) {
		uint64_t off = v - KERNEL_VMA;
		uint64_t flags = PTE_P | PTE_G;
		if (v >= (uint64_t)_text_end)
			flags |= PTE_NX;
		if (v >= (uint64_t)_rodata_end)
			flags |= PTE_W;
		uint64_t pt = off >> 21, idx = (off >> 12) & 511;
		CHECK(pt < KERNEL_PTS);
		kernel_pt[pt][idx] = off | flags;
		kernel_pd[pt] = kphys(kernel_pt[pt]) | PTE_P | PTE_W;
	}
	kernel_pdpt[510] = kphys(kernel_pd) | PTE_P | PTE_W;
	kernel_pml4[511] = kphys(kernel_pdpt) | PTE_P | PTE_W;
}

void paging_init(uint64_t max_phys)
{
	map_direct(max_phys);
	map_mmio();
	map_kernel();
	write_cr3(kphys(kernel_pml4));
}

paddr_t arch_as_create(void)
{
	paddr_t root = palloc_pages(1);
	if (!root.v)
		return root;
	uint64_t *t = arch_phys_to_virt(root);
	memcpy(&t[256], &kernel_pml4[256], 256 * sizeof(uint64_t));
	return root;
}

/* Returns the next-level table of @t at @idx, creating it; NULL if out of memory. */
static uint64_t *next_table(uint64_t *t, uint64_t idx)
{
	if (!(t[idx] & PTE_P)) {
		paddr_t p = palloc_pages(1);
		if (!p.v)
			return NULL;
		t[idx] = p.v | PTE_P | PTE_W | PTE_U;
	}
	return arch_phys_to_virt(pa(t[idx] & PTE_ADDR));
}

static int map_page(paddr_t as, uint64_t v, uint64_t p, uint64_t flags)
{
	uint64_t *t = arch_phys_to_virt(as);
	for (int shift = 39; shift > 12; shift -= 9) {
		t = next_table(t, (v >> shift) & 511);
		if (!t)
			return -2;
	}
	uint64_t *pte = &t[(v >> 12) & 511];
	if (*pte & PTE_P)
		return -1;
	*pte = p | flags;
	return 0;
}

int arch_as_map(paddr_t as, vaddr_t v, paddr_t p, uint64_t npages, unsigned flags)
{
	uint64_t pte = PTE_P | PTE_U;
	if (flags & ARCH_MAP_W)
		pte |= PTE_W;
	if (!(flags & ARCH_MAP_X))
		pte |= PTE_NX;
	for (uint64_t i = 0; i < npages; i++) {
		int rc = map_page(as, v.v + i * PAGE_SIZE, p.v + i * PAGE_SIZE, pte);
		if (rc)
			return rc;
	}
	return 0;
}
