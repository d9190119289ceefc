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

/* What a failed step of domain_build was doing, and the detail of its error. */
static const char *step;
static char detail[112];

static enum domain_err from_map(enum arch_map_err rc)
{
	switch (rc) {
	case ARCH_MAP_OK:
		return DOMAIN_OK;
	case ARCH_MAP_OVERLAP:
		return DOMAIN_ERR_OVERLAP;
	case ARCH_MAP_BAD_ADDR:
		return DOMAIN_ERR_BAD_ADDR;
	default:
		return DOMAIN_ERR_NO_MEMORY;
	}
}

static unsigned map_flags(uint32_t rights)
{
	return ((rights & BH_RIGHT_READ) ? ARCH_MAP_R : 0) |
	       ((rights & BH_RIGHT_WRITE) ? ARCH_MAP_W : 0) |
	       ((rights & BH_RIGHT_EXEC) ? ARCH_MAP_X : 0);
}

/* Allocates and maps @size bytes of fresh zeroed memory at @v. */
static enum domain_err map_fresh(struct domain *d, uint64_t v, uint64_t size, unsigned flags)
{
	if (!size)
		return DOMAIN_OK;
	paddr_t p = palloc_pages(size / PAGE_SIZE);
	if (!p.v)
		return DOMAIN_ERR_NO_MEMORY;
	return from_map(arch_as_map(d->as, va(v), p, size / PAGE_SIZE, flags));
}

/* SHA-256 of each boot module, computed once even when several domains load it. */
static uint8_t module_sha256[BOOT_MAX_MODULES][SHA256_BYTES];
static bool module_hashed[BOOT_MAX_MODULES];

/* The image must be the very file the plan was compiled with: same SHA-256. */
static enum domain_err check_image_hash(const struct boot_info *bi, const struct boot_module *m,
                                        const struct bp_domain *bd)
{
	size_t i = (size_t)(m - bi->mods);
	char plan_hex[9], image_hex[9];

	if (!module_hashed[i]) {
		sha256_digest(arch_phys_to_virt(m->start), m->size, module_sha256[i]);
		module_hashed[i] = true;
	}
	if (memcmp(module_sha256[i], bd->image_sha256, SHA256_BYTES) == 0)
		return DOMAIN_OK;
	sha256_hex(bd->image_sha256, 4, plan_hex);
	sha256_hex(module_sha256[i], 4, image_hex);
	snprintf(detail, sizeof(detail), "(plan %s..., image %s...)", plan_hex, image_hex);
	return DOMAIN_ERR_IMAGE_HASH;
}

static enum domain_err load_image(struct domain *d, const struct boot_info *bi,
                                  const struct bp_domain *bd, uint64_t *entry)
{
	const struct boot_module *m = boot_find_module(bi, bd->image);
	if (!m)
		return DOMAIN_ERR_NO_IMAGE;
	enum domain_err err = check_image_hash(bi, m, bd);
	if (err)
		return err;
	enum elf_err elf = elf_load(d->as, arch_phys_to_virt(m->start), m->size, entry);
	if (elf == ELF_OK)
		return DOMAIN_OK;
	snprintf(detail, sizeof(detail), "%s", elf_err_text(elf));
	return DOMAIN_ERR_BAD_ELF;
}

static enum domain_err map_info(struct domain *d, const struct bp_header *h, uint32_t i)
{
	paddr_t p = palloc_pages(1);
	if (!p.v)
		return DOMAIN_ERR_NO_MEMORY;
	const struct bh_start_info *infos = plan_table(h, h->infos);
	struct bh_start_info *info = arch_phys_to_virt(p);
	memcpy(info, &infos[i], sizeof(*info));
	info->cycles_per_us = arch_cycles_per_us; /* the one field the plan cannot know */
	return from_map(arch_as_map(d->as, va(BH_INFO_VADDR), p, 1, ARCH_MAP_R));
}

