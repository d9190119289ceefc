/* Journal records: one checksummed record per sector, and the replay that counts intact ones. */
#ifndef JOURNAL_REC_H
#define JOURNAL_REC_H

#include <stdbool.h>
#include <stdint.h>

#define JREC_SIZE 512u
#define JREC_MAGIC 0x4c4e524au /* "JRNL" */
#define JREC_TEXT 480u

/*
 * Record n lies in sector n of the volume: magic, its sequence number n, the text length,
 * the text, and a CRC-32 (IEEE) of everything before it. A torn or stale sector fails the
 * magic, the sequence or the CRC, and the replay stops there: no torn record is accepted.
 */
struct jrec {
	uint32_t magic;
	uint32_t len; /* bytes of text */
	uint64_t seq;
	char text[JREC_TEXT];
	uint8_t pad[JREC_SIZE - 16 - JREC_TEXT - 4];
	uint32_t crc;
};
_Static_assert(sizeof(struct jrec) == JREC_SIZE, "one record per sector");

/** CRC-32 (IEEE 802.3, reflected, as zlib) of @len bytes at @buf. Returns: the CRC. */
uint32_t jrec_crc32(const void *buf, uint32_t len);

/**
 * Writes record @seq with @text (cut to JREC_TEXT bytes) into @out, checksummed.
 * Needs: @text a C string. Returns: nothing.
 */
void jrec_make(struct jrec *out, uint64_t seq, const char *text);

/**
 * Says whether the 512 bytes at @sector hold an intact record number @seq.
 * Needs: @sector readable for JREC_SIZE bytes (any contents). Returns: true if intact.
 */
bool jrec_intact(const void *sector, uint64_t seq);

/**
 * Counts the intact records at the start of @n sectors at @sectors, which hold records
 * @first_seq, @first_seq + 1, ...: it stops at the first that is not intact.
 * Returns: how many are intact (0 .. @n).
 */
uint64_t jrec_count(const void *sectors, uint64_t n, uint64_t first_seq);

#endif
