/* virtio-blk driver: no simulated restarts (the driver's images; blk_chaos.c is the test's). */
#include "blk_chaos.h"

bool blk_chaos_abandon(struct blk *b, bool irq)
{
	(void)b;
	(void)irq;
	return false;
}

bool blk_chaos_abandon_hello(void)
{
	return false;
}

bool blk_chaos_connected(struct blk *b)
{
	(void)b;
	return false;
}
