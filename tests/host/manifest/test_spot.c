/* Manifest test spot checks: exact ids, slots, placements and names for particular manifests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/layout.h>
#include <kernel/sha256.h>

#include "memory.h"
#include "test_util.h"
#include "value.h"

#define KIB(x) ((uint64_t)(x) << 10)
#define MIB(x) ((uint64_t)(x) << 20)
#define RW (BH_RIGHT_READ | BH_RIGHT_WRITE)

static void compile_ok(const char *path, uint64_t memory, struct bhc_result *r,
                       struct plan_tables *v)
{
	if (!test_compile(path, memory, r)) {
		diag_print(&r->diag, stderr);
		fail_msg("%s was refused", path);
	}
	test_plan_invariants(r);
	plan_tables(r->plan, v);
}

static const char *corpus_copy(const char *name)
{
	char src[PATH_MAX + 300];

	snprintf(src, sizeof(src), "%s/valid/%s", test_env.corpus, name);
	return test_copy(src, name);
}

static void expect_entry(const struct plan_tables *v, uint32_t d, const char *name, uint32_t kind,
                         const char *peer, uint32_t slot, uint32_t bit)
{
	const struct bh_info_entry *e = test_entry(v, d, name, kind, peer);

	assert_int_equal(e->slot, slot);
	assert_int_equal(e->bit, bit);
}

static void expect_vaddr(const struct plan_tables *v, uint32_t d, const char *name, uint32_t kind,
                         const char *peer, uint64_t vaddr, uint64_t size)
{
	const struct bh_info_entry *e = test_entry(v, d, name, kind, peer);

	assert_int_equal(e->vaddr, vaddr);
	assert_int_equal(e->size, size);
}

/* manifests/demo.xml: klog first (id 63), then the log ring, then stdout rings, 63 down. */
void test_spot_demo(void **state)
{
	char path[PATH_MAX + 16];
	struct bhc_result r;
	struct plan_tables v;

	(void)state;
	snprintf(path, sizeof(path), "%s/demo.xml", test_env.manifests);
	compile_ok(path, MIB(512), &r, &v);
	uint32_t con = test_domain(&v, "console"), ping = test_domain(&v, "ping");
	uint32_t pong = test_domain(&v, "pong"), faulty = test_domain(&v, "faulty");
	assert_int_equal(v.h->klog_domain, con);
	assert_int_equal(v.h->klog_bit, 63);
	assert_int_equal(v.h->memory_bytes, MIB(512));
	assert_string_equal(v.h->system_name, "demo");
	expect_entry(&v, con, "log", BH_RES_RING, "ping", 0, 62);
	expect_entry(&v, con, "stdout", BH_RES_RING, "ping", 1, 61);
	expect_entry(&v, con, "stdout", BH_RES_RING, "faulty", 3, 59);
	expect_entry(&v, con, "ioport", BH_RES_IOPORT, NULL, 4, 0);
	expect_vaddr(&v, con, "ioport", BH_RES_IOPORT, NULL, 0x3f8, 8);
	expect_vaddr(&v, con, "klog", BH_RES_KLOG, NULL, BH_RING_BASE + 0x1000, 4096);
	expect_vaddr(&v, con, "log", BH_RES_RING, "ping", BH_RING_BASE + 0x4000, KIB(16));
	expect_vaddr(&v, con, "stdout", BH_RES_RING, "ping", BH_RING_BASE + 0xa000, KIB(8));
	expect_entry(&v, ping, "pp", BH_RES_CHANNEL, "pong", 0, 1);
	expect_entry(&v, ping, "log", BH_RES_RING, "console", 1, 63);
	expect_entry(&v, ping, "stdout", BH_RES_RING, "console", 2, 62);
	expect_entry(&v, ping, "shared", BH_RES_MAP, NULL, 3, 0);
	expect_vaddr(&v, ping, "shared", BH_RES_MAP, NULL, 0x40000000, KIB(64));
	expect_vaddr(&v, ping, "log", BH_RES_RING, "console", BH_RING_BASE + 0x4000, KIB(16));
	expect_entry(&v, pong, "shared", BH_RES_MAP, NULL, 2, 0);
	assert_int_equal(test_entry(&v, pong, "shared", BH_RES_MAP, NULL)->flags, BH_RIGHT_READ);
	expect_vaddr(&v, pong, "stdout", BH_RES_RING, "console", BH_RING_BASE + 0x2000, KIB(8));
	expect_entry(&v, faulty, "stdout", BH_RES_RING, "console", 0, 63);
	assert_int_equal(v.domains[ping].budget_us, 2000);
	assert_int_equal(v.domains[ping].period_us, 10000);
	assert_int_equal(v.domains[pong].budget_us, 0);
	assert_int_equal(v.infos[ping].domain_index, ping);
	assert_int_equal(v.infos[ping].heap_base, BH_HEAP_VADDR);
	assert_int_equal(v.infos[ping].stack_top, BH_STACK_TOP);
	assert_string_equal(v.infos[ping].system_name, "demo");
	assert_string_equal(v.regions[v.h->klog_region].name, "klog");
	assert_string_equal(v.regions[2].name, "stdout.ping");
	bhc_result_free(&r);
}

