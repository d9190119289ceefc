/* libvirtio: the virtio-pci modern (1.x) transport over abstract device operations. */
#ifndef LIBVIRTIO_VIRTIO_H
#define LIBVIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_spec.h"
#include "virtq.h"

/*
 * How the transport reaches its PCI function. A domain fills it from libbh (virtio_bh.c: the
 * device hypercalls and the mapped BARs); the host tests fill it with a simulated device.
 * Addresses in BARs are opaque: bar() says where a BAR starts, mmio_read/mmio_write take that
 * base plus an offset. Widths are 1, 2 or 4 bytes; 64-bit fields are written as two halves.
 */
struct virtio_ops {
	void *ctx;
	bool (*cfg_read)(void *ctx, uint32_t off, uint32_t width, uint32_t *val);
	bool (*cfg_write)(void *ctx, uint32_t off, uint32_t width, uint32_t val);
	bool (*bar)(void *ctx, uint32_t bar, uint64_t *base, uint64_t *size);
	uint32_t (*mmio_read)(void *ctx, uint64_t addr, uint32_t width);
	void (*mmio_write)(void *ctx, uint64_t addr, uint32_t width, uint32_t val);
	bool (*dma_addr)(void *ctx, const volatile void *p, uint64_t *daddr);
};

enum virtio_err {
	VIRTIO_OK = 0,
	VIRTIO_ERR_TRANSPORT,   /* a config-space or BAR operation failed */
	VIRTIO_ERR_NOT_MODERN,  /* not a virtio 1.x PCI function */
	VIRTIO_ERR_CAPS,        /* a needed capability is missing or malformed */
	VIRTIO_ERR_RESET,       /* device_status did not read 0 after a reset */
	VIRTIO_ERR_FEATURES,    /* the device lacks VERSION_1 or ACCESS_PLATFORM */
	VIRTIO_ERR_FEATURES_OK, /* the device refused the features accepted */
	VIRTIO_ERR_QUEUE,       /* queue absent, or its notify address outside the region */
	VIRTIO_ERR_MSIX,        /* the device refused MSI-X vector 0 */
	VIRTIO_ERR_NEEDS_RESET, /* the device stopped (NEEDS_RESET, FAILED, or reset itself) */
	VIRTIO_ERR_CONFIG,      /* device config read outside its region, or never stable */
	VIRTIO_ERR_COUNT
};

/* Features libvirtio implements itself; every other transport feature is never accepted. */
#define VIRTIO_TRANSPORT_FEATURES \
	(VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM | VIRTIO_F_EVENT_IDX)
/* Features without which libvirtio refuses a device. */
#define VIRTIO_REQUIRED_FEATURES (VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM)
/* Device-type feature bits (0-23 and 50-63); the rest belong to the transport. */
#define VIRTIO_DEVICE_FEATURES (0xffffffull | (~0ull << 50))
/* Reads of device_status after a reset before giving up. */
#define VIRTIO_RESET_POLLS 100000u
/* Tries of a device-config read whose generation changes under it. */
#define VIRTIO_CONFIG_TRIES 16u

/* A configuration structure: where it lies in BAR space, and how long it is. */
struct virtio_region {
	uint64_t base;
	uint32_t len;
};

struct virtio_pci {
	const struct virtio_ops *ops;
	uint16_t device_id; /* virtio device type (VIRTIO_ID_*) */
	struct virtio_region common, notify, device;
	uint32_t notify_mult; /* notify_off_multiplier */
	uint64_t offered;     /* what the device offered */
	uint64_t features;    /* what was accepted */
};

/** A short description of @e for messages ("the device refused MSI-X vector 0"). */
const char *virtio_err_str(enum virtio_err e);

/**
 * Opens the function @ops reaches: checks it is a modern virtio device, enables memory decode
 * and bus mastering, and finds its common, notify and device configuration structures.
 * Needs: @d writable. Returns: VIRTIO_OK, or TRANSPORT, NOT_MODERN, CAPS.
 */
enum virtio_err virtio_pci_open(struct virtio_pci *d, const struct virtio_ops *ops);

/**
 * Resets the device: writes 0 to device_status and waits (at most VIRTIO_RESET_POLLS reads)
 * until it reads 0, so the device has stopped every DMA and forgotten its queues.
 * Returns: VIRTIO_OK or VIRTIO_ERR_RESET.
 */
enum virtio_err virtio_pci_reset(struct virtio_pci *d);

/**
 * After a reset: ACKNOWLEDGE, DRIVER, then accepts what the device offers of @wanted (the
 * device-type features the caller implements) and of VIRTIO_TRANSPORT_FEATURES, and sets
 * FEATURES_OK. On failure the device is marked FAILED.
 * Returns: VIRTIO_OK (d->features set), FEATURES (a required feature is not offered),
 * FEATURES_OK (the device did not keep FEATURES_OK).
 */
enum virtio_err virtio_pci_negotiate(struct virtio_pci *d, uint64_t wanted);

/**
 * Routes configuration-change interrupts to MSI-X vector 0 (the one the kernel programs).
 * Returns: VIRTIO_OK, or VIRTIO_ERR_MSIX if the device reads back VIRTIO_MSI_NO_VECTOR.
 */
enum virtio_err virtio_pci_config_vector(struct virtio_pci *d);

/**
 * Sets up queue @index with at most @max_size descriptors (the largest power of two the device
 * allows) in @mem, which the device reaches at @daddr (virtq_mem_size(max_size) bytes), its
 * interrupts on MSI-X vector 0, and enables it.
 * Returns: VIRTIO_OK, QUEUE (absent, bad size or memory, notify outside the region), MSIX.
 */
enum virtio_err virtio_pci_queue_setup(struct virtio_pci *d, uint16_t index, uint16_t max_size,
                                       void *mem, uint64_t daddr, struct virtq *q);

/** Sets DRIVER_OK. Returns: VIRTIO_OK, or VIRTIO_ERR_NEEDS_RESET if the device stopped. */
enum virtio_err virtio_pci_driver_ok(struct virtio_pci *d);

/** Returns: true if the device stopped working (NEEDS_RESET, FAILED, or no longer DRIVER_OK). */
bool virtio_pci_needs_reset(struct virtio_pci *d);

/** Marks the device FAILED (the driver gives up on it until the next reset). */
void virtio_pci_fail(struct virtio_pci *d);

/** Tells the device that queue @q has new buffers. */
void virtio_pci_notify(struct virtio_pci *d, const struct virtq *q);

/**
 * Reads @width (1, 2 or 4) bytes of the device-specific configuration at @off, or 8 bytes with
 * virtio_pci_config_read64, retrying while the configuration generation changes.
 * Returns: VIRTIO_OK, or VIRTIO_ERR_CONFIG (outside the region, or never stable).
 */
enum virtio_err virtio_pci_config_read(struct virtio_pci *d, uint32_t off, uint32_t width,
                                       uint32_t *val);
enum virtio_err virtio_pci_config_read64(struct virtio_pci *d, uint32_t off, uint64_t *val);

/**
 * Reads @n bytes of the device-specific configuration at @off into @buf, one byte at a time,
 * all under one configuration generation (retried while it changes, bounded).
 * Returns: VIRTIO_OK, or VIRTIO_ERR_CONFIG (outside the region, or never stable).
 */
enum virtio_err virtio_pci_config_bytes(struct virtio_pci *d, uint32_t off, uint8_t *buf,
                                        uint32_t n);

/** Translates @p (in DMA memory) to the address the device uses. Returns false if not DMA. */
bool virtio_pci_dma_addr(struct virtio_pci *d, const volatile void *p, uint64_t *daddr);

#endif
