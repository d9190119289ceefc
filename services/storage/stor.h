/* Storage service: volumes, request checking and translation, fairness, the in-flight table. */
#ifndef STORAGE_STOR_H
#define STORAGE_STOR_H

#include <stdbool.h>
#include <stdint.h>

#include <bulkhead/abi/ring.h>

#include "blk_proto.h"

/*
 * The pure part of the storage service (docs/storage.md): everything here is plain memory,
 * built for the domain and for the host tests (tests/host/storage) and the fuzz target
 * (tests/fuzz/fuzz_storage.c). main.c is the glue to rings and the console.
 */

#define STOR_MAX_CLIENTS 16u /* volumes one service serves */
#define STOR_TABLE_SIZE 128u /* requests at the driver at once, all clients together */

/* One volume as the service sees it: where it lies on the disk and where its data is. */
struct stor_volume {
	uint64_t first;      /* absolute sector of the volume's sector 0 */
	uint64_t sectors;    /* its length */
	uint64_t data_size;  /* bytes of the client's data region (region 0 for the client) */
	uint32_t drv_region; /* the driver's index of that same region */
	bool ro;             /* access="ro" */
	char data_name[BLK_REGION_NAME_LEN];
};

/* The disk, from the driver's INFO answer. */
struct stor_disk {
	uint64_t capacity;    /* sectors */
	uint32_t block_size;  /* bytes, a power of two 512..65536 */
	uint32_t max_sectors; /* longest READ or WRITE the driver takes */
	uint32_t flags;       /* BLK_INFO_* */
};

/* Why a volume does not fit the disk (stor_volume_fit). */
enum stor_fit {
	STOR_FIT_OK = 0,
	STOR_FIT_END,   /* it ends past the disk's last sector */
	STOR_FIT_ALIGN, /* its first sector or its length is not a whole number of blocks */
};

/**
 * Says whether volume @v fits disk @d: inside its capacity, starting and ending on a
 * block boundary.
 * Needs: nothing (any values). Returns: STOR_FIT_OK or the first reason it does not fit.
 */
enum stor_fit stor_volume_fit(const struct stor_volume *v, const struct stor_disk *d);

/**
 * Decodes and checks one client request @m (the service's private copy of the message)
 * for volume @v on disk @d, and translates it: on BLK_OK *@out is the request to send
 * to the driver (region = the driver's index of the data region, absolute sector) for
 * READ, WRITE and FLUSH; for INFO *@out is the request as decoded (the service answers
 * it, stor_req_info). Checks: message type, flags and size, op, reserved fields, region
 * 0, count against length and against max_sectors, alignment (sector and count to the
 * block size, offset to 512), sectors inside the volume, the span inside the data
 * region, a write to a read-only volume.
 * Needs: @m, @v, @d readable. Returns: BLK_OK or the status to answer (BLK_EINVAL,
 * BLK_ERANGE, BLK_EFAULT, BLK_EROFS); *@out is undefined then.
 */
enum blk_status stor_req_check(const struct ring_msg *m, const struct stor_volume *v,
                               const struct stor_disk *d, struct blk_req *out);

/**
 * Fills @resp, the answer to the INFO request @req of a client of volume @v on disk @d:
 * the volume's size, the disk's block size and flags (read-only if either is), @share
 * requests at once (the client's share, stor_sched), one data region (region 0) with its
 * size and name.
 * Needs: @req checked by stor_req_check. Returns: nothing.
 */
void stor_req_info(const struct blk_req *req, const struct stor_volume *v,
                   const struct stor_disk *d, uint32_t share, struct blk_resp *resp);

/*
 * Fairness: round robin between clients, each with at most @share requests at the driver;
 * a client waiting for its flush (a barrier) takes no new request. The share is fixed at
 * start: the driver's queue depth (its INFO max_requests, at most STOR_TABLE_SIZE) divided
 * evenly among the clients, at least 1, so the clients together never ask the driver for
 * more than it works on at once (unless there are more clients than that depth).
 */
