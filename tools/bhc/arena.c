/* Arena: allocations that live as long as one compilation and are freed at once. */
#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
	struct arena_block *next;
	max_align_t data[];
};

static void *checked(void *p)
{
	if (!p) {
		fputs("bhc: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_block *b = checked(calloc(1, sizeof(*b) + size));

	b->next = a->blocks;
	a->blocks = b;
	return b->data;
}

char *arena_strdup(struct arena *a, const char *s)
{
	if (!s)
		return NULL;
	size_t len = strlen(s) + 1;
	return memcpy(arena_alloc(a, len), s, len);
}

/* Grows by doubling: capacity is the next power of two at or above n. */
void *arena_vec_push(void **v, size_t *n, size_t elem)
{
	size_t cap = 1;

	while (cap < *n)
		cap *= 2;
	if (*n == 0 || *n == cap)
		*v = checked(realloc(*v, (cap * 2) * elem));
	char *slot = (char *)*v + *n * elem;
	memset(slot, 0, elem);
	(*n)++;
	return slot;
}

void arena_free(struct arena *a)
{
	while (a->blocks) {
		struct arena_block *next = a->blocks->next;
		free(a->blocks);
		a->blocks = next;
	}
}
