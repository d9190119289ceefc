/* Volumes: the rules for <volume> elements - their rings, disk, data region and overlaps. */
#include "volume.h"

#include <stdlib.h>
#include <string.h>

#include <bulkhead/abi/caps.h>

/* What the checks learn about one volume: the driver of its disk, or -1 if unknown. */
struct vol_ref {
	size_t d, k;
	int driver;
};

static const char *str(const char *s)
{
	return s ? s : "?";
}

/* The volume's ring: named like it, from its client to this service. */
static void check_volume_ring(struct manifest *m, size_t d, const struct m_volume *v)
{
	const char *sn = str(m->domains[d].name);
	const struct m_ring *r = manifest_find_ring(m, v->name);
	int client = manifest_find_domain(m, v->client);

	if (v->client && client < 0)
		diag_error(m->diag, v->line,
		           "client '%s' of volume '%s' is not a declared domain; name the domain "
		           "that uses the volume",
		           v->client, str(v->name));
	else if (v->name && !r)
		diag_error(m->diag, v->line,
		           "volume '%s' has no ring; a volume's client reaches it over the ring of "
		           "the same name: add <ring name=\"%s\" client=\"%s\" server=\"%s\"/>",
		           v->name, v->name, str(v->client), sn);
	else if (r && (r->client_idx != client || r->server_idx != (int)d))
		diag_error(
			m->diag, v->line,
			"ring '%s' (line %d) runs from '%s' to '%s', but volume '%s' needs it "
			"from its client '%s' to the storage service '%s'; fix the ring's client "
			"and server, or rename the volume",
			v->name, r->line, str(r->client), str(r->server), v->name, str(v->client),
			sn);
}

/* The disk ring: from this service to a driver that holds a device. Returns the driver or -1. */
static int check_disk(struct manifest *m, size_t d, const struct m_volume *v)
{
	const char *sn = str(m->domains[d].name);
	const struct m_ring *r = manifest_find_ring(m, v->disk);

	if (!v->disk)
		return -1;
	if (!r) {
		diag_error(
			m->diag, v->line,
			"disk '%s' of volume '%s' is not a ring; name the ring from '%s' to "
			"the disk's driver, e.g. <ring name=\"%s\" client=\"%s\" server=\"DRIVER\"/>",
			v->disk, str(v->name), sn, v->disk, sn);
		return -1;
	}
	if (r->client_idx != (int)d || r->server_idx < 0) {
		diag_error(
			m->diag, v->line,
			"disk ring '%s' of volume '%s' has client '%s', but the storage service "
			"'%s' must be its client (the driver its server); fix the ring (line %d)",
			v->disk, str(v->name), str(r->client), sn, r->line);
		return -1;
	}
	if (m->domains[r->server_idx].n_devices == 0) {
		diag_error(m->diag, v->line,
		           "disk ring '%s' of volume '%s' leads to '%s', which holds no <device>; "
		           "the server of a disk ring is the disk's driver",
		           v->disk, str(v->name), str(r->server));
		return -1;
	}
	return r->server_idx;
}

/*
 * One disk per storage service: the first volume's disk ring is checked, every later
 * volume must name the same. Returns the driver of volume @k's disk, or -1.
 */
static int volume_driver(struct manifest *m, size_t d, size_t k, int first_driver)
{
	const struct m_domain *dom = &m->domains[d];
	const struct m_volume *v = &dom->volumes[k], *first = &dom->volumes[0];

	if (k == 0)
		return check_disk(m, d, v);
	if (!v->disk || !first->disk || strcmp(v->disk, first->disk) == 0)
		return first_driver;
	diag_error(m->diag, v->line,
	           "volume '%s' is on disk '%s', but volume '%s' (line %d) of the same service "
	           "is on disk '%s'; a storage service serves one disk for now: put the volume "
	           "in another storage service",
	           str(v->name), v->disk, str(first->name), first->line, first->disk);
	return -1;
}

/* The client maps the data region r or rw. */
static bool check_client_map(struct manifest *m, const struct m_volume *v, int region)
{
	int client = manifest_find_domain(m, v->client);
	const struct m_map *mp = client >= 0 ? manifest_domain_map(&m->domains[client], region) :
	                                       NULL;

	if (client < 0)
		return false;
	if (mp && (mp->rights & BH_RIGHT_EXEC) == 0)
		return true;
	diag_error(m->diag, v->line,
	           "data region '%s' of volume '%s' is %s in client '%s'; map it there with "
	           "perms r or rw",
	           v->data, str(v->name), mp ? "mapped rx" : "not mapped", v->client);
	return false;
}

