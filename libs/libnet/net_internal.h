/* libnet internals: wire offsets, byte access, and the calls between the stack's layers. */
#ifndef LIBNET_NET_INTERNAL_H
#define LIBNET_NET_INTERNAL_H

#include <libnet.h>

#define NET_ETH_HLEN 14u
#define NET_IP_HLEN 20u
#define NET_L4_OFF (NET_ETH_HLEN + NET_IP_HLEN) /* where net_ip_send finds its payload */
#define NET_ETH_MIN 60u                         /* shorter frames are padded */
#define NET_ETH_IP 0x0800u
#define NET_ETH_ARP 0x0806u
#define NET_PROTO_ICMP 1u
#define NET_PROTO_TCP 6u
#define NET_PROTO_UDP 17u
#define NET_TTL 64u

#define NET_ARP_TTL_MS 60000u  /* a resolved entry is forgotten after this */
#define NET_ARP_RETRY_MS 1000u /* a request unanswered for this long is sent again */
#define NET_ARP_TRIES 3u       /* requests before the queued frame is dropped */
#define NET_TCP_DELACK_MS 40u  /* longest delay of an ACK */

#define NET_SOCK_FREE 0u
#define NET_SOCK_UDP 1u
#define NET_SOCK_TCP 2u

/* Big-endian loads and stores on byte pointers: no alignment or layout assumptions. */
static inline uint16_t net_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t net_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void net_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void net_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Sequence-number comparisons modulo 2^32. */
static inline bool net_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool net_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline uint64_t net_min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline bool net_sock_ok(const struct net_stack *s, int sock, unsigned kind)
{
	return sock >= 0 && (unsigned)sock < NET_SOCKETS && s->sock[sock].kind == kind &&
	       s->sock[sock].user;
}

/* net_csum.c */
/**
 * Adds @len bytes at @p (big-endian 16-bit words, an odd last byte padded) to @sum.
 * Returns: the unfolded 32-bit sum.
 */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len);

/**
 * Returns: the Internet checksum of @sum (folded, complemented).
 */
uint16_t net_csum_fold(uint32_t sum);

/**
 * Returns: the unfolded sum of the IPv4 pseudo-header of a @proto segment of @len bytes.
 */
uint32_t net_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len);

/* net_eth.c */
/**
 * Checks the Ethernet header of the @len bytes at @f and passes the payload up.
 */
void net_eth_input(struct net_stack *s, const uint8_t *f, size_t len);

/**
 * Fills the Ethernet header of frame @f (@len bytes, header included) for @dst and
 * @type, pads it to the minimum size and hands it to the link.
 */
void net_eth_send(struct net_stack *s, uint8_t *f, size_t len, const uint8_t dst[6], uint16_t type);

/* net_arp.c */
/**
 * Handles an ARP packet of @len untrusted bytes at @p.
 */
void net_arp_input(struct net_stack *s, const uint8_t *p, size_t len);

/**
 * Sends IPv4 frame @f (@len bytes, Ethernet header to be filled) to next hop @hop: at once
 * when its address is known, else after ARP resolves it (one frame waits per address).
 */
void net_arp_output(struct net_stack *s, uint32_t hop, uint8_t *f, size_t len);

/**
 * Retries unanswered requests and forgets old entries. Returns: the next deadline.
 */
uint64_t net_arp_poll(struct net_stack *s);

/* net_ip.c */
/**
 * Checks the IPv4 header of @len untrusted bytes at @p and passes the payload up.
 */
void net_ip_input(struct net_stack *s, const uint8_t *p, size_t len);

/**
 * Sends the @l4len-byte @proto payload at s->tx + NET_L4_OFF to @dst.
 * Returns: 0 or NET_ENOROUTE.
 */
int net_ip_send(struct net_stack *s, uint32_t dst, uint8_t proto, size_t l4len);

/**
 * Returns: true if @dst can be reached (a local address, or a gateway is set).
 */
bool net_ip_routable(const struct net_stack *s, uint32_t dst);

/**
 * Sends the @l4len-byte payload at s->tx + NET_L4_OFF to 255.255.255.255 from cfg.ip (0
 * before a lease) in an Ethernet broadcast, without ARP: DHCP's way out.
 */
void net_ip_send_broadcast(struct net_stack *s, uint8_t proto, size_t l4len);

/**
 * A UDP payload of @len bytes at @p from server port 67 to client port 68. Returns: false if
 * the DHCP client is off (the datagram is then the sockets'), else true (taken, or counted).
 */
bool net_dhcp_input(struct net_stack *s, const uint8_t *p, size_t len);

/** Runs the DHCP client's timers. Returns: its next deadline, or NET_NEVER. */
uint64_t net_dhcp_poll(struct net_stack *s);

/* net_icmp.c */
/**
 * Handles an ICMP message of @len untrusted bytes at @p from @src.
 */
void net_icmp_input(struct net_stack *s, uint32_t src, const uint8_t *p, size_t len);

