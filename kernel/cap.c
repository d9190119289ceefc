/* Capability tables: install from the plan, look up untrusted slot indices. */
#include <string.h>

#include <kernel/arch.h>
#include <kernel/cap.h>

void cap_table_clear(struct cap_table *t)
{
	memset(t, 0, sizeof(*t));
}

void cap_install(struct cap_table *t, uint32_t slot, const struct cap *c)
{
	t->slot[slot] = *c;
}

const struct cap *cap_get(const struct cap_table *t, uint64_t slot, enum bh_err *err)
{
	if (slot >= BH_MAX_CAPS) {
		*err = BH_ERR_BAD_SLOT;
		return NULL;
	}
	const struct cap *c = &t->slot[arch_index_nospec(slot, BH_MAX_CAPS)];
	if (c->type != BH_CAP_NULL)
		return c;
	*err = BH_ERR_NO_CAP;
	return NULL;
}

const struct cap *cap_lookup(const struct cap_table *t, uint64_t slot, uint16_t type,
                             uint16_t rights, enum bh_err *err)
{
	const struct cap *c = cap_get(t, slot, err);
	if (!c)
		return NULL;
	if (c->type != type)
		*err = BH_ERR_WRONG_TYPE;
	else if ((c->rights & rights) != rights)
		*err = BH_ERR_NO_RIGHT;
	else
		return c;
	return NULL;
}
