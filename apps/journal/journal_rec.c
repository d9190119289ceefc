/* Journal records: one checksummed record per sector, and the replay that counts intact ones. */
#include "journal_rec.h"

#include <stddef.h>
#include <string.h>

uint32_t jrec_crc32(const void *buf, uint32_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffffu;

	for (uint32_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

void jrec_make(struct jrec *out, uint64_t seq, const char *text)
{
	size_t len = strlen(text);

	memset(out, 0, sizeof(*out));
	out->magic = JREC_MAGIC;
	out->seq = seq;
	out->len = (uint32_t)(len < JREC_TEXT ? len : JREC_TEXT);
	memcpy(out->text, text, out->len);
	out->crc = jrec_crc32(out, offsetof(struct jrec, crc));
}

bool jrec_intact(const void *sector, uint64_t seq)
{
	struct jrec r;

	memcpy(&r, sector, sizeof(r));
	return r.magic == JREC_MAGIC && r.seq == seq && r.len <= JREC_TEXT &&
	       r.crc == jrec_crc32(&r, offsetof(struct jrec, crc));
}

uint64_t jrec_count(const void *sectors, uint64_t n, uint64_t first_seq)
{
	const uint8_t *p = sectors;
	uint64_t i = 0;

	while (i < n && jrec_intact(p + i * JREC_SIZE, first_seq + i))
		i++;
	return i;
}