/* net_udp.c */
/**
 * Handles a UDP datagram of @len untrusted bytes at @p from @src to @dst.
 */
void net_udp_input(struct net_stack *s, uint32_t src, uint32_t dst, const uint8_t *p, size_t len);

/**
 * Returns: true if a socket of @kind other than @skip uses local port @port.
 */
bool net_udp_port_used(const struct net_stack *s, unsigned kind, uint16_t port);

/**
 * Returns: a free ephemeral port for a socket of @kind.
 */
uint16_t net_udp_ephemeral(struct net_stack *s, unsigned kind);

/**
 * Returns: the index of a free socket slot (else the oldest in TIME-WAIT), or NET_ENOSOCK.
 */
int net_udp_alloc(struct net_stack *s);

/* net_tcp_in.c */
/**
 * Handles a TCP segment of @len untrusted bytes at @p from @src to @dst.
 */
void net_tcp_in_segment(struct net_stack *s, uint32_t src, uint32_t dst, const uint8_t *p,
                        size_t len);

/* net_tcp_reasm.c */
/**
 * Stores @n bytes at @p of sequence @seq in @t's receive buffer: in order (@seq == rcv_nxt)
 * they join the readable bytes, with any held data they reach; beyond a hole they are held.
 * Needs: rcv_nxt <= @seq and @seq + @n - rcv_nxt <= the free space of the buffer.
 * Returns: false if the data was dropped (NET_TCP_OOO ranges held already).
 */
bool net_tcp_reasm_store(struct net_tcb *t, uint32_t seq, const uint8_t *p, uint32_t n);

/* net_tcp_out.c */
#define NET_TH_FIN 0x01u
#define NET_TH_SYN 0x02u
#define NET_TH_RST 0x04u
#define NET_TH_PSH 0x08u
#define NET_TH_ACK 0x10u

/**
 * Sends what connection @so may send now: new or retransmitted data within the peer's
 * window and the congestion window, a FIN, or a pending ACK.
 */
void net_tcp_out_push(struct net_stack *s, struct net_socket *so);

/**
 * Sends a bare segment of @so with @flags (and SYN options when SYN is set) at sequence
 * @seq: SYN, SYN-ACK, ACK, RST or a window probe of no data.
 */
void net_tcp_out_ctl(struct net_stack *s, struct net_socket *so, uint32_t seq, unsigned flags);

/**
 * Sends an ACK of @so now (cancels the delayed ACK).
 */
void net_tcp_out_ack(struct net_stack *s, struct net_socket *so);

/**
 * Answers a segment that reaches no connection with a reset (RFC 9293 3.10.7.1).
 * @seg_seq, @seg_ack, @seg_len (SYN and FIN counted), @flags: those of the segment.
 */
void net_tcp_out_reset(struct net_stack *s, uint32_t src, uint32_t dst, uint16_t sport,
                       uint16_t dport, uint32_t seg_seq, uint32_t seg_ack, uint32_t seg_len,
                       unsigned flags);

/**
 * Returns: the receive window @so can advertise now, in bytes (before scaling).
 */
uint32_t net_tcp_out_window(const struct net_socket *so);

/**
 * Sends the first unacknowledged segment again (fast retransmit, NewReno partial ACK).
 */
void net_tcp_out_resend(struct net_stack *s, struct net_socket *so);

/**
 * Sends one byte beyond the peer's zero window (persist probe), or a bare ACK if no data.
 */
void net_tcp_out_probe(struct net_stack *s, struct net_socket *so);

/* net_tcp_timer.c */
/**
 * Feeds one round-trip sample of @ms into @tcb's SRTT, RTTVAR and RTO (RFC 6298 2.2-2.3).
 */
void net_tcp_timer_sample(struct net_tcb *tcb, uint32_t ms);

/**
 * Starts the retransmission timer of @tcb unless it runs (@restart: start it anew).
 */
void net_tcp_timer_arm(struct net_stack *s, struct net_tcb *tcb, bool restart);

/**
 * Runs every due TCP timer. Returns: the next TCP deadline.
 */
uint64_t net_tcp_timer_poll(struct net_stack *s);

/**
 * Enters TIME-WAIT: the connection lingers 2 MSL, then frees itself.
 */
void net_tcp_timer_time_wait(struct net_stack *s, struct net_socket *so);

/* net_tcp.c */
/**
 * Ends connection @so with @err (0 for an orderly end): state CLOSED, timers off; the slot
 * is freed at once unless the program still holds its handle.
 */
void net_tcp_drop(struct net_stack *s, struct net_socket *so, int err);

/**
 * Returns: a fresh initial sequence number for a connection of @so.
 */
uint32_t net_tcp_iss(struct net_stack *s, const struct net_socket *so);

/**
 * Sets up the transmission control block of @so for a new connection (buffers empty,
 * RTO 1 s, window scale and MSS defaults, receive limit @rcv_limit).
 */
void net_tcp_tcb_init(struct net_stack *s, struct net_socket *so, uint32_t rcv_limit);

#endif