/* tests/manifest/valid/ids.xml: compiler ids skip the ones the manifest took. */
void test_spot_ids(void **state)
{
	struct bhc_result r;
	struct plan_tables v;

	(void)state;
	compile_ok(corpus_copy("ids.xml"), MIB(512), &r, &v);
	uint32_t con = test_domain(&v, "console"), a = test_domain(&v, "a");
	uint32_t b = test_domain(&v, "b");
	assert_int_equal(v.h->klog_bit, 62);
	assert_int_equal(test_entry(&v, con, "stdout", BH_RES_RING, "a")->bit, 60);
	assert_int_equal(test_entry(&v, con, "stdout", BH_RES_RING, "b")->bit, 59);
	assert_int_equal(test_entry(&v, con, "a", BH_RES_CHANNEL, "a")->bit, 63);
	assert_int_equal(test_entry(&v, con, "b", BH_RES_CHANNEL, "b")->bit, 61);
	assert_int_equal(test_entry(&v, a, "r1", BH_RES_RING, "b")->bit, 62);
	assert_int_equal(test_entry(&v, a, "stdout", BH_RES_RING, "console")->bit, 61);
	assert_int_equal(test_entry(&v, b, "r1", BH_RES_RING, "a")->bit, 63);
	assert_int_equal(test_entry(&v, b, "stdout", BH_RES_RING, "console")->bit, 60);
	assert_int_equal(test_entry(&v, a, "slow", BH_RES_CHANNEL, "b")->flags, 0);
	assert_int_equal(test_entry(&v, a, "fast", BH_RES_CHANNEL, "b")->flags, BH_RIGHT_SIGNAL);
	assert_int_equal(test_entry(&v, b, "fast", BH_RES_CHANNEL, "a")->bit, 62);
	assert_int_equal(test_entry(&v, b, "console", BH_RES_CHANNEL, "console")->bit, 3);
	/* The "slow" end of a cannot signal: its cap has no rights. */
	const struct bh_info_entry *slow = test_entry(&v, a, "slow", BH_RES_CHANNEL, "b");
	assert_int_equal(v.caps[v.domains[a].first_cap + slow->slot].rights, 0);
	bhc_result_free(&r);
}

void test_spot_no_console(void **state)
{
	struct bhc_result r;
	struct plan_tables v;

	(void)state;
	compile_ok(corpus_copy("no-console.xml"), MIB(512), &r, &v);
	uint32_t cl = test_domain(&v, "client"), sv = test_domain(&v, "server");
	assert_int_equal(v.h->klog_domain, BP_NONE);
	assert_int_equal(v.h->klog_bit, BP_NONE);
	assert_int_equal(v.h->regions.count, 2);
	assert_int_equal(v.regions[1].flags, BP_REGION_RING);
	expect_entry(&v, cl, "server", BH_RES_CHANNEL, "server", 0, 0);
	expect_entry(&v, sv, "client", BH_RES_CHANNEL, "client", 0, 5);
	expect_entry(&v, cl, "requests", BH_RES_RING, "server", 1, 63);
	expect_entry(&v, sv, "requests", BH_RES_RING, "client", 1, 63);
	expect_vaddr(&v, cl, "requests", BH_RES_RING, "server", BH_RING_BASE + 0x2000, KIB(8));
	expect_vaddr(&v, sv, "table", BH_RES_MAP, NULL, 0x7000000000, KIB(8));
	assert_int_equal(v.caps[v.domains[sv].first_cap].rights, 0);
	assert_int_equal(v.domains[sv].heap_size, 0);
	assert_int_equal(v.infos[sv].heap_size, 0);
	assert_int_equal(v.domains[cl].stack_size, BH_DEFAULT_STACK);
	assert_int_equal(v.domains[cl].heap_size, BH_DEFAULT_HEAP);
	bhc_result_free(&r);
}

