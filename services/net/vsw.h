/* Virtual switch: ports, forwarding by MAC, bounded per-port queues, counters, descriptor checks. */
#ifndef NET_VSW_H
#define NET_VSW_H

#include <stdbool.h>
#include <stdint.h>

#include <bulkhead/abi/ring.h>

#include "net_proto.h"

/*
 * The pure part of the switch (docs/network.md, "The switch"): plain memory, built for the
 * domain, the host tests (tests/host/vswitch) and the fuzz target (tests/fuzz/fuzz_vswitch.c).
 * main.c is the glue to rings, data regions and the console.
 *
 * Port 0 is the uplink (the switch is the driver's client); ports 1.. are client ports, each
 * with the MAC the manifest declares. A frame entering the switch is copied once into a slot
 * of the switch's pool and queued for every destination port that has room; a port's queue
 * holds at most VSW_SHARE slots, and the pool has VSW_SHARE slots for every port, so a port
 * whose client stops reading holds its share and nothing more, and a frame for any other
 * port always finds a free slot.
 */
#define VSW_MAX_PORTS 8u /* the uplink and up to 7 clients */
#define VSW_SHARE 32u    /* frames queued for one port at most */
#define VSW_POOL (VSW_MAX_PORTS * VSW_SHARE)
#define VSW_MAX_RX 32u /* receive buffers one client may post (INFO's max_rx) */
/* TX frames a client may have out (INFO's max_tx): each is copied and answered at once, and
 * a TCP window's burst (45 segments) needs that many transmit buffers at the client. */
#define VSW_MAX_TX 64u
#define VSW_LEARN 16u /* source MACs learned on the uplink */
#define VSW_UPLINK 0u

/* Why a frame or a descriptor was dropped (counted on the port it came from, or FULL on the
 * port it could not be queued for). */
enum vsw_drop {
	VSW_DROP_SPOOF = 0, /* a client frame whose source MAC is not its port's */
	VSW_DROP_RUNT,      /* shorter than an Ethernet header */
	VSW_DROP_GIANT,     /* longer than NET_FRAME_MAX */
	VSW_DROP_BAD,       /* a malformed descriptor (NET_EINVAL, NET_EFAULT) */
	VSW_DROP_LIMIT,     /* a descriptor past max_rx or max_tx (NET_ELIMIT) */
	VSW_DROP_FULL,      /* this port's queue was full (its client does not read) */
	VSW_DROP_NODEST,    /* a unicast frame for no port (or from the uplink to the uplink) */
	VSW_DROP_COUNT
};

/* Counters of one port. rx: frames the switch took from the port; tx: frames it gave it. */
struct vsw_counters {
	uint64_t rx_frames, rx_bytes;
	uint64_t tx_frames, tx_bytes;
	uint64_t drops[VSW_DROP_COUNT];
};

struct vsw_port {
	uint8_t mac[NET_MAC_LEN]; /* declared (client ports); the driver's for the uplink */
	bool used;
	uint32_t q[VSW_SHARE]; /* pool slots waiting to go out through this port, in order */
	uint32_t q_head, q_n;
	bool link_due; /* a link notice (the uplink's state now) is to be sent to this client */
	struct vsw_counters c;
};

struct vsw_slot {
	uint32_t len;
	uint32_t refs; /* queues holding it; 0 = free */
	uint8_t frame[NET_FRAME_MAX];
};

struct vsw {
	uint32_t n_ports;
	struct vsw_port port[VSW_MAX_PORTS];
	uint8_t learned[VSW_LEARN][NET_MAC_LEN]; /* sources seen on the uplink, oldest replaced */
	uint32_t n_learned, learn_next;
	bool link_up; /* the uplink's link, as the driver last said (INFO, then its notices) */
	uint32_t free[VSW_POOL]; /* free slot numbers (a stack) */
	uint32_t n_free;
	struct vsw_slot pool[VSW_POOL];
};

/** Empties @sw: no ports, every slot free. */
void vsw_init(struct vsw *sw);

/**
 * Adds the next port (the first is the uplink) with address @mac.
 * Needs: @mac NET_MAC_LEN bytes. Returns: the port's number, or -1 if @sw has
 * VSW_MAX_PORTS already.
 */
int vsw_port_add(struct vsw *sw, const uint8_t *mac);