/* The driver maps the data region rw with dma="yes": its device reads and writes it. */
static void check_driver_map(struct manifest *m, const struct m_volume *v, int region, int drv)
{
	const struct m_map *mp = manifest_domain_map(&m->domains[drv], region);

	if (mp && mp->dma && mp->rights == (BH_RIGHT_READ | BH_RIGHT_WRITE))
		return;
	diag_error(m->diag, v->line,
	           "data region '%s' of volume '%s' must be mapped in the disk's driver '%s' "
	           "with perms=\"rw\" dma=\"yes\" (its device reads and writes the data in "
	           "place); %s",
	           v->data, str(v->name), str(m->domains[drv].name),
	           mp ? "fix that map" : "add such a map");
}

/* No domain but the client and the driver maps the data region. */
static void check_no_other_map(struct manifest *m, const struct m_volume *v, int region, int drv)
{
	int client = manifest_find_domain(m, v->client);

	for (size_t d = 0; d < m->n_domains; d++) {
		const struct m_map *mp = manifest_domain_map(&m->domains[d], region);
		if (!mp || (int)d == client || (int)d == drv)
			continue;
		diag_error(m->diag, v->line,
		           "data region '%s' of volume '%s' is also mapped in '%s' (line %d); a "
		           "volume's data is reached by its client '%s' and the disk's driver "
		           "only: remove that map or give the volume its own region",
		           v->data, str(v->name), str(m->domains[d].name), mp->line,
		           str(v->client));
		return;
	}
}

static void check_data(struct manifest *m, const struct m_volume *v, int drv)
{
	int region = manifest_find_region(m, v->data);

	if (!v->data)
		return;
	if (region < 0) {
		diag_error(m->diag, v->line,
		           "data region '%s' of volume '%s' is not a declared region; declare it "
		           "with <region> and map it in the client and the driver",
		           v->data, str(v->name));
		return;
	}
	if (!check_client_map(m, v, region))
		return;
	if (drv < 0)
		return; /* the disk was reported: who else may map the data is not known */
	check_driver_map(m, v, region, drv);
	check_no_other_map(m, v, region, drv);
}

static const struct m_volume *vol_at(const struct manifest *m, struct vol_ref r)
{
	return &m->domains[r.d].volumes[r.k];
}

static bool overlap(const struct m_volume *a, const struct m_volume *b)
{
	return a->range_ok && b->range_ok && a->first < b->first + b->sectors &&
	       b->first < a->first + a->sectors;
}

/* Reports the first earlier volume on the same driver's disk that overlaps @refs[i]. */
static void check_overlap(struct manifest *m, const struct vol_ref *refs, size_t i)
{
	const struct m_volume *v = vol_at(m, refs[i]);

	for (size_t j = 0; refs[i].driver >= 0 && j < i; j++) {
		const struct m_volume *w = vol_at(m, refs[j]);
		if (refs[j].driver != refs[i].driver || !overlap(v, w) || (v->ro && w->ro))
			continue;
		diag_error(
			m->diag, v->line,
			"volume '%s' (sectors %llu..%llu) overlaps volume '%s' (line %d, sectors "
			"%llu..%llu) on the disk of '%s'; volumes may overlap only when all of "
			"them are access=\"ro\": move one, or make both read-only",
			str(v->name), (unsigned long long)v->first,
			(unsigned long long)(v->first + v->sectors - 1), str(w->name), w->line,
			(unsigned long long)w->first,
			(unsigned long long)(w->first + w->sectors - 1),
			str(m->domains[refs[i].driver].name));
		return;
	}
}

static size_t volume_total(const struct manifest *m)
{
	size_t n = 0;

	for (size_t d = 0; d < m->n_domains; d++)
		n += m->domains[d].n_volumes;
	return n;
}

void volume_check(struct manifest *m)
{
	size_t n = volume_total(m), i = 0;
	struct vol_ref *refs = calloc(n + 1, sizeof(*refs));

	if (!refs)
		return;
	for (size_t d = 0; d < m->n_domains; d++) {
		int first_driver = -1;
		for (size_t k = 0; k < m->domains[d].n_volumes; k++, i++) {
			const struct m_volume *v = &m->domains[d].volumes[k];
			check_volume_ring(m, d, v);
			refs[i] = (struct vol_ref){d, k, volume_driver(m, d, k, first_driver)};
			if (k == 0)
				first_driver = refs[i].driver;
			check_data(m, v, refs[i].driver);
			check_overlap(m, refs, i);
		}
	}
	free(refs);
}
