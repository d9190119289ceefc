/* isolation test: calls code copied into the heap; the kernel must stop this domain. */
#include <stdint.h>
#include <stdlib.h>

#include "iso.h"

#define X86_RET 0xc3

/* The heap block holding the copied instruction; it lives as long as the domain. */
static volatile uint8_t *code;

int main(void)
{
	code = malloc(16);
	if (!code) {
		verdict("isolation.nx", false, "malloc failed");
		return 1;
	}
	code[0] = X86_RET;
	void (*fn)(void) = (void (*)(void))(uintptr_t)code;
	iso_arm("nx");
	fn();
	return iso_survived("nx");
}
