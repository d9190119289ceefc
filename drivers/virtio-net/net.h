/* virtio-net driver: the device, the request decoder and the frame path (host-testable). */
#ifndef DRIVERS_VIRTIO_NET_NET_H
#define DRIVERS_VIRTIO_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net_proto.h>
#include <ring.h>
#include <virtio.h>

#define NET_QUEUE_SIZE 256u /* descriptors asked for per queue (the device may allow fewer) */
#define NET_MIN_QUEUE 16u   /* a device that allows fewer is refused */
#define NET_VHDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr))
/* Answers that can wait for room in the ring: one per buffer the device may hold, and some
 * more so that refusals still flow while both queues are full. */
#define NET_MAX_ANSWERS (2u * VIRTQ_MAX_SIZE + 16u)

/* The device-type features the driver implements (libvirtio adds its transport features). */
#define NET_FEATURES (VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS)

_Static_assert(NET_VHDR_LEN <= NET_HEADROOM, "the device header fits the protocol's headroom");

/* The client's data region: a DMA map it shares, which the device reaches at @daddr. */
struct net_region {
	volatile uint8_t *base;
	uint64_t size;
	uint64_t daddr;
};

/* A request that passed every check. */
struct net_io {
	uint32_t op; /* enum net_op */
	uint64_t offset;
	uint32_t length;
};

/**
 * Decodes and checks the ring message @m (the caller's private copy) against a data region
 * of @region_size bytes: message type, flags and size, then net_req_check.
 * Returns: NET_OK with *@io filled, or the status to answer (io->op set if the op was read).
 */
enum net_status net_req_decode(const struct ring_msg *m, uint64_t region_size, struct net_io *io);

/* ---- the device (net_dev.c) ---- */

enum net_dev_err {
	NET_DEV_OK = 0,
	NET_DEV_VIRTIO,  /* the transport failed: see virtio_err */
	NET_DEV_NOT_NET, /* the function is not a virtio network device */
	NET_DEV_MEMORY,  /* the queue memory is too small, misaligned or not DMA */
	NET_DEV_CONFIG,  /* no MAC offered, or queues smaller than NET_MIN_QUEUE */
};

struct net_dev {
	struct virtio_pci pci;
	struct virtq rxq, txq;
	uint8_t *mem; /* queue memory: the two virtqueues */
	uint64_t mem_daddr;
	size_t mem_size;
	uint8_t mac[NET_MAC_LEN];
	bool has_status; /* the device reports link status */
	enum virtio_err virtio_err;
};

/** Bytes of queue memory net_dev_open needs. */
size_t net_dev_mem_size(void);

/**
 * Opens the device @ops reaches, with @mem (@size bytes, 64-byte aligned, DMA memory private to
 * the driver) for its queues; checks that it is a virtio network device. Does not reset it.
 * Returns: NET_DEV_OK, or VIRTIO (dev->virtio_err says why), NOT_NET, MEMORY.
 */
enum net_dev_err net_dev_open(struct net_dev *dev, const struct virtio_ops *ops, void *mem,
                              size_t size);

/**
 * Resets the device and brings it up: features (VERSION_1, ACCESS_PLATFORM and MAC required;
 * STATUS where offered; EVENT_IDX for libvirtio; nothing else), the MAC, vector 0 for
 * configuration changes and both queues, DRIVER_OK. Whatever the device did before (another
 * instance's queues, buffers it held) is forgotten.
 * Returns: NET_DEV_OK, or VIRTIO, CONFIG.
 */
enum net_dev_err net_dev_start(struct net_dev *dev);

/** Returns: true if the link is up (always, when the device does not report status). */
bool net_dev_link_up(struct net_dev *dev);

/** A short description of @e (and of dev->virtio_err for NET_DEV_VIRTIO) for messages. */
const char *net_dev_err_str(const struct net_dev *dev, enum net_dev_err e);

/* ---- the frame path (net_serve.c) ---- */

/* A client buffer the device holds, by descriptor head. */
struct net_slot {
	uint64_t tag;
	uint64_t offset;
	uint32_t length;
	bool busy;
};

/* A message waiting for room in the response queue. */
struct net_answer {
	uint64_t tag;
	struct net_resp resp;
};

/* What the driver counts (for its messages and the tests). */
struct net_stats {
	uint64_t rx_frames, tx_frames, rx_dropped, refused, resets, bogus;
};

