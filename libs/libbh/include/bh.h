/* libbh: the domain runtime (start-up, hypercalls, named resources, newlib glue). */
#ifndef LIBBH_BH_H
#define LIBBH_BH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/domain.h>
#include <bulkhead/abi/err.h>
#include <bulkhead/abi/hypercall.h>
#include <bulkhead/abi/info.h>
#include <bulkhead/abi/ring.h>
#include <ring.h>

/* Raw hypercalls (inline syscall wrappers in bh_hypercall.h). */
struct bh_ret {
	uint64_t err; /* enum bh_err */
	uint64_t val;
};
struct bh_ret bh_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);

/** Signals the channel in @slot. Returns BH_OK or an error. */
enum bh_err bh_signal(uint32_t slot);
/** Blocks until at least one bit is pending; returns and clears them. */
uint64_t bh_wait(void);
/** Returns and clears the pending bits without blocking (may be 0). */
uint64_t bh_poll(void);
/** Signals @slot, then waits; returns the pending bits (0 on error, see *err). */
uint64_t bh_signal_wait(uint32_t slot, enum bh_err *err);
/** Gives up the CPU to domains of equal priority. */
void bh_yield(void);
/** Stops this domain for good. */
__attribute__((noreturn)) void bh_exit(int code);
/**
 * Waits like bh_wait_for(@mask), but at most until the cycle counter reaches @deadline (one that
 * has passed: no wait). Returns the bits of @mask seen, or 0 when the deadline came first.
 */
uint64_t bh_wait_until(uint64_t mask, uint64_t deadline);
/** The cycle counter's rate, measured by the kernel at boot (never 0). */
uint64_t bh_cycles_per_us(void);
/** Milliseconds since the cycle counter started (it counts from machine reset). */
uint64_t bh_now_ms(void);
/** The cycle count @ms milliseconds from now (saturates): a deadline for bh_wait_until(). */
uint64_t bh_deadline_ms(uint64_t ms);
/**
 * Wall-clock seconds since 1970 (UTC): the RTC's time the kernel read at boot plus the cycles
 * since. Returns 0 if the kernel could not read the RTC.
 */
uint64_t bh_wall_time(void);
/**
 * 64 random bits from the CPU (RDSEED, else RDRAND) in *@out (0 on error).
 * Returns: BH_OK, or BH_ERR_UNAVAILABLE if the CPU gives none.
 */
enum bh_err bh_entropy(uint64_t *out);
/**
 * Sets this domain's FS base (thread-local storage; the stack canary at %fs:0x28) to @base.
 * Returns: BH_OK, or BH_ERR_INVALID for an address outside the user half.
 */
enum bh_err bh_set_fsbase(void *base);
/** Reads the cycle counter. */
static inline uint64_t bh_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/** The start-info page of this domain. */
const struct bh_start_info *bh_info(void);
/** This domain's name from the manifest. */
const char *bh_name(void);
/** Finds the named resource of @kind; NULL if the manifest gave none. */
const struct bh_info_entry *bh_lookup(const char *name, enum bh_res_kind kind);

/* A channel end found by name. */
struct bh_channel {
	uint32_t slot; /* capability to signal the peer */
	uint64_t bit;  /* mask set in bh_wait()'s result when the peer signals */
};
/** Opens the channel named @name (default name: the peer domain). Returns false if none. */
bool bh_channel_open(const char *name, struct bh_channel *ch);

/* A ring found by name, with its channel. */
struct bh_ring {
	struct ring ring;
	uint32_t slot;
	uint64_t bit;
	const char *peer;
};
/** Opens the ring named @name at its role. Returns false if the manifest has none. */
bool bh_ring_open(const char *name, struct bh_ring *r);
/** Sends, blocking while the ring is full; signals the peer when asked. */
enum ring_status bh_ring_send(struct bh_ring *r, uint16_t type, uint64_t tag, const void *buf,
                              uint32_t len);
/** Receives, blocking while the ring is empty; signals the peer when asked. */
enum ring_status bh_ring_recv(struct bh_ring *r, struct ring_msg *out);

/**
 * Waits for any of @mask; bits outside @mask that arrive meanwhile are kept
 * and returned by the next bh_wait()/bh_poll(). Returns the bits of @mask seen.
 */
uint64_t bh_wait_for(uint64_t mask);
/**
 * Sleeps until the kernel delivers a bit of @mask, ignoring bits of @mask kept from earlier
 * waits: for a caller that armed its wake-up and re-checked its state just before (a ring).
 * Every bit delivered, @mask's too, is kept for the next bh_wait()/bh_poll().
 * Returns the bits of @mask delivered.
 */
uint64_t bh_wait_new(uint64_t mask);
/** Signals @slot, then waits like bh_wait_new(@mask), in one hypercall. */
uint64_t bh_wait_new_signal(uint32_t slot, uint64_t mask);

/** Flushes buffered stdout/stderr lines to the console ring. */
void bh_flush(void);

