/* x86_64 paging: kernel direct map, W^X kernel image, per-domain address spaces and entry windows. */
#include <stdint.h>
#include <string.h>

#include <arch_regs.h>
#include <bulkhead/abi/layout.h>
#include <kernel/arch.h>
#include <kernel/assert.h>
#include <kernel/klog.h>
#include <kernel/palloc.h>
#include <platform.h>
#include <spec.h>
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
#define CR3_NOFLUSH (1ull << 63)

#define DIRECT_MAP_MAX_GIB 64
#define KERNEL_PTS 4 /* the kernel image fits in 8 MiB */

typedef uint64_t table_t[512];

static table_t kernel_pml4 __attribute__((aligned(4096)));
static table_t direct_pdpt __attribute__((aligned(4096)));
static table_t direct_pd[DIRECT_MAP_MAX_GIB] __attribute__((aligned(4096)));
static table_t direct_pt[KERNEL_PTS] __attribute__((aligned(4096))); /* kernel image, RO */
static table_t kernel_pdpt __attribute__((aligned(4096)));
static table_t kernel_pd __attribute__((aligned(4096)));
static table_t kernel_pt[KERNEL_PTS] __attribute__((aligned(4096)));
static uint64_t direct_end; /* physical memory reachable through the direct map */

extern char _kernel_phys_start[], _text_start[], _text_end[], _rodata_end[], _kernel_end[];
extern char _entry_text_start[], _entry_text_end[], _entry_data_start[], _entry_stack_end[];
extern char kernel_stack_guard[];
extern struct percpu percpu0;
extern bool arch_cpu_pcid;
extern char *const arch_ist_guards[3];

static uint64_t kphys(const void *kernel_va)
{
	return (uint64_t)kernel_va - KERNEL_VMA;
}

void *arch_phys_to_virt(paddr_t p)
{
	return (void *)(DIRECT_MAP_BASE + p.v);
}

uint64_t arch_direct_map_end(void)
{
	return direct_end;
}

static uint64_t kernel_phys_end(void)
{
	return kphys(_kernel_end);
}

/* Maps the 2 MiB at physical @base with 4 KiB pages, the kernel image's read-only. */
static uint64_t direct_split(uint64_t base, table_t pt)
{
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t p = base + (i << 12), flags = PTE_P | PTE_G | PTE_NX;
		if (p < (uint64_t)_kernel_phys_start || p >= kernel_phys_end())
			flags |= PTE_W;
		pt[i] = p | flags;
	}
	return kphys(pt) | PTE_P | PTE_W;
}

/*
 * Maps physical [0, @max_phys) at DIRECT_MAP_BASE with 2 MiB pages, no execute,
 * except that the kernel's own image is read-only there (its only writable
 * alias is the image mapping, which map_kernel makes W^X).
 */
static void map_direct(uint64_t max_phys)
{
	uint64_t gib = (max_phys + (1ull << 30) - 1) >> 30;
	if (gib > DIRECT_MAP_MAX_GIB)
		gib = DIRECT_MAP_MAX_GIB;
	direct_end = gib << 30;
	for (uint64_t g = 0; g < gib; g++) {
		for (uint64_t i = 0; i < 512; i++)
			direct_pd[g][i] = ((g << 30) | (i << 21)) | PTE_P | PTE_W | PTE_PS | PTE_G |
			                  PTE_NX;
		direct_pdpt[g] = kphys(direct_pd[g]) | PTE_P | PTE_W;
	}
	uint64_t first = (uint64_t)_kernel_phys_start >> 21, last = (kernel_phys_end() - 1) >> 21;
	CHECK(last - first < KERNEL_PTS && last < 512);
	for (uint64_t i = first; i <= last; i++)
		direct_pd[0][i] = direct_split(i << 21, direct_pt[i - first]);
	kernel_pml4[256] = kphys(direct_pdpt) | PTE_P | PTE_W;
}

