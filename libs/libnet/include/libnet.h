/* libnet: a small event-driven IPv4 stack (ARP, IPv4, ICMP echo, UDP, TCP) in static memory. */
#ifndef LIBNET_LIBNET_H
#define LIBNET_LIBNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_dhcp.h"

/*
 * The stack never blocks and never allocates. Below it, a link: the stack calls
 * cfg.send(cfg.ctx, frame, len) to transmit one Ethernet frame (without FCS) and is handed
 * every received frame by net_input. Time comes in as a millisecond clock through net_poll,
 * which runs the timers (ARP retries, TCP retransmission, delayed ACK, persist, TIME-WAIT) and
 * returns when it next wants to be called. A program loops: wait for a frame or that
 * deadline, net_input what arrived, net_poll, then look at its sockets' readiness flags.
 * Every size below is a constant: struct net_stack holds all the memory the stack uses.
 */

#define NET_SOCKETS 10u          /* UDP and TCP sockets of one stack, listeners included */
#define NET_TCP_BUF 65536u       /* bytes of each TCP connection's send and receive buffers */
#define NET_UDP_QUEUE 4u         /* datagrams a UDP socket holds before recvfrom */
#define NET_ARP_ENTRIES 16u      /* ARP cache entries */
#define NET_FRAME_MAX 1514u      /* longest Ethernet frame without FCS (MTU 1500) */
#define NET_UDP_MAX 1472u        /* longest UDP payload (no fragments) */
#define NET_TCP_MSS 1460u        /* the MSS we announce */
#define NET_TCP_OOO 8u           /* ranges of out-of-order data a connection holds */
#define NET_NEVER UINT64_MAX     /* net_poll: no timer pending */
#define NET_PORT_EPHEMERAL 49152 /* first port of net_tcp_connect and net_udp_bind(0) */

/* Errors (negative results); 0 and positive results are successes. */
#define NET_EAGAIN (-1)       /* nothing now: wait for readiness and call again */
#define NET_EINVAL (-2)       /* bad handle, port, length or state for this call */
#define NET_ENOSOCK (-3)      /* all NET_SOCKETS sockets are in use */
#define NET_EADDRINUSE (-4)   /* the port is taken */
#define NET_ECONNRESET (-5)   /* the peer reset the connection */
#define NET_ETIMEDOUT (-6)    /* the peer stopped answering (retransmissions gave up) */
#define NET_ECONNREFUSED (-7) /* the peer answered our SYN with a reset */
#define NET_ENOROUTE (-8)     /* no address, or the destination needs a gateway we lack */

/* Readiness flags of a socket (net_ready). */
#define NET_READABLE 1u   /* recv/recvfrom returns data, end of stream or an error */
#define NET_WRITABLE 2u   /* send accepts at least one byte */
#define NET_ACCEPTABLE 4u /* a listener: accept returns a connection */
#define NET_CONNECTED 8u  /* TCP: the handshake is done */
#define NET_ERROR 16u     /* TCP: reset, refused or timed out (recv returns the error) */
#define NET_CLOSED 32u    /* TCP: the connection is over (also after an orderly close) */

typedef void (*net_send_fn)(void *ctx, const uint8_t *frame, size_t len);

struct net_config {
	uint8_t mac[6];
	uint32_t ip;      /* host byte order, as all addresses in this API; 0: none yet (DHCP) */
	uint32_t netmask; /* e.g. 0xffffff00 */
	uint32_t gateway; /* 0: no gateway, only the local subnet is reached */
	uint32_t seed;    /* mixed into initial sequence numbers; differ per boot */
	net_send_fn send;
	void *ctx;
};

