/* libbh: C start-up, called by _start with the start-info page. */
#include <stdio.h>
#include <stdlib.h>

#include <bh.h>
#include <bh_hypercall.h>

#include "bh_internal.h"

int main(int argc, char **argv);
__attribute__((noreturn)) void bh_start(const struct bh_start_info *info);

/* Constructor and destructor tables, bounded by domain.ld. */
typedef void (*bh_ctor_fn)(void);
extern bh_ctor_fn __preinit_array_start[], __preinit_array_end[];
extern bh_ctor_fn __init_array_start[], __init_array_end[];
extern bh_ctor_fn __fini_array_start[], __fini_array_end[];

static char *start_argv[2];

static void run_ctors(void)
{
	for (bh_ctor_fn *f = __preinit_array_start; f < __preinit_array_end; f++)
		(*f)();
	for (bh_ctor_fn *f = __init_array_start; f < __init_array_end; f++)
		(*f)();
}

static void run_dtors(void)
{
	for (bh_ctor_fn *f = __fini_array_end; f > __fini_array_start; f--)
		(*(f - 1))();
}

/**
 * Starts the C world: checks the start-info page, sets up heap and stdout, runs
 * constructors, calls main(1, {name, NULL}) and exits with its result.
 * Needs: @info = the start-info page (rdi at entry), .bss already zeroed by _start.
 * Returns: never (exit flushes stdio, then BH_HC_EXIT).
 */
void bh_start(const struct bh_start_info *info)
{
	if (!bh_info_init(info))
		bh_exit(BH_EXIT_BAD_INFO);
	bh_heap_init(info->heap_base, info->heap_size);
	bh_stdout_init();
	/* libbh assembles lines itself; stdio hands every printf straight to write(). */
	setvbuf(stdout, NULL, _IONBF, 0);
	setvbuf(stderr, NULL, _IONBF, 0);
	run_ctors();
	atexit(run_dtors);
	start_argv[0] = (char *)bh_name();
	start_argv[1] = NULL;
	exit(main(1, start_argv));
}

/* Flushes the stdout line, then ends the domain (BH_HC_EXIT). */
void bh_exit(int code)
{
	uint64_t val;

	bh_flush();
	(void)bh_hc1(BH_HC_EXIT, (uint64_t)(int64_t)code, &val);
	for (;;)
		__asm__ volatile("ud2"); /* the kernel refused: fault, which also stops us */
}
