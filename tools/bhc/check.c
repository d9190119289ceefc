/* Check: the meaning of a manifest - names, references, overlaps, channel ids, the console. */
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/layout.h>
#include <bulkhead/abi/plan.h>
#include <kernel/plan.h>

#include "control.h"
#include "device.h"
#include "modregion.h"
#include "port.h"
#include "value.h"
#include "volume.h"

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* ---- names ---- */

static void check_domain_names(struct manifest *m)
{
	for (size_t i = 0; i < m->n_domains; i++) {
		const struct m_domain *d = &m->domains[i];
		int first = manifest_find_domain(m, d->name);
		if (d->name && (strcasecmp(d->name, BP_RESERVED_NAME_BULKHEAD) == 0 ||
		                strcasecmp(d->name, BP_RESERVED_NAME_KERNEL) == 0)) {
			diag_error(
				m->diag, d->line,
				"domain name '%s' is reserved: the console starts each line with "
				"its domain's name and the kernel's lines start with 'bulkhead:', "
				"so this domain could forge kernel lines; rename it",
				d->name);
			continue;
		}
		if (first >= 0 && (size_t)first < i)
			diag_error(m->diag, d->line,
			           "duplicate domain name '%s' (first declared at "
			           "line %d); rename one of them",
			           d->name, m->domains[first].line);
	}
}

static void check_region_names(struct manifest *m)
{
	for (size_t i = 0; i < m->n_regions; i++) {
		const struct m_region *r = &m->regions[i];
		int first = manifest_find_region(m, r->name);
		if (first >= 0 && (size_t)first < i)
			diag_error(m->diag, r->line,
			           "duplicate region name '%s' (first declared at "
			           "line %d); rename one of them",
			           r->name, m->regions[first].line);
	}
}

static int find_ring(const struct manifest *m, const char *name, size_t before)
{
	for (size_t i = 0; name && i < before; i++)
		if (m->rings[i].name && strcmp(m->rings[i].name, name) == 0)
			return (int)i;
	return MANIFEST_NO_INDEX;
}

static void check_ring_name(struct manifest *m, size_t i)
{
	const struct m_ring *r = &m->rings[i];
	int dup = find_ring(m, r->name, i);
	int region = manifest_find_region(m, r->name);

	if (!r->name)
		return;
	if (dup >= 0)
		diag_error(m->diag, r->line,
		           "duplicate ring name '%s' (first declared at line %d); "
		           "rename one of them",
		           r->name, m->rings[dup].line);
	else if (region >= 0)
		diag_error(m->diag, r->line,
		           "ring name '%s' is already the name of a region (line "
		           "%d), which maps use too; rename the ring",
		           r->name, m->regions[region].line);
	else if (strcmp(r->name, "stdout") == 0)
		diag_error(m->diag, r->line,
		           "ring name 'stdout' is reserved for the console's "
		           "output rings; choose another name");
	else if (strncmp(r->name, "stdout.", 7) == 0)
		diag_error(m->diag, r->line,
		           "ring name '%s' is reserved: the console's output rings are named "
		           "stdout.DOMAIN; choose another name",
		           r->name);
}

/* ---- domains: count, console, maps, ioports ---- */

static void check_domain_count(struct manifest *m)
{
	if (m->n_domains == 0)
		diag_error(m->diag, m->line,
		           "system '%s' declares no domain; add at least one "
		           "<domain>",
		           m->name ? m->name : "?");
	if (m->n_domains > BP_MAX_DOMAINS)
		diag_error(m->diag, m->domains[BP_MAX_DOMAINS].line,
		           "too many domains: this is "
		           "domain %u, and a system has at most %u; remove some",
		           BP_MAX_DOMAINS + 1, BP_MAX_DOMAINS);
}

static void check_console(struct manifest *m)
{
	for (size_t i = 0; i < m->n_domains; i++) {
		const struct m_domain *d = &m->domains[i];
		if (!d->console)
			continue;
		if (m->console == MANIFEST_NO_INDEX) {
			m->console = (int)i;
			continue;
		}
		diag_error(m->diag, d->line,
		           "domain '%s' is a second console service (image "
		           "'console'); domain '%s' (line %d) already is one, and a system has at "
		           "most one",
		           d->name ? d->name : "?", m->domains[m->console].name,
		           m->domains[m->console].line);
	}
}

