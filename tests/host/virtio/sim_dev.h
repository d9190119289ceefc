/* Host tests: a simulated virtio-pci block or network device in host memory, behind struct virtio_ops. */
#ifndef TESTS_HOST_VIRTIO_SIM_DEV_H
#define TESTS_HOST_VIRTIO_SIM_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <virtio.h>

#define SIM_CFG_SIZE 4096u
#define SIM_BAR 4u
#define SIM_BAR_BASE 0xfe000000ull /* an opaque address; the BAR lives in struct sim_dev */
#define SIM_BAR_SIZE 0x4000u
#define SIM_COMMON 0x0000u
#define SIM_ISR 0x1000u
#define SIM_DEVCFG 0x2000u
#define SIM_NOTIFY 0x3000u
#define SIM_NOTIFY_MULT 4u
#define SIM_MAX_DMA 8u
#define SIM_MAX_HELD 256u
#define SIM_MAX_QUEUES 2u
#define SIM_WIRE_MAX 512u /* frames a network device keeps of what it sent */
#define SIM_WIRE_KEEP 64u /* bytes it keeps of each */

/* Where the capabilities sit in config space (tests rewrite them to break them). */
#define SIM_CAP_COMMON 0x40u
#define SIM_CAP_NOTIFY 0x50u
#define SIM_CAP_ISR 0x64u
#define SIM_CAP_DEVICE 0x74u
#define SIM_CAP_MSIX 0x84u

/* Memory the device may reach: I/O virtual address = host address, as behind the IOMMU. */
struct sim_dma {
	uint8_t *base;
	size_t size;
	bool writable;
};

/* A chain the device took from the avail ring and has not finished. */
struct sim_held {
	uint16_t head;
};

/* One virtqueue: its registers, and its split ring seen from the device. */
struct sim_vq {
	uint16_t max, size, msix, enable, notify_off;
	uint64_t desc, avail, used;
	uint16_t last_avail, used_idx, signalled_used;
	struct sim_held held[SIM_MAX_HELD];
	uint32_t n_held;
	uint32_t irqs; /* interrupts this queue raised */
};

/* A frame a network device sent: its length and first bytes. */
struct sim_frame {
	uint32_t len;
	uint8_t bytes[SIM_WIRE_KEEP];
};

struct sim_dev {
	uint8_t cfg[SIM_CFG_SIZE];
	/* common configuration */
	uint32_t dfselect, gfselect;
	uint64_t offered, accepted;
	uint16_t msix_config, qsel;
	uint8_t status, generation;
	uint8_t devcfg[0x40];
	/* the queues: 0 (block: requests; net: receive), 1 (net: transmit) */
	struct sim_vq vq[SIM_MAX_QUEUES];
	uint16_t n_queues;
	bool net; /* a network device (sim_net_new) */
	/* the network device: what it sent, what it dropped for want of a buffer */
	struct sim_frame wire[SIM_WIRE_MAX];
	uint32_t n_wire, rx_dropped;
	/* the disk */
	uint8_t *disk;
	uint64_t capacity; /* sectors */
	struct sim_dma dma[SIM_MAX_DMA];
	uint32_t n_dma;
	/* what happened */
	uint32_t kicks, irqs, irqs_seen, resets, requests, flushes, dma_faults, bad_chains,
		bad_mmio;
	uint64_t status_reads;
	/* behaviour */
	bool hold;               /* a notify only takes chains; sim_complete finishes them */
	bool refuse_msix;        /* vectors read back VIRTIO_MSI_NO_VECTOR */
	bool refuse_features_ok; /* FEATURES_OK never sticks */
	bool reset_stuck;        /* device_status never reads 0 again */
	bool flush_unsupp;       /* FLUSH answers UNSUPP */
	bool gen_unstable;       /* config_generation changes on every read */
	bool cfg_writes_denied;  /* every config-space write fails */
	uint64_t ioerr_first, ioerr_count; /* sectors that fail with IOERR */
	uint32_t bogus_ids; /* the next completions write this many invented ids first */
	bool wild_idx;      /* the next completion moves the used index far ahead */
	bool skip_status;   /* completions leave the status byte alone */
	struct virtio_ops ops;
};

/**
 * A block device of @capacity sectors offering @features (a virtio 1.x block function with
 * common, notify, ISR and device capabilities in BAR 4, an MSI-X capability, queue 0 of
 * @q_max descriptors). Returns: the device (sim_free frees it).
 */
struct sim_dev *sim_new(uint64_t capacity, uint64_t features, uint16_t q_max);
/** Frees @s and its disk. */
void sim_free(struct sim_dev *s);

/** Lets the device reach [@base, @base + @size), read-only unless @writable. */
void sim_dma_add(struct sim_dev *s, void *base, size_t size, bool writable);

/** Sets the block size the device reports (BLK_SIZE) and its segment limit (SEG_MAX). */
void sim_set_geometry(struct sim_dev *s, uint32_t blk_size, uint32_t seg_max);

/** Takes every chain the driver made available on queue 0 (sim_fetch_q: on queue @q). */
uint32_t sim_fetch(struct sim_dev *s);
uint32_t sim_fetch_q(struct sim_dev *s, uint16_t q);

/**
 * Finishes up to @n held chains of queue 0 (sim_complete_q: of queue @q), newest first when
 * @reverse, and interrupts as the driver's event index or flags ask. Returns: how many finished.
 */
uint32_t sim_complete(struct sim_dev *s, uint32_t n, bool reverse);
uint32_t sim_complete_q(struct sim_dev *s, uint16_t q, uint32_t n, bool reverse);

/* ---- the network device (sim_net.c) ---- */

/**
 * A network device with address @mac offering @features (a virtio 1.x network function, the
 * same capabilities as sim_new, receive queue 0 and transmit queue 1 of @q_max descriptors,
 * link up). It sends at once what the driver queues for transmit unless s->hold is set.
 * Returns: the device (sim_free frees it).
 */
struct sim_dev *sim_net_new(const uint8_t mac[6], uint64_t features, uint16_t q_max);

/**
 * A frame of @len bytes arrives: it goes, behind its header, into the oldest receive buffer the
 * driver gave, and the device interrupts as asked. Returns: false if the driver gave no buffer
 * (the frame is dropped and counted).
 */
bool sim_net_receive(struct sim_dev *s, const uint8_t *frame, uint32_t len);

/** Sets the link status and sends a configuration interrupt (the link changed). */
void sim_net_set_link(struct sim_dev *s, bool up);

/** Sends one transmit chain the device took (its header skipped). Returns the used length. */
uint32_t sim_net_transmit(struct sim_dev *s, uint16_t head);

/** Publishes queue @q's used index (after s->wild_idx: far ahead) and interrupts as asked. */
void sim_publish_used(struct sim_dev *s, uint16_t q);

/** Sets DEVICE_NEEDS_RESET and sends a configuration interrupt. */
void sim_needs_reset(struct sim_dev *s);

/** Interrupts since the last call (the bit the kernel would deliver). */
bool sim_take_irq(struct sim_dev *s);

/** The disk's bytes at @sector. */
uint8_t *sim_sector(struct sim_dev *s, uint64_t sector);

/** Writes a 16-bit / 32-bit little-endian value into config space (to break capabilities). */
void sim_cfg_put16(struct sim_dev *s, uint32_t off, uint16_t v);
void sim_cfg_put32(struct sim_dev *s, uint32_t off, uint32_t v);

#endif