/* Every frame the stack drops is counted under its cause. */
struct net_counters {
	uint64_t rx_frames, tx_frames;
	uint64_t eth_runt, eth_not_ours, eth_bad_src, eth_unknown_type;
	uint64_t arp_bad, arp_not_ours, arp_replies_sent, arp_requests_sent, arp_retries;
	uint64_t arp_failed, arp_queue_replaced, arp_cache_full;
	uint64_t ip_runt, ip_bad_version, ip_bad_header_len, ip_bad_total_len, ip_bad_csum;
	uint64_t ip_fragment, ip_not_ours, ip_bad_src, ip_unknown_proto, ip_no_route;
	uint64_t icmp_runt, icmp_bad_csum, icmp_echo_replied, icmp_echo_replies, icmp_other;
	uint64_t udp_runt, udp_bad_len, udp_bad_csum, udp_no_port, udp_queue_full;
	uint64_t tcp_runt, tcp_bad_offset, tcp_bad_csum, tcp_bad_options, tcp_bad_flags;
	uint64_t tcp_no_socket, tcp_rst_sent, tcp_rst_rx, tcp_out_of_window, tcp_out_of_order;
	uint64_t tcp_ooo_dropped; /* out-of-order segments beyond NET_TCP_OOO ranges */
	uint64_t tcp_bad_ack, tcp_challenge_acks, tcp_backlog_full, tcp_rcv_trimmed;
	uint64_t tcp_answers_limited; /* refusals left unanswered (one ACK per 100 ms) */
	uint64_t tcp_retransmits, tcp_fast_retransmits, tcp_timeouts, tcp_probes;
	uint64_t tcp_segs_in, tcp_segs_out;
	uint64_t dhcp_bad;      /* replies the parser refused, or leases that make no sense */
	uint64_t dhcp_not_ours; /* replies for another xid or MAC, or of a type not due now */
	uint64_t dhcp_naks, dhcp_leases, dhcp_expired, dhcp_sent;
};

/* What a program may read of a TCP connection (net_tcp_info). */
struct net_tcp_info {
	unsigned state; /* enum net_tcp_state */
	uint32_t srtt_ms, rttvar_ms, rto_ms;
	uint32_t cwnd, snd_wnd, mss;
	uint8_t snd_wscale, rcv_wscale; /* shifts in use (0 without window scaling) */
	uint64_t retransmits;
	uint32_t unsent, unacked, rcv_queued;
};

enum net_tcp_state {
	NET_TCP_CLOSED,
	NET_TCP_LISTEN,
	NET_TCP_SYN_SENT,
	NET_TCP_SYN_RCVD,
	NET_TCP_ESTABLISHED,
	NET_TCP_FIN_WAIT_1,
	NET_TCP_FIN_WAIT_2,
	NET_TCP_CLOSE_WAIT,
	NET_TCP_CLOSING,
	NET_TCP_LAST_ACK,
	NET_TCP_TIME_WAIT,
};

/* ---- the stack's own state: read net_counters, touch nothing else ---- */

struct net_arp_entry {
	uint32_t ip;
	uint8_t mac[6];
	uint8_t state; /* 0 free, 1 resolving, 2 resolved */
	uint8_t tries;
	uint64_t expires_at; /* resolved: forgotten then; resolving: next retry */
	uint16_t queued_len; /* one frame waits for the answer (0: none) */
	uint8_t queued[NET_FRAME_MAX];
};

struct net_udp_dgram {
	uint32_t ip;
	uint16_t port, len;
	uint8_t data[NET_UDP_MAX];
};

struct net_udp_sock {
	uint32_t head, count;
	struct net_udp_dgram q[NET_UDP_QUEUE];
};

struct net_tcb {
	uint8_t state;
	uint8_t snd_ws, rcv_ws; /* shift of the peer's window, of ours */
	bool fin_queued;        /* the program closed: FIN after the data */
	bool fin_rcvd;          /* the peer's FIN is in (end of stream after rbuf) */
	bool rtt_on;            /* a segment is being timed (Karn: never a retransmitted one) */
	bool srtt_valid;
	bool in_recovery; /* fast recovery (RFC 6582) until snd_una passes recover */
	bool ooo_fin;     /* a FIN came beyond a hole: it ends the stream at ooo_fin_seq */
	uint8_t n_ooo;    /* ranges held beyond rcv_nxt, in rbuf after the in-order bytes */
	uint8_t ack_segs; /* segments received and not yet acknowledged */
	int err;          /* 0 or the NET_E* that ended the connection */
	uint16_t mss;     /* largest segment we send */
	uint32_t iss, irs;
	uint32_t snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t rcv_nxt, rcv_adv; /* rcv_adv: right edge of the window we advertised */
	uint32_t rcv_limit;        /* receive buffer bytes the program allows (<= NET_TCP_BUF) */
	uint32_t cwnd, ssthresh, recover, dupacks;
	uint32_t srtt, rttvar, rto, rtt_seq, backoffs;
	uint32_t persist_ms; /* the next window probe's interval */
	uint32_t ooo_fin_seq;
	uint32_t ooo_start[NET_TCP_OOO], ooo_end[NET_TCP_OOO];
	uint64_t rtt_start, rto_at, ack_at, persist_at, tw_at;
	uint64_t answer_at; /* no ACK to a refused segment before this */
	uint64_t retransmits;
	uint32_t s_head, s_len; /* send buffer: bytes from snd_una on (acked ones leave) */
	uint32_t r_head, r_len; /* receive buffer: bytes in order, not yet read */
	uint8_t sbuf[NET_TCP_BUF];
	uint8_t rbuf[NET_TCP_BUF];
};

