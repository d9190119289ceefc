/* Layout: turns a checked manifest into the boot plan's tables (rings, ids, vaddrs, caps, infos). */
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/layout.h>

#include "device.h"
#include "memory.h"
#include "port.h"
#include "value.h"

/* A domain's k-th device gets window k; even BP_MAX_DEVICES windows fit the device area. */
_Static_assert(BP_MAX_DEVICES *BH_DEVICE_WINDOW <= BH_DEVICE_END - BH_DEVICE_BASE,
               "device windows");

/* Copies @src into a zero-filled name field, cutting it at BP_NAME_LEN - 1 characters. */
static void copy_name(char *dst, const char *src)
{
	memset(dst, 0, BP_NAME_LEN);
	if (src)
		memcpy(dst, src, strnlen(src, BP_NAME_LEN - 1));
}

static void *table(size_t n, size_t size)
{
	void *p = calloc(n + 1, size);

	if (!p)
		abort();
	return p;
}

/* ---- modules: one per distinct ELF file ---- */

static int find_module(const struct layout *l, const char *name, const char *path)
{
	for (size_t i = 0; i < l->n_modules; i++)
		if ((name && strcmp(l->modules[i].name, name) == 0) ||
		    (path && l->modules[i].path && strcmp(l->modules[i].path, path) == 0))
			return (int)i;
	return -1;
}

static void add_module(struct layout *l, const char *name, const char *path)
{
	struct l_module *mod = &l->modules[l->n_modules++];

	copy_name(mod->name, name);
	mod->path = path;
}

/* A unique module name for a path image: its file name without .elf, made a valid name. */
static void derive_module_name(const struct layout *l, const char *path, char *out)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strlen(base);
	char stem[BP_NAME_LEN];

	if (len > 4 && strcmp(base + len - 4, ".elf") == 0)
		len -= 4;
	len = len > 24 ? 24 : len;
	for (size_t i = 0; i < len; i++) {
		char c = base[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		stem[i] = ok ? c : '_';
	}
	stem[len] = '\0';
	snprintf(out, BP_NAME_LEN, "%s", len ? stem : "image");
	for (unsigned n = 2; find_module(l, out, NULL) >= 0 || strcmp(out, "plan") == 0; n++)
		snprintf(out, BP_NAME_LEN, "%s-%u", len ? stem : "image", n);
}

/* With @programs, adds @image as a module if it is a program; otherwise, if it is a path. */
static void add_image(struct layout *l, const char *image, const char *path, bool programs)
{
	char name[BP_NAME_LEN];

	if (find_module(l, NULL, path) >= 0 || (strchr(image, '/') == NULL) != programs)
		return;
	if (programs) {
		add_module(l, image, path);
		return;
	}
	derive_module_name(l, path, name);
	add_module(l, name, path);
}

/* Program images keep their names; path images get derived names that avoid them. Each
 * domain's image, then its alternatives. */
static void build_modules(const struct manifest *m, struct layout *l)
{
	size_t n = m->n_domains;

	for (size_t i = 0; i < m->n_domains; i++)
		n += m->domains[i].n_alts;
	l->modules = table(n, sizeof(*l->modules));
	for (int programs = 1; programs >= 0; programs--)
		for (size_t i = 0; i < m->n_domains; i++) {
			const struct m_domain *d = &m->domains[i];
			add_image(l, d->image, d->img.path, programs);
			for (size_t k = 0; k < d->n_alts; k++)
				add_image(l, d->alts[k].image, d->alts[k].img.path, programs);
		}
}

/* Every <alternative>, domain by domain, numbered from 1 in each domain. */
static void build_images(const struct manifest *m, struct layout *l)
{
	l->images = table(l->n_modules, sizeof(*l->images) * BP_MAX_ALTERNATIVES);
	for (size_t i = 0; i < m->n_domains; i++)
		for (size_t k = 0; k < m->domains[i].n_alts; k++) {
			const struct m_alternative *a = &m->domains[i].alts[k];
			struct bp_image *im = &l->images[l->n_images++];
			copy_name(im->image, l->modules[find_module(l, NULL, a->img.path)].name);
			memcpy(im->image_sha256, a->img.sha256, sizeof(im->image_sha256));
			im->domain = (uint32_t)i;
			im->index = (uint32_t)k + 1;
		}
}