/*
 * Makes the direct map's 2 MiB page at physical @big (2 MiB aligned) an
 * uncached one, adding its page directory if that GiB had none. Refuses a
 * page beyond the direct map's reach or one split into 4 KiB pages (the
 * kernel image).
 */
static bool uncached_2m(uint64_t big)
{
	uint64_t g = big >> 30, i = (big >> 21) & 511;
	if (g >= DIRECT_MAP_MAX_GIB)
		return false;
	if (!direct_pdpt[g]) {
		for (uint64_t k = 0; k < 512; k++)
			direct_pd[g][k] = 0;
		direct_pdpt[g] = kphys(direct_pd[g]) | PTE_P | PTE_W;
	}
	uint64_t old = direct_pd[g][i];
	if ((old & PTE_P) && !(old & PTE_PS))
		return false;
	direct_pd[g][i] = big | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX | PTE_PCD | PTE_PWT;
	if (old & PTE_P) /* a cached translation may still say write-back */
		__asm__ volatile("invlpg (%0)" : : "r"(DIRECT_MAP_BASE + big) : "memory");
	return true;
}

/* Maps the 2 MiB of local APIC registers uncached (below 4 GiB). */
static void map_mmio(void)
{
	CHECK(uncached_2m(0xfee00000ull & ~((1ull << 21) - 1)));
}

#define BIG_PAGE (1ull << 21)

bool paging_mmio_ok(paddr_t base, uint64_t size)
{
	uint64_t limit = (uint64_t)DIRECT_MAP_MAX_GIB << 30;
	if (!size || base.v >= limit || size > limit - base.v)
		return false;
	uint64_t first = base.v & ~(BIG_PAGE - 1);
	uint64_t end = (base.v + size + BIG_PAGE - 1) & ~(BIG_PAGE - 1);
	return !multiboot_ram_overlap(first, end - first); /* never map RAM uncached */
}

volatile void *paging_map_mmio(paddr_t base, uint64_t size)
{
	if (!paging_mmio_ok(base, size))
		return NULL;
	uint64_t end = base.v + size;
	for (uint64_t p = base.v & ~(BIG_PAGE - 1); p < end; p += BIG_PAGE)
		if (!uncached_2m(p))
			return NULL;
	return (volatile void *)(DIRECT_MAP_BASE + base.v);
}

/* Is the kernel page at @v a guard page below a stack (left unmapped)? */
static bool is_guard(uint64_t v)
{
	if (v == (uint64_t)kernel_stack_guard)
		return true;
	for (int i = 0; i < 3; i++)
		if (v == (uint64_t)arch_ist_guards[i])
			return true;
	return false;
}

/* The image mapping's flags for the kernel page at @v: text RX, rodata R, the rest RW. */
static uint64_t image_flags(uint64_t v)
{
	uint64_t flags = PTE_P | PTE_G;
	if (v >= (uint64_t)_text_end)
		flags |= PTE_NX;
	if (v >= (uint64_t)_rodata_end)
		flags |= PTE_W;
	return flags;
}

