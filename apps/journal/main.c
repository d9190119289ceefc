/* Journal: replays its volume counting intact records, then appends checksummed records, flushed. */
#include <stdio.h>
#include <string.h>

#include <bh.h>
#include <libblk.h>

#include "journal_rec.h"

/*
 * What the manifest (manifests/storage.xml) gives a journal: one ring to the storage service
 * (its volume, named after the ring) and the volume's data region, mapped read-write. Record
 * n lies in sector n. Each run counts the intact records from sector 0, then appends
 * JOURNAL_APPEND more after them, each written and flushed before the next: a record whose
 * flush was answered survives a power loss.
 *
 * The build `journal_endless` (tests/system/storage_powerloss) sets JOURNAL_ENDLESS to 1: it
 * appends until its volume is full and prints `journal: record N flushed (K this boot)` once
 * the flush of record N was answered, so that the host knows which records must survive when
 * it cuts the power.
 */
#define JOURNAL_APPEND 8u
#ifndef JOURNAL_ENDLESS
#define JOURNAL_ENDLESS 0
#endif

static struct blk_vol vol;
static uint8_t *data;

/* The name of this domain's one ring where it is the client, other than stdout. */
static const char *volume_name(void)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (e->kind == BH_RES_RING && e->flags == BH_RING_CLIENT &&
		    strcmp(e->name, "stdout") != 0)
			return e->name;
	}
	return NULL;
}

/* Sectors read at once: what the data region holds and the server takes. */
static uint32_t batch_sectors(void)
{
	uint64_t n = vol.data_size / JREC_SIZE;

	return (uint32_t)(n < vol.max_sectors ? n : vol.max_sectors);
}

/* Reads from sector 0 until a record is not intact. Returns the intact ones, or -1. */
static int64_t replay(void)
{
	uint64_t found = 0;
	uint32_t batch = batch_sectors();

	while (found < vol.sectors) {
		uint64_t left = vol.sectors - found;
		uint32_t n = left < batch ? (uint32_t)left : batch;
		uint32_t st = blk_read(&vol, found, n, 0);
		if (st != BLK_OK) {
			printf("journal: read of sectors %llu..%llu failed: status %u\n",
			       (unsigned long long)found, (unsigned long long)(found + n - 1), st);
			return -1;
		}
		uint64_t ok = jrec_count(data, n, found);
		found += ok;
		if (ok < n)
			break;
	}
	return (int64_t)found;
}

/* Does this run append record @seq, the first being @first? Not past the volume's end. */
static bool append_more(uint64_t seq, uint64_t first)
{
	return seq < vol.sectors && (JOURNAL_ENDLESS || seq < first + JOURNAL_APPEND);
}

/* The endless build's line once the flush of record @seq, the @n-th of this boot, was answered. */
static void report_flushed(uint64_t seq, uint64_t n)
{
	if (JOURNAL_ENDLESS)
		printf("journal: record %llu flushed (%llu this boot)\n", (unsigned long long)seq,
		       (unsigned long long)n);
}

/* Appends records from @first on (see append_more), each written and flushed. Returns how
 * many, or -1 if one failed. */
static int64_t append(uint64_t first)
{
	char text[96];
	uint64_t seq;

	for (seq = first; append_more(seq, first); seq++) {
		snprintf(text, sizeof(text), "record %llu of %s", (unsigned long long)seq,
		         bh_name());
		jrec_make((struct jrec *)data, seq, text);
		uint32_t st = blk_write(&vol, seq, 1, 0);
		if (st == BLK_OK)
			st = blk_flush(&vol);
		if (st != BLK_OK) {
			printf("journal: record %llu not written: status %u\n",
			       (unsigned long long)seq, st);
			return -1;
		}
		report_flushed(seq, seq - first + 1);
	}
	return (int64_t)(seq - first);
}

int main(void)
{
	const char *name = volume_name();
	uint32_t st = name ? blk_open(name, &vol, (void **)&data) : BLK_EPROTO;

	if (st != BLK_OK) {
		printf("journal: cannot open volume %s: status %u\n", name ? name : "(no ring)",
		       st);
		return 1;
	}
	printf("journal: volume %s: %llu sectors of %u bytes%s, data in %s\n", name,
	       (unsigned long long)vol.sectors, vol.block_size, vol.ro ? ", read-only" : "",
	       vol.data_name);
	int64_t found = replay();
	if (found < 0)
		return 1;
	printf("journal: replay found %lld intact records\n", (long long)found);
	if (vol.ro)
		return 0;
	int64_t added = append((uint64_t)found);
	if (added < 0)
		return 1;
	int64_t total = found + added;
	printf("journal: appended %lld records, %lld in all, each flushed\n", (long long)added,
	       (long long)total);
	return 0;
}