struct net {
	struct net_dev dev;
	struct ring *ring; /* the server end of the client's port */
	struct net_region region;
	bool dead;        /* the device could not be brought back: buffers are answered EIO */
	bool ring_broken; /* the client broke the ring protocol */
	bool link_up;     /* as last told to the client */
	bool link_notice; /* a link notice waits for room in the ring */
	struct net_slot rx[VIRTQ_MAX_SIZE], tx[VIRTQ_MAX_SIZE];
	uint32_t n_rx, n_tx;                        /* buffers the device holds */
	uint32_t max_rx, max_tx;                    /* at most */
	struct net_answer answers[NET_MAX_ANSWERS]; /* FIFO of answers not yet in the ring */
	uint32_t ans_head, n_answers;
	struct net_stats stats;
	enum net_dev_err last_err; /* why the last recovery failed, if it did */
};

/* net_pump's and net_idle's results. */
#define NET_NOTIFY 1u /* signal the client */
#define NET_READY 2u  /* work is waiting: do not sleep */

/**
 * Sets @n up to serve @ring (attached as server) with the device opened in n->dev and
 * n->region filled, and starts the device.
 * Returns: NET_DEV_OK, or the device's error (the driver then answers buffers with EIO).
 */
enum net_dev_err net_serve_init(struct net *n, struct ring *ring);

/**
 * One pass over the work: collects used buffers (recovering the device if it broke the queue
 * protocol or, after an interrupt @irq, needs a reset; reading the link after @irq), answers,
 * takes and checks new requests while answers have room, gives buffers to the device, notifies.
 * Returns: NET_NOTIFY when the client should be signalled.
 */
unsigned net_pump(struct net *n, bool irq);

/**
 * Before sleeping: publishes answers, releases taken slots, arms the wake-ups the driver can
 * act on (a request, room for an answer, a used buffer), then looks again.
 * Returns: NET_READY (do not sleep) and/or NET_NOTIFY (signal the client).
 */
unsigned net_idle(struct net *n);

/** Stops the device (a reset: no more DMA into the client's region). */
void net_stop(struct net *n);

/* ---- the reconnect handshake (net_hello.c; the records: net_proto.h) ---- */

/* The two records in the port ring's data area: the driver's and the client's. */
struct net_hello_end {
	volatile struct net_hello *own;
	volatile const struct net_hello *peer;
};

/**
 * Finds both records in @r (attached as server). Returns: false if the ring's data area is too
 * small to hold them (the driver then serves at once, as for a client without reconnect).
 */
bool net_hello_open(struct net_hello_end *h, struct ring *r);

/**
 * Publishes this instance: an incarnation derived from @nonce (never 0 nor the client's
 * present value) when the client's record has the magic, else 0. Needs: the device reset (no
 * DMA into buffers of an earlier instance). Returns: the incarnation written.
 */
uint64_t net_hello_start(struct net_hello_end *h, uint64_t nonce);

/** Returns: true once the client acknowledged incarnation @inc (always for 0): the queues may
 * be attached afresh and served. */
bool net_hello_acked(const struct net_hello_end *h, uint64_t inc);

/*
 * The chaos build (image virtio-net-chaos, net_chaos.c) simulates restarts: at a pseudo-random
 * point of the frame path it abandons everything and jumps back to the start of main, which
 * forgets the driver's memory and starts as a fresh instance does. Elsewhere these are empty.
 */
#ifdef NET_CHAOS
#include <setjmp.h>
extern jmp_buf net_chaos_jmp;
/** A point where a simulated restart may happen (@site names it in the console line). */
void net_chaos_point(const char *site);
/** Counts one frame that went through: restarts come after a pseudo-random number of them. */
void net_chaos_frame(void);
#define NET_CHAOS_BEGIN(forget)            \
	do {                               \
		if (setjmp(net_chaos_jmp)) \
			forget();          \
	} while (0)
#define NET_CHAOS_POINT(site) net_chaos_point(site)
#define NET_CHAOS_FRAME() net_chaos_frame()
#else
#define NET_CHAOS_BEGIN(forget) ((void)(forget)) /* used in the chaos build only */
#define NET_CHAOS_POINT(site) ((void)0)
#define NET_CHAOS_FRAME() ((void)0)
#endif

#endif