/* One fault page per <control> with faults, holder by holder in document order. */
static void build_fault_list(const struct manifest *m, struct layout *l)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_domains; i++)
		n += m->domains[i].n_controls;
	l->lfaults = table(n, sizeof(*l->lfaults));
	l->faults = table(n, sizeof(*l->faults));
	for (size_t i = 0; i < m->n_domains; i++)
		for (size_t k = 0; k < m->domains[i].n_controls; k++) {
			const struct m_control *c = &m->domains[i].controls[k];
			if (!(c->rights & BH_RIGHT_FAULTS))
				continue;
			struct l_fault *f = &l->lfaults[l->n_faults++];
			f->holder = (uint32_t)i;
			f->target = (uint32_t)c->target_idx;
			f->line = c->line;
		}
}

/* ---- rings and channel ids ---- */

static void build_rings(const struct manifest *m, struct layout *l)
{
	l->rings = table(m->n_rings + m->n_domains, sizeof(*l->rings));
	for (size_t i = 0; i < m->n_rings; i++) {
		const struct m_ring *mr = &m->rings[i];
		struct l_ring *r = &l->rings[l->n_rings++];
		r->name = mr->name;
		copy_name(r->region_name, mr->name);
		r->line = mr->line;
		r->domain[0] = (uint32_t)mr->client_idx;
		r->domain[1] = (uint32_t)mr->server_idx;
		r->size = mr->size;
	}
	for (size_t i = 0; m->console >= 0 && i < m->n_domains; i++) {
		char region[64];
		if ((int)i == m->console)
			continue;
		struct l_ring *r = &l->rings[l->n_rings++];
		snprintf(region, sizeof(region), "stdout.%s", m->domains[i].name);
		r->name = "stdout";
		copy_name(r->region_name, region);
		r->line = m->domains[i].line;
		r->is_stdout = true;
		r->domain[0] = (uint32_t)i;
		r->domain[1] = (uint32_t)m->console;
		r->size = MANIFEST_DEFAULT_RING_SIZE;
	}
}

/* Takes the highest channel id domain @d does not use yet. */
static bool take_id(struct layout *l, uint32_t d, uint32_t *id)
{
	for (int i = (int)BP_MAX_CHANNEL_BITS - 1; i >= 0; i--) {
		if (!(l->ld[d].used_ids & (1ull << i))) {
			l->ld[d].used_ids |= 1ull << i;
			*id = (uint32_t)i;
			return true;
		}
	}
	return false;
}

static void report_no_id(struct manifest *m, struct layout *l, const struct l_ring *r, int side)
{
	const char *dn = m->domains[r->domain[side]].name;

	if (l->ld[r->domain[side]].ids_exhausted)
		return;
	l->ld[r->domain[side]].ids_exhausted = true;
	if (r->is_stdout)
		diag_error(m->diag, r->line,
		           "no free channel id left in domain '%s' for the "
		           "stdout ring of '%s'; all 64 ids (0..63) are in use there: free one",
		           dn, m->domains[r->domain[0]].name);
	else
		diag_error(m->diag, r->line,
		           "no free channel id left in domain '%s' for ring "
		           "'%s'; all 64 ids (0..63) are in use there: free one",
		           dn, r->name);
}

static void report_no_fault_id(struct manifest *m, struct layout *l, const struct l_fault *f)
{
	if (l->ld[f->holder].ids_exhausted)
		return;
	l->ld[f->holder].ids_exhausted = true;
	diag_error(m->diag, f->line,
	           "no free channel id left in domain '%s' for the faults of '%s'; all 64 ids "
	           "(0..63) are in use there: free one",
	           m->domains[f->holder].name, m->domains[f->target].name);
}

/* Manifest ids (channel ends, device irqs) first; then the kernel log, then each fault
 * page, then each ring, from 63 downwards. */
static void assign_ids(struct manifest *m, struct layout *l)
{
	for (size_t c = 0; c < m->n_channels; c++)
		for (int s = 0; s < 2; s++)
			l->ld[m->channels[c].ends[s].domain_idx].used_ids |=
				1ull << m->channels[c].ends[s].id;
	for (size_t d = 0; d < m->n_domains; d++)
		for (size_t k = 0; k < m->domains[d].n_devices; k++)
			if (m->domains[d].devices[k].irq != BP_NONE)
				l->ld[d].used_ids |= 1ull << m->domains[d].devices[k].irq;
	if (m->console >= 0) {
		l->ld[m->console].ids_exhausted = !take_id(l, (uint32_t)m->console, &l->klog_bit);
		l->klog_domain = (uint32_t)m->console;
		if (l->ld[m->console].ids_exhausted)
			diag_error(m->diag, m->domains[m->console].line,
			           "no free channel id left "
			           "in console domain '%s' for the kernel log; all 64 ids (0..63) "
			           "are in use there: free one",
			           m->domains[m->console].name);
	}
	for (size_t i = 0; i < l->n_faults; i++)
		if (!take_id(l, l->lfaults[i].holder, &l->lfaults[i].bit))
			report_no_fault_id(m, l, &l->lfaults[i]);
	for (size_t i = 0; i < l->n_rings; i++)
		for (int s = 0; s < 2; s++)
			if (!take_id(l, l->rings[i].domain[s], &l->rings[i].id[s]))
				report_no_id(m, l, &l->rings[i], s);
}

