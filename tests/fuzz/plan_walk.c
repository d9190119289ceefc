/* Plan walk: reads an accepted boot plan the way the kernel builds a system from it. */
#include "plan_walk.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/info.h>
#include <bulkhead/abi/layout.h>
#include <kernel/plan.h>

/* The plan checker accepted what the kernel cannot use: a bug in kernel/plan.c. */
static void broken(const char *what, unsigned long index)
{
	fprintf(stderr, "plan_walk: plan_check accepted a plan whose %s (%lu) is out of range\n",
	        what, index);
	abort();
}

/* The checker accepted a plan that breaks a rule that keeps domains apart: a bug too. */
static void breaks(const char *rule, unsigned long value)
{
	fprintf(stderr, "plan_walk: plan_check accepted a plan that breaks a rule: %s (0x%lx)\n",
	        rule, value);
	abort();
}

/* The kernel prints names in its serial lines: they must end, and be printable. */
static unsigned long name_sum(const char *name)
{
	size_t len = strnlen(name, BP_NAME_LEN);

	if (len == BP_NAME_LEN)
		broken("name length", len);
	for (size_t i = 0; i < len; i++)
		if (name[i] < 0x21 || name[i] > 0x7e)
			broken("name byte", (unsigned char)name[i]);
	return len + (unsigned char)name[0];
}

/* kernel/domain.c map_regions: regions[map->region].size, region_pa[map->region]. */
static unsigned long walk_maps(const struct plan_tables *t, const struct bp_domain *bd)
{
	const struct bp_map *maps = t->maps;
	unsigned long sum = 0;

	for (uint32_t k = bd->first_map; k < bd->first_map + bd->n_maps; k++) {
		if (maps[k].region >= t->h->regions.count || maps[k].region >= BP_MAX_REGIONS)
			broken("map region", maps[k].region);
		sum += t->regions[maps[k].region].size + maps[k].vaddr + maps[k].rights;
	}
	return sum;
}

/* The kernel's use of a device cap: the device it names, held by its owner. */
static unsigned long walk_device_cap(const struct plan_tables *t, const struct bp_domain *bd,
                                     const struct bp_cap *bc)
{
	if (bc->object >= t->h->devices.count || bc->object >= BP_MAX_DEVICES)
		broken("device cap object", bc->object);
	if (t->devices[bc->object].domain != (uint32_t)(bd - t->domains))
		breaks("a device cap names another domain's device", bc->object);
	return t->devices[bc->object].pci;
}

/* kernel/domain.c install_caps: slot, and for a channel the peer end's domain and bit. */
static unsigned long walk_caps(const struct plan_tables *t, const struct bp_domain *bd)
{
	unsigned long sum = 0;

	for (uint32_t k = bd->first_cap; k < bd->first_cap + bd->n_caps; k++) {
		const struct bp_cap *bc = &t->caps[k];
		if (bc->slot >= BH_MAX_CAPS)
			broken("cap slot", bc->slot);
		sum += bc->slot + bc->type + bc->rights + bc->object;
		if (bc->type == BH_CAP_DEVICE)
			sum += walk_device_cap(t, bd, bc);
		if (bc->type != BH_CAP_CHANNEL)
			continue;
		if (bc->end > 1)
			broken("channel cap end", bc->end);
		const struct bp_channel *ch = &t->channels[bc->object];
		uint32_t other = 1 - bc->end;
		if (ch->domain[other] >= t->h->domains.count)
			broken("channel peer domain", ch->domain[other]);
		if (ch->bit[other] >= BP_MAX_CHANNEL_BITS)
			broken("channel peer bit", ch->bit[other]);
		sum += ch->domain[other] + ch->bit[other];
	}
	return sum;
}

/* Whether a map other than @mp, in any domain, maps @mp's region with a right in @rights. */
static bool mapped_elsewhere(const struct plan_tables *t, const struct bp_map *mp, uint32_t rights)
{
	const struct bp_map *maps = t->maps;

	for (uint32_t k = 0; k < t->h->maps.count; k++)
		if (&maps[k] != mp && maps[k].region == mp->region && (maps[k].rights & rights))
			return true;
	return false;
}

/*
 * Maps: none reaches into the top page of the user half, none maps a region its
 * domain maps already, and an executable one's region is written by no other
 * map unless the region has the code-sharing flag.
 */
static void walk_map_rules(const struct plan_tables *t, const struct bp_domain *bd)
{
	const struct bp_map *maps = t->maps;
	const struct bp_region *regions = t->regions;

	for (uint32_t k = bd->first_map; k < bd->first_map + bd->n_maps; k++) {
		const struct bp_map *mp = &maps[k];
		if (mp->vaddr + regions[mp->region].size > BH_USER_MAP_END)
			breaks("a map reaches into the top page", mp->vaddr);
		for (uint32_t j = bd->first_map; j < k; j++)
			if (maps[j].region == mp->region)
				breaks("a domain maps one region twice", mp->region);
		if ((mp->rights & BH_RIGHT_EXEC) && mapped_elsewhere(t, mp, BH_RIGHT_WRITE) &&
		    !(regions[mp->region].flags & BP_REGION_WX_SHARED))
			breaks("code injection without the code-sharing flag", mp->region);
		if ((mp->flags & BP_MAP_DMA) &&
		    ((mp->rights & BH_RIGHT_EXEC) ||
		     mp->vaddr + regions[mp->region].size > BH_DMA_LIMIT))
			breaks("an executable DMA map or one above BH_DMA_LIMIT", mp->vaddr);
	}
}

