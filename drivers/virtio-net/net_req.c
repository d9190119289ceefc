/* virtio-net driver: decoding and checking one port request before it reaches the device. */
#include <string.h>

#include "net.h"

/* The message itself: type, flags and size; the caller already holds a private copy. */
static bool message_ok(const struct ring_msg *m)
{
	return m->type == NET_MSG_REQ && m->flags == 0 && m->len == sizeof(struct net_req);
}

enum net_status net_req_decode(const struct ring_msg *m, uint64_t region_size, struct net_io *io)
{
	struct net_req r;

	memset(io, 0, sizeof(*io));
	if (!message_ok(m))
		return NET_EINVAL;
	memcpy(&r, m->data, sizeof(r));
	io->op = r.op; /* for the answer, even a refusal */
	enum net_status st = net_req_check(&r, region_size);
	if (st != NET_OK)
		return st;
	io->offset = r.offset;
	io->length = (uint32_t)r.length; /* at most NET_BUF_MAX after the check */
	return NET_OK;
}
