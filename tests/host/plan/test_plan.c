/* Boot-plan checker tests: a good hand-built plan passes; each corruption is refused for its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/info.h>
#include <bulkhead/abi/layout.h>
#include <kernel/crc32.h>
#include <kernel/plan.h>

#define RW (BH_RIGHT_READ | BH_RIGHT_WRITE)
#define RX (BH_RIGHT_READ | BH_RIGHT_EXEC)
#define R BH_RIGHT_READ

/* The plan under test, 8-byte aligned as the loader hands it over. */
static uint64_t plan_words[4096];
static size_t plan_len;

/* Pointers into plan_words, valid after build_good(). */
struct view {
	struct bp_header *h;
	struct bp_domain *dom;
	struct bp_region *reg;
	struct bp_map *map;
	struct bp_channel *ch;
	struct bp_cap *cap;
	struct bp_ioport *io;
	struct bh_start_info *info;
	struct bp_device *dev;
	struct bp_image *img;
	struct bp_fault *flt;
};
static struct view v;

/*
 * The good plan: domains con (0, reads the kernel log), a (1) and b (2);
 * regions shared (64K), ring (8K, a<->con), klog; channel 0 a<->b (bit 1 each),
 * channel 1 the ring's (a bit 63, con bit 62); klog bit 63 on con; ioports
 * 0x60 (con, a machine port granted as one) and 0x3f8..0x3ff (b); a runs without
 * speculative store bypass; b owns two devices, disk0 (00:04.0, irq bit 5) and
 * nic0 (00:05.0, no irq, unconfined DMA), in the first two device windows, and
 * its map of shared is its DMA map. Domain control: b holds a domain cap on a
 * with every right (slot 5) and receives a's faults (region fault-a, read-only
 * in b's ring area, bit 7); a has one alternative image, img-a2.
 */
static const struct bp_region regions[] = {
	{"shared", 0x10000, 0, 0},
	{"ring", 0x2000, BP_REGION_RING, 0},
	{"klog", 0x1000, BP_REGION_KLOG, 0},
	{"fault-a", 0x1000, BP_REGION_FAULT, 0},
};
static const struct bp_map maps[] = {
	{BH_RING_BASE + 0x1000, 2, R, 0},  /* con: klog */
	{BH_RING_BASE + 0x4000, 1, RW, 0}, /* con: ring, server */
	{0x40000000, 0, RW, 0},            /* a: shared */
	{BH_RING_BASE + 0x2000, 1, RW, 0}, /* a: ring, client */
	{0x40000000, 0, R, BP_MAP_DMA},    /* b: shared, for DMA */
	{BH_RING_BASE + 0x8000, 3, R, 0},  /* b: a's fault page */
};
static const struct bp_channel channels[] = {
	{{1, 2}, {1, 1}},
	{{1, 0}, {63, 62}},
};
static const struct bp_cap caps[] = {
	{0, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, 1, 1}, /* con */
	{1, BH_CAP_IOPORT, RW, 0, 0},
	{0, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, 0, 0}, /* a */
	{1, BH_CAP_CHANNEL, BH_RIGHT_SIGNAL, 1, 0},
	{2, BH_CAP_REGION, RW, 2, 0},
	{0, BH_CAP_CHANNEL, 0, 0, 1}, /* b */
	{1, BH_CAP_REGION, R, 4, 0},
	{2, BH_CAP_IOPORT, RW, 1, 0},
	{3, BH_CAP_DEVICE, RW, 0, 0},
	{4, BH_CAP_DEVICE, R, 1, 0},
	{5, BH_CAP_DOMAIN, BH_DOMAIN_RIGHTS_ALL, 1, 0},
};
static const struct bp_image images[] = {{"img-a2", {0}, 1, 1}};
static const struct bp_fault faults[] = {{1, 2, 3, 7}};
static const struct bp_ioport ioports[] = {{0x60, 1, BP_IOPORT_MACHINE}, {0x3f8, 8, 0}};
static const struct bp_device devices[] = {
	{"disk0", 2, BH_PCI_ADDR(0, 0, 4, 0), 5, 0, BH_DEVICE_BASE, BH_DEVICE_WINDOW},
	{"nic0", 2, BH_PCI_ADDR(0, 0, 5, 0), BP_NONE, BP_DEVICE_DMA_UNCONFINED,
         BH_DEVICE_BASE + BH_DEVICE_WINDOW, BH_DEVICE_WINDOW},
};

