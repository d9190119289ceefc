/* Block system tests' client: talks blk_proto to the virtio-blk driver over ring "blk" and checks every answer. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <bh.h>
#include <blk_hello.h>
#include <blk_proto.h>

#include "blk_pattern.h"
#include "verdict.h"

/*
 * Built twice (tests/system/meson.build): blk_client for system/blk_driver (geometry, writes,
 * flush, read-back, 64 requests in flight, refusals) and, with BLK_EIO_TEST, blk_eio_client
 * for system/blk_eio (QEMU's blkdebug fails sectors EIO_A and EIO_B of a disk filled with the
 * sector pattern). The host checks the disk image after the run (the expect files' disk-check).
 */
#define DATA_MAP "blk-data"
#define MAX_BATCH 64u
#define SECTOR BLK_SECTOR_SIZE
#define READBACK_AT 0x40000u /* where blk_driver reads its extents back */
#define EIO_A 100u           /* the sectors the blk_eio expect file makes fail */
#define EIO_B 700u

static struct bh_ring ring;
static volatile uint8_t *data;
static uint64_t data_size;
static struct blk_resp info;
static uint64_t next_tag = 1;

/* One request of a batch: what is sent (@len bytes of @req as message @type) and the answer. */
struct job {
	struct blk_req req;
	uint16_t type;
	uint32_t len;
	uint32_t want; /* the status the answer must carry */
	struct blk_resp resp;
};

static struct job jobs[MAX_BATCH];

static struct job rw(uint32_t op, uint64_t sector, uint32_t count, uint64_t offset, uint32_t want)
{
	struct job j = {.type = BLK_MSG_REQ, .len = sizeof(struct blk_req), .want = want};

	j.req.op = op;
	j.req.sector = sector;
	j.req.count = count;
	j.req.offset = offset;
	j.req.length = (uint64_t)count * SECTOR;
	return j;
}

/* Takes one answer of the batch whose first tag is @first; stores it. Returns false if the ring
 * fails or the answer is malformed, names no request of the batch, or repeats one. */
static bool take_answer(uint64_t first, uint32_t n, bool *seen)
{
	struct ring_msg m;

	if (bh_ring_take(&ring, &m) != RING_OK) {
		say("client: the ring failed\n");
		return false;
	}
	uint64_t i = m.tag - first;
	if (m.type != BLK_MSG_RESP || m.len != sizeof(struct blk_resp) || i >= n || seen[i]) {
		say("client: bad answer: type 0x%x len %u tag %llu\n", m.type, m.len,
		    (unsigned long long)m.tag);
		return false;
	}
	seen[i] = true;
	memcpy(&jobs[i].resp, m.data, sizeof(struct blk_resp));
	return true;
}

/* Sends jobs[0..@n) at once, then waits for their @n answers in any order. Returns true if
 * each came exactly once, with its op and the status it wants (printing every mismatch). */
static bool batch(uint32_t n)
{
	bool seen[MAX_BATCH] = {false}, ok = true;
	uint64_t first = next_tag;

	next_tag += n;
	for (uint32_t i = 0; i < n; i++)
		if (bh_ring_put(&ring, jobs[i].type, first + i, &jobs[i].req, jobs[i].len) !=
		    RING_OK)
			return false;
	bh_ring_flush(&ring);
	for (uint32_t got = 0; got < n; got++)
		if (!take_answer(first, n, seen))
			return false;
	bh_ring_release(&ring);
	for (uint32_t i = 0; i < n; i++) {
		const struct job *j = &jobs[i];
		bool op_ok = j->type != BLK_MSG_REQ || j->len != sizeof(struct blk_req) ||
		             j->resp.op == j->req.op;
		if (j->resp.status != j->want || !op_ok) {
			say("client: request %u (op %u sector %llu count %u): status %u op %u, want %u\n",
			    i, j->req.op, (unsigned long long)j->req.sector, j->req.count,
			    j->resp.status, j->resp.op, j->want);
			ok = false;
		}
	}
	return ok;
}

