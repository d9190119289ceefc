/* Storage service: round robin between clients, and the table of requests in flight. */
#include <string.h>

#include "stor.h"

bool stor_sched_init(struct stor_sched *s, uint32_t n, uint32_t served, uint32_t depth)
{
	uint32_t total = depth < STOR_TABLE_SIZE ? depth : STOR_TABLE_SIZE;

	memset(s, 0, sizeof(*s));
	if (n > STOR_MAX_CLIENTS || served > n)
		return false;
	s->n_clients = n;
	s->share = served > 0 && total / served > 0 ? total / served : 1;
	return true;
}

static bool may_start(const struct stor_sched *s, uint32_t c, uint32_t skip)
{
	return !(skip & (1u << c)) && !s->barrier[c] && s->inflight[c] < s->share;
}

int stor_sched_next(struct stor_sched *s, uint32_t skip)
{
	for (uint32_t i = 0; i < s->n_clients; i++) {
		uint32_t c = (s->cursor + i) % s->n_clients;
		if (!may_start(s, c, skip))
			continue;
		s->cursor = (c + 1) % s->n_clients;
		return (int)c;
	}
	return -1;
}

void stor_table_init(struct stor_table *t)
{
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < STOR_TABLE_SIZE; i++)
		t->free[i] = STOR_TABLE_SIZE - 1 - i; /* entry 0 on top */
}

/* The tag of entry @i of @t in its current generation and @t's epoch. */
static uint64_t entry_tag(const struct stor_table *t, uint32_t i)
{
	return (uint64_t)t->e[i].gen << 32 |
	       (uint64_t)(t->epoch & STOR_TAG_EPOCH_MASK) << STOR_TAG_INDEX_BITS | i;
}

bool stor_table_add(struct stor_table *t, uint32_t client, uint64_t client_tag,
                    const struct blk_req *req, uint64_t *tag)
{
	if (t->n_used == STOR_TABLE_SIZE)
		return false;
	uint32_t i = t->free[STOR_TABLE_SIZE - 1 - t->n_used];
	struct stor_entry *e = &t->e[i];
	e->used = true;
	e->gen++;
	e->client = client;
	e->client_tag = client_tag;
	e->seq = t->next_seq++;
	e->req = *req;
	e->tag = entry_tag(t, i);
	t->n_used++;
	*tag = e->tag;
	return true;
}

const struct stor_entry *stor_table_find(const struct stor_table *t, uint64_t tag)
{
	uint64_t i = tag & ((1u << STOR_TAG_INDEX_BITS) - 1);

	if (i >= STOR_TABLE_SIZE || !t->e[i].used || tag != t->e[i].tag)
		return NULL;
	return &t->e[i];
}

void stor_table_remove(struct stor_table *t, uint64_t tag)
{
	uint32_t i = (uint32_t)(tag & ((1u << STOR_TAG_INDEX_BITS) - 1));

	t->e[i].used = false;
	t->n_used--;
	t->free[STOR_TABLE_SIZE - 1 - t->n_used] = i;
}

/* Inserts entry @i into @idx[0 .. @n), which is sorted by seq, keeping it sorted. */
static void insert_by_seq(const struct stor_table *t, uint32_t *idx, uint32_t n, uint32_t i)
{
	uint32_t k = n;

	while (k > 0 && t->e[idx[k - 1]].seq > t->e[i].seq) {
		idx[k] = idx[k - 1];
		k--;
	}
	idx[k] = i;
}

uint32_t stor_table_reconnect(struct stor_table *t, uint64_t tags[STOR_TABLE_SIZE])
{
	uint32_t idx[STOR_TABLE_SIZE], n = 0;

	t->epoch++;
	for (uint32_t i = 0; i < STOR_TABLE_SIZE; i++)
		if (t->e[i].used)
			insert_by_seq(t, idx, n++, i);
	for (uint32_t k = 0; k < n; k++)
		tags[k] = t->e[idx[k]].tag = entry_tag(t, idx[k]);
	return n;
}
