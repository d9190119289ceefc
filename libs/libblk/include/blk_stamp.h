/* libblk: optional TSC stamps along the block request path, for the storage benchmark's stage figures. */
#ifndef LIBBLK_BLK_STAMP_H
#define LIBBLK_BLK_STAMP_H

#include <stdint.h>

#include <bh.h>

/*
 * A domain on the request path (the bench client, the storage service, the virtio-blk
 * driver) given a map named BLK_STAMP_MAP, writable, appends a stamp (a point and the TSC)
 * to the log in it at the points below while the log is on; without the map a stamp is a test
 * of a null pointer. tests/bench/bench_blk.c owns the log: it turns it on for one extra
 * pass of a depth-1 workload, empties it before each request and reads it after, so every
 * request's time splits into the spans between consecutive stamps (docs/testing.md). All
 * domains share one CPU and one TSC; a stamp lost to a preemption between reading and
 * writing @n only merges two spans.
 */
#define BLK_STAMP_MAP "bench-stamps"
#define BLK_STAMP_MAX 62u

enum blk_stamp_point {
	BLK_STAMP_CLI_SUBMIT = 1, /* client: request in its ring, before publishing it */
	BLK_STAMP_CLI_WAIT,       /* client: published, about to poll */
	BLK_STAMP_CLI_DONE,       /* client: saw the answer */
	BLK_STAMP_SVC_WAKE,       /* service: back from waiting */
	BLK_STAMP_SVC_WORKED,     /* service: took and put what there was, before publishing */
	BLK_STAMP_SVC_SLEEP,      /* service: nothing to do, about to wait */
	BLK_STAMP_DRV_WAKE,       /* driver: back from waiting for its ring */
	BLK_STAMP_DRV_IRQ,        /* driver: back from waiting, woken by the device */
	BLK_STAMP_DRV_WORKED,     /* driver: completed, took and queued what there was */
	BLK_STAMP_DRV_SLEEP,      /* driver: nothing to do, about to wait */
	BLK_STAMP_POINTS
};

struct blk_stamp_log {
	volatile uint32_t on; /* set by the client while it reads the log */
	volatile uint32_t n;  /* stamps in @e */
	struct {
		volatile uint32_t point; /* enum blk_stamp_point */
		volatile uint32_t pad;
		volatile uint64_t tsc;
	} e[BLK_STAMP_MAX];
};
_Static_assert(sizeof(struct blk_stamp_log) <= 4096, "one page");

/* Returns the log in this domain's BLK_STAMP_MAP, or NULL if it has none (or not writable). */
static inline struct blk_stamp_log *blk_stamp_open(void)
{
	const struct bh_info_entry *e = bh_lookup(BLK_STAMP_MAP, BH_RES_MAP);

	if (!e || !(e->flags & BH_RIGHT_WRITE) || e->size < sizeof(struct blk_stamp_log))
		return NULL;
	return (struct blk_stamp_log *)(uintptr_t)e->vaddr;
}

/* Appends point @p to @log if there is one, it is on and it has room. */
static inline void blk_stamp(struct blk_stamp_log *log, enum blk_stamp_point p)
{
	if (!log || !log->on)
		return;
	uint32_t i = log->n;
	if (i >= BLK_STAMP_MAX)
		return;
	log->e[i].point = (uint32_t)p;
	log->e[i].tsc = bh_rdtsc();
	log->n = i + 1;
}

#endif
