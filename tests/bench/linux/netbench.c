/* The Linux side of the network benchmark: UDP echo round trips and TCP bulk transfers to the host's peer, counted in guest instructions. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "linux_probe.h"
#include "net_workload.h"

/*
 * Run as the initramfs's program by its /init (tools/bulkhead/netbench.py), with
 * virtio_net loaded. Measured as blkbench measures storage (docs/testing.md): under
 * `-icount shift=0,sleep=off` the TSC counts guest instructions while the CPU runs, and a
 * halted CPU would jump it, so the program never sleeps. It waits with poll() and a zero
 * timeout in a loop, counting the empty turns; the cost of one empty turn is calibrated on
 * each socket before its workload (the least over CALIB_BATCHES batches with nothing
 * arriving), and a workload's work is its TSC delta less turns x cost: the kernel's
 * network stack, the driver, the interrupts and this program's own calls.
 * Prints `netbench: BENCH NAME VALUE`, `BEGIN NAME` / `END NAME bytes=N` for the host's
 * wall clock, INFO lines with the raw counts, WARNING if the CPU idled; then `DONE`. The
 * UDP figure is the median of the round trips' work; their mean is net_udp64_rtt_mean.
 */

#define CALIB_TURNS 2000u
#define CALIB_BATCHES 10u
#define NO_LIMIT UINT64_MAX

struct sample {
	uint64_t tsc, idle_ns, net_irqs;
	long blocked;
};

/* One workload's counts: the empty poll turns and what one costs. */
struct wait_count {
	uint64_t turns, cost;
};

static uint8_t pattern[NW_PERIOD + NW_CHUNK]; /* pattern[j] = nw_byte(j) */
static uint8_t rx_buf[NW_CHUNK];
static uint32_t trip_work[NW_UDP_COUNT]; /* each UDP round trip's work */

/* Prints one console line at once. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("netbench: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

/* Samples the counters at the start of a measurement: the slow reads first, the TSC last. */
static void sample_begin(struct sample *s)
{
	s->idle_ns = linux_probe_idle_ns();
	s->net_irqs = linux_probe_irqs("virtio");
	s->blocked = linux_probe_switches();
	s->tsc = linux_probe_tsc();
}

/* Samples the counters at the end of a measurement: the TSC first. */
static void sample_end(struct sample *s)
{
	s->tsc = linux_probe_tsc();
	s->blocked = linux_probe_switches();
	s->net_irqs = linux_probe_irqs("virtio");
	s->idle_ns = linux_probe_idle_ns();
}

/* Sets one address of eth0 by ioctl @request; returns 0 or -1 after saying why. */
static int set_address(int fd, unsigned long request, uint32_t ip, const char *what)
{
	struct ifreq ifr;
	struct sockaddr_in *a = (struct sockaddr_in *)(void *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "eth0", IFNAMSIZ - 1);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(ip);
	if (ioctl(fd, request, &ifr) == 0)
		return 0;
	say("ERROR eth0 %s: %s", what, strerror(errno));
	return -1;
}

/* Brings eth0 up as NW_GUEST_IP/24 (the driver may still be probing it); returns 0 or -1. */
static int bring_up(void)
{
	struct timespec ms10 = {.tv_sec = 0, .tv_nsec = 10000000L};
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), got = -1;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "eth0", IFNAMSIZ - 1);
	for (int i = 0; i < 500 && got != 0; i++) {
		got = ioctl(fd, SIOCGIFFLAGS, &ifr);
		if (got != 0)
			nanosleep(&ms10, NULL);
	}
	ifr.ifr_flags |= IFF_UP;
	if (got != 0 || ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
		say("ERROR no eth0 to bring up: %s", strerror(errno));
		close(fd);
		return -1;
	}
	got = set_address(fd, SIOCSIFADDR, NW_GUEST_IP, "address");
	got = got ? got : set_address(fd, SIOCSIFNETMASK, NW_NETMASK, "netmask");
	close(fd);
	return got;
}

/* Waits until @fd is ready for @events, polling without a timeout, at most @limit empty
 * turns. Returns the empty turns. */
static uint64_t wait_ready(int fd, short events, uint64_t limit)
{
	struct pollfd p = {.fd = fd, .events = events};
	uint64_t turns = 0;

	while (turns < limit && poll(&p, 1, 0) == 0)
		turns++;
	return turns;
}

/* Returns the instructions of one empty turn of wait_ready on @fd, where nothing arrives:
 * the least per-turn cost of CALIB_BATCHES batches (the one a timer tick disturbed least). */
static uint64_t calibrate(int fd, const char *name)
{
	uint64_t best = UINT64_MAX;

	for (uint32_t b = 0; b < CALIB_BATCHES; b++) {
		uint64_t a = linux_probe_tsc(), turns = wait_ready(fd, POLLIN, CALIB_TURNS);
		uint64_t per = (linux_probe_tsc() - a) / CALIB_TURNS;
		if (turns != CALIB_TURNS) {
			say("ERROR %s: data arrived while calibrating the wait", name);
			return 0;
		}
		best = per < best ? per : best;
	}
	say("INFO calibrate %s turn_insns=%llu", name, (unsigned long long)best);
	return best;
}

