/* libblk: the block protocol on a libring ring (a client, and a block driver or storage service). */
#ifndef LIBBLK_BLK_PROTO_H
#define LIBBLK_BLK_PROTO_H

#include <stdint.h>

/*
 * One ring carries requests from the client to the server and responses back, one message
 * each, inline in the ring's slots. The data does not travel in the ring: it lies in data
 * regions, DMA maps the client and the server's device share, named by an index and addressed
 * by an offset, so the device reads and writes it in place. The server announces its regions
 * with BLK_OP_INFO. Everything a peer writes is checked; a bad request gets a status, never a
 * crash.
 *
 * A request: ring message type BLK_MSG_REQ, no flags, tag = the request id (any value; the
 * response carries it back), payload exactly a struct blk_req.
 * A response: type BLK_MSG_RESP, tag = the request id, payload exactly a struct blk_resp.
 * A malformed request message is answered with BLK_EINVAL under its tag.
 * On a block driver's ring, each driver instance and its client first go through the
 * handshake of blk_hello.h, in the ring's data area; the storage service's volume rings have
 * none.
 */
#define BLK_MSG_REQ 0x0b01u
#define BLK_MSG_RESP 0x0b02u
#define BLK_SECTOR_SIZE 512u

enum blk_op {
	BLK_OP_READ = 1,  /* device -> data region */
	BLK_OP_WRITE = 2, /* data region -> device */
	BLK_OP_FLUSH = 3, /* writes completed before it are durable when it completes */
	BLK_OP_INFO = 4,  /* the disk's geometry and data region @region: see struct blk_resp */
};

/*
 * READ and WRITE: @count sectors from @sector, @length = @count * BLK_SECTOR_SIZE bytes at
 * @offset in data region @region; @sector and @count multiples of block_size / 512, @offset a
 * multiple of BLK_SECTOR_SIZE, at most max_sectors sectors. FLUSH: every field but @op zero.
 * INFO: @region names the region to describe, every other field zero.
 */
struct blk_req {
	uint32_t op;     /* enum blk_op */
	uint32_t region; /* data region index */
	uint64_t sector;
	uint32_t count;
	uint32_t reserved; /* zero */
	uint64_t offset;
	uint64_t length;
};
_Static_assert(sizeof(struct blk_req) == 40, "block protocol");

enum blk_status {
	BLK_OK = 0,
	BLK_IOERR = 1,  /* the device failed the request (or stopped, and was reset) */
	BLK_UNSUPP = 2, /* the device does not do this operation */
	BLK_EINVAL = 3, /* malformed: message type or size, op, reserved field, count vs length,
	                   alignment, too long */
	BLK_ERANGE = 4, /* sectors beyond the end of the disk */
	BLK_EFAULT = 5, /* unknown region, data outside it, or a read into a region the device may
	                   not write */
	BLK_EROFS = 6,  /* a write to a read-only disk */
	BLK_ENOVOL = 7, /* the storage service refused this volume at start (its console line
	                   says why): every request of the client gets this */
	BLK_STATUS_COUNT
};

#define BLK_INFO_RO 0x1u    /* the disk is read-only */
#define BLK_INFO_FLUSH 0x2u /* the disk has a write cache that FLUSH empties */
#define BLK_REGION_NAME_LEN 32u

/* The answer to every request; the fields after @op are filled for BLK_OP_INFO only. */
struct blk_resp {
	uint32_t status;       /* enum blk_status */
	uint32_t op;           /* the request's op, 0 if the message was unreadable */
	uint64_t capacity;     /* sectors */
	uint32_t block_size;   /* bytes: a power of two, 512 to 65536 */
	uint32_t flags;        /* BLK_INFO_* */
	uint32_t max_requests; /* requests the server works on at once; more wait in the ring */
	uint32_t max_sectors;  /* longest READ or WRITE */
	uint32_t n_regions;    /* data regions 0 .. n_regions - 1 */
	uint32_t reserved;
	uint64_t region_size;                  /* bytes of the region asked for, 0 if none */
	char region_name[BLK_REGION_NAME_LEN]; /* its name in the manifest, NUL-padded */
};
_Static_assert(sizeof(struct blk_resp) == 80, "block protocol");

/*
 * The shape every READ or WRITE must have before anything is looked up, on a disk
 * of @block_size bytes per block taking at most @max_sectors per request: no
 * reserved bits, 1 to @max_sectors sectors, length count * 512, sector and count
 * whole blocks, offset a multiple of 512. The driver and the storage service
 * both apply it. Returns: BLK_OK or BLK_EINVAL.
 */
static inline enum blk_status blk_req_shape(const struct blk_req *r, uint32_t block_size,
                                            uint32_t max_sectors)
{
	uint64_t per_block = block_size > BLK_SECTOR_SIZE ? block_size / BLK_SECTOR_SIZE : 1;

	if (r->reserved || r->count == 0 || r->count > max_sectors)
		return BLK_EINVAL;
	if (r->length != (uint64_t)r->count * BLK_SECTOR_SIZE)
		return BLK_EINVAL;
	if (r->sector % per_block || r->count % per_block || r->offset % BLK_SECTOR_SIZE)
		return BLK_EINVAL;
	return BLK_OK;
}

#endif