/* ---- regions and channels ---- */

static void add_region(struct layout *l, const char *name, uint64_t size, uint32_t flags)
{
	struct bp_region *r = &l->regions[l->n_regions++];

	copy_name(r->name, name);
	r->size = size;
	r->flags = flags;
}

static void build_regions(const struct manifest *m, struct layout *l)
{
	l->regions = table(m->n_regions + l->n_rings + l->n_faults + 1, sizeof(*l->regions));
	for (size_t i = 0; i < m->n_regions; i++)
		add_region(l, m->regions[i].name, m->regions[i].size,
		           m->regions[i].code_sharing ? BP_REGION_WX_SHARED :
		           m->regions[i].module       ? BP_REGION_MODULE :
		                                        0);
	for (size_t i = 0; i < l->n_rings; i++) {
		l->rings[i].region = (uint32_t)l->n_regions;
		add_region(l, l->rings[i].region_name, l->rings[i].size, BP_REGION_RING);
	}
	if (m->console >= 0) {
		l->klog_region = (uint32_t)l->n_regions;
		add_region(l, "klog", LAYOUT_KLOG_SIZE, BP_REGION_KLOG);
	}
	for (size_t i = 0; i < l->n_faults; i++) {
		struct l_fault *f = &l->lfaults[i];
		char name[64];
		snprintf(name, sizeof(name), "fault.%s", m->domains[f->target].name);
		f->region = (uint32_t)l->n_regions;
		add_region(l, name, LAYOUT_FAULT_SIZE, BP_REGION_FAULT);
		l->faults[i] = (struct bp_fault){f->target, f->holder, f->region, f->bit};
	}
}

static void build_channels(const struct manifest *m, struct layout *l)
{
	l->channels = table(m->n_channels + l->n_rings, sizeof(*l->channels));
	for (size_t c = 0; c < m->n_channels; c++) {
		struct bp_channel *ch = &l->channels[l->n_channels++];
		for (int s = 0; s < 2; s++) {
			ch->domain[s] = (uint32_t)m->channels[c].ends[s].domain_idx;
			ch->bit[s] = m->channels[c].ends[s].id;
		}
	}
	for (size_t i = 0; i < l->n_rings; i++) {
		struct bp_channel *ch = &l->channels[l->n_channels];
		l->rings[i].channel = (uint32_t)l->n_channels++;
		for (int s = 0; s < 2; s++) {
			ch->domain[s] = l->rings[i].domain[s];
			ch->bit[s] = l->rings[i].id[s];
		}
	}
}

/* ---- per domain: maps, caps, ioports, start info ---- */

/* Picks the next vaddr in domain @d's ring area: aligned to @size rounded up to a
 * power of two, with an unmapped guard page before and after. */
static bool place(struct layout *l, uint32_t d, uint64_t size, uint64_t *vaddr)
{
	struct l_domain *ld = &l->ld[d];
	uint64_t align = BH_PAGE_SIZE, v;

	while (align < size && align < (1ull << 62))
		align <<= 1;
	if (!ld->next_vaddr)
		ld->next_vaddr = BH_RING_BASE + BH_PAGE_SIZE;
	if (align < size || !value_align_up(ld->next_vaddr, align, &v) || v > BH_RING_END ||
	    size + BH_PAGE_SIZE > BH_RING_END - v)
		return false;
	ld->next_vaddr = v + size + BH_PAGE_SIZE;
	*vaddr = v;
	return true;
}

static void add_map(struct layout *l, uint64_t vaddr, uint32_t region, uint32_t rights,
                    uint32_t flags)
{
	struct bp_map *mp = &l->maps[l->n_maps++];

	mp->vaddr = vaddr;
	mp->region = region;
	mp->rights = (uint16_t)rights;
	mp->flags = (uint16_t)flags;
}

