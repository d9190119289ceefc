/* Console service: owns COM1 and prints every domain's stdout ring and the kernel log. */
#include <stdio.h>
#include <string.h>

#include <bh.h>

#include "klog.h"
#include "line.h"
#include "tail.h"
#include "uart.h"

/*
 * Every server-side ring in the start-info page is a client of the console: rings
 * named "stdout" carry a domain's output and print as "PEER: line", any other ring
 * (e.g. "log") prints as "PEER[NAME]: line". Messages of type BH_MSG_TEXT are
 * text; a record ends with the first message without RING_MSG_MORE. Everything in a
 * ring is hostile: libring checks indices and lengths, the line buffer bounds lines
 * and replaces what is not printable.
 */
#define CONSOLE_BATCH 32u /* messages per ring per pass: one chatty client cannot starve others */
#define CONSOLE_MAX_CLIENTS BH_INFO_MAX_ENTRIES
#define CONSOLE_UART_PORTS 8u

struct client {
	struct ring ring;
	uint32_t slot;         /* capability to signal the client */
	bool dead;             /* ring broken: reported once, ignored since */
	bool ignored_type;     /* reported a message that is not text once */
	uint32_t record_bytes; /* bytes of the current record so far */
	char peer[BH_INFO_NAME_LEN + 1];
	struct line line;
};

static struct client clients[CONSOLE_MAX_CLIENTS];
static uint32_t n_clients;

/* Copies a name from the info page; it may lack its NUL. */
static void copy_name(char *dst, const char *src)
{
	size_t n = strnlen(src, BH_INFO_NAME_LEN);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void say(const char *fmt, const char *a)
{
	char msg[160];

	snprintf(msg, sizeof(msg), fmt, a);
	uart_puts(msg);
}

static bool open_uart(void)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries && i < BH_INFO_MAX_ENTRIES; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (e->kind == BH_RES_IOPORT && e->size >= CONSOLE_UART_PORTS &&
		    e->vaddr + CONSOLE_UART_PORTS <= 0x10000) {
			uart_init((uint16_t)e->vaddr);
			return true;
		}
	}
	return false;
}

static void add_client(const struct bh_info_entry *e)
{
	struct client *c = &clients[n_clients];
	char name[BH_INFO_NAME_LEN + 1];
	char prefix[LINE_PREFIX_MAX];

	copy_name(c->peer, e->peer);
	copy_name(name, e->name);
	if (ring_attach(&c->ring, (void *)(uintptr_t)e->vaddr, e->size, RING_ROLE_SERVER) !=
	    RING_OK) {
		say("console: ring from %s has a bad geometry, ignoring it\r\n", c->peer);
		return;
	}
	if (strcmp(name, "stdout") == 0)
		snprintf(prefix, sizeof(prefix), "%s: ", c->peer);
	else
		snprintf(prefix, sizeof(prefix), "%s[%s]: ", c->peer, name);
	line_init(&c->line, prefix);
	c->line.tail = tail_source_for(c->peer);
	c->slot = e->slot;
	n_clients++;
}

static void open_resources(void)
{
	const struct bh_start_info *info = bh_info();

	for (uint32_t i = 0; i < info->n_entries && i < BH_INFO_MAX_ENTRIES; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (e->kind == BH_RES_MAP &&
		    strncmp(e->name, "console-tail", sizeof("console-tail")) == 0 &&
		    (e->flags & BH_RIGHT_WRITE))
			tail_open((void *)(uintptr_t)e->vaddr, e->size);
	}
	for (uint32_t i = 0; i < info->n_entries && i < BH_INFO_MAX_ENTRIES; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (e->kind == BH_RES_RING && e->flags == BH_RING_SERVER)
			add_client(e);
		else if (e->kind == BH_RES_KLOG && !klog_open(e))
			uart_puts("console: kernel log entry is malformed, not reading it\r\n");
	}
}

/* Ends a record: prints a partial line; a record with no bytes at all is an empty line. */
static void end_record(struct client *c)
{
	if (c->line.len > 0 || c->record_bytes == 0)
		line_flush(&c->line);
	c->record_bytes = 0;
}

