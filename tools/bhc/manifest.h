/* Manifest model: what a manifest declares, as read from its XML, with line numbers. */
#ifndef BHC_MANIFEST_H
#define BHC_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"

#define MANIFEST_NO_INDEX (-1)
#define MANIFEST_DEFAULT_MEMORY (512ull << 20)
#define MANIFEST_DEFAULT_RING_SIZE 0x2000ull /* <ring> without size, and stdout rings */

/* <supervise>: the longest time (one day), the longest backoff, and the defaults. */
#define MANIFEST_MAX_MS 86400000ull
#define MANIFEST_MAX_BACKOFF_MS 60000ull
#define MANIFEST_DEFAULT_MAX_RESTARTS 5u
#define MANIFEST_DEFAULT_WINDOW_MS 10000u
#define MANIFEST_DEFAULT_BACKOFF_MS 10u

/*
 * Every value carries an "ok" flag: false when the attribute was missing or
 * invalid (an error was reported), so that later checks skip it instead of
 * reporting follow-on errors.
 */
struct m_region {
	int line;
	const char *name;
	uint64_t size;
	bool size_ok;
	bool code_sharing;  /* code-sharing="writable": writable here, executable there */
	const char *module; /* module="NAME": filled from the boot module NAME at boot, or NULL */
};

struct m_map {
	int line;
	const char *region; /* name as written; NULL if missing */
	int region_idx;     /* resolved by check, or MANIFEST_NO_INDEX */
	uint64_t vaddr;
	bool vaddr_ok;
	uint32_t rights; /* BH_RIGHT_* */
	bool rights_ok;
	bool dma; /* dma="yes": the domain's devices reach it (BP_MAP_DMA) */
};

struct m_ioport {
	int line;
	uint32_t base, count;
	bool ok;
	bool machine; /* machine="yes": may hold ports that control the whole machine */
};

/* <device name pci irq dma> in a domain: a PCI function the domain drives. */
struct m_device {
	int line;
	const char *name;
	uint32_t pci; /* BH_PCI_ADDR(0, bus, device, function) */
	bool pci_ok;
	uint32_t irq;    /* channel id set on an interrupt, or BP_NONE (none given) */
	bool irq_ok;     /* false: an invalid irq was reported */
	bool unconfined; /* dma="unconfined": its DMA may reach all memory */
};

/*
 * <volume name client disk data first-sector sectors access> in a storage service's
 * domain: sectors of the disk behind ring @disk that client @client reaches over ring
 * @name, its data in region @data (docs/storage.md).
 */
struct m_volume {
	int line;
	const char *name, *client, *disk, *data; /* as written; NULL if missing */
	uint64_t first, sectors;
	bool range_ok; /* both numbers valid, sectors > 0, the end below 2^64 */
	bool ro;       /* access="ro" */
};

/*
 * <port name client data mac ipv4 forward> in a virtual switch's domain: client @client
 * reaches the switch over ring @name with frames in region @data, as address @mac (and @ipv4,
 * optional) (docs/network.md). @forward (optional) lists the guest ports `bulkhead run`
 * forwards from the host to @ipv4, e.g. "tcp:80 udp:7"; it does not change the plan. The
 * values are checked by port_check.
 */
struct m_port {
	int line;
	const char *name, *client, *data, *mac, *ipv4, *forward; /* as written; NULL if missing */
};

/* Facts about a domain's ELF image, filled in by image_check. */
struct m_image {
	bool ok;
	char *path;           /* absolute path of the ELF file */
	uint64_t pages_bytes; /* page-rounded bytes of its loadable segments */
	uint64_t n_segments;
	uint8_t sha256[32]; /* of the whole file, as the kernel checks it */
};

/* <alternative image> in a domain: another image BH_HC_DOMAIN_RESTART may load (index = position + 1). */
struct m_alternative {
	int line;
	const char *image; /* as written; NULL if missing or invalid (reported) */
	struct m_image img;
};

/* <control target rights> in a domain: a BH_CAP_DOMAIN capability on another domain. */
struct m_control {
	int line;
	const char *target; /* as written; NULL if missing */
	int target_idx;     /* resolved by control_check, or MANIFEST_NO_INDEX */
	uint32_t rights;    /* BH_RIGHT_STOP .. BH_RIGHT_FAULTS */
	bool rights_ok;     /* false: an unknown right was reported */
};

/*
 * <supervise target on watchdog-ms heartbeat max-restarts window-ms backoff-ms
 * replace-after-ms> in a domain: the policy its supervisor follows for @target
 * (docs/control.md). Times in milliseconds as written.
 */