static void report_ring_area(struct manifest *m, struct l_ring *r, uint32_t d)
{
	char a[32];

	if (r->unplaced)
		return;
	r->unplaced = true;
	diag_error(m->diag, r->line,
	           "%s '%s' does not fit into the ring area of domain '%s' "
	           "(%s at 0x%llx); make its rings smaller",
	           r->is_stdout ? "the stdout ring of" : "ring",
	           r->is_stdout ? m->domains[r->domain[0]].name : r->name, m->domains[d].name,
	           value_format_size(BH_RING_END - BH_RING_BASE, a, sizeof(a)),
	           (unsigned long long)BH_RING_BASE);
}

/* Each fault page @d holds: read-only, in its ring area. */
static void build_fault_maps(struct manifest *m, struct layout *l, uint32_t d)
{
	char a[32];

	for (size_t i = 0; i < l->n_faults; i++) {
		struct l_fault *f = &l->lfaults[i];
		if (f->holder != d)
			continue;
		if (place(l, d, LAYOUT_FAULT_SIZE, &f->vaddr)) {
			add_map(l, f->vaddr, f->region, BH_RIGHT_READ, 0);
			continue;
		}
		diag_error(m->diag, f->line,
		           "the fault page of '%s' does not fit into the ring area of domain '%s' "
		           "(%s at 0x%llx); make its rings smaller",
		           m->domains[f->target].name, m->domains[d].name,
		           value_format_size(BH_RING_END - BH_RING_BASE, a, sizeof(a)),
		           (unsigned long long)BH_RING_BASE);
	}
}

/* Manifest maps, then the kernel log (console only), then its fault pages, then every ring
 * of @d. */
static void build_maps(struct manifest *m, struct layout *l, uint32_t d)
{
	const struct m_domain *md = &m->domains[d];
	struct bp_domain *bd = &l->domains[d];

	bd->first_map = (uint32_t)l->n_maps;
	for (size_t j = 0; j < md->n_maps; j++)
		add_map(l, md->maps[j].vaddr, (uint32_t)md->maps[j].region_idx, md->maps[j].rights,
		        md->maps[j].dma ? BP_MAP_DMA : 0);
	if ((int)d == m->console && place(l, d, LAYOUT_KLOG_SIZE, &l->ld[d].klog_vaddr))
		add_map(l, l->ld[d].klog_vaddr, l->klog_region, BH_RIGHT_READ, 0);
	build_fault_maps(m, l, d);
	for (size_t i = 0; i < l->n_rings; i++) {
		struct l_ring *r = &l->rings[i];
		for (int s = 0; s < 2; s++) {
			if (r->domain[s] != d)
				continue;
			if (place(l, d, r->size, &r->vaddr[s]))
				add_map(l, r->vaddr[s], r->region, BH_RIGHT_READ | BH_RIGHT_WRITE,
				        0);
			else
				report_ring_area(m, r, d);
		}
	}
	bd->n_maps = (uint32_t)l->n_maps - bd->first_map;
}

static uint32_t add_cap(struct layout *l, uint32_t d, uint16_t type, uint16_t rights,
                        uint32_t object, uint32_t end)
{
	struct bp_cap *c = &l->caps[l->n_caps++];

	c->slot = (uint32_t)(l->n_caps - 1 - l->domains[d].first_cap);
	c->type = type;
	c->rights = rights;
	c->object = object;
	c->end = end;
	return c->slot;
}

/* Per domain: the slot of each map, ioport range, device and <control> (build_caps). */
struct slots {
	uint32_t *map, *io, *dev, *ctl;
};

/* Slots from 0: channel ends in channel order, manifest maps, ioports, devices, controls. Records
 * the slots in @chan_slot (2 per channel) and @own (per domain). */
