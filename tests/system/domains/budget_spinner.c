/* budget test, spinner: a high-priority domain that never blocks; its budget must stop it. */
#include <bh.h>

#include "verdict.h"

int main(void)
{
	volatile uint64_t spins = 0;

	say("start\n");
	for (;;)
		spins++;
}