struct stor_sched {
	uint32_t n_clients;
	uint32_t share;  /* requests of one client at the driver at once */
	uint32_t cursor; /* the client asked first next time */
	uint32_t inflight[STOR_MAX_CLIENTS];
	bool barrier[STOR_MAX_CLIENTS]; /* a FLUSH waits: nothing new from this client */
};

/**
 * Starts @s for @n clients (at most STOR_MAX_CLIENTS), none busy, of which @served have a
 * volume (the others are refused: answered at once, never at the driver), on a driver that
 * works on @depth requests at once (any value: 0 counts as 1): each client's share is
 * min(@depth, STOR_TABLE_SIZE) / @served, at least 1.
 * Returns: false if @n is too large or @served exceeds it.
 */
bool stor_sched_init(struct stor_sched *s, uint32_t n, uint32_t served, uint32_t depth);

/**
 * Picks the next client, from the cursor on, that may start a request: fewer than its
 * share in flight, no barrier, not in @skip (bit c = client c has nothing to read now).
 * Moves the cursor past it, so that the next call starts at the next client.
 * Returns: the client, or -1 if none may start one.
 */
int stor_sched_next(struct stor_sched *s, uint32_t skip);

/*
 * The in-flight table: every request the service sent to the driver and has not answered,
 * kept in the service's memory so that a new driver instance can be handed them again
 * (stor_table_reconnect). The driver's tag names the entry: index | epoch << 8 | generation
 * << 32. The generation goes up each time the entry is used, so an answer to an entry that was
 * freed and used again is not taken for the new one; the epoch goes up with each new driver
 * instance, so an answer the old instance left in the ring is not taken for the same request
 * sent again.
 */
#define STOR_TAG_INDEX_BITS 8u
#define STOR_TAG_EPOCH_MASK 0xffffffu /* 24 bits of the epoch in a tag */
_Static_assert(STOR_TABLE_SIZE <= 1u << STOR_TAG_INDEX_BITS, "the index fits its tag bits");

struct stor_entry {
	bool used;
	uint32_t gen;
	uint32_t client;
	uint64_t client_tag; /* the tag of the client's request */
	uint64_t seq;        /* order of stor_table_add: a re-send keeps it */
	uint64_t tag;        /* the tag it was sent with last (its index, the epoch, gen) */
	struct blk_req req;  /* the request as sent to the driver */
};

struct stor_table {
	struct stor_entry e[STOR_TABLE_SIZE];
	uint32_t n_used;
	uint32_t epoch; /* driver instances seen since start, less one */
	uint64_t next_seq;
	uint32_t free[STOR_TABLE_SIZE]; /* the free entries' indices, a stack: the top is used next */
};

/** Empties @t. */
void stor_table_init(struct stor_table *t);

/**
 * Records @req of @client (its tag @client_tag) in @t, in the entry freed last (entry 0
 * first after stor_table_init), in constant time.
 * Returns: false if @t is full; else true and *@tag, the tag to send to the driver.
 */
bool stor_table_add(struct stor_table *t, uint32_t client, uint64_t client_tag,
                    const struct blk_req *req, uint64_t *tag);

/**
 * Finds the entry that driver tag @tag names.
 * Needs: nothing (@tag comes from the driver). Returns: the entry, or NULL if @tag names
 * no request in flight (unknown index, free entry, stale generation).
 */
const struct stor_entry *stor_table_find(const struct stor_table *t, uint64_t tag);

/**
 * Frees the entry @tag names.
 * Needs: stor_table_find(@t, @tag) != NULL. Returns: nothing.
 */
void stor_table_remove(struct stor_table *t, uint64_t tag);

/**
 * A new driver instance: moves @t to the next epoch (every tag handed out so far is no
 * longer found) and writes into @tags the new tag of every request in flight, in the order
 * stor_table_add took them, so that a client's requests, and a flush after them, reach the
 * new instance in the order they reached the old one.
 * Needs: @tags holds STOR_TABLE_SIZE. Returns: how many tags it wrote (t->n_used).
 */
uint32_t stor_table_reconnect(struct stor_table *t, uint64_t tags[STOR_TABLE_SIZE]);

#endif
