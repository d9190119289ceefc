/* Network benchmark domain: UDP echo round trips and TCP bulk transfers to the host's peer over libnet on a port, counted in guest instructions. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net_port.h>

#include "net_workload.h"

/*
 * Booted by `bulkhead bench` (tools/bulkhead/netbench.py) in tests/bench/net.xml (its port
 * served by the virtio-net driver) and tests/bench/net_sw.xml (by the virtual switch), on
 * QEMU's user network with the peer on the host. Measured the way
 * tests/bench/linux/netbench.c measures Linux: under -icount the TSC counts guest
 * instructions while the CPU runs, so this domain never sleeps. When a call has nothing for
 * it, it waits in a loop of SPIN_INSNS instructions on the ring's producer index, counting
 * its turns (at most SPIN_LIMIT, then the stack's timers run), then polls its port
 * (net_port_poll, which never sleeps); a workload's work is its TSC delta less those turns'
 * instructions: the driver's, the switch's, the kernel's and this domain's own work. A
 * workload that takes more than BUDGET_CYCLES fails (an ERROR line, no figure), so a
 * stalled transfer cannot hang the bench.
 * Prints `BENCH NAME VALUE`, `BEGIN NAME` / `END NAME bytes=N` for the host's wall clock,
 * INFO lines with the raw counts; then `DONE`. The UDP figure is the median of the round
 * trips' work (the mean, net_udp64_rtt_mean, moves with the host's timing: see
 * docs/testing.md).
 */
#define SPIN_INSNS 6u /* the wait loop: incq, cmpq, jae, movl, cmpl, je */
#define SPIN_LIMIT (1ull << 20)
#define BUDGET_CYCLES 20000000000ull /* a workload's guest time at most (20 s): then it fails */

static struct net_stack stack;
static struct net_port port;
static uint8_t pattern[NW_PERIOD + NW_CHUNK]; /* pattern[j] = nw_byte(j) */
static uint8_t rx_buf[NW_CHUNK];
static uint32_t trip_work[NW_UDP_COUNT]; /* each UDP round trip's work */
static uint64_t turns;                   /* wait-loop turns of the current workload */
static uint64_t deadline;                /* the TSC at which the current workload gives up */
static const char *current;              /* the current workload's name */
static bool over;                        /* it spent its budget */

/* Waits until the server's producer index moves past what we took, or SPIN_LIMIT turns.
 * Returns the loop's turns past the first. */
static uint64_t spin(void)
{
	uint64_t t = 0, limit = SPIN_LIMIT;
	uint32_t seen = port.ring.ring.rx_cons;

	__asm__ volatile("1:\n\t"
	                 "incq %0\n\t"
	                 "cmpq %3, %0\n\t"
	                 "jae 2f\n\t"
	                 "movl (%1), %%eax\n\t"
	                 "cmpl %%eax, %2\n\t"
	                 "je 1b\n"
	                 "2:"
	                 : "+r"(t)
	                 : "r"(&port.ring.ring.rx->prod), "r"(seen), "r"(limit)
	                 : "eax", "cc", "memory");
	return t - 1;
}

/* Where the UDP round trips' cycles go, as this domain sees them (report_split), while
 * split.on. */
static struct {
	bool on;
	uint64_t send;  /* sendto and the flush, with what the flush's signal lets the driver do */
	uint64_t taken; /* net_port_poll calls that took answers: the port, the stack's input */
	uint64_t empty; /* net_port_poll calls that found nothing */
	uint32_t n_taken, n_empty;
} split;

/* Starts the budget of workload @name. */
static void budget(const char *name)
{
	current = name;
	over = false;
	deadline = bh_rdtsc() + BUDGET_CYCLES;
}

/* Publishes what is queued, waits for the next answer (at once if one is there) and takes
 * what came. Returns the messages taken, or a negative number once the port broke or the
 * workload's budget is spent. Waiting first, then polling, keeps every look that finds
 * nothing inside the counted loop, as Linux's empty poll() turns are counted and subtracted:
 * the work is what handles an answer. */
static int pump(void)
{
	if (over || bh_rdtsc() > deadline) {
		if (!over)
			bh_say("ERROR %s: more than %llu cycles: given up", current, BUDGET_CYCLES);
		over = true;
		return -1;
	}
	net_port_flush(&port);
	turns += spin();
	uint64_t t0 = split.on ? bh_rdtsc() : 0;
	int n = net_port_poll(&stack, &port);

	if (split.on) {
		uint64_t dt = bh_rdtsc() - t0;
		split.taken += n > 0 ? dt : 0;
		split.empty += n > 0 ? 0 : dt;
		split.n_taken += n > 0;
		split.n_empty += n <= 0;
	}
	return n;
}

