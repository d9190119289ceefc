/* Control domain: who may do what, the one table of roles, operations and manifest rights. */
#ifndef CONTROL_CTL_ROLE_H
#define CONTROL_CTL_ROLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_api.h"

/*
 * Two checks, both needed: the caller's role (from the client certificate) must reach the
 * operation's (reader: the reads; operator: + pause, resume, restart; admin: everything),
 * and the manifest's <control rights> on the target must hold every right it needs.
 */

/** The role an OU names: "reader", "operator" or "admin" exactly; anything else NONE. */
enum ctl_role ctl_role_from_ou(const char *ou, size_t len);

/** The word for @role: "reader", "operator", "admin", or "none". */
const char *ctl_role_name(enum ctl_role role);

/** The operation's word as the API spells it ("read", "pause", ...); @op < CTL_OP_COUNT. */
const char *ctl_role_op_name(enum ctl_op op);

/** The operation named by the @len bytes at @word (not "read"). Returns: it, or CTL_OP_NONE. */
enum ctl_op ctl_role_op_from(const char *word, size_t len);

/** The least role that may do @op (< CTL_OP_COUNT). */
enum ctl_role ctl_role_needed(enum ctl_op op);

/** Whether @role may do @op: it is a role and reaches ctl_role_needed(@op). */
bool ctl_role_may(enum ctl_role role, enum ctl_op op);

/** The BH_RIGHT_* bits @op needs on its target (0 for CTL_OP_READ). */
uint32_t ctl_role_rights(enum ctl_op op);

/**
 * The name of control right @bit (one BH_RIGHT_STOP..BH_RIGHT_VCPU bit) as the manifest
 * spells it ("stop", "read-memory", ...). Returns: it, or NULL for any other value.
 */
const char *ctl_role_right_name(uint32_t bit);

#endif