static void build_caps(const struct manifest *m, struct layout *l, uint32_t d, uint32_t *chan_slot,
                       const struct slots *own)
{
	const struct m_domain *md = &m->domains[d];
	struct bp_domain *bd = &l->domains[d];

	bd->first_cap = (uint32_t)l->n_caps;
	for (size_t c = 0; c < l->n_channels; c++) {
		for (uint32_t s = 0; s < 2; s++) {
			if (l->channels[c].domain[s] != d)
				continue;
			bool sig = c >= m->n_channels || m->channels[c].ends[s].signal;
			chan_slot[2 * c + s] = add_cap(l, d, BH_CAP_CHANNEL,
			                               sig ? BH_RIGHT_SIGNAL : 0, (uint32_t)c, s);
		}
	}
	for (size_t j = 0; j < md->n_maps; j++)
		own->map[j] = add_cap(l, d, BH_CAP_REGION, (uint16_t)md->maps[j].rights,
		                      bd->first_map + (uint32_t)j, 0);
	for (size_t k = 0; k < md->n_ioports; k++)
		own->io[k] = add_cap(l, d, BH_CAP_IOPORT, BH_RIGHT_READ | BH_RIGHT_WRITE,
		                     bd->first_ioport + (uint32_t)k, 0);
	for (size_t k = 0; k < md->n_devices; k++)
		own->dev[k] = add_cap(l, d, BH_CAP_DEVICE, BH_RIGHT_READ | BH_RIGHT_WRITE,
		                      l->ld[d].first_device + (uint32_t)k, 0);
	for (size_t k = 0; k < md->n_controls; k++)
		own->ctl[k] = add_cap(l, d, BH_CAP_DOMAIN, (uint16_t)md->controls[k].rights,
		                      (uint32_t)md->controls[k].target_idx, 0);
	bd->n_caps = (uint32_t)l->n_caps - bd->first_cap;
}

/* Domain @d's devices, in document order; its k-th device gets the k-th window. */
static void build_devices(const struct manifest *m, struct layout *l, uint32_t d)
{
	const struct m_domain *md = &m->domains[d];

	l->ld[d].first_device = (uint32_t)l->n_devices;
	for (size_t k = 0; k < md->n_devices; k++) {
		const struct m_device *dev = &md->devices[k];
		struct bp_device *bd = &l->devices[l->n_devices++];
		copy_name(bd->name, dev->name);
		bd->domain = d;
		bd->pci = dev->pci;
		bd->irq_bit = dev->irq;
		bd->flags = dev->unconfined ? BP_DEVICE_DMA_UNCONFINED : 0;
		bd->window = BH_DEVICE_BASE + k * BH_DEVICE_WINDOW;
		bd->window_size = BH_DEVICE_WINDOW;
	}
}

static void build_ioports(const struct manifest *m, struct layout *l, uint32_t d)
{
	const struct m_domain *md = &m->domains[d];

	l->domains[d].first_ioport = (uint32_t)l->n_ioports;
	for (size_t k = 0; k < md->n_ioports; k++) {
		struct bp_ioport *io = &l->ioports[l->n_ioports++];
		io->base = (uint16_t)md->ioports[k].base;
		io->count = (uint16_t)md->ioports[k].count;
		io->flags = md->ioports[k].machine ? BP_IOPORT_MACHINE : 0;
	}
	l->domains[d].n_ioports = (uint32_t)md->n_ioports;
}

static void build_domain_record(const struct manifest *m, struct layout *l, uint32_t d,
                                uint32_t module)
{
	const struct m_domain *md = &m->domains[d];
	struct bp_domain *bd = &l->domains[d];

	copy_name(bd->name, md->name);
	copy_name(bd->image, l->modules[module].name);
	bd->stack_size = md->stack;
	bd->heap_size = md->heap;
	bd->budget_us = md->budget_us;
	bd->period_us = md->period_us;
	bd->priority = md->priority;
	bd->flags = md->ssbd ? BP_DOMAIN_SSBD : 0;
	memcpy(bd->image_sha256, md->img.sha256, sizeof(bd->image_sha256));
}

/* ---- start info ---- */

struct entry_args {
	const char *name, *peer;
	uint32_t kind, flags;
	uint64_t vaddr, size;
	uint32_t slot, bit;
};

static void add_entry(struct bh_start_info *info, const struct entry_args *a)
{
	if (info->n_entries >= BH_INFO_MAX_ENTRIES) {
		info->n_entries++; /* counted for the error; trimmed before writing */
		return;
	}
	struct bh_info_entry *e = &info->entries[info->n_entries++];
	copy_name(e->name, a->name);
	copy_name(e->peer, a->peer);
	e->kind = a->kind;
	e->flags = a->flags;
	e->vaddr = a->vaddr;
	e->size = a->size;
	e->slot = a->slot;
	e->bit = a->bit;
}

static void info_header(const struct manifest *m, struct layout *l, uint32_t d)
{
	struct bh_start_info *info = &l->infos[d];
	const struct m_domain *md = &m->domains[d];

	info->magic = BH_INFO_MAGIC;
	info->version = BH_INFO_VERSION;
	copy_name(info->domain_name, md->name);
	copy_name(info->system_name, m->name);
	info->heap_base = BH_HEAP_VADDR;
	info->heap_size = md->heap;
	info->stack_top = BH_STACK_TOP;
	info->stack_size = md->stack;
	info->domain_index = d;
	info->priority = md->priority;
}

