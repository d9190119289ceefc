/* Kernel assertions: the two tiers, and the rule for untrusted input. */
#ifndef KERNEL_ASSERT_H
#define KERNEL_ASSERT_H

/*
 * CHECK(cond): always on. Guards kernel invariants whose failure means the
 * kernel itself is wrong; it panics with file and line.
 * DEBUG_ASSERT(cond): the same in debug builds (BULKHEAD_DEBUG_ASSERTS),
 * gone otherwise; for expensive or redundant checks.
 * Neither is ever used on input from a domain, the boot plan or a device:
 * such input is checked and answered with an error code or a refusal.
 */
__attribute__((noreturn)) void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (__builtin_expect(!(cond), 0))                                      \
			panic("CHECK(%s) failed at %s:%d", #cond, __FILE__, __LINE__); \
	} while (0)

#ifdef BULKHEAD_DEBUG_ASSERTS
#define DEBUG_ASSERT(cond) CHECK(cond)
#else
#define DEBUG_ASSERT(cond) ((void)0)
#endif

#endif
