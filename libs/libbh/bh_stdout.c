/* libbh: stdout/stderr as lines on the `stdout` ring to the console service. */
#include <stdio.h>
#include <string.h>

#include <bh.h>

#include "bh_internal.h"

static struct bh_ring out_ring;
static bool have_ring;
static bh_output_fn output_hook;
static char line[RING_INLINE_MAX];
static uint32_t line_len;
static uint64_t seq;

/* This domain's client end named "stdout" (the console has only server ends). */
static const struct bh_info_entry *find_stdout(void)
{
	const struct bh_start_info *info = bh_info();
	uint32_t n = info->n_entries < BH_INFO_MAX_ENTRIES ? info->n_entries : BH_INFO_MAX_ENTRIES;

	for (uint32_t i = 0; i < n; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (e->kind == BH_RES_RING && e->flags == BH_RING_CLIENT &&
		    strncmp(e->name, "stdout", sizeof("stdout")) == 0)
			return e;
	}
	return NULL;
}

void bh_stdout_init(void)
{
	have_ring = bh_ring_open_entry(find_stdout(), &out_ring);
	if (have_ring)
		bh_wait_private(out_ring.bit);
}

void bh_set_output(bh_output_fn fn)
{
	output_hook = fn;
}

/* Sends the buffered piece; a broken ring (dead console) silently drops output from then on. */
static void emit(uint16_t flags)
{
	enum ring_status st;

	st = bh_ring_send_flags(&out_ring, BH_MSG_TEXT, flags, seq++, line, line_len);
	if (st != RING_OK)
		have_ring = false;
	line_len = 0;
}

void bh_stdout_write(const char *buf, size_t len)
{
	if (output_hook) {
		output_hook(buf, len);
		return;
	}
	for (size_t i = 0; i < len && have_ring; i++) {
		if (buf[i] == '\n') {
			emit(0);
			continue;
		}
		if (line_len == RING_INLINE_MAX)
			emit(RING_MSG_MORE);
		line[line_len++] = buf[i];
	}
}

void bh_flush(void)
{
	if (have_ring && line_len > 0)
		emit(0);
}
