/* ABI kernel-log page: the page the kernel appends report lines to and the console reads. */
#ifndef BULKHEAD_ABI_KLOG_H
#define BULKHEAD_ABI_KLOG_H

#include <stdint.h>

/*
 * The page (a BH_RES_KLOG entry in the console's start info, read-only there):
 * head counts every byte the kernel ever wrote; byte i lives at
 * buf[i % BH_KLOG_BUF_SIZE]. The kernel appends whole lines only and publishes
 * head with a release store after the bytes; a reader loads it with acquire.
 */
#define BH_KLOG_BUF_SIZE 4088u

struct bh_klog_page {
	volatile uint64_t head;
	volatile char buf[BH_KLOG_BUF_SIZE];
};
_Static_assert(sizeof(struct bh_klog_page) == 4096, "kernel log page ABI");

#endif