/* One UDP round trip from @sock: sends @out, waits, takes the answer into @in. Returns 0 or
 * -1. */
static int udp_round_trip(int sock, const uint8_t *out, uint8_t *in)
{
	uint32_t ip;
	uint16_t from;
	int n;

	uint64_t t0 = bh_rdtsc();
	if (net_udp_sendto(&stack, sock, NW_PEER_IP, NW_UDP_PORT, out, NW_UDP_BYTES) < 0)
		return -1;
	net_port_flush(&port);
	split.send += bh_rdtsc() - t0;
	while ((n = net_udp_recvfrom(&stack, sock, in, NW_UDP_BYTES + 1u, &ip, &from)) ==
	       NET_EAGAIN)
		if (pump() < 0)
			return -1;
	return n == (int)NW_UDP_BYTES && memcmp(out, in, NW_UDP_BYTES) == 0 ? 0 : -1;
}

/* Runs @count (<= NW_UDP_COUNT) round trips, keeping each one's work (its TSC delta less
 * its wait loop's turns) in trip_work; returns 0 or -1 after saying what failed. */
static int udp_rounds(int sock, uint32_t count)
{
	uint8_t in[NW_UDP_BYTES + 1u];

	for (uint32_t i = 0; i < count; i++) {
		uint64_t t0 = bh_rdtsc(), turns0 = turns;
		if (udp_round_trip(sock, pattern + i % NW_PERIOD, in) != 0) {
			bh_say("ERROR net_udp: round trip %u failed or came back changed", i);
			return -1;
		}
		uint64_t dt = bh_rdtsc() - t0, polling = SPIN_INSNS * (turns - turns0);
		trip_work[i] = (uint32_t)(dt - (polling < dt ? polling : dt));
	}
	return 0;
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Prints where a round trip's cycles go on average: sendto and the flush, the polls that
 * took answers, those that found nothing, and the rest (@work: the mean round trip): the
 * device's interrupts, the driver's receive path and the switches between domains. */
static void report_split(uint64_t work)
{
	uint64_t n = NW_UDP_COUNT, send = split.send / n, taken = split.taken / n;
	uint64_t empty = split.empty / n, seen = send + taken + empty;

	bh_say("INFO net_udp_split send=%llu polls_taking=%llu calls_taking=%u polls_empty=%llu "
	       "calls_empty=%u rest=%llu",
	       (unsigned long long)send, (unsigned long long)taken, split.n_taken,
	       (unsigned long long)empty, split.n_empty,
	       (unsigned long long)(work > seen ? work - seen : 0));
}

/* Prints the round trips' spread (trip_work, sorted here) and their median as the figure. */
static void report_trips(void)
{
	uint32_t n = NW_UDP_COUNT;

	qsort(trip_work, n, sizeof(trip_work[0]), by_value);
	bh_say("INFO net_udp_trips min=%u quartile=%u median=%u quartile3=%u max=%u", trip_work[0],
	       trip_work[n / 4], trip_work[n / 2], trip_work[n * 3 / 4], trip_work[n - 1]);
	bh_say("BENCH net_udp64_rtt %u", trip_work[n / 2]);
}

/* Prints the INFO line and the figure @bench of workload @name (@units: its round trips or
 * bytes; @per_milli: per 1000 units). */
static void report(const char *name, uint64_t tsc, uint64_t units, const char *bench, int per_milli)
{
	uint64_t polling = SPIN_INSNS * turns;
	uint64_t work = tsc - (polling < tsc ? polling : tsc);

	bh_say("INFO %s units=%llu tsc=%llu polling=%llu turns=%llu work=%llu tx_no_buffer=%llu "
	       "retransmits=%llu",
	       name, (unsigned long long)units, (unsigned long long)tsc,
	       (unsigned long long)polling, (unsigned long long)turns, (unsigned long long)work,
	       (unsigned long long)port.cnt.tx_no_buffer,
	       (unsigned long long)stack.cnt.tcp_retransmits);
	bh_say("BENCH %s %llu", bench,
	       (unsigned long long)(per_milli ? work * 1000 / units : work / units));
}

/* After workload @name: libnet's counters that tell lost or reordered frames, and (through
 * the switch, whose manifest gives channel stats) a signal that makes the switch print its
 * counters. */
static void report_losses(const char *name)
{
	struct bh_channel stats;

	bh_say("INFO %s_losses rx_frames=%llu tx_frames=%llu out_of_order=%llu ooo_dropped=%llu "
	       "out_of_window=%llu fast_retransmits=%llu timeouts=%llu tx_no_buffer=%llu",
	       name, (unsigned long long)stack.cnt.rx_frames,
	       (unsigned long long)stack.cnt.tx_frames,
	       (unsigned long long)stack.cnt.tcp_out_of_order,
	       (unsigned long long)stack.cnt.tcp_ooo_dropped,
	       (unsigned long long)stack.cnt.tcp_out_of_window,
	       (unsigned long long)stack.cnt.tcp_fast_retransmits,
	       (unsigned long long)stack.cnt.tcp_timeouts,
	       (unsigned long long)port.cnt.tx_no_buffer);
	if (bh_channel_open("stats", &stats))
		(void)bh_signal(stats.slot);
}

/* The UDP echo workload: NW_UDP_COUNT round trips of NW_UDP_BYTES, after a warm-up. */
static void run_udp(void)
{
	int sock = net_udp_bind(&stack, 0);

	budget("net_udp");
	if (sock < 0 || udp_rounds(sock, NW_UDP_WARMUP) != 0) {
		bh_say("ERROR net_udp: no socket, or the warm-up failed");
		return;
	}
	turns = 0;
	budget("net_udp");
	memset(&split, 0, sizeof(split));
	split.on = true;
	bh_say("BEGIN net_udp");
	uint64_t a = bh_rdtsc();
	int failed = udp_rounds(sock, NW_UDP_COUNT);
	uint64_t b = bh_rdtsc();
	split.on = false;
	bh_say("END net_udp bytes=%u", NW_UDP_COUNT * NW_UDP_BYTES);
	if (!failed) {
		uint64_t polling = SPIN_INSNS * turns;
		report("net_udp", b - a, NW_UDP_COUNT, "net_udp64_rtt_mean", 0);
		report_split((b - a - (polling < b - a ? polling : b - a)) / NW_UDP_COUNT);
		report_trips();
	}
	report_losses("net_udp");
	(void)net_udp_close(&stack, sock);
}

/* Connects to the peer's @peer_port; returns the socket or -1. */
static int tcp_open(uint16_t peer_port)
{
	int sock = net_tcp_connect(&stack, NW_PEER_IP, peer_port);

	if (sock < 0)
		return -1;
	net_port_flush(&port);
	while (!(net_ready(&stack, sock) & (NET_CONNECTED | NET_ERROR)))
		if (pump() < 0)
			return -1;
	return net_ready(&stack, sock) & NET_ERROR ? -1 : sock;
}

/* Sends all of @len bytes of @p on @sock. Returns 0 or -1. */
static int send_all(int sock, const uint8_t *p, uint32_t len)
{
	while (len > 0) {
		int n = net_tcp_send(&stack, sock, p, len);
		if (n < 0 && n != NET_EAGAIN)
			return -1;
		if (n > 0) {
			p += n;
			len -= (uint32_t)n;
		} else if (pump() < 0) {
			return -1;
		}
	}
	net_port_flush(&port);
	return 0;
}

/* Receives the next read of @sock into rx_buf; returns its length, or -1 at the end of the
 * stream or an error. */
static int recv_some(int sock)
{
	for (;;) {
		int n = net_tcp_recv(&stack, sock, rx_buf, sizeof(rx_buf));
		if (n > 0)
			return n;
		if (n != NET_EAGAIN || pump() < 0)
			return -1;
	}
}

/* Receives the source's NW_TCP_BYTES, checking the first 8 bytes of every read against the
 * pattern (a constant cost per call). Returns 0 or -1 after saying what failed. */
static int tcp_receive(int sock)
{
	for (uint64_t got = 0; got < NW_TCP_BYTES;) {
		int n = recv_some(sock);
		if (n < 0) {
			bh_say("ERROR net_tcp_rx: the stream ended after %llu bytes",
			       (unsigned long long)got);
			return -1;
		}
		if (memcmp(rx_buf, pattern + got % NW_PERIOD, n < 8 ? (size_t)n : 8u) != 0) {
			bh_say("ERROR net_tcp_rx: wrong data at byte %llu",
			       (unsigned long long)got);
			return -1;
		}
		got += (uint64_t)n;
	}
	return 0;
}

/* Sends NW_TCP_BYTES of the pattern to the sink; returns 0 if its CRC-32 answer is @want,
 * else -1 after saying what failed. */
static int tcp_send(int sock, uint32_t want)
{
	uint32_t got = 0;

	for (uint64_t sent = 0; sent < NW_TCP_BYTES;) {
		uint64_t left = NW_TCP_BYTES - sent, len = left < NW_CHUNK ? left : NW_CHUNK;
		if (send_all(sock, pattern + sent % NW_PERIOD, (uint32_t)len) != 0) {
			bh_say("ERROR net_tcp_tx: the connection failed after %llu bytes",
			       (unsigned long long)sent);
			return -1;
		}
		sent += len;
	}
	for (uint32_t have = 0; have < 4;) {
		int n = recv_some(sock);
		for (int i = 0; i < n && have < 4; i++)
			got |= (uint32_t)rx_buf[i] << (8 * have++);
		if (n < 0) {
			bh_say("ERROR net_tcp_tx: no answer from the sink");
			return -1;
		}
	}
	if (got != want)
		bh_say("ERROR net_tcp_tx: the sink's CRC-32 is %08x, not %08x", got, want);
	return got == want ? 0 : -1;
}

/* One TCP workload to the peer's @peer_port: @name's begin and end lines around the request
 * and the transfer; the figure @bench in instructions per 1000 bytes. */
static void run_tcp(const char *name, uint16_t peer_port, const char *bench, uint32_t want)
{
	uint8_t count[8];
	budget(name);
	int sock = tcp_open(peer_port), failed;

	for (int i = 0; i < 8; i++)
		count[i] = (uint8_t)((uint64_t)NW_TCP_BYTES >> (8 * i));
	if (sock < 0) {
		bh_say("ERROR %s: no connection to the peer's port %u", name, peer_port);
		return;
	}
	turns = 0;
	budget(name);
	bh_say("BEGIN %s", name);
	uint64_t a = bh_rdtsc();
	failed = send_all(sock, count, sizeof(count));
	if (!failed)
		failed = peer_port == NW_SOURCE_PORT ? tcp_receive(sock) : tcp_send(sock, want);
	uint64_t b = bh_rdtsc();
	bh_say("END %s bytes=%u", name, NW_TCP_BYTES);
	if (!failed)
		report(name, b - a, NW_TCP_BYTES, bench, 1);
	report_losses(name);
	(void)net_tcp_close(&stack, sock);
	(void)net_port_poll(&stack, &port);
}

/* libnet's checksum loop (net_internal.h, not part of its interface): timed by costs(). */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len);

