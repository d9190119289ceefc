/* libbh: the start-info page and lookups of named resources in it. */
#include <string.h>

#include <bh.h>

#include "bh_internal.h"

static const struct bh_start_info *info_page;
static char domain_name[BH_INFO_NAME_LEN + 1];

bool bh_info_init(const struct bh_start_info *info)
{
	if (info->magic != BH_INFO_MAGIC || info->version != BH_INFO_VERSION)
		return false;
	info_page = info;
	memcpy(domain_name, info->domain_name, BH_INFO_NAME_LEN);
	domain_name[BH_INFO_NAME_LEN] = '\0';
	return true;
}

const struct bh_start_info *bh_info(void)
{
	return info_page;
}

const char *bh_name(void)
{
	return domain_name;
}

/* Entries that are really there: never more than the page holds. */
static uint32_t n_entries(void)
{
	uint32_t n = info_page ? info_page->n_entries : 0;

	return n < BH_INFO_MAX_ENTRIES ? n : BH_INFO_MAX_ENTRIES;
}

static bool name_is(const char field[BH_INFO_NAME_LEN], const char *name)
{
	return strncmp(field, name, BH_INFO_NAME_LEN) == 0;
}

const struct bh_info_entry *bh_lookup(const char *name, enum bh_res_kind kind)
{
	for (uint32_t i = 0; i < n_entries(); i++) {
		const struct bh_info_entry *e = &info_page->entries[i];
		if (e->kind == (uint32_t)kind && name_is(e->name, name))
			return e;
	}
	return NULL;
}

/* The channel to peer domain @name, for channels the manifest left unnamed. */
static const struct bh_info_entry *lookup_channel_peer(const char *name)
{
	for (uint32_t i = 0; i < n_entries(); i++) {
		const struct bh_info_entry *e = &info_page->entries[i];
		if (e->kind == BH_RES_CHANNEL && name_is(e->peer, name))
			return e;
	}
	return NULL;
}

bool bh_channel_open(const char *name, struct bh_channel *ch)
{
	const struct bh_info_entry *e = bh_lookup(name, BH_RES_CHANNEL);

	if (!e)
		e = lookup_channel_peer(name);
	if (!e || e->bit >= 64)
		return false;
	ch->slot = e->slot;
	ch->bit = 1ull << e->bit;
	return true;
}
