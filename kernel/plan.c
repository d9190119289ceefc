/* Boot-plan checker: validates an untrusted plan before the kernel uses it. */
#include <kernel/plan.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/info.h>
#include <bulkhead/abi/layout.h>
#include <kernel/crc32.h>

#include "plan_check.h"

/*
 * Freestanding: no allocation, no globals, no recursion; every loop is bounded
 * by a table count that was checked against its BP_MAX_* first. Messages are
 * built with snprintf only (the kernel has no vsnprintf): a check formats its
 * detail into a small buffer and hands it to plan_fail() or plan_fail_domain(), which
 * return the class of the problem (enum plan_err); every check returns
 * PLAN_OK or that class.
 */

enum plan_err plan_fail(struct checker *c, enum plan_err e, const char *msg)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s", msg);
	return e;
}

enum plan_err plan_fail_domain(struct checker *c, enum plan_err e, uint32_t d, const char *msg)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "domain %u (\"%s\"): %s", d, c->t.domains[d].name, msg);
	return e;
}

bool plan_name_ok(const char *name)
{
	return name[0] != '\0' && strnlen(name, BP_NAME_LEN) < BP_NAME_LEN;
}

/*
 * Needs: plan_name_ok(@name). Names end up in the kernel's serial lines (this
 * checker's reasons among them): a control byte, such as a newline, could forge
 * a line of its own.
 */
bool plan_name_printable(const char *name)
{
	for (; *name; name++)
		if (*name < 0x21 || *name > 0x7e)
			return false;
	return true;
}

