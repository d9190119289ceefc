/* ABI capability types and rights, shared by kernel, libbh and host tools. */
#ifndef BULKHEAD_ABI_CAPS_H
#define BULKHEAD_ABI_CAPS_H

/* Each domain has a table of BH_MAX_CAPS slots; a slot index is all it holds. */
#define BH_MAX_CAPS 64u

/* Capability types. Values are fixed: never renumber. */
enum bh_cap_type {
	BH_CAP_NULL = 0,    /* empty slot */
	BH_CAP_CHANNEL = 1, /* one end of an event channel */
	BH_CAP_REGION = 2,  /* a mapped span of physical memory */
	BH_CAP_IOPORT = 3,  /* a range of x86 I/O ports */
	BH_CAP_DEVICE = 4,  /* a PCI function: BARs, config space, interrupt, DMA */
	BH_CAP_DOMAIN = 5,  /* control over another domain (docs/control.md) */
	BH_CAP_TYPE_COUNT
};

/* Rights bits. A capability carries a subset valid for its type. */
#define BH_RIGHT_READ 0x1u   /* region, ioport: read; device: read config space */
#define BH_RIGHT_WRITE 0x2u  /* region, ioport: write; device: write config, ack */
#define BH_RIGHT_EXEC 0x4u   /* region: execute */
#define BH_RIGHT_SIGNAL 0x8u /* channel: signal the peer end */
#define BH_RIGHTS_ALL 0xfu

/*
 * Rights of a BH_CAP_DOMAIN capability (its own bits, as the manifest's
 * <control rights="..."> names them).
 */
#define BH_RIGHT_STOP 0x1u          /* BH_HC_DOMAIN_STOP */
#define BH_RIGHT_RESUME 0x2u        /* BH_HC_DOMAIN_RESUME */
#define BH_RIGHT_RESTART 0x4u       /* BH_HC_DOMAIN_RESTART with its own image */
#define BH_RIGHT_REPLACE 0x8u       /* BH_HC_DOMAIN_RESTART with an alternative image */
#define BH_RIGHT_FAULTS 0x10u       /* receives the target's fault records */
#define BH_RIGHT_DESTROY 0x20u      /* BH_HC_DOMAIN_DESTROY */
#define BH_RIGHT_READ_MEMORY 0x40u  /* BH_HC_DOMAIN_LAYOUT, BH_HC_DOMAIN_MEM_READ */
#define BH_RIGHT_WRITE_MEMORY 0x80u /* BH_HC_DOMAIN_MEM_WRITE */
#define BH_RIGHT_VCPU 0x100u        /* BH_HC_DOMAIN_VCPU_GET and _SET */
#define BH_DOMAIN_RIGHTS_ALL 0x1ffu

#endif
