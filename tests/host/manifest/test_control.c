/* Manifest test of domain control: the plan v4 tables, caps and entries of valid/control.xml. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/layout.h>
#include <kernel/sha256.h>

#include "test_util.h"

#define ALL_RIGHTS \
	(BH_RIGHT_STOP | BH_RIGHT_RESUME | BH_RIGHT_RESTART | BH_RIGHT_REPLACE | BH_RIGHT_FAULTS)

static const void *table_at(const struct plan_tables *v, struct bp_table t)
{
	return (const char *)v->h + t.offset;
}

/* @sha is the SHA-256 of the fake image @name. */
static void expect_sha256(const uint8_t *sha, const char *name)
{
	char path[PATH_MAX + 64];
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
	assert_memory_equal(sha, want, SHA256_BYTES);
}

/* The module list holds @name exactly once. */
static void expect_module(const struct bhc_result *r, const char *name)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->l.n_modules; i++)
		n += strcmp(r->l.modules[i].name, name) == 0;
	assert_int_equal(n, 1);
}

/* Alternatives: numbered from 1 in the domain, their own modules. */
static void check_images(const struct bhc_result *r, const struct plan_tables *v, uint32_t drv)
{
	const struct bp_image *im = table_at(v, v->h->images);

	assert_int_equal(v->h->images.count, 2);
	assert_string_equal(im[0].image, "driver-v2");
	assert_string_equal(im[1].image, "ping");
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(im[i].domain, drv);
		assert_int_equal(im[i].index, i + 1);
	}
	expect_sha256(im[0].image_sha256, "driver-v2");
	expect_sha256(im[1].image_sha256, "ping");
	expect_module(r, "driver-v2");
	expect_module(r, "ping");
}

/* Fault pages: ids from 63 down before the stdout ring, pages after the cursor's guard page. */
static void check_faults(const struct plan_tables *v, uint32_t sup, uint32_t drv, uint32_t app)
{
	const struct bp_fault *f = table_at(v, v->h->faults);
	const struct bh_info_entry *e = test_entry(v, sup, "drv", BH_RES_DOMAIN, NULL);

	assert_int_equal(v->h->faults.count, 2);
	assert_int_equal(f[0].target, drv);
	assert_int_equal(f[1].target, app);
	assert_int_equal(f[0].supervisor, sup);
	assert_int_equal(f[0].bit, 63);
	assert_int_equal(f[1].bit, 62);
	assert_string_equal(v->regions[f[0].region].name, "fault.drv");
	assert_int_equal(v->regions[f[0].region].flags, BP_REGION_FAULT);
	assert_int_equal(e->flags, ALL_RIGHTS);
	assert_int_equal(e->slot, 2); /* after its stdout end and its map */
	assert_int_equal(e->vaddr, BH_RING_BASE + 0x1000);
	assert_int_equal(e->size, 0x1000);
	e = test_entry(v, sup, "app", BH_RES_DOMAIN, NULL);
	assert_int_equal(e->flags, BH_RIGHT_RESTART | BH_RIGHT_FAULTS);
	assert_int_equal(e->slot, 3);
	assert_int_equal(e->vaddr, BH_RING_BASE + 0x3000);
	assert_int_equal(test_entry(v, sup, "stdout", BH_RES_RING, NULL)->bit, 61);
}

/* A <control> without faults: no page, no bit. */
static void check_plain_control(const struct plan_tables *v, uint32_t worker)
{
	const struct bh_info_entry *e = test_entry(v, worker, "app", BH_RES_DOMAIN, NULL);

	assert_int_equal(e->flags, BH_RIGHT_STOP | BH_RIGHT_RESUME);
	assert_int_equal(e->vaddr, 0);
	assert_int_equal(e->size, 0);
	assert_int_equal(e->bit, BP_NONE);
}

/* Policies: the given values in us, and the defaults. */
static void check_policies(const struct plan_tables *v, uint32_t sup, uint32_t drv, uint32_t app)
{
	const struct bh_info_entry *p = test_entry(v, sup, "drv", BH_RES_POLICY, "hb-drv");

	assert_int_equal(p->vaddr, 200000);
	assert_int_equal(p->size, 5000000);
	assert_int_equal(p->slot, 20000);
	assert_int_equal(p->flags, 3 | BH_POLICY_ON_FAULT | BH_POLICY_ON_HANG);
	assert_int_equal(p->bit, 1000);
	p = test_entry(v, sup, "app", BH_RES_POLICY, "");
	assert_int_equal(p->vaddr, 0);
	assert_int_equal(p->size, 10000000);
	assert_int_equal(p->slot, 10000);
	assert_int_equal(p->flags, 5 | BH_POLICY_ON_FAULT);
	assert_int_equal(p->bit, 0);
	assert_int_equal(test_entry(v, drv, "hb-drv", BH_RES_MAP, NULL)->flags,
	                 BH_RIGHT_READ | BH_RIGHT_WRITE | BH_INFO_MAP_HEARTBEAT);
	assert_int_equal(test_entry(v, app, "hb-app", BH_RES_MAP, NULL)->flags,
	                 BH_RIGHT_READ | BH_RIGHT_WRITE);
}

/* valid/control.xml: alternatives, fault routes, control caps and supervision policies. */
void test_spot_control(void **state)
{
	char src[PATH_MAX + 300];
	struct bhc_result r;
	struct plan_tables v;

	(void)state;
	snprintf(src, sizeof(src), "%s/valid/control.xml", test_env.corpus);
	if (!test_compile(test_copy(src, "control.xml"), 512ull << 20, &r)) {
		diag_print(&r.diag, stderr);
		fail_msg("control.xml was refused");
	}
	plan_tables(r.plan, &v);
	uint32_t sup = test_domain(&v, "supervisor"), drv = test_domain(&v, "drv");
	uint32_t app = test_domain(&v, "app"), worker = test_domain(&v, "worker");
	check_images(&r, &v, drv);
	check_faults(&v, sup, drv, app);
	check_plain_control(&v, worker);
	check_policies(&v, sup, drv, app);
	bhc_result_free(&r);
}
