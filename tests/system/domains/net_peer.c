/* net_link and net_dhcp system tests' client: libnet behind the switch, link notices, DHCP. */
#include <stdio.h>

#include <net_port.h>

#include "verdict.h"

/*
 * One source, two images (tests/system/meson.build):
 *   net_link (NET_PEER_DHCP 0)  static 10.0.2.15/24 behind 10.0.2.2; reports every link
 *       change: down (a datagram sent while down must be held back by the port, not sent),
 *       up (the port must announce the address again: a gratuitous ARP).
 *   net_dhcp (NET_PEER_DHCP 1)  no address: DHCP (net_dhcp_start) until a lease, printed.
 * Both then echo UDP on port 7, so the host can check that they still answer.
 */
#ifndef NET_PEER_DHCP
#define NET_PEER_DHCP 0
#endif
#define PEER_PORT 7u
#define PEER_IP 0x0a00020fu
#define PEER_GW 0x0a000202u
#define PEER_MASK 0xffffff00u
#define DISCARD_PORT 9u
#define RESOLVE_MS 5000u
#define LEASE_WAIT_MS 60000u

static struct net_stack stack;
static struct net_port port;
static uint8_t dgram[NET_UDP_MAX];

static const char *ip_text(uint32_t ip)
{
	static char text[4][16];
	static unsigned next;
	char *t = text[next++ % 4u];

	snprintf(t, sizeof(text[0]), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xffu, (ip >> 8) & 0xffu,
	         ip & 0xffu);
	return t;
}

static void echo_udp(int sock)
{
	uint32_t ip;
	uint16_t from;
	int n;

	while ((n = net_udp_recvfrom(&stack, sock, dgram, sizeof(dgram), &ip, &from)) >= 0)
		(void)net_udp_sendto(&stack, sock, ip, from, dgram, (size_t)n);
}

/* The link went down: a datagram sent now must be dropped by the port (counted), not sent. */
static void link_down(int sock)
{
	uint64_t held = port.cnt.tx_link_down, sent = port.cnt.tx_frames;

	say("link down\n");
	(void)net_udp_sendto(&stack, sock, PEER_GW, DISCARD_PORT, "down", 4);
	verdict("net_peer.down", port.cnt.tx_link_down == held + 1 && port.cnt.tx_frames == sent,
	        "a datagram sent while down: %llu held back, %llu sent",
	        (unsigned long long)(port.cnt.tx_link_down - held),
	        (unsigned long long)(port.cnt.tx_frames - sent));
}

/* The link came up: the port announced the address again (ARP requests sent since @arps). */
static void link_up(uint64_t arps)
{
	uint64_t more = stack.cnt.arp_requests_sent - arps;

	say("link up\n");
	verdict("net_peer.up", more == 1, "%llu gratuitous ARP request(s) since the link went down",
	        (unsigned long long)more);
}

/* Sends one datagram to the gateway and runs until it left (ARP resolved it), so that the
 * link test sees no ARP traffic of its own. Returns false if it did not leave in time. */
static bool resolve_gateway(int sock)
{
	uint64_t sent = port.cnt.tx_frames, until = bh_now_ms() + RESOLVE_MS;

	(void)net_udp_sendto(&stack, sock, stack.cfg.gateway, DISCARD_PORT, "hello", 5);
	while (port.cnt.tx_frames < sent + 2u && bh_now_ms() < until) /* ARP request, datagram */
		if (net_port_run_once(&stack, &port) < 0)
			return false;
	return port.cnt.tx_frames >= sent + 2u;
}

static int serve(int sock)
{
	bool was_up = port.link_up;
	uint64_t arps = stack.cnt.arp_requests_sent;

	for (;;) {
		int r = net_port_run_once(&stack, &port);
		if (r < 0)
			return r;
		if (port.link_up != was_up && !port.link_up) {
			arps = stack.cnt.arp_requests_sent;
			link_down(sock);
		} else if (port.link_up != was_up) {
			link_up(arps);
		}
		was_up = port.link_up;
		echo_udp(sock);
	}
}

/* Waits for a DHCP lease (at most LEASE_WAIT_MS) and prints it. Returns false without one. */
static bool lease(void)
{
	struct net_dhcp_lease l;
	uint64_t until = bh_now_ms() + LEASE_WAIT_MS;

	/* net_port_open started DHCP: the port has no address in the manifest, cfg none. */
	if (net_dhcp_state(&stack, NULL) == NET_DHCP_OFF)
		return false;
	while (net_dhcp_state(&stack, &l) != NET_DHCP_BOUND && bh_now_ms() < until)
		if (net_port_run_once(&stack, &port) < 0)
			return false;
	if (net_dhcp_state(&stack, &l) != NET_DHCP_BOUND)
		return false;
	say("lease %s netmask %s router %s server %s, %u s (renew at %u s, rebind at %u s)\n",
	    ip_text(l.ip), ip_text(l.netmask), ip_text(l.router), ip_text(l.server), l.lease_s,
	    l.t1_s, l.t2_s);
	return true;
}

int main(void)
{
	struct net_config cfg = {.ip = PEER_IP, .netmask = PEER_MASK, .gateway = PEER_GW};

	if (NET_PEER_DHCP)
		cfg.ip = cfg.netmask = cfg.gateway = 0;
	cfg.seed = (uint32_t)bh_rdtsc();
	int err = net_port_open(&port, &stack, "net", "net-data", &cfg);
	if (err) {
		verdict("net_peer.open", false, "no network port (error %d)", err);
		return 1;
	}
	const uint8_t *m = port.mac;
	say("mac %02x:%02x:%02x:%02x:%02x:%02x, link %s\n", m[0], m[1], m[2], m[3], m[4], m[5],
	    port.link_up ? "up" : "down");
	if (NET_PEER_DHCP && !lease()) {
		verdict("net_peer.lease", false, "no DHCP lease within %u ms", LEASE_WAIT_MS);
		return 1;
	}
	int sock = net_udp_bind(&stack, PEER_PORT);
	if (sock < 0 || !resolve_gateway(sock)) {
		verdict("net_peer.gateway", false, "%s not reached", ip_text(stack.cfg.gateway));
		return 1;
	}
	say("%s udp echo on port %u\n", ip_text(stack.cfg.ip), PEER_PORT);
	int r = serve(sock);
	say("the port broke (error %d)\n", r);
	return 1;
}
