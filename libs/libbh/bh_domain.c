/* libbh: domain control (stop, resume, restart, state), its start-info entries, the heartbeat. */
#include <bh.h>
#include <bh_hypercall.h>

enum bh_err bh_domain_stop(uint32_t slot)
{
	uint64_t v;

	return (enum bh_err)bh_hc1(BH_HC_DOMAIN_STOP, slot, &v);
}

enum bh_err bh_domain_resume(uint32_t slot)
{
	uint64_t v;

	return (enum bh_err)bh_hc1(BH_HC_DOMAIN_RESUME, slot, &v);
}

enum bh_err bh_domain_restart(uint32_t slot, uint32_t image)
{
	uint64_t v;

	return (enum bh_err)bh_hc4(BH_HC_DOMAIN_RESTART, slot, image, 0, 0, &v);
}

enum bh_err bh_domain_state(uint32_t slot, uint64_t *word)
{
	uint64_t v = 0;
	enum bh_err err = (enum bh_err)bh_hc1(BH_HC_DOMAIN_STATE, slot, &v);

	*word = err == BH_OK ? v : 0;
	return err;
}

const struct bh_info_entry *bh_domain_find(const char *target)
{
	return bh_lookup(target, BH_RES_DOMAIN);
}

const struct bh_info_entry *bh_policy_find(const char *target)
{
	return bh_lookup(target, BH_RES_POLICY);
}

/* The heartbeat page's counter: looked up once per instance (a restart starts afresh). */
static volatile uint64_t *heartbeat;
static bool heartbeat_looked;

static volatile uint64_t *heartbeat_counter(void)
{
	const struct bh_start_info *info = bh_info();

	if (!info)
		return NULL;
	heartbeat_looked = true;
	uint32_t n = info->n_entries < BH_INFO_MAX_ENTRIES ? info->n_entries : BH_INFO_MAX_ENTRIES;
	for (uint32_t i = 0; i < n; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (e->kind == BH_RES_MAP && (e->flags & BH_INFO_MAP_HEARTBEAT) &&
		    (e->flags & BH_RIGHT_WRITE) && e->size >= sizeof(uint64_t))
			return (volatile uint64_t *)(uintptr_t)e->vaddr;
	}
	return NULL;
}

void bh_heartbeat(void)
{
	if (!heartbeat_looked)
		heartbeat = heartbeat_counter();
	if (heartbeat)
		*heartbeat = *heartbeat + 1;
}

enum bh_err bh_domain_destroy(uint32_t slot)
{
	uint64_t v;

	return (enum bh_err)bh_hc1(BH_HC_DOMAIN_DESTROY, slot, &v);
}

enum bh_err bh_domain_stats(uint32_t slot, struct bh_domain_stats *out)
{
	uint64_t v;

	return (enum bh_err)bh_hc4(BH_HC_DOMAIN_STATS, slot, (uint64_t)(uintptr_t)out, 0, 0, &v);
}

enum bh_err bh_domain_layout(uint32_t slot, struct bh_mem_span *spans, uint32_t max,
                             uint32_t *total)
{
	uint64_t v = 0;
	enum bh_err err = (enum bh_err)bh_hc4(BH_HC_DOMAIN_LAYOUT, slot, (uint64_t)(uintptr_t)spans,
	                                      max, 0, &v);

	*total = err == BH_OK ? (uint32_t)v : 0;
	return err;
}

enum bh_err bh_domain_mem_read(uint32_t slot, uint64_t vaddr, void *buf, uint64_t len)
{
	uint64_t v;

	return (enum bh_err)bh_hc4(BH_HC_DOMAIN_MEM_READ, slot, vaddr, (uint64_t)(uintptr_t)buf,
	                           len, &v);
}

enum bh_err bh_domain_mem_write(uint32_t slot, uint64_t vaddr, const void *buf, uint64_t len)
{
	uint64_t v;

	return (enum bh_err)bh_hc4(BH_HC_DOMAIN_MEM_WRITE, slot, vaddr, (uint64_t)(uintptr_t)buf,
	                           len, &v);
}

enum bh_err bh_domain_vcpu_get(uint32_t slot, struct bh_vcpu_state *out)
{
	uint64_t v;

	return (enum bh_err)bh_hc4(BH_HC_DOMAIN_VCPU_GET, slot, (uint64_t)(uintptr_t)out, 0, 0, &v);
}

enum bh_err bh_domain_vcpu_set(uint32_t slot, const struct bh_vcpu_state *state)
{
	uint64_t v;

	return (enum bh_err)bh_hc4(BH_HC_DOMAIN_VCPU_SET, slot, (uint64_t)(uintptr_t)state, 0, 0,
	                           &v);
}
