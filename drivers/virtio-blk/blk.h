/* virtio-blk driver: the device, the request decoder and the request path (host-testable). */
#ifndef DRIVERS_VIRTIO_BLK_BLK_H
#define DRIVERS_VIRTIO_BLK_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <blk_proto.h>
#include <ring.h>
#include <virtio.h>

#define BLK_QUEUE_SIZE 256u    /* descriptors asked for (the device may allow fewer) */
#define BLK_DESCS_PER_REQ 3u   /* header, data, status */
#define BLK_MAX_REQS 128u      /* requests in flight at most (also bounded by the queue) */
#define BLK_MAX_REGIONS 16u    /* data regions at most */
#define BLK_MAX_SECTORS 8192u  /* longest transfer: 4 MiB */
#define BLK_STATUS_UNSET 0xffu /* a status byte the device has not written */

/* The features the driver implements (libvirtio adds its own transport features). */
#define BLK_FEATURES \
	(VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO | VIRTIO_BLK_F_SEG_MAX)

/* A data region: a DMA map the client shares, which the device reaches at @daddr. */
struct blk_region {
	volatile uint8_t *base;
	uint64_t size;
	uint64_t daddr;
	bool writable; /* the device may write it (a READ lands there) */
	char name[BLK_REGION_NAME_LEN];
};

/* What a request is checked against. */
struct blk_limits {
	uint64_t capacity;   /* sectors */
	uint32_t block_size; /* bytes, power of two, 512 .. 65536 */
	bool ro;
	const struct blk_region *regions;
	uint32_t n_regions;
};

/* A request that passed every check: what goes to the device. */
struct blk_io {
	uint32_t op; /* enum blk_op */
	uint32_t region;
	uint64_t sector;
	uint32_t count;
	uint32_t len;   /* bytes */
	uint64_t daddr; /* device address of the data */
};

/**
 * Decodes and checks the ring message @m (the caller's private copy): type, size, flags, op,
 * reserved fields, count against length and the transfer limit, alignment to the block size,
 * the sector range against the capacity, the region and the span inside it, and a write to a
 * read-only disk. Needs: @lim valid. Returns: BLK_OK with *@io filled, or the status to answer.
 */
enum blk_status blk_req_decode(const struct ring_msg *m, const struct blk_limits *lim,
                               struct blk_io *io);

/* ---- the device (blk_dev.c) ---- */

enum blk_dev_err {
	BLK_DEV_OK = 0,
	BLK_DEV_VIRTIO,    /* the transport failed: see virtio_err */
	BLK_DEV_NOT_BLOCK, /* the function is not a virtio block device */
	BLK_DEV_MEMORY,    /* the queue memory is too small, misaligned or not DMA */
	BLK_DEV_CONFIG,    /* the device reports an impossible block size or segment count */
};

struct blk_dev {
	struct virtio_pci pci;
	struct virtq q;
	uint8_t *mem; /* queue memory: virtqueue, headers, status bytes */
	uint64_t mem_daddr;
	size_t mem_size;
	volatile struct virtio_blk_hdr *hdrs; /* one per descriptor head */
	volatile uint8_t *status;             /* one per descriptor head */
	uint64_t hdrs_daddr, status_daddr;
	uint64_t capacity; /* sectors */
	uint32_t block_size;
	uint32_t seg_max; /* 0 when the device did not say */
	bool ro, flush;
	enum virtio_err virtio_err; /* the last transport error */
};

/** Bytes of queue memory blk_dev_open needs. */
size_t blk_dev_mem_size(void);

/**
 * Opens the device @ops reaches, with @mem (@size bytes, 64-byte aligned, DMA memory private to
 * the driver) for its queue; checks that it is a virtio block device. Does not reset it.
 * Returns: BLK_DEV_OK, or VIRTIO (dev->virtio_err says why), NOT_BLOCK, MEMORY.
 */
enum blk_dev_err blk_dev_open(struct blk_dev *dev, const struct virtio_ops *ops, void *mem,
                              size_t size);

/**
 * Resets the device and brings it up: features (VERSION_1 and ACCESS_PLATFORM required; block
 * size, flush, read-only, segment count where offered; nothing else), geometry, vector 0 for
 * configuration changes and the queue, one queue, DRIVER_OK. Whatever the device did before
 * (another instance's queue, requests in flight) is forgotten.
 * Returns: BLK_DEV_OK, or VIRTIO, CONFIG.
 */
enum blk_dev_err blk_dev_start(struct blk_dev *dev);

/** A short description of @e (and of dev->virtio_err for BLK_DEV_VIRTIO) for messages. */
const char *blk_dev_err_str(const struct blk_dev *dev, enum blk_dev_err e);

/* ---- the request path (blk_serve.c) ---- */

/* A taken request the device works on, by descriptor head. */
struct blk_slot {
	uint64_t id; /* ring tag */
	uint32_t op;
	bool busy;
};

/* An answer waiting for room in the response queue. */
struct blk_answer {
	uint64_t id;
	struct blk_resp resp;
};

struct blk {
	struct blk_dev dev;
	struct ring *ring; /* the server end of the client's ring */
	struct blk_region regions[BLK_MAX_REGIONS];
	uint32_t n_regions;
	uint32_t max_reqs; /* requests taken and not yet answered, at most */
	bool dead;         /* the device could not be brought back: I/O is answered IOERR */
	bool ring_broken;  /* the client broke the ring protocol */
	struct blk_slot slots[VIRTQ_MAX_SIZE];
	uint32_t n_busy;
	struct blk_answer answers[BLK_MAX_REQS]; /* FIFO of answers not yet in the ring */
	uint32_t ans_head, n_answers;
	uint64_t resets;           /* device recoveries so far */
	uint64_t bogus;            /* used entries the device invented */
	enum blk_dev_err last_err; /* why the last recovery failed, if it did */
};

/* blk_pump's and blk_idle's results. */
#define BLK_NOTIFY 1u /* signal the client: it asked for answers or for room */
#define BLK_READY 2u  /* work is waiting: do not sleep */

/**
 * Sets @b up to serve @ring (attached as server) with the device already opened in b->dev and
 * b->regions[0 .. b->n_regions) filled, and starts the device.
 * Returns: BLK_DEV_OK, or the device's error (the driver then answers I/O with IOERR).
 */
enum blk_dev_err blk_serve_init(struct blk *b, struct ring *ring);

/**
 * One pass over the work: collects completions (and recovers the device if it broke the
 * queue protocol or, after an interrupt @irq, says it needs a reset),
 * answers, takes and checks new requests while it has room, submits them, notifies the device.
 * Returns: BLK_NOTIFY when the client should be signalled.
 */
unsigned blk_pump(struct blk *b, bool irq);

/**
 * blk_pump's first step: collects completions (recovering the device as blk_pump does) and
 * puts their answers into the ring, without publishing them.
 */
void blk_collect(struct blk *b, bool irq);

/**
 * Before sleeping: publishes answers, releases taken slots, and arms the wake-ups the driver
 * can act on (a request if it has room, room for an answer if some wait, a used entry), then
 * looks again. Returns: BLK_READY (do not sleep) and/or BLK_NOTIFY (signal the client).
 */
unsigned blk_idle(struct blk *b);

/** Stops the device (a reset: no more DMA into the client's regions). */
void blk_stop(struct blk *b);

#endif