static bool map_in_user_half(struct manifest *m, const struct m_map *mp, uint64_t size)
{
	char s[32];

	if (mp->vaddr < BH_USER_MAP_END && size <= BH_USER_MAP_END - mp->vaddr)
		return true;
	diag_error(m->diag, mp->line,
	           "map of '%s' at 0x%llx (%s) reaches past 0x%llx, where mappings end (the top "
	           "page of the user half is never mapped); choose a lower vaddr",
	           mp->region, (unsigned long long)mp->vaddr, value_format_size(size, s, sizeof(s)),
	           (unsigned long long)BH_USER_MAP_END);
	return false;
}

/* Manifest maps stay off every reserved area, the ring area too: the compiler places rings. */
static bool map_off_reserved(struct manifest *m, const struct m_map *mp, uint64_t size)
{
	char s[32];

	for (size_t i = 0; i < BH_N_RESERVED_AREAS; i++) {
		const struct bh_reserved_area *a = &bh_reserved_areas[i];
		if (!overlaps(mp->vaddr, size, a->start, a->end - a->start))
			continue;
		diag_error(m->diag, mp->line,
		           "map of '%s' at 0x%llx (%s) overlaps %s (%s) [0x%llx, 0x%llx); choose a "
		           "vaddr outside it",
		           mp->region, (unsigned long long)mp->vaddr,
		           value_format_size(size, s, sizeof(s)), a->name, a->holds,
		           (unsigned long long)a->start, (unsigned long long)a->end);
		return false;
	}
	return true;
}

/*
 * A DMA map (dma="yes") is reached by devices, which never execute, at I/O
 * virtual address = vaddr, which ends at BH_DMA_LIMIT. Needs: @mp placed in
 * the user half. Returns false after an error.
 */
static bool map_dma_ok(struct manifest *m, const struct m_map *mp, uint64_t size)
{
	char s[32], lim[32];

	if (!mp->dma)
		return true;
	if (mp->rights_ok && (mp->rights & BH_RIGHT_EXEC)) {
		diag_error(m->diag, mp->line,
		           "map of '%s' has dma=\"yes\" and perms rx, but a device never executes; "
		           "use r or rw for a DMA map, or leave dma out",
		           mp->region);
		return false;
	}
	if (mp->vaddr <= BH_DMA_LIMIT && size <= BH_DMA_LIMIT - mp->vaddr)
		return true;
	diag_error(m->diag, mp->line,
	           "map of '%s' at 0x%llx (%s) has dma=\"yes\" but ends above 0x%llx (%s), the "
	           "highest I/O virtual address a device can use; choose a lower vaddr",
	           mp->region, (unsigned long long)mp->vaddr, value_format_size(size, s, sizeof(s)),
	           (unsigned long long)BH_DMA_LIMIT,
	           value_format_size(BH_DMA_LIMIT, lim, sizeof(lim)));
	return false;
}

/* Resolves map @j of @d; true if it has a valid placement to compare with others. */
static bool check_map(struct manifest *m, struct m_domain *d, size_t j)
{
	struct m_map *mp = &d->maps[j];

	if (!mp->region)
		return false;
	mp->region_idx = manifest_find_region(m, mp->region);
	if (mp->region_idx < 0) {
		diag_error(m->diag, mp->line,
		           "map of undeclared region '%s'; declare it with "
		           "<region name=\"%s\" size=\"...\"/> or fix the name",
		           mp->region, mp->region);
		return false;
	}
	for (size_t k = 0; k < j; k++) {
		if (d->maps[k].region_idx == mp->region_idx) {
			diag_error(m->diag, mp->line,
			           "region '%s' is already mapped into domain "
			           "'%s' (line %d); map a region at most once per domain",
			           mp->region, d->name, d->maps[k].line);
			return false;
		}
	}
	const struct m_region *r = &m->regions[mp->region_idx];
	if (!mp->vaddr_ok || !r->size_ok)
		return false;
	return map_in_user_half(m, mp, r->size) && map_off_reserved(m, mp, r->size) &&
	       map_dma_ok(m, mp, r->size);
}

