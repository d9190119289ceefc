/* echo: UDP and TCP echo (RFC 862, port 7) on a network port, with a static address. */
#include <stdio.h>

#include <net_port.h>

/*
 * The port is the domain's switch port, else ring "net" with data map "net-data" (a driver's
 * direct client, as in tests/system/net_echo). The address is the port's from the manifest (a
 * switch port's ipv4, which INFO carries); a port without one gets 10.0.2.15/24 behind
 * gateway 10.0.2.2, QEMU's user network. Each TCP connection has a buffer of what it received
 * and has not yet sent back; it reads more only when that is empty, so a peer that stops
 * reading holds at most one buffer here.
 */
#define ECHO_PORT 7u
#define ECHO_CONNS 6u /* NET_SOCKETS less the UDP socket and the listener */
#define ECHO_IP 0x0a00020fu
#define ECHO_GW 0x0a000202u
#define ECHO_MASK 0xffffff00u

struct conn {
	int sock; /* -1: free */
	uint32_t len, sent;
	uint8_t buf[4096];
};

static struct net_stack stack;
static struct net_port port;
static struct conn conns[ECHO_CONNS];
static uint8_t dgram[NET_UDP_MAX];

static void echo_udp(int sock)
{
	uint32_t ip;
	uint16_t from;
	int n;

	while ((n = net_udp_recvfrom(&stack, sock, dgram, sizeof(dgram), &ip, &from)) >= 0)
		(void)net_udp_sendto(&stack, sock, ip, from, dgram, (size_t)n);
}

static void accept_all(int listener)
{
	int c;

	while ((c = net_tcp_accept(&stack, listener)) >= 0) {
		uint32_t i = 0;
		while (i < ECHO_CONNS && conns[i].sock >= 0)
			i++;
		if (i == ECHO_CONNS) {
			(void)net_tcp_abort(&stack, c);
			continue;
		}
		conns[i].sock = c;
		conns[i].len = conns[i].sent = 0;
	}
}

/* Moves what connection @c received back to its peer; closes it at the end of the stream. */
static void echo_tcp(struct conn *c)
{
	for (;;) {
		if (c->sent < c->len) {
			int n = net_tcp_send(&stack, c->sock, c->buf + c->sent, c->len - c->sent);
			if (n <= 0)
				break;
			c->sent += (uint32_t)n;
			continue;
		}
		int n = net_tcp_recv(&stack, c->sock, c->buf, sizeof(c->buf));
		if (n == NET_EAGAIN)
			return;
		if (n <= 0) {
			(void)net_tcp_close(&stack, c->sock);
			c->sock = -1;
			return;
		}
		c->len = (uint32_t)n;
		c->sent = 0;
	}
}

static int serve(int udp, int listener)
{
	for (;;) {
		int r = net_port_run_once(&stack, &port);
		if (r < 0)
			return r;
		echo_udp(udp);
		accept_all(listener);
		for (uint32_t i = 0; i < ECHO_CONNS; i++)
			if (conns[i].sock >= 0)
				echo_tcp(&conns[i]);
	}
}

/* Opens the port: the manifest's address, else the fallback. Returns 0 or the port's error. */
static int open_port(void)
{
	struct net_config cfg = {.seed = (uint32_t)bh_rdtsc()};
	int err = net_port_attach(&port, NULL, NULL);

	if (err)
		return err;
	if (!port.ipv4) {
		cfg.ip = ECHO_IP;
		cfg.netmask = ECHO_MASK;
		cfg.gateway = ECHO_GW;
	}
	return net_port_start(&port, &stack, &cfg);
}

int main(void)
{
	int err = open_port();
	if (err) {
		printf("echo: no network port (error %d)\n", err);
		return 1;
	}
	for (uint32_t i = 0; i < ECHO_CONNS; i++)
		conns[i].sock = -1;
	int udp = net_udp_bind(&stack, ECHO_PORT), tcp = net_tcp_listen(&stack, ECHO_PORT, 4);
	const uint8_t *m = port.mac;
	uint32_t ip = stack.cfg.ip;
	printf("echo: %u.%u.%u.%u port %u (udp, tcp), mac %02x:%02x:%02x:%02x:%02x:%02x, "
	       "%u receive and %u transmit buffers\n",
	       ip >> 24, (ip >> 16) & 0xffu, (ip >> 8) & 0xffu, ip & 0xffu, ECHO_PORT, m[0], m[1],
	       m[2], m[3], m[4], m[5], port.n_rx, port.n_bufs - port.n_rx);
	if (udp < 0 || tcp < 0)
		return 1;
	int r = serve(udp, tcp);
	printf("echo: the port broke (error %d)\n", r);
	return 1;
}
