/* Manifest test helpers: the test environment, compiling a manifest, reading a plan. */
#ifndef TEST_MANIFEST_UTIL_H
#define TEST_MANIFEST_UTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/abi/info.h>
#include <bulkhead/abi/plan.h>
#include <kernel/plan.h>

#include "bhc.h"

struct test_env {
	char tmp[PATH_MAX];    /* scratch directory; manifests are compiled from copies here */
	char images[PATH_MAX]; /* tmp/images: fake program images */
	const char *corpus;    /* tests/manifest */
	const char *manifests; /* manifests/ (demo.xml) */
	const char *bhc;       /* the bhc executable */
};

extern struct test_env test_env;

/** Compiles @path with test_env.images as the image directory and RAM @memory. */
bool test_compile(const char *path, uint64_t memory, struct bhc_result *r);

/** Copies @src to test_env.tmp/@name and returns the new path (static buffer). */
const char *test_copy(const char *src, const char *name);

/** Returns the index of the domain named @name; fails the test if there is none. */
uint32_t test_domain(const struct plan_tables *v, const char *name);

/** Returns the entry of @kind named @name (and, unless NULL, with @peer) in domain @d. */
const struct bh_info_entry *test_entry(const struct plan_tables *v, uint32_t d, const char *name,
                                       uint32_t kind, const char *peer);

/** Checks what must hold for every compiled plan (plan_check, slots, wiring, placement). */
void test_plan_invariants(const struct bhc_result *r);

/* Spot checks of particular manifests (test_spot.c). */
void test_spot_demo(void **state);
void test_spot_ids(void **state);
void test_spot_no_console(void **state);
void test_spot_paths(void **state);
void test_spot_many(void **state);
void test_values(void **state);
void test_spot_memory(void **state);
void test_spot_hardening(void **state);
void test_spot_devices(void **state);
void test_spot_volumes(void **state);

/* Domain control (test_control.c). */
void test_spot_control(void **state);

/* The command line (test_cli.c). */
void test_cli_usage(void **state);
void test_cli_check(void **state);
void test_cli_compile(void **state);
void test_cli_compile_error_writes_nothing(void **state);
void test_cli_compile_through_symlink(void **state);

#endif
