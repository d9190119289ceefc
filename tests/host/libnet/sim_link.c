/* The simulated link of the libnet tests: a queue of frames ordered by arrival time. */
#include <stdlib.h>
#include <string.h>

#include "sim_link.h"

uint64_t sim_rand(struct sim *sim)
{
	uint64_t z = (sim->rng += 0x9e3779b97f4a7c15ull); /* splitmix64 */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool chance(struct sim *sim, unsigned per_mille)
{
	return per_mille && sim_rand(sim) % 1000u < per_mille;
}

static void enqueue(struct sim *sim, int to, const uint8_t *f, size_t len, uint64_t delay)
{
	struct sim_frame *q;

	if (sim->n == SIM_QUEUE || len > NET_FRAME_MAX) {
		sim->overflow++;
		return;
	}
	q = &sim->q[sim->n++];
	q->at = sim->now + delay;
	q->order = sim->order++;
	q->to = to;
	q->len = (uint16_t)len;
	memcpy(q->data, f, len);
	if (chance(sim, sim->corrupt_pm)) {
		q->data[sim_rand(sim) % len] ^= (uint8_t)(1u + sim_rand(sim) % 255u);
		sim->corrupted++;
	}
}

static void link_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct sim_end *e = ctx;
	struct sim *sim = e->sim;
	uint64_t delay = sim->latency_ms;

	sim->sent++;
	if (sim->watch)
		sim->watch(sim, e->from, frame, len);
	if (sim->cut[e->from] || chance(sim, sim->loss_pm)) {
		sim->lost++;
		return;
	}
	if (chance(sim, sim->reorder_pm)) {
		delay += 1u + sim_rand(sim) % (sim->reorder_ms ? sim->reorder_ms : 1u);
		sim->reordered++;
	}
	enqueue(sim, 1 - e->from, frame, len, delay);
	if (chance(sim, sim->dup_pm)) {
		sim->duplicated++;
		enqueue(sim, 1 - e->from, frame, len, delay + 1u);
	}
}

void sim_init(struct sim *sim, struct net_stack *a, struct net_stack *b, uint64_t seed)
{
	struct net_config c;
	int i;

	memset(sim, 0, sizeof(*sim));
	sim->q = calloc(SIM_QUEUE, sizeof(*sim->q));
	sim->rng = seed;
	sim->latency_ms = 1;
	sim->reorder_ms = 4;
	sim->st[0] = a;
	sim->st[1] = b;
	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		memcpy(c.mac, "\x02\x00\x00\x00\x00", 5);
		c.mac[5] = (uint8_t)(i + 1);
		c.ip = i ? SIM_IP_B : SIM_IP_A;
		c.netmask = 0xffffff00u;
		c.seed = (uint32_t)(seed * 7u + (uint64_t)i);
		c.send = link_send;
		sim->end[i].sim = sim;
		sim->end[i].from = i;
		c.ctx = &sim->end[i];
		net_init(sim->st[i], &c, 0);
		sim->next_poll[i] = NET_NEVER;
	}
}

void sim_fini(struct sim *sim)
{
	free(sim->q);
	sim->q = NULL;
}

static int earliest(const struct sim *sim)
{
	int best = -1;
	unsigned i;

	for (i = 0; i < sim->n; i++)
		if (best < 0 || sim->q[i].at < sim->q[best].at ||
		    (sim->q[i].at == sim->q[best].at && sim->q[i].order < sim->q[best].order))
			best = (int)i;
	return best;
}

static void poll_both(struct sim *sim)
{
	sim->next_poll[0] = net_poll(sim->st[0], sim->now);
	sim->next_poll[1] = net_poll(sim->st[1], sim->now);
}

bool sim_step(struct sim *sim)
{
	int f = earliest(sim);
	uint64_t t = sim->next_poll[0] < sim->next_poll[1] ? sim->next_poll[0] : sim->next_poll[1];
	struct sim_frame fr;

	if (f < 0 && t == NET_NEVER)
		return false;
	if (f >= 0 && sim->q[f].at <= t) {
		fr = sim->q[f];
		sim->q[f] = sim->q[--sim->n];
		if (fr.at > sim->now)
			sim->now = fr.at;
		net_poll(sim->st[fr.to], sim->now);
		net_input(sim->st[fr.to], fr.data, fr.len);
	} else if (t > sim->now) {
		sim->now = t;
	}
	poll_both(sim);
	return true;
}

void sim_run_for(struct sim *sim, uint64_t ms)
{
	uint64_t end = sim->now + ms;

	poll_both(sim);
	while (sim->now < end) {
		int f = earliest(sim);
		uint64_t t = sim->next_poll[0] < sim->next_poll[1] ? sim->next_poll[0] :
		                                                     sim->next_poll[1];

		if ((f < 0 || sim->q[f].at > end) && t > end) {
			sim->now = end;
			break;
		}
		sim_step(sim);
	}
	poll_both(sim);
}

void sim_inject(struct sim *sim, int to, const uint8_t *frame, size_t len)
{
	net_poll(sim->st[to], sim->now);
	net_input(sim->st[to], frame, len);
	poll_both(sim);
}
