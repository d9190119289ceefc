/* Host tests: what the simulated device's files share (sim_dev.c, sim_net.c); not for tests. */
#ifndef TESTS_HOST_VIRTIO_SIM_INTERNAL_H
#define TESTS_HOST_VIRTIO_SIM_INTERNAL_H

#include "sim_dev.h"

/* The buffers of one chain, as the device reads them from the descriptor table. */
struct sim_chain {
	struct virtq_desc d[SIM_MAX_HELD];
	uint32_t n;
};

/** A device of type @device_id with @n_queues queues of @q_max, before its type's set-up. */
struct sim_dev *sim_alloc(uint16_t device_id, uint64_t features, uint16_t q_max, uint16_t n_queues);
/** Config space with the capabilities every simulated device has. */
void sim_build_config_space(struct sim_dev *s, uint16_t device_id);
/** A reset: status, features, vectors and every queue forgotten. */
void sim_device_reset(struct sim_dev *s);
/** The host address of [@daddr, @daddr + @len) if a DMA range allows it, else NULL (counted). */
void *sim_dma_ptr(struct sim_dev *s, uint64_t daddr, size_t len, bool write);
/** Reads the chain at @head of queue @q, with bounds. Returns false for a bad chain. */
bool sim_read_chain(struct sim_dev *s, uint16_t q, uint16_t head, struct sim_chain *c);
/** Takes the oldest chain of queue @q (fetching if none is held). Returns false if none. */
bool sim_take_head(struct sim_dev *s, uint16_t q, uint16_t *head);
/** Writes a used entry for @head into queue @q (not yet published). */
void sim_put_used(struct sim_dev *s, uint16_t q, uint16_t head, uint32_t len);

#endif
