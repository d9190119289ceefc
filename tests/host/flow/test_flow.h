/* Flow test helpers: the scratch environment, compiling a corpus manifest, running bhc. */
#ifndef TEST_FLOW_H
#define TEST_FLOW_H

#include <limits.h>
#include <stdbool.h>

#include "bhc.h"

struct flow_env {
	char tmp[PATH_MAX];    /* scratch directory */
	char images[PATH_MAX]; /* tmp/images: fake program images */
	const char *corpus;    /* tests/flow */
	const char *bhc;       /* the bhc executable */
};

extern struct flow_env flow_env;

/* What one run of bhc printed and returned. */
struct flow_run {
	int status;
	char out[32768];
	char err[8192];
};

/** Compiles tests/flow/@name with the fake images; true if it compiled without error. */
bool flow_compile(const char *name, struct bhc_result *r);

/** Returns the path of tests/flow/@name (static buffer). */
const char *flow_path(const char *name);

/** Runs bhc with the NULL-terminated arguments @args (after argv[0]) into @r. */
void flow_run_bhc(struct flow_run *r, const char *const *args);

/* Exact output of bhc (test_flow_out.c). */
void test_out_flow_yes(void **state);
void test_out_flow_no(void **state);
void test_out_flow_many(void **state);
void test_out_matrix(void **state);
void test_out_matrix_groups(void **state);
void test_out_usage(void **state);
void test_out_policy(void **state);
void test_out_graph(void **state);
void test_out_hops_named(void **state);
void test_out_devices(void **state);
void test_out_devices_graph(void **state);
void test_out_control(void **state);

#endif
