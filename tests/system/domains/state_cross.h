/* state test: the register file one round loads, and the assembly that loads and reads it. */
#ifndef TESTS_STATE_CROSS_H
#define TESTS_STATE_CROSS_H

#include <stddef.h>
#include <stdint.h>

#include <bh.h>

/* General registers by their x86 number (rax 0, rcx 1, rdx 2, rbx 3, rsp 4, ...). */
#define ST_NGPR 16

/* What ring 3 can load and read back without the kernel: general registers, rflags, the
 * data segment selectors, and what fs:PROBE and gs:PROBE read (the fs and gs bases). */
struct st_regs {
	uint64_t gpr[ST_NGPR];
	uint64_t flags;
	uint64_t sel[4]; /* ds, es, fs, gs */
	uint64_t fs_probe, gs_probe;
	uint64_t pad;
};

/* The spin loop's table, copied onto its stack (it has no free register to address
 * anything else): expected registers, then these slots. */
enum st_table {
	ST_T_HELD = 16,   /* rflags & ST_FL_HELD expected */
	ST_T_SEL = 17,    /* 4 selectors */
	ST_T_COUNT = 21,  /* iterations left; 0 when the loop ran to its end */
	ST_T_FLAGS = 22,  /* rflags to load */
	ST_T_PROBE = 23,  /* address of the probe word */
	ST_T_MARKER = 24, /* its value */
	ST_T_SLOTS = 26
};

/* One round: what to load (in), what came back (out), and FXSAVE images. */
struct st_round {
	struct st_regs in;
	struct st_regs out;
	uint64_t table[ST_T_SLOTS];
	uint64_t probe;     /* address fs: and gs: read through */
	void (*mark)(void); /* the role's x87 instruction (FIP, FDP, FOP) */
	uint64_t pad[2];
	uint8_t fx_img[512] __attribute__((aligned(16)));    /* loaded before the switch */
	uint8_t fx_before[512] __attribute__((aligned(16))); /* saved right before it */
	uint8_t fx_after[512] __attribute__((aligned(16)));  /* saved right after it */
	uint8_t fx_clean[512] __attribute__((aligned(16)));  /* loaded for the C code after */
};

_Static_assert(BH_HC_YIELD == 5, "the round's assembly yields with rax = 5");

/* rflags bits the spin loop holds while it compares (its cmp and dec change the others). */
#define ST_FL_HELD 0x244400ull /* DF, NT, AC, ID */

/**
 * Loads @r->fx_img, runs @r->mark, saves fx_before, loads @r->in (selectors, rflags, every
 * general register but rsp; rax is the yield number) and yields. Right after the yield it
 * stores every register, rflags, the selectors and the fs:/gs: probes into @r->out and
 * saves fx_after; then loads fx_clean, rflags 0x202 and null selectors, and returns.
 */
void state_cross_round(struct st_round *r);

/**
 * Loads the selectors, rflags and registers of @r->table and checks them all, with the
 * fs:/gs: probes, in a loop of table[ST_T_COUNT] iterations, so that timer interrupts
 * and switches land in the middle. Stops at the first difference. Stores what the
 * registers held at the end into @r->out and the iterations left into table[ST_T_COUNT].
 */
void state_cross_spin(struct st_round *r);

/* The two roles' x87 instructions (fldl of state_cross_data0, fildl of state_cross_data1). */
void state_cross_mark0(void);
void state_cross_mark1(void);
extern const uint8_t state_cross_data0[], state_cross_data1[];
#define ST_FOP0 0x505u /* DD /0 with a rip-relative operand */
#define ST_FOP1 0x305u /* DB /0 likewise */

#endif
