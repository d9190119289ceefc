/* Arena: allocations that live as long as one compilation and are freed at once. */
#ifndef BHC_ARENA_H
#define BHC_ARENA_H

#include <stddef.h>

struct arena {
	struct arena_block *blocks;
};

/**
 * Returns @size zeroed bytes that stay valid until arena_free(@a).
 * Needs: @a zero-initialised or used before. Aborts when the host is out of memory.
 */
void *arena_alloc(struct arena *a, size_t size);

/** Returns a copy of @s (NULL stays NULL) owned by @a. */
char *arena_strdup(struct arena *a, const char *s);

/**
 * Appends one zeroed element of @elem bytes to the growable array *@v of *@n elements.
 * Returns: the new element. The array is plain heap memory: free(*@v) when done.
 */
void *arena_vec_push(void **v, size_t *n, size_t elem);

/** Frees everything @a handed out; @a can be used again afterwards. */
void arena_free(struct arena *a);

#endif
