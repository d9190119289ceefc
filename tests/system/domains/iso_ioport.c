/* isolation test: reads an I/O port it was not granted; the kernel must stop this domain. */
#include <stdint.h>

#include "iso.h"

#define ISO_PORT 0x60 /* the i8042 keyboard controller: no manifest here grants it */

int main(void)
{
	uint8_t v;

	iso_arm("ioport");
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"((uint16_t)ISO_PORT));
	say("read port 0x%x: 0x%x\n", ISO_PORT, v);
	return iso_survived("ioport");
}
