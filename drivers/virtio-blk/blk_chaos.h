/* virtio-blk driver: simulated restarts for tests (blk_chaos.c, with BLK_CHAOS); none in the driver. */
#ifndef DRIVERS_VIRTIO_BLK_BLK_CHAOS_H
#define DRIVERS_VIRTIO_BLK_BLK_CHAOS_H

#include <stdbool.h>

#include "blk.h"

/*
 * The test image virtio-blk-chaos (tests/system/storage_restart) replaces itself by a "new
 * instance" at random moments without the kernel: the instance stops where it is, leaving
 * its state behind (requests at the device, requests taken from the ring and never
 * answered, answers put and not published), and main.c starts over from nothing, through the
 * same path a restarted domain takes (device reset, handshake). To check that the service
 * drops answers of an earlier instance, the next instance then publishes, with BLK_IOERR,
 * answers under tags the earlier one had taken: a client that saw one would see an error.
 * The driver's own images are built without BLK_CHAOS: every hook is an inline no-op.
 */

#ifdef BLK_CHAOS
/**
 * Called once per pass of the serving loop, before its work (@irq: the device interrupted).
 * Returns: true if this instance stops now (it leaves its mess behind first); false to go on.
 */
bool blk_chaos_abandon(struct blk *b, bool irq);

/** Called while the instance waits for the handshake. Returns: true if it stops now. */
bool blk_chaos_abandon_hello(void);

/**
 * Called once the handshake is done and @b serves: replays the stale answers.
 * Returns: true if the client should be signalled.
 */
bool blk_chaos_connected(struct blk *b);
#else
/* The driver's own images: no simulation, and nothing for the request path to call. */
static inline bool blk_chaos_abandon(struct blk *b, bool irq)
{
	(void)b;
	(void)irq;
	return false;
}

static inline bool blk_chaos_abandon_hello(void)
{
	return false;
}

static inline bool blk_chaos_connected(struct blk *b)
{
	(void)b;
	return false;
}
#endif

#endif
