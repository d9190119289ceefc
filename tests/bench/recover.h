/* Benchmark recover: the page the client and the faulting driver share (tests/bench/storage_recover.xml). */
#ifndef BENCH_RECOVER_H
#define BENCH_RECOVER_H

#include <stdint.h>

/*
 * The region "rstamp", mapped rw by bench_recover (the client) and by the driver
 * virtio-blk-fault. It outlives the driver's restarts: the client arms it before a request,
 * the next instance of the driver to serve disarms it, stamps the TSC and faults.
 */
#define RECOVER_MAP "rstamp"

struct recover_page {
	uint64_t arm;       /* 1: the driver faults on its next pass; it writes 0 first */
	uint64_t fault_tsc; /* the driver's last rdtsc before its fault */
	uint64_t faults;    /* faults made so far (all instances) */
};

#endif
