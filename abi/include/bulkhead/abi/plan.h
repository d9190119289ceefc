/* ABI boot plan: the checksummed binary the manifest compiler writes. */
#ifndef BULKHEAD_ABI_PLAN_H
#define BULKHEAD_ABI_PLAN_H

#include <stdint.h>

/*
 * A plan is one buffer: a header, then tables of fixed-size records. Every
 * table is {offset, count} from the start of the plan, 8-byte aligned. All
 * integers are little-endian. Indices refer to records of other tables; the
 * kernel checks every one of them before it creates anything (plan_check).
 */
#define BP_MAGIC 0x31304e414c504842ull /* "BHPLAN01" */
#define BP_VERSION 4u
#define BP_NONE 0xffffffffu /* "no such index" */
#define BP_NAME_LEN 32u     /* names are NUL-terminated in 32 bytes */

/* Limits the kernel is built for (static tables; it allocates nothing later). */
#define BP_MAX_DOMAINS 32u
#define BP_MAX_REGIONS 256u
#define BP_MAX_MAPS 512u
#define BP_MAX_CHANNELS 256u
#define BP_MAX_CAPS_TOTAL 2048u
#define BP_MAX_IOPORTS 64u
#define BP_MAX_DEVICES 32u
#define BP_MAX_IMAGES 32u          /* alternative images, all domains together */
#define BP_MAX_ALTERNATIVES 8u     /* alternative images of one domain */
#define BP_MAX_CHANNEL_BITS 64u    /* channel ids 0..63 per domain */
#define BP_MAX_PERIOD_US 10000000u /* longest budget period: 10 s */
#define BP_MIN_BUDGET_US 10u       /* shortest budget: 10 us */

struct bp_table {
	uint32_t offset; /* bytes from the start of the plan */
	uint32_t count;  /* number of records */
};
_Static_assert(sizeof(struct bp_table) == 8, "boot plan ABI");

struct bp_header {
	uint64_t magic;        /* BP_MAGIC */
	uint32_t version;      /* BP_VERSION */
	uint32_t header_size;  /* sizeof(struct bp_header) */
	uint32_t total_size;   /* bytes in the whole plan */
	uint32_t checksum;     /* CRC-32 (IEEE 802.3) of the plan, this field as 0 */
	uint64_t memory_bytes; /* RAM the compiler checked the plan against */
	char system_name[BP_NAME_LEN];
	struct bp_table domains;  /* struct bp_domain */
	struct bp_table regions;  /* struct bp_region */
	struct bp_table maps;     /* struct bp_map */
	struct bp_table channels; /* struct bp_channel */
	struct bp_table caps;     /* struct bp_cap */
	struct bp_table ioports;  /* struct bp_ioport */
	struct bp_table infos;    /* struct bh_start_info, one per domain, in order */
	struct bp_table devices;  /* struct bp_device */
	uint32_t klog_domain;     /* domain that reads the kernel log, or BP_NONE */
	uint32_t klog_region;     /* region the kernel writes its log into, or BP_NONE */
	uint32_t klog_bit;        /* channel bit the kernel sets on klog_domain */
	uint32_t flags;           /* BP_FLAG_* */
	struct bp_table images;   /* struct bp_image: alternative images */
	struct bp_table faults;   /* struct bp_fault: who hears of whose faults */
};
_Static_assert(sizeof(struct bp_header) == 160, "boot plan ABI");

/* Plan flags. */
#define BP_FLAG_EXIT_WHEN_IDLE 0x1u /* stop the machine when every domain ended */

struct bp_domain {
	char name[BP_NAME_LEN];
	char image[BP_NAME_LEN]; /* multiboot2 module command line to load */
	uint64_t stack_size;     /* bytes, page multiple, > 0 */
	uint64_t heap_size;      /* bytes, page multiple, may be 0 */
	uint64_t budget_us;      /* CPU time per period; 0 = unlimited, else >= BP_MIN_BUDGET_US */
	uint64_t period_us;      /* replenishment period; 0 iff budget is 0; <= BP_MAX_PERIOD_US */
	uint32_t priority;       /* 0 (lowest) .. 255 (highest) */
	uint32_t first_map;      /* maps[first_map .. first_map + n_maps) */
	uint32_t n_maps;
	uint32_t first_cap; /* caps[first_cap .. first_cap + n_caps) */
	uint32_t n_caps;
	uint32_t first_ioport; /* ioports[first_ioport .. + n_ioports) */
	uint32_t n_ioports;
	uint32_t flags;           /* BP_DOMAIN_* */
	uint8_t image_sha256[32]; /* SHA-256 of the whole image file (module) */
};
_Static_assert(sizeof(struct bp_domain) == 160, "boot plan ABI");

/* Domain flags; the other bits are reserved and zero. */
#define BP_DOMAIN_SSBD 0x1u /* disable speculative store bypass while this domain runs */

/*
 * An alternative image of a domain (<alternative image="..."/>): what
 * BH_HC_DOMAIN_RESTART(slot, k) loads for k = index. The records of one
 * domain are consecutive and numbered 1, 2, ... in order. The kernel loads
 * and checks every one at boot and gives the domain the memory for each, so
 * that a replace allocates nothing.
 */
struct bp_image {
	char image[BP_NAME_LEN];  /* multiboot2 module command line */
	uint8_t image_sha256[32]; /* SHA-256 of the whole image file */
	uint32_t domain;          /* whose alternative */
	uint32_t index;           /* 1 .. BP_MAX_ALTERNATIVES */
};
_Static_assert(sizeof(struct bp_image) == 72, "boot plan ABI");