/* Whether region @r is the heartbeat page of a <supervise> of domain @d. */
static bool is_heartbeat(const struct manifest *m, uint32_t d, int r)
{
	for (size_t i = 0; i < m->n_domains; i++)
		for (size_t k = 0; k < m->domains[i].n_supervises; k++)
			if (m->domains[i].supervises[k].target_idx == (int)d &&
			    m->domains[i].supervises[k].heartbeat_idx == r)
				return true;
	return false;
}

static void info_maps(const struct manifest *m, struct layout *l, uint32_t d,
                      const uint32_t *map_slot)
{
	const struct m_domain *md = &m->domains[d];

	for (size_t j = 0; j < md->n_maps; j++) {
		const struct m_map *mp = &md->maps[j];
		uint32_t flags = mp->rights | (mp->dma ? BH_INFO_MAP_DMA : 0) |
		                 (is_heartbeat(m, d, mp->region_idx) ? BH_INFO_MAP_HEARTBEAT : 0);
		struct entry_args a = {mp->region,  "",        BH_RES_MAP,
		                       flags,       mp->vaddr, m->regions[mp->region_idx].size,
		                       map_slot[j], 0};
		add_entry(&l->infos[d], &a);
	}
}

static void info_channels(const struct manifest *m, struct layout *l, uint32_t d,
                          const uint32_t *chan_slot)
{
	for (size_t c = 0; c < m->n_channels; c++) {
		const struct m_channel *ch = &m->channels[c];
		for (int s = 0; s < 2; s++) {
			if ((uint32_t)ch->ends[s].domain_idx != d)
				continue;
			const char *peer = m->domains[ch->ends[1 - s].domain_idx].name;
			struct entry_args a = {ch->name ? ch->name : peer,
			                       peer,
			                       BH_RES_CHANNEL,
			                       ch->ends[s].signal ? BH_RIGHT_SIGNAL : 0,
			                       0,
			                       0,
			                       chan_slot[2 * c + s],
			                       ch->ends[s].id};
			add_entry(&l->infos[d], &a);
		}
	}
}

static void info_rings(const struct manifest *m, struct layout *l, uint32_t d,
                       const uint32_t *chan_slot)
{
	for (size_t i = 0; i < l->n_rings; i++) {
		const struct l_ring *r = &l->rings[i];
		for (int s = 0; s < 2; s++) {
			if (r->domain[s] != d)
				continue;
			struct entry_args a = {r->name,
			                       m->domains[r->domain[1 - s]].name,
			                       BH_RES_RING,
			                       s ? BH_RING_SERVER : BH_RING_CLIENT,
			                       r->vaddr[s],
			                       r->size,
			                       chan_slot[2 * r->channel + s],
			                       r->id[s]};
			add_entry(&l->infos[d], &a);
		}
	}
}

/* Each device: its window, its cap, its irq id (BP_NONE without), its PCI address. */
static void info_devices(struct layout *l, uint32_t d, const uint32_t *dev_slot)
{
	for (uint32_t k = l->ld[d].first_device; k < l->n_devices && l->devices[k].domain == d;
	     k++) {
		const struct bp_device *dev = &l->devices[k];
		struct entry_args a = {dev->name,
		                       "",
		                       BH_RES_DEVICE,
		                       dev->pci,
		                       dev->window,
		                       dev->window_size,
		                       dev_slot[k - l->ld[d].first_device],
		                       dev->irq_bit};
		add_entry(&l->infos[d], &a);
	}
}

/* Each volume a storage service serves: ring name, data region, first sector, sectors. */
static void info_volumes(const struct manifest *m, struct layout *l, uint32_t d)
{
	const struct m_domain *md = &m->domains[d];

	for (size_t k = 0; k < md->n_volumes; k++) {
		const struct m_volume *v = &md->volumes[k];
		struct entry_args a = {v->name,       v->data,
		                       BH_RES_VOLUME, v->ro ? BH_VOLUME_RO : 0,
		                       v->first,      v->sectors,
		                       BH_NO_SLOT,    0};
		add_entry(&l->infos[d], &a);
	}
}

