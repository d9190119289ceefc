/* ABI start-info page: what a domain finds at BH_INFO_VADDR when it starts. */
#ifndef BULKHEAD_ABI_INFO_H
#define BULKHEAD_ABI_INFO_H

#include <stdint.h>

/*
 * The manifest compiler writes one start-info page per domain into the boot
 * plan; the kernel copies it, unchanged, to a read-only page at
 * BH_INFO_VADDR. A domain looks its resources up here by name, so code never
 * repeats an address the manifest chose.
 */
#define BH_INFO_MAGIC 0x4f464e4948420001ull
#define BH_INFO_VERSION 1u
#define BH_INFO_NAME_LEN 32u
#define BH_INFO_MAX_ENTRIES 40u

/* Kinds of named resources. */
enum bh_res_kind {
	BH_RES_MAP = 1,     /* a <map> of a region: vaddr, size, flags = rights */
	BH_RES_CHANNEL = 2, /* a <channel> end: slot to signal, bit when signalled */
	BH_RES_RING = 3,    /* a <ring>: vaddr, size, slot, bit, flags = role */
	BH_RES_IOPORT = 4,  /* an <ioport> range: vaddr = base, size = count, slot */
	BH_RES_KLOG = 5,    /* the kernel log page (console service only) */
	BH_RES_DEVICE = 6,  /* a <device>: vaddr/size = its BAR window, slot, bit = its
	                     * interrupt's channel id, flags = PCI address (BH_PCI_*) */
	BH_RES_VOLUME = 7,  /* a <volume> a storage service serves: name = its ring's name,
	                     * peer = the client's data region, vaddr = first sector, size =
	                     * sectors, flags = BH_VOLUME_* (docs/storage.md) */
	BH_RES_PORT = 8,    /* a switch <port>, in the switch and in its client: name = its
	                     * ring's name, peer = the client's data region, vaddr = the MAC
	                     * (first byte in bits 47..40), size = the IPv4 address (first
	                     * byte in bits 31..24) or 0, flags = BH_PORT_* (docs/network.md) */
	BH_RES_DOMAIN = 9,  /* a <control> capability: name = the target domain, slot, flags =
	                     * BH_RIGHT_STOP.. rights; with BH_RIGHT_FAULTS: vaddr/size = its
	                     * fault page (struct bh_fault_page), bit = the fault channel id */
	BH_RES_POLICY = 10, /* supervision policy for the target named `name` (docs/control.md):
	                     * peer = the heartbeat map's entry name or "", vaddr = watchdog
	                     * deadline in us (0 = none), size = restart window in us,
	                     * slot = first backoff in us, flags = BH_POLICY_*, bit = replace
	                     * with alternative 1 this many ms after start (0 = never) */
};

/* A BH_RES_POLICY entry's flags: the most restarts per window, and on what to restart. */
#define BH_POLICY_MAX_RESTARTS(f) ((f)&0xffffu)
#define BH_POLICY_ON_FAULT 0x10000u /* restart when it faults (or exits) */
#define BH_POLICY_ON_HANG 0x20000u  /* restart when the watchdog deadline passes */

/* Ring roles (flags of a BH_RES_RING entry). */
#define BH_RING_CLIENT 1u
#define BH_RING_SERVER 2u

/* A read-only volume (flags of a BH_RES_VOLUME entry). */
#define BH_VOLUME_RO 0x1u

/* A port entry's flags: it has an IPv4 address; this domain is the switch serving it. */
#define BH_PORT_IPV4 0x1u
#define BH_PORT_SWITCH 0x2u

/* A DMA map (flags of a BH_RES_MAP entry, beside the rights). */
#define BH_INFO_MAP_DMA 0x100u

/*
 * The heartbeat page its supervisor watches (flags of a BH_RES_MAP entry): the
 * domain increments the uint64_t at offset 0 at least every BH_HEARTBEAT_US
 * (libbh's bh_heartbeat); a watchdog deadline is at least 5 times that.
 */
#define BH_INFO_MAP_HEARTBEAT 0x200u
#define BH_HEARTBEAT_US 10000u

/* PCI address in a BH_RES_DEVICE entry's flags: segment << 16 | bus << 8 | dev << 3 | fn. */
#define BH_PCI_ADDR(seg, bus, dev, fn) \
	(((uint32_t)(seg) << 16) | ((uint32_t)(bus) << 8) | ((uint32_t)(dev) << 3) | (uint32_t)(fn))

/* Slot value for "no capability" in an entry. */
#define BH_NO_SLOT 0xffffffffu

struct bh_info_entry {
	char name[BH_INFO_NAME_LEN]; /* e.g. "log", "shared", "stdout" */
	char peer[BH_INFO_NAME_LEN]; /* channel/ring: the other domain's name */
	uint32_t kind;               /* enum bh_res_kind */
	uint32_t flags;              /* map: BH_RIGHT_*; ring: BH_RING_* */
	uint64_t vaddr;
	uint64_t size;
	uint32_t slot; /* capability slot, or BH_NO_SLOT */
	uint32_t bit;  /* channel id: this bit is set when signalled */
};
_Static_assert(sizeof(struct bh_info_entry) == 96, "start info ABI");

struct bh_start_info {
	uint64_t magic;     /* BH_INFO_MAGIC */
	uint32_t version;   /* BH_INFO_VERSION */
	uint32_t n_entries; /* valid entries below */
	char domain_name[BH_INFO_NAME_LEN];
	char system_name[BH_INFO_NAME_LEN];
	uint64_t heap_base, heap_size;
	uint64_t stack_top, stack_size;
	uint32_t domain_index; /* index of this domain in the plan */
	uint32_t priority;
	uint64_t cycles_per_us; /* TSC rate, measured at boot: the kernel writes it (bhc: 0) */
	uint32_t generation;    /* kernel: 0 at boot, +1 per restart (bhc: 0) */
	uint32_t image_index;   /* kernel: 0 = its own image, k = alternative k (bhc: 0) */
	uint64_t boot_unix;     /* kernel: wall-clock seconds since 1970 (UTC) from the RTC at
	                         * boot, 0 if it could not be read (bhc: 0) */
	uint64_t boot_tsc;      /* kernel: the TSC when boot_unix was read (bhc: 0) */
	uint8_t reserved[256 - 152];
	struct bh_info_entry entries[BH_INFO_MAX_ENTRIES];
};
_Static_assert(sizeof(struct bh_start_info) == 4096, "start info ABI");

#endif