struct m_supervise {
	int line;
	const char *target, *heartbeat; /* as written; NULL if missing */
	int target_idx, heartbeat_idx;  /* resolved by control_check, or MANIFEST_NO_INDEX */
	bool on_fault, on_hang;
	bool ok;              /* every value valid (errors reported otherwise) */
	uint64_t watchdog_ms; /* 0: not given */
	uint64_t max_restarts, window_ms, backoff_ms, replace_after_ms;
};

/* What a domain is for, in the system picture: role="..." or a default (manifest_role). */
enum m_role { M_ROLE_NONE, M_ROLE_DRIVER, M_ROLE_SERVICE, M_ROLE_APPLICATION };

struct m_domain {
	int line;
	const char *name;
	const char *image; /* attribute as written; NULL if missing */
	enum m_role role;  /* role="..."; M_ROLE_NONE when absent or invalid */
	uint32_t priority;
	bool priority_ok;
	uint64_t budget_us, period_us; /* 0 = not given */
	bool sched_ok;
	uint64_t stack, heap;
	bool stack_ok, heap_ok;
	bool console; /* image is "console": the console service */
	bool ssbd;    /* ssbd="on": no speculative store bypass while it runs */
	struct m_map *maps;
	size_t n_maps;
	struct m_ioport *ioports;
	size_t n_ioports;
	struct m_device *devices;
	size_t n_devices;
	struct m_volume *volumes;
	size_t n_volumes;
	struct m_port *ports;
	size_t n_ports;
	struct m_alternative *alts;
	size_t n_alts;
	struct m_control *controls;
	size_t n_controls;
	struct m_supervise *supervises;
	size_t n_supervises;
	struct m_image img;
};

struct m_end {
	int line;
	const char *domain;
	int domain_idx;
	uint32_t id;
	bool id_ok;
	bool signal; /* rights="signal" (the default) */
};

struct m_channel {
	int line;
	const char *name; /* NULL: each end is named after its peer */
	struct m_end ends[2];
	size_t n_ends; /* as written; only 2 is valid */
};

struct m_ring {
	int line;
	const char *name;
	const char *client, *server;
	int client_idx, server_idx;
	uint64_t size;
	bool size_ok;
};

/* <no-flow from to except-through> inside <policy>: information must not flow from to to. */
struct m_no_flow {
	int line;
	const char *from, *to, *through;   /* names as written; through may be NULL */
	int from_idx, to_idx, through_idx; /* resolved by check, or MANIFEST_NO_INDEX */
	bool ok;                           /* every name resolved and the rule makes sense */
};

struct manifest {
	const char *file; /* path as given */
	char *dir;        /* directory of the file, for path images */
	int line;         /* line of <system> */
	const char *name;
	uint64_t memory; /* machine RAM: attribute, else --memory, else 512M */
	struct m_region *regions;
	size_t n_regions;
	struct m_domain *domains;
	size_t n_domains;
	struct m_channel *channels;
	size_t n_channels;
	struct m_ring *rings;
	size_t n_rings;
	struct m_no_flow *no_flows; /* every <no-flow> of every <policy>, in document order */
	size_t n_no_flows;
	int console; /* index of the console domain, or MANIFEST_NO_INDEX */
	struct arena arena;
	struct diag *diag;
};

/**
 * Reads @path: well-formedness (libxml2), structure (the embedded XSD), then
 * every attribute value. Errors go to @diag.
 * Needs: @m zeroed; @memory the RAM to assume when <system> has no memory attribute.
 * Returns: false if the file could not be read as XML or its root is not <system>
 * (@m is then empty but must still be freed); true otherwise, even when @diag
 * holds errors.
 */
bool manifest_load(struct manifest *m, const char *path, uint64_t memory, struct diag *diag);

/** Frees everything manifest_load allocated. */
void manifest_free(struct manifest *m);

/** Returns the index of the domain named @name, or MANIFEST_NO_INDEX. */
int manifest_find_domain(const struct manifest *m, const char *name);

/** Returns the index of the region named @name, or MANIFEST_NO_INDEX. */
int manifest_find_region(const struct manifest *m, const char *name);

/** Returns the first ring named @name (NULL @name: none), or NULL. */
const struct m_ring *manifest_find_ring(const struct manifest *m, const char *name);

/** Returns domain @d's first map of region index @region, or NULL. */
const struct m_map *manifest_domain_map(const struct m_domain *d, int region);

/**
 * Returns the role of domain @d of @m: its role attribute, else service for the
 * console, driver for a domain with I/O ports or devices, application otherwise.
 */
enum m_role manifest_role(const struct manifest *m, size_t d);

/** Spells @role as the manifest does: "driver", "service", "application". */
const char *manifest_role_name(enum m_role role);

#endif
