/* Domains: build each one from the boot plan; stop, resume and reset one. */
#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/fault.h>
#include <bulkhead/abi/info.h>
#include <bulkhead/abi/layout.h>
#include <kernel/arch.h>
#include <kernel/boot.h>
#include <kernel/budget.h>
#include <kernel/channel.h>
#include <kernel/clock.h>
#include <kernel/domain.h>
#include <kernel/elf.h>
#include <kernel/klog.h>
#include <kernel/palloc.h>
#include <kernel/plan.h>
#include <kernel/sched.h>
#include <kernel/sha256.h>

struct domain domains[BP_MAX_DOMAINS] __attribute__((aligned(64)));
uint32_t n_domains;

#define MAX_IMAGES (1 + BP_MAX_ALTERNATIVES)

/*
 * What a reset needs, kept out of the domain object (which a domain's entry
 * window maps): its private pages and, per image, the address space and the
 * segments to copy again. Every image shares the stack, heap, start-info page,
 * regions and device windows; only the image area differs.
 */
struct domain_mem {
	paddr_t stack, heap, info;
	uint64_t stack_pages, heap_pages;
	paddr_t as[MAX_IMAGES];
	struct elf_layout image[MAX_IMAGES];
};
static struct domain_mem mem[BP_MAX_DOMAINS];
static const struct bp_header *plan;
static const paddr_t *plan_region_pa;

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

/* Allocates and maps @size bytes of fresh zeroed memory at @v; *@p gets it. */
static enum domain_err map_fresh(struct domain *d, uint64_t v, uint64_t size, unsigned flags,
                                 paddr_t *p)
{
	if (!size)
		return DOMAIN_OK;
	*p = palloc_pages(size / PAGE_SIZE);
	if (!p->v)
		return DOMAIN_ERR_NO_MEMORY;
	return from_map(arch_as_map(d->as, va(v), *p, size / PAGE_SIZE, flags));
}

/* SHA-256 of each boot module, computed once even when several domains load it. */
static uint8_t module_sha256[BOOT_MAX_MODULES][SHA256_BYTES];
static bool module_hashed[BOOT_MAX_MODULES];

/* The image must be the very file the plan was compiled with: same SHA-256. */
static enum domain_err check_image_hash(const struct boot_info *bi, const struct boot_module *m,
                                        const uint8_t *want)
{
	size_t i = (size_t)(m - bi->mods);
	char plan_hex[9], image_hex[9];

	if (!module_hashed[i]) {
		sha256_digest(arch_phys_to_virt(m->start), m->size, module_sha256[i]);
		module_hashed[i] = true;
	}
	if (memcmp(module_sha256[i], want, SHA256_BYTES) == 0)
		return DOMAIN_OK;
	sha256_hex(want, 4, plan_hex);
	sha256_hex(module_sha256[i], 4, image_hex);
	snprintf(detail, sizeof(detail), "(plan %s..., image %s...)", plan_hex, image_hex);
	return DOMAIN_ERR_IMAGE_HASH;
}

/* Loads the boot module @name, whose SHA-256 must be @sha, into @as; *@out gets its layout. */
static enum domain_err load_image(paddr_t as, const struct boot_info *bi, const char *name,
                                  const uint8_t *sha, struct elf_layout *out)
{
	const struct boot_module *m = boot_find_module(bi, name);
	if (!m)
		return DOMAIN_ERR_NO_IMAGE;
	enum domain_err err = check_image_hash(bi, m, sha);
	if (err)
		return err;
	enum elf_err elf = elf_load(as, arch_phys_to_virt(m->start), m->size, out);
	if (elf == ELF_OK)
		return DOMAIN_OK;
	snprintf(detail, sizeof(detail), "%s", elf_err_text(elf));
	return DOMAIN_ERR_BAD_ELF;
}

/* Writes @d's start-info page from the plan, with what only the kernel knows. */
static void write_info(const struct domain *d)
{
	const struct bh_start_info *infos = plan_table(plan, plan->infos);
	struct bh_start_info *info = arch_phys_to_virt(mem[d->index].info);
	memcpy(info, &infos[d->index], sizeof(*info));
	info->cycles_per_us = arch_cycles_per_us;
	info->generation = d->generation;
	info->image_index = d->image;
	info->boot_unix = clock_boot_unix;
	info->boot_tsc = clock_boot_tsc;
}

