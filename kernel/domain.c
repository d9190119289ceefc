/* Domains: build each one from the boot plan; stop one that faults or exits. */
#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/info.h>
#include <bulkhead/abi/layout.h>
#include <kernel/arch.h>
#include <kernel/boot.h>
#include <kernel/budget.h>
#include <kernel/domain.h>
#include <kernel/elf.h>
#include <kernel/klog.h>
#include <kernel/palloc.h>
#include <kernel/plan.h>
#include <kernel/sched.h>
#include <kernel/sha256.h>

struct domain domains[BP_MAX_DOMAINS] __attribute__((aligned(64)));
uint32_t n_domains;

/* Why arch_as_map refused, in words; NULL if it did not. */
static const char *map_error(enum arch_map_err rc, const char *overlap)
{
	if (rc == ARCH_MAP_OVERLAP)
		return overlap;
	if (rc == ARCH_MAP_BAD_ADDR)
		return "a mapping lies outside the user half";
	return rc ? "out of memory" : NULL;
}

static unsigned map_flags(uint32_t rights)
{
	return ((rights & BH_RIGHT_READ) ? ARCH_MAP_R : 0) |
	       ((rights & BH_RIGHT_WRITE) ? ARCH_MAP_W : 0) |
	       ((rights & BH_RIGHT_EXEC) ? ARCH_MAP_X : 0);
}

/* Allocates and maps @size bytes of fresh zeroed memory at @v. */
static const char *map_fresh(struct domain *d, uint64_t v, uint64_t size, unsigned flags)
{
	if (!size)
		return NULL;
	paddr_t p = palloc_pages(size / PAGE_SIZE);
	if (!p.v)
		return "out of memory";
	return map_error(arch_as_map(d->as, va(v), p, size / PAGE_SIZE, flags),
	                 "address space overlap");
}

/* SHA-256 of each boot module, computed once even when several domains load it. */
static uint8_t module_sha256[BOOT_MAX_MODULES][SHA256_BYTES];
static bool module_hashed[BOOT_MAX_MODULES];
static char hash_why[112];

/* The image must be the very file the plan was compiled with: same SHA-256. */
static const char *check_image_hash(const struct boot_info *bi, const struct boot_module *m,
                                    const struct bp_domain *bd)
{
	size_t i = (size_t)(m - bi->mods);
	char plan_hex[9], image_hex[9];

	if (!module_hashed[i]) {
		sha256_digest(arch_phys_to_virt(m->start), m->size, module_sha256[i]);
		module_hashed[i] = true;
	}
	if (memcmp(module_sha256[i], bd->image_sha256, SHA256_BYTES) == 0)
		return NULL;
	sha256_hex(bd->image_sha256, 4, plan_hex);
	sha256_hex(module_sha256[i], 4, image_hex);
	snprintf(hash_why, sizeof(hash_why),
	         "image SHA-256 does not match the plan (plan %s..., image %s...)", plan_hex,
	         image_hex);
	return hash_why;
}

static const char *load_image(struct domain *d, const struct boot_info *bi,
                              const struct bp_domain *bd, uint64_t *entry)
{
	const struct boot_module *m = boot_find_module(bi, bd->image);
	if (!m)
		return "its image is not among the boot modules";
	const char *why = check_image_hash(bi, m, bd);
	return why ? why : elf_load(d->as, arch_phys_to_virt(m->start), m->size, entry);
}

static const char *map_info(struct domain *d, const struct bp_header *h, uint32_t i)
{
	paddr_t p = palloc_pages(1);
	if (!p.v)
		return "out of memory";
	const struct bh_start_info *infos = plan_table(h, h->infos);
	memcpy(arch_phys_to_virt(p), &infos[i], sizeof(infos[i]));
	return map_error(arch_as_map(d->as, va(BH_INFO_VADDR), p, 1, ARCH_MAP_R),
	                 "info page overlap");
}

