/* supervise_giveup test, target: every instance dies during its own start-up (invalid opcode). */
#include <bh.h>

#include "verdict.h"

int main(void)
{
	say("generation %u starts\n", bh_info()->generation);
	__builtin_trap(); /* ud2: the supervisor restarts us until it gives up */
}
