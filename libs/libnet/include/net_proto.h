/* libnet: the port protocol every network port speaks (driver<->switch, switch<->client). */
#ifndef LIBNET_NET_PROTO_H
#define LIBNET_NET_PROTO_H

#include <stdint.h>

/*
 * One libring ring per port: the client sends requests, the server answers each exactly once,
 * one ring message each. Frames never travel in the ring: they lie in the client's data region,
 * a shared map the server reaches too (a driver has it DMA-mapped, so the device reads and
 * writes the frames in place). A buffer is named by (offset, length) inside that region; the
 * NET_HEADROOM bytes before @offset also belong to the server while it holds the buffer (the
 * virtio-net driver puts the device's header there). Everything a peer writes is checked by
 * the receiver; a bad request gets a status, never trust.
 *
 * A request: ring message type NET_MSG_REQ, no flags, tag = the client's cookie (any value; the
 * answer carries it back), payload exactly a struct net_req.
 *   NET_OP_INFO  every field but @op zero: the answer describes the port.
 *   NET_OP_RX    an empty receive buffer of @length bytes (NET_FRAME_MAX .. NET_BUF_MAX) at
 *                @offset; the server answers when a frame is in it (@length = the frame's
 *                length), or with NET_EIO when it gives the buffer back unused.
 *   NET_OP_TX    a frame of @length bytes (NET_FRAME_MIN .. NET_FRAME_MAX) at @offset; the
 *                server answers when the buffer may be reused (NET_OK: handed to the wire).
 * INFO's answer also carries the port's address when the manifest gives one (a switch port's
 * ipv4 attribute); the driver answers 0.
 * An answer: type NET_MSG_RESP, the request's tag, payload exactly a struct net_resp.
 * A notice: type NET_MSG_LINK, tag 0, a struct net_resp with op NET_OP_LINK, sent by the server
 * when the link goes up or down. A malformed request message is answered NET_EINVAL under its
 * tag. At most max_rx receive buffers and max_tx frames (from INFO) may be at the server at
 * once; one more is answered NET_ELIMIT.
 */
#define NET_MSG_REQ 0x0e01u
#define NET_MSG_RESP 0x0e02u
#define NET_MSG_LINK 0x0e03u

#define NET_HEADROOM 16u    /* bytes before every buffer the server may write */
#define NET_FRAME_MIN 14u   /* an Ethernet header */
#define NET_FRAME_MAX 1514u /* header and a 1500-byte payload, no FCS */
#define NET_BUF_MAX 16384u  /* the largest receive buffer */
#define NET_MTU 1500u
#define NET_MAC_LEN 6u

enum net_op {
	NET_OP_INFO = 1,
	NET_OP_RX = 2,
	NET_OP_TX = 3,
	NET_OP_LINK = 4, /* notices only */
};

struct net_req {
	uint32_t op;       /* enum net_op */
	uint32_t reserved; /* zero */
	uint64_t offset;   /* bytes from the start of the data region */
	uint64_t length;
};
_Static_assert(sizeof(struct net_req) == 24, "port protocol");

enum net_status {
	NET_OK = 0,
	NET_EIO = 1,    /* the device failed or was reset: the buffer comes back unused */
	NET_EINVAL = 2, /* malformed: message type or size, op, reserved field, length bounds */
	NET_EFAULT = 3, /* the buffer or its headroom lies outside the data region */
	NET_ELIMIT = 4, /* more buffers at the server than INFO allows */
	NET_STATUS_COUNT
};

#define NET_LINK_UP 0x1u /* struct net_resp.flags */

/* The answer to every request, and the link notice. @offset and @length are the request's
 * (RX: @length is the frame's); the fields after @flags are filled for INFO only. */
struct net_resp {
	uint32_t status; /* enum net_status */
	uint32_t op;     /* the request's op, 0 if the message was unreadable */
	uint64_t offset;
	uint32_t length;
	uint32_t flags;           /* NET_LINK_* (INFO and notices) */
	uint8_t mac[NET_MAC_LEN]; /* the port's address */
	uint16_t mtu;             /* NET_MTU */
	uint32_t max_rx;          /* receive buffers the server holds at most */
	uint32_t max_tx;          /* frames the server holds at most */
	uint32_t headroom;        /* NET_HEADROOM */
	uint64_t region_size;     /* bytes of the data region */
	uint32_t ipv4;            /* the port's static IPv4 address from the manifest, in host
	                           * byte order (first byte in bits 31..24); 0: none (a driver) */
	uint32_t reserved;        /* zero */
};
_Static_assert(sizeof(struct net_resp) == 64, "port protocol");

/*
 * Reconnecting to a new server instance (a restarted driver; docs/network.md, "Reconnecting").
 * The protocol sends nothing in the ring's data area, so each end keeps one record at offset 0
 * of its own half of it, beside the queues and outside their indices:
 * - the client writes @magic once it speaks reconnect, then in @incarnation the server
 *   incarnation it last reset the ring for;
 * - the server writes @magic and in @incarnation its own incarnation (never 0, never the
 *   client's value) when the client's record has the magic, and then touches neither queue
 *   until the client's @incarnation equals its own; 0 when it serves at once without that.
 * On a new incarnation the client zeroes both queues' indices and events, takes back every
 * buffer it had at the server, then writes the incarnation: the ring is as at boot. Each end
 * stores @incarnation last (release) and reads it first (acquire), once per look.
 */
#define NET_HELLO_MAGIC 0x4f4c4c4548544e42ull /* "BNTHELLO" */

struct net_hello {
	uint64_t magic;       /* NET_HELLO_MAGIC */
	uint64_t incarnation; /* see above */
};
_Static_assert(sizeof(struct net_hello) == 16, "port protocol");

/*
 * The shape a request must have before anything is looked up, in a data region of
 * @region_size bytes: no reserved bits; INFO all zero; RX and TX lengths in their bounds; the
 * buffer and the NET_HEADROOM bytes before it inside the region (no sum can wrap).
 * Returns: NET_OK, NET_EINVAL or NET_EFAULT.
 */
static inline enum net_status net_req_check(const struct net_req *r, uint64_t region_size)
{
	if (r->reserved)
		return NET_EINVAL;
	if (r->op == NET_OP_INFO)
		return r->offset || r->length ? NET_EINVAL : NET_OK;
	if (r->op == NET_OP_RX && (r->length < NET_FRAME_MAX || r->length > NET_BUF_MAX))
		return NET_EINVAL;
	if (r->op == NET_OP_TX && (r->length < NET_FRAME_MIN || r->length > NET_FRAME_MAX))
		return NET_EINVAL;
	if (r->op != NET_OP_RX && r->op != NET_OP_TX)
		return NET_EINVAL;
	if (r->offset < NET_HEADROOM || r->offset > region_size ||
	    r->length > region_size - r->offset)
		return NET_EFAULT;
	return NET_OK;
}

#endif
