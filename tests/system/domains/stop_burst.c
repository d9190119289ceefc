/* stoporder test: writes a few lines and half a line without waiting, then faults at once. */
#include <stdio.h>

#include <bh.h>

/* 6 lines and one piece of the partial one: 7 messages, all fit in the 8 slots of a stdout
 * ring (8 KiB), so this domain never waits for the console. */
#define BURST_LINES 6u
#define BURST_PARTIAL_X 138u /* "unfinished: " + 138 x: RING_INLINE_MAX bytes go out, 38 stay */

int main(void)
{
	/* stdout is unbuffered: each line goes to the ring at once. */
	for (unsigned i = 1; i <= BURST_LINES; i++)
		printf("line %u of %u\n", i, BURST_LINES);
	/* More than one ring message without a newline: the console holds a partial line. */
	fputs("unfinished: ", stdout);
	for (unsigned i = 0; i < BURST_PARTIAL_X; i++)
		putchar('x');
	/* No newline, no flush, no wait for the console: fault now. */
	__builtin_trap();
}
