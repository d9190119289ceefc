/* Boot-plan checker: validates an untrusted plan before the kernel uses it. */
#ifndef KERNEL_PLAN_H
#define KERNEL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/abi/plan.h>

/**
 * Checks the boot plan in @buf (@len bytes, as handed over by the loader):
 * magic, version, sizes, checksum, every table's bounds and alignment, every
 * index, names (NUL-terminated, printable ASCII without spaces, so a report
 * that quotes one stays one line), rights, alignment and overlap of maps, channel
 * ends, capability slots, I/O port ranges, scheduling parameters; and the
 * rules that keep domains apart: no region both writable and executable in
 * one domain or (without BP_REGION_WX_SHARED) across two, no map in the top
 * page of the user half, no port of the kernel's own devices and no machine
 * port without BP_IOPORT_MACHINE, budgets and periods within their bounds,
 * no domain named after the kernel.
 * Needs: @buf readable for @len bytes, 8-byte aligned; @err has @errlen bytes.
 * Returns: true if the kernel may build the system from it; otherwise false
 * and a one-line reason in @err (no trailing newline) naming the record.
 */
bool plan_check(const void *buf, size_t len, char *err, size_t errlen);

/* What a plan may do with an I/O port. */
enum plan_port_rule {
	PLAN_PORT_FREE,    /* an ordinary device port */
	PLAN_PORT_MACHINE, /* resets, reconfigures or writes the whole machine: BP_IOPORT_MACHINE */
	PLAN_PORT_NEVER,   /* the kernel's own devices: never grantable */
};

/* A run of ports [first, last] with a rule and its role, spelled for a message. */
struct plan_port_role {
	uint16_t first, last;
	enum plan_port_rule rule;
	const char *role; /* "the keyboard controller, which drives the reset line" */
};

/**
 * Finds the most restrictive role among the ports [@base, @base + @count):
 * a never-grantable port before a machine port, the lowest port first.
 * Needs: @count > 0. Returns: NULL if every port is an ordinary one; otherwise
 * the role, with the first port it concerns in *@port.
 */
const struct plan_port_role *plan_port_role(uint32_t base, uint32_t count, uint32_t *port);

/**
 * Returns a pointer to the first record of @t inside the checked plan @h.
 * Needs: plan_check() accepted the plan.
 */
static inline const void *plan_table(const struct bp_header *h, struct bp_table t)
{
	return (const char *)h + t.offset;
}

#endif