/** Prints one line (printf @fmt, then '\n') and pushes it to the console at once. */
__attribute__((format(printf, 1, 2))) void bh_say(const char *fmt, ...);
/** bh_say with the arguments in @ap (for wrappers that add a prefix of their own). */
__attribute__((format(printf, 1, 0))) void bh_vsay(const char *fmt, va_list ap);

/* Additions (libbh v1). */

/*
 * BH_MSG_TEXT (bulkhead/abi/ring.h) is the message type on a `stdout` ring.
 * bh_flush() ends a partial line as if it had a '\n'.
 */

/* Exit codes libbh uses itself. */
#define BH_EXIT_BAD_INFO 125 /* the start-info page has a wrong magic or version */
#define BH_EXIT_SIGNAL 128   /* kill()/raise()/abort(): 128 + signal number */

/** Opens the ring of info entry @e (for services that iterate entries, e.g. the console). */
bool bh_ring_open_entry(const struct bh_info_entry *e, struct bh_ring *r);
/** bh_ring_send with message @flags (RING_MSG_MORE, RING_MSG_DATA). */
enum ring_status bh_ring_send_flags(struct bh_ring *r, uint16_t type, uint16_t flags, uint64_t tag,
                                    const void *buf, uint32_t len);
/** Puts @bits back so the next bh_wait()/bh_poll() returns them. */
void bh_wait_keep(uint64_t bits);

/*
 * Batching (streams): bh_ring_put() writes a message without publishing it
 * and bh_ring_flush() publishes everything put so far, signalling the peer at
 * most once. bh_ring_take() receives without freeing the slot and
 * bh_ring_release() frees every slot taken so far. Before any ring call waits
 * it flushes, and a wait for a message also releases, so a batch never
 * deadlocks. An answer put with bh_ring_put() goes out at the latest when the
 * next bh_ring_take() waits, in the same hypercall (SIGNAL_WAIT) that wakes the
 * client and puts the server to sleep; bh_ring_call() (below) does that at once.
 */
/** Slow path of bh_ring_put: flushes, then waits for space. */
enum ring_status bh_ring_put_wait(struct bh_ring *r, uint16_t type, uint64_t tag, const void *buf,
                                  uint32_t len);
/** Slow path of bh_ring_take: flushes and releases, then waits for a message. */
enum ring_status bh_ring_take_wait(struct bh_ring *r, struct ring_msg *out);
/** Publishes the messages put so far and signals the peer if it asked. */
void bh_ring_flush(struct bh_ring *r);

/** Puts one message, blocking (after a flush) while the ring is full. */
static inline enum ring_status bh_ring_put(struct bh_ring *r, uint16_t type, uint64_t tag,
                                           const void *buf, uint32_t len)
{
	enum ring_status st = ring_put(&r->ring, type, 0, tag, buf, len);
	return st == RING_FULL ? bh_ring_put_wait(r, type, tag, buf, len) : st;
}

/** Takes one message, blocking (after a release) while the ring is empty. */
static inline enum ring_status bh_ring_take(struct bh_ring *r, struct ring_msg *out)
{
	enum ring_status st = ring_take(&r->ring, out);
	return st == RING_EMPTY ? bh_ring_take_wait(r, out) : st;
}
/** Frees the slots taken so far and signals the peer if it waits for space. */
void bh_ring_release(struct bh_ring *r);

/**
 * Puts one message, then takes the next: a client's request and its answer, or a server's
 * answer and its next request. The message put always goes out (with the release of the slots
 * taken) before the look; when it must wait, it wakes the peer and sleeps in one hypercall
 * (BH_HC_SIGNAL_WAIT). The message taken keeps its slot until the next release or wait.
 * Returns: RING_EINVAL or RING_BROKEN from the put, else the take's RING_OK or RING_BROKEN.
 */
enum ring_status bh_ring_call(struct bh_ring *r, uint16_t type, uint64_t tag, const void *buf,
                              uint32_t len, struct ring_msg *out);

/*
 * Redirects write(1|2) to @fn (raw bytes, no line assembly) instead of the stdout ring, or
 * back to the ring with NULL. For the console service, which has no stdout ring.
 */
typedef void (*bh_output_fn)(const char *buf, size_t len);
void bh_set_output(bh_output_fn fn);

/*
 * Devices (docs/devices.md): a PCI function the manifest grants, named by a BH_RES_DEVICE entry
 * (slot = its BH_CAP_DEVICE capability, vaddr/size = its BAR window, bit = its interrupt's
 * channel id, flags = its PCI address). The calls below are thin: one hypercall each.
 */
/** Finds the device named @name, or the first device when @name is NULL. Returns its entry or NULL. */
const struct bh_info_entry *bh_device_find(const char *name);
/**
 * Where memory BAR @bar of the device in @slot is mapped. Needs: @vaddr and @size writable.
 * Returns: BH_OK with *@vaddr and *@size (a power of two), or the kernel's error (BH_ERR_DENIED
 * for the BAR that holds the MSI-X table, BH_ERR_INVALID for an unmapped BAR).
 */
