/* libbh: declarations shared by libbh's own files (not part of the domain API). */
#ifndef LIBBH_BH_INTERNAL_H
#define LIBBH_BH_INTERNAL_H

#include <bh.h>

/**
 * Records @info as this domain's start-info page and copies the domain name.
 * Returns: false if the magic or version is wrong.
 */
bool bh_info_init(const struct bh_start_info *info);

/** Sets the sbrk heap to [@base, @base + @size). */
void bh_heap_init(uint64_t base, uint64_t size);

/** Opens this domain's client `stdout` ring, if the manifest gave one. */
void bh_stdout_init(void);

/** Line-assembles @len bytes of stdout/stderr output into the stdout ring. */
void bh_stdout_write(const char *buf, size_t len);

/** Marks @bits as libbh's own (the stdout ring): bh_wait()/bh_poll() never return them. */
void bh_wait_private(uint64_t bits);

#endif