/**
 * Where frame @f (@len bytes, as read from port @src) goes: a bit per destination port.
 * Counts the frame on @src (rx) or its drop (runt, giant, spoof, nodest). Broadcast and
 * multicast go to every port but @src; unicast to the client port with that MAC, else (from a
 * client) to the uplink; a frame from the uplink is never sent back to it, and its source
 * MAC is learned. Needs: @src < n_ports, @f @len bytes (any contents). Returns: the mask.
 */
uint32_t vsw_route(struct vsw *sw, uint32_t src, const uint8_t *f, uint64_t len);

/**
 * Takes frame @f from port @src into the switch: routes it, copies it once into a pool slot
 * and queues the slot for every destination whose queue has room (FULL counted on the
 * others). Needs: as vsw_route. Returns: how many ports it was queued for.
 */
uint32_t vsw_input(struct vsw *sw, uint32_t src, const uint8_t *f, uint64_t len);

/*
 * Where the switch hands a frame on: port @p's client buffer or the driver (main.c), a stub in
 * the tests. Returns true if it took frame @f (@len bytes; copied before it returns), false
 * if port @p has no room for it now.
 */
typedef bool (*vsw_sink)(void *ctx, uint32_t p, const uint8_t *f, uint32_t len);

/**
 * vsw_input, then each destination's queue handed to @sink (vsw_forward) before the caller
 * takes its next frame: a burst fills the room its destinations have (their clients'
 * buffers) before their queues, and a queue overflows only when both are full. Needs: as
 * vsw_input, @sink as vsw_forward. Returns: how many ports the frame was queued for.
 */
uint32_t vsw_take(struct vsw *sw, uint32_t src, const uint8_t *f, uint64_t len, vsw_sink sink,
                  void *ctx);

/**
 * Hands the frames queued for port @p to @sink (with @ctx) in order, each one it takes popped
 * (vsw_pop), until the queue is empty or @sink refuses one. Needs: @p < n_ports, @sink
 * callable. Returns: how many it took.
 */
uint32_t vsw_forward(struct vsw *sw, uint32_t p, vsw_sink sink, void *ctx);

/**
 * The oldest frame queued for port @p, without taking it.
 * Needs: @p < n_ports. Returns: the frame and *@len, or NULL if none waits.
 */
const uint8_t *vsw_peek(const struct vsw *sw, uint32_t p, uint32_t *len);

/**
 * Takes the oldest frame queued for port @p (it was given to the port: counted as tx) and
 * frees its slot if no other queue holds it. Needs: vsw_peek(@sw, @p) != NULL.
 */
void vsw_pop(struct vsw *sw, uint32_t p);

/**
 * Drops everything queued for port @p (its client broke its ring); the frames are not counted
 * as given. Needs: @p < n_ports.
 */
void vsw_port_flush(struct vsw *sw, uint32_t p);

/**
 * Says whether @mac was learned as a source on the uplink. Needs: @mac 6 bytes.
 */
bool vsw_learned(const struct vsw *sw, const uint8_t *mac);

/**
 * Reads and checks one request message @m of a client port whose data region has
 * @region_size bytes (read once: @m is the switch's own copy). Checks the message type,
 * flags and size, then net_req_check. Needs: @m readable. Returns: NET_OK with *@out the
 * request, or the status to answer (NET_EINVAL, NET_EFAULT).
 */
enum net_status vsw_req_take(const struct ring_msg *m, uint64_t region_size, struct net_req *out);

/**
 * Decodes the driver's link notice @m (the switch's copy): type NET_MSG_LINK, no flags, a
 * struct net_resp with op NET_OP_LINK and no flag but NET_LINK_UP. Needs: @m readable.
 * Returns: true with *@up the link's state, false for anything else.
 */
bool vsw_link_notice(const struct ring_msg *m, bool *up);

/**
 * Records the uplink's link state @up. If it changed, every client port gets a notice due
 * (link_due; a client that has not taken the last one yet gets only the newest state).
 * Returns: true if the state changed.
 */
bool vsw_link_set(struct vsw *sw, bool up);

/**
 * Says whether client port @p has a link notice due and, if so, clears it: the caller sends
 * the notice with sw->link_up. Needs: @p < n_ports. Returns: true if one was due.
 */
bool vsw_link_take(struct vsw *sw, uint32_t p);

/** The name of drop cause @d for the console ("spoof", "runt", ...). */
const char *vsw_drop_name(enum vsw_drop d);

#endif