static void set_domain(struct bp_domain *d, const char *name, uint32_t map, uint32_t nmap,
                       uint32_t cap, uint32_t ncap, uint32_t io, uint32_t nio)
{
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->image, sizeof(d->image), "img-%s", name);
	d->stack_size = BH_DEFAULT_STACK;
	d->heap_size = BH_DEFAULT_HEAP;
	d->priority = 100;
	d->first_map = map;
	d->n_maps = nmap;
	d->first_cap = cap;
	d->n_caps = ncap;
	d->first_ioport = io;
	d->n_ioports = nio;
}

static struct bp_table place(size_t *pos, uint32_t count, size_t size)
{
	struct bp_table t = {(uint32_t)*pos, count};

	*pos += count * size;
	return t;
}

static void refix(void)
{
	if (v.h->total_size > sizeof(plan_words))
		return;
	v.h->checksum = 0;
	v.h->checksum = crc32_update(0, plan_words, v.h->total_size);
}

/* The writable view of the test's own plan buffer, through the checker's plan_tables. */
static void find_view(void)
{
	struct plan_tables t;

	plan_tables((const struct bp_header *)plan_words, &t);
	v.h = (struct bp_header *)plan_words;
	v.dom = (struct bp_domain *)(uintptr_t)t.domains;
	v.reg = (struct bp_region *)(uintptr_t)t.regions;
	v.map = (struct bp_map *)(uintptr_t)t.maps;
	v.ch = (struct bp_channel *)(uintptr_t)t.channels;
	v.cap = (struct bp_cap *)(uintptr_t)t.caps;
	v.io = (struct bp_ioport *)(uintptr_t)t.ioports;
	v.info = (struct bh_start_info *)(uintptr_t)t.infos;
	v.dev = (struct bp_device *)(uintptr_t)t.devices;
	v.img = (struct bp_image *)(uintptr_t)t.images;
	v.flt = (struct bp_fault *)(uintptr_t)t.faults;
}

static void build_good(void)
{
	struct bp_header *h = (struct bp_header *)plan_words;
	size_t pos = sizeof(*h);

	memset(plan_words, 0, sizeof(plan_words));
	h->magic = BP_MAGIC;
	h->version = BP_VERSION;
	h->header_size = sizeof(*h);
	h->memory_bytes = 512ull << 20;
	snprintf(h->system_name, sizeof(h->system_name), "test");
	h->domains = place(&pos, 3, sizeof(struct bp_domain));
	h->regions = place(&pos, 4, sizeof(struct bp_region));
	h->maps = place(&pos, 6, sizeof(struct bp_map));
	h->channels = place(&pos, 2, sizeof(struct bp_channel));
	h->caps = place(&pos, 11, sizeof(struct bp_cap));
	h->ioports = place(&pos, 2, sizeof(struct bp_ioport));
	h->infos = place(&pos, 3, sizeof(struct bh_start_info));
	h->devices = place(&pos, 2, sizeof(struct bp_device));
	h->images = place(&pos, 3, sizeof(struct bp_image)); /* room for corruptions */
	h->images.count = 1;
	h->faults = place(&pos, 2, sizeof(struct bp_fault));
	h->faults.count = 1;
	h->total_size = (uint32_t)pos;
	h->klog_domain = 0;
	h->klog_region = 2;
	h->klog_bit = 63;
	find_view();
	set_domain(&v.dom[0], "con", 0, 2, 0, 2, 0, 1);
	set_domain(&v.dom[1], "a", 2, 2, 2, 3, 1, 0);
	v.dom[1].flags = BP_DOMAIN_SSBD;
	set_domain(&v.dom[2], "b", 4, 2, 5, 6, 1, 1);
	memcpy(v.reg, regions, sizeof(regions));
	memcpy(v.map, maps, sizeof(maps));
	memcpy(v.ch, channels, sizeof(channels));
	memcpy(v.cap, caps, sizeof(caps));
	memcpy(v.io, ioports, sizeof(ioports));
	memcpy(v.dev, devices, sizeof(devices));
	memcpy(v.img, images, sizeof(images));
	memcpy(v.flt, faults, sizeof(faults));
	for (uint32_t i = 0; i < 3; i++) {
		v.info[i].magic = BH_INFO_MAGIC;
		v.info[i].version = BH_INFO_VERSION;
		v.info[i].domain_index = i;
	}
	plan_len = pos;
	refix();
}