bool plan_same_name(const char *a, const char *b)
{
	size_t len = strnlen(a, BP_NAME_LEN);
	return len == strnlen(b, BP_NAME_LEN) && memcmp(a, b, len) == 0;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* Needs: plan_name_ok(@name) and plan_name_ok(@reserved); compares without regard to ASCII case. */
static bool same_name_nocase(const char *name, const char *reserved)
{
	for (; *name && *reserved; name++, reserved++) {
		char a = *name >= 'A' && *name <= 'Z' ? (char)(*name - 'A' + 'a') : *name;
		if (a != *reserved)
			return false;
	}
	return *name == *reserved;
}

static bool name_reserved(const char *name)
{
	return same_name_nocase(name, BP_RESERVED_NAME_KERNEL) ||
	       same_name_nocase(name, BP_RESERVED_NAME_BULKHEAD);
}

/* ---- header ---- */

static uint32_t plan_crc(const struct bp_header *h)
{
	const uint32_t zero = 0;
	const char *p = (const char *)h;
	size_t at = offsetof(struct bp_header, checksum);
	uint32_t crc = crc32_update(0, p, at);

	crc = crc32_update(crc, &zero, sizeof(zero));
	return crc32_update(crc, p + at + sizeof(zero), h->total_size - at - sizeof(zero));
}

static enum plan_err check_header(struct checker *c)
{
	const struct bp_header *h = c->h;
	size_t len = c->len;
	char m[MSG_LEN];

	if (len < sizeof(*h)) {
		snprintf(m, sizeof(m), "plan too short: %llu bytes, the header alone has %u",
		         (unsigned long long)len, (unsigned)sizeof(*h));
		return plan_fail(c, PLAN_ERR_HEADER, m);
	}
	if (h->magic != BP_MAGIC) {
		snprintf(m, sizeof(m), "bad magic 0x%llx: not a boot plan",
		         (unsigned long long)h->magic);
		return plan_fail(c, PLAN_ERR_HEADER, m);
	}
	if (h->version != BP_VERSION) {
		snprintf(m, sizeof(m), "version %u, this kernel reads version %u", h->version,
		         BP_VERSION);
		return plan_fail(c, PLAN_ERR_HEADER, m);
	}
	if (h->header_size != sizeof(*h)) {
		snprintf(m, sizeof(m), "header_size %u, expected %u", h->header_size,
		         (unsigned)sizeof(*h));
		return plan_fail(c, PLAN_ERR_HEADER, m);
	}
	if (h->total_size > len) {
		snprintf(m, sizeof(m),
		         "total_size %u exceeds the %llu bytes loaded (truncated plan?)",
		         h->total_size, (unsigned long long)len);
		return plan_fail(c, PLAN_ERR_HEADER, m);
	}
	if (h->total_size < sizeof(*h)) {
		snprintf(m, sizeof(m), "total_size %u is smaller than the header", h->total_size);
		return plan_fail(c, PLAN_ERR_HEADER, m);
	}
	uint32_t crc = plan_crc(h);
	if (crc != h->checksum) {
		snprintf(m, sizeof(m), "checksum 0x%x does not match the plan's CRC-32 0x%x",
		         h->checksum, crc);
		return plan_fail(c, PLAN_ERR_CHECKSUM, m);
	}
	return PLAN_OK;
}

static enum plan_err check_header_fields(struct checker *c)
{
	char m[MSG_LEN];

	if (!plan_name_ok(c->h->system_name))
		return plan_fail(c, PLAN_ERR_HEADER,
		                 "system_name is empty or not NUL-terminated within 32 bytes");
	if (!plan_name_printable(c->h->system_name))
		return plan_fail(c, PLAN_ERR_HEADER,
		                 "system_name has a byte that is not printable ASCII (0x21-0x7e)");
	if (c->h->flags & ~BP_FLAG_EXIT_WHEN_IDLE) {
		snprintf(m, sizeof(m), "unknown flags 0x%x", c->h->flags);
		return plan_fail(c, PLAN_ERR_HEADER, m);
	}
	return PLAN_OK;
}

/* ---- tables ---- */

struct table_desc {
	const char *name;
	struct bp_table t;
	uint32_t size, max;
};

static void describe_tables(const struct bp_header *h, struct table_desc *td)
{
	const struct table_desc all[] = {
		{"domains", h->domains, sizeof(struct bp_domain), BP_MAX_DOMAINS},
		{"regions", h->regions, sizeof(struct bp_region), BP_MAX_REGIONS},
		{"maps", h->maps, sizeof(struct bp_map), BP_MAX_MAPS},
		{"channels", h->channels, sizeof(struct bp_channel), BP_MAX_CHANNELS},
		{"caps", h->caps, sizeof(struct bp_cap), BP_MAX_CAPS_TOTAL},
		{"ioports", h->ioports, sizeof(struct bp_ioport), BP_MAX_IOPORTS},
		{"infos", h->infos, sizeof(struct bh_start_info), BP_MAX_DOMAINS},
		{"devices", h->devices, sizeof(struct bp_device), BP_MAX_DEVICES},
		{"images", h->images, sizeof(struct bp_image), BP_MAX_IMAGES},
		{"faults", h->faults, sizeof(struct bp_fault), BP_MAX_DOMAINS},
	};
	memcpy(td, all, sizeof(all));
}

#define N_TABLES 10u

static enum plan_err check_table(struct checker *c, const struct table_desc *d)
{
	char m[MSG_LEN];
	uint64_t end = (uint64_t)d->t.offset + (uint64_t)d->t.count * d->size;

	if (d->t.count > d->max) {
		snprintf(m, sizeof(m), "table %s: %u records, the kernel holds at most %u", d->name,
		         d->t.count, d->max);
		return plan_fail(c, PLAN_ERR_TABLE, m);
	}
	if (d->t.offset % 8) {
		snprintf(m, sizeof(m), "table %s: offset %u is not 8-byte aligned", d->name,
		         d->t.offset);
		return plan_fail(c, PLAN_ERR_TABLE, m);
	}
	if (d->t.count && (d->t.offset < c->h->header_size || end > c->h->total_size)) {
		snprintf(m, sizeof(m),
		         "table %s: %u records at offset %u lie outside the plan "
		         "body [%u, %u)",
		         d->name, d->t.count, d->t.offset, c->h->header_size, c->h->total_size);
		return plan_fail(c, PLAN_ERR_TABLE, m);
	}
	return PLAN_OK;
}

static enum plan_err check_tables(struct checker *c)
{
	struct table_desc td[N_TABLES];
	char m[MSG_LEN];

	describe_tables(c->h, td);
	for (uint32_t i = 0; i < N_TABLES; i++) {
		enum plan_err e = check_table(c, &td[i]);
		if (e)
			return e;
	}
	for (uint32_t i = 0; i < N_TABLES; i++) {
		for (uint32_t j = 0; j < i; j++) {
			if (!ranges_overlap(td[i].t.offset, (uint64_t)td[i].t.count * td[i].size,
			                    td[j].t.offset, (uint64_t)td[j].t.count * td[j].size))
				continue;
			snprintf(m, sizeof(m), "tables %s and %s overlap", td[j].name, td[i].name);
			return plan_fail(c, PLAN_ERR_TABLE, m);
		}
	}
	if (c->h->domains.count == 0)
		return plan_fail(c, PLAN_ERR_TABLE, "no domains");
	if (c->h->infos.count != c->h->domains.count) {
		snprintf(m, sizeof(m), "%u start-info pages for %u domains", c->h->infos.count,
		         c->h->domains.count);
		return plan_fail(c, PLAN_ERR_TABLE, m);
	}
	plan_tables(c->h, &c->t);
	return PLAN_OK;
}

void plan_tables(const struct bp_header *h, struct plan_tables *t)
{
	t->h = h;
	t->domains = plan_table(h, h->domains);
	t->regions = plan_table(h, h->regions);
	t->maps = plan_table(h, h->maps);
	t->channels = plan_table(h, h->channels);
	t->caps = plan_table(h, h->caps);
	t->ioports = plan_table(h, h->ioports);
	t->infos = plan_table(h, h->infos);
	t->devices = plan_table(h, h->devices);
	t->images = plan_table(h, h->images);
	t->faults = plan_table(h, h->faults);
}

/* ---- regions ---- */

static enum plan_err check_region(struct checker *c, uint32_t i)
{
	const struct bp_region *r = &c->t.regions[i];
	char m[MSG_LEN];
	const char *bad = NULL;

	if (!plan_name_ok(r->name))
		bad = "name is empty or not NUL-terminated within 32 bytes";
	else if (!plan_name_printable(r->name))
		bad = "name has a byte that is not printable ASCII (0x21-0x7e)";
	else if (r->size == 0 || r->size % BH_PAGE_SIZE)
		bad = "size is zero or not a page multiple";
	else if ((r->flags & ~(BP_REGION_RING | BP_REGION_KLOG | BP_REGION_WX_SHARED |
	                       BP_REGION_FAULT | BP_REGION_MODULE)) ||
	         (r->flags & (r->flags - 1)))
		bad = "unknown flags"; /* at most one: a ring or the log never holds code */
	else if ((r->flags & BP_REGION_KLOG) && r->size != BH_PAGE_SIZE)
		bad = "the kernel log region must be exactly one page";
	else if ((r->flags & BP_REGION_FAULT) && r->size != BH_PAGE_SIZE)
		bad = "a fault region must be exactly one page";
	else if (r->reserved)
		bad = "reserved field is not zero";
	if (!bad)
		return PLAN_OK;
	snprintf(m, sizeof(m), "region %u: %s", i, bad);
	return plan_fail(c, PLAN_ERR_REGION, m);
}

static enum plan_err check_regions(struct checker *c)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < c->h->regions.count; i++) {
		enum plan_err e = check_region(c, i);
		if (e)
			return e;
		if (c->t.regions[i].size > UINT64_MAX - total)
			return plan_fail(c, PLAN_ERR_REGION,
			                 "regions: the sum of their sizes overflows");
		total += c->t.regions[i].size;
	}
	return PLAN_OK;
}

