/* libnet: UDP (RFC 768) sockets - bind, sendto, recvfrom - and the socket slots and ports. */
#include <string.h>

#include "net_internal.h"

#define UDP_HLEN 8u

int net_udp_alloc(struct net_stack *s)
{
	int oldest = NET_ENOSOCK;
	unsigned i;

	for (i = 0; i < NET_SOCKETS; i++) {
		const struct net_socket *so = &s->sock[i];

		if (so->kind == NET_SOCK_FREE)
			return (int)i;
		if (so->kind == NET_SOCK_TCP && so->u.tcb.state == NET_TCP_TIME_WAIT && !so->user &&
		    (oldest < 0 || so->u.tcb.tw_at < s->sock[oldest].u.tcb.tw_at))
			oldest = (int)i;
	}
	return oldest; /* a connection in TIME-WAIT gives way to a new socket */
}

bool net_udp_port_used(const struct net_stack *s, unsigned kind, uint16_t port)
{
	unsigned i;

	for (i = 0; i < NET_SOCKETS; i++)
		if (s->sock[i].kind == kind && s->sock[i].lport == port)
			return true;
	return false;
}

uint16_t net_udp_ephemeral(struct net_stack *s, unsigned kind)
{
	uint16_t port;

	do {
		port = s->next_port;
		s->next_port = port == 0xffffu ? NET_PORT_EPHEMERAL : (uint16_t)(port + 1u);
	} while (net_udp_port_used(s, kind, port));
	return port;
}

int net_udp_bind(struct net_stack *s, uint16_t port)
{
	int i = net_udp_alloc(s);
	struct net_socket *so;

	if (port && net_udp_port_used(s, NET_SOCK_UDP, port))
		return NET_EADDRINUSE;
	if (i < 0)
		return i;
	so = &s->sock[i];
	memset(so, 0, sizeof(*so));
	so->kind = NET_SOCK_UDP;
	so->user = true;
	so->parent = -1;
	so->lport = port ? port : net_udp_ephemeral(s, NET_SOCK_UDP);
	return i;
}

int net_udp_sendto(struct net_stack *s, int sock, uint32_t ip, uint16_t port, const void *data,
                   size_t len)
{
	uint8_t *p = s->tx + NET_L4_OFF;
	uint32_t sum;
	uint16_t c;
	int err;

	if (!net_sock_ok(s, sock, NET_SOCK_UDP) || len > NET_UDP_MAX || port == 0)
		return NET_EINVAL;
	net_put16(p, s->sock[sock].lport);
	net_put16(p + 2, port);
	net_put16(p + 4, (uint32_t)(UDP_HLEN + len));
	net_put16(p + 6, 0);
	memcpy(p + UDP_HLEN, data, len);
	sum = net_csum_pseudo(s->cfg.ip, ip, NET_PROTO_UDP, UDP_HLEN + len);
	c = net_csum_fold(net_csum_add(sum, p, UDP_HLEN + len));
	net_put16(p + 6, c ? c : 0xffffu);
	err = net_ip_send(s, ip, NET_PROTO_UDP, UDP_HLEN + len);
	return err ? err : (int)len;
}

int net_udp_recvfrom(struct net_stack *s, int sock, void *buf, size_t cap, uint32_t *ip,
                     uint16_t *port)
{
	struct net_udp_sock *u;
	struct net_udp_dgram *d;

	if (!net_sock_ok(s, sock, NET_SOCK_UDP))
		return NET_EINVAL;
	u = &s->sock[sock].u.udp;
	if (!u->count)
		return NET_EAGAIN;
	d = &u->q[u->head];
	memcpy(buf, d->data, cap < d->len ? cap : d->len);
	if (ip)
		*ip = d->ip;
	if (port)
		*port = d->port;
	u->head = (u->head + 1u) % NET_UDP_QUEUE;
	u->count--;
	return d->len;
}

int net_udp_close(struct net_stack *s, int sock)
{
	if (!net_sock_ok(s, sock, NET_SOCK_UDP))
		return NET_EINVAL;
	s->sock[sock].kind = NET_SOCK_FREE;
	s->sock[sock].user = false;
	return 0;
}

static struct net_socket *find(struct net_stack *s, uint16_t port)
{
	unsigned i;

	for (i = 0; i < NET_SOCKETS; i++)
		if (s->sock[i].kind == NET_SOCK_UDP && s->sock[i].lport == port)
			return &s->sock[i];
	return NULL;
}

/* Returns the payload length if the datagram is sound, else -1 (counted). */
static int check(struct net_stack *s, uint32_t src, uint32_t dst, const uint8_t *p, size_t len)
{
	size_t ulen;

	if (len < UDP_HLEN) {
		s->cnt.udp_runt++;
		return -1;
	}
	ulen = net_get16(p + 4);
	if (ulen < UDP_HLEN || ulen > len) {
		s->cnt.udp_bad_len++;
		return -1;
	}
	if (net_get16(p + 6) != 0 &&
	    net_csum_fold(net_csum_add(net_csum_pseudo(src, dst, NET_PROTO_UDP, ulen), p, ulen))) {
		s->cnt.udp_bad_csum++;
		return -1;
	}
	if (net_get16(p) == 0) { /* no reply could reach source port 0 */
		s->cnt.udp_bad_len++;
		return -1;
	}
	return (int)(ulen - UDP_HLEN);
}

void net_udp_input(struct net_stack *s, uint32_t src, uint32_t dst, const uint8_t *p, size_t len)
{
	int n = check(s, src, dst, p, len);
	struct net_socket *so;
	struct net_udp_dgram *d;

	if (n < 0)
		return;
	if (net_get16(p) == NET_DHCP_SERVER_PORT && net_get16(p + 2) == NET_DHCP_CLIENT_PORT &&
	    net_dhcp_input(s, p + UDP_HLEN, (size_t)n))
		return;
	if (s->cfg.ip == 0 && dst != 0xffffffffu) { /* before a lease: only DHCP's unicast */
		s->cnt.ip_not_ours++;
		return;
	}
	so = find(s, net_get16(p + 2));
	if (!so) {
		s->cnt.udp_no_port++;
		return;
	}
	if (so->u.udp.count == NET_UDP_QUEUE) {
		s->cnt.udp_queue_full++;
		return;
	}
	d = &so->u.udp.q[(so->u.udp.head + so->u.udp.count) % NET_UDP_QUEUE];
	d->ip = src;
	d->port = net_get16(p);
	d->len = (uint16_t)n;
	memcpy(d->data, p + UDP_HLEN, (size_t)n);
	so->u.udp.count++;
}
