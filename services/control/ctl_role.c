/* Control domain: who may do what, the one table of roles, operations and manifest rights. */
#include <string.h>

#include <bulkhead/abi/caps.h>

#include "ctl_role.h"

/* Per operation: its word, the least role, and the manifest rights it needs on the target. */
static const struct {
	const char *name;
	enum ctl_role role;
	uint32_t rights;
} ops[CTL_OP_COUNT] = {
	[CTL_OP_READ] = {"read", CTL_ROLE_READER, 0},
	[CTL_OP_PAUSE] = {"pause", CTL_ROLE_OPERATOR, BH_RIGHT_STOP},
	[CTL_OP_RESUME] = {"resume", CTL_ROLE_OPERATOR, BH_RIGHT_RESUME},
	[CTL_OP_RESTART] = {"restart", CTL_ROLE_OPERATOR, BH_RIGHT_RESTART},
	[CTL_OP_REPLACE] = {"replace", CTL_ROLE_ADMIN, BH_RIGHT_REPLACE},
	[CTL_OP_DESTROY] = {"destroy", CTL_ROLE_ADMIN, BH_RIGHT_DESTROY},
	[CTL_OP_SAVE] = {"save", CTL_ROLE_ADMIN,
                         BH_RIGHT_STOP | BH_RIGHT_READ_MEMORY | BH_RIGHT_VCPU},
	[CTL_OP_RESTORE] = {"restore", CTL_ROLE_ADMIN,
                            BH_RIGHT_RESTART | BH_RIGHT_WRITE_MEMORY | BH_RIGHT_VCPU |
                                    BH_RIGHT_RESUME},
};

/* The control rights, lowest bit first, as the manifest spells them. */
static const char *const right_names[] = {
	"stop",    "resume",      "restart",      "replace", "faults",
	"destroy", "read-memory", "write-memory", "vcpu",
};

static const char *const role_names[] = {"none", "reader", "operator", "admin"};

enum ctl_role ctl_role_from_ou(const char *ou, size_t len)
{
	for (size_t r = CTL_ROLE_READER; r <= CTL_ROLE_ADMIN; r++)
		if (len == strlen(role_names[r]) && memcmp(ou, role_names[r], len) == 0)
			return (enum ctl_role)r;
	return CTL_ROLE_NONE;
}

const char *ctl_role_name(enum ctl_role role)
{
	return (unsigned)role <= CTL_ROLE_ADMIN ? role_names[role] : "none";
}

const char *ctl_role_op_name(enum ctl_op op)
{
	return ops[op].name;
}

enum ctl_op ctl_role_op_from(const char *word, size_t len)
{
	for (size_t op = CTL_OP_PAUSE; op < CTL_OP_COUNT; op++)
		if (len == strlen(ops[op].name) && memcmp(word, ops[op].name, len) == 0)
			return (enum ctl_op)op;
	return CTL_OP_NONE;
}

enum ctl_role ctl_role_needed(enum ctl_op op)
{
	return ops[op].role;
}

bool ctl_role_may(enum ctl_role role, enum ctl_op op)
{
	return role >= CTL_ROLE_READER && role <= CTL_ROLE_ADMIN && role >= ops[op].role;
}

uint32_t ctl_role_rights(enum ctl_op op)
{
	return ops[op].rights;
}

const char *ctl_role_right_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(right_names) / sizeof(right_names[0]); i++)
		if (bit == 1u << i)
			return right_names[i];
	return NULL;
}
