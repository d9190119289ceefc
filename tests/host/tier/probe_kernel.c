/* Tier probe: includes a kernel-internal header; only the kernel's include path may accept it. */
#include <kernel/domain.h>
