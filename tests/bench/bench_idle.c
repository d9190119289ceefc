/* Benchmark boot: a domain that starts, says so, and waits for events like a service. */
#include <stdio.h>

#include <bh.h>

int main(void)
{
	printf("ready\n");
	for (;;)
		(void)bh_wait();
}
