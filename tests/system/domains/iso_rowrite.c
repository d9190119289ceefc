/* isolation test: writes to the read-only map "ro"; the kernel must stop this domain. */
#include <stdint.h>

#include "iso.h"

int main(void)
{
	const struct bh_info_entry *m = bh_lookup("ro", BH_RES_MAP);

	if (!m || m->size == 0 || (m->flags & BH_RIGHT_WRITE)) {
		verdict("isolation.ro_write", false, "no read-only map \"ro\" in the manifest");
		return 1;
	}
	iso_arm("ro_write");
	*(volatile uint64_t *)(uintptr_t)m->vaddr = 0x5eed;
	return iso_survived("ro_write");
}