static void check_maps(struct manifest *m, struct m_domain *d)
{
	bool *placed = calloc(d->n_maps + 1, sizeof(*placed));
	char s[32];

	for (size_t j = 0; placed && j < d->n_maps; j++) {
		const struct m_map *mp = &d->maps[j];
		placed[j] = check_map(m, d, j);
		for (size_t k = 0; placed[j] && k < j; k++) {
			const struct m_map *o = &d->maps[k];
			uint64_t size = m->regions[mp->region_idx].size;
			if (!placed[k] ||
			    !overlaps(mp->vaddr, size, o->vaddr, m->regions[o->region_idx].size))
				continue;
			diag_error(m->diag, mp->line,
			           "map of '%s' at 0x%llx (%s) overlaps the map "
			           "of '%s' at 0x%llx (line %d); move one of them",
			           mp->region, (unsigned long long)mp->vaddr,
			           value_format_size(size, s, sizeof(s)), o->region,
			           (unsigned long long)o->vaddr, o->line);
			break;
		}
	}
	free(placed);
}

/* The first map of region @r in domain @d whose rights include @rights, or NULL. */
static const struct m_map *find_map(const struct m_domain *d, int r, uint32_t rights)
{
	for (size_t j = 0; j < d->n_maps; j++)
		if (d->maps[j].region_idx == r && d->maps[j].rights_ok &&
		    (d->maps[j].rights & rights))
			return &d->maps[j];
	return NULL;
}

/*
 * A region writable in one domain and executable in another lets the writer put
 * code into the executor: only with code-sharing="writable". Reported at the
 * executable map, naming the first writer.
 */
static void check_code_sharing(struct manifest *m)
{
	for (size_t e = 0; e < m->n_domains; e++) {
		const struct m_domain *ex = &m->domains[e];
		for (size_t j = 0; j < ex->n_maps; j++) {
			const struct m_map *x = &ex->maps[j];
			if (x->region_idx < 0 || !x->rights_ok || !(x->rights & BH_RIGHT_EXEC) ||
			    m->regions[x->region_idx].code_sharing)
				continue;
			for (size_t w = 0; w < m->n_domains; w++) {
				const struct m_map *wm = w == e ? NULL :
				                                  find_map(&m->domains[w],
				                                           x->region_idx,
				                                           BH_RIGHT_WRITE);
				if (!wm)
					continue;
				diag_error(
					m->diag, x->line,
					"region '%s' is executable in domain '%s' and writable in "
					"domain '%s' (line %d): the writer could inject code; map "
					"it r there, or add code-sharing=\"writable\" to its "
					"<region> if that is intended",
					x->region, ex->name, m->domains[w].name, wm->line);
				break;
			}
		}
	}
}

/* Refuses a port of the kernel's own devices, and a machine port without machine="yes". */
static void check_ioport_role(struct manifest *m, const struct m_ioport *io)
{
	uint32_t port = 0;
	const struct plan_port_role *r = plan_port_role(io->base, io->count, &port);

	if (!r || (r->rule == PLAN_PORT_MACHINE && io->machine))
		return;
	if (r->rule == PLAN_PORT_NEVER)
		diag_error(m->diag, io->line,
		           "ioports 0x%x..0x%x include port 0x%x, %s; no domain may have it: "
		           "leave it out of the range",
		           io->base, io->base + io->count - 1, port, r->role);
	else
		diag_error(m->diag, io->line,
		           "ioports 0x%x..0x%x include port 0x%x, %s: a domain holding it "
		           "controls the whole machine; add machine=\"yes\" to grant it "
		           "knowingly (every domain is then reachable from this one), or leave "
		           "it out",
		           io->base, io->base + io->count - 1, port, r->role);
}

