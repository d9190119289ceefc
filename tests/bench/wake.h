/* Benchmark signal_wake: the sample counts both ends agree on. */
#ifndef BENCH_WAKE_H
#define BENCH_WAKE_H

#define WAKE_WARMUP 100u
#define WAKE_SAMPLES 10000u

#endif
