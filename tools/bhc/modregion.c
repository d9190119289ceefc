/* Module regions: the rules for <region module="NAME"> and the list of data modules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/plan.h>

#include "modregion.h"
#include "value.h"

/* Is @name the image (or an alternative image) of some domain, or the plan's module? */
static bool module_name_taken(const struct manifest *m, const char *name)
{
	if (strcmp(name, "plan") == 0)
		return true;
	for (size_t i = 0; i < m->n_domains; i++) {
		const struct m_domain *d = &m->domains[i];
		if (d->image && strcmp(d->image, name) == 0)
			return true;
		for (size_t k = 0; k < d->n_alts; k++)
			if (d->alts[k].image && strcmp(d->alts[k].image, name) == 0)
				return true;
	}
	return false;
}

/* The module's name itself; false after an error. */
static bool check_name(struct manifest *m, const struct m_region *r)
{
	char buf[128];
	const char *problem = value_name_problem(r->module, buf, sizeof(buf));

	if (problem) {
		diag_error(m->diag, r->line, "module '%s' of region '%s' %s", r->module, r->name,
		           problem);
		return false;
	}
	if (strcmp(r->module, r->name) != 0) {
		diag_error(m->diag, r->line,
		           "module '%s' of region '%s' must be named like the region: the kernel "
		           "fills the region from the boot module of the region's name; rename the "
		           "region '%s'",
		           r->module, r->name, r->module);
		return false;
	}
	if (module_name_taken(m, r->module)) {
		diag_error(m->diag, r->line,
		           "module '%s' of region '%s' has the name of an image or of the plan; "
		           "boot modules need distinct names: rename the region",
		           r->module, r->name);
		return false;
	}
	return true;
}

/* Every map of region @r must be read-only: the module's bytes are the same for all. */
static void check_maps(struct manifest *m, int r)
{
	for (size_t i = 0; i < m->n_domains; i++) {
		const struct m_domain *d = &m->domains[i];
		for (size_t j = 0; j < d->n_maps; j++) {
			const struct m_map *mp = &d->maps[j];
			if (mp->region_idx != r || !mp->rights_ok ||
			    (mp->rights == BH_RIGHT_READ && !mp->dma))
				continue;
			diag_error(m->diag, mp->line,
			           "region '%s' holds the boot module '%s' and is mapped read-only "
			           "only; map it perms=\"r\" without dma in '%s'",
			           m->regions[r].name, m->regions[r].module, d->name);
		}
	}
}

void modregion_check(struct manifest *m)
{
	for (size_t i = 0; i < m->n_regions; i++) {
		const struct m_region *r = &m->regions[i];
		if (!r->module || !r->name)
			continue;
		if (r->code_sharing)
			diag_error(m->diag, r->line,
			           "region '%s' holds a boot module and is read-only everywhere: "
			           "code-sharing does not apply; drop it",
			           r->name);
		if (check_name(m, r))
			check_maps(m, (int)i);
	}
}

char *modregion_list(const struct layout *l)
{
	size_t len = 1;

	for (size_t i = 0; i < l->n_regions; i++)
		if (l->regions[i].flags & BP_REGION_MODULE)
			len += strlen(l->regions[i].name) + 24;
	char *s = malloc(len);
	if (!s)
		abort();
	s[0] = '\0';
	for (size_t i = 0; i < l->n_regions; i++)
		if (l->regions[i].flags & BP_REGION_MODULE)
			snprintf(s + strlen(s), len - strlen(s), "%s\t%llu\n", l->regions[i].name,
			         (unsigned long long)l->regions[i].size);
	return s;
}
