/* Capability tables: one per domain, filled only from the boot plan. */
#ifndef KERNEL_CAP_H
#define KERNEL_CAP_H

#include <stdint.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/err.h>
#include <kernel/arch.h>

struct domain;

/* One slot. For a channel, @peer is the domain signalled and @badge the
 * bits set on it; for a region or ioport, @index is the plan record. */
struct cap {
	uint16_t type;   /* enum bh_cap_type; BH_CAP_NULL = empty */
	uint16_t rights; /* BH_RIGHT_* */
	uint32_t index;
	uint64_t badge;
	struct domain *peer;
};

struct cap_table {
	struct cap slot[BH_MAX_CAPS];
};

/**
 * Empties every slot of @t.
 * Needs: nothing. Returns: nothing.
 */
void cap_table_clear(struct cap_table *t);

/**
 * Installs @c in slot @slot of @t.
 * Needs: @slot < BH_MAX_CAPS and empty, @c->type valid (the plan checker
 * guarantees both). Returns: nothing.
 */
void cap_install(struct cap_table *t, uint32_t slot, const struct cap *c);

/**
 * Looks up the untrusted @slot, of any type. Returns: the capability, or NULL
 * with *@err set to BH_ERR_BAD_SLOT or BH_ERR_NO_CAP.
 */
const struct cap *cap_get(const struct cap_table *t, uint64_t slot, enum bh_err *err);

/**
 * Looks up the untrusted @slot for an operation needing @type and all of
 * @rights. Returns: the capability, or NULL with *@err set to
 * BH_ERR_BAD_SLOT, BH_ERR_NO_CAP, BH_ERR_WRONG_TYPE or BH_ERR_NO_RIGHT.
 */
const struct cap *cap_lookup(const struct cap_table *t, uint64_t slot, uint16_t type,
                             uint16_t rights, enum bh_err *err);

/**
 * The fast half of cap_lookup, inline for the hypercall paths: the capability
 * in the untrusted @slot if it has @type and all of @rights, else NULL (then
 * cap_lookup says why). The index is masked against speculation (Spectre v1).
 */
static inline const struct cap *cap_find(const struct cap_table *t, uint64_t slot, uint16_t type,
                                         uint16_t rights)
{
	if (slot >= BH_MAX_CAPS)
		return NULL;
	const struct cap *c = &t->slot[arch_index_nospec(slot, BH_MAX_CAPS)];
	return (c->type == type && (c->rights & rights) == rights) ? c : NULL;
}

#endif
