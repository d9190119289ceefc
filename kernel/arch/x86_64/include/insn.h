/* x86_64 instruction decoder: what a faulting domain instruction is and what it touches. */
#ifndef INSN_H
#define INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <arch_regs.h>

/* The longest instruction the CPU accepts; a longer one raises #GP(0). */
#define INSN_MAX_LEN 15

enum insn_kind {
	INSN_UNKNOWN = 0, /* could not decode, or none of the below */
	INSN_IO,          /* in/out/ins/outs: port in .port (imm8 or dx) */
	INSN_PRIVILEGED,  /* not for ring 3 (see below): .mnemonic names it */
	INSN_MEMORY,      /* reads or writes memory: .address is the first operand's address */
};

/*
 * One memory operand. .address is the effective address (the offset inside
 * its segment, wrapped to 64 bits, or to 32 bits under the 0x67 prefix). In
 * 64-bit mode the bases of cs/ds/es/ss are 0 and their override prefixes are
 * ignored; an fs:/gs: prefix is noted in .segment, and then the linear address
 * is that segment's base plus .address: the caller adds the base and checks
 * the sum. .stack: the operand is in the stack segment (the stack itself, or a
 * base of rsp or rbp without an fs:/gs: prefix), so a non-canonical address
 * raises #SS(0), not #GP(0).
 */
struct insn_mem {
	uint64_t address;
	uint8_t segment; /* 0, or 0x64 (fs) / 0x65 (gs) */
	bool canonical;  /* bits 63..47 of .address all equal */
	bool stack;
};

/*
 * What insn_decode() found. Every field is zero unless said otherwise.
 *
 * .length and .kind are set for every decoded instruction. An instruction that
 * decodes but is none of IO, PRIVILEGED or MEMORY is INSN_UNKNOWN with a
 * length: lea, the hint nops and prefetches (they never touch memory), int n,
 * ud2, register-only arithmetic.
 *
 * Memory operands are listed in .mem[0..mem_count) whatever the kind, so ins,
 * outs and lgdt [m] (IO, PRIVILEGED) have them too; .address, .address_canonical
 * and .segment_prefix repeat .mem[0]. The order: the explicit operand (ModRM
 * or moffs) or a string instruction's source (rsi) first; then the stack slot
 * (push/pop/call/ret/enter/leave/pushf/popf/iret, at rsp minus the size for a
 * push, at rsp for a pop, at rbp for leave) or a string instruction's
 * destination (rdi). So movs and cmps report rsi in .mem[0] and rdi in .mem[1],
 * push [m] and call [m] report m and then the stack slot. The CPU faults on
 * whichever operand is non-canonical: a caller that asks "non-canonical?"
 * checks every entry, not only .address.
 *
 * INSN_PRIVILEGED: what needs CPL 0 (hlt, lgdt, mov to/from cr and dr, wrmsr,
 * invlpg, swapgs, sysret, xsetbv, VMX and SVM, ...), what is IOPL-sensitive
 * (cli, sti), what UMIP refuses (sgdt, sidt, sldt, str, smsw), and what faults
 * in ring 3 only when the kernel says so: rdtsc and rdtscp (CR4.TSD), rdpmc
 * (CR4.PCE), sysenter (no SYSENTER MSRs). iretq is not privileged (it pops the
 * stack: INSN_MEMORY; in ring 3 its #GP(0) means a bad frame).
 *
 * Architectural choices: near branches ignore 0x66 (Intel: rel32); VEX
 * instructions are decoded (gathers, whose addresses are per element, as
 * INSN_UNKNOWN with a length), EVEX and XOP are not (false). Opcodes that are
 * undefined only for some mandatory prefix decode as their neighbours: the
 * CPU raises #UD for them, so they never reach a #GP report.
 */
struct insn_info {
	enum insn_kind kind;
	uint8_t length;         /* bytes decoded */
	const char *mnemonic;   /* INSN_PRIVILEGED/INSN_IO: static string, e.g. "wrmsr" */
	uint16_t port;          /* INSN_IO: imm8, or dx */
	bool port_known;        /* INSN_IO: always true (dx is in the registers) */
	uint8_t io_size;        /* INSN_IO: 1, 2 or 4 bytes */
	uint64_t address;       /* .mem[0].address */
	bool address_canonical; /* .mem[0].canonical */
	uint8_t segment_prefix; /* .mem[0].segment: 0, or 0x64 (fs) / 0x65 (gs) */
	uint8_t mem_count;      /* memory operands in .mem (0..2) */
	struct insn_mem mem[2];
	bool truncated; /* on false: the bytes ended inside the instruction */
};

/**
 * Decodes the one instruction at @bytes[0..@n) as executed in 64-bit mode with registers @r
 * (its rip is the instruction's address: rip-relative operands count from rip + length).
 * Needs: @n <= 15 (more is treated as 15, the CPU's limit); @bytes readable for @n bytes;
 * @r and @out valid. The bytes may be anything (they come from the domain).
 * Returns: true and fills @out if it could decode it; false (kind UNKNOWN) otherwise: an
 * invalid or unsupported opcode (EVEX, XOP, 3DNow!), or too few bytes (then
 * @out->truncated; with @n == 15 that means an instruction longer than the CPU allows).
 * Reads only bytes[0..n) and never loops on its input; never fails otherwise.
 */
bool insn_decode(const uint8_t *bytes, size_t n, const struct arch_regs *r, struct insn_info *out);

#endif