/* Whether a map of domain @d is a DMA map. */
static bool has_dma_map(const struct plan_tables *t, uint32_t d)
{
	const struct bp_domain *bd = &t->domains[d];

	for (uint32_t k = bd->first_map; k < bd->first_map + bd->n_maps; k++)
		if (t->maps[k].flags & BP_MAP_DMA)
			return true;
	return false;
}

/*
 * What the kernel will do with each device record: index its owner, set its irq
 * bit in the owner's pending word, map its BARs into its window, attach it to the
 * owner's DMA maps; so the rules of the device table must hold.
 */
static unsigned long walk_devices(const struct plan_tables *t)
{
	uint64_t irq_bits[BP_MAX_DOMAINS] = {0};
	unsigned long sum = 0;

	if (t->h->devices.count > BP_MAX_DEVICES)
		broken("device count", t->h->devices.count);
	for (uint32_t i = 0; i < t->h->devices.count; i++) {
		const struct bp_device *dev = &t->devices[i];
		if (dev->domain >= t->h->domains.count)
			broken("device owner", dev->domain);
		if (dev->irq_bit != BP_NONE && dev->irq_bit >= BP_MAX_CHANNEL_BITS)
			broken("device irq bit", dev->irq_bit);
		if (dev->irq_bit != BP_NONE && (irq_bits[dev->domain] & (1ull << dev->irq_bit)))
			breaks("two devices of a domain share an irq bit", dev->irq_bit);
		if (dev->irq_bit != BP_NONE)
			irq_bits[dev->domain] |= 1ull << dev->irq_bit;
		if (dev->window < BH_DEVICE_BASE ||
		    dev->window > BH_DEVICE_END - BH_DEVICE_WINDOW ||
		    dev->window_size != BH_DEVICE_WINDOW || (dev->pci >> 16))
			breaks("a device window outside the device area or a PCI segment",
			       dev->window);
		if (!has_dma_map(t, dev->domain))
			breaks("a device whose owner has no DMA map", i);
		sum += name_sum(dev->name) + dev->pci + dev->window;
	}
	return sum;
}

/*
 * The rules of issue 6 that plan_check enforces for the kernel's safety, beyond
 * indices: budget bounds, reserved names, maps (walk_map_rules), I/O port roles.
 */
static void walk_rules(const struct plan_tables *t, const struct bp_domain *bd)
{
	const struct bp_ioport *io = t->ioports;
	uint32_t port = 0;

	if (bd->period_us > BP_MAX_PERIOD_US || (bd->budget_us && bd->budget_us < BP_MIN_BUDGET_US))
		breaks("a budget or period out of bounds", bd->period_us);
	if (!strcasecmp(bd->name, "bulkhead") || !strcasecmp(bd->name, "kernel"))
		breaks("a domain has a reserved name", 0);
	walk_map_rules(t, bd);
	for (uint32_t k = bd->first_ioport; k < bd->first_ioport + bd->n_ioports; k++) {
		const struct plan_port_role *r = plan_port_role(io[k].base, io[k].count, &port);
		if (r && (r->rule == PLAN_PORT_NEVER || !(io[k].flags & BP_IOPORT_MACHINE)))
			breaks("a port of the kernel or a machine port without the flag", port);
	}
}

/* kernel/domain.c init_fields and map_info: the ioport records and the start-info page. */
static unsigned long walk_domain(const struct plan_tables *t, uint32_t i)
{
	const struct bp_domain *bd = &t->domains[i];
	unsigned long sum = name_sum(bd->name) + name_sum(bd->image) + bd->priority;

	for (uint32_t k = bd->first_ioport; k < bd->first_ioport + bd->n_ioports; k++)
		sum += t->ioports[k].base + t->ioports[k].count;
	sum += t->infos[i].magic + t->infos[i].n_entries;
	sum += walk_maps(t, bd) + walk_caps(t, bd);
	walk_rules(t, bd);
	return sum;
}

/* kernel/main.c build_regions and build_domains: region sizes and names, the kernel log. */
static unsigned long walk_regions(const struct plan_tables *t)
{
	const struct bp_header *h = t->h;
	const struct bp_region *r = t->regions;
	unsigned long sum = 0;

	for (uint32_t i = 0; i < h->regions.count; i++)
		sum += r[i].size + name_sum(r[i].name);
	if (h->klog_domain == BP_NONE)
		return sum;
	if (h->klog_domain >= h->domains.count)
		broken("klog_domain", h->klog_domain);
	if (h->klog_region >= h->regions.count)
		broken("klog_region", h->klog_region);
	if (h->klog_bit >= BP_MAX_CHANNEL_BITS)
		broken("klog_bit", h->klog_bit);
	return sum + r[h->klog_region].size;
}

unsigned long plan_walk(const void *buf, size_t len)
{
	const struct bp_header *h = buf;
	struct plan_tables t;
	unsigned long sum = len;

	if (h->total_size > len)
		broken("total_size", h->total_size);
	if (h->domains.count > BP_MAX_DOMAINS)
		broken("domain count", h->domains.count);
	plan_tables(h, &t);
	sum += name_sum(h->system_name) + walk_regions(&t);
	for (uint32_t i = 0; i < h->domains.count; i++)
		sum += walk_domain(&t, i);
	return sum + walk_devices(&t);
}
