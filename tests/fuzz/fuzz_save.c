/* Fuzz target `save`: a restore from a save volume whose bytes an attacker chose (services/control/ctl_save.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulkhead/abi/hypercall.h>

#include "ctl_save.h"

/*
 * Input: the bytes of one domain's slot of the save volume (header, then data), which the
 * disk, or whoever wrote to it, controls. The restore runs against a simulated target with a
 * fixed layout of three spans: it may only write inside them, must never resume the target
 * unless it answers SAVE_OK, and on SAVE_OK the target's memory must be exactly the data the
 * slot holds after the header, in span order. The slot is a buffer of the input's size (at
 * least a header's), so the address sanitizer sees any read past it.
 */

/**
 * libFuzzer's entry: restores from the @size bytes at @data as a slot and checks the rules.
 * Returns: 0; abort()s (after a line naming the broken rule) on any inconsistency.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE 4096u
#define CHUNK (2u * PAGE)

static const struct bh_mem_span spans[] = {
	{0x400000, PAGE, BH_SPAN_IMAGE, 0},
	{0x800000, 2 * PAGE, BH_SPAN_WRITABLE, 0},
	{0x900000, PAGE, BH_SPAN_WRITABLE, 0},
};
#define NSPANS (sizeof(spans) / sizeof(spans[0]))

static uint8_t mem[NSPANS][2 * PAGE];
static uint8_t buf[CHUNK], check[CHUNK];
static const uint8_t *slot;
static size_t slot_len;
static unsigned resumes;
static uint32_t state;

static void broken(const char *rule)
{
	fprintf(stderr, "fuzz_save: %s\n", rule);
	abort();
}

static uint8_t *where(uint64_t vaddr, uint64_t len)
{
	for (unsigned i = 0; i < NSPANS; i++)
		if (vaddr >= spans[i].vaddr && len <= spans[i].size &&
		    vaddr - spans[i].vaddr <= spans[i].size - len)
			return &mem[i][vaddr - spans[i].vaddr];
	broken("a memory access outside the target's spans");
	return NULL;
}

static enum bh_err t_stop(void *c)
{
	(void)c;
	state = BH_DSTATE_STOPPED;
	return BH_OK;
}

static enum bh_err t_restart_held(void *c, uint32_t image)
{
	(void)c;
	(void)image;
	memset(mem, 0, sizeof(mem));
	state = BH_DSTATE_STOPPED;
	return BH_OK;
}

static enum bh_err t_resume(void *c)
{
	(void)c;
	resumes++;
	state = BH_DSTATE_RUNNING;
	return BH_OK;
}

static enum bh_err t_state(void *c, uint64_t *w)
{
	(void)c;
	*w = state;
	return BH_OK;
}

static enum bh_err t_layout(void *c, struct bh_mem_span *out, uint32_t max, uint32_t *n)
{
	(void)c;
	*n = NSPANS;
	for (uint32_t i = 0; i < NSPANS && i < max; i++)
		out[i] = spans[i];
	return BH_OK;
}

static enum bh_err t_read(void *c, uint64_t vaddr, uint64_t len)
{
	(void)c;
	if (len > CHUNK)
		broken("a memory read longer than the buffer");
	memcpy(buf, where(vaddr, len), len);
	return BH_OK;
}

static enum bh_err t_write(void *c, uint64_t vaddr, uint64_t len)
{
	(void)c;
	if (len > CHUNK || state != BH_DSTATE_STOPPED)
		broken("a memory write too long or into a running target");
	memcpy(where(vaddr, len), buf, len);
	return BH_OK;
}

static enum bh_err t_vget(void *c, struct bh_vcpu_state *v)
{
	(void)c;
	memset(v, 0, sizeof(*v));
	return BH_OK;
}

static enum bh_err t_vset(void *c, const struct bh_vcpu_state *v)
{
	(void)c;
	(void)v;
	return BH_OK;
}

static int d_read(void *c, uint64_t off, size_t len)
{
	(void)c;
	if (len > CHUNK)
		broken("a disk read longer than the buffer");
	memset(buf, 0, len); /* past the input: the volume reads zeros */
	if (off < slot_len)
		memcpy(buf, slot + off, slot_len - off < len ? slot_len - off : len);
	return 0;
}

static int d_write(void *c, uint64_t off, size_t len)
{
	(void)c;
	(void)off;
	(void)len;
	broken("a restore wrote to the volume");
	return 5;
}

static int d_flush(void *c)
{
	(void)c;
	return 0;
}

static const struct save_ops ops = {
	NULL,     buf,    check,   CHUNK,  1u << 20, t_stop, t_restart_held, t_resume, t_state,
	t_layout, t_read, t_write, t_vget, t_vset,   d_read, d_write,        d_flush,
};

/* On SAVE_OK the target holds the slot's data, span after span. */
static void check_restored(void)
{
	size_t off = SAVE_HEADER_BYTES;

	for (unsigned i = 0; i < NSPANS; i++) {
		for (size_t k = 0; k < spans[i].size; k++, off++)
			if (mem[i][k] != (off < slot_len ? slot[off] : 0))
				broken("a restore said ok but the memory is not the save's data");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct save_report rep;
	enum save_result r;

	if (size < SAVE_HEADER_BYTES)
		return 0;
	slot = data;
	slot_len = size;
	resumes = 0;
	state = BH_DSTATE_RUNNING;
	r = ctl_restore_domain(&ops, "counter", &rep);
	if (resumes != (r == SAVE_OK ? 1u : 0u))
		broken("the target resumed without a whole, checked restore (or not after one)");
	if (r == SAVE_OK)
		check_restored();
	return 0;
}
