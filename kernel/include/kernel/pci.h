/* PCI: configuration space, functions, memory BARs and capabilities (MSI, MSI-X, vendor-specific). */
#ifndef KERNEL_PCI_H
#define KERNEL_PCI_H

#include <stdbool.h>
#include <stdint.h>

/* A function's address in segment 0: bus << 8 | device << 3 | function (the requester id). */
#define PCI_BDF(bus, dev, fn) ((uint16_t)(((bus) << 8) | ((dev) << 3) | (fn)))
#define PCI_BUS(bdf) ((uint8_t)((bdf) >> 8))
#define PCI_DEV(bdf) ((uint8_t)(((bdf) >> 3) & 31))
#define PCI_FN(bdf) ((uint8_t)((bdf)&7))

/* Configuration space registers the kernel uses. */
#define PCI_VENDOR 0x00
#define PCI_DEVICE 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS 0x08 /* revision, then the class code in the upper 24 bits */
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19 /* bridges (header type 1) */
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_CAP_PTR 0x34

#define PCI_COMMAND_IO 0x1u
#define PCI_COMMAND_MEMORY 0x2u
#define PCI_COMMAND_MASTER 0x4u
#define PCI_STATUS_CAP_LIST 0x10u

#define PCI_CAP_MSI 0x05
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_MSIX 0x11

/* One function, as its header says. */
struct pci_func {
	uint16_t bdf;
	uint16_t vendor, device;
	uint32_t class_code; /* class, subclass, programming interface */
	uint8_t header_type; /* 0 device, 1 bridge (multi-function bit removed) */
};

/* A memory BAR: where it is and how large, from the write-ones sizing protocol. */
struct pci_bar {
	uint64_t addr;
	uint64_t size;
	bool is64;
	bool prefetchable;
};

/* Why a BAR or capability could not be read. */
enum pci_err {
	PCI_OK = 0,
	PCI_ERR_ABSENT, /* no function at that address */
	PCI_ERR_INDEX,  /* no such BAR in this header type, or the upper half of a 64-bit one */
	PCI_ERR_IO_BAR, /* an I/O port BAR, not memory */
	PCI_ERR_UNUSED, /* the BAR is not implemented (size 0) */
	PCI_ERR_BAD_BAR, /* a 64-bit BAR in the last slot, a reserved type, or a size that overflows */
	PCI_ERR_NO_CAP,  /* the capability is not in the list */
	PCI_ERR_BAD_CAP, /* the capability's fields point outside its BAR or are malformed */
};

/* An MSI capability: offsets of its registers in configuration space. */
struct pci_msi {
	uint8_t cap;         /* the capability's offset */
	bool is64;           /* address is 64 bits (data at cap + 12, else cap + 8) */
	bool maskable;       /* per-vector mask bits present */
	uint8_t max_vectors; /* 1, 2, 4, 8, 16 or 32 */
};

/* An MSI-X capability: its table and pending-bit array, each a BAR and an offset in it. */
struct pci_msix {
	uint8_t cap;
	uint16_t vectors; /* table entries, 1..2048 */
	uint8_t table_bar, pba_bar;
	uint32_t table_offset, pba_offset;
};

/* Architecture hooks (kernel/arch/x86_64/pci_ecam.c). */

/**
 * Reads @size (1, 2 or 4) bytes at @offset (< 4096, aligned to @size) of the
 * configuration space of @bdf. Returns: the value, or all ones where no
 * function answers, no configuration window covers the bus, or the arguments
 * are bad.
 */
uint32_t arch_pci_cfg_read(uint16_t bdf, uint16_t offset, unsigned size);

/** Writes @size bytes of @value at @offset of @bdf's configuration space (bad arguments: nothing). */
void arch_pci_cfg_write(uint16_t bdf, uint16_t offset, unsigned size, uint32_t value);

/** Returns: the highest bus number the configuration windows reach, or -1 with none. */
int arch_pci_last_bus(void);

/* Generic PCI (kernel/pci.c). */

/** Reads @bdf's header into @out. Returns: true, or false if no function is there. */
bool pci_find(uint16_t bdf, struct pci_func *out);

/**
 * Calls @fn for every function on the buses the firmware numbered (bus 0,
 * then every bus up to the highest subordinate bus a bridge names), at most
 * @max calls. Returns: the number of functions found.
 */
unsigned pci_enumerate(void (*fn)(const struct pci_func *f, void *arg), void *arg, unsigned max);

/**
 * Reads memory BAR @index of @bdf: address, and size by writing all ones with
 * memory and I/O decoding off (restored after). Needs: boot time, the device
 * not in use. Returns: PCI_OK and *@out, or why not.
 */
enum pci_err pci_bar(uint16_t bdf, unsigned index, struct pci_bar *out);

/**
 * Finds the capability @id in @bdf's list after offset @after (0: from the
 * start). The list is walked at most 48 steps, each pointer checked.
 * Returns: PCI_OK and its offset in *@off, or PCI_ERR_NO_CAP/_ABSENT.
 */
enum pci_err pci_cap_find(uint16_t bdf, uint8_t id, uint8_t after, uint8_t *off);

/** Reads @bdf's MSI capability. Returns: PCI_OK and *@out, or why not. */
enum pci_err pci_msi(uint16_t bdf, struct pci_msi *out);

/**
 * Reads @bdf's MSI-X capability and checks that the table and the PBA lie
 * inside memory BARs of the function. Needs: boot time (sizes the BARs).
 * Returns: PCI_OK and *@out, or why not.
 */
enum pci_err pci_msix(uint16_t bdf, struct pci_msix *out);

#endif