static enum domain_err map_regions(struct domain *d, const struct bp_header *h,
                                   const struct bp_domain *bd, const paddr_t *region_pa)
{
	const struct bp_map *maps = plan_table(h, h->maps);
	const struct bp_region *regions = plan_table(h, h->regions);
	for (uint32_t k = bd->first_map; k < bd->first_map + bd->n_maps; k++) {
		const struct bp_map *m = &maps[k];
		uint64_t pages = regions[m->region].size / PAGE_SIZE;
		enum domain_err err = from_map(arch_as_map(
			d->as, va(m->vaddr), region_pa[m->region], pages, map_flags(m->rights)));
		if (err) {
			snprintf(detail, sizeof(detail), "map %u", k - bd->first_map);
			step = detail;
			return err;
		}
	}
	return DOMAIN_OK;
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
	d->ioports = (const struct bp_ioport *)plan_table(h, h->ioports) + bd->first_ioport;
	d->n_ioports = bd->n_ioports;
	d->budget = budget_cycles(bd->budget_us, arch_cycles_per_us); /* saturates */
	d->period = budget_cycles(bd->period_us, arch_cycles_per_us);
	d->ssbd = (bd->flags & BP_DOMAIN_SSBD) != 0;
}

/* Builds everything but the capabilities; on failure, `step` names the part. */
static enum domain_err build_space(struct domain *d, const struct bp_header *h, uint32_t i,
                                   const paddr_t *region_pa, const struct boot_info *bi,
                                   uint64_t *entry)
{
	const struct bp_domain *bd = (const struct bp_domain *)plan_table(h, h->domains) + i;
	enum domain_err err;
	step = "address space";
	d->as = arch_as_create();
	if (!d->as.v)
		return DOMAIN_ERR_NO_MEMORY;
	step = "image";
	err = load_image(d, bi, bd, entry);
	if (err)
		return err;
	step = "stack";
	err = map_fresh(d, BH_STACK_TOP - bd->stack_size, bd->stack_size, ARCH_MAP_R | ARCH_MAP_W);
	if (err)
		return err;
	step = "heap";
	err = map_fresh(d, BH_HEAP_VADDR, bd->heap_size, ARCH_MAP_R | ARCH_MAP_W);
	if (err)
		return err;
	step = "start-info page";
	err = map_info(d, h, i);
	if (err)
		return err;
	step = "regions";
	err = map_regions(d, h, bd, region_pa); /* names the map in `step` */
	if (err)
		return err;
	step = "kernel entry window";
	return from_map(arch_as_window(d->as, d, sizeof(*d), d->name));
}

static const char *err_text(enum domain_err err)
{
	switch (err) {
	case DOMAIN_ERR_NO_IMAGE:
		return "its image is not among the boot modules";
	case DOMAIN_ERR_OVERLAP:
		return "overlaps another mapping";
	case DOMAIN_ERR_BAD_ADDR:
		return "lies outside the user half";
	case DOMAIN_ERR_NO_MEMORY:
		return "out of memory";
	default:
		return "";
	}
}

/* Words for the boot report: the ELF and hash errors carry their own detail. */
static void describe(enum domain_err err, char *out, size_t len)
{
	if (err == DOMAIN_ERR_BAD_ELF)
		snprintf(out, len, "%s", detail);
	else if (err == DOMAIN_ERR_IMAGE_HASH)
		snprintf(out, len, "image SHA-256 does not match the plan %s", detail);
	else if (err == DOMAIN_ERR_NO_IMAGE)
		snprintf(out, len, "%s", err_text(err));
	else
		snprintf(out, len, "%s: %s", step, err_text(err));
}

enum domain_err domain_build(const struct bp_header *h, uint32_t i, const paddr_t *region_pa,
                             const struct boot_info *bi, char *why, size_t whylen)
{
	const struct bp_domain *bd = (const struct bp_domain *)plan_table(h, h->domains) + i;
	struct domain *d = &domains[i];
	uint64_t entry = 0;
	init_fields(d, h, bd, i);
	enum domain_err err = build_space(d, h, i, region_pa, bi, &entry);
	if (err) {
		char text[160];
		describe(err, text, sizeof(text));
		snprintf(why, whylen, "domain %u (\"%s\", image \"%s\"): %s", i, bd->name,
		         bd->image, text);
		return err;
	}
	install_caps(d, h, bd);
	arch_domain_init_regs(d, entry, BH_STACK_TOP, BH_INFO_VADDR);
	return DOMAIN_OK;
}

static void (*stop_hook)(struct domain *d);

void domain_on_stop(void (*hook)(struct domain *d))
{
	stop_hook = hook;
}

void domain_stop(struct domain *d, const char *why)
{
	sched_stop(d);
	if (why)
		kprintf("bulkhead: domain %s stopped: %s", d->name, why);
	if (stop_hook)
		stop_hook(d);
	if (klog_reader() == d)
		klog_detach();
}

void domain_exit(struct domain *d, int64_t code)
{
	kprintf("bulkhead: domain %s exited with code %ld", d->name, (long)code);
	domain_stop(d, NULL);
}