struct net_socket {
	uint8_t kind;  /* 0 free, 1 UDP, 2 TCP */
	bool user;     /* the program holds the handle */
	bool accepted; /* for a listener's child: handed out by accept */
	int8_t parent; /* listener index of a connection not yet accepted, or -1 */
	uint16_t lport, rport;
	uint32_t rip;
	uint16_t backlog; /* a listener's limit of connections waiting for accept */
	union {
		struct net_udp_sock udp;
		struct net_tcb tcb;
	} u;
};

struct net_stack {
	struct net_config cfg;
	struct net_counters cnt;
	uint64_t now;
	uint16_t next_port, ip_id;
	uint32_t isn_count;
	struct { /* the last echo reply that came in (net_icmp_echo) */
		uint32_t from;
		uint16_t id, seq;
	} echo;
	struct net_dhcp dhcp;
	struct net_arp_entry arp[NET_ARP_ENTRIES];
	struct net_socket sock[NET_SOCKETS];
	uint8_t tx[NET_FRAME_MAX]; /* the frame being built */
};

/**
 * Sets up @s for @cfg (copied): no sockets, empty ARP cache, clock at @now_ms. An address of
 * 0 means none yet: the stack sends nothing until net_dhcp_start gets one.
 * Needs: cfg->send set. Returns: NET_EINVAL for a missing send function or the broadcast
 * address, else 0.
 */
int net_init(struct net_stack *s, const struct net_config *cfg, uint64_t now_ms);

/**
 * Hands @s one received Ethernet frame: @len untrusted bytes at @frame (no FCS). Answers
 * (ARP replies, echo replies, TCP ACKs) go out through cfg.send before it returns; a frame
 * that is wrong in any way is dropped and counted in s->cnt.
 */
void net_input(struct net_stack *s, const uint8_t *frame, size_t len);

/**
 * Sets the clock to @now_ms (never earlier than before) and runs every timer that is due.
 * Returns: the time at which net_poll wants to run next, or NET_NEVER.
 */
uint64_t net_poll(struct net_stack *s, uint64_t now_ms);

/**
 * Readiness of socket @sock: NET_READABLE, NET_WRITABLE, ... (0 for a bad handle).
 */
unsigned net_ready(const struct net_stack *s, int sock);

/**
 * Starts the DHCP client (RFC 2131) on @s, at once: any address @s had is given up, a
 * DISCOVER goes out and net_poll drives the rest (retransmission with backoff, REQUEST, renewal
 * at T1, rebinding at T2, expiry). A lease sets cfg.ip, netmask and gateway and announces the
 * address (gratuitous ARP); its expiry sets them to 0 and starts over. Until a lease, the
 * stack sends nothing but DHCP. Returns: 0.
 */
int net_dhcp_start(struct net_stack *s);

/**
 * The DHCP client's state; with a lease (BOUND, RENEWING, REBINDING) copies it to *@lease if
 * @lease is not NULL. Returns: the enum net_dhcp_state (NET_DHCP_OFF if never started).
 */
enum net_dhcp_state net_dhcp_state(const struct net_stack *s, struct net_dhcp_lease *lease);

/**
 * Broadcasts a gratuitous ARP request for our address. A program calls it once its link is
 * up, and again after the domain moved (live migration), so that peers update their caches.
 */
void net_arp_announce(struct net_stack *s);

/**
 * Sends an ICMP echo request of @len payload bytes to @dst. The last reply that comes back
 * is in s->echo, and s->cnt.icmp_echo_replies counts them.
 * Returns: 0, NET_EINVAL for a too long @len, NET_ENOROUTE.
 */
