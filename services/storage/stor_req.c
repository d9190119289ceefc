/* Storage service: checking a client's request and translating it into the driver's. */
#include <string.h>

#include "stor.h"

enum stor_fit stor_volume_fit(const struct stor_volume *v, const struct stor_disk *d)
{
	uint64_t per_block = d->block_size > BLK_SECTOR_SIZE ? d->block_size / BLK_SECTOR_SIZE : 1;

	if (v->sectors > d->capacity || v->first > d->capacity - v->sectors)
		return STOR_FIT_END;
	if (v->first % per_block || v->sectors % per_block)
		return STOR_FIT_ALIGN;
	return STOR_FIT_OK;
}

static bool message_ok(const struct ring_msg *m)
{
	return m->type == BLK_MSG_REQ && m->flags == 0 && m->len == sizeof(struct blk_req);
}

/* Sectors inside the volume, the span inside the data region; no sum can wrap. */
static enum blk_status check_place(const struct blk_req *r, const struct stor_volume *v)
{
	if (r->count > v->sectors || r->sector > v->sectors - r->count)
		return BLK_ERANGE;
	if (r->region != 0 || r->offset > v->data_size || r->length > v->data_size - r->offset)
		return BLK_EFAULT;
	if (r->op == BLK_OP_WRITE && v->ro)
		return BLK_EROFS;
	return BLK_OK;
}

static enum blk_status check_transfer(const struct blk_req *r, const struct stor_volume *v,
                                      const struct stor_disk *d, struct blk_req *out)
{
	enum blk_status st = blk_req_shape(r, d->block_size, d->max_sectors);

	if (st == BLK_OK)
		st = check_place(r, v);
	if (st != BLK_OK)
		return st;
	*out = *r;
	out->region = v->drv_region;
	out->sector = v->first + r->sector; /* below first + sectors: stor_volume_fit held */
	return BLK_OK;
}

static enum blk_status check_flush(const struct blk_req *r, struct blk_req *out)
{
	if (r->region || r->sector || r->count || r->reserved || r->offset || r->length)
		return BLK_EINVAL;
	*out = *r;
	return BLK_OK;
}

static enum blk_status check_info(const struct blk_req *r, struct blk_req *out)
{
	if (r->sector || r->count || r->reserved || r->offset || r->length)
		return BLK_EINVAL;
	*out = *r;
	return BLK_OK;
}

enum blk_status stor_req_check(const struct ring_msg *m, const struct stor_volume *v,
                               const struct stor_disk *d, struct blk_req *out)
{
	struct blk_req r;

	if (!message_ok(m))
		return BLK_EINVAL;
	memcpy(&r, m->data, sizeof(r)); /* from the private copy; every check reads @r */
	switch (r.op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		return check_transfer(&r, v, d, out);
	case BLK_OP_FLUSH:
		return check_flush(&r, out);
	case BLK_OP_INFO:
		return check_info(&r, out);
	default:
		return BLK_EINVAL;
	}
}

void stor_req_info(const struct blk_req *req, const struct stor_volume *v,
                   const struct stor_disk *d, uint32_t share, struct blk_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = BLK_OK;
	resp->op = BLK_OP_INFO;
	resp->capacity = v->sectors;
	resp->block_size = d->block_size;
	resp->flags = (d->flags & BLK_INFO_FLUSH) |
	              (v->ro || (d->flags & BLK_INFO_RO) ? BLK_INFO_RO : 0);
	resp->max_requests = share;
	resp->max_sectors = d->max_sectors;
	resp->n_regions = 1;
	if (req->region != 0)
		return;
	resp->region_size = v->data_size;
	memcpy(resp->region_name, v->data_name, sizeof(resp->region_name));
}
