/* ABI ring layout: the shared memory of one libring ring. */
#ifndef BULKHEAD_ABI_RING_H
#define BULKHEAD_ABI_RING_H

#include <stdint.h>

/*
 * A ring region (size S, a page multiple, at least 4 KiB) holds:
 *   [0, 64)        request queue indices (client -> server)
 *   [64, 128)      response queue indices (server -> client)
 *   [128, ...)     N request slots, then N response slots (RING_SLOT_SIZE each)
 *   then           the data area: first half client->server, second half
 *                  server->client, addressed by offset and length.
 * N is the largest power of two with 128 + 2 * N * RING_SLOT_SIZE <= S / 2,
 * and at least RING_MIN_SLOTS. Indices are free-running uint32_t; slot i is
 * index % N. The region is zero at boot. Each side distrusts the other:
 * it copies a slot out once and checks every index it reads.
 */
#define RING_SLOT_SIZE 128u
#define RING_INLINE_MAX 112u
#define RING_MIN_SLOTS 4u
#define RING_HDR_SIZE 128u

/* One direction. The producer writes prod and cons_event; the consumer
 * writes cons and prod_event. */
struct ring_queue {
	uint32_t prod;       /* next index the producer will fill */
	uint32_t prod_event; /* consumer: "signal me when prod passes this" */
	uint32_t cons;       /* next index the consumer will read */
	uint32_t cons_event; /* producer: "signal me when cons passes this" */
	uint8_t pad[48];
};
_Static_assert(sizeof(struct ring_queue) == 64, "ring ABI");

/* Message flags. */
#define RING_MSG_MORE 0x1u /* more of the same record follows in the next slot */
#define RING_MSG_DATA 0x2u /* payload is a struct ring_data_ref into the data area */

/*
 * Message type on a `stdout` ring (the one every domain has to the console):
 * one line of text WITHOUT its '\n'. A line longer than RING_INLINE_MAX is sent
 * as several messages, all but the last with RING_MSG_MORE; the tag is a
 * sequence number. libbh writes it, the console service reads it.
 */
#define BH_MSG_TEXT 1u

struct ring_msg {
	uint32_t len;   /* payload bytes, <= RING_INLINE_MAX */
	uint16_t type;  /* the application's message type */
	uint16_t flags; /* RING_MSG_* */
	uint64_t tag;   /* the application's cookie (request id, sequence) */
	uint8_t data[RING_INLINE_MAX];
};
_Static_assert(sizeof(struct ring_msg) == RING_SLOT_SIZE, "ring ABI");

struct ring_data_ref {
	uint32_t offset; /* bytes from the start of the sender's data half */
	uint32_t length;
};
_Static_assert(sizeof(struct ring_data_ref) == 8, "ring ABI");

#endif