/* ---- domains ---- */

static bool range_ok(uint32_t first, uint32_t n, uint32_t count)
{
	return (uint64_t)first + n <= count;
}

static const char *domain_problem(const struct checker *c, const struct bp_domain *d)
{
	if (!plan_name_ok(d->image))
		return "image is empty or not NUL-terminated within 32 bytes";
	if (!plan_name_printable(d->image))
		return "image has a byte that is not printable ASCII (0x21-0x7e)";
	if (d->priority > 255)
		return "priority above 255";
	if ((d->budget_us == 0) != (d->period_us == 0))
		return "budget and period must both be zero or both be set";
	if (d->budget_us > d->period_us)
		return "budget larger than its period";
	if (d->period_us > BP_MAX_PERIOD_US)
		return "period longer than BP_MAX_PERIOD_US (10 s)";
	if (d->budget_us && d->budget_us < BP_MIN_BUDGET_US)
		return "budget shorter than BP_MIN_BUDGET_US (10 us)";
	if (d->stack_size == 0 || d->stack_size % BH_PAGE_SIZE || d->stack_size > BH_STACK_MAX)
		return "stack size zero, not a page multiple or above the maximum";
	if (d->heap_size % BH_PAGE_SIZE || d->heap_size > BH_HEAP_MAX)
		return "heap size not a page multiple or above the maximum";
	if (d->flags & ~BP_DOMAIN_SSBD)
		return "unknown flags";
	if (!range_ok(d->first_map, d->n_maps, c->h->maps.count))
		return "its maps lie outside the maps table";
	if (!range_ok(d->first_cap, d->n_caps, c->h->caps.count))
		return "its caps lie outside the caps table";
	if (!range_ok(d->first_ioport, d->n_ioports, c->h->ioports.count))
		return "its ioports lie outside the ioports table";
	return NULL;
}

/* Two domains may not share a name or any map, cap or ioport record. */
static const char *pair_problem(const struct bp_domain *a, const struct bp_domain *b)
{
	if (plan_same_name(a->name, b->name))
		return "has the same name as";
	if (ranges_overlap(a->first_map, a->n_maps, b->first_map, b->n_maps))
		return "shares map records with";
	if (ranges_overlap(a->first_cap, a->n_caps, b->first_cap, b->n_caps))
		return "shares cap records with";
	if (ranges_overlap(a->first_ioport, a->n_ioports, b->first_ioport, b->n_ioports))
		return "shares ioport records with";
	return NULL;
}

static enum plan_err check_domains(struct checker *c)
{
	char m[MSG_LEN];

