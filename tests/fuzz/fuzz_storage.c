/* Fuzz target `storage`: the storage service's request checks (services/storage/stor_req.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stor.h>

/*
 * Input: a header describing a volume and its disk, then one ring message as libring hands it
 * over (its 16-byte header and up to 112 payload bytes; missing bytes are zero).
 *   byte 0       bit 0: read-only volume; bits 1-3: block size 512 << k
 *   bytes 1-8    the volume's first sector (little-endian)
 *   bytes 9-16   its sectors
 *   bytes 17-20  its data region's size in bytes
 *   bytes 21-24  the driver's index of that region
 *   bytes 25-28  max_sectors of the driver
 * The header is made to fit the disk (capacity = first + sectors, or all of 2^64 - 1) as the
 * service does at start (stor_volume_fit). The verdict is checked against the protocol's
 * rules, written again here in 128-bit arithmetic: an accepted transfer lies inside the
 * volume and the data region, aligned and of the right shape, and is translated to the
 * driver's region and the absolute sector; a refusal names a status of the protocol.
 */
#define HDR_LEN 29u

/**
 * libFuzzer's entry: checks the request in the @size bytes at @data.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_storage: %s\n", rule);
	abort();
}

/* Returns false if the volume would not fit the disk (the service refuses it at start). */
static bool load(const uint8_t *h, struct stor_volume *v, struct stor_disk *d)
{
	uint32_t data_size = 0;

	memset(v, 0, sizeof(*v));
	memset(d, 0, sizeof(*d));
	v->ro = h[0] & 1u;
	d->block_size = 512u << ((h[0] >> 1) & 7u);
	memcpy(&v->first, h + 1, 8);
	memcpy(&v->sectors, h + 9, 8);
	memcpy(&data_size, h + 17, 4);
	memcpy(&v->drv_region, h + 21, 4);
	memcpy(&d->max_sectors, h + 25, 4);
	v->data_size = data_size;
	d->capacity = v->first + v->sectors < v->first ? UINT64_MAX : v->first + v->sectors;
	return stor_volume_fit(v, d) == STOR_FIT_OK;
}

static void check_transfer(const struct blk_req *r, const struct blk_req *out,
                           const struct stor_volume *v, const struct stor_disk *d)
{
	uint64_t per_block = d->block_size / 512u;

	if (r->count == 0 || r->count > d->max_sectors || r->reserved != 0 || r->region != 0)
		broken("accepted a transfer of an impossible count or region");
	if ((unsigned __int128)r->count * 512u != r->length)
		broken("accepted a length that is not count * 512");
	if ((unsigned __int128)r->sector + r->count > v->sectors)
		broken("accepted sectors beyond the volume");
	if (r->sector % per_block || r->count % per_block || r->offset % 512u)
		broken("accepted a misaligned transfer");
	if ((unsigned __int128)r->offset + r->length > v->data_size)
		broken("accepted data outside the data region");
	if (r->op == BLK_OP_WRITE && v->ro)
		broken("accepted a write to a read-only volume");
	if (out->region != v->drv_region || out->sector != v->first + r->sector ||
	    out->count != r->count || out->offset != r->offset || out->length != r->length ||
	    out->op != r->op || out->reserved != 0)
		broken("the translated request is not the client's, moved to the driver's terms");
	if ((unsigned __int128)out->sector + out->count > d->capacity)
		broken("the translated request leaves the disk");
}

static void check_accepted(const struct ring_msg *m, const struct blk_req *out,
                           const struct stor_volume *v, const struct stor_disk *d)
{
	struct blk_req r;

	if (m->type != BLK_MSG_REQ || m->flags != 0 || m->len != sizeof(r))
		broken("accepted a malformed message");
	memcpy(&r, m->data, sizeof(r));
	if (r.op == BLK_OP_READ || r.op == BLK_OP_WRITE)
		check_transfer(&r, out, v, d);
	else if (r.op == BLK_OP_FLUSH &&
	         (r.region | r.sector | r.count | r.reserved | r.offset | r.length | out->region |
	          out->sector | out->count | out->offset | out->length) != 0)
		broken("accepted a flush with fields set");
	else if (r.op == BLK_OP_INFO &&
	         (r.sector | r.count | r.reserved | r.offset | r.length) != 0)
		broken("accepted an info request with fields set");
	else if (r.op != BLK_OP_FLUSH && r.op != BLK_OP_INFO)
		broken("accepted an unknown op");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[HDR_LEN] = {0};
	struct ring_msg m;
	struct stor_volume v;
	struct stor_disk d;
	struct blk_req out;

	memcpy(hdr, data, size < HDR_LEN ? size : HDR_LEN);
	memset(&m, 0, sizeof(m));
	if (size > HDR_LEN)
		memcpy(&m, data + HDR_LEN, size - HDR_LEN < sizeof(m) ? size - HDR_LEN : sizeof(m));
	if (!load(hdr, &v, &d))
		return 0;
	enum blk_status st = stor_req_check(&m, &v, &d, &out);
	if (st == BLK_OK)
		check_accepted(&m, &out, &v, &d);
	else if (st <= BLK_OK || st >= BLK_STATUS_COUNT || st == BLK_IOERR || st == BLK_UNSUPP)
		broken("refused with a status the checks never give");
	return 0;
}