static const char *map_regions(struct domain *d, const struct bp_header *h,
                               const struct bp_domain *bd, const paddr_t *region_pa)
{
	const struct bp_map *maps = plan_table(h, h->maps);
	const struct bp_region *regions = plan_table(h, h->regions);
	for (uint32_t k = bd->first_map; k < bd->first_map + bd->n_maps; k++) {
		const struct bp_map *m = &maps[k];
		uint64_t pages = regions[m->region].size / PAGE_SIZE;
		const char *why = map_error(arch_as_map(d->as, va(m->vaddr), region_pa[m->region],
		                                        pages, map_flags(m->rights)),
		                            "a map overlaps another mapping");
		if (why)
			return why;
	}
	return NULL;
}

static void install_caps(struct domain *d, const struct bp_header *h, const struct bp_domain *bd)
{
	const struct bp_cap *caps = plan_table(h, h->caps);
	const struct bp_channel *chans = plan_table(h, h->channels);
	cap_table_clear(&d->caps);
	for (uint32_t k = bd->first_cap; k < bd->first_cap + bd->n_caps; k++) {
		const struct bp_cap *bc = &caps[k];
		struct cap c = {.type = bc->type, .rights = bc->rights, .index = bc->object};
		if (bc->type == BH_CAP_CHANNEL) {
			const struct bp_channel *ch = &chans[bc->object];
			uint32_t other = 1 - bc->end;
			c.peer = &domains[ch->domain[other]];
			c.badge = 1ull << ch->bit[other];
		}
		cap_install(&d->caps, bc->slot, &c);
	}
}

static void init_fields(struct domain *d, const struct bp_header *h, const struct bp_domain *bd,
                        uint32_t i)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->name, bd->name, sizeof(d->name));
	d->index = i;
	d->priority = (uint8_t)bd->priority;
	d->state = DOMAIN_RUNNABLE;
	d->ioports = (const struct bp_ioport *)plan_table(h, h->ioports) + bd->first_ioport;
	d->n_ioports = bd->n_ioports;
	d->budget = budget_cycles(bd->budget_us, arch_cycles_per_us); /* saturates */
	d->period = budget_cycles(bd->period_us, arch_cycles_per_us);
	d->ssbd = (bd->flags & BP_DOMAIN_SSBD) != 0;
}

bool domain_build(const struct bp_header *h, uint32_t i, const paddr_t *region_pa,
                  const struct boot_info *bi, char *err, size_t errlen)
{
	const struct bp_domain *bd = (const struct bp_domain *)plan_table(h, h->domains) + i;
	struct domain *d = &domains[i];
	uint64_t entry = 0;
	init_fields(d, h, bd, i);
	d->as = arch_as_create();
	const char *why = d->as.v ? NULL : "out of memory";
	if (!why)
		why = load_image(d, bi, bd, &entry);
	if (!why)
		why = map_fresh(d, BH_STACK_TOP - bd->stack_size, bd->stack_size,
		                ARCH_MAP_R | ARCH_MAP_W);
	if (!why)
		why = map_fresh(d, BH_HEAP_VADDR, bd->heap_size, ARCH_MAP_R | ARCH_MAP_W);
	if (!why)
		why = map_info(d, h, i);
	if (!why)
		why = map_regions(d, h, bd, region_pa);
	if (!why)
		why = map_error(arch_as_window(d->as, d, sizeof(*d), d->name),
		                "kernel window overlap");
	if (why) {
		snprintf(err, errlen, "domain %u (\"%s\", image \"%s\"): %s", i, bd->name,
		         bd->image, why);
		return false;
	}
	install_caps(d, h, bd);
	arch_domain_init_regs(d, entry, BH_STACK_TOP, BH_INFO_VADDR);
	return true;
}

void domain_stop(struct domain *d, const char *why)
{
	d->state = DOMAIN_STOPPED;
	sched_remove(d);
	if (why)
		kprintf("bulkhead: domain %s stopped: %s", d->name, why);
	if (klog_reader() == d)
		klog_detach();
}
