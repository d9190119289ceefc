/* libnet on a network port: a stack that speaks the port protocol over a libbh ring. */
#ifndef LIBNET_NET_PORT_H
#define LIBNET_NET_PORT_H

/* net_proto.h first: libnet.h's NET_EINVAL (a negative result) is a macro that would
 * otherwise rename the protocol's status constant. */
#include <net_proto.h>

#include <bh.h>
#include <libnet.h>

/*
 * A domain's network port (docs/libnet.md): the ring named in the manifest and the data region
 * both ends map. The region is cut into NET_PORT_STRIDE-byte buffers; some wait at the server
 * for frames (RX), the others carry the stack's frames out (TX). The number of buffers is
 * bounded by the ring's slots, so the request ring never fills and the server can always
 * answer. Every answer is read once and checked against what we gave out.
 */
#define NET_PORT_STRIDE 2048u /* bytes per buffer in the data region */
#define NET_PORT_BUF_OFF 64u  /* buffer start in its stride (the server's headroom before it) */
#define NET_PORT_BUFS 256u    /* buffers at most */
#define NET_PORT_BUF_LEN (NET_PORT_STRIDE - NET_PORT_BUF_OFF)

enum net_port_buf_state {
	NET_PORT_IDLE = 0, /* ours: a free TX buffer, or an RX buffer to post again */
	NET_PORT_RX = 1,   /* at the server, waiting for a frame */
	NET_PORT_TX = 2,   /* at the server, a frame to send */
};

struct net_port_counters {
	uint64_t rx_frames, tx_frames;
	uint64_t tx_no_buffer; /* frames the stack sent while every TX buffer was out: dropped */
	uint64_t tx_errors;    /* TX answers other than NET_OK */
	uint64_t rx_errors;    /* RX buffers given back unused (NET_EIO) or refused */
	uint64_t bad_answers;  /* malformed messages, unknown tags, answers out of turn */
	uint64_t tx_link_down; /* frames the stack sent while the link was down: dropped */
	uint64_t link_changes;
};

struct net_port {
	struct bh_ring ring;
	volatile uint8_t *data;
	uint64_t data_size;
	uint8_t mac[NET_MAC_LEN];
	uint32_t ipv4; /* the port's address from INFO (the manifest's), host order; 0: none */
	bool link_up;
	bool broken;   /* the ring broke: the port is dead */
	uint32_t n_rx; /* buffers 0..n_rx-1 receive, the rest up to n_bufs transmit */
	uint32_t n_bufs;
	uint8_t state[NET_PORT_BUFS]; /* enum net_port_buf_state */
	uint32_t tx_free[NET_PORT_BUFS];
	uint32_t n_tx_free;
	uint64_t wait_mask; /* more channel bits that end net_port_run_once's wait (the program's) */
	uint64_t woken;     /* the bits of wait_mask that ended the last wait */
	struct net_port_counters cnt;
	uint8_t frame[NET_FRAME_MAX]; /* a received frame, copied out of the region once */
};

/* Errors of net_port_open (negative, beside libnet's). */
#define NET_PORT_ENOPORT (-20) /* no such ring or data map in the manifest, or too small */
#define NET_PORT_EBROKEN (-21) /* the ring broke, or the server's INFO answer was wrong */

/* The address a port's INFO gives comes with QEMU's user network's shape: a /24 whose .2 is
 * the gateway. A caller that needs another shape sets netmask and gateway in its config. */
#define NET_PORT_DEFAULT_MASK 0xffffff00u
#define NET_PORT_DEFAULT_GW_HOST 2u /* the gateway's host part in that /24 */

/* The names net_port_attach(p, NULL, NULL) uses when the domain has no switch port. */
#define NET_PORT_RING "net"
#define NET_PORT_DATA "net-data"

/**
 * Opens the port whose ring is @ring_name and data map @data_name (both NULL: the domain's
 * switch port, its BH_RES_PORT entry in start-info, else ring NET_PORT_RING with map
 * NET_PORT_DATA, a driver's direct client), asks the server for INFO
 * (MAC, link, the manifest's address into p->ipv4) and cuts the data region into buffers.
 * Nothing is posted yet: net_port_start follows (a program may look at p->ipv4 first).
 * Needs: @p lives as long as the port is used. Returns: 0 or a NET_PORT_E* error.
 */
int net_port_attach(struct net_port *p, const char *ring_name, const char *data_name);

/**
 * Starts @s on attached port @p with @cfg (its mac, send and ctx are set here). When cfg->ip
 * is 0, the address is INFO's (p->ipv4) with cfg's netmask and gateway, or where those are 0,
 * NET_PORT_DEFAULT_MASK and the .NET_PORT_DEFAULT_GW_HOST of that subnet; with no address in
 * either, the stack starts without one and DHCP (net_dhcp_start) finds one. Posts the receive
 * buffers; announces the address (gratuitous ARP) if it has one and the link is up.
 * Needs: net_port_attach(@p) returned 0; @s lives as long as @p. Returns: 0, NET_PORT_EBROKEN
 * or net_init's error.
 */
int net_port_start(struct net_port *p, struct net_stack *s, const struct net_config *cfg);

/**
 * net_port_attach then net_port_start: the whole opening for a program without a fallback
 * address of its own. Needs and returns as those two.
 */
int net_port_open(struct net_port *p, struct net_stack *s, const char *ring_name,
                  const char *data_name, const struct net_config *cfg);

/**
 * One turn of a program's event loop: hands every answer that arrived to @s (frames to
 * net_input, TX buffers back), posts the receive buffers again, runs @s's timers (net_poll at
 * bh_now_ms()), sends what was queued; then, if nothing arrived, sleeps until a frame, a bit
 * of p->wait_mask (saved in p->woken) or the next timer. Returns: the messages handled before
 * any sleep (0: it slept), or NET_PORT_EBROKEN once the ring broke.
 */
int net_port_run_once(struct net_stack *s, struct net_port *p);

/**
 * net_port_run_once without the sleep, for a program that waits by polling (the network
 * benchmark, which must never halt the CPU): hands every answer that arrived to @s, posts the
 * receive buffers again, runs @s's timers and publishes what was queued. Returns: the
 * messages handled (0: none had arrived), or NET_PORT_EBROKEN once the ring broke.
 */
int net_port_poll(struct net_stack *s, struct net_port *p);

/** Publishes the requests queued so far (frames the program's calls sent outside run_once). */
void net_port_flush(struct net_port *p);

#endif
