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
 *
 * The build `journal_paced` (manifests/replace.xml, tests/system/storage_replace) sets
 * JOURNAL_APPEND to 40 and JOURNAL_PACE_MS to 50: the k-th record of the run starts no earlier
 * than k x 50 ms after the first, and until then the journal reads back the records it wrote
 * this run and compares each with what it wrote. A read-back is JOURNAL_READ_SECTORS sectors
 * (512 KiB) from the run's first record, two in flight at once: long reads keep the device
 * busy, so for the two seconds the run takes the journal has requests in flight nearly all
 * the time, and a driver replaced meanwhile leaves some to its new instance. Its data region
 * must hold 1 + 2 x JOURNAL_READ_SECTORS sectors. Every tenth record it says how far it got
 * and how many read-backs it checked.
 */
#ifndef JOURNAL_APPEND
#define JOURNAL_APPEND 8u
#endif
#ifndef JOURNAL_ENDLESS
#define JOURNAL_ENDLESS 0
#endif
#ifndef JOURNAL_PACE_MS
#define JOURNAL_PACE_MS 0u
#endif
#define JOURNAL_REPORT_EVERY 10u
#define JOURNAL_READS 2u           /* paced build: read-backs in flight at once */
#define JOURNAL_READ_SECTORS 1024u /* paced build: sectors of one read-back */

static struct blk_vol vol;
static uint8_t *data;
static uint64_t read_backs; /* paced build: read-backs that found every record intact */

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

/* The paced build's line after every JOURNAL_REPORT_EVERY records of this run (@n so far). */
static void report_progress(uint64_t n)
{
	if (JOURNAL_PACE_MS && n % JOURNAL_REPORT_EVERY == 0)
		printf("journal: %llu of %u records flushed; read back %llu times, all intact\n",
		       (unsigned long long)n, JOURNAL_APPEND, (unsigned long long)read_backs);
}

/* Records written this run, as they were written (paced build): what a read-back must find. */
static struct jrec written[JOURNAL_APPEND];

/* A read-back in flight (paced build): the request's tag and how many records it reads. */
struct read_back {
	uint64_t tag;
	uint32_t n;
};
static struct read_back reads[JOURNAL_READS]; /* a queue: reads[reads_head] is the oldest */
static uint32_t reads_head, reads_n;

/* Where read-back k of the queue lands: sector 1 + k x JOURNAL_READ_SECTORS of the data region
 * (sector 0 holds the record being written). */
static uint64_t read_offset(uint32_t k)
{
	return (1u + (uint64_t)k * JOURNAL_READ_SECTORS) * JREC_SIZE;
}

/* Submits read-backs of JOURNAL_READ_SECTORS sectors from @first (fewer at the volume's end),
 * which hold the @n records written this run, until JOURNAL_READS are in flight. Returns
 * false, with a line, if one was refused. */
static bool read_submit(uint64_t first, uint32_t n)
{
	uint64_t left = vol.sectors - first;
	uint32_t count = left < JOURNAL_READ_SECTORS ? (uint32_t)left : JOURNAL_READ_SECTORS;

	while (reads_n < JOURNAL_READS) {
		uint32_t k = (reads_head + reads_n) % JOURNAL_READS;
		uint32_t st =
			blk_submit(&vol, BLK_OP_READ, first, count, read_offset(k), &reads[k].tag);
		if (st != BLK_OK) {
			printf("journal: read-back of sectors %llu..%llu refused: status %u\n",
			       (unsigned long long)first, (unsigned long long)(first + count - 1),
			       st);
			return false;
		}
		reads[k].n = n;
		reads_n++;
	}
	blk_kick(&vol);
	return true;
}

/* Waits for the oldest read-back (of records @first..) and compares each record in it with
 * what was written. Returns false, with a line, if the read failed or a record differs. */
static bool read_check(uint64_t first)
{
	uint32_t k = reads_head;
	uint32_t st = blk_wait_tag(&vol, reads[k].tag);
	const uint8_t *got = data + read_offset(k);

	reads_head = (k + 1u) % JOURNAL_READS;
	reads_n--;
	if (st != BLK_OK) {
		printf("journal: read-back from sector %llu failed: status %u\n",
		       (unsigned long long)first, st);
		return false;
	}
	for (uint32_t i = 0; i < reads[k].n; i++) {
		if (memcmp(got + (size_t)i * JREC_SIZE, &written[i], JREC_SIZE) != 0) {
			printf("journal: read-back of record %llu: not what was written\n",
			       (unsigned long long)first + i);
			return false;
		}
	}
	read_backs++;
	return true;
}

/* The paced build: until record @seq is due (JOURNAL_PACE_MS per record after @first, which
 * started at cycle @start), reads back the records before it, JOURNAL_READS requests at a
 * time; then waits for the last ones. Returns false if one was bad. */
static bool pace(uint64_t first, uint64_t seq, uint64_t start)
{
	if (JOURNAL_PACE_MS == 0 || seq == first)
		return true;
	uint64_t due = start + (seq - first) * JOURNAL_PACE_MS * 1000u * bh_cycles_per_us();

	while (bh_rdtsc() < due)
		if (!read_submit(first, (uint32_t)(seq - first)) || !read_check(first))
			return false;
	while (reads_n > 0)
		if (!read_check(first))
			return false;
	return true;
}

/* Appends records from @first on (see append_more), each written and flushed. Returns how
 * many, or -1 if one failed. */
static int64_t append(uint64_t first)
{
	char text[96];
	uint64_t seq, start = bh_rdtsc();

	for (seq = first; append_more(seq, first); seq++) {
		if (!pace(first, seq, start))
			return -1;
		snprintf(text, sizeof(text), "record %llu of %s", (unsigned long long)seq,
		         bh_name());
		jrec_make((struct jrec *)data, seq, text);
		if (JOURNAL_PACE_MS && seq - first < JOURNAL_APPEND)
			memcpy(&written[seq - first], data, JREC_SIZE);
		uint32_t st = blk_write(&vol, seq, 1, 0);
		if (st == BLK_OK)
			st = blk_flush(&vol);
		if (st != BLK_OK) {
			printf("journal: record %llu not written: status %u\n",
			       (unsigned long long)seq, st);
			return -1;
		}
		report_flushed(seq, seq - first + 1);
		report_progress(seq - first + 1);
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
