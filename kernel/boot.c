/* Boot hand-over helpers: finding modules by name. */
#include <string.h>

#include <kernel/boot.h>

const struct boot_module *boot_find_module(const struct boot_info *bi, const char *name)
{
	for (uint32_t i = 0; i < bi->n_mods; i++)
		if (strcmp(bi->mods[i].name, name) == 0)
			return &bi->mods[i];
	return NULL;
}