static void check_ioport_pair(struct manifest *m, const struct m_ioport *io,
                              const struct m_domain *od, const struct m_ioport *o)
{
	if (!o->ok || !overlaps(io->base, io->count, o->base, o->count))
		return;
	diag_error(m->diag, io->line,
	           "ioports 0x%x..0x%x overlap ioports 0x%x..0x%x of domain "
	           "'%s' (line %d); an I/O port belongs to one domain only",
	           io->base, io->base + io->count - 1, o->base, o->base + o->count - 1,
	           od->name ? od->name : "?", o->line);
}

/* Compares every ioport range with all ranges declared before it, in any domain. */
static void check_ioports(struct manifest *m)
{
	for (size_t i = 0; i < m->n_domains; i++) {
		for (size_t j = 0; j < m->domains[i].n_ioports; j++) {
			const struct m_ioport *io = &m->domains[i].ioports[j];
			size_t before = m->diag->n;
			if (io->ok)
				check_ioport_role(m, io);
			for (size_t k = 0; io->ok && k <= i && m->diag->n == before; k++) {
				size_t n = k == i ? j : m->domains[k].n_ioports;
				for (size_t l = 0; l < n && m->diag->n == before; l++)
					check_ioport_pair(m, io, &m->domains[k],
					                  &m->domains[k].ioports[l]);
			}
		}
	}
}

/* ---- channels and rings ---- */

static int resolve_domain(struct manifest *m, const char *name, int line, const char *what)
{
	int idx = manifest_find_domain(m, name);

	if (name && idx < 0)
		diag_error(m->diag, line,
		           "%s is '%s', which is not a declared domain; declare "
		           "<domain name=\"%s\" .../> or fix the name",
		           what, name, name);
	return idx;
}

/* Records the id of end @e in its domain; reports an id the domain already uses. */
static void claim_id(struct manifest *m, int *id_lines, const struct m_end *e)
{
	int *slot = &id_lines[e->domain_idx * (int)BP_MAX_CHANNEL_BITS + (int)e->id];

	if (*slot)
		diag_error(m->diag, e->line,
		           "channel id %u is used twice in domain '%s' (also at "
		           "line %d); give each channel end in a domain its own id 0..63",
		           e->id, e->domain, *slot);
	else
		*slot = e->line;
}

static const char *end_name(const struct manifest *m, const struct m_channel *ch, int side)
{
	return ch->name ? ch->name : m->domains[ch->ends[1 - side].domain_idx].name;
}

/* Reports a channel whose name in domain of end @side repeats an earlier channel's. */
static bool check_channel_name(struct manifest *m, size_t c, int side)
{
	const struct m_channel *ch = &m->channels[c];
	int dom = ch->ends[side].domain_idx;

	for (size_t k = 0; k < c; k++) {
		const struct m_channel *o = &m->channels[k];
		for (int os = 0; o->n_ends == 2 && os < 2; os++) {
			if (o->ends[os].domain_idx != dom || o->ends[1 - os].domain_idx < 0 ||
			    o->ends[0].domain_idx == o->ends[1].domain_idx ||
			    strcmp(end_name(m, o, os), end_name(m, ch, side)) != 0)
				continue;
			diag_error(m->diag, ch->line,
			           "domain '%s' already has a channel named '%s' "
			           "(line %d); give one of them another name with name=\"...\"",
			           ch->ends[side].domain, end_name(m, ch, side), o->line);
			return false;
		}
	}
	return true;
}

static void check_channel(struct manifest *m, size_t c, int *id_lines)
{
	struct m_channel *ch = &m->channels[c];

	if (ch->n_ends != 2)
		return;
	for (int s = 0; s < 2; s++)
		ch->ends[s].domain_idx = resolve_domain(m, ch->ends[s].domain, ch->ends[s].line,
		                                        "the domain of this <end>");
	if (ch->ends[0].domain_idx < 0 || ch->ends[1].domain_idx < 0)
		return;
	if (ch->ends[0].domain_idx == ch->ends[1].domain_idx) {
		diag_error(m->diag, ch->line,
		           "channel%s%s%s connects domain '%s' to itself; its "
		           "two <end> elements must name different domains",
		           ch->name ? " '" : "", ch->name ? ch->name : "", ch->name ? "'" : "",
		           ch->ends[0].domain);
		return;
	}
	for (int s = 0; s < 2; s++)
		if (ch->ends[s].id_ok)
			claim_id(m, id_lines, &ch->ends[s]);
	for (int s = 0; s < 2 && check_channel_name(m, c, s); s++)
		continue;
}

