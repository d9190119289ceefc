/* plan test: runs only if the kernel accepted a corrupted boot plan, which it must not. */
#include <bh.h>

#include "verdict.h"

int main(void)
{
	verdict("plan.refused", false, "the kernel started a domain from a corrupted plan");
	return 1;
}
