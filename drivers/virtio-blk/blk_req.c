/* virtio-blk driver: decoding and checking one ring request before it reaches the device. */
#include <string.h>

#include "blk.h"

/* The message itself: type, flags and size; the caller already holds a private copy. */
static bool message_ok(const struct ring_msg *m)
{
	return m->type == BLK_MSG_REQ && m->flags == 0 && m->len == sizeof(struct blk_req);
}

static enum blk_status check_flush(const struct blk_req *r)
{
	if (r->region || r->sector || r->count || r->reserved || r->offset || r->length)
		return BLK_EINVAL;
	return BLK_OK;
}

static enum blk_status check_info(const struct blk_req *r)
{
	if (r->sector || r->count || r->reserved || r->offset || r->length)
		return BLK_EINVAL;
	return BLK_OK;
}

/* The sectors lie on the disk and the span inside its region (no sum can wrap). */
static enum blk_status check_place(const struct blk_req *r, const struct blk_limits *lim)
{
	if (r->count > lim->capacity || r->sector > lim->capacity - r->count)
		return BLK_ERANGE;
	if (r->region >= lim->n_regions)
		return BLK_EFAULT;
	const struct blk_region *g = &lim->regions[r->region];
	if (r->offset > g->size || r->length > g->size - r->offset)
		return BLK_EFAULT;
	if (r->op == BLK_OP_READ && !g->writable)
		return BLK_EFAULT;
	if (r->op == BLK_OP_WRITE && lim->ro)
		return BLK_EROFS;
	return BLK_OK;
}

static enum blk_status check_transfer(const struct blk_req *r, const struct blk_limits *lim)
{
	enum blk_status st = blk_req_shape(r, lim->block_size, BLK_MAX_SECTORS);

	return st == BLK_OK ? check_place(r, lim) : st;
}

static enum blk_status check_op(const struct blk_req *r, const struct blk_limits *lim)
{
	switch (r->op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		return check_transfer(r, lim);
	case BLK_OP_FLUSH:
		return check_flush(r);
	case BLK_OP_INFO:
		return check_info(r);
	default:
		return BLK_EINVAL;
	}
}

enum blk_status blk_req_decode(const struct ring_msg *m, const struct blk_limits *lim,
                               struct blk_io *io)
{
	struct blk_req r;

	memset(io, 0, sizeof(*io));
	if (!message_ok(m))
		return BLK_EINVAL;
	memcpy(&r, m->data, sizeof(r));
	io->op = r.op; /* for the answer, even a refusal */
	enum blk_status st = check_op(&r, lim);
	if (st != BLK_OK)
		return st;
	io->region = r.region;
	if (r.op != BLK_OP_READ && r.op != BLK_OP_WRITE)
		return BLK_OK;
	io->sector = r.sector;
	io->count = r.count;
	io->len = (uint32_t)r.length;
	io->daddr = lim->regions[r.region].daddr + r.offset;
	return BLK_OK;
}