/* Each switch port, in the switch and in its client: ring, data region, MAC, IPv4. */
static void info_ports(const struct manifest *m, struct layout *l, uint32_t d)
{
	for (size_t s = 0; s < m->n_domains; s++)
		for (size_t k = 0; k < m->domains[s].n_ports; k++) {
			const struct m_port *p = &m->domains[s].ports[k];
			uint64_t mac = 0;
			uint32_t ip = 0;
			if (s != d && manifest_find_domain(m, p->client) != (int)d)
				continue;
			(void)port_parse_mac(p->mac ? p->mac : "", &mac);
			if (!p->ipv4 || !port_parse_ipv4(p->ipv4, &ip))
				ip = 0;
			uint32_t flags = (ip ? BH_PORT_IPV4 : 0) | (s == d ? BH_PORT_SWITCH : 0);
			struct entry_args a = {p->name, p->data, BH_RES_PORT, flags,
			                       mac,     ip,      BH_NO_SLOT,  0};
			add_entry(&l->infos[d], &a);
		}
}

static void info_ioports_klog(const struct manifest *m, struct layout *l, uint32_t d,
                              const struct slots *s)
{
	const struct m_domain *md = &m->domains[d];

	for (size_t k = 0; k < md->n_ioports; k++) {
		struct entry_args a = {"ioport",
		                       "",
		                       BH_RES_IOPORT,
		                       BH_RIGHT_READ | BH_RIGHT_WRITE,
		                       md->ioports[k].base,
		                       md->ioports[k].count,
		                       s->io[k],
		                       0};
		add_entry(&l->infos[d], &a);
	}
	info_devices(l, d, s->dev);
	if ((int)d == m->console) {
		struct entry_args a = {"klog",
		                       "",
		                       BH_RES_KLOG,
		                       BH_RIGHT_READ,
		                       l->ld[d].klog_vaddr,
		                       LAYOUT_KLOG_SIZE,
		                       BH_NO_SLOT,
		                       l->klog_bit};
		add_entry(&l->infos[d], &a);
	}
}

/* Each <control>: its target, cap, rights and, with faults, its fault page and bit. */
static void info_controls(const struct manifest *m, struct layout *l, uint32_t d,
                          const uint32_t *ctl_slot)
{
	const struct m_domain *md = &m->domains[d];

	for (size_t k = 0; k < md->n_controls; k++) {
		const struct m_control *c = &md->controls[k];
		struct entry_args a = {c->target, "", BH_RES_DOMAIN, c->rights,
		                       0,         0,  ctl_slot[k],   BP_NONE};
		for (size_t i = 0; i < l->n_faults; i++)
			if (l->lfaults[i].holder == d &&
			    l->lfaults[i].target == (uint32_t)c->target_idx) {
				a.vaddr = l->lfaults[i].vaddr;
				a.size = LAYOUT_FAULT_SIZE;
				a.bit = l->lfaults[i].bit;
			}
		add_entry(&l->infos[d], &a);
	}
}

/* Each <supervise>: the policy its supervisor follows (info.h, BH_RES_POLICY). */
static void info_policies(const struct manifest *m, struct layout *l, uint32_t d)
{
	const struct m_domain *md = &m->domains[d];

	for (size_t k = 0; k < md->n_supervises; k++) {
		const struct m_supervise *s = &md->supervises[k];
		uint32_t flags = (uint32_t)s->max_restarts |
		                 (s->on_fault ? BH_POLICY_ON_FAULT : 0) |
		                 (s->on_hang ? BH_POLICY_ON_HANG : 0);
		struct entry_args a = {s->target,
		                       s->heartbeat ? s->heartbeat : "",
		                       BH_RES_POLICY,
		                       flags,
		                       s->watchdog_ms * 1000,
		                       s->window_ms * 1000,
		                       (uint32_t)(s->backoff_ms * 1000),
		                       (uint32_t)s->replace_after_ms};
		add_entry(&l->infos[d], &a);
	}
}

/* Reports a domain whose capabilities or start-info entries exceed their tables; not
 * for a domain out of channel ids, whose error already says it has too much. */
static void check_domain_limits(struct manifest *m, struct layout *l, uint32_t d)
{
	const struct m_domain *md = &m->domains[d];
	struct bh_start_info *info = &l->infos[d];
	bool quiet = l->ld[d].ids_exhausted;

	if (!quiet && l->domains[d].n_caps > BH_MAX_CAPS)
		diag_error(m->diag, md->line,
		           "domain '%s' needs %u capabilities (channel and ring "
		           "ends, maps, ioports, devices, controls) but a domain has %u slots; "
		           "remove some",
		           md->name, l->domains[d].n_caps, BH_MAX_CAPS);
	else if (!quiet && info->n_entries > BH_INFO_MAX_ENTRIES)
		diag_error(m->diag, md->line,
		           "domain '%s' has %u named resources (maps, channels, "
		           "rings incl. stdout, ioports, devices, klog, volumes, controls) but its "
		           "start-info page "
		           "holds %u; remove some",
		           md->name, info->n_entries, BH_INFO_MAX_ENTRIES);
	if (info->n_entries > BH_INFO_MAX_ENTRIES)
		info->n_entries = BH_INFO_MAX_ENTRIES;
}

