/*
 * System test control: a target that faults, then (restarted) exits. The first instance
 * writes where it will fault into a page its supervisor reads, then writes to an unmapped
 * address; the second exits with code 7.
 */
#include <stdint.h>

#include <bh.h>

#include "verdict.h"

#define FAULT_ADDR 0x7ead0000ull /* nothing is mapped there */

extern const char ctl_fault_insn[];

int main(void)
{
	const struct bh_info_entry *share = bh_lookup("fshare", BH_RES_MAP);
	struct bh_channel ready;

	if (!share || !bh_channel_open("fready", &ready)) {
		verdict("control.faulter", false, "no map fshare or channel fready");
		return 1;
	}
	if (bh_info()->generation != 0)
		return 7;
	volatile uint64_t *out = (volatile uint64_t *)(uintptr_t)share->vaddr;
	out[0] = (uint64_t)(uintptr_t)ctl_fault_insn;
	out[1] = FAULT_ADDR;
	(void)bh_signal(ready.slot);
	__asm__ volatile(".globl ctl_fault_insn\n"
	                 "ctl_fault_insn:\n\t"
	                 "movq $0, (%0)"
	                 :
	                 : "r"(FAULT_ADDR)
	                 : "memory");
	return 0;
}
