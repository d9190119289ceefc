/* Host tests: the virtio-blk driver's request path between a client ring end and the simulated device. */
#ifndef TESTS_HOST_VIRTIO_BLK_HARNESS_H
#define TESTS_HOST_VIRTIO_BLK_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <blk.h>

#include "sim_dev.h"

#define H_CAPACITY 4096u /* sectors: 2 MiB */
#define H_DATA_SIZE (1u << 20)
#define H_RO_SIZE (64u << 10)
#define H_RING_SIZE (64u << 10) /* 64 slots */
#define H_FEATURES                                                                                 \
	(VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM | VIRTIO_F_EVENT_IDX | VIRTIO_BLK_F_FLUSH | \
	 VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_SEG_MAX)

#define H_MAX_GOT 256u

/* Everything one test needs: device, memory, the ring's two ends, the driver. */
struct h {
	struct sim_dev *sim;
	uint8_t *vq, *data, *rodata, *ringmem;
	uint32_t ring_size;
	struct ring client, server;
	struct blk *b;
	bool client_signalled; /* the driver asked to hear about a request and one came */
	bool driver_signalled; /* the driver signalled the client */
	uint64_t next_id;
	struct h_got {
		uint64_t id;
		struct blk_resp resp;
	} got[H_MAX_GOT]; /* answers received but not yet expected */
	uint32_t n_got;
};

/** A device offering @features with a queue of @q_max, a ring of @ring_size bytes. */
struct h *h_new(uint64_t features, uint16_t q_max, uint32_t ring_size);
/** Opens and starts the driver (returns blk_serve_init's result). */
enum blk_dev_err h_start(struct h *h);
/** Checks that the device made no stray DMA or register access, then frees everything. */
void h_free(struct h *h);

/** Sends a request; returns its id. */
uint64_t h_send(struct h *h, uint32_t op, uint32_t region, uint64_t sector, uint32_t count,
                uint64_t offset);
/** Sends a raw ring message. */
void h_send_raw(struct h *h, uint16_t type, uint16_t flags, uint64_t tag, const void *buf,
                uint32_t len);
/**
 * Runs the driver's loop as main.c does until it would sleep with no wake-up pending (no
 * interrupt, no signal from the client). Returns the passes it made (bounded: a test fails if
 * the driver never wants to sleep).
 */
uint32_t h_drive(struct h *h);
/** Receives one answer; false if there is none. */
bool h_recv(struct h *h, uint64_t *id, struct blk_resp *resp);
/** Finds the answer to @id (answers come in completion order) and checks its status. */
void h_expect(struct h *h, uint64_t id, enum blk_status st);
/** Receives the next answer, which must be the one to @id, and checks its status. */
void h_expect_next(struct h *h, uint64_t id, enum blk_status st);
/** Fills @len bytes at @p with a pattern of @seed. */
void h_pattern(uint8_t *p, uint32_t len, uint32_t seed);

#endif
