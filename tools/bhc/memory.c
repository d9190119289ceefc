/* Memory: how much RAM a system needs, element by element, against what the machine has. */
#include "memory.h"

#include <stdlib.h>

#include <bulkhead/abi/layout.h>

#include "value.h"

/* One element's requirement, in the order the manifest declares it. */
struct need {
	int line;
	uint64_t bytes;
	char what[80];
};

static uint64_t spans(uint64_t bytes)
{
	return (bytes + MEMORY_PT_SPAN - 1) / MEMORY_PT_SPAN;
}

/* 16 KiB + one page per started 2 MiB of every mapping (image, info, stack, heap, maps). */
static uint64_t page_tables(const struct layout *l, uint32_t d, uint64_t image_bytes)
{
	const struct bp_domain *bd = &l->domains[d];
	uint64_t pages = spans(image_bytes) + spans(BH_PAGE_SIZE) + spans(bd->stack_size) +
	                 spans(bd->heap_size);

	for (uint32_t j = 0; j < bd->n_maps; j++)
		pages += spans(l->regions[l->maps[bd->first_map + j].region].size);
	return MEMORY_PT_BASE + pages * BH_PAGE_SIZE;
}

/* Rings a domain brings along: its stdout ring (client side), at the console the log, and
 * the fault page of each target whose faults it hears. */
static uint64_t extra(const struct manifest *m, const struct layout *l, uint32_t d)
{
	uint64_t bytes = (int)d == m->console ? l->regions[l->klog_region].size : 0;

	for (size_t i = 0; i < l->n_faults; i++)
		if (l->lfaults[i].holder == d)
			bytes += l->regions[l->lfaults[i].region].size;
	for (size_t i = 0; i < l->n_rings; i++)
		if (l->rings[i].is_stdout && l->rings[i].domain[0] == d)
			bytes += l->rings[i].size;
	return bytes;
}

/* The largest of a domain's images: its memory must hold whichever a restart loads. */
static uint64_t largest_image(const struct m_domain *md)
{
	uint64_t bytes = md->img.pages_bytes;

	for (size_t k = 0; k < md->n_alts; k++)
		if (md->alts[k].img.pages_bytes > bytes)
			bytes = md->alts[k].img.pages_bytes;
	return bytes;
}

static void domain_needs(const struct manifest *m, struct layout *l, uint32_t d)
{
	struct l_domain *ld = &l->ld[d];
	const struct bp_domain *bd = &l->domains[d];

	ld->image_bytes = largest_image(&m->domains[d]);
	ld->pt_bytes = page_tables(l, d, ld->image_bytes);
	ld->extra_bytes = extra(m, l, d);
	ld->total_bytes = ld->image_bytes + bd->stack_size + bd->heap_size + BH_PAGE_SIZE +
	                  ld->pt_bytes + ld->extra_bytes;
}

static struct need *collect(const struct manifest *m, const struct layout *l, size_t *n)
{
	struct need *v = calloc(m->n_regions + m->n_domains + m->n_rings + 1, sizeof(*v));

	if (!v)
		abort();
	for (size_t i = 0; i < m->n_regions; i++, (*n)++) {
		v[*n] = (struct need){m->regions[i].line, m->regions[i].size, ""};
		snprintf(v[*n].what, sizeof(v[*n].what), "region '%s'", m->regions[i].name);
	}
	for (size_t i = 0; i < m->n_domains; i++, (*n)++) {
		v[*n] = (struct need){m->domains[i].line, l->ld[i].total_bytes, ""};
		snprintf(v[*n].what, sizeof(v[*n].what), "domain '%s'", m->domains[i].name);
	}
	for (size_t i = 0; i < m->n_rings; i++, (*n)++) {
		v[*n] = (struct need){m->rings[i].line, m->rings[i].size, ""};
		snprintf(v[*n].what, sizeof(v[*n].what), "ring '%s'", m->rings[i].name);
	}
	return v;
}

/* Stable insertion sort by line: document order. */
static void sort_by_line(struct need *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct need x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1].line > x.line; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void report(struct manifest *m, const struct need *n, uint64_t total)
{
	char a[32], b[32], c[32];
	uint64_t mib64 = 64ull << 20;
	uint64_t suggest = total > UINT64_MAX - mib64 ? total : (total + mib64 - 1) & ~(mib64 - 1);

	diag_error(m->diag, n->line,
	           "out of memory: %s needs %s, which brings the system to %s, "
	           "more than the machine's %s; raise memory= on <system> (e.g. memory=\"%lluM\") "
	           "or make this element smaller",
	           n->what, value_format_size(n->bytes, a, sizeof(a)),
	           value_format_size(total, b, sizeof(b)),
	           value_format_size(m->memory, c, sizeof(c)), (unsigned long long)(suggest >> 20));
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void memory_account(struct manifest *m, struct layout *l)
{
	size_t n = 0;
	uint64_t total = MEMORY_KERNEL_RESERVE;

	for (uint32_t d = 0; d < m->n_domains; d++)
		domain_needs(m, l, d);
	struct need *v = collect(m, l, &n);
	sort_by_line(v, n);
	bool reported = total > m->memory;
	if (reported)
		diag_error(m->diag, m->line,
		           "out of memory: the kernel alone reserves 8 MiB, more "
		           "than the machine's memory; raise memory= on <system>");
	for (size_t i = 0; i < n; i++) {
		total = add_saturating(total, v[i].bytes);
		if (!reported && total > m->memory) {
			report(m, &v[i], total);
			reported = true;
		}
	}
	l->memory_total = total;
	free(v);
}