	for (uint32_t i = 0; i < c->h->domains.count; i++) {
		const struct bp_domain *d = &c->t.domains[i];
		if (!plan_name_ok(d->name)) {
			snprintf(m, sizeof(m),
			         "domain %u: name is empty or not NUL-terminated "
			         "within 32 bytes",
			         i);
			return plan_fail(c, PLAN_ERR_DOMAIN, m);
		}
		if (!plan_name_printable(d->name)) {
			snprintf(m, sizeof(m),
			         "domain %u: name has a byte that is not printable ASCII "
			         "(0x21-0x7e)",
			         i);
			return plan_fail(c, PLAN_ERR_DOMAIN, m);
		}
		const char *bad =
			name_reserved(d->name) ?
				"name is reserved: the kernel's lines start with bulkhead:" :
				domain_problem(c, d);
		if (bad)
			return plan_fail_domain(c, PLAN_ERR_DOMAIN, i, bad);
		for (uint32_t j = 0; j < i; j++) {
			bad = pair_problem(d, &c->t.domains[j]);
			if (!bad)
				continue;
			snprintf(m, sizeof(m), "%s domain %u", bad, j);
			return plan_fail_domain(c, PLAN_ERR_DOMAIN, i, m);
		}
	}
	return PLAN_OK;
}

/* ---- kernel log ---- */

static enum plan_err check_klog(struct checker *c)
{
	const struct bp_header *h = c->h;
	char m[MSG_LEN];

	if (h->klog_domain == BP_NONE && h->klog_region == BP_NONE && h->klog_bit == BP_NONE) {
		for (uint32_t i = 0; i < h->regions.count; i++) {
			if (c->t.regions[i].flags & BP_REGION_KLOG) {
				snprintf(m, sizeof(m),
				         "region %u: a kernel log region in a plan "
				         "without klog",
				         i);
				return plan_fail(c, PLAN_ERR_KLOG, m);
			}
		}
		return PLAN_OK;
	}
	if (h->klog_domain >= h->domains.count || h->klog_region >= h->regions.count ||
	    h->klog_bit >= BP_MAX_CHANNEL_BITS)
		return plan_fail(c, PLAN_ERR_KLOG,
		                 "klog_domain, klog_region and klog_bit must all be BP_NONE or all "
		                 "valid");
	for (uint32_t i = 0; i < h->regions.count; i++) {
		if (((c->t.regions[i].flags & BP_REGION_KLOG) != 0) != (i == h->klog_region)) {
			snprintf(m, sizeof(m),
			         "region %u: the KLOG flag must be on klog_region "
			         "(%u) and nowhere else",
			         i, h->klog_region);
			return plan_fail(c, PLAN_ERR_KLOG, m);
		}
	}
	c->bits[h->klog_domain] = 1ull << h->klog_bit;
	return PLAN_OK;
}

/* ---- channels ---- */

static enum plan_err check_channel_end(struct checker *c, uint32_t i, uint32_t e)
{
	const struct bp_channel *ch = &c->t.channels[i];
	char m[MSG_LEN];

	if (ch->domain[e] >= c->h->domains.count) {
		snprintf(m, sizeof(m), "channel %u: end %u names domain %u, which does not exist",
		         i, e, ch->domain[e]);
		return plan_fail(c, PLAN_ERR_CHANNEL, m);
	}
	if (ch->bit[e] >= BP_MAX_CHANNEL_BITS) {
		snprintf(m, sizeof(m), "channel %u: end %u has bit %u, not below %u", i, e,
		         ch->bit[e], BP_MAX_CHANNEL_BITS);
		return plan_fail(c, PLAN_ERR_CHANNEL, m);
	}
	uint64_t bit = 1ull << ch->bit[e];
	if (c->bits[ch->domain[e]] & bit) {
		snprintf(m, sizeof(m), "channel %u: bit %u is already taken in this domain", i,
		         ch->bit[e]);
		return plan_fail_domain(c, PLAN_ERR_CHANNEL, ch->domain[e], m);
	}
	c->bits[ch->domain[e]] |= bit;
	return PLAN_OK;
}

static enum plan_err check_channels(struct checker *c)
{
	char m[MSG_LEN];

	for (uint32_t i = 0; i < c->h->channels.count; i++) {
		const struct bp_channel *ch = &c->t.channels[i];
		enum plan_err e = check_channel_end(c, i, 0);
		if (!e)
			e = check_channel_end(c, i, 1);
		if (e)
			return e;
		if (ch->domain[0] == ch->domain[1]) {
			snprintf(m, sizeof(m), "channel %u: both ends are domain %u", i,
			         ch->domain[0]);
			return plan_fail(c, PLAN_ERR_CHANNEL, m);
		}
	}
	return PLAN_OK;
}

/* ---- maps ---- */

static bool rights_ok(uint32_t r)
{
	return r == BH_RIGHT_READ || r == (BH_RIGHT_READ | BH_RIGHT_WRITE) ||
	       r == (BH_RIGHT_READ | BH_RIGHT_EXEC);
}

/*
 * Placement rules: in the user half, off the reserved areas (bh_reserved_areas),
 * but rings and the kernel log inside the ring area. Returns: NULL if the map
 * may lie there; otherwise why not, formatted into @buf (@len bytes) if it
 * names an area.
 */