/* Path images: one module per file; derived names avoid program names. */
void test_spot_paths(void **state)
{
	static const char *const names[] = {"ping", "custom", "copy-of-ping", "ping-2"};
	static const char *const files[] = {"images/ping.elf", "images/custom.elf",
	                                    "images/copy-of-ping.elf", "alt/ping.elf"};
	static const char *const images[][2] = {{"one", "custom"}, {"two", "custom"},
	                                        {"three", "ping"}, {"four", "copy-of-ping"},
	                                        {"five", "ping"},  {"six", "ping-2"}};
	char want[PATH_MAX + 64];
	struct bhc_result r;
	struct plan_tables v;

	(void)state;
	compile_ok(corpus_copy("path-image.xml"), MIB(512), &r, &v);
	assert_int_equal(r.l.n_modules, 4);
	for (size_t i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "%s/%s", test_env.tmp, files[i]);
		assert_string_equal(r.l.modules[i].name, names[i]);
		assert_string_equal(r.l.modules[i].path, want);
	}
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(v.domains[test_domain(&v, images[i][0])].image, images[i][1]);
	bhc_result_free(&r);
}

/* Big rings align to their size; caps of the console; the memory formula. */
void test_spot_many(void **state)
{
	struct bhc_result r;
	struct plan_tables v;

	(void)state;
	compile_ok(corpus_copy("many-clients.xml"), MIB(512), &r, &v);
	uint32_t w1 = test_domain(&v, "w1"), w2 = test_domain(&v, "w2");
	uint32_t con = test_domain(&v, "console");
	expect_vaddr(&v, w1, "big", BH_RES_RING, "w2", BH_RING_BASE + MIB(1), MIB(1));
	expect_vaddr(&v, w2, "big", BH_RES_RING, "w1", BH_RING_BASE + MIB(1), MIB(1));
	expect_vaddr(&v, w2, "small", BH_RES_RING, "w1", BH_RING_BASE + MIB(2) + 0x1000, KIB(4));
	expect_vaddr(&v, con, "odd", BH_RES_RING, "w3", BH_RING_BASE + KIB(16), KIB(12));
	/* 8 channel caps (odd + 7 stdout), then the 3 ioport ranges. */
	expect_entry(&v, con, "ioport", BH_RES_IOPORT, NULL, 8, 0);
	assert_int_equal(v.domains[con].n_caps, 11);
	assert_int_equal(v.domains[con].n_ioports, 3);
	assert_int_equal(v.domains[w1].budget_us, 500);
	assert_int_equal(v.domains[w2].period_us, 2000000);
	assert_int_equal(v.domains[test_domain(&v, "w7")].heap_size, MIB(768));
	assert_int_equal(v.domains[test_domain(&v, "w6")].stack_size, KIB(4));
	assert_int_equal(v.h->memory_bytes, MIB(1024));
	bhc_result_free(&r);
}

void test_values(void **state)
{
	uint64_t x = 0;
	uint32_t rights = 0;
	char buf[128];

	(void)state;
	assert_true(value_size("64K", &x) && x == KIB(64));
	assert_true(value_size("0x10M", &x) && x == MIB(16));
	assert_true(value_size("4096", &x) && x == 4096);
	assert_false(value_size("64k", &x));
	assert_false(value_size("64KB", &x));
	assert_false(value_size("K", &x));
	assert_false(value_size("", &x));
	assert_false(value_size("99999999999999999999", &x));
	assert_false(value_size("17179869184G", &x));
	assert_true(value_time_us("2ms", &x) && x == 2000);
	assert_true(value_time_us("3s", &x) && x == 3000000);
	assert_false(value_time_us("5", &x));
	assert_false(value_time_us("1.5ms", &x));
	assert_int_equal(value_perms("rw", &rights), VALUE_PERMS_OK);
	assert_int_equal(rights, BH_RIGHT_READ | BH_RIGHT_WRITE);
	assert_int_equal(value_perms("rwx", &rights), VALUE_PERMS_WX);
	assert_int_equal(value_perms("xw", &rights), VALUE_PERMS_WX);
	assert_int_equal(value_perms("w", &rights), VALUE_PERMS_BAD);
	assert_int_equal(value_perms("rr", &rights), VALUE_PERMS_BAD);
	assert_null(value_name_problem("abcdefghijklmnopqrstuvwxyz01234", buf, sizeof(buf)));
	assert_non_null(value_name_problem("abcdefghijklmnopqrstuvwxyz012345", buf, sizeof(buf)));
	assert_non_null(value_name_problem("a b", buf, sizeof(buf)));
	assert_non_null(value_name_problem("", buf, sizeof(buf)));
}

