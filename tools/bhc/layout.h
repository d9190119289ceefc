/* Layout: turns a checked manifest into the boot plan's tables (rings, ids, vaddrs, caps, infos). */
#ifndef BHC_LAYOUT_H
#define BHC_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/abi/info.h>
#include <bulkhead/abi/plan.h>

#include "manifest.h"

#define LAYOUT_KLOG_SIZE 0x1000ull
#define LAYOUT_FAULT_SIZE 0x1000ull /* struct bh_fault_page */

/* A ring of the plan: each manifest <ring>, then one stdout ring per console client. */
struct l_ring {
	const char *name;              /* info entry name: the ring's, or "stdout" */
	char region_name[BP_NAME_LEN]; /* region name: the ring's, or "stdout.CLIENT" */
	int line;                      /* where the manifest asks for it */
	bool is_stdout;
	bool unplaced;      /* did not fit into a ring area (reported once) */
	uint32_t domain[2]; /* [0] client, [1] server */
	uint64_t size;
	uint32_t region, channel; /* plan indices */
	uint32_t id[2];           /* channel id at the client, at the server */
	uint64_t vaddr[2];        /* where it is mapped at the client, at the server */
};

/* A fault page: a <control> with faults, the region bhc places for it, its map in the holder. */
struct l_fault {
	uint32_t holder, target; /* domain indices */
	uint32_t region;         /* plan index of its BP_REGION_FAULT region */
	uint32_t bit;            /* channel id the kernel sets on the holder */
	uint64_t vaddr;          /* where the holder maps it (read-only) */
	int line;                /* the <control> */
};

/* What one domain needs, for the memory total and the summary. */
struct l_domain {
	uint64_t image_bytes, pt_bytes, extra_bytes, total_bytes;
	uint64_t used_ids;   /* channel ids (bits) taken in this domain */
	bool ids_exhausted;  /* reported; its resource counts are moot */
	uint64_t next_vaddr; /* ring area cursor */
	uint32_t klog_id;
	uint64_t klog_vaddr;
	uint32_t first_device; /* its devices in the device table */
};

/* A distinct ELF file, loaded as one multiboot2 module. */
struct l_module {
	char name[BP_NAME_LEN];
	const char *path;
};

struct layout {
	struct bp_domain *domains;
	struct bp_region *regions;
	struct bp_map *maps;
	struct bp_channel *channels;
	struct bp_cap *caps;
	struct bp_ioport *ioports;
	struct bh_start_info *infos;
	struct bp_device *devices;
	struct bp_image *images; /* every <alternative>, domain by domain */
	struct bp_fault *faults; /* one per l_fault, in the same order */
	size_t n_domains, n_regions, n_maps, n_channels, n_caps, n_ioports, n_devices;
	size_t n_images, n_faults;
	struct l_fault *lfaults;
	struct l_ring *rings;
	size_t n_rings;
	struct l_domain *ld; /* one per domain */
	struct l_module *modules;
	size_t n_modules;
	uint32_t klog_domain, klog_region, klog_bit; /* BP_NONE without a console */
	uint64_t memory_bytes;                       /* the machine's RAM */
	uint64_t memory_total;                       /* what the system needs of it */
	uint32_t flags;                              /* BP_FLAG_* */
};

/**
 * Builds every plan table from @m (each domain record with its image's SHA-256
 * and flags, regions, maps and ioport ranges with theirs, the devices with
 * their windows, the alternative images, the fault routes): wires a stdout
 * ring from each domain to the console and the kernel log into it, a fault
 * page to each holder of faults, picks channel ids for the log, fault pages
 * and rings (from 63 down, around the ids of channels and device interrupts),
 * places them in the ring area, assigns capability slots (domain control
 * capabilities last) and writes each domain's start-info page;
 * then checks the kernel's limits, the start-info capacity and the memory total.
 * Needs: @m loaded and checked with no errors, images inspected; @l zeroed.
 * Returns: nothing; errors go to m->diag. Free @l with layout_free.
 */
void layout_build(struct manifest *m, struct layout *l, uint32_t flags);

/** Frees what layout_build allocated. */
void layout_free(struct layout *l);

#endif
