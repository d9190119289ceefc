/* isolation test: reads an address nothing maps; the kernel must stop this domain. */
#include <stdint.h>

#include "iso.h"

/* In the user half, above the heap and below the rings; the manifest maps nothing there. */
#define ISO_UNMAPPED_ADDR 0x0000500000000000ull

int main(void)
{
	volatile const uint64_t *p = (volatile const uint64_t *)(uintptr_t)ISO_UNMAPPED_ADDR;

	iso_arm("unmapped");
	say("read 0x%llx\n", (unsigned long long)*p);
	return iso_survived("unmapped");
}