/*
 * Fault routing: when @target faults or exits, the kernel stops it, writes a
 * struct bh_fault_page record into @region (one page, BP_REGION_FAULT, mapped
 * read-only by @supervisor and by no other domain) and sets channel id @bit
 * on @supervisor. At most one record per target; @supervisor holds a
 * BH_CAP_DOMAIN capability on @target with BH_RIGHT_FAULTS.
 */
struct bp_fault {
	uint32_t target;
	uint32_t supervisor;
	uint32_t region;
	uint32_t bit; /* < BP_MAX_CHANNEL_BITS, not used by another channel of @supervisor */
};
_Static_assert(sizeof(struct bp_fault) == 16, "boot plan ABI");

/*
 * Reserved domain names, compared without regard to case: the console prefixes
 * each line with its domain's name, and the kernel's own lines start with
 * "bulkhead:".
 */
#define BP_RESERVED_NAME_KERNEL "kernel"
#define BP_RESERVED_NAME_BULKHEAD "bulkhead"

/* Region flags. */
#define BP_REGION_RING 0x1u /* placed by the compiler for a <ring> */
#define BP_REGION_KLOG 0x2u /* the kernel log (exactly one page) */
/* May be writable in one domain and executable in another (code injection, on purpose). */
#define BP_REGION_WX_SHARED 0x4u
#define BP_REGION_FAULT 0x8u /* a fault page (exactly one page; only the kernel writes it) */
/*
 * Filled at boot from the boot module named like the region (its bytes, the
 * rest zero; zero if that module is absent or larger); mapped read-only only.
 */
#define BP_REGION_MODULE 0x10u

struct bp_region {
	char name[BP_NAME_LEN];
	uint64_t size;     /* bytes, page multiple, > 0; zeroed at boot */
	uint32_t flags;    /* BP_REGION_* */
	uint32_t reserved; /* 0 */
};
_Static_assert(sizeof(struct bp_region) == 48, "boot plan ABI");

struct bp_map {
	uint64_t vaddr;  /* page aligned, in the user half */
	uint32_t region; /* index into regions */
	uint16_t rights; /* BH_RIGHT_READ/WRITE/EXEC; never WRITE|EXEC */
	uint16_t flags;  /* BP_MAP_* */
};
_Static_assert(sizeof(struct bp_map) == 16, "boot plan ABI");

/*
 * Map flags. A DMA map is reachable by the domain's devices at I/O virtual
 * address = vaddr (through the IOMMU), with the map's read/write rights and
 * never execute; it ends at or below BH_DMA_LIMIT.
 */
#define BP_MAP_DMA 0x1u

struct bp_channel {
	uint32_t domain[2]; /* the two ends; different domains */
	uint32_t bit[2];    /* id of end i: bit set on domain[i] when signalled */
};
_Static_assert(sizeof(struct bp_channel) == 16, "boot plan ABI");

struct bp_cap {
	uint32_t slot;   /* < BH_MAX_CAPS, unique within the domain */
	uint16_t type;   /* enum bh_cap_type */
	uint16_t rights; /* BH_RIGHT_*, valid for the type */
	uint32_t object; /* channel: channels index; region: maps index;
	                  * ioport: ioports index; domain: domains index (the target) */
	uint32_t end;    /* channel: which end (0/1) the holder owns */
};
_Static_assert(sizeof(struct bp_cap) == 16, "boot plan ABI");

struct bp_ioport {
	uint16_t base;
	uint16_t count; /* > 0, base + count <= 65536 */
	uint32_t flags; /* BP_IOPORT_* */
};
_Static_assert(sizeof(struct bp_ioport) == 8, "boot plan ABI");

/*
 * I/O port flags. A range that holds a port able to reset or reconfigure the
 * whole machine (keyboard controller, port 0x92, CMOS, ...) needs this flag;
 * ports of the kernel's own devices are never grantable (kernel/plan.c lists both).
 */
#define BP_IOPORT_MACHINE 0x1u

/*
 * A PCI function granted to one domain: the kernel maps its memory BARs into
 * the owner's window (never the pages of the MSI-X table and PBA), programs
 * its MSI-X or MSI itself and delivers the interrupt as channel bit irq_bit,
 * and confines its DMA with the IOMMU to the owner's DMA maps. A device no
 * record names has no DMA at all.
 */
struct bp_device {
	char name[BP_NAME_LEN];
	uint32_t domain;      /* owner */
	uint32_t pci;         /* BH_PCI_ADDR(segment, bus, device, function); segment 0 */
	uint32_t irq_bit;     /* channel id set on the owner on an interrupt, or BP_NONE */
	uint32_t flags;       /* BP_DEVICE_* */
	uint64_t window;      /* vaddr of its BAR window: BH_DEVICE_BASE + k * BH_DEVICE_WINDOW */
	uint64_t window_size; /* BH_DEVICE_WINDOW */
};
_Static_assert(sizeof(struct bp_device) == 64, "boot plan ABI");

/*
 * Device flags. Without an IOMMU the kernel starts a device's owner only if
 * its DMA is declared unconfined; the flow analysis then treats the owner as
 * able to read and write all memory.
 */
#define BP_DEVICE_DMA_UNCONFINED 0x1u

#endif