static void build_domain(struct manifest *m, struct layout *l, uint32_t d, uint32_t *chan_slot)
{
	const struct m_domain *md = &m->domains[d];
	struct slots s = {table(md->n_maps, sizeof(uint32_t)),
	                  table(md->n_ioports, sizeof(uint32_t)),
	                  table(md->n_devices, sizeof(uint32_t)),
	                  table(md->n_controls, sizeof(uint32_t))};

	build_domain_record(m, l, d, (uint32_t)find_module(l, NULL, md->img.path));
	build_maps(m, l, d);
	build_ioports(m, l, d);
	build_devices(m, l, d);
	build_caps(m, l, d, chan_slot, &s);
	info_header(m, l, d);
	info_maps(m, l, d, s.map);
	info_channels(m, l, d, chan_slot);
	info_rings(m, l, d, chan_slot);
	info_ioports_klog(m, l, d, &s);
	info_volumes(m, l, d);
	info_ports(m, l, d);
	info_controls(m, l, d, s.ctl);
	info_policies(m, l, d);
	check_domain_limits(m, l, d);
	free(s.map);
	free(s.io);
	free(s.dev);
	free(s.ctl);
}

/* ---- the whole plan ---- */

static void check_total(struct manifest *m, size_t n, uint32_t max, const char *what)
{
	if (n > max)
		diag_error(m->diag, m->line,
		           "the system needs %zu %s but the kernel holds at most "
		           "%u; simplify the system",
		           n, what, max);
}

static void check_totals(struct manifest *m, const struct layout *l)
{
	check_total(m, l->n_regions, BP_MAX_REGIONS,
	            "regions (each ring and the kernel log "
	            "count as one)");
	check_total(m, l->n_maps, BP_MAX_MAPS,
	            "maps (each ring end and the kernel log count "
	            "as one)");
	check_total(m, l->n_channels, BP_MAX_CHANNELS, "channels (each ring counts as one)");
	check_total(m, l->n_caps, BP_MAX_CAPS_TOTAL, "capabilities");
	check_total(m, l->n_ioports, BP_MAX_IOPORTS, "ioport ranges");
}

static void alloc_tables(const struct manifest *m, struct layout *l)
{
	size_t maps = l->n_rings * 2 + 1 + l->n_faults, ioports = 0, devices = device_count(m);
	size_t controls = 0;

	for (size_t i = 0; i < m->n_domains; i++) {
		maps += m->domains[i].n_maps;
		ioports += m->domains[i].n_ioports;
		controls += m->domains[i].n_controls;
	}
	l->n_domains = m->n_domains;
	l->domains = table(m->n_domains, sizeof(*l->domains));
	l->infos = table(m->n_domains, sizeof(*l->infos));
	l->maps = table(maps, sizeof(*l->maps));
	l->ioports = table(ioports, sizeof(*l->ioports));
	l->devices = table(devices, sizeof(*l->devices));
	l->caps = table(maps + ioports + devices + controls + 2 * l->n_channels, sizeof(*l->caps));
}

void layout_build(struct manifest *m, struct layout *l, uint32_t flags)
{
	l->flags = flags;
	l->memory_bytes = m->memory;
	l->klog_domain = l->klog_region = l->klog_bit = BP_NONE;
	l->ld = table(m->n_domains, sizeof(*l->ld));
	build_modules(m, l);
	build_images(m, l);
	build_rings(m, l);
	build_fault_list(m, l);
	assign_ids(m, l);
	build_regions(m, l);
	build_channels(m, l);
	alloc_tables(m, l);
	uint32_t *chan_slot = table(2 * l->n_channels, sizeof(uint32_t));
	for (uint32_t d = 0; d < m->n_domains; d++)
		build_domain(m, l, d, chan_slot);
	free(chan_slot);
	check_totals(m, l);
	memory_account(m, l);
}

void layout_free(struct layout *l)
{
	free(l->domains);
	free(l->regions);
	free(l->maps);
	free(l->channels);
	free(l->caps);
	free(l->ioports);
	free(l->infos);
	free(l->devices);
	free(l->images);
	free(l->faults);
	free(l->lfaults);
	free(l->rings);
	free(l->ld);
	free(l->modules);
	memset(l, 0, sizeof(*l));
}
