/*
 * System test control: the target a controller stops, resumes, restarts and replaces. The
 * first instance writes a pattern into its data, bss, stack, heap and private region, then
 * counts in a shared page; a restarted one checks that none of that survived (built again with
 * CTL_V2: the alternative image, which checks that it runs as alternative 1).
 */
#include <stdint.h>
#include <string.h>

#include <bh.h>

#include "verdict.h"

#ifdef CTL_V2
#define ALTERNATIVE true /* this build is the alternative image */
#else
#define ALTERNATIVE false
#endif

#define PATTERN 0xc3u
#define PROBE 4096u              /* bytes of each probe */
#define STACK_PROBE_DEPTH 49152u /* below the top of the 64 KiB stack, far below what runs */

static volatile uint32_t data_word = 0x5a5a5a5au; /* .data: copied again from the image */
static volatile uint8_t bss_probe[PROBE];         /* .bss: zeroed again */

struct probes {
	volatile uint8_t *stack, *heap, *priv;
};

static bool find_probes(struct probes *p)
{
	const struct bh_start_info *info = bh_info();
	const struct bh_info_entry *priv = bh_lookup("priv", BH_RES_MAP);

	if (!priv || info->heap_size < PROBE || info->stack_size <= STACK_PROBE_DEPTH)
		return false;
	p->stack = (volatile uint8_t *)(uintptr_t)(info->stack_top - STACK_PROBE_DEPTH);
	p->heap = (volatile uint8_t *)(uintptr_t)(info->heap_base + info->heap_size - PROBE);
	p->priv = (volatile uint8_t *)(uintptr_t)priv->vaddr;
	return true;
}

/* The number of bytes of @p (PROBE long) that are not zero. */
static uint32_t dirty(const volatile uint8_t *p)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < PROBE; i++)
		n += p[i] != 0;
	return n;
}

static void fill(volatile uint8_t *p)
{
	for (uint32_t i = 0; i < PROBE; i++)
		p[i] = PATTERN;
}

/* The first instance: leaves its pattern everywhere it may write. */
static void leave_traces(const struct probes *p)
{
	data_word = 0;
	fill(bss_probe);
	fill(p->stack);
	fill(p->heap);
	fill(p->priv);
}

/* A restarted instance: nothing of the first may be left. Runs before anything else. */
static void check_fresh(const struct probes *p, const volatile uint64_t *count)
{
	uint32_t stack = dirty(p->stack), heap = dirty(p->heap), priv = dirty(p->priv);
	uint32_t bss = dirty(bss_probe), data = data_word;
	const struct bh_start_info *info = bh_info();

	verdict("control.fresh_data", data == 0x5a5a5a5au, "data word 0x%x", data);
	verdict("control.fresh_bss", bss == 0, "%u bss bytes not zero", bss);
	verdict("control.fresh_stack", stack == 0, "%u stack bytes not zero", stack);
	verdict("control.fresh_heap", heap == 0, "%u heap bytes not zero", heap);
	verdict("control.fresh_region", priv == 0, "%u bytes of the private region not zero", priv);
	verdict("control.generation", info->generation == 1 && info->image_index == 0,
	        "generation %u, image %u", info->generation, info->image_index);
	verdict("control.shared_kept", *count != 0, "the shared counter reads %llu",
	        (unsigned long long)*count);
}

int main(void)
{
	const struct bh_start_info *info = bh_info();
	const struct bh_info_entry *shared = bh_lookup("count", BH_RES_MAP);
	struct bh_channel ready;
	struct probes p;

	if (!shared || !bh_channel_open("vready", &ready) || !find_probes(&p)) {
		verdict("control.victim", false, "no map count or priv, or channel vready");
		return 1;
	}
	volatile uint64_t *count = (volatile uint64_t *)(uintptr_t)shared->vaddr;
	if (ALTERNATIVE)
		verdict("control.replace", info->image_index == 1 && info->generation == 2,
		        "alternative runs: image %u, generation %u", info->image_index,
		        info->generation);
	else if (info->generation == 0)
		leave_traces(&p);
	else
		check_fresh(&p, count);
	(void)bh_signal(ready.slot);
	for (;;)
		*count = *count + 1;
}