static const char *placement_problem(const struct bp_map *mp, const struct bp_region *r, char *buf,
                                     size_t len)
{
	bool ring = (r->flags & (BP_REGION_RING | BP_REGION_KLOG | BP_REGION_FAULT)) != 0;

	if (mp->vaddr % BH_PAGE_SIZE)
		return "vaddr is not page aligned";
	if (mp->vaddr >= BH_USER_MAP_END || r->size > BH_USER_MAP_END - mp->vaddr)
		return "does not lie in the user half below its top page";
	for (uint32_t i = 0; i < BH_N_RESERVED_AREAS; i++) {
		const struct bh_reserved_area *a = &bh_reserved_areas[i];
		if ((ring && a->start == BH_RING_BASE) ||
		    !ranges_overlap(mp->vaddr, r->size, a->start, a->end - a->start))
			continue;
		snprintf(buf, len, "overlaps %s", a->name);
		return buf;
	}
	if (ring && (mp->vaddr < BH_RING_BASE || r->size > BH_RING_END - mp->vaddr))
		return "maps a ring, the kernel log or a fault page outside the ring area";
	return NULL;
}

/*
 * A DMA map, which the owner's devices reach at I/O virtual address = vaddr,
 * never executes, is no ring or kernel log, and ends at or below BH_DMA_LIMIT.
 * Needs: the map's region in range.
 */
static const char *dma_problem(const struct bp_map *mp, const struct bp_region *r)
{
	if (mp->rights & BH_RIGHT_EXEC)
		return "is a DMA map and executable (a device never executes)";
	if (r->flags & (BP_REGION_RING | BP_REGION_KLOG | BP_REGION_FAULT))
		return "is a DMA map of a ring, the kernel log or a fault page";
	if (mp->vaddr > BH_DMA_LIMIT || r->size > BH_DMA_LIMIT - mp->vaddr)
		return "is a DMA map that ends above BH_DMA_LIMIT";
	return NULL;
}

/* As placement_problem(), with the map's region, rights and flags checked first. */
static const char *map_problem(const struct checker *c, uint32_t d, const struct bp_map *mp,
                               char *buf, size_t len)
{
	if (mp->region >= c->h->regions.count)
		return "names a region that does not exist";
	if ((mp->rights & BH_RIGHT_WRITE) && (mp->rights & BH_RIGHT_EXEC))
		return "is writable and executable (W^X)";
	if (!rights_ok(mp->rights))
		return "rights are not r, rw or rx";
	if (mp->region == c->h->klog_region &&
	    (d != c->h->klog_domain || mp->rights != BH_RIGHT_READ))
		return "maps the kernel log, which only klog_domain may map, read-only";
	if (mp->flags & ~BP_MAP_DMA)
		return "has unknown flags";
	return placement_problem(mp, &c->t.regions[mp->region], buf, len);
}

/* Two maps of one domain: never the same region twice (above all not rw and rx), no overlap. */
static const char *map_pair_problem(const struct checker *c, const struct bp_map *a,
                                    const struct bp_map *b)
{
	uint32_t rights = a->rights | b->rights;

	if (a->region == b->region)
		return (rights & BH_RIGHT_WRITE) && (rights & BH_RIGHT_EXEC) ?
		               "maps the region of map %u again, writable and executable (W^X)" :
		               "maps the region of map %u again";
	if (ranges_overlap(a->vaddr, c->t.regions[a->region].size, b->vaddr,
	                   c->t.regions[b->region].size))
		return "overlaps map %u";
	return NULL;
}

static enum plan_err check_domain_maps(struct checker *c, uint32_t d)
{
	const struct bp_domain *dom = &c->t.domains[d];
	char m[MSG_LEN], what[96];

	for (uint32_t k = 0; k < dom->n_maps; k++) {
		const struct bp_map *mp = &c->t.maps[dom->first_map + k];
		const char *bad = map_problem(c, d, mp, what, sizeof(what));
		if (bad) {
			snprintf(m, sizeof(m), "map %u %s", k, bad);
			return plan_fail_domain(c, PLAN_ERR_MAP, d, m);
		}
		for (uint32_t j = 0; j < k; j++) {
			bad = map_pair_problem(c, mp, &c->t.maps[dom->first_map + j]);
			if (!bad)
				continue;
			snprintf(what, sizeof(what), bad, j);
			snprintf(m, sizeof(m), "map %u %s", k, what);
			return plan_fail_domain(c, PLAN_ERR_MAP, d, m);
		}
	}
	return PLAN_OK;
}

/* ---- code sharing across domains ---- */