/* Writes the pattern of sectors [@sector, @sector + @count) at @offset of the data region. */
static void fill(uint64_t offset, uint64_t sector, uint32_t count)
{
	for (uint32_t s = 0; s < count; s++)
		for (uint32_t k = 0; k < SECTOR; k++)
			data[offset + (uint64_t)s * SECTOR + k] = blk_pattern_byte(sector + s, k);
}

/* Returns true if @offset of the data region holds the pattern of @count sectors from @sector
 * (or, with @zero, zero bytes). */
static bool holds(uint64_t offset, uint64_t sector, uint32_t count, bool zero)
{
	for (uint32_t s = 0; s < count; s++)
		for (uint32_t k = 0; k < SECTOR; k++)
			if (data[offset + (uint64_t)s * SECTOR + k] !=
			    (zero ? 0 : blk_pattern_byte(sector + s, k)))
				return false;
	return true;
}

static void clear(void)
{
	for (uint64_t i = 0; i < data_size; i++)
		data[i] = 0xa5;
}

/* INFO on region 0: the geometry every later request relies on. */
static bool test_info(void)
{
	struct job j = {.type = BLK_MSG_REQ, .len = sizeof(struct blk_req), .want = BLK_OK};

	j.req.op = BLK_OP_INFO;
	jobs[0] = j;
	bool ok = batch(1);
	info = jobs[0].resp;
	ok = ok && info.block_size == SECTOR && info.n_regions >= 1 &&
	     info.region_size == data_size && info.max_requests >= 1 && info.max_sectors >= 8;
	verdict("blk.info", ok,
	        "capacity=%llu block=%u flags=0x%x max_requests=%u max_sectors=%u regions=%u "
	        "region=%.32s size=%llu",
	        (unsigned long long)info.capacity, info.block_size, info.flags, info.max_requests,
	        info.max_sectors, info.n_regions, info.region_name,
	        (unsigned long long)info.region_size);
	return ok;
}

/* A list of extents: first sector and count; each gets its own place in the data region. */
struct extent {
	uint64_t sector;
	uint32_t count;
};

/* Sends one request per extent of @e (op @op, its data at 4 KiB steps), all at once. */
static bool extents(uint32_t op, const struct extent *e, uint32_t n, uint64_t base, uint32_t want)
{
	uint64_t offset = base;

	for (uint32_t i = 0; i < n; i++) {
		jobs[i] = rw(op, e[i].sector, e[i].count, offset, want);
		if (op == BLK_OP_WRITE)
			fill(offset, e[i].sector, e[i].count);
		offset += ((uint64_t)e[i].count * SECTOR + 4095u) & ~4095ull;
	}
	return batch(n);
}

/* Returns true if every extent of @e holds its pattern where extents() put it. */
static bool extents_hold(const struct extent *e, uint32_t n, uint64_t base)
{
	uint64_t offset = base;
	bool ok = true;

	for (uint32_t i = 0; i < n; i++) {
		ok = ok && holds(offset, e[i].sector, e[i].count, false);
		offset += ((uint64_t)e[i].count * SECTOR + 4095u) & ~4095ull;
	}
	return ok;
}

static bool flush(void)
{
	struct job j = {.type = BLK_MSG_REQ, .len = sizeof(struct blk_req), .want = BLK_OK};

	j.req.op = BLK_OP_FLUSH;
	jobs[0] = j;
	return batch(1);
}

/* Waits for the driver's instance to announce itself and answers it (blk_hello.h): the
 * ring is reset and both ends start from index 0. */
static void connect_driver(void)
{
	const struct bh_info_entry *e = bh_lookup("blk", BH_RES_RING);
	uint64_t inc;

	while ((inc = blk_hello_new(&ring.ring, 0)) == 0)
		(void)bh_wait_for(ring.bit);
	(void)blk_hello_accept(&ring.ring, (void *)(uintptr_t)e->vaddr, e->size, inc);
	(void)bh_signal(ring.slot);
}

