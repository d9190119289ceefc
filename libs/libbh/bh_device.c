/* libbh: devices granted by the manifest: lookups in the start-info page and device hypercalls. */
#include <string.h>

#include <bh.h>
#include <bh_hypercall.h>

/* BH_HC_DEVICE_BAR answers vaddr | log2(size); the vaddr is page aligned. */
#define BAR_LOG2_MASK 0xfffull

/* The entries of the start-info page that are really there (never more than it holds). */
static uint32_t entry_count(const struct bh_start_info *info)
{
	if (!info)
		return 0;
	return info->n_entries < BH_INFO_MAX_ENTRIES ? info->n_entries : BH_INFO_MAX_ENTRIES;
}

static bool is_dma_map(const struct bh_info_entry *e)
{
	return e->kind == BH_RES_MAP && (e->flags & BH_INFO_MAP_DMA) != 0;
}

const struct bh_info_entry *bh_device_find(const char *name)
{
	const struct bh_start_info *info = bh_info();

	if (name)
		return bh_lookup(name, BH_RES_DEVICE);
	for (uint32_t i = 0; i < entry_count(info); i++)
		if (info->entries[i].kind == BH_RES_DEVICE)
			return &info->entries[i];
	return NULL;
}

const struct bh_info_entry *bh_dma_find(const char *name)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < entry_count(info); i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (is_dma_map(e) && strncmp(e->name, name, BH_INFO_NAME_LEN) == 0)
			return e;
	}
	return NULL;
}

const struct bh_info_entry *bh_dma_map(uint32_t index)
{
	const struct bh_start_info *info = bh_info();
	uint32_t seen = 0;

	for (uint32_t i = 0; i < entry_count(info); i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (is_dma_map(e) && seen++ == index)
			return e;
	}
	return NULL;
}

enum bh_err bh_device_bar(uint32_t slot, uint32_t bar, uint64_t *vaddr, uint64_t *size)
{
	uint64_t val;
	enum bh_err err = (enum bh_err)bh_hc4(BH_HC_DEVICE_BAR, slot, bar, 0, 0, &val);

	if (err != BH_OK)
		return err;
	if ((val & BAR_LOG2_MASK) > 63)
		return BH_ERR_INVALID;
	*vaddr = val & ~BAR_LOG2_MASK;
	*size = 1ull << (val & BAR_LOG2_MASK);
	return BH_OK;
}

enum bh_err bh_device_cfg_read(uint32_t slot, uint32_t off, uint32_t width, uint32_t *val)
{
	uint64_t v;
	enum bh_err err = (enum bh_err)bh_hc4(BH_HC_DEVICE_CFG_READ, slot, off, width, 0, &v);

	*val = err == BH_OK ? (uint32_t)v : 0;
	return err;
}

enum bh_err bh_device_cfg_write(uint32_t slot, uint32_t off, uint32_t width, uint32_t val)
{
	uint64_t v;

	return (enum bh_err)bh_hc4(BH_HC_DEVICE_CFG_WRITE, slot, off, width, val, &v);
}

enum bh_err bh_device_ack(uint32_t slot)
{
	uint64_t v;

	return (enum bh_err)bh_hc1(BH_HC_DEVICE_ACK, slot, &v);
}

enum bh_err bh_dma_addr(uint32_t slot, const volatile void *vaddr, uint64_t *daddr)
{
	uint64_t v;
	enum bh_err err =
		(enum bh_err)bh_hc4(BH_HC_DMA_ADDR, slot, (uint64_t)(uintptr_t)vaddr, 0, 0, &v);

	*daddr = err == BH_OK ? v : 0;
	return err;
}