static enum domain_err map_info(struct domain *d)
{
	paddr_t p = palloc_pages(1);
	if (!p.v)
		return DOMAIN_ERR_NO_MEMORY;
	mem[d->index].info = p;
	write_info(d);
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
		if (bc->type == BH_CAP_DOMAIN)
			c.peer = &domains[bc->object];
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
	d->n_images = 1;
}

/* Builds everything but the capabilities; on failure, `step` names the part. */
static enum domain_err build_space(struct domain *d, const struct bp_header *h, uint32_t i,
                                   const paddr_t *region_pa, const struct boot_info *bi)
{
	const struct bp_domain *bd = (const struct bp_domain *)plan_table(h, h->domains) + i;
	struct domain_mem *m = &mem[i];
	enum domain_err err;
	step = "address space";
	d->as = m->as[0] = arch_as_create();
	if (!d->as.v)
		return DOMAIN_ERR_NO_MEMORY;
	step = "image";
	err = load_image(d->as, bi, bd->image, bd->image_sha256, &m->image[0]);
	if (err)
		return err;
	step = "stack";
	m->stack_pages = bd->stack_size / PAGE_SIZE;
	err = map_fresh(d, BH_STACK_TOP - bd->stack_size, bd->stack_size, ARCH_MAP_R | ARCH_MAP_W,
	                &m->stack);
	if (err)
		return err;
	step = "heap";
	m->heap_pages = bd->heap_size / PAGE_SIZE;
	err = map_fresh(d, BH_HEAP_VADDR, bd->heap_size, ARCH_MAP_R | ARCH_MAP_W, &m->heap);
	if (err)
		return err;
	step = "start-info page";
	err = map_info(d);
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
	plan = h;
	plan_region_pa = region_pa;
	init_fields(d, h, bd, i);
	enum domain_err err = build_space(d, h, i, region_pa, bi);
	if (err) {
		char text[160];
		describe(err, text, sizeof(text));
		snprintf(why, whylen, "domain %u (\"%s\", image \"%s\"): %s", i, bd->name,
		         bd->image, text);
		return err;
	}
	install_caps(d, h, bd);
	arch_domain_init_regs(d, mem[i].image[0].entry, BH_STACK_TOP, BH_INFO_VADDR);
	return DOMAIN_OK;
}

/* Builds alternative @img: its domain's address space with the image area of its own. */
static enum domain_err build_image(const struct bp_image *img, const struct boot_info *bi)
{
	struct domain *d = &domains[img->domain];
	struct domain_mem *m = &mem[img->domain];
	step = "address space";
	paddr_t as = arch_as_clone(m->as[0], va(BH_IMAGE_BASE), va(BH_IMAGE_END));
	if (!as.v)
		return DOMAIN_ERR_NO_MEMORY;
	m->as[img->index] = as;
	d->n_images = (uint8_t)(img->index + 1); /* numbered 1, 2, ... in order */
	step = "image";
	return load_image(as, bi, img->image, img->image_sha256, &m->image[img->index]);
}

enum domain_err domain_build_images(const struct bp_header *h, const struct boot_info *bi,
                                    char *why, size_t whylen)
{
	const struct bp_image *imgs = plan_table(h, h->images);
	for (uint32_t k = 0; k < h->images.count; k++) {
		const struct bp_image *img = &imgs[k];
		enum domain_err err = build_image(img, bi);
		if (!err)
			continue;
		char text[160];
		describe(err, text, sizeof(text));
		snprintf(why, whylen, "domain %u (\"%s\", alternative %u, image \"%s\"): %s",
		         img->domain, domains[img->domain].name, img->index, img->image, text);
		return err;
	}
	return DOMAIN_OK;
}

static void (*notify_hook)(struct domain *d, const struct domain_fault *f);
static void (*cut_hook)(struct domain *d);

void domain_on_stop(void (*notify)(struct domain *d, const struct domain_fault *f),
                    void (*cut)(struct domain *d))
{
	notify_hook = notify;
	cut_hook = cut;
	klog_before_line(domain_reports_flush); /* a deferred fault's line before any other */
}

/* Stops @d (@how says why) and hands the fault @f, if any, to the notify hook. */
static void halt(struct domain *d, enum domain_halt how, const struct domain_fault *f)
{
	sched_stop(d);
	d->halt = (uint8_t)how;
	if (f && notify_hook)
		notify_hook(d, f);
}

/* The slow half of a stop: the report line @why (NULL: none), devices cut off, the log. */
static void finish(struct domain *d, const char *why)
{
	if (why)
		kprintf("bulkhead: domain %s stopped: %s", d->name, why);
	if (cut_hook)
		cut_hook(d);
	if (klog_reader() == d)
		klog_detach();
}

