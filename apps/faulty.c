/* Demo: faulty writes to its own read-only code; the kernel stops it, the others go on. */
#include <stdint.h>
#include <stdio.h>

#include <bh.h>

int main(void)
{
	volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)&main;

	printf("hello from %s\n", bh_name());
	printf("about to write to a read-only page...\n");
	bh_flush(); /* the lines must be in the ring before the domain stops */
	*code = 0xcc;
	printf("still alive: the write was not stopped!\n");
	return 1;
}