/* Prints what the per-byte steps of the stack cost here, for reading the TCP figures:
 * guest instructions per 1000 bytes of the Internet checksum and of memcpy, over NW_CHUNK
 * bytes. */
static void costs(void)
{
	uint64_t a = bh_rdtsc();
	uint32_t sum = net_csum_add(0, pattern, NW_CHUNK);
	uint64_t b = bh_rdtsc();
	memcpy(rx_buf, pattern, NW_CHUNK);
	uint64_t c = bh_rdtsc();

	bh_say("INFO costs csum_milli=%llu memcpy_milli=%llu sum=%u",
	       (unsigned long long)((b - a) * 1000 / NW_CHUNK),
	       (unsigned long long)((c - b) * 1000 / NW_CHUNK), sum);
}

/**
 * The bench domain: opens port `net` (data map `net-data`) as 10.0.2.15/24, runs the
 * workloads of net_workload.h against the host's peer and says `DONE`. Needs: the manifest's
 * ring and map, QEMU's user network. Returns: 0 (the figures, or ERROR lines, are on the
 * console).
 */
int main(void)
{
	struct net_config cfg = {.ip = NW_GUEST_IP, .netmask = NW_NETMASK, .gateway = NW_PEER_IP};

	for (uint32_t j = 0; j < sizeof(pattern); j++)
		pattern[j] = nw_byte(j);
	uint32_t want = nw_pattern_crc(pattern, NW_TCP_BYTES);
	cfg.seed = (uint32_t)bh_rdtsc();
	int err = net_port_open(&port, &stack, "net", "net-data", &cfg);
	if (err) {
		bh_say("ERROR no network port (error %d)", err);
	} else {
		bh_say("INFO port rx_buffers=%u tx_buffers=%u", port.n_rx, port.n_bufs - port.n_rx);
		costs();
		run_udp();
		run_tcp("net_tcp_rx", NW_SOURCE_PORT, "net_tcp_rx_byte_milli", want);
		run_tcp("net_tcp_tx", NW_SINK_PORT, "net_tcp_tx_byte_milli", want);
	}
	bh_say("DONE");
	return 0;
}