static bool setup(void)
{
	const struct bh_info_entry *map = bh_lookup(DATA_MAP, BH_RES_MAP);

	if (!bh_ring_open("blk", &ring) || !map) {
		verdict("blk.setup", false,
		        "no ring \"blk\" or map \"" DATA_MAP "\" in the manifest");
		return false;
	}
	connect_driver();
	data = (volatile uint8_t *)(uintptr_t)map->vaddr;
	data_size = map->size;
	return true;
}

#ifndef BLK_EIO_TEST

/* The extents the test writes (the expect file checks them in the image), the last one ending
 * at the disk's last sector (patched in at run time). */
static struct extent written[] = {{0, 1}, {5, 3}, {64, 8}, {1000, 16}, {0, 1}};
#define N_WRITTEN (sizeof(written) / sizeof(written[0]))

/* Writes the extents, flushes, reads them back elsewhere in the data region and compares. */
static void test_write_read(void)
{
	written[N_WRITTEN - 1].sector = info.capacity - 1;
	bool ok = extents(BLK_OP_WRITE, written, N_WRITTEN, 0, BLK_OK);
	verdict("blk.write", ok, "%u writes, the last at sector %llu", (unsigned)N_WRITTEN,
	        (unsigned long long)info.capacity - 1);
	verdict("blk.flush", flush(), "disk %s a write cache",
	        (info.flags & BLK_INFO_FLUSH) ? "has" : "has no");
	clear();
	ok = extents(BLK_OP_READ, written, N_WRITTEN, READBACK_AT, BLK_OK) &&
	     extents_hold(written, N_WRITTEN, READBACK_AT);
	verdict("blk.readback", ok, "%u extents read back and compared", (unsigned)N_WRITTEN);
}

/* 64 one-sector writes at once (sectors 2000..2063), then 64 reads at once, compared. */
static void test_inflight(void)
{
	struct extent e[MAX_BATCH];

	for (uint32_t i = 0; i < MAX_BATCH; i++)
		e[i] = (struct extent){2000u + i, 1};
	bool wrote = extents(BLK_OP_WRITE, e, MAX_BATCH, 0, BLK_OK);
	clear();
	bool read = extents(BLK_OP_READ, e, MAX_BATCH, 0, BLK_OK) && extents_hold(e, MAX_BATCH, 0);
	verdict("blk.inflight64", wrote && read, "64 writes then 64 reads in flight: %s, %s",
	        wrote ? "written" : "write failed", read ? "read back" : "read failed");
}

/* The requests the driver must refuse, each with its status (sector 3000 must stay zero). */
static uint32_t refusals(void)
{
	uint64_t cap = info.capacity, end = info.region_size;
	uint32_t n = 0;

	jobs[n++] = rw(BLK_OP_READ, cap, 1, 0, BLK_ERANGE);
	jobs[n++] = rw(BLK_OP_WRITE, cap - 1, 2, 0, BLK_ERANGE);
	jobs[n++] = rw(BLK_OP_READ, 0, 1, end, BLK_EFAULT);
	jobs[n++] = rw(BLK_OP_READ, 0, 2, end - SECTOR, BLK_EFAULT);
	jobs[n] = rw(BLK_OP_READ, 0, 1, 0, BLK_EFAULT);
	jobs[n++].req.region = info.n_regions;
	jobs[n++] = rw(BLK_OP_WRITE, 3000, 1, 100, BLK_EINVAL);
	jobs[n] = rw(BLK_OP_READ, 0, 2, 0, BLK_EINVAL);
	jobs[n++].req.length = SECTOR;
	jobs[n++] = rw(9, 0, 1, 0, BLK_EINVAL);
	jobs[n++] = rw(0, 0, 1, 0, BLK_EINVAL);
	jobs[n] = rw(BLK_OP_WRITE, 3000, 1, 0, BLK_EINVAL);
	jobs[n++].req.reserved = 1;
	jobs[n++] = rw(BLK_OP_READ, 0, 16384, 0, BLK_EINVAL); /* 8 MiB: past the transfer limit */
	jobs[n++] = rw(BLK_OP_FLUSH, 1, 0, 0, BLK_EINVAL);
	jobs[n] = rw(BLK_OP_READ, 0, 1, 0, BLK_EINVAL);
	jobs[n++].len = sizeof(struct blk_req) - 1;
	jobs[n] = rw(BLK_OP_READ, 0, 1, 0, BLK_EINVAL);
	jobs[n++].type = BLK_MSG_RESP;
	return n;
}

