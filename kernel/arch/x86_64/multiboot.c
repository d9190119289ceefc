/* x86_64 multiboot2 hand-over: memory map, modules, ACPI RSDP, then CPU and platform set-up. */
#include <stdint.h>
#include <string.h>

#include <kernel/arch.h>
#include <kernel/assert.h>
#include <kernel/boot.h>
#include <kernel/palloc.h>
#include <platform.h>
#include <spec.h>
#include <x86.h>

#define MB2_BOOT_MAGIC 0x36d76289u
#define TAG_END 0
#define TAG_CMDLINE 1
#define TAG_MODULE 3
#define TAG_MMAP 6
#define TAG_ACPI_OLD 14 /* a copy of the ACPI 1.0 RSDP */
#define TAG_ACPI_NEW 15 /* a copy of the ACPI 2.0+ RSDP (with the XSDT) */

struct tag {
	uint32_t type, size;
};
struct mod_tag {
	uint32_t type, size, start, end;
	char cmdline[];
};
struct mmap_tag {
	uint32_t type, size, entry_size, entry_version;
};
struct mmap_entry {
	uint64_t base, len;
	uint32_t type, reserved;
};

extern uint64_t boot_mbi, boot_magic, boot_tsc;
static const uint8_t *mbi_va; /* the hand-over through the direct map, once arch_cpu_init ran */
extern char _kernel_phys_start[], _kernel_end[];
void arch_cpu_init(uint64_t max_phys, enum spec_mode mode);

/* Calls @fn on every tag of the multiboot2 information at @mbi. */
static void for_each_tag(const uint8_t *mbi, void (*fn)(const struct tag *, void *), void *arg)
{
	uint32_t total = *(const uint32_t *)mbi;
	for (uint32_t off = 8; off + sizeof(struct tag) <= total;) {
		const struct tag *t = (const struct tag *)(mbi + off);
		if (t->type == TAG_END || t->size < sizeof(struct tag))
			break;
		fn(t, arg);
		off += (t->size + 7) & ~7u;
	}
}

/* Calls @fn on every usable RAM range of the memory-map tag @t (others are skipped). */
static void for_each_ram(const struct tag *t, void (*fn)(uint64_t, uint64_t, void *), void *arg)
{
	if (t->type != TAG_MMAP)
		return;
	const struct mmap_tag *m = (const struct mmap_tag *)t;
	if (m->entry_size < sizeof(struct mmap_entry))
		return;
	for (uint32_t o = sizeof(*m); o + sizeof(struct mmap_entry) <= m->size;
	     o += m->entry_size) {
		const struct mmap_entry *e = (const void *)((const uint8_t *)m + o);
		if (e->type == 1)
			fn(e->base, e->len, arg);
	}
}

static void note_max(uint64_t base, uint64_t len, void *arg)
{
	uint64_t *max = arg;
	if (base + len > *max)
		*max = base + len;
}

static void find_max(const struct tag *t, void *arg)
{
	for_each_ram(t, note_max, arg);
}

/* Hands RAM to palloc, but only what the direct map reaches (the kernel zeroes pages through it). */
static void add_range(uint64_t base, uint64_t len, void *arg)
{
	(void)arg;
	uint64_t end = arch_direct_map_end();
	if (base >= end)
		return;
	palloc_add_range(pa(base), len < end - base ? len : end - base);
}

static void add_ranges(const struct tag *t, void *arg)
{
	for_each_ram(t, add_range, arg);
}

/* Reads the kernel command line's mitigations= option (tag type 1). */
static void find_mode(const struct tag *t, void *arg)
{
	if (t->type == TAG_CMDLINE && t->size > sizeof(*t))
		*(enum spec_mode *)arg = spec_parse_cmdline((const char *)(t + 1));
}

static void add_module(const struct tag *t, void *arg)
{
	struct boot_info *bi = arg;
	if (t->type != TAG_MODULE || bi->n_mods >= BOOT_MAX_MODULES)
		return;
	const struct mod_tag *m = (const struct mod_tag *)t;
	struct boot_module *bm = &bi->mods[bi->n_mods++];
	bm->start = pa(m->start);
	bm->size = m->end > m->start ? m->end - m->start : 0;
	bm->name = m->cmdline;
}

/* Keeps the RSDP copy of tag 14 or 15; the newer one wins (it names the XSDT). */
static void find_rsdp(const struct tag *t, void *arg)
{
	struct boot_info *bi = arg;
	if ((t->type != TAG_ACPI_OLD && t->type != TAG_ACPI_NEW) || t->size <= sizeof(*t))
		return;
	if (bi->acpi_rsdp && t->type == TAG_ACPI_OLD)
		return;
	bi->acpi_rsdp = (const uint8_t *)(t + 1);
	bi->acpi_rsdp_size = t->size - (uint32_t)sizeof(*t);
}

/* Keeps the kernel command line (tag type 1). */
static void find_cmdline(const struct tag *t, void *arg)
{
	if (t->type == TAG_CMDLINE && t->size > sizeof(*t))
		*(const char **)arg = (const char *)(t + 1);
}

/* What multiboot_ram_overlap asks of each RAM range. */
struct overlap {
	uint64_t base, end;
	bool found;
};

static void note_overlap(uint64_t base, uint64_t len, void *arg)
{
	struct overlap *o = arg;
	if (base < o->end && o->base < base + len)
		o->found = true;
}

static void check_overlap(const struct tag *t, void *arg)
{
	for_each_ram(t, note_overlap, arg);
}

bool multiboot_ram_overlap(uint64_t base, uint64_t size)
{
	struct overlap o = {base, base + size, false};
	CHECK(mbi_va);
	for_each_tag(mbi_va, check_overlap, &o);
	return o.found;
}

static void reserve_modules(const struct boot_info *bi)
{
	for (uint32_t i = 0; i < bi->n_mods; i++)
		palloc_reserve(bi->mods[i].start, page_round_up(bi->mods[i].size));
}

void arch_boot(struct boot_info *bi)
{
	/* The boot variables live in the low boot section, which is only
	 * mapped until arch_cpu_init switches to the kernel's page tables. */
	uint64_t info = boot_mbi, magic = boot_magic, tsc = boot_tsc;
	serial_init();
	if ((uint32_t)magic != MB2_BOOT_MAGIC)
		panic("not started by a multiboot2 loader (magic 0x%lx)", magic);
	CHECK(info < (1ull << 30)); /* reachable through the boot identity map */
	uint64_t max_phys = 0;
	enum spec_mode mode = SPEC_AUTO;
	for_each_tag((const uint8_t *)info, find_max, &max_phys);
	for_each_tag((const uint8_t *)info, find_mode, &mode);
	arch_cpu_init(max_phys, mode);
	const uint8_t *mbi = arch_phys_to_virt(pa(info));
	const char *cmdline = NULL;
	mbi_va = mbi;
	memset(bi, 0, sizeof(*bi));
	bi->entry_cycles = tsc;
	for_each_tag(mbi, add_ranges, NULL);
	for_each_tag(mbi, add_module, bi);
	for_each_tag(mbi, find_rsdp, bi);
	for_each_tag(mbi, find_cmdline, &cmdline);
	palloc_reserve(pa(0), 0x100000); /* BIOS area */
	palloc_reserve(pa((uint64_t)_kernel_phys_start),
	               (uint64_t)_kernel_end - KERNEL_VMA - (uint64_t)_kernel_phys_start);
	palloc_reserve(pa(info & ~PAGE_MASK), page_round_up(*(const uint32_t *)mbi) + PAGE_SIZE);
	reserve_modules(bi);
	spec_report();
	platform_init(bi, cmdline);
}
