/* Fuzz target `net`: libnet's frame input - Ethernet, ARP, IPv4, ICMP, UDP, TCP to a listener. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnet.h>

/*
 * Input: one byte of set-up, then frames, each a 2-byte big-endian length and that many bytes
 * (the last one takes what is left). Set-up bit 0: a UDP socket on port 7; bit 1: a TCP
 * listener on port 80; bits 2-7: milliseconds the clock moves between frames. The stack is
 * 10.0.0.2/24 with MAC 02:00:00:00:00:02. After the frames, the program side reads and
 * answers (recvfrom, accept, recv, send, close) and the clock runs far ahead so every timer
 * fires. Every frame the stack sends must be a sound Ethernet frame: 60 to 1514 bytes, from
 * our MAC, and an IPv4 one has a valid header checksum and fits its frame.
 */
#define OUR_IP 0x0a000002u

/**
 * libFuzzer's entry: runs the frames in the @size bytes at @data through a fresh stack.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct net_stack stack;

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_frames: %s\n", rule);
	abort();
}

static uint16_t ip_sum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

static void check_out(void *ctx, const uint8_t *f, size_t len)
{
	size_t hl, total;

	(void)ctx;
	if (len < 60 || len > NET_FRAME_MAX)
		broken("a frame out of 60..1514 bytes");
	if (memcmp(f + 6, stack.cfg.mac, 6) != 0)
		broken("a frame not from our MAC");
	if (f[12] != 0x08 || f[13] != 0x00)
		return;
	hl = (size_t)(f[14] & 0xfu) * 4u;
	total = (size_t)f[16] << 8 | f[17];
	if (hl != 20 || total < hl || 14 + total > len)
		broken("an IPv4 packet that does not fit its frame");
	if (ip_sum(f + 14, hl) != 0)
		broken("an IPv4 header with a bad checksum");
}

static void setup(uint8_t flags)
{
	struct net_config c;

	memset(&c, 0, sizeof(c));
	memcpy(c.mac, "\x02\x00\x00\x00\x00\x02", 6);
	c.ip = OUR_IP;
	c.netmask = 0xffffff00u;
	c.gateway = 0x0a0000feu;
	c.seed = 1;
	c.send = check_out;
	if (net_init(&stack, &c, 0) != 0)
		broken("net_init refused a good configuration");
	if ((flags & 1u) && net_udp_bind(&stack, 7) < 0)
		broken("no UDP socket");
	if ((flags & 2u) && net_tcp_listen(&stack, 80, 4) < 0)
		broken("no listener");
}

/* The program's side: echo what arrived, accept, read, write, then close everything. */
static void program(void)
{
	static uint8_t buf[2048];
	uint32_t ip;
	uint16_t port;
	int n;

	for (int i = 0; i < (int)NET_SOCKETS; i++) {
		unsigned r = net_ready(&stack, i);

		if (r & NET_ACCEPTABLE)
			net_tcp_accept(&stack, i);
		n = net_udp_recvfrom(&stack, i, buf, sizeof(buf), &ip, &port);
		if (n > (int)NET_UDP_MAX)
			broken("a datagram longer than NET_UDP_MAX");
		if (n >= 0)
			net_udp_sendto(&stack, i, ip, port, buf, (size_t)n);
		n = net_tcp_recv(&stack, i, buf, sizeof(buf));
		if (n > (int)sizeof(buf))
			broken("recv returned more than asked");
		if (n > 0)
			net_tcp_send(&stack, i, buf, (size_t)n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now = 0;
	unsigned step;

	if (size < 1)
		return 0;
	setup(data[0]);
	step = data[0] >> 2;
	data++;
	size--;
	while (size > 0) {
		size_t len = size >= 2 ? (size_t)data[0] << 8 | data[1] : 0;
		size_t skip = size >= 2 ? 2 : size;

		len = len < size - skip ? len : size - skip;
		net_input(&stack, data + skip, len);
		data += skip + len;
		size -= skip + len;
		now += step;
		net_poll(&stack, now);
		program();
	}
	for (int i = 0; i < (int)NET_SOCKETS; i++)
		net_tcp_close(&stack, i);
	for (int k = 0; k < 40; k++)
		net_poll(&stack, now += 5000);
	return 0;
}