/* Faults whose report line is still to be worded (domain_fault_later): bit i = domain i. */
static uint32_t reports_due;
_Static_assert(BP_MAX_DOMAINS <= 32, "reports_due has one bit per domain");
static struct domain_fault later[BP_MAX_DOMAINS];
static domain_word_fn later_word;

void domain_fault_later(struct domain *d, const struct domain_fault *f, domain_word_fn word)
{
	halt(d, DOMAIN_FAULTED, f);
	later[d->index] = *f;
	later_word = word;
	reports_due |= 1u << d->index;
	finish(d, NULL);
}

void domain_reports_flush(void)
{
	static bool flushing; /* its own lines go through kprintf, which calls it */
	if (!reports_due || flushing)
		return;
	flushing = true;
	while (reports_due) {
		uint32_t i = (uint32_t)__builtin_ctz(reports_due);
		char why[200];
		reports_due &= reports_due - 1;
		later_word(&domains[i], &later[i], why, sizeof(why));
		kprintf("bulkhead: domain %s stopped: %s", domains[i].name, why);
	}
	flushing = false;
}

void domain_fault(struct domain *d, const struct domain_fault *f, const char *why)
{
	halt(d, DOMAIN_FAULTED, f);
	finish(d, why);
}

void domain_refuse(struct domain *d)
{
	halt(d, DOMAIN_REFUSED, NULL);
	finish(d, NULL);
}

void domain_exit(struct domain *d, int64_t code)
{
	struct domain_fault f = {BH_FAULT_EXIT, 0, d->regs.rip, 0, (uint64_t)code};
	halt(d, DOMAIN_EXITED, &f);
	kprintf("bulkhead: domain %s exited with code %ld", d->name, (long)code);
	finish(d, NULL);
}

void domain_hold(struct domain *d)
{
	d->held_waiting = d->state == DOMAIN_WAITING;
	halt(d, DOMAIN_HELD, NULL);
	finish(d, NULL);
}

void domain_resume(struct domain *d)
{
	d->halt = DOMAIN_LIVE;
	channel_resume(d, d->held_waiting);
}

/* Is region @r mapped by @d alone (and not the kernel log, a fault page or a module region)? */
static bool region_private(const struct domain *d, uint32_t r)
{
	struct plan_tables t;
	plan_tables(plan, &t);
	if (t.regions[r].flags & (BP_REGION_KLOG | BP_REGION_FAULT | BP_REGION_MODULE))
		return false;
	for (uint32_t e = 0; e < plan->domains.count; e++) {
		const struct bp_domain *bd = &t.domains[e];
		for (uint32_t k = bd->first_map; e != d->index && k < bd->first_map + bd->n_maps;
		     k++)
			if (t.maps[k].region == r)
				return false;
	}
	return true;
}

/* Zeroes the regions only @d maps: nothing of the old instance survives there. */
static void zero_private_regions(const struct domain *d)
{
	struct plan_tables t;
	plan_tables(plan, &t);
	const struct bp_domain *bd = &t.domains[d->index];
	for (uint32_t k = bd->first_map; k < bd->first_map + bd->n_maps; k++) {
		uint32_t r = t.maps[k].region;
		if (region_private(d, r))
			memset(arch_phys_to_virt(plan_region_pa[r]), 0, t.regions[r].size);
	}
}

static void zero_pages(paddr_t p, uint64_t pages)
{
	if (pages)
		memset(arch_phys_to_virt(p), 0, pages * PAGE_SIZE);
}

void domain_reset(struct domain *d, uint32_t image)
{
	struct domain_mem *m = &mem[d->index];
	elf_reload(&m->image[image]);
	zero_pages(m->stack, m->stack_pages);
	zero_pages(m->heap, m->heap_pages);
	zero_private_regions(d);
	d->image = (uint8_t)image;
	d->generation++;
	if (d->restarts < UINT32_MAX)
		d->restarts++;
	write_info(d);
	(void)channel_poll(d); /* no bit of the old instance reaches the new one */
	d->as = m->as[image];
	arch_domain_init_regs(d, m->image[image].entry, BH_STACK_TOP, BH_INFO_VADDR);
	arch_as_flush(d);
}

void domain_revive(struct domain *d)
{
	d->halt = DOMAIN_LIVE;
	sched_wake(d);
}