/* Runs plan_check on an exact-size heap copy, so that a sanitizer sees any read past @len. */
static enum plan_err check_copy(size_t len, char *err, size_t errlen)
{
	void *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, plan_words, len);
	enum plan_err e = plan_check(copy, len, err, errlen);
	free(copy);
	return e;
}

/* Expects the first @len bytes of the plan refused with class @want and message @reason. */
static void expect_refused(size_t len, enum plan_err want, const char *reason)
{
	char err[256] = "";
	enum plan_err e = check_copy(len, err, sizeof(err));

	if (e == PLAN_OK)
		fail_msg("accepted; expected: %s", reason);
	if (strcmp(err, reason) != 0)
		fail_msg("\n  expected: %s\n  got:      %s", reason, err);
	if (e != want)
		fail_msg("refused as class %d, expected class %d: %s", e, want, reason);
}

static void test_good_plan(void **state)
{
	char err[256] = "";

	(void)state;
	build_good();
	if (plan_check(plan_words, plan_len, err, sizeof(err)) != PLAN_OK)
		fail_msg("good plan refused: %s", err);
	/* A longer buffer than total_size is fine (the module may be padded). */
	assert_int_equal(plan_check(plan_words, plan_len + 100, err, sizeof(err)), PLAN_OK);
	/* No kernel log at all is fine too, once its region is gone. */
	v.h->klog_domain = v.h->klog_region = v.h->klog_bit = BP_NONE;
	v.reg[2] = v.reg[3]; /* the fault region takes the log's place */
	v.map[5].region = v.flt[0].region = 2;
	v.h->regions.count = 3;
	v.dom[0].first_map = 1;
	v.dom[0].n_maps = 1;
	refix();
	if (plan_check(plan_words, plan_len, err, sizeof(err)) != PLAN_OK)
		fail_msg("plan without klog refused: %s", err);
}

/* Accepts @mutation of the good plan (checksum re-fixed); fails the test naming @what if not. */
static void expect_accepted(void (*mutation)(void), const char *what)
{
	char err[256] = "";

	build_good();
	mutation();
	refix();
	if (plan_check(plan_words, plan_len, err, sizeof(err)) != PLAN_OK)
		fail_msg("%s refused: %s", what, err);
}

static void code_sharing_flagged(void)
{
	v.map[4].rights = RX; /* a writes region 0, b executes it */
	v.reg[0].flags = BP_REGION_WX_SHARED;
	v.map[4].flags = 0; /* an executable map is no DMA map: b loses its devices */
	v.h->devices.count = 0;
	v.cap[8] = v.cap[10]; /* b keeps its domain cap, not its device caps */
	v.dom[2].n_caps = 4;
}

static void map_ends_at_map_end(void)
{
	v.map[2].vaddr = BH_USER_MAP_END - v.reg[0].size;
}

static void budget_bounds(void)
{
	v.dom[1].budget_us = BP_MIN_BUDGET_US;
	v.dom[1].period_us = BP_MAX_PERIOD_US;
}

static void machine_flag_on_ordinary_port(void)
{
	v.io[1].flags = BP_IOPORT_MACHINE;
}

