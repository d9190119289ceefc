/* libnet: what TCP input shares between its files - the parsed segment and the state steps. */
#ifndef LIBNET_NET_TCP_IN_H
#define LIBNET_NET_TCP_IN_H

#include "net_internal.h"

/* One received segment after its checks: header fields in host order, SYN options. */
struct net_seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	unsigned flags;
	uint16_t wnd;
	const uint8_t *data;
	uint32_t dlen;
	uint16_t mss; /* SYN: the peer's MSS option, else 536 */
	int ws;       /* SYN: the peer's window scale, -1 without the option */
};

/**
 * Moves @so to ESTABLISHED once its SYN is acknowledged by @ack: send state, initial
 * congestion window, the handshake's RTT sample.
 */
void net_tcp_in_established(struct net_stack *s, struct net_socket *so, uint32_t ack);

/**
 * Handles segment @g for connection @so in a synchronized state (SYN-RECEIVED and later):
 * acceptability, RST, SYN, ACK, data and FIN (RFC 9293 3.10.7.4).
 */
void net_tcp_sync_input(struct net_stack *s, struct net_socket *so, const struct net_seg *g);

#endif