/* Maps the kernel image with 4 KiB pages, W^X, leaving the stack guards out. */
static void map_kernel(void)
{
	for (uint64_t v = (uint64_t)_text_start; v < (uint64_t)_kernel_end; v += PAGE_SIZE) {
		uint64_t off = v - KERNEL_VMA;
		uint64_t pt = off >> 21, idx = (off >> 12) & 511;
		CHECK(pt < KERNEL_PTS);
		kernel_pt[pt][idx] = is_guard(v) ? 0 : (off | image_flags(v));
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
	arch_kernel_cr3 = kphys(kernel_pml4);
	percpu0.kernel_cr3 = arch_kernel_cr3 | (arch_cpu_pcid ? CR3_NOFLUSH : 0);
	write_cr3(arch_kernel_cr3);
}

paddr_t arch_as_create(void)
{
	paddr_t root = palloc_pages(1);
	if (!root.v || (arch_mitig_flags & MIT_KPTI))
		return root; /* with KPTI, arch_as_window adds the kernel's part */
	uint64_t *t = arch_phys_to_virt(root);
	memcpy(&t[256], &kernel_pml4[256], 256 * sizeof(uint64_t));
	return root;
}

/* A fresh table holding a copy of the table @entry points to; 0 if memory ran out. */
static uint64_t copy_table(uint64_t entry)
{
	paddr_t p = palloc_pages(1);
	if (!p.v)
		return 0;
	memcpy(arch_phys_to_virt(p), arch_phys_to_virt(pa(entry & PTE_ADDR)), PAGE_SIZE);
	return p.v | (entry & ~PTE_ADDR);
}

paddr_t arch_as_clone(paddr_t src, vaddr_t start, vaddr_t end)
{
	const uint64_t *src_root = arch_phys_to_virt(src);
	CHECK(!((start.v | end.v) & (BIG_PAGE - 1)) && end.v <= (1ull << 30) &&
	      (src_root[0] & PTE_P));
	const uint64_t *src_pdpt = arch_phys_to_virt(pa(src_root[0] & PTE_ADDR));
	CHECK((src_pdpt[0] & PTE_P) && !(src_pdpt[0] & PTE_PS));
	paddr_t root = palloc_pages(1);
	if (!root.v)
		return pa(0);
	uint64_t *t = arch_phys_to_virt(root);
	memcpy(t, src_root, PAGE_SIZE); /* every other table is shared */
	uint64_t pdpt = copy_table(src_root[0]);
	uint64_t pd = pdpt ? copy_table(src_pdpt[0]) : 0;
	if (!pd)
		return pa(0);
	uint64_t *pde = arch_phys_to_virt(pa(pd & PTE_ADDR));
	for (uint64_t i = start.v >> 21; i < end.v >> 21; i++)
		pde[i] = 0;
	((uint64_t *)arch_phys_to_virt(pa(pdpt & PTE_ADDR)))[0] = pd;
	t[0] = pdpt;
	return root;
}

/*
 * Returns the next-level table of @t at @idx, creating it with @flags; NULL if
 * memory ran out or the entry is not a table of this kind (a large page, or a
 * kernel table where a user one was asked for): the caller refuses the map.
 */
static uint64_t *next_table(uint64_t *t, uint64_t idx, uint64_t flags, enum arch_map_err *err)
{
	if (!(t[idx] & PTE_P)) {
		paddr_t p = palloc_pages(1);
		if (!p.v) {
			*err = ARCH_MAP_NOMEM;
			return NULL;
		}
		t[idx] = p.v | flags;
	}
	if ((t[idx] & PTE_PS) || (t[idx] & PTE_U) != (flags & PTE_U)) {
		*err = ARCH_MAP_BAD_ADDR;
		return NULL;
	}
	return arch_phys_to_virt(pa(t[idx] & PTE_ADDR));
}

static enum arch_map_err map_page(paddr_t as, uint64_t v, uint64_t p, uint64_t flags)
{
	uint64_t *t = arch_phys_to_virt(as);
	uint64_t table_flags = PTE_P | PTE_W | (flags & PTE_U);
	enum arch_map_err err = ARCH_MAP_OK;
	for (int shift = 39; shift > 12; shift -= 9) {
		t = next_table(t, (v >> shift) & 511, table_flags, &err);
		if (!t)
			return err;
	}
	uint64_t *pte = &t[(v >> 12) & 511];
	if (*pte & PTE_P)
		return ARCH_MAP_OVERLAP;
	*pte = p | flags;
	return ARCH_MAP_OK;
}

enum arch_map_err arch_as_map(paddr_t as, vaddr_t v, paddr_t p, uint64_t npages, unsigned flags)
{
	uint64_t pte = PTE_P | PTE_U;
	if (flags & ARCH_MAP_W)
		pte |= PTE_W;
	if (!(flags & ARCH_MAP_X))
		pte |= PTE_NX;
	if (flags & ARCH_MAP_UC)
		pte |= PTE_PCD | PTE_PWT;
	if ((v.v | p.v) & PAGE_MASK || v.v >= BH_USER_TOP || npages > (BH_USER_TOP - v.v) >> 12)
		return ARCH_MAP_BAD_ADDR; /* user half only: never a kernel-half slot */
	for (uint64_t i = 0; i < npages; i++) {
		enum arch_map_err rc = map_page(as, v.v + i * PAGE_SIZE, p.v + i * PAGE_SIZE, pte);
		if (rc)
			return rc;
	}
	return ARCH_MAP_OK;
}

/* Maps kernel pages [@start, @end) of the image into @as's window with @flags, skipping guards. */
static enum arch_map_err window_range(paddr_t as, uint64_t start, uint64_t end, uint64_t flags)
{
	for (uint64_t v = start & ~PAGE_MASK; v < end; v += PAGE_SIZE) {
		if (is_guard(v))
			continue;
		enum arch_map_err rc = map_page(as, v, kphys((void *)v), PTE_P | flags);
		if (rc)
			return rc;
	}
	return ARCH_MAP_OK;
}

/* The kernel's share of every entry window (the domain's own object is added to it). */
static const struct {
	const char *start, *end;
	uint64_t flags;
} window_parts[] = {
	{_entry_text_start, _entry_text_end, 0},
	{_entry_data_start, _entry_stack_end, PTE_W | PTE_NX},
};
#define N_WINDOW_PARTS (sizeof(window_parts) / sizeof(window_parts[0]))

enum arch_map_err arch_as_window(paddr_t as, const void *obj, uint64_t size, const char *name)
{
	if (!(arch_mitig_flags & MIT_KPTI))
		return ARCH_MAP_OK; /* the kernel half is shared whole */
	enum arch_map_err rc = ARCH_MAP_OK;
	for (size_t i = 0; i < N_WINDOW_PARTS && !rc; i++)
		rc = window_range(as, (uint64_t)window_parts[i].start,
		                  (uint64_t)window_parts[i].end, window_parts[i].flags);
	if (!rc)
		rc = window_range(as, (uint64_t)obj, (uint64_t)obj + size, PTE_W | PTE_NX);
	if (rc)
		return rc;
	uint64_t outside, pages = arch_as_audit(as, obj, size, &outside);
	CHECK(outside == 0); /* the kernel built these tables itself */
	kprintf("bulkhead: kpti: domain %s maps %lu kernel pages, all in its entry window", name,
	        pages);
	return ARCH_MAP_OK;
}

/* The user page of @as at @v, present and user-accessible, or NULL. */
static const uint8_t *user_page(paddr_t as, uint64_t v)
{
	const uint64_t *t = arch_phys_to_virt(as);
	if (v >= BH_USER_TOP)
		return NULL;
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t e = t[(v >> shift) & 511];
		if (!(e & PTE_P) || !(e & PTE_U) || (e & PTE_PS))
			return NULL;
		t = arch_phys_to_virt(pa(e & PTE_ADDR));
	}
	return (const uint8_t *)t;
}

