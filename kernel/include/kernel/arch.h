/* Architecture hooks: what the neutral kernel asks of kernel/arch/<arch>/. */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <stdint.h>

#include <kernel/types.h>

struct domain;
struct arch_regs;

/**
 * Boot: reads the boot loader's hand-over, brings the CPU into the state the
 * kernel runs in, hands free memory to palloc and fills @bi.
 * Needs: called once, first thing. Returns: nothing.
 */
struct boot_info;
void arch_boot(struct boot_info *bi);

/* Reads the cycle counter. */
static inline uint64_t arch_cycles(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Reads the low 32 bits of the cycle counter (for differences of less than 2^32). */
static inline uint32_t arch_cycles_low(void)
{
	uint32_t lo;
	__asm__ volatile("rdtsc" : "=a"(lo) : : "rdx");
	return lo;
}

/**
 * Spectre v1 index masking: returns @index if @index < @size, else 0, computed
 * without a branch, so that a mispredicted bounds check cannot steer a later
 * load with an out-of-bounds index. Use it after the architectural check.
 */
static inline uint64_t arch_index_nospec(uint64_t index, uint64_t size)
{
	uint64_t mask;
	__asm__("cmp %2, %1\n\tsbb %0, %0" : "=r"(mask) : "r"(index), "re"(size) : "cc");
	return index & mask;
}

/* Cycles per microsecond, measured at boot (arch_timer_init). */
extern uint64_t arch_cycles_per_us;

/**
 * Measures the cycle counter's rate (arch_cycles_per_us) and the timer's rate
 * against it, and leaves the timer stopped until arch_timer_set.
 * Needs: arch_boot done, interrupts off. Returns: nothing.
 */
void arch_timer_init(void);

/**
 * Arms the one-shot timer to interrupt (vector 32) when the cycle counter
 * reaches @deadline, or at once if it has; replaces the previous setting.
 * The interrupt can be off by the calibration's error (the scheduler re-arms
 * after an early one and charges a late one); a deadline beyond the timer's
 * longest count fires at that count.
 * Needs: arch_timer_init done, interrupts off. Returns: nothing.
 */
void arch_timer_set(uint64_t deadline);

/**
 * Prepares @d's register state to enter ring 3 at @entry with stack @sp and
 * first argument @arg, with a fresh FPU state and null data selectors, in
 * its address space @d->as.
 */
void arch_domain_init_regs(struct domain *d, uint64_t entry, uint64_t sp, uint64_t arg);

/**
 * Loads @next's FPU state, address space, I/O permission bitmap and kernel
 * entry stack, saving those of the domain loaded before (if any).
 * Needs: interrupts off. Returns: nothing.
 */
void arch_switch(struct domain *next);

/**
 * Leaves the kernel into @d's saved user state. Never returns; the kernel
 * stack is abandoned.
 */
__attribute__((noreturn)) void arch_return_to_user(struct domain *d);

/* Idles with interrupts enabled until the next interrupt; returns after it. */
void arch_idle(void);

/* Halts the machine: on QEMU with isa-debug-exit, exits with @code. */
__attribute__((noreturn)) void arch_halt(unsigned code);

/* Writes @n bytes to the kernel's own serial console (COM1). */
void arch_serial_write(const char *s, uint64_t n);

/**
 * Draws 64 random bits: RDSEED, else RDRAND, each retried a bounded number of
 * times; only values the CPU marked valid, never all zeros.
 * Returns: true with *@out, or false if the CPU gives none.
 */
bool arch_random64(uint64_t *out);

/**
 * Sets the FS base of @d, the domain the CPU holds now, to @v (a canonical
 * user address): loaded at once, and on every switch back to @d.
 * Needs: @d current, interrupts off. Returns: nothing.
 */
void arch_set_fsbase(struct domain *d, uint64_t v);

/* vCPU state export (abi domain.h, struct bh_vcpu_state); @d is never the loaded domain. */
struct bh_vcpu_state;

/** Fills @out with @d's saved registers, FS base and FXSAVE image (gs_base 0, wait 0). */
void arch_vcpu_get(const struct domain *d, struct bh_vcpu_state *out);

/**
 * Returns: whether @s is a state the kernel would load itself: rip in the
 * user half, rflags with only the arithmetic flags, DF and IF (set), IOPL 0,
 * fs_base in the user half, gs_base 0 (a domain cannot set one), MXCSR within
 * the CPU's mask (else FXRSTOR faults in the kernel), `wait` a BH_VCPU_*,
 * reserved and pad zero.
 */
bool arch_vcpu_ok(const struct bh_vcpu_state *s);

/**
 * Loads @s into the stopped @d: registers with the user selectors, FS base,
 * FXSAVE image with its reserved bytes zeroed. Needs: arch_vcpu_ok(@s), @d
 * not loaded on the CPU. Returns: nothing.
 */
void arch_vcpu_set(struct domain *d, const struct bh_vcpu_state *s);

/**
 * Returns: whether [@v, @v + @n) (n > 0) lies in user pages of address space
 * @as that are present, cached RAM (no device window) and, with @write,
 * writable: memory the kernel may copy to or from for the domain.
 */
bool arch_as_user_ok(paddr_t as, uint64_t v, uint64_t n, bool write);

/**
 * Copies @n bytes from @buf to the user address @v of address space @as,
 * through the direct map, stopping at the first page that is not a present
 * user page. Needs: arch_as_user_ok(@as, @v, @n, true). Returns: bytes copied.
 */
size_t arch_as_write(paddr_t as, vaddr_t v, const void *buf, size_t n);

/**
 * Reads the CMOS real-time clock once (waiting out an update in progress).
 * Returns: true with the date (UTC, as the RTC keeps it) in @out, or false.
 */
struct clock_date;
bool arch_rtc_read(struct clock_date *out);

/* Direct map: the kernel view of physical memory. */
void *arch_phys_to_virt(paddr_t p);

/**
 * Creates an empty user address space sharing the kernel half.
 * Returns: its root (page-table physical address), or pa(0) if memory ran out.
 */
paddr_t arch_as_create(void);

/* Mapping flags for arch_as_map. */
#define ARCH_MAP_R 0x1u
#define ARCH_MAP_W 0x2u
#define ARCH_MAP_X 0x4u
#define ARCH_MAP_UC 0x8u /* uncached: device registers */

/* Why a mapping was refused. */
enum arch_map_err {
	ARCH_MAP_OK = 0,
	ARCH_MAP_OVERLAP,  /* a page there is already mapped */
	ARCH_MAP_NOMEM,    /* no memory for a page table */
	ARCH_MAP_BAD_ADDR, /* outside the user half, unaligned, or over a large/kernel entry */
};

/**
 * Maps @npages pages of physical memory from @p at @v in @as with @flags.
 * Needs: boot time (may allocate page tables). Returns: ARCH_MAP_OK, or why
 * not; the range must lie in the user half, page aligned.
 */
enum arch_map_err arch_as_map(paddr_t as, vaddr_t v, paddr_t p, uint64_t npages, unsigned flags);

/**
 * A copy of address space @src that shares every page table with it except
 * those covering [@start, @end), which start empty: another image of the same
 * domain. @start and @end are 2 MiB aligned, inside the first GiB.
 * Needs: boot time, @src complete (later maps of @src may not show).
 * Returns: its root, or pa(0) if memory ran out.
 */
paddr_t arch_as_clone(paddr_t src, vaddr_t start, vaddr_t end);

/**
 * Drops every TLB entry of @d's address spaces (with PCIDs: the domain's
 * PCID, user pages and entry window alike), so that no translation of an
 * old instance survives a restart. Needs: interrupts off.
 */
void arch_as_flush(const struct domain *d);

/**
 * Gives address space @as the kernel part a domain's page tables hold: with
 * separate kernel page tables (KPTI) only the entry window plus the domain's
 * own kernel object [@obj, @obj + @size) (page aligned), then walks the tables
 * to prove it and reports the count for domain @name; otherwise nothing more
 * (arch_as_create shared the kernel half). Needs: boot time.
 * Returns: ARCH_MAP_OK or ARCH_MAP_NOMEM.
 */
enum arch_map_err arch_as_window(paddr_t as, const void *obj, uint64_t size, const char *name);

/**
 * Copies up to @n bytes from the user address @v of address space @as into
 * @buf, through the direct map, stopping at the first page that is not a
 * present user page. Returns: the bytes copied.
 */
size_t arch_as_read(paddr_t as, vaddr_t v, void *buf, size_t n);

/**
 * Walks the kernel half of address space @as (after arch_as_window) and counts
 * the kernel pages it maps; *@outside gets those that are neither in the entry
 * window nor in [@obj, @obj + @size) (large pages and user-accessible kernel
 * pages count as outside). Needs: boot. Returns: the kernel pages mapped.
 */
uint64_t arch_as_audit(paddr_t as, const void *obj, uint64_t size, uint64_t *outside);

/**
 * Is [@p, @p + @size) device memory that may be mapped: outside RAM and
 * within the physical range the kernel maps? Returns: true if so.
 */
bool arch_mmio_ok(paddr_t p, uint64_t size);

/**
 * Maps device memory [@p, @p + @size) uncached in the kernel. Needs: boot
 * time, arch_mmio_ok(@p, @size). Returns: its kernel address, or NULL.
 */
volatile void *arch_mmio_map(paddr_t p, uint64_t size);

/* The end of the physical memory the kernel's direct map reaches. */
uint64_t arch_direct_map_end(void);

#endif