/* single.xml with the default RAM: 8 MiB reserve + image 12K + stack 64K + heap 1M +
 * info 4K + page tables (16K + 4 spans x 4K) = 8 MiB + 1136 KiB; exactly that fits. */
void test_spot_memory(void **state)
{
	struct bhc_result r;
	struct plan_tables v;
	uint64_t need = MEMORY_KERNEL_RESERVE + KIB(1136);

	(void)state;
	const char *path = corpus_copy("single.xml");
	compile_ok(path, need, &r, &v);
	assert_int_equal(r.l.memory_total, need);
	assert_int_equal(v.h->memory_bytes, need);
	bhc_result_free(&r);
	assert_false(test_compile(path, need - 4096, &r));
	assert_int_equal(r.diag.n, 1);
	assert_non_null(strstr(r.diag.v[0].text, "out of memory: domain 'only' needs 1136 KiB"));
	bhc_result_free(&r);
}

/* Checks that domain @d of @v records the SHA-256 of the image file @name in the image dir. */
static void expect_image_hash(const struct plan_tables *v, uint32_t d, const char *name)
{
	char path[PATH_MAX + 300];
	unsigned char buf[4096];
	uint8_t want[SHA256_BYTES];
	struct sha256 s;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.elf", test_env.images, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	sha256_init(&s);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sha256_update(&s, buf, n);
	fclose(f);
	sha256_final(&s, want);
	assert_memory_equal(v->domains[d].image_sha256, want, SHA256_BYTES);
}

/* valid/hardening.xml: the flags of the plan (version 4) and each image's SHA-256. */
void test_spot_hardening(void **state)
{
	struct bhc_result r;
	struct plan_tables v;

	(void)state;
	compile_ok(corpus_copy("hardening.xml"), MIB(512), &r, &v);
	uint32_t con = test_domain(&v, "console"), kbd = test_domain(&v, "kbd");
	uint32_t comp = test_domain(&v, "compiler"), run = test_domain(&v, "runner");
	assert_int_equal(v.h->version, 4);
	assert_int_equal(v.domains[kbd].flags, BP_DOMAIN_SSBD);
	assert_int_equal(v.domains[con].flags | v.domains[comp].flags | v.domains[run].flags, 0);
	assert_int_equal(v.regions[0].flags, BP_REGION_WX_SHARED); /* jit */
	assert_int_equal(v.regions[1].flags, 0);                   /* high */
	const struct bp_ioport *io = &v.ioports[v.domains[kbd].first_ioport];
	assert_int_equal(io[0].base, 0x60);
	assert_int_equal(io[0].flags, BP_IOPORT_MACHINE);
	assert_int_equal(io[1].flags, 0);
	assert_int_equal(v.ioports[v.domains[con].first_ioport].flags, 0);
	assert_int_equal(v.domains[run].budget_us, BP_MIN_BUDGET_US);
	assert_int_equal(v.domains[run].period_us, BP_MAX_PERIOD_US);
	expect_vaddr(&v, run, "high", BH_RES_MAP, NULL, BH_USER_MAP_END - 0x1000, 0x1000);
	expect_image_hash(&v, con, "console");
	expect_image_hash(&v, kbd, "a");
	expect_image_hash(&v, comp, "b");
	expect_image_hash(&v, run, "c");
	bhc_result_free(&r);
}

/* A device's record in the plan: owner, PCI address, irq bit, flags and window. */
static void expect_device(const struct plan_tables *v, uint32_t i, const char *name, uint32_t d,
                          uint32_t pci, uint32_t irq, uint32_t flags, uint64_t window)
{
	const struct bp_device *dev = &v->devices[i];

	assert_string_equal(dev->name, name);
	assert_int_equal(dev->domain, d);
	assert_int_equal(dev->pci, pci);
	assert_int_equal(dev->irq_bit, irq);
	assert_int_equal(dev->flags, flags);
	assert_int_equal(dev->window, window);
	assert_int_equal(dev->window_size, BH_DEVICE_WINDOW);
}

/* The flags of domain @d's map @j and of its start-info entry. */
static void expect_map_flags(const struct plan_tables *v, uint32_t d, uint32_t j, const char *name,
                             uint32_t map_flags, uint32_t info_flags)
{
	assert_int_equal(v->maps[v->domains[d].first_map + j].flags, map_flags);
	assert_int_equal(test_entry(v, d, name, BH_RES_MAP, NULL)->flags, info_flags);
}

