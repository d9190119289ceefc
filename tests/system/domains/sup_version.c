/* supervise_replace test, target: two builds (SUP_VERSION 1 and 2) of one beating worker. */
#include <bh.h>

#include "verdict.h"

#ifndef SUP_VERSION
#error "build with -DSUP_VERSION=1 or 2"
#endif

int main(void)
{
	const struct bh_start_info *info = bh_info();

	say("version %d, generation %u, image %u starts\n", SUP_VERSION, info->generation,
	    info->image_index);
	if (SUP_VERSION == 2)
		verdict("supervise.replace", info->generation == 1 && info->image_index == 1,
		        "version 2 runs as alternative %u at generation %u", info->image_index,
		        info->generation);
	for (;;)
		(void)bh_wait_until(0, bh_deadline_ms(100));
}
