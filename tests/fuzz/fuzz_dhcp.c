/* Fuzz target `dhcp`: libnet's DHCP reply parser and the client's states on arbitrary replies. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnet.h>

/*
 * Input: one byte of set-up, then replies, each a 2-byte big-endian length and that many bytes
 * (the last one takes what is left): a DHCP payload. Set-up bit 0: each reply gets the
 * client's current xid and MAC written in (so that it counts and the client moves on); bits
 * 1-7: seconds the clock moves after each reply. Each reply goes through net_dhcp_msg_parse, then
 * to a stack with DHCP started, in a UDP datagram from 10.0.2.2:67 to 255.255.255.255:68.
 * After the replies the clock runs far ahead (renewal, rebinding, expiry). Rules: a parsed
 * reply has a type of 1..8 and no unknown `have` bit; the client's state is one of its six;
 * the stack has an address exactly while it holds a lease, and that lease is sound (unicast,
 * contiguous mask, router on the subnet or none, T1 <= T2 <= lease); every frame it sends is
 * 60..1514 bytes from our MAC.
 */
#define SRV_IP 0x0a000202u
#define HAVE_ALL 0x7fu

/**
 * libFuzzer's entry: runs the replies in the @size bytes at @data against a fresh client.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct net_stack stack;
static uint64_t now;

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_dhcp: %s\n", rule);
	abort();
}

static void check_out(void *ctx, const uint8_t *f, size_t len)
{
	(void)ctx;
	if (len < 60 || len > NET_FRAME_MAX)
		broken("a frame out of 60..1514 bytes");
	if (memcmp(f + 6, stack.cfg.mac, 6) != 0)
		broken("a frame not from our MAC");
}

static void check_parse(const uint8_t *p, size_t n)
{
	struct net_dhcp_msg m;

	if (net_dhcp_msg_parse(p, n, &m) != 0)
		return;
	if (m.type < 1 || m.type > 8)
		broken("a parsed reply with a type outside 1..8");
	if (m.have & ~HAVE_ALL)
		broken("an unknown have bit");
}

static void check_lease(void)
{
	struct net_dhcp_lease l;
	enum net_dhcp_state st = net_dhcp_state(&stack, &l);

	if (st > NET_DHCP_REBINDING)
		broken("a state outside the six");
	if (st < NET_DHCP_BOUND) {
		if (stack.cfg.ip != 0)
			broken("an address without a lease");
		return;
	}
	uint32_t host = ~l.netmask;
	if (stack.cfg.ip != l.ip || l.ip == 0 || l.ip >> 28 >= 0xeu || (host & (host + 1u)) != 0)
		broken("a lease with a bad address or mask");
	if (l.router && ((l.router ^ l.ip) & l.netmask) != 0)
		broken("a router off the subnet");
	if (l.t1_s > l.t2_s || l.t2_s > l.lease_s)
		broken("lease times out of order");
}

/* Delivers DHCP payload @p (@n bytes) to the stack, broadcast from the server. */
static void deliver(const uint8_t *p, size_t n)
{
	static uint8_t f[NET_FRAME_MAX];
	size_t udp = 8 + n, total = 20 + udp;
	uint32_t sum = 0;

	memset(f, 0xff, 6);
	memset(f + 6, 0x52, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(f + 14, 0, 28);
	f[14] = 0x45;
	f[16] = (uint8_t)(total >> 8);
	f[17] = (uint8_t)total;
	f[22] = 64;
	f[23] = 17;
	f[26] = 10;
	f[28] = 2;
	f[29] = 2;
	memset(f + 30, 0xff, 4);
	for (size_t i = 14; i < 34; i += 2)
		sum += (uint32_t)f[i] << 8 | f[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	f[24] = (uint8_t)(~sum >> 8);
	f[25] = (uint8_t)~sum;
	f[35] = 67;
	f[37] = 68;
	f[38] = (uint8_t)(udp >> 8);
	f[39] = (uint8_t)udp;
	memcpy(f + 42, p, n);
	net_input(&stack, f, 14 + total);
}

/* One reply: parsed alone, then (made ours if @own) given to the stack; the clock moves. */
static void one(const uint8_t *p, size_t n, int own, unsigned step_s)
{
	static uint8_t r[NET_FRAME_MAX];

	check_parse(p, n);
	memcpy(r, p, n);
	if (own && n >= 8) {
		r[4] = (uint8_t)(stack.dhcp.xid >> 24);
		r[5] = (uint8_t)(stack.dhcp.xid >> 16);
		r[6] = (uint8_t)(stack.dhcp.xid >> 8);
		r[7] = (uint8_t)stack.dhcp.xid;
	}
	if (own && n >= 34)
		memcpy(r + 28, stack.cfg.mac, 6);
	deliver(r, n);
	check_lease();
	now += (uint64_t)step_s * 1000u;
	(void)net_poll(&stack, now);
	check_lease();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_config cfg = {{2, 0, 0, 0, 0, 0x0f}, 0, 0, 0, 1, check_out, NULL};
	size_t i = 1;

	if (size < 1)
		return 0;
	now = 1000;
	(void)net_init(&stack, &cfg, now);
	(void)net_dhcp_start(&stack);
	while (i < size) {
		size_t n = size - i;
		if (n >= 2 && ((size_t)data[i] << 8 | data[i + 1]) <= n - 2) {
			n = (size_t)data[i] << 8 | data[i + 1];
			i += 2;
		}
		if (n > NET_FRAME_MAX - 42)
			n = NET_FRAME_MAX - 42;
		one(data + i, n, data[0] & 1, data[0] >> 1);
		i += n;
	}
	for (unsigned k = 0; k < 40; k++) {
		now += 3600000u;
		(void)net_poll(&stack, now);
		check_lease();
	}
	return 0;
}