/* The leaf entry of user page @v in @as if every level is present and user (and writable with @w), else 0. */
static uint64_t user_pte(paddr_t as, uint64_t v, bool w)
{
	const uint64_t *t = arch_phys_to_virt(as);
	uint64_t need = PTE_P | PTE_U | (w ? PTE_W : 0), e = 0;
	for (int shift = 39; shift >= 12; shift -= 9) {
		e = t[(v >> shift) & 511];
		if ((e & need) != need || (e & PTE_PS))
			return 0;
		t = arch_phys_to_virt(pa(e & PTE_ADDR));
	}
	return e;
}

bool arch_as_user_ok(paddr_t as, uint64_t v, uint64_t n, bool write)
{
	if (!n || v >= BH_USER_TOP || n > BH_USER_TOP - v)
		return false;
	for (uint64_t p = v & ~PAGE_MASK; p < v + n; p += PAGE_SIZE) {
		uint64_t e = user_pte(as, p, write);
		if (!e || (e & (PTE_PCD | PTE_PWT))) /* a device window: never copied to or from */
			return false;
	}
	return true;
}

size_t arch_as_write(paddr_t as, vaddr_t v, const void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		uint64_t at = v.v + done;
		uint8_t *page = (uint8_t *)(uintptr_t)user_page(as, at & ~PAGE_MASK);
		if (!page)
			break;
		size_t chunk = PAGE_SIZE - (at & PAGE_MASK);
		chunk = chunk < n - done ? chunk : n - done;
		memcpy(page + (at & PAGE_MASK), (const uint8_t *)buf + done, chunk);
		done += chunk;
	}
	return done;
}

