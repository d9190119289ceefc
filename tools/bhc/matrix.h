/* Access matrix: which domain or device holds which right on every region, ring, channel, port
 * range and device. */
#ifndef BHC_MATRIX_H
#define BHC_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "layout.h"
#include "manifest.h"

/* What a column of the matrix is. */
enum matrix_kind {
	MATRIX_REGION,
	MATRIX_RING,
	MATRIX_CHANNEL,
	MATRIX_IOPORT,
	MATRIX_KLOG,
	MATRIX_DEVICE,
	MATRIX_CONTROL
};

/* Rights in a cell (a node's access to a column's resource); 0 = no access. */
#define MATRIX_READ 0x01u     /* map, klog: readable; ioport: in; a device's DMA: reads */
#define MATRIX_WRITE 0x02u    /* map: writable; ioport: out; a device's DMA: writes */
#define MATRIX_EXEC 0x04u     /* map: executable */
#define MATRIX_CLIENT 0x08u   /* ring: the client end */
#define MATRIX_SERVER 0x10u   /* ring: the server end */
#define MATRIX_END 0x20u      /* channel: holds an end */
#define MATRIX_SIGNAL 0x40u   /* channel: that end may signal the peer */
#define MATRIX_OWNER 0x80u    /* device: its owner, which drives it and takes its interrupt */
#define MATRIX_SELF 0x100u    /* device: the device itself */
#define MATRIX_DMA_ALL 0x200u /* device: its unconfined DMA reads and writes this memory */
#define MATRIX_HOLDER 0x400u  /* control: holds the <control> (C) */
#define MATRIX_TARGET 0x800u  /* control: the domain it controls (T) */

/* Nodes: every domain, then every device (devices are nodes of the flow graph too). */
#define MATRIX_MAX_NODES (BP_MAX_DOMAINS + BP_MAX_DEVICES)
_Static_assert(MATRIX_MAX_NODES <= 64, "node sets are 64-bit masks");

#define MATRIX_LABEL_LEN 48u

/* One resource: a column of the matrix. */
struct matrix_col {
	enum matrix_kind kind;
	char label[MATRIX_LABEL_LEN]; /* region:NAME, ring:NAME, chan:NAME, io:0xBASE+N, klog,
	                               * dev:NAME, ctl:HOLDER/TARGET */
	const char *name;  /* its name; a stdout ring: the client; NULL: unnamed channel, ports */
	int line;          /* where the manifest declares it (0: added by bhc) */
	bool is_stdout;    /* a stdout ring, wired by bhc */
	uint64_t size;     /* region and ring bytes; I/O port count */
	uint32_t base;     /* first I/O port */
	bool code_sharing; /* region: code-sharing="writable" (written here, run there) */
	bool machine;      /* I/O ports: machine="yes", they control the whole machine */
	bool unconfined;   /* device: dma="unconfined", its DMA reaches all memory */
	uint32_t rights;   /* control: BH_RIGHT_STOP.. */
	uint16_t cell[MATRIX_MAX_NODES]; /* MATRIX_* rights of each node */
};

/* A row of the matrix: a domain, or a device. */
struct matrix_node {
	const char *name;
	bool device;
	size_t owner;    /* device: the node of the domain that drives it */
	uint32_t pci;    /* device: BH_PCI_ADDR */
	bool unconfined; /* device: dma="unconfined" */
};

struct matrix {
	const struct manifest *m;
	size_t n_domains; /* nodes 0 .. n_domains - 1 are the domains */
	size_t n_nodes;   /* then the devices, in plan order, up to n_nodes */
	struct matrix_node nodes[MATRIX_MAX_NODES];
	struct matrix_col *cols; /* regions, rings (manifest's, then stdout), channels, ports,
	                          * devices, controls, klog */
	size_t n_cols;
};

/**
 * Collects every resource of the compiled system and every node's rights on it:
 * a device holds the rights of its owner's DMA maps on their regions (read and
 * write on every region when its DMA is unconfined), and its own column joins
 * it to its owner (and, unconfined, to every domain's memory); a <control>
 * joins its holder to its target.
 * Needs: @l built from @m by layout_build without errors (at most BP_MAX_DOMAINS domains).
 * Returns: nothing; free @mx with matrix_free.
 */
void matrix_build(struct matrix *mx, const struct manifest *m, const struct layout *l);

/** Frees what matrix_build allocated. */
void matrix_free(struct matrix *mx);

/**
 * Spells the rights @cell of a column of @kind as the matrix prints them:
 * r, rw, rx (maps), r (klog), client or server (rings), s or - (channels),
 * rw (I/O ports), owner, self or rw (devices), C or T (controls: holder,
 * target), or "." for no access. Returns a
 * static string.
 */
const char *matrix_cell_name(enum matrix_kind kind, uint16_t cell);

/** Returns the node named @name (a domain's or a device's), or -1. */
int matrix_find_node(const struct matrix *mx, const char *name);

/**
 * Writes the matrix as aligned plain text to @f: a legend (with a line for each
 * code-sharing region, machine port range, unconfined device and control), then one row
 * per domain and device and one column per resource. Wider than @width characters, the
 * columns are split into groups, each printed as its own table with the
 * domain column repeated. Needs: @mx built.
 */
void matrix_print(FILE *f, const struct matrix *mx, size_t width);

#endif