/* valid/devices.xml: device records, windows, slots, irq ids among channel ids, DMA flags. */
void test_spot_devices(void **state)
{
	struct bhc_result r;
	struct plan_tables v;

	(void)state;
	compile_ok(corpus_copy("devices.xml"), MIB(512), &r, &v);
	uint32_t blk = test_domain(&v, "blkdrv"), net = test_domain(&v, "netdrv");
	uint32_t client = test_domain(&v, "client");
	assert_int_equal(v.h->devices.count, 3);
	expect_device(&v, 0, "disk0", blk, BH_PCI_ADDR(0, 0, 4, 0), 63, 0, BH_DEVICE_BASE);
	expect_device(&v, 1, "disk1", blk, BH_PCI_ADDR(0, 0, 0x1f, 7), BP_NONE, 0,
	              BH_DEVICE_BASE + BH_DEVICE_WINDOW);
	expect_device(&v, 2, "nic0", net, BH_PCI_ADDR(0, 0xff, 0, 0), 0, BP_DEVICE_DMA_UNCONFINED,
	              BH_DEVICE_BASE);
	/* Slots: the channel, the stdout ring, the two maps, then the devices. */
	expect_entry(&v, blk, "disk0", BH_RES_DEVICE, NULL, 4, 63);
	expect_entry(&v, blk, "disk1", BH_RES_DEVICE, NULL, 5, BP_NONE);
	expect_entry(&v, net, "nic0", BH_RES_DEVICE, NULL, 2, 0);
	assert_int_equal(test_entry(&v, net, "nic0", BH_RES_DEVICE, NULL)->flags, 0xff00);
	expect_vaddr(&v, blk, "disk1", BH_RES_DEVICE, NULL, BH_DEVICE_BASE + BH_DEVICE_WINDOW,
	             BH_DEVICE_WINDOW);
	/* irq 63 is taken: blkdrv's stdout ring gets 62; netdrv's irq 0 leaves it 63. */
	assert_int_equal(test_entry(&v, blk, "stdout", BH_RES_RING, "console")->bit, 62);
	assert_int_equal(test_entry(&v, net, "stdout", BH_RES_RING, "console")->bit, 63);
	expect_map_flags(&v, blk, 0, "blk-dma", BP_MAP_DMA, RW | BH_INFO_MAP_DMA);
	expect_map_flags(&v, blk, 1, "data", BP_MAP_DMA, BH_RIGHT_READ | BH_INFO_MAP_DMA);
	expect_map_flags(&v, net, 0, "net-dma", BP_MAP_DMA, RW | BH_INFO_MAP_DMA);
	expect_map_flags(&v, client, 0, "data", 0, RW);
	assert_int_equal(manifest_role(&r.m, blk), M_ROLE_DRIVER);
	assert_int_equal(manifest_role(&r.m, client), M_ROLE_APPLICATION);
	bhc_result_free(&r);
}

/* The volume entry @name of @d: its data region, first sector, sectors and flags. */
static void expect_volume(const struct plan_tables *v, uint32_t d, const char *name,
                          const char *data, uint64_t first, uint64_t sectors, uint32_t flags)
{
	const struct bh_info_entry *e = test_entry(v, d, name, BH_RES_VOLUME, data);

	assert_int_equal(e->vaddr, first);
	assert_int_equal(e->size, sectors);
	assert_int_equal(e->flags, flags);
	assert_int_equal(e->slot, BH_NO_SLOT);
}

/* valid/volumes.xml: one BH_RES_VOLUME entry per volume, in the service only. */
void test_spot_volumes(void **state)
{
	struct bhc_result r;
	struct plan_tables v;
	unsigned n = 0;

	(void)state;
	compile_ok(corpus_copy("volumes.xml"), MIB(512), &r, &v);
	uint32_t st = test_domain(&v, "storage");
	expect_volume(&v, st, "vol-a", "a-data", 0x800, 16384, 0);
	expect_volume(&v, st, "vol-b", "b-data", 18432, 16384, 0);
	expect_volume(&v, st, "vol-c", "c-data", 40000, 100, BH_VOLUME_RO);
	expect_volume(&v, st, "vol-d", "d-data", 40050, 100, BH_VOLUME_RO);
	for (uint32_t d = 0; d < v.h->domains.count; d++)
		for (uint32_t i = 0; i < v.infos[d].n_entries; i++)
			n += v.infos[d].entries[i].kind == BH_RES_VOLUME;
	assert_int_equal(n, 4);
	bhc_result_free(&r);
}
