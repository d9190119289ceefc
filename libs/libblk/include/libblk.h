/* libblk: a client of the block protocol - a volume or a disk, asynchronous and synchronous I/O. */
#ifndef LIBBLK_LIBBLK_H
#define LIBBLK_LIBBLK_H

#include <stdbool.h>
#include <stdint.h>

#include <ring.h>

#include "blk_proto.h"

/*
 * A client opens its volume (the ring to the storage service, or to a driver) and asks INFO
 * once: size, block size, read-only, the data region. Then it submits requests (the data
 * lies in its data region, region 0, at an offset) and collects their completions, in any
 * order; or it uses the synchronous helpers, which submit and wait for that one answer and
 * keep the completions of other requests for blk_complete. The core (libblk.c) works on a
 * libring ring and a wait function, so the host tests drive it against a simulated server;
 * blk_open (libblk_bh.c, domains only) finds the ring by name.
 */

#define BLK_MAX_INFLIGHT 32u /* requests of one client submitted and not yet completed */

/* Refusals of libblk itself, beside enum blk_status (never sent on the wire). */
#define BLK_EBUSY 16u  /* BLK_MAX_INFLIGHT requests in flight: complete some first */
#define BLK_EPROTO 17u /* the server broke the ring or answered nonsense */

/* Sleeps until the server may have answered (domains: the ring's channel bit); or, as the
 * signal function, tells the server that the ring has news for it. */
typedef void (*blk_wait_fn)(void *ctx);

struct blk_done {
	uint64_t tag;    /* as blk_submit returned it */
	uint32_t op;     /* enum blk_op */
	uint32_t status; /* enum blk_status */
};

struct blk_vol {
	struct ring *ring;
	blk_wait_fn wait;
	blk_wait_fn signal;
	void *ctx;
	uint64_t sectors;      /* the volume's size */
	uint32_t block_size;   /* bytes */
	uint32_t max_sectors;  /* longest READ or WRITE */
	uint32_t max_requests; /* the server works on this many at once */
	bool ro;               /* writes are refused */
	bool has_flush;        /* the disk has a write cache that FLUSH empties */
	uint64_t data_size;    /* bytes of the data region (region 0) */
	char data_name[BLK_REGION_NAME_LEN + 1];
	uint64_t next_tag;
	uint64_t inflight[BLK_MAX_INFLIGHT]; /* tags submitted and not completed */
	uint32_t n_inflight;
	struct blk_done done[BLK_MAX_INFLIGHT]; /* completions read, not yet handed out */
	uint32_t n_done;
};

/**
 * Attaches @v to ring @r (attached as the client) and asks INFO. libblk sleeps with
 * @wait(@ctx) and wakes the server with @signal(@ctx) when the ring says it waits.
 * Needs: @r attached as client, nothing in flight on it. Returns: BLK_OK and @v filled, the
 * server's refusal, or BLK_EPROTO.
 */
uint32_t blk_attach(struct blk_vol *v, struct ring *r, blk_wait_fn wait, blk_wait_fn signal,
                    void *ctx);

/**
 * Submits @op (READ, WRITE or FLUSH) of @count sectors at @sector with the data at @offset
 * of the data region; FLUSH takes zeros. Checks first what the server would refuse
 * (bounds, alignment, read-only) and refuses it without sending. Waits (@wait) only while
 * the ring is full. Does not publish: blk_complete, blk_wait_tag and blk_kick do.
 * Returns: BLK_OK and *@tag, a refusal (enum blk_status), BLK_EBUSY or BLK_EPROTO.
 */
uint32_t blk_submit(struct blk_vol *v, uint32_t op, uint64_t sector, uint32_t count,
                    uint64_t offset, uint64_t *tag);

/** Publishes the submitted requests to the server. Needs: @v attached. Returns: nothing. */
void blk_kick(struct blk_vol *v);

/**
 * Hands out one completion, without waiting: a kept one first, else one from the ring.
 * Returns: true and *@out, or false if none is there (or the ring is broken: BLK_EPROTO
 * from the next blk_submit).
 */
bool blk_complete(struct blk_vol *v, struct blk_done *out);

/**
 * Waits for the completion of @tag, keeping the others for blk_complete.
 * Needs: @tag submitted and not yet completed. Returns: its status, or BLK_EPROTO.
 */
uint32_t blk_wait_tag(struct blk_vol *v, uint64_t tag);

/** Reads @count sectors at @sector into the data region at @offset. Returns: the status. */
uint32_t blk_read(struct blk_vol *v, uint64_t sector, uint32_t count, uint64_t offset);

/** Writes @count sectors at @sector from the data region at @offset. Returns: the status. */
uint32_t blk_write(struct blk_vol *v, uint64_t sector, uint32_t count, uint64_t offset);

/** Makes every completed write durable. Returns: the status. */
uint32_t blk_flush(struct blk_vol *v);

/**
 * Domains only (libblk_bh.c): opens the ring named @name (the volume's name in the
 * manifest) and attaches @v to it, waiting on the ring's channel; @data, if not NULL, gets
 * the address of the data region the server names (from the start-info page).
 * Returns: BLK_OK, or why not (BLK_EPROTO also when there is no such ring or region).
 */
uint32_t blk_open(const char *name, struct blk_vol *v, void **data);

#endif