/* The first domain other than @d with a map of region @r carrying a right in @rights, or BP_NONE. */
static uint32_t find_mapper(const struct checker *c, uint32_t d, uint32_t r, uint32_t rights)
{
	for (uint32_t e = 0; e < c->h->domains.count; e++) {
		const struct bp_domain *dom = &c->t.domains[e];
		for (uint32_t k = 0; e != d && k < dom->n_maps; k++) {
			const struct bp_map *mp = &c->t.maps[dom->first_map + k];
			if (mp->region == r && (mp->rights & rights))
				return e;
		}
	}
	return BP_NONE;
}

/*
 * A region executable in one domain and writable in another lets the writer put
 * code into the executor: refused unless the region says BP_REGION_WX_SHARED.
 * Needs: every map checked (regions in range).
 */
static enum plan_err check_code_sharing(struct checker *c)
{
	char m[MSG_LEN];

	for (uint32_t d = 0; d < c->h->domains.count; d++) {
		const struct bp_domain *dom = &c->t.domains[d];
		for (uint32_t k = 0; k < dom->n_maps; k++) {
			const struct bp_map *mp = &c->t.maps[dom->first_map + k];
			if (!(mp->rights & BH_RIGHT_EXEC) ||
			    (c->t.regions[mp->region].flags & BP_REGION_WX_SHARED))
				continue;
			uint32_t w = find_mapper(c, d, mp->region, BH_RIGHT_WRITE);
			if (w == BP_NONE)
				continue;
			snprintf(m, sizeof(m),
			         "map %u executes region %u, which domain %u (\"%s\") may write, "
			         "without the code-sharing flag",
			         k, mp->region, w, c->t.domains[w].name);
			return plan_fail_domain(c, PLAN_ERR_MAP, d, m);
		}
	}
	return PLAN_OK;
}

/* The DMA maps of every domain (dma_problem); a module region's maps are read-only, no DMA. */
static enum plan_err check_dma_maps(struct checker *c)
{
	char m[MSG_LEN];

	for (uint32_t d = 0; d < c->h->domains.count; d++) {
		const struct bp_domain *dom = &c->t.domains[d];
		for (uint32_t k = 0; k < dom->n_maps; k++) {
			const struct bp_map *mp = &c->t.maps[dom->first_map + k];
			const char *bad = (mp->flags & BP_MAP_DMA) ?
			                          dma_problem(mp, &c->t.regions[mp->region]) :
			                          NULL;
			if ((c->t.regions[mp->region].flags & BP_REGION_MODULE) &&
			    (mp->rights != BH_RIGHT_READ || mp->flags))
				bad = "maps a module region other than read-only";
			if (!bad)
				continue;
			snprintf(m, sizeof(m), "map %u %s", k, bad);
			return plan_fail_domain(c, PLAN_ERR_MAP, d, m);
		}
	}
	return PLAN_OK;
}

/* ---- caps ---- */

static const char *channel_cap_problem(const struct checker *c, uint32_t d,
                                       const struct bp_cap *cap)
{
	if (cap->rights & ~BH_RIGHT_SIGNAL)
		return "rights not valid for a channel";
	if (cap->object >= c->h->channels.count)
		return "names a channel that does not exist";
	if (cap->end > 1)
		return "end is not 0 or 1";
	if (c->t.channels[cap->object].domain[cap->end] != d)
		return "holds a channel end that belongs to another domain";
	return NULL;
}

static const char *region_cap_problem(const struct checker *c, const struct bp_domain *dom,
                                      const struct bp_cap *cap)
{
	if (!rights_ok(cap->rights))
		return "rights not valid for a region (r, rw or rx)";
	if (cap->object < dom->first_map || cap->object - dom->first_map >= dom->n_maps)
		return "names a map outside this domain";
	if (cap->rights & ~c->t.maps[cap->object].rights)
		return "grants more rights than its map";
	if (cap->end)
		return "end must be zero";
	return NULL;
}

/* A device cap: READ|WRITE at most, on a device its holder owns, one cap per device. */
static const char *device_cap_problem(struct checker *c, uint32_t d, const struct bp_cap *cap)
{
	if (cap->rights & ~(BH_RIGHT_READ | BH_RIGHT_WRITE))
		return "rights not valid for a device";
	if (cap->object >= c->h->devices.count)
		return "names a device that does not exist";
	if (c->t.devices[cap->object].domain != d)
		return "names a device of another domain";
	if (cap->end)
		return "end must be zero";
	if (c->device_caps & (1ull << cap->object))
		return "names a device another cap already holds";
	c->device_caps |= 1ull << cap->object;
	return NULL;
}

static const char *cap_problem(struct checker *c, uint32_t d, const struct bp_cap *cap)
{
	const struct bp_domain *dom = &c->t.domains[d];

	if (cap->type == BH_CAP_CHANNEL)
		return channel_cap_problem(c, d, cap);
	if (cap->type == BH_CAP_REGION)
		return region_cap_problem(c, dom, cap);
	if (cap->type == BH_CAP_DEVICE)
		return device_cap_problem(c, d, cap);
	if (cap->type == BH_CAP_DOMAIN)
		return plan_control_cap_problem(c, d, cap);
	if (cap->type != BH_CAP_IOPORT)
		return "has an unknown type";
	if (cap->rights & ~(BH_RIGHT_READ | BH_RIGHT_WRITE))
		return "rights not valid for an ioport";
	if (cap->object < dom->first_ioport || cap->object - dom->first_ioport >= dom->n_ioports)
		return "names an ioport range outside this domain";
	if (cap->end)
		return "end must be zero";
	return NULL;
}