static void check_ring(struct manifest *m, size_t i)
{
	struct m_ring *r = &m->rings[i];
	char what[64];

	check_ring_name(m, i);
	snprintf(what, sizeof(what), "client of ring '%s'", r->name ? r->name : "?");
	r->client_idx = resolve_domain(m, r->client, r->line, what);
	snprintf(what, sizeof(what), "server of ring '%s'", r->name ? r->name : "?");
	r->server_idx = resolve_domain(m, r->server, r->line, what);
	if (r->client_idx >= 0 && r->client_idx == r->server_idx)
		diag_error(m->diag, r->line,
		           "ring '%s' has domain '%s' as both client and server; "
		           "a ring connects two different domains",
		           r->name ? r->name : "?", r->client);
}

/* ---- policy ---- */

/* Resolves one name of a <no-flow>; reports an unknown one with the names there are. */
static int resolve_policy_domain(struct manifest *m, const struct m_no_flow *nf, const char *attr,
                                 const char *name)
{
	char known[768];
	size_t o = 0;
	int idx = manifest_find_domain(m, name);

	if (!name || idx >= 0)
		return idx;
	known[0] = '\0';
	for (size_t i = 0; i < m->n_domains && o < sizeof(known); i++)
		o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s", i ? ", " : "",
		                      m->domains[i].name ? m->domains[i].name : "?");
	diag_error(m->diag, nf->line,
	           "%s '%s' of <no-flow> is not a declared domain; fix the name (the domains "
	           "are: %s)",
	           attr, name, known);
	return idx;
}

static void check_no_flow(struct manifest *m, struct m_no_flow *nf)
{
	nf->from_idx = resolve_policy_domain(m, nf, "from", nf->from);
	nf->to_idx = resolve_policy_domain(m, nf, "to", nf->to);
	nf->through_idx = resolve_policy_domain(m, nf, "except-through", nf->through);
	if (nf->from_idx < 0 || nf->to_idx < 0 || (nf->through && nf->through_idx < 0))
		return;
	if (nf->from_idx == nf->to_idx) {
		diag_error(m->diag, nf->line,
		           "<no-flow> from '%s' to '%s' names one domain twice, and a domain "
		           "always holds its own information; name two different domains",
		           nf->from, nf->to);
		return;
	}
	if (nf->through && (nf->through_idx == nf->from_idx || nf->through_idx == nf->to_idx)) {
		diag_error(m->diag, nf->line,
		           "except-through '%s' of <no-flow> is the rule's own %s domain; name "
		           "a third domain that guards the flow, or leave except-through out",
		           nf->through, nf->through_idx == nf->from_idx ? "from" : "to");
		return;
	}
	nf->ok = true;
}

void check_manifest(struct manifest *m)
{
	int *id_lines = calloc(m->n_domains * BP_MAX_CHANNEL_BITS + 1, sizeof(int));

	check_domain_count(m);
	check_domain_names(m);
	check_region_names(m);
	check_console(m);
	for (size_t i = 0; i < m->n_domains; i++)
		check_maps(m, &m->domains[i]);
	check_code_sharing(m);
	modregion_check(m);
	check_ioports(m);
	for (size_t c = 0; id_lines && c < m->n_channels; c++)
		check_channel(m, c, id_lines);
	for (size_t i = 0; i < m->n_rings; i++)
		check_ring(m, i);
	if (id_lines)
		device_check(m, id_lines);
	volume_check(m);
	port_check(m);
	control_check(m);
	for (size_t i = 0; i < m->n_no_flows; i++)
		check_no_flow(m, &m->no_flows[i]);
	free(id_lines);
}