int net_icmp_echo(struct net_stack *s, uint32_t dst, uint16_t id, uint16_t seq, size_t len);

/**
 * Opens a UDP socket on @port (0: an ephemeral port).
 * Returns: the socket handle (>= 0), NET_EADDRINUSE or NET_ENOSOCK.
 */
int net_udp_bind(struct net_stack *s, uint16_t port);

/**
 * Sends @len bytes at @data from UDP socket @sock to @ip:@port.
 * Returns: @len, NET_EINVAL (bad socket, @len > NET_UDP_MAX) or NET_ENOROUTE.
 */
int net_udp_sendto(struct net_stack *s, int sock, uint32_t ip, uint16_t port, const void *data,
                   size_t len);

/**
 * Takes the oldest datagram of UDP socket @sock: up to @cap bytes into @buf (the rest of a
 * longer one is lost), its source in @ip and @port (either may be NULL).
 * Returns: the datagram's length, NET_EAGAIN if none waits, NET_EINVAL.
 */
int net_udp_recvfrom(struct net_stack *s, int sock, void *buf, size_t cap, uint32_t *ip,
                     uint16_t *port);

/**
 * Closes UDP socket @sock (queued datagrams are dropped). Returns: 0 or NET_EINVAL.
 */
int net_udp_close(struct net_stack *s, int sock);

/**
 * Opens a TCP listener on @port that keeps up to @backlog connections for accept.
 * Returns: the handle, NET_EINVAL (port 0, backlog 0), NET_EADDRINUSE or NET_ENOSOCK.
 */
int net_tcp_listen(struct net_stack *s, uint16_t port, unsigned backlog);

/**
 * Takes one established connection of listener @sock.
 * Returns: its handle, NET_EAGAIN (none yet) or NET_EINVAL.
 */
int net_tcp_accept(struct net_stack *s, int sock);

/**
 * Starts a connection to @ip:@port from an ephemeral port (SYN sent at once).
 * Returns: the handle (NET_CONNECTED or NET_ERROR later), NET_ENOSOCK, NET_ENOROUTE.
 */
int net_tcp_connect(struct net_stack *s, uint32_t ip, uint16_t port);

/**
 * Queues up to @len bytes at @data on connection @sock and sends what the windows allow.
 * Returns: the bytes taken (0 when the buffer is full), or the connection's error,
 * NET_EINVAL (bad handle, or after close).
 */
int net_tcp_send(struct net_stack *s, int sock, const void *data, size_t len);

/**
 * Reads up to @cap received bytes of @sock into @buf.
 * Returns: the bytes read; 0 at the end of the stream (the peer closed); NET_EAGAIN when
 * nothing waits yet; the connection's error; NET_EINVAL (bad handle, or @cap 0 while data
 * waits). With @cap 0 and nothing buffered it tells the end of the stream or the error.
 */
int net_tcp_recv(struct net_stack *s, int sock, void *buf, size_t cap);

/**
 * Closes @sock: a connection sends what is queued, then FIN, and frees itself once the
 * close is done; a listener resets its connections not yet accepted. The handle is invalid
 * afterwards. Returns: 0 or NET_EINVAL.
 */
int net_tcp_close(struct net_stack *s, int sock);

/**
 * Ends the sending half of @sock: FIN after what is queued; recv keeps working until the
 * peer's FIN. A connection still in SYN-SENT is dropped. Returns: 0 or NET_EINVAL.
 */
int net_tcp_shutdown(struct net_stack *s, int sock);

/**
 * Resets connection @sock (RST to the peer) and frees it. Returns: 0 or NET_EINVAL.
 */
int net_tcp_abort(struct net_stack *s, int sock);

/**
 * Limits the receive window of @sock to @bytes (1 .. NET_TCP_BUF); before connect or accept
 * data flows it sets what is advertised. Returns: 0 or NET_EINVAL.
 */
int net_tcp_set_rcvbuf(struct net_stack *s, int sock, uint32_t bytes);

/**
 * Fills @out with the state of connection @sock. Returns: 0 or NET_EINVAL.
 */
int net_tcp_info(const struct net_stack *s, int sock, struct net_tcp_info *out);

#endif