static enum plan_err check_domain_caps(struct checker *c, uint32_t d)
{
	const struct bp_domain *dom = &c->t.domains[d];
	uint64_t slots = 0;
	char m[MSG_LEN];

	for (uint32_t k = 0; k < dom->n_caps; k++) {
		const struct bp_cap *cap = &c->t.caps[dom->first_cap + k];
		const char *bad = cap->slot >= BH_MAX_CAPS      ? "slot is not below 64" :
		                  (slots & (1ull << cap->slot)) ? "slot is used twice" :
		                                                  cap_problem(c, d, cap);
		if (bad) {
			snprintf(m, sizeof(m), "cap %u (slot %u) %s", k, cap->slot, bad);
			return plan_fail_domain(c, PLAN_ERR_CAP, d, m);
		}
		slots |= 1ull << cap->slot;
	}
	return PLAN_OK;
}

/* ---- ioports ---- */

/* Returns: NULL if ioport range @i may be granted as it is; otherwise why not (maybe in @buf). */
static const char *ioport_problem(const struct checker *c, uint32_t i, char *buf, size_t len)
{
	const struct bp_ioport *io = &c->t.ioports[i];
	uint32_t port = 0;
	const char *bad = NULL;

	if (io->count == 0)
		bad = "count is zero";
	else if ((uint32_t)io->base + io->count > 0x10000u)
		bad = "runs past port 0xffff";
	else if (io->flags & ~BP_IOPORT_MACHINE)
		bad = "unknown flags";
	for (uint32_t j = 0; !bad && j < i; j++)
		if (ranges_overlap(io->base, io->count, c->t.ioports[j].base,
		                   c->t.ioports[j].count))
			bad = "overlaps another ioport range";
	const struct plan_port_role *r = bad ? NULL : plan_port_role(io->base, io->count, &port);
	if (r && r->rule == PLAN_PORT_MACHINE && (io->flags & BP_IOPORT_MACHINE))
		r = NULL; /* granted knowingly */
	if (!r)
		return bad;
	snprintf(buf, len, "port 0x%x is %s: %s", port, r->role,
	         r->rule == PLAN_PORT_NEVER ? "never grantable" :
	                                      "grantable only with BP_IOPORT_MACHINE");
	return buf;
}

static enum plan_err check_ioports(struct checker *c)
{
	char m[MSG_LEN + 32], why[128];

	for (uint32_t i = 0; i < c->h->ioports.count; i++) {
		const char *bad = ioport_problem(c, i, why, sizeof(why));
		if (!bad)
			continue;
		snprintf(m, sizeof(m), "ioport %u (0x%x, count %u): %s", i, c->t.ioports[i].base,
		         c->t.ioports[i].count, bad);
		return plan_fail(c, PLAN_ERR_IOPORT, m);
	}
	return PLAN_OK;
}

/* ---- devices ---- */

/* Whether domain @d has a DMA map. Needs: @d in range, its maps checked. */
static bool has_dma_map(const struct checker *c, uint32_t d)
{
	const struct bp_domain *dom = &c->t.domains[d];

	for (uint32_t k = 0; k < dom->n_maps; k++)
		if (c->t.maps[dom->first_map + k].flags & BP_MAP_DMA)
			return true;
	return false;
}

/*
 * Device @i's own fields. The PCI address holds bus, device and function in
 * its low 16 bits, each field in range by construction; the segment must be 0.
 * Needs: the owner in range.
 */
static const char *device_fields_problem(const struct checker *c, const struct bp_device *dev)
{
	uint64_t w = dev->window;

	if (dev->pci >> 16)
		return "PCI address is not in segment 0";
	if (dev->flags & ~BP_DEVICE_DMA_UNCONFINED)
		return "has unknown flags";
	if (dev->window_size != BH_DEVICE_WINDOW)
		return "window size is not BH_DEVICE_WINDOW";
	if (w < BH_DEVICE_BASE || w > BH_DEVICE_END - BH_DEVICE_WINDOW ||
	    (w - BH_DEVICE_BASE) % BH_DEVICE_WINDOW)
		return "window is not BH_DEVICE_BASE + k * BH_DEVICE_WINDOW in the device area";
	if (!has_dma_map(c, dev->domain))
		return "belongs to a domain without a DMA map";
	return NULL;
}

