/* ELF loader for domain images. */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include <kernel/types.h>

/**
 * Checks the untrusted ELF @image (@len bytes) and maps its loadable segments
 * into @as with their rights (never writable and executable).
 * Needs: boot time. Returns: NULL and the entry in *@entry, or a reason.
 */
const char *elf_load(paddr_t as, const void *image, uint64_t len, uint64_t *entry);

#endif
