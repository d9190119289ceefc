/* Domain control: the rules of <alternative>, <control> and <supervise> (docs/control.md). */
#ifndef BHC_CONTROL_H
#define BHC_CONTROL_H

#include "manifest.h"

/**
 * Resolves the targets of every <control> and <supervise> and the heartbeat
 * region of every <supervise>, and reports what does not hold: more than
 * BP_MAX_ALTERNATIVES alternatives in a domain or BP_MAX_IMAGES in all, an
 * alternative that is the domain's own image or repeats another; a <control>
 * of an unknown domain, of the holder itself, twice on one target, with
 * replace on a target without alternatives, a second holder of faults on one
 * target, a cycle of restart or replace rights; a <supervise> of an unknown
 * domain or of a target already supervised, without a <control> of the same
 * holder on the target that has restart (faults for on="fault", replace for
 * replace-after-ms), or whose heartbeat is not a one-page region mapped rw by
 * the target, r by the holder and by no other domain.
 * Needs: @m loaded by manifest_load. Returns: nothing; errors go to m->diag.
 */
void control_check(struct manifest *m);

/** Returns the <control> of domain @holder on domain index @target, or NULL. */
const struct m_control *control_find(const struct m_domain *holder, int target);

/** Spells the BH_RIGHT_STOP.. bits @rights as the manifest does ("stop restart"); "none" for 0. */
const char *control_rights_name(uint32_t rights, char *buf, size_t len);

#endif