size_t arch_as_read(paddr_t as, vaddr_t v, void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		uint64_t at = v.v + done;
		const uint8_t *page = user_page(as, at & ~PAGE_MASK);
		if (!page)
			break;
		size_t chunk = PAGE_SIZE - (at & PAGE_MASK);
		chunk = chunk < n - done ? chunk : n - done;
		memcpy((uint8_t *)buf + done, page + (at & PAGE_MASK), chunk);
		done += chunk;
	}
	return done;
}

/* Is the kernel page at @v one a domain's tables may map: the window, or its own object? */
static bool window_page(uint64_t v, uint64_t obj, uint64_t size)
{
	if (is_guard(v))
		return false;
	for (size_t i = 0; i < N_WINDOW_PARTS; i++)
		if (v >= (uint64_t)window_parts[i].start && v < (uint64_t)window_parts[i].end)
			return true;
	return v >= obj && v < obj + size;
}

/* What an audit of a domain's kernel half counts, and what it allows. */
struct audit {
	uint64_t obj, size;
	uint64_t pages, outside;
};

/* The table an entry points to, or NULL for a large page (counted as outside). */
static const uint64_t *audit_next(struct audit *a, uint64_t e)
{
	if (!(e & PTE_PS))
		return arch_phys_to_virt(pa(e & PTE_ADDR));
	a->pages++;
	a->outside++;
	return NULL;
}

static void audit_pt(struct audit *a, const uint64_t *pt, uint64_t base)
{
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t v = base | (i << 12);
		if (!(pt[i] & PTE_P))
			continue;
		a->pages++;
		if ((pt[i] & PTE_U) || !window_page(v, a->obj, a->size))
			a->outside++;
	}
}

static void audit_pd(struct audit *a, const uint64_t *pd, uint64_t base)
{
	for (uint64_t i = 0; i < 512; i++) {
		const uint64_t *pt = (pd[i] & PTE_P) ? audit_next(a, pd[i]) : NULL;
		if (pt)
			audit_pt(a, pt, base | (i << 21));
	}
}

static void audit_pdpt(struct audit *a, const uint64_t *pdpt, uint64_t base)
{
	for (uint64_t i = 0; i < 512; i++) {
		const uint64_t *pd = (pdpt[i] & PTE_P) ? audit_next(a, pdpt[i]) : NULL;
		if (pd)
			audit_pd(a, pd, base | (i << 30));
	}
}

uint64_t arch_as_audit(paddr_t as, const void *obj, uint64_t size, uint64_t *outside)
{
	struct audit a = {(uint64_t)obj, size, 0, 0};
	const uint64_t *pml4 = arch_phys_to_virt(as);
	for (uint64_t i = 256; i < 512; i++) { /* the kernel half; sign-extended addresses */
		const uint64_t *pdpt = (pml4[i] & PTE_P) ? audit_next(&a, pml4[i]) : NULL;
		if (pdpt)
			audit_pdpt(&a, pdpt, 0xffff000000000000ull | (i << 39));
	}
	*outside = a.outside;
	return a.pages;
}

bool arch_mmio_ok(paddr_t p, uint64_t size)
{
	return paging_mmio_ok(p, size);
}

volatile void *arch_mmio_map(paddr_t p, uint64_t size)
{
	return paging_map_mmio(p, size);
}
