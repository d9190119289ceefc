/* Supervisor: TEMPORARY stand-ins for libbh's domain-control wrappers (until h-kernel lands). */
#ifndef SUPERVISOR_SUP_LIBBH_H
#define SUPERVISOR_SUP_LIBBH_H

#include <stdint.h>

#include <bh.h>

/*
 * TEMPORARY: libbh gets bh_domain_stop/resume/restart/state and bh_heartbeat on branch h-kernel.
 * Until that branch is merged the supervisor declares what it uses here (sup_libbh.c makes the
 * hypercalls); once libbh has them, this header and sup_libbh.c go away.
 */

/** BH_HC_DOMAIN_STOP on the BH_CAP_DOMAIN capability in @slot. Returns BH_OK or an error. */
enum bh_err bh_domain_stop(uint32_t slot);
/** BH_HC_DOMAIN_RESTART with @image (0 = its own). Returns BH_OK or an error. */
enum bh_err bh_domain_restart(uint32_t slot, uint32_t image);
/** BH_HC_DOMAIN_STATE: the BH_DSTATE_* word in *@word. Returns BH_OK or an error. */
enum bh_err bh_domain_state(uint32_t slot, uint64_t *word);

#endif
