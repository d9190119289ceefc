/* libbh: inline `syscall` wrappers for hypercalls (abi/hypercall.h calling convention). */
#ifndef LIBBH_BH_HYPERCALL_H
#define LIBBH_BH_HYPERCALL_H

#include <stdint.h>

/*
 * rax = number, rdi, rsi, rdx, r10 = arguments; the kernel returns rax = enum bh_err and
 * rdx = value, clobbers rcx and r11 and preserves everything else. "memory" keeps the
 * compiler from caching shared memory across a hypercall (signal, wait).
 */
static inline uint64_t bh_hc4(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                              uint64_t *val)
{
	register uint64_t r10 __asm__("r10") = a3;
	uint64_t rax = nr, rdx = a2;

	__asm__ volatile("syscall"
	                 : "+a"(rax), "+d"(rdx), "+S"(a1), "+D"(a0), "+r"(r10)
	                 :
	                 : "rcx", "r11", "memory");
	*val = rdx;
	return rax;
}

static inline uint64_t bh_hc1(uint64_t nr, uint64_t a0, uint64_t *val)
{
	uint64_t rax = nr, rdx;

	__asm__ volatile("syscall" : "+a"(rax), "=d"(rdx), "+D"(a0) : : "rcx", "r11", "memory");
	*val = rdx;
	return rax;
}

static inline uint64_t bh_hc0(uint64_t nr, uint64_t *val)
{
	uint64_t rax = nr, rdx;

	__asm__ volatile("syscall" : "+a"(rax), "=d"(rdx) : : "rcx", "r11", "memory");
	*val = rdx;
	return rax;
}

#endif