static void names_like_reserved(void)
{
	memcpy(v.dom[1].name, "bulkheads", 10);
	memcpy(v.dom[2].name, "kerne", 6);
}

static void device_edges(void)
{
	v.dev[0].pci = BH_PCI_ADDR(0, 0xff, 0x1f, 7);
	v.dev[0].irq_bit = 63;
	v.dev[1].window = BH_DEVICE_END - BH_DEVICE_WINDOW;
	v.map[4].vaddr = BH_DMA_LIMIT - v.reg[0].size;
}

static void device_without_cap_or_irq(void)
{
	v.cap[8] = v.cap[10]; /* b keeps its domain cap, not its device caps */
	v.dom[2].n_caps = 4;
	v.dev[0].irq_bit = BP_NONE;
}

/* a may stop, resume and read b, which controls a: only restart rights may not cycle. */
static void control_both_ways(void)
{
	v.cap[4] = (struct bp_cap){2, BH_CAP_DOMAIN, BH_RIGHT_STOP | BH_RIGHT_RESUME, 2, 0};
}

/* Replace without the faults right: no fault record, no fault region. */
static void control_without_faults(void)
{
	v.cap[10].rights = BH_RIGHT_RESTART | BH_RIGHT_REPLACE;
	v.h->faults.count = 0;
	v.h->regions.count = 3;
	v.dom[2].n_maps = 1;
}

/* a has three alternatives, img-a2, img-a3, img-a4: its records follow one another. */
static void three_alternatives(void)
{
	v.h->images.count = 3;
	v.img[1] = v.img[0];
	v.img[1].index = 2;
	v.img[1].image[5] = '3';
	v.img[2] = v.img[0];
	v.img[2].index = 3;
	v.img[2].image[5] = '4';
}

