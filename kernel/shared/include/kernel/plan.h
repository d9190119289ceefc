/* Boot-plan checker: validates an untrusted plan before the kernel uses it. */
#ifndef KERNEL_PLAN_H
#define KERNEL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/abi/info.h>
#include <bulkhead/abi/plan.h>

/* Why a plan was refused: one value per part of the plan; the message says exactly what. */
enum plan_err {
	PLAN_OK = 0,
	PLAN_ERR_HEADER,   /* no plan, too short, magic, version, sizes, system name, flags */
	PLAN_ERR_CHECKSUM, /* the CRC-32 does not match: the plan changed after bhc wrote it */
	PLAN_ERR_TABLE,    /* a table's count, alignment or bounds; tables overlap; no domains */
	PLAN_ERR_REGION,   /* a region record */
	PLAN_ERR_DOMAIN,   /* a domain record, or two domains sharing a name or records */
	PLAN_ERR_KLOG,     /* the kernel-log fields or the KLOG region flag */
	PLAN_ERR_CHANNEL,  /* a channel record or a channel bit taken twice */
	PLAN_ERR_MAP,      /* a map: rights, placement, overlap, code sharing across domains */
	PLAN_ERR_CAP,      /* a capability record */
	PLAN_ERR_IOPORT,   /* an I/O port range */
	PLAN_ERR_INFO,     /* a start-info page */
	PLAN_ERR_DEVICE,   /* a device record: owner, PCI address, irq bit, window, flags */
	PLAN_ERR_IMAGE,    /* an alternative image record: owner, numbering, name */
	PLAN_ERR_FAULT,    /* a fault record or fault region: target, supervisor, region, bit */
	PLAN_N_ERRS        /* the number of values above, not a result */
};

/**
 * Checks the boot plan in @buf (@len bytes, as handed over by the loader):
 * magic, version, sizes, checksum, every table's bounds and alignment, every
 * index, names (NUL-terminated, printable ASCII without spaces, so a report
 * that quotes one stays one line), rights, alignment and overlap of maps, channel
 * ends, capability slots, I/O port ranges, scheduling parameters; and the
 * rules that keep domains apart: no region both writable and executable in
 * one domain or (without BP_REGION_WX_SHARED) across two, no map over a
 * reserved area (bh_reserved_areas) or in the top page of the user half, no
 * port of the kernel's own devices and no machine port without
 * BP_IOPORT_MACHINE, budgets and periods within their bounds, no domain named
 * after the kernel; devices (an owner with a DMA map, a unique PCI address in
 * segment 0, an irq bit no channel of the owner uses, a window of its own in
 * the device area), DMA maps (never executable, below BH_DMA_LIMIT) and device
 * capabilities (held by the owner, at most one per device); domain control
 * (alternative images, domain capabilities without a cycle of restart rights,
 * fault records and their read-only fault pages; plan_control.c).
 * Needs: @buf readable for @len bytes, 8-byte aligned; @err has @errlen bytes
 * (or is NULL).
 * Returns: PLAN_OK if the kernel may build the system from it; otherwise the
 * class of the first problem found and a one-line reason in @err (no trailing
 * newline) naming the record.
 */
enum plan_err plan_check(const void *buf, size_t len, char *err, size_t errlen);

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

/* A checked plan's header and its tables as typed arrays. */
struct plan_tables {
	const struct bp_header *h;
	const struct bp_domain *domains;
	const struct bp_region *regions;
	const struct bp_map *maps;
	const struct bp_channel *channels;
	const struct bp_cap *caps;
	const struct bp_ioport *ioports;
	const struct bh_start_info *infos;
	const struct bp_device *devices;
	const struct bp_image *images;
	const struct bp_fault *faults;
};

/**
 * Fills @t with @h and a pointer to the first record of each of @h's tables.
 * Needs: plan_check() accepted the plan at @h, or at least its header and
 * table bounds. Returns: nothing; cannot fail.
 */
void plan_tables(const struct bp_header *h, struct plan_tables *t);

#endif
