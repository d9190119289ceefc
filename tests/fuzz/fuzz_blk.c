/* Fuzz target `blk`: the virtio-blk driver's ring-request decoder (drivers/virtio-blk/blk_req.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blk.h>

/*
 * Input: a limits header, then one ring message as libring hands it over (its 16-byte header
 * and up to 112 payload bytes; missing bytes are zero).
 *   byte 0      bit 0: read-only disk; bits 1-3: block size 512 << k; bits 4-5: regions (0-3)
 *   bytes 1-8   capacity in sectors (little-endian)
 *   bytes 9-20  three region sizes (le32 each, in bytes)
 *   byte 21     bit i: region i is writable by the device
 * The decoder's verdict is checked against the protocol's rules (blk_proto.h), written again
 * here in 128-bit arithmetic: an accepted request is inside the disk and its region, aligned,
 * of the right shape; a refused one names a status of the protocol and, if the message was
 * readable, its op.
 */
#define HDR_LEN 22u
#define N_REGIONS 3u
#define REGION_BASE 0x40000000ull /* device address of region i: BASE * (i + 1) */

/**
 * libFuzzer's entry: decodes the request in the @size bytes at @data.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_blk: %s\n", rule);
	abort();
}

static void load_limits(const uint8_t *h, struct blk_limits *lim, struct blk_region *g)
{
	uint32_t sizes[N_REGIONS];

	memset(g, 0, N_REGIONS * sizeof(*g));
	memcpy(&lim->capacity, h + 1, 8);
	memcpy(sizes, h + 9, sizeof(sizes));
	lim->ro = h[0] & 1u;
	lim->block_size = 512u << ((h[0] >> 1) & 7u);
	lim->n_regions = (h[0] >> 4) & 3u;
	lim->regions = g;
	for (uint32_t i = 0; i < N_REGIONS; i++) {
		g[i].size = sizes[i];
		g[i].daddr = REGION_BASE * (i + 1);
		g[i].writable = (h[21] >> i) & 1u;
	}
}

static void check_transfer(const struct blk_req *r, const struct blk_limits *lim,
                           const struct blk_io *io)
{
	unsigned __int128 end = (unsigned __int128)r->sector + r->count;
	uint64_t per_block = lim->block_size / 512u;

	if (r->count == 0 || r->count > BLK_MAX_SECTORS || r->reserved != 0)
		broken("accepted a transfer of an impossible count");
	if ((unsigned __int128)r->count * 512u != r->length || io->len != r->length)
		broken("accepted a length that is not count * 512");
	if (end > lim->capacity)
		broken("accepted sectors beyond the disk");
	if (r->sector % per_block || r->count % per_block || r->offset % 512u)
		broken("accepted a misaligned transfer");
	if (r->region >= lim->n_regions)
		broken("accepted an unknown region");
	const struct blk_region *g = &lim->regions[r->region];
	if ((unsigned __int128)r->offset + r->length > g->size)
		broken("accepted data outside its region");
	if (io->daddr != g->daddr + r->offset || io->sector != r->sector || io->count != r->count)
		broken("the decoded transfer is not the request");
	if ((r->op == BLK_OP_READ && !g->writable) || (r->op == BLK_OP_WRITE && lim->ro))
		broken("accepted a transfer the rights forbid");
}

static void check_accepted(const struct ring_msg *m, const struct blk_limits *lim,
                           const struct blk_io *io)
{
	struct blk_req r;

	if (m->type != BLK_MSG_REQ || m->flags != 0 || m->len != sizeof(r))
		broken("accepted a malformed message");
	memcpy(&r, m->data, sizeof(r));
	if (io->op != r.op)
		broken("the decoded op is not the request's");
	if (r.op == BLK_OP_READ || r.op == BLK_OP_WRITE)
		check_transfer(&r, lim, io);
	else if (r.op == BLK_OP_FLUSH &&
	         (r.region | r.sector | r.count | r.reserved | r.offset | r.length) != 0)
		broken("accepted a flush with fields set");
	else if (r.op == BLK_OP_INFO &&
	         (r.sector | r.count | r.reserved | r.offset | r.length) != 0)
		broken("accepted an info request with fields set");
	else if (r.op != BLK_OP_FLUSH && r.op != BLK_OP_INFO)
		broken("accepted an unknown op");
}

static void check_refused(const struct ring_msg *m, enum blk_status st, const struct blk_io *io)
{
	struct blk_req r;

	if (st <= BLK_OK || st >= BLK_STATUS_COUNT)
		broken("refused with a status outside the protocol");
	if (m->type != BLK_MSG_REQ || m->flags != 0 || m->len != sizeof(r)) {
		if (st != BLK_EINVAL || io->op != 0)
			broken("a malformed message is not answered EINVAL without an op");
		return;
	}
	memcpy(&r, m->data, sizeof(r));
	if (io->op != r.op)
		broken("a refusal does not carry the request's op");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[HDR_LEN] = {0};
	struct ring_msg m;
	struct blk_region regions[N_REGIONS];
	struct blk_limits lim;
	struct blk_io io;

	memcpy(hdr, data, size < HDR_LEN ? size : HDR_LEN);
	memset(&m, 0, sizeof(m));
	if (size > HDR_LEN)
		memcpy(&m, data + HDR_LEN, size - HDR_LEN < sizeof(m) ? size - HDR_LEN : sizeof(m));
	load_limits(hdr, &lim, regions);
	enum blk_status st = blk_req_decode(&m, &lim, &io);
	if (st == BLK_OK)
		check_accepted(&m, &lim, &io);
	else
		check_refused(&m, st, &io);
	return 0;
}
