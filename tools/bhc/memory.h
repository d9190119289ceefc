/* Memory: how much RAM a system needs, element by element, against what the machine has. */
#ifndef BHC_MEMORY_H
#define BHC_MEMORY_H

#include <stdint.h>

#include "layout.h"
#include "manifest.h"

#define MEMORY_KERNEL_RESERVE (8ull << 20) /* kernel image, its tables, the boot modules */
#define MEMORY_PT_BASE (16ull << 10)       /* page-table estimate: per domain ... */
#define MEMORY_PT_SPAN (2ull << 20)        /* ... plus one page per 2 MiB of each mapping */

/**
 * Fills l->ld[*] (image, page-table, extra and total bytes per domain) and
 * l->memory_total, adding up in document order: the kernel reserve, then each
 * <region>, <domain> and <ring> as it appears. Reports, at the element whose
 * requirement first pushes the total past m->memory, one error.
 * Needs: @l built by layout_build (maps placed). Returns: nothing.
 */
void memory_account(struct manifest *m, struct layout *l);

#endif
