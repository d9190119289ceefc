/* libnet: DHCP (RFC 2131) - the message parser and builder, the client's state and lease. */
#ifndef LIBNET_NET_DHCP_H
#define LIBNET_NET_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A DHCP message is a BOOTP message (RFC 951: 236 fixed bytes), the magic cookie and options
 * (RFC 2132). The parser reads a server's reply (untrusted bytes) into a struct net_dhcp_msg;
 * the builder writes the client's DISCOVER and REQUEST. Both are pure: the host tests and
 * the fuzz target `dhcp` use them as the stack does (net_dhcp.c).
 */
#define NET_DHCP_FIXED 236u   /* op .. file */
#define NET_DHCP_OPTIONS 240u /* options start after the magic cookie */
#define NET_DHCP_MIN_LEN 300u /* BOOTP's minimum: what the builder pads to */
#define NET_DHCP_COOKIE 0x63825363u
#define NET_DHCP_SERVER_PORT 67u
#define NET_DHCP_CLIENT_PORT 68u

/* Message types (option 53). */
enum net_dhcp_type {
	NET_DHCP_DISCOVER = 1,
	NET_DHCP_OFFER = 2,
	NET_DHCP_REQUEST = 3,
	NET_DHCP_DECLINE = 4,
	NET_DHCP_ACK = 5,
	NET_DHCP_NAK = 6,
	NET_DHCP_RELEASE = 7,
	NET_DHCP_INFORM = 8,
};

/* Options a reply carried (struct net_dhcp_msg.have). */
#define NET_DHCP_HAVE_MASK 0x01u
#define NET_DHCP_HAVE_ROUTER 0x02u
#define NET_DHCP_HAVE_LEASE 0x04u
#define NET_DHCP_HAVE_SERVER 0x08u
#define NET_DHCP_HAVE_T1 0x10u
#define NET_DHCP_HAVE_T2 0x20u
#define NET_DHCP_HAVE_OVERLOAD 0x40u /* option 52: seen and ignored (sname, file not read) */

/* What the parser found in a reply; addresses in host byte order. */
struct net_dhcp_msg {
	uint8_t type; /* enum net_dhcp_type */
	uint32_t xid;
	uint8_t chaddr[6];
	uint32_t ciaddr, yiaddr, siaddr;
	uint32_t netmask, router, server; /* options 1, 3 (the first router), 54 */
	uint32_t lease_s, t1_s, t2_s;     /* options 51, 58, 59 */
	uint32_t have;                    /* NET_DHCP_HAVE_* */
};

/* Why the parser refused a message (negative; 0 is success). */
enum net_dhcp_error {
	NET_DHCP_ESHORT = -1,  /* shorter than the fixed part and the cookie */
	NET_DHCP_EHEADER = -2, /* not a BOOTREPLY for Ethernet (op 2, htype 1, hlen 6) */
	NET_DHCP_ECOOKIE = -3, /* no magic cookie */
	NET_DHCP_EOPTION = -4, /* an option runs past the end or has a length its code forbids */
	NET_DHCP_ENOEND = -5,  /* the options end without an end option */
	NET_DHCP_ENOTYPE = -6, /* no message type (option 53), or one outside 1..8 */
};

/**
 * Parses the DHCP message of @len untrusted bytes at @p (a UDP payload) into *@out.
 * Every option's length is checked against the bytes left and against what its code allows
 * (53: 1; 1, 51, 54, 58, 59: 4; 3: a multiple of 4); pad options are skipped, unknown ones
 * stepped over, overload (52) noted and ignored. Needs: @out writable. Returns: 0, or a
 * negative enum net_dhcp_error (then *@out is unspecified).
 */
int net_dhcp_msg_parse(const uint8_t *p, size_t len, struct net_dhcp_msg *out);

/* A client message to build. */
struct net_dhcp_req {
	uint8_t type; /* NET_DHCP_DISCOVER or NET_DHCP_REQUEST */
	uint32_t xid;
	uint16_t secs;
	uint8_t mac[6];
	uint32_t ciaddr;    /* ours while renewing or rebinding, else 0 */
	uint32_t requested; /* option 50, or 0 for none */
	uint32_t server;    /* option 54, or 0 for none */
};

/**
 * Writes the BOOTREQUEST @r at @p (at most @cap bytes): the fixed part (broadcast flag set
 * when ciaddr is 0), the cookie, options 53, 61 (client id: the MAC), 50 and 54 when
 * given, 55 (mask, router, lease, server, T1, T2) and end, padded to NET_DHCP_MIN_LEN.
 * Returns: the length, or 0 if @cap is too small.
 */
size_t net_dhcp_msg_build(uint8_t *p, size_t cap, const struct net_dhcp_req *r);

/* ---- the client (net_dhcp_start, libnet.h) ---- */

enum net_dhcp_state {
	NET_DHCP_OFF = 0,    /* not started: the address is the configuration's */
	NET_DHCP_SELECTING,  /* DISCOVER sent, waiting for an offer */
	NET_DHCP_REQUESTING, /* REQUEST for an offer sent (broadcast), waiting for ACK or NAK */
	NET_DHCP_BOUND,      /* a lease: the stack has its address, mask and router */
	NET_DHCP_RENEWING,   /* past T1: REQUEST sent to the server (unicast) */
	NET_DHCP_REBINDING,  /* past T2: REQUEST broadcast to any server */
};

/* A lease: addresses in host byte order, times in seconds from when it was granted. */
struct net_dhcp_lease {
	uint32_t ip, netmask, router, server;
	uint32_t lease_s, t1_s, t2_s; /* 0xffffffff: infinite (no renewal) */
};

/* The client's state inside struct net_stack: read it through net_dhcp_state. */
struct net_dhcp {
	uint8_t state; /* enum net_dhcp_state */
	uint8_t tries; /* retransmissions of the current message */
	uint32_t xid, count;
	uint32_t offered, server; /* the offer being requested */
	uint64_t started_at, next_at;
	uint64_t t1_at, t2_at, expire_at;
	struct net_dhcp_lease lease;
};

#endif