/* Every refusal answered with its status, in one batch; then a good request still works. */
static void test_refusals(void)
{
	uint32_t n = refusals();
	bool ok = batch(n);

	jobs[0] = rw(BLK_OP_READ, 5, 3, 0, BLK_OK);
	clear();
	bool after = batch(1) && holds(0, 5, 3, false);
	verdict("blk.refuse", ok && after, "%u bad requests answered with their status, %s", n,
	        after ? "then a good read served" : "then a good read FAILED");
}

static void run(void)
{
	if (!test_info())
		return;
	test_write_read();
	test_inflight();
	test_refusals();
	verdict("blk.done", flush(), "every request answered");
}

#else

/* Reads: those touching EIO_A or EIO_B fail, their neighbours complete with the pattern. */
static void test_eio_reads(void)
{
	static const struct extent bad[] = {{EIO_A, 1}, {EIO_A - 4, 8}, {EIO_B, 1}, {EIO_B - 4, 8}};
	static const struct extent good[] = {
		{EIO_A - 1, 1}, {EIO_A + 1, 1}, {EIO_B + 4, 8}, {0, 1}};

	clear();
	bool failed = extents(BLK_OP_READ, bad, 4, 0, BLK_IOERR);
	bool ok = extents(BLK_OP_READ, good, 4, 0, BLK_OK) && extents_hold(good, 4, 0);
	verdict("blk_eio.reads", failed && ok,
	        "4 reads touching sectors %u or %u: %s; 4 beside them: %s", EIO_A, EIO_B,
	        failed ? "IOERR" : "NOT IOERR", ok ? "OK with their data" : "FAILED");
}

/* Writes of zeros: the one to EIO_B fails (the image keeps its pattern there), 300 lands. */
static void test_eio_writes(void)
{
	for (uint64_t i = 0; i < 8192; i++)
		data[i] = 0;
	jobs[0] = rw(BLK_OP_WRITE, EIO_B, 1, 0, BLK_IOERR);
	jobs[1] = rw(BLK_OP_WRITE, 300, 1, 4096, BLK_OK);
	bool ok = batch(2) && flush();
	verdict("blk_eio.writes", ok, "write to sector %u IOERR, to sector 300 OK", EIO_B);
}

/* 64 one-sector reads in flight from sector 64: exactly those at EIO_A fail. */
static void test_eio_inflight(void)
{
	bool ok;

	clear();
	for (uint32_t i = 0; i < MAX_BATCH; i++)
		jobs[i] = rw(BLK_OP_READ, 64u + i, 1, (uint64_t)i * SECTOR,
		             64u + i == EIO_A ? BLK_IOERR : BLK_OK);
	ok = batch(MAX_BATCH);
	for (uint32_t i = 0; i < MAX_BATCH; i++)
		ok = ok && (64u + i == EIO_A || holds((uint64_t)i * SECTOR, 64u + i, 1, false));
	verdict("blk_eio.inflight64", ok, "63 reads OK with their data, the one at sector %u IOERR",
	        EIO_A);
}

static void run(void)
{
	if (!test_info())
		return;
	test_eio_reads();
	test_eio_writes();
	test_eio_inflight();
	verdict("blk_eio.done", flush(), "every request answered");
}

#endif

int main(void)
{
	if (!setup())
		return 1;
	run();
	return 0;
}
