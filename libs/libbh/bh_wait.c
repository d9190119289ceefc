/* libbh: waiting for channel bits, with a stash so libbh's own waits lose no bits. */
#include <bh.h>
#include <bh_hypercall.h>

#include "bh_internal.h"

/*
 * The kernel's pending word is cleared by every WAIT/POLL. Bits libbh receives while it waits
 * for something else (bh_wait_for) are kept here and handed to the application's next
 * bh_wait()/bh_poll(). Private bits (the stdout ring) are never handed out: libbh re-arms and
 * re-checks its ring before it sleeps, so dropping them loses nothing.
 */
static uint64_t stash;
static uint64_t private_bits;

static uint64_t raw_wait(void)
{
	uint64_t bits;

	return bh_hc0(BH_HC_WAIT, &bits) == BH_OK ? bits : 0;
}

static uint64_t raw_poll(void)
{
	uint64_t bits;

	return bh_hc0(BH_HC_POLL, &bits) == BH_OK ? bits : 0;
}

static uint64_t take_stash(void)
{
	uint64_t b = stash & ~private_bits;

	stash = 0;
	return b;
}

void bh_wait_private(uint64_t bits)
{
	private_bits |= bits;
}

void bh_wait_keep(uint64_t bits)
{
	stash |= bits;
}

uint64_t bh_wait(void)
{
	for (;;) {
		uint64_t b = take_stash();
		if (b)
			return b;
		stash = raw_wait();
	}
}

uint64_t bh_poll(void)
{
	stash |= raw_poll();
	return take_stash();
}

uint64_t bh_wait_for(uint64_t mask)
{
	for (;;) {
		uint64_t got = stash & mask;
		if (got) {
			stash &= ~got;
			return got;
		}
		stash |= raw_wait();
	}
}

uint64_t bh_wait_until(uint64_t mask, uint64_t deadline)
{
	for (;;) {
		uint64_t got = stash & mask, bits;
		if (got) {
			stash &= ~got;
			return got;
		}
		if (bh_hc1(BH_HC_WAIT_UNTIL, deadline, &bits) != BH_OK || !bits)
			return 0; /* the deadline came (or has passed) */
		stash |= bits;
	}
}

/* Keeps @bits (just delivered) and sleeps again until a bit of @mask comes.
 * Returns the bits of @mask delivered. */
static uint64_t wait_new(uint64_t bits, uint64_t mask)
{
	for (;;) {
		stash |= bits;
		if (bits & mask)
			return bits & mask;
		bits = raw_wait();
	}
}

uint64_t bh_wait_new(uint64_t mask)
{
	return wait_new(0, mask);
}

uint64_t bh_wait_new_signal(uint32_t slot, uint64_t mask)
{
	uint64_t bits;

	if (bh_hc1(BH_HC_SIGNAL_WAIT, slot, &bits) != BH_OK)
		bits = 0; /* nothing signalled, nothing waited for: wait_new sleeps */
	return wait_new(bits, mask);
}

uint64_t bh_signal_wait(uint32_t slot, enum bh_err *err)
{
	uint64_t bits;
	enum bh_err e;

	if (stash & ~private_bits) {
		e = bh_signal(slot);
		bits = e == BH_OK ? take_stash() : 0;
	} else {
		e = (enum bh_err)bh_hc1(BH_HC_SIGNAL_WAIT, slot, &bits);
		if (e == BH_OK) {
			stash |= bits;
			bits = bh_wait();
		} else {
			bits = 0;
		}
	}
	if (err)
		*err = e;
	return bits;
}