/* Plans at the edge of each new rule pass: the rules refuse no more than they say. */
static void test_good_edges(void **state)
{
	(void)state;
	expect_accepted(code_sharing_flagged, "rx map of a code-sharing region written elsewhere");
	expect_accepted(map_ends_at_map_end, "a map ending at BH_USER_MAP_END");
	expect_accepted(budget_bounds, "the shortest budget in the longest period");
	expect_accepted(machine_flag_on_ordinary_port, "the machine flag on an ordinary port");
	expect_accepted(names_like_reserved, "names close to reserved ones");
	expect_accepted(device_edges, "the last PCI address, irq bit 63, the last window, a DMA "
	                              "map ending at BH_DMA_LIMIT");
	expect_accepted(device_without_cap_or_irq, "devices without a cap and without an irq");
	expect_accepted(control_both_ways, "stop rights against the direction of restart rights");
	expect_accepted(control_without_faults, "a domain cap without the faults right");
	expect_accepted(three_alternatives, "three alternatives of one domain");
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(crc32_update(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_int_equal(crc32_update(0, "", 0), 0);
}

static void test_checksum(void **state)
{
	char want[128];

	(void)state;
	build_good();
	uint32_t good = v.h->checksum;
	v.dom[1].priority = 101; /* changed after the checksum was computed */
	v.h->checksum = 0;
	uint32_t actual = crc32_update(0, plan_words, plan_len);
	v.h->checksum = good;
	snprintf(want, sizeof(want), "checksum 0x%x does not match the plan's CRC-32 0x%x", good,
	         actual);
	expect_refused(plan_len, PLAN_ERR_CHECKSUM, want);
}

static void test_truncated(void **state)
{
	char want[128];

	(void)state;
	build_good();
	snprintf(want, sizeof(want), "total_size %u exceeds the %u bytes loaded (truncated plan?)",
	         (unsigned)plan_len, (unsigned)plan_len - 8);
	expect_refused(plan_len - 8, PLAN_ERR_HEADER, want);
	expect_refused(100, PLAN_ERR_HEADER, "plan too short: 100 bytes, the header alone has 160");
	expect_refused(0, PLAN_ERR_HEADER, "plan too short: 0 bytes, the header alone has 160");
	/* Every shorter length is refused, for the header. */
	for (size_t len = 0; len < plan_len; len++)
		assert_int_equal(check_copy(len, want, sizeof(want)), PLAN_ERR_HEADER);
}

/* A small error buffer gets a truncated, terminated reason; none at all is fine. */
static void test_err_buffer(void **state)
{
	char err[8];

	(void)state;
	build_good();
	v.h->version = 9;
	memset(err, 'x', sizeof(err));
	assert_int_equal(plan_check(plan_words, plan_len, err, sizeof(err)), PLAN_ERR_HEADER);
	assert_int_equal(err[7], '\0');
	assert_int_equal(plan_check(plan_words, plan_len, NULL, 0), PLAN_ERR_HEADER);
	assert_int_equal(plan_check(NULL, 0, NULL, 0), PLAN_ERR_HEADER);
}

/* Flipping any byte (checksum re-fixed) must never crash or read out of bounds. */
static void test_every_byte(void **state)
{
	char err[256];
	unsigned refused = 0;

	(void)state;
	build_good();
	uint32_t good_sum = v.h->checksum;
	for (size_t i = 0; i < plan_len; i++) {
		for (unsigned pattern = 0; pattern < 3; pattern++) {
			static const uint8_t xors[] = {0xff, 0x01, 0x80};
			bool in_sum = i >= offsetof(struct bp_header, checksum) &&
			              i < offsetof(struct bp_header, checksum) + 4;
			((uint8_t *)plan_words)[i] ^= xors[pattern];
			if (!in_sum)
				refix();
			enum plan_err e = check_copy(plan_len, err, sizeof(err));
			assert_in_range(e, PLAN_OK, PLAN_N_ERRS - 1);
			refused += e != PLAN_OK;
			((uint8_t *)plan_words)[i] ^= xors[pattern];
			v.h->checksum = good_sum;
		}
	}
	/* Most flips hit names, reserved space or info pages; many must still be caught. */
	assert_true(refused > 500);
}

/* ---- corruptions: each changes the good plan, re-fixes the checksum, names the reason ---- */

struct corruption {
	const char *name;
	void (*mutate)(void);
	enum plan_err err_class;
	const char *reason;
};

#define C(n, class, body, why) \
	static void n(void)    \
	{                      \
		body;          \
	}
#include "corruptions.h"
#undef C

static const struct corruption corruptions[] = {
#define C(n, class, body, why) {#n, n, PLAN_ERR_##class, why},
#include "corruptions.h"
#undef C
};

static void test_corruption(void **state)
{
	const struct corruption *c = *state;

	build_good();
	c->mutate();
	refix();
	expect_refused(plan_len, c->err_class, c->reason);
}

/* Every class of problem but the checksum (test_checksum) has a corruption that yields it. */
static void test_every_class(void **state)
{
	bool seen[PLAN_N_ERRS] = {false};

	(void)state;
	for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++)
		seen[corruptions[i].err_class] = true;
	for (int e = PLAN_ERR_HEADER; e < PLAN_N_ERRS; e++)
		if (!seen[e] && e != PLAN_ERR_CHECKSUM)
			fail_msg("no corruption is refused with class %d", e);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_crc32),      cmocka_unit_test(test_good_plan),
		cmocka_unit_test(test_checksum),   cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_err_buffer), cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_good_edges), cmocka_unit_test(test_every_class),
	};
	enum {
		N_FIXED = sizeof(fixed) / sizeof(fixed[0]),
		N_CORR = sizeof(corruptions) / sizeof(corruptions[0])
	};
	static struct CMUnitTest tests[N_FIXED + N_CORR];

	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < N_CORR; i++)
		tests[N_FIXED + i] = (struct CMUnitTest){corruptions[i].name, test_corruption, NULL,
		                                         NULL, (void *)&corruptions[i]};
	return _cmocka_run_group_tests("plan", tests, N_FIXED + N_CORR, NULL, NULL);
}