enum bh_err bh_device_bar(uint32_t slot, uint32_t bar, uint64_t *vaddr, uint64_t *size);
/** Reads @width (1, 2 or 4) bytes of config space at @off into *@val. Returns BH_OK or an error. */
enum bh_err bh_device_cfg_read(uint32_t slot, uint32_t off, uint32_t width, uint32_t *val);
/** Writes @width bytes of config space at @off (only what a driver may). Returns BH_OK or an error. */
enum bh_err bh_device_cfg_write(uint32_t slot, uint32_t off, uint32_t width, uint32_t val);
/** Unmasks the device's interrupt after its bit arrived. Returns BH_OK or an error. */
enum bh_err bh_device_ack(uint32_t slot);
/**
 * The address the device in @slot must use for @vaddr, which lies in a DMA map.
 * Returns: BH_OK with *@daddr, or an error (BH_ERR_INVALID: not in a DMA map).
 */
enum bh_err bh_dma_addr(uint32_t slot, const volatile void *vaddr, uint64_t *daddr);
/** The DMA map (a BH_RES_MAP with BH_INFO_MAP_DMA) named @name. Returns its entry or NULL. */
const struct bh_info_entry *bh_dma_find(const char *name);
/** The @index-th DMA map (0 = first) in start-info order. Returns its entry or NULL. */
const struct bh_info_entry *bh_dma_map(uint32_t index);

/*
 * Domain control (docs/control.md): a <control> capability, named by a BH_RES_DOMAIN entry
 * (name = the target domain, slot, flags = BH_RIGHT_STOP.. rights; with BH_RIGHT_FAULTS,
 * vaddr/size = the target's fault page, struct bh_fault_page, and bit = its channel id).
 */
/** Stops the target of @slot at once (right STOP). Returns BH_OK or an error (BH_ERR_STATE). */
enum bh_err bh_domain_stop(uint32_t slot);
/** Runs the target it stopped on (right RESUME). Returns BH_OK or an error (BH_ERR_STATE). */
enum bh_err bh_domain_resume(uint32_t slot);
/**
 * Restarts the target as a fresh instance of @image (0 its own, k its alternative k; RESTART,
 * and REPLACE for k > 0). Returns BH_OK or an error (BH_ERR_INVALID: no such image).
 */
enum bh_err bh_domain_restart(uint32_t slot, uint32_t image);
/** The target's state word (BH_DSTATE_* in abi/hypercall.h) in *@word. Returns BH_OK or an error. */
enum bh_err bh_domain_state(uint32_t slot, uint64_t *word);
/*
 * Management and state export (docs/control.md "State export"). Errors in the order the
 * kernel checks: the slot (BAD_SLOT, NO_CAP, WRONG_TYPE, NO_RIGHT), then BH_ERR_INVALID (a
 * buffer outside this domain's own writable memory, a range outside the target's private
 * spans, ...), then BH_ERR_STATE (the target runs, or never started).
 */
/** Stops the target for good and wipes its private memory (right DESTROY); RESTART revives it. */
enum bh_err bh_domain_destroy(uint32_t slot);
/** Fills *@out with the target's statistics (any right). Returns BH_OK or an error. */
enum bh_err bh_domain_stats(uint32_t slot, struct bh_domain_stats *out);
/**
 * Writes up to @max of the target's private memory spans at @spans and their number in
 * *@total (right READ_MEMORY). Returns BH_OK or an error.
 */
enum bh_err bh_domain_layout(uint32_t slot, struct bh_mem_span *spans, uint32_t max,
                             uint32_t *total);
/**
 * Copies @len (1 .. 64 KiB) bytes at @vaddr of a stopped target, inside one of its spans, to
 * @buf (right READ_MEMORY). Returns BH_OK or an error.
 */
enum bh_err bh_domain_mem_read(uint32_t slot, uint64_t vaddr, void *buf, uint64_t len);
/** The other way: @buf into the stopped target at @vaddr (right WRITE_MEMORY). */
enum bh_err bh_domain_mem_write(uint32_t slot, uint64_t vaddr, const void *buf, uint64_t len);
/** The stopped target's vCPU state into *@out (right VCPU). Returns BH_OK or an error. */
enum bh_err bh_domain_vcpu_get(uint32_t slot, struct bh_vcpu_state *out);
/** Loads *@state into the stopped target, sanitised (right VCPU; BH_ERR_INVALID if unsafe). */
enum bh_err bh_domain_vcpu_set(uint32_t slot, const struct bh_vcpu_state *state);
/** The BH_RES_DOMAIN entry of the target domain named @target, or NULL. */
const struct bh_info_entry *bh_domain_find(const char *target);
/** The BH_RES_POLICY entry (supervision policy) for the target named @target, or NULL. */
const struct bh_info_entry *bh_policy_find(const char *target);
/**
 * Counts one heartbeat: increments the uint64_t at offset 0 of this domain's heartbeat page
 * (its map entry with BH_INFO_MAP_HEARTBEAT), if it has one; otherwise does nothing.
 */
void bh_heartbeat(void);

#endif