static void handle_msg(struct client *c, const struct ring_msg *m)
{
	if (m->type != BH_MSG_TEXT || (m->flags & RING_MSG_DATA)) {
		if (!c->ignored_type)
			say("console: %s sent a message that is not text, ignoring such\r\n",
			    c->peer);
		c->ignored_type = true;
		return;
	}
	line_feed(&c->line, m->data, m->len);
	c->record_bytes += m->len;
	if (!(m->flags & RING_MSG_MORE))
		end_record(c);
}

static void mark_dead(struct client *c)
{
	c->dead = true;
	say("console: ring from %s broken, ignoring it\r\n", c->peer);
}

/* Handles up to @max messages. Returns: true if more may be waiting. */
static bool drain_client(struct client *c, uint32_t max)
{
	struct ring_msg m;
	bool notify;

	for (uint32_t i = 0; i < max; i++) {
		enum ring_status st = ring_recv(&c->ring, &m, &notify);
		if (st == RING_EMPTY)
			return false;
		if (st != RING_OK) {
			mark_dead(c);
			return false;
		}
		if (notify)
			bh_signal(c->slot);
		handle_msg(c, &m);
	}
	return true;
}

/* True iff the @len bytes at @text hold @word at offset @at. */
static bool has_at(const char *text, uint32_t len, size_t at, const char *word)
{
	size_t n = strlen(word);

	return at <= len && n <= len - at && memcmp(text + at, word, n) == 0;
}

/*
 * Runs before every kernel line. A line about a domain ("bulkhead: domain NAME ...") comes
 * after everything that domain wrote before it: its rings are drained first (a ring holds
 * at most nslots messages, so nslots reach all that was published before the line). If the
 * line ends the domain ("stopped", "exited"), its partial line is printed as a line: the
 * domain will not finish it. Other rings are left alone: their lines may be newer.
 */
static void before_kernel_line(const char *text, uint32_t len)
{
	static const char about[] = "bulkhead: domain ";
	size_t at = sizeof(about) - 1;

	if (!has_at(text, len, 0, about))
		return;
	for (uint32_t i = 0; i < n_clients; i++) {
		struct client *c = &clients[i];
		size_t end = at + strlen(c->peer);
		if (!has_at(text, len, at, c->peer) || !has_at(text, len, end, " "))
			continue;
		if (!c->dead)
			(void)drain_client(c, c->ring.nslots);
		if (has_at(text, len, end, " stopped") || has_at(text, len, end, " exited")) {
			if (c->line.len > 0)
				line_flush(&c->line);
			c->record_bytes = 0;
		}
	}
}

/* One fair pass over every source. Returns: true if any source may have more. */
static bool drain_all(void)
{
	bool more = klog_drain(before_kernel_line);

	for (uint32_t i = 0; i < n_clients; i++)
		if (!clients[i].dead && drain_client(&clients[i], CONSOLE_BATCH))
			more = true;
	return more;
}

/* Asks every client to signal on its next message. Returns: true if one arrived meanwhile. */
static bool arm_all(void)
{
	bool ready = klog_pending();

	for (uint32_t i = 0; i < n_clients; i++) {
		struct client *c = &clients[i];
		if (c->dead)
			continue;
		if (ring_rx_arm(&c->ring)) {
			if (ring_is_broken(&c->ring))
				mark_dead(c);
			else
				ready = true;
		}
	}
	return ready;
}

int main(void)
{
	char msg[64];

	/* Without a port to talk through there is nothing useful left to do. */
	if (!open_uart())
		bh_exit(1);
	/* Stray libc output (abort messages) goes out raw. */
	bh_set_output(uart_write);
	open_resources();
	snprintf(msg, sizeof(msg), "console: ready, %u clients\r\n", (unsigned)n_clients);
	uart_puts(msg);
	for (;;) {
		while (drain_all())
			;
		if (!arm_all())
			bh_wait();
	}
}
