/*
 * System test control_state: the domains a controller saves and restores. The counter (default
 * build) counts in its bss from 0 at every start, mirrors the count into a shared page, writes it
 * into its private region and heap, signals the controller, prints a line now and then and checks
 * that its FS base stays 0 while the controller has one. Built
 * with CS_SLEEPER it waits for the controller's bit and says so when it comes (without a channel
 * `wake` it only waits: the domain `other`).
 */
#include <stdint.h>

#include <bh.h>

#include "verdict.h"

#define TICK_MASK 0xfffu /* signal the controller every 4096 counts */
#define PRINT_MS 100u
#define FS_CHECKS (1u << 20) /* counts after which the FS base checks say PASS */

static volatile uint64_t counter; /* .bss: 0 at every start; restore brings it back */
#ifdef CS_SLEEPER
int main(void)
{
	struct bh_channel wake;

	if (!bh_channel_open("wake", &wake)) /* `other`: nothing to do but exist */
		for (;;)
			(void)bh_wait();
	(void)bh_signal(wake.slot); /* ready */
	uint64_t bits = bh_wait_for(wake.bit);
	verdict("control_state.wait_restored", bits == wake.bit,
	        "woken with bits 0x%llx after the restore", (unsigned long long)bits);
	for (;;)
		(void)bh_wait();
}
#else
static volatile uint64_t fs_marker = 0x5eedf00dcafe0011ull;

/* Reads the marker through %fs: the same value only while this domain's FS base is 0. */
static bool fs_base_zero(void)
{
	uint64_t v;

	__asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(&fs_marker));
	return v == fs_marker;
}

int main(void)
{
	const struct bh_info_entry *count = bh_lookup("count", BH_RES_MAP);
	const struct bh_info_entry *priv = bh_lookup("tpriv", BH_RES_MAP);
	const struct bh_start_info *info = bh_info();
	struct bh_channel tick;

	if (!count || !priv || !bh_channel_open("tick", &tick)) {
		verdict("control_state.target", false, "no map count or tpriv, or channel tick");
		return 1;
	}
	volatile uint64_t *shared = (volatile uint64_t *)(uintptr_t)count->vaddr;
	volatile uint8_t *mine = (volatile uint8_t *)(uintptr_t)priv->vaddr;
	volatile uint8_t *heap = (volatile uint8_t *)(uintptr_t)info->heap_base;
	uint64_t next_print = bh_now_ms() + PRINT_MS;
	counter = 0;
	for (;;) {
		uint64_t c = ++counter;
		*shared = c;
		mine[c % priv->size] = (uint8_t)c;
		heap[c % info->heap_size] = (uint8_t)(c >> 8);
		if (!(c & TICK_MASK)) {
			(void)bh_signal(tick.slot);
			if (!fs_base_zero())
				verdict("control_state.fsbase_isolated", false, "at %llu",
				        (unsigned long long)c);
		}
		if (c == FS_CHECKS)
			verdict("control_state.fsbase_isolated", fs_base_zero(),
			        "FS base 0 here at every 4096th count while ctl has one");
		if (!(c & 0xffu) && bh_now_ms() >= next_print) {
			say("alive at %llu\n", (unsigned long long)c);
			next_print = bh_now_ms() + PRINT_MS;
		}
	}
}
#endif
