/* virtio-net driver: the reconnect handshake a fresh instance starts on its port's ring. */
#include "net.h"

bool net_hello_open(struct net_hello_end *h, struct ring *r)
{
	struct ring_data_ref ref = {0, sizeof(struct net_hello)};

	h->own = (volatile struct net_hello *)ring_tx_data(r, 0, sizeof(struct net_hello));
	h->peer = (volatile const struct net_hello *)ring_rx_data(r, &ref);
	return h->own != NULL && h->peer != NULL;
}

/* The client's acknowledged incarnation, read once (it writes it last). */
static uint64_t peer_incarnation(const struct net_hello_end *h)
{
	return __atomic_load_n(&h->peer->incarnation, __ATOMIC_ACQUIRE);
}

uint64_t net_hello_start(struct net_hello_end *h, uint64_t nonce)
{
	uint64_t acked = peer_incarnation(h), inc = 0;

	if (h->peer->magic == NET_HELLO_MAGIC) {
		inc = nonce;
		if (inc == acked)
			inc++;
		if (inc == 0)
			inc = acked == 1 ? 2 : 1;
	}
	h->own->magic = NET_HELLO_MAGIC;
	__atomic_store_n(&h->own->incarnation, inc, __ATOMIC_RELEASE);
	return inc;
}

bool net_hello_acked(const struct net_hello_end *h, uint64_t inc)
{
	return inc == 0 || peer_incarnation(h) == inc;
}
