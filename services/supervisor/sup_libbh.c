/* Supervisor: TEMPORARY stand-ins for libbh's domain-control wrappers (until h-kernel lands). */
#include <bh_hypercall.h>

#include "sup_libbh.h"

enum bh_err bh_domain_stop(uint32_t slot)
{
	uint64_t val;

	return (enum bh_err)bh_hc1(BH_HC_DOMAIN_STOP, slot, &val);
}

enum bh_err bh_domain_restart(uint32_t slot, uint32_t image)
{
	uint64_t val;

	return (enum bh_err)bh_hc4(BH_HC_DOMAIN_RESTART, slot, image, 0, 0, &val);
}

enum bh_err bh_domain_state(uint32_t slot, uint64_t *word)
{
	return (enum bh_err)bh_hc1(BH_HC_DOMAIN_STATE, slot, word);
}
