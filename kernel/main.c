/* Kernel entry: check the boot plan, build every domain, start the scheduler. */
#include <stdio.h>
#include <string.h>

#include <kernel/arch.h>
#include <kernel/boot.h>
#include <kernel/channel.h>
#include <kernel/clock.h>
#include <kernel/control.h>
#include <kernel/device.h>
#include <kernel/domain.h>
#include <kernel/klog.h>
#include <kernel/palloc.h>
#include <kernel/plan.h>
#include <kernel/sched.h>
#include <kernel/sha256.h>

static struct boot_info boot;
static paddr_t region_pa[BP_MAX_REGIONS];
static char why[256];

static __attribute__((noreturn)) void refuse(const char *reason)
{
	kprintf("bulkhead: boot plan refused: %s", reason);
	arch_halt(1);
}

/* The plan's SHA-256 in hex, for the boot line: it names the exact plan that runs. */
static char plan_sha256[2 * SHA256_BYTES + 1];

static const struct bp_header *load_plan(void)
{
	const struct boot_module *m = boot_find_module(&boot, "plan");
	if (!m)
		refuse("no boot module named \"plan\" (check the GRUB configuration)");
	if (m->start.v & 7)
		refuse("the plan module is not 8-byte aligned");
	const struct bp_header *h = arch_phys_to_virt(m->start);
	if (plan_check(h, m->size, why, sizeof(why)) != PLAN_OK)
		refuse(why);
	uint8_t digest[SHA256_BYTES];
	sha256_digest(h, h->total_size, digest);
	sha256_hex(digest, SHA256_BYTES, plan_sha256);
	return h;
}

/* A module region gets the bytes of the boot module of its name (the rest stays zero) if it fits. */
static void fill_module(const struct bp_region *r, paddr_t p)
{
	const struct boot_module *m = boot_find_module(&boot, r->name);
	if (m && m->size <= r->size)
		memcpy(arch_phys_to_virt(p), arch_phys_to_virt(m->start), m->size);
	else if (m)
		kprintf("bulkhead: region %s: boot module %s is %lu bytes, larger than the region "
		        "(%lu bytes); the region stays zero",
		        r->name, r->name, m->size, r->size);
	else
		kprintf("bulkhead: region %s: no boot module %s; the region stays zero", r->name,
		        r->name);
}

static void build_regions(const struct bp_header *h)
{
	const struct bp_region *r = plan_table(h, h->regions);
	for (uint32_t i = 0; i < h->regions.count; i++) {
		region_pa[i] = palloc_pages(r[i].size / PAGE_SIZE);
		if (!region_pa[i].v) {
			snprintf(why, sizeof(why), "region %u (\"%s\", %lu KiB): out of memory", i,
			         r[i].name, r[i].size / 1024);
			refuse(why);
		}
		if (r[i].flags & BP_REGION_MODULE)
			fill_module(&r[i], region_pa[i]);
	}
}

static void build_domains(const struct bp_header *h)
{
	n_domains = h->domains.count;
	for (uint32_t i = 0; i < n_domains; i++)
		if (domain_build(h, i, region_pa, &boot, why, sizeof(why)) != DOMAIN_OK)
			refuse(why);
	if (h->klog_domain != BP_NONE)
		klog_attach(arch_phys_to_virt(region_pa[h->klog_region]), &domains[h->klog_domain],
		            h->klog_bit, channel_signal);
}

/* Reads the wall clock once: every domain's start-info page gets it (0: unknown). */
static void read_clock(void)
{
	struct clock_date t;
	clock_boot_tsc = arch_cycles();
	clock_boot_unix = arch_rtc_read(&t) ? clock_unix(&t) : 0;
}

/**
 * The kernel's C entry, called by boot.S on the boot stack with interrupts
 * off. Never returns: it ends in the first domain.
 */
void kernel_main(void);

void kernel_main(void)
{
	arch_boot(&boot);
	kprintf("bulkhead: kernel started, %u boot modules", boot.n_mods);
	const struct bp_header *h = load_plan();
	arch_timer_init();
	read_clock();
	build_regions(h);
	build_domains(h);
	device_init(h, region_pa);
	if (domain_build_images(h, &boot, why, sizeof(why)) != DOMAIN_OK)
		refuse(why);
	control_init(h, region_pa);
	domain_on_stop(control_notify, device_owner_stopped);
	palloc_seal();
	kprintf("bulkhead: plan \"%s\" (crc32 0x%08x, sha256 %s) accepted: %u domains, %u regions, "
	        "%u channels; %lu KiB left",
	        h->system_name, h->checksum, plan_sha256, h->domains.count, h->regions.count,
	        h->channels.count, palloc_free_bytes() / 1024);
	sched_init(boot.entry_cycles, (h->flags & BP_FLAG_EXIT_WHEN_IDLE) != 0);
	sched_exit_kernel();
}
