/* libbh: the heap newlib's malloc grows with sbrk, inside the manifest's heap. */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "bh_internal.h"

static uintptr_t heap_base, heap_cur, heap_end;

void bh_heap_init(uint64_t base, uint64_t size)
{
	heap_base = heap_cur = (uintptr_t)base;
	heap_end = (uintptr_t)(base + size);
}

/* newlib glue: moves the break by @incr within [heap_base, heap_end), else ENOMEM. */
void *sbrk(ptrdiff_t incr)
{
	uintptr_t old = heap_cur;

	if (incr > 0 ? (uintptr_t)incr > heap_end - heap_cur :
	               (uintptr_t)-incr > heap_cur - heap_base) {
		errno = ENOMEM;
		return (void *)-1;
	}
	heap_cur += (uintptr_t)incr;
	return (void *)old;
}