/* Device @i against the devices before it: PCI address, name, window. */
static const char *device_pair_problem(const struct bp_device *a, const struct bp_device *b)
{
	if (a->pci == b->pci)
		return "has the PCI address of device %u";
	if (plan_same_name(a->name, b->name))
		return "has the same name as device %u";
	if (a->domain == b->domain && a->window == b->window)
		return "shares its window with device %u";
	return NULL;
}

/* The irq bit: BP_NONE, or a channel id below 64 its owner uses for nothing else. */
static const char *device_irq_problem(struct checker *c, const struct bp_device *dev)
{
	if (dev->irq_bit == BP_NONE)
		return NULL;
	if (dev->irq_bit >= BP_MAX_CHANNEL_BITS)
		return "irq bit is neither below 64 nor BP_NONE";
	if (c->bits[dev->domain] & (1ull << dev->irq_bit))
		return "irq bit is already taken in its domain";
	c->bits[dev->domain] |= 1ull << dev->irq_bit;
	return NULL;
}

static enum plan_err fail_device(struct checker *c, uint32_t i, const char *bad, uint32_t other)
{
	char what[96], m[MSG_LEN];

	snprintf(what, sizeof(what), bad, other);
	snprintf(m, sizeof(m), "device %u (\"%s\"): %s", i, c->t.devices[i].name, what);
	return plan_fail(c, PLAN_ERR_DEVICE, m);
}

/* What must hold before a device's name can be printed and its owner used. */
static const char *device_name_problem(const struct checker *c, const struct bp_device *dev)
{
	if (!plan_name_ok(dev->name))
		return "name is empty or not NUL-terminated within 32 bytes";
	if (!plan_name_printable(dev->name))
		return "name has a byte that is not printable ASCII (0x21-0x7e)";
	if (dev->domain >= c->h->domains.count)
		return "owner does not exist";
	return NULL;
}

/* Needs: domains, channels (their bits) and maps checked. */
static enum plan_err check_devices(struct checker *c)
{
	char m[MSG_LEN];

	for (uint32_t i = 0; i < c->h->devices.count; i++) {
		const struct bp_device *dev = &c->t.devices[i];
		const char *bad = device_name_problem(c, dev);
		if (bad) {
			snprintf(m, sizeof(m), "device %u: %s", i, bad);
			return plan_fail(c, PLAN_ERR_DEVICE, m);
		}
		if ((bad = device_fields_problem(c, dev)))
			return fail_device(c, i, bad, 0);
		for (uint32_t j = 0; j < i; j++)
			if ((bad = device_pair_problem(dev, &c->t.devices[j])))
				return fail_device(c, i, bad, j);
		if ((bad = device_irq_problem(c, dev)))
			return fail_device(c, i, bad, 0);
	}
	return PLAN_OK;
}

/* ---- start info ---- */

static const char *info_problem(const struct bh_start_info *info, uint32_t i)
{
	if (info->magic != BH_INFO_MAGIC)
		return "bad magic";
	if (info->version != BH_INFO_VERSION)
		return "bad version";
	if (info->n_entries > BH_INFO_MAX_ENTRIES)
		return "too many entries";
	if (info->domain_index != i)
		return "wrong domain_index";
	return NULL;
}

static enum plan_err check_infos(struct checker *c)
{
	char m[MSG_LEN];

	for (uint32_t i = 0; i < c->h->infos.count; i++) {
		const char *bad = info_problem(&c->t.infos[i], i);
		if (bad) {
			snprintf(m, sizeof(m), "start info: %s", bad);
			return plan_fail_domain(c, PLAN_ERR_INFO, i, m);
		}
	}
	return PLAN_OK;
}

/* Maps, then caps, domain by domain. */
static enum plan_err check_per_domain(struct checker *c)
{
	for (uint32_t d = 0; d < c->h->domains.count; d++) {
		enum plan_err e = check_domain_maps(c, d);
		if (!e)
			e = check_domain_caps(c, d);
		if (e)
			return e;
	}
	return PLAN_OK;
}

/* The checks in the order they run: each may rely on what the ones before it accepted. */
static enum plan_err (*const checks[])(struct checker *) = {
	check_header,     check_header_fields, check_tables,       check_regions,
	check_domains,    plan_control_images, check_klog,         check_channels,
	check_per_domain, plan_control_cycles, check_code_sharing, check_dma_maps,
	check_devices,    plan_control_faults, check_ioports,      check_infos,
};

enum plan_err plan_check(const void *buf, size_t len, char *err, size_t errlen)
{
	struct checker c;
	enum plan_err e = PLAN_OK;

	memset(&c, 0, sizeof(c));
	c.h = buf;
	c.len = len;
	c.err = err;
	c.errlen = errlen;
	if (!buf)
		return plan_fail(&c, PLAN_ERR_HEADER, "no plan");
	for (uint32_t i = 0; e == PLAN_OK && i < sizeof(checks) / sizeof(checks[0]); i++)
		e = checks[i](&c);
	return e;
}
