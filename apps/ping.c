/* Demo: ping writes messages into a shared region and signals pong to read them. */
#include <stdio.h>
#include <string.h>

#include <bh.h>

/*
 * What the manifest (manifests/demo.xml) gives ping:
 *   map "shared"  a 64 KiB region, read-write here, read-only in pong;
 *   channel "pp"  to pong: signal it, and get a bit when pong signals back;
 *   ring "log"    to the console, which prints each line as "ping[log]: ...";
 *   and, like every domain, a "stdout" ring for printf.
 */
#define PING_ROUNDS 5
#define PING_MSG_TEXT 1u /* ring message type the console prints as text */

static volatile char *shared;
static size_t shared_size;
static struct bh_channel pong;
static struct bh_ring log_ring;

static bool open_resources(void)
{
	const struct bh_info_entry *m = bh_lookup("shared", BH_RES_MAP);

	if (!m || !(m->flags & BH_RIGHT_WRITE) || m->size == 0) {
		printf("no writable map \"shared\" in the manifest\n");
		return false;
	}
	shared = (volatile char *)(uintptr_t)m->vaddr;
	shared_size = m->size;
	if (!bh_channel_open("pp", &pong)) {
		printf("no channel \"pp\" to pong in the manifest\n");
		return false;
	}
	if (!bh_ring_open("log", &log_ring)) {
		printf("no ring \"log\" in the manifest\n");
		return false;
	}
	return true;
}

/* Writes @text, NUL-terminated, at the start of the shared region. */
static void share(const char *text)
{
	size_t n = strnlen(text, shared_size - 1);

	for (size_t i = 0; i < n; i++)
		shared[i] = text[i];
	shared[n] = '\0';
	__atomic_thread_fence(__ATOMIC_RELEASE); /* the text before the signal */
}

static void round_trip(int round)
{
	char text[32];

	snprintf(text, sizeof(text), "msg %d", round);
	share(text);
	printf("round %d: wrote \"%s\", signalling pong\n", round, text);
	bh_signal(pong.slot);
	bh_wait_for(pong.bit);
	printf("round %d: pong answered\n", round);
}

static void log_line(const char *text)
{
	enum ring_status st = bh_ring_send(&log_ring, PING_MSG_TEXT, 0, text, strlen(text));

	if (st != RING_OK)
		printf("log ring failed (%d)\n", (int)st);
}

int main(void)
{
	printf("hello from %s\n", bh_name());
	if (!open_resources())
		return 1;
	for (int round = 1; round <= PING_ROUNDS; round++)
		round_trip(round);
	log_line("ping finished its rounds");
	log_line("this line travelled over the \"log\" ring, not stdout");
	log_line("the console prints it with the ring's name");
	printf("done\n");
	return 0;
}
