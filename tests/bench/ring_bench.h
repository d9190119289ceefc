/* Benchmarks ring_rtt and ring_msg: the message types both ends of ring "bench" agree on. */
#ifndef BENCH_RING_BENCH_H
#define BENCH_RING_BENCH_H

#define RB_MSG_LEN 64u
#define RB_RTT 1u        /* the server answers with the same payload */
#define RB_STREAM 2u     /* no answer */
#define RB_STREAM_END 3u /* the server answers once it has consumed the stream */
#define RB_QUIT 4u       /* the server stops */

#define RB_RTT_ITERS 1000u     /* round trips per batch */
#define RB_STREAM_MSGS 100000u /* messages per stream run */
#define RB_STREAM_RUNS 3u
#define RB_BATCH 16u /* messages per publish in a stream */

#endif
