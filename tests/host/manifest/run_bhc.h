/* Host-test helper: runs the bhc executable as a child and captures its output. */
#ifndef TEST_RUN_BHC_H
#define TEST_RUN_BHC_H

#include <stddef.h>

#define RUN_BHC_MAX_ARGS 22

/**
 * Runs @bhc with the NULL-terminated @args (after argv[0], at most
 * RUN_BHC_MAX_ARGS), its stdout and stderr sent to files in @tmp, and copies
 * them, NUL-terminated, into @out (@out_len bytes) and @err (@err_len bytes).
 * Needs: a cmocka test (it asserts that the child ran and exited).
 * Returns: bhc's exit status.
 */
int run_bhc_exec(const char *bhc, const char *tmp, const char *const *args, char *out,
                 size_t out_len, char *err, size_t err_len);

#endif