/* Returns a socket of @type connected to the peer's @port, or -1 after saying why. */
static int peer_socket(int type, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, type, 0);

	a.sin_addr.s_addr = htonl(NW_PEER_IP);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	say("ERROR connect to the peer's port %u: %s", port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Prints the INFO line and the figures of workload @name (@units: its round trips or bytes). */
static void report(const char *name, const struct sample *a, const struct sample *b,
                   const struct wait_count *w, uint64_t units, const char *bench, int per_milli)
{
	uint64_t total = b->tsc - a->tsc, polling = w->turns * w->cost;
	uint64_t work = total - (polling < total ? polling : total);

	say("INFO %s units=%llu tsc=%llu polling=%llu turns=%llu work=%llu net_irqs=%llu "
	    "blocked=%ld idle_ns=%llu",
	    name, (unsigned long long)units, (unsigned long long)total, (unsigned long long)polling,
	    (unsigned long long)w->turns, (unsigned long long)work,
	    (unsigned long long)(b->net_irqs - a->net_irqs), b->blocked - a->blocked,
	    (unsigned long long)(b->idle_ns - a->idle_ns));
	if (b->idle_ns != a->idle_ns || b->blocked != a->blocked)
		say("WARNING %s: the program slept or the CPU idled: its figures include idle time",
		    name);
	say("BENCH %s %llu", bench,
	    (unsigned long long)(per_milli ? work * 1000 / units : work / units));
}

/* One UDP round trip: sends @out, waits, takes the answer into @in. Returns 0 or -1. */
static int udp_round_trip(int fd, const uint8_t *out, uint8_t *in, struct wait_count *w)
{
	if (send(fd, out, NW_UDP_BYTES, MSG_DONTWAIT) != (ssize_t)NW_UDP_BYTES)
		return -1;
	w->turns += wait_ready(fd, POLLIN, NO_LIMIT);
	if (recv(fd, in, NW_UDP_BYTES + 1u, MSG_DONTWAIT) != (ssize_t)NW_UDP_BYTES)
		return -1;
	return memcmp(out, in, NW_UDP_BYTES) == 0 ? 0 : -1;
}

/* Runs @count (<= NW_UDP_COUNT) round trips, keeping each one's work (its TSC delta less
 * its empty turns' cost) in trip_work; returns 0 or -1 after saying what failed. */
static int udp_rounds(int fd, uint32_t count, struct wait_count *w)
{
	uint8_t in[NW_UDP_BYTES + 1u];

	for (uint32_t i = 0; i < count; i++) {
		uint64_t t0 = linux_probe_tsc(), turns0 = w->turns;
		if (udp_round_trip(fd, pattern + i % NW_PERIOD, in, w) != 0) {
			say("ERROR net_udp: round trip %u failed or came back changed (%s)", i,
			    strerror(errno));
			return -1;
		}
		uint64_t dt = linux_probe_tsc() - t0, polling = w->cost * (w->turns - turns0);
		trip_work[i] = (uint32_t)(dt - (polling < dt ? polling : dt));
	}
	return 0;
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Prints the round trips' spread (trip_work, sorted here) and their median as the figure. */
static void report_trips(void)
{
	uint32_t n = NW_UDP_COUNT;

	qsort(trip_work, n, sizeof(trip_work[0]), by_value);
	say("INFO net_udp_trips min=%u quartile=%u median=%u quartile3=%u max=%u", trip_work[0],
	    trip_work[n / 4], trip_work[n / 2], trip_work[n * 3 / 4], trip_work[n - 1]);
	say("BENCH net_udp64_rtt %u", trip_work[n / 2]);
}

/* The UDP echo workload: NW_UDP_COUNT round trips of NW_UDP_BYTES, after a warm-up. */
static void run_udp(void)
{
	struct wait_count w = {0, 0};
	struct sample a, b;
	int fd = peer_socket(SOCK_DGRAM, NW_UDP_PORT);

	if (fd < 0 || udp_rounds(fd, NW_UDP_WARMUP, &w) != 0)
		return;
	w.cost = calibrate(fd, "net_udp");
	w.turns = 0;
	say("BEGIN net_udp");
	(void)tcdrain(STDOUT_FILENO); /* no serial interrupt inside the measurement */
	sample_begin(&a);
	int failed = udp_rounds(fd, NW_UDP_COUNT, &w);
	sample_end(&b);
	say("END net_udp bytes=%u", NW_UDP_COUNT * NW_UDP_BYTES);
	if (!failed && w.cost) {
		report("net_udp", &a, &b, &w, NW_UDP_COUNT, "net_udp64_rtt_mean", 0);
		report_trips();
	}
	close(fd);
}

/* Sends all of @len bytes of @p, waiting while the socket is full. Returns 0 or -1. */
static int send_all(int fd, const uint8_t *p, size_t len, struct wait_count *w)
{
	while (len > 0) {
		w->turns += wait_ready(fd, POLLOUT, NO_LIMIT);
		ssize_t n = send(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN)
			return -1;
		n = n < 0 ? 0 : n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Receives @len bytes into @buf, waiting while none are there. Returns 0 or -1. */
static int recv_all(int fd, uint8_t *buf, size_t len, struct wait_count *w)
{
	while (len > 0) {
		w->turns += wait_ready(fd, POLLIN, NO_LIMIT);
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return -1;
		n = n < 0 ? 0 : n;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Receives the source's NW_TCP_BYTES, checking the first 8 bytes of every read against the
 * pattern (a constant cost per call). Returns 0 or -1 after saying what failed. */
static int tcp_receive(int fd, struct wait_count *w)
{
	uint64_t got = 0;

	while (got < NW_TCP_BYTES) {
		w->turns += wait_ready(fd, POLLIN, NO_LIMIT);
		ssize_t n = recv(fd, rx_buf, sizeof(rx_buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			say("ERROR net_tcp_rx: the stream ended after %llu bytes",
			    (unsigned long long)got);
			return -1;
		}
		if (n > 0 &&
		    memcmp(rx_buf, pattern + got % NW_PERIOD, n < 8 ? (size_t)n : 8u) != 0) {
			say("ERROR net_tcp_rx: wrong data at byte %llu", (unsigned long long)got);
			return -1;
		}
		got += n > 0 ? (uint64_t)n : 0u;
	}
	return 0;
}

/* Sends NW_TCP_BYTES of the pattern to the sink and takes its CRC-32; returns it, or
 * a value other than @want after saying what failed. */
static uint32_t tcp_send(int fd, struct wait_count *w, uint32_t want)
{
	uint8_t answer[4];

	for (uint64_t sent = 0; sent < NW_TCP_BYTES;) {
		uint64_t left = NW_TCP_BYTES - sent, len = left < NW_CHUNK ? left : NW_CHUNK;
		if (send_all(fd, pattern + sent % NW_PERIOD, (size_t)len, w) != 0) {
			say("ERROR net_tcp_tx: send: %s", strerror(errno));
			return ~want;
		}
		sent += len;
	}
	if (recv_all(fd, answer, sizeof(answer), w) != 0) {
		say("ERROR net_tcp_tx: no answer from the sink");
		return ~want;
	}
	return (uint32_t)answer[0] | (uint32_t)answer[1] << 8 | (uint32_t)answer[2] << 16 |
	       (uint32_t)answer[3] << 24;
}

/* One TCP workload to the peer's @port: @name's begin and end lines around the request and
 * the transfer; the figure @bench in instructions per 1000 bytes. */
static void run_tcp(const char *name, uint16_t port, const char *bench, uint32_t want)
{
	struct wait_count w = {0, 0};
	uint8_t count[8];
	struct sample a, b;
	int fd = peer_socket(SOCK_STREAM, port), failed;

	for (int i = 0; i < 8; i++)
		count[i] = (uint8_t)((uint64_t)NW_TCP_BYTES >> (8 * i));
	if (fd < 0 || (w.cost = calibrate(fd, name)) == 0)
		return;
	say("BEGIN %s", name);
	(void)tcdrain(STDOUT_FILENO);
	sample_begin(&a);
	failed = send_all(fd, count, sizeof(count), &w);
	if (!failed && port == NW_SOURCE_PORT)
		failed = tcp_receive(fd, &w);
	else if (!failed && tcp_send(fd, &w, want) != want)
		failed = 1;
	sample_end(&b);
	say("END %s bytes=%u", name, NW_TCP_BYTES);
	if (!failed)
		report(name, &a, &b, &w, NW_TCP_BYTES, bench, 1);
	close(fd);
}

/**
 * The program: brings eth0 up, runs the workloads of net_workload.h against the host's peer
 * and says `netbench: DONE`; as process 1 it then powers the machine off. Needs: /proc
 * mounted and virtio_net loaded. Returns: 0 (the figures, or ERROR lines, are on the console).
 */
int main(void)
{
	for (uint32_t j = 0; j < sizeof(pattern); j++)
		pattern[j] = nw_byte(j);
	uint32_t want = nw_pattern_crc(pattern, NW_TCP_BYTES);
	if (bring_up() == 0) {
		run_udp();
		run_tcp("net_tcp_rx", NW_SOURCE_PORT, "net_tcp_rx_byte_milli", want);
		run_tcp("net_tcp_tx", NW_SINK_PORT, "net_tcp_tx_byte_milli", want);
	}
	say("DONE");
	if (getpid() == 1)
		reboot(RB_POWER_OFF);
	return 0;
}
