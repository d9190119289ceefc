/* Host tests: the simulated virtio-pci network device (MAC, link, receive into given buffers, send). */
#include <string.h>

#include "sim_internal.h"

struct sim_dev *sim_net_new(const uint8_t mac[6], uint64_t features, uint16_t q_max)
{
	struct sim_dev *s = sim_alloc(VIRTIO_ID_NET, features, q_max, 2);

	s->net = true;
	memcpy(&s->devcfg[VIRTIO_NET_CFG_MAC], mac, 6);
	sim_net_set_link(s, true);
	s->irqs = 0;
	return s;
}

void sim_net_set_link(struct sim_dev *s, bool up)
{
	uint16_t st = up ? VIRTIO_NET_S_LINK_UP : 0;

	memcpy(&s->devcfg[VIRTIO_NET_CFG_STATUS], &st, 2);
	s->generation++;
	if (s->msix_config != VIRTIO_MSI_NO_VECTOR)
		s->irqs++;
}

/* Writes @len bytes of @src across the device-writable buffers of @c. Returns bytes written,
 * or 0 if they do not fit or a buffer is not writable by the device. */
static uint32_t scatter(struct sim_dev *s, const struct sim_chain *c, const uint8_t *src,
                        uint32_t len)
{
	uint32_t done = 0;

	for (uint32_t i = 0; i < c->n && done < len; i++) {
		uint32_t n = c->d[i].len < len - done ? c->d[i].len : len - done;
		uint8_t *p = (c->d[i].flags & VIRTQ_DESC_F_WRITE) ?
		                     sim_dma_ptr(s, c->d[i].addr, n, true) :
		                     NULL;
		if (!p)
			return 0;
		memcpy(p, src + done, n);
		done += n;
	}
	return done == len ? len : 0;
}

bool sim_net_receive(struct sim_dev *s, const uint8_t *frame, uint32_t len)
{
	static uint8_t buf[sizeof(struct virtio_net_hdr) + 65536];
	static struct sim_chain c;
	struct virtio_net_hdr h = {.num_buffers = 1};
	uint16_t head;

	if (!(s->status & VIRTIO_STATUS_DRIVER_OK) || len > 65536 ||
	    !sim_take_head(s, VIRTIO_NET_RXQ, &head)) {
		s->rx_dropped++;
		return false;
	}
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), frame, len);
	uint32_t used = 0;
	if (sim_read_chain(s, VIRTIO_NET_RXQ, head, &c))
		used = scatter(s, &c, buf, (uint32_t)sizeof(h) + len);
	else
		s->bad_chains++;
	if (used == 0)
		s->rx_dropped++; /* too short a buffer: the device says it wrote nothing */
	sim_put_used(s, VIRTIO_NET_RXQ, head, used);
	sim_publish_used(s, VIRTIO_NET_RXQ);
	return used != 0;
}

/* Copies the chain's device-readable bytes (header first) into @out. Returns their count. */
static uint32_t gather(struct sim_dev *s, const struct sim_chain *c, uint8_t *out, uint32_t max)
{
	uint32_t done = 0;

	for (uint32_t i = 0; i < c->n; i++) {
		const uint8_t *p = sim_dma_ptr(s, c->d[i].addr, c->d[i].len, false);
		if (!p || (c->d[i].flags & VIRTQ_DESC_F_WRITE) || c->d[i].len > max - done)
			return 0;
		memcpy(out + done, p, c->d[i].len);
		done += c->d[i].len;
	}
	return done;
}

uint32_t sim_net_transmit(struct sim_dev *s, uint16_t head)
{
	static uint8_t buf[65536];
	static struct sim_chain c;
	const uint32_t hdr = (uint32_t)sizeof(struct virtio_net_hdr);

	if (!sim_read_chain(s, VIRTIO_NET_TXQ, head, &c)) {
		s->bad_chains++;
		return 0;
	}
	uint32_t n = gather(s, &c, buf, sizeof(buf));
	if (n < hdr) {
		s->bad_chains++;
		return 0;
	}
	struct sim_frame *f = &s->wire[s->n_wire % SIM_WIRE_MAX];
	f->len = n - hdr;
	memcpy(f->bytes, buf + hdr, f->len < SIM_WIRE_KEEP ? f->len : SIM_WIRE_KEEP);
	s->n_wire++;
	return 0;
}
