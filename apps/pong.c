/* Demo: pong waits for ping's signal, reads ping's message from shared memory, signals back. */
#include <stdio.h>

#include <bh.h>

/*
 * Pong maps "shared" read-only, so it can read what ping wrote but never write
 * back: its only answer is a signal on channel "pp". The region is another
 * domain's memory: pong copies a bounded prefix once and prints it sanitized.
 */
#define PONG_TEXT_MAX 64

static volatile const char *shared;
static size_t shared_size;
static struct bh_channel ping;

static bool open_resources(void)
{
	const struct bh_info_entry *m = bh_lookup("shared", BH_RES_MAP);

	if (!m || !(m->flags & BH_RIGHT_READ) || m->size == 0) {
		printf("no readable map \"shared\" in the manifest\n");
		return false;
	}
	shared = (volatile const char *)(uintptr_t)m->vaddr;
	shared_size = m->size;
	if (!bh_channel_open("pp", &ping)) {
		printf("no channel \"pp\" to ping in the manifest\n");
		return false;
	}
	return true;
}

/* Copies the string at the start of the shared region into @out (@cap bytes), sanitized. */
static void read_shared(char *out, size_t cap)
{
	size_t n = 0;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	while (n + 1 < cap && n < shared_size) {
		char c = shared[n];
		if (c == '\0')
			break;
		out[n++] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	out[n] = '\0';
}

int main(void)
{
	char text[PONG_TEXT_MAX];

	printf("hello from %s\n", bh_name());
	if (!open_resources())
		return 1;
	for (;;) {
		bh_wait_for(ping.bit);
		read_shared(text, sizeof(text));
		printf("got \"%s\"\n", text);
		bh_signal(ping.slot);
	}
}
