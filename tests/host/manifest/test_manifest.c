/* Manifest compiler tests: every manifest of tests/manifest, spot checks, and the bhc command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/layout.h>
#include <kernel/plan.h>

#include "fake_elf.h"
#include "test_util.h"

struct test_env test_env;

/* One manifest of the corpus. */
struct corpus_case {
	char path[PATH_MAX];
	char name[256];
};

/* ---- helpers shared with the other test files ---- */

bool test_compile(const char *path, uint64_t memory, struct bhc_result *r)
{
	const char *dirs[] = {test_env.images};
	struct bhc_options o = {path, dirs, 1, memory, 0};

	memset(r, 0, sizeof(*r));
	return bhc_compile(&o, r);
}

const char *test_copy(const char *src, const char *name)
{
	static char dst[PATH_MAX + 300];
	char buf[8192];
	size_t n;

	snprintf(dst, sizeof(dst), "%s/%s", test_env.tmp, name);
	FILE *in = fopen(src, "rb");
	FILE *out = fopen(dst, "wb");
	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	return dst;
}

uint32_t test_domain(const struct plan_tables *v, const char *name)
{
	for (uint32_t i = 0; i < v->h->domains.count; i++)
		if (strcmp(v->domains[i].name, name) == 0)
			return i;
	fail_msg("no domain %s in the plan", name);
	return 0;
}

const struct bh_info_entry *test_entry(const struct plan_tables *v, uint32_t d, const char *name,
                                       uint32_t kind, const char *peer)
{
	const struct bh_start_info *info = &v->infos[d];

	for (uint32_t i = 0; i < info->n_entries; i++) {
		const struct bh_info_entry *e = &info->entries[i];
		if (e->kind == kind && strcmp(e->name, name) == 0 &&
		    (!peer || strcmp(e->peer, peer) == 0))
			return e;
	}
	fail_msg("domain %s has no entry %s (kind %u, peer %s)", v->domains[d].name, name, kind,
	         peer ? peer : "any");
	return NULL;
}

/* ---- invariants of every plan ---- */

static const struct bp_cap *cap_in_slot(const struct plan_tables *v, uint32_t d, uint32_t slot)
{
	for (uint32_t k = 0; k < v->domains[d].n_caps; k++)
		if (v->caps[v->domains[d].first_cap + k].slot == slot)
			return &v->caps[v->domains[d].first_cap + k];
	fail_msg("domain %s has no cap in slot %u", v->domains[d].name, slot);
	return NULL;
}

/* Slots are dense from 0; every channel end and every device is held by its domain. */
static void check_caps(const struct plan_tables *v)
{
	for (uint32_t d = 0; d < v->h->domains.count; d++)
		for (uint32_t k = 0; k < v->domains[d].n_caps; k++)
			assert_int_equal(v->caps[v->domains[d].first_cap + k].slot, k);
	for (uint32_t c = 0; c < v->h->channels.count; c++) {
		for (uint32_t s = 0; s < 2; s++) {
			const struct bp_domain *dom = &v->domains[v->channels[c].domain[s]];
			unsigned held = 0;
			for (uint32_t k = 0; k < dom->n_caps; k++) {
				const struct bp_cap *cap = &v->caps[dom->first_cap + k];
				held += cap->type == BH_CAP_CHANNEL && cap->object == c &&
				        cap->end == s;
			}
			assert_int_equal(held, 1);
		}
	}
	for (uint32_t i = 0; i < v->h->devices.count; i++) {
		const struct bp_domain *dom = &v->domains[v->devices[i].domain];
		unsigned held = 0;
		for (uint32_t k = 0; k < dom->n_caps; k++)
			held += v->caps[dom->first_cap + k].type == BH_CAP_DEVICE &&
			        v->caps[dom->first_cap + k].object == i;
		assert_int_equal(held, 1);
	}
}

/* Ring-area maps: aligned to their size rounded up to a power of two, a guard page apart. */
static void check_ring_placement(const struct plan_tables *v)
{
	for (uint32_t d = 0; d < v->h->domains.count; d++) {
		uint64_t last_end = BH_RING_BASE;
		for (uint32_t j = 0; j < v->domains[d].n_maps; j++) {
			const struct bp_map *mp = &v->maps[v->domains[d].first_map + j];
			uint64_t size = v->regions[mp->region].size, align = BH_PAGE_SIZE;
			if (!(v->regions[mp->region].flags &
			      (BP_REGION_RING | BP_REGION_KLOG | BP_REGION_FAULT)))
				continue;
			while (align < size)
				align <<= 1;
			assert_int_equal(mp->vaddr % align, 0);
			assert_true(mp->vaddr >= last_end + BH_PAGE_SIZE);
			assert_true(mp->vaddr + size + BH_PAGE_SIZE <= BH_RING_END);
			last_end = mp->vaddr + size;
		}
	}
}

/* The plan's fault records (plan v4; read here from the header, as plan_check accepted it). */
static const struct bp_fault *faults_of(const struct plan_tables *v)
{
	return (const struct bp_fault *)(const void *)((const char *)v->h + v->h->faults.offset);
}

/* A <control>: its cap names the target; with faults, a fault record and a read-only page. */
static void check_domain_entry(const struct plan_tables *v, uint32_t d,
                               const struct bh_info_entry *e)
{
	const struct bp_cap *cap = cap_in_slot(v, d, e->slot);
	unsigned routes = 0;

	assert_int_equal(cap->type, BH_CAP_DOMAIN);
	assert_int_equal(cap->rights, e->flags);
	assert_string_equal(v->domains[cap->object].name, e->name);
	for (uint32_t i = 0; i < v->h->faults.count; i++) {
		const struct bp_fault *f = &faults_of(v)[i];
		if (f->supervisor != d || f->target != cap->object)
			continue;
		routes++;
		assert_int_equal(f->bit, e->bit);
		assert_int_equal(v->regions[f->region].flags, BP_REGION_FAULT);
		assert_int_equal(v->regions[f->region].size, e->size);
		const struct bp_domain *dom = &v->domains[d];
		unsigned maps = 0;
		for (uint32_t j = 0; j < dom->n_maps; j++) {
			const struct bp_map *mp = &v->maps[dom->first_map + j];
			if (mp->region == f->region) {
				maps++;
				assert_int_equal(mp->vaddr, e->vaddr);
				assert_int_equal(mp->rights, BH_RIGHT_READ);
			}
		}
		assert_int_equal(maps, 1);
	}
	assert_int_equal(routes, (e->flags & BH_RIGHT_FAULTS) ? 1 : 0);
	if (!routes)
		assert_int_equal(e->bit, BP_NONE);
}

/* A <supervise>: a <control> entry on the same target with restart; the heartbeat map. */
static void check_policy_entry(const struct plan_tables *v, uint32_t d,
                               const struct bh_info_entry *e)
{
	const struct bh_info_entry *c = test_entry(v, d, e->name, BH_RES_DOMAIN, NULL);

	assert_true(c->flags & BH_RIGHT_RESTART);
	assert_true(BH_POLICY_MAX_RESTARTS(e->flags) > 0);
	if (e->flags & BH_POLICY_ON_FAULT)
		assert_true(c->flags & BH_RIGHT_FAULTS);
	if (!(e->flags & BH_POLICY_ON_HANG))
		return;
	assert_true(e->vaddr >= 5ull * BH_HEARTBEAT_US);
	const struct bh_info_entry *own = test_entry(v, d, e->peer, BH_RES_MAP, NULL);
	const struct bh_info_entry *its =
		test_entry(v, test_domain(v, e->name), e->peer, BH_RES_MAP, NULL);
	assert_int_equal(own->flags, BH_RIGHT_READ);
	assert_int_equal(its->flags, BH_RIGHT_READ | BH_RIGHT_WRITE | BH_INFO_MAP_HEARTBEAT);
}

/* Every info entry agrees with the tables it describes. */
static void check_entry(const struct plan_tables *v, uint32_t d, const struct bh_info_entry *e)
{
	if (e->kind == BH_RES_CHANNEL || e->kind == BH_RES_RING) {
		const struct bp_cap *cap = cap_in_slot(v, d, e->slot);
		assert_int_equal(cap->type, BH_CAP_CHANNEL);
		assert_int_equal(v->channels[cap->object].bit[cap->end], e->bit);
		assert_string_equal(v->domains[v->channels[cap->object].domain[1 - cap->end]].name,
		                    e->peer);
	} else if (e->kind == BH_RES_MAP) {
		const struct bp_cap *cap = cap_in_slot(v, d, e->slot);
		const struct bp_map *mp = &v->maps[cap->object];
		assert_int_equal(cap->type, BH_CAP_REGION);
		assert_int_equal(mp->vaddr, e->vaddr);
		assert_int_equal(mp->rights | ((mp->flags & BP_MAP_DMA) ? BH_INFO_MAP_DMA : 0),
		                 e->flags & ~BH_INFO_MAP_HEARTBEAT);
		assert_string_equal(v->regions[mp->region].name, e->name);
	} else if (e->kind == BH_RES_DEVICE) {
		const struct bp_cap *cap = cap_in_slot(v, d, e->slot);
		const struct bp_device *dev = &v->devices[cap->object];
		assert_int_equal(cap->type, BH_CAP_DEVICE);
		assert_int_equal(cap->rights, BH_RIGHT_READ | BH_RIGHT_WRITE);
		assert_int_equal(dev->domain, d);
		assert_string_equal(dev->name, e->name);
		assert_int_equal(dev->pci, e->flags);
		assert_int_equal(dev->window, e->vaddr);
		assert_int_equal(dev->window_size, e->size);
		assert_int_equal(dev->irq_bit, e->bit);
	} else if (e->kind == BH_RES_VOLUME) {
		/* A volume's ring, by its name, from the data region's client to this domain. */
		const struct bh_info_entry *r = test_entry(v, d, e->name, BH_RES_RING, NULL);
		assert_int_equal(r->flags, BH_RING_SERVER);
		assert_int_equal(e->slot, BH_NO_SLOT);
		assert_true(e->size > 0 && e->vaddr + e->size > e->vaddr);
		assert_int_equal(e->flags & ~BH_VOLUME_RO, 0);
	} else if (e->kind == BH_RES_DOMAIN) {
		check_domain_entry(v, d, e);
	} else if (e->kind == BH_RES_POLICY) {
		check_policy_entry(v, d, e);
	} else if (e->kind == BH_RES_IOPORT) {
		const struct bp_cap *cap = cap_in_slot(v, d, e->slot);
		assert_int_equal(cap->type, BH_CAP_IOPORT);
		assert_int_equal(v->ioports[cap->object].base, e->vaddr);
	} else {
		assert_int_equal(e->kind, BH_RES_KLOG);
		assert_int_equal(e->slot, BH_NO_SLOT);
		assert_int_equal(e->bit, v->h->klog_bit);
		assert_int_equal(d, v->h->klog_domain);
	}
}

static unsigned count_entries(const struct plan_tables *v, uint32_t d, const char *name,
                              uint32_t kind, uint32_t flags)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < v->infos[d].n_entries; i++) {
		const struct bh_info_entry *e = &v->infos[d].entries[i];
		n += e->kind == kind && strcmp(e->name, name) == 0 && e->flags == flags;
	}
	return n;
}

/* With a console, each other domain has a stdout ring to it and it has the kernel log. */
static void check_console_wiring(const struct plan_tables *v)
{
	uint32_t con = v->h->klog_domain, n = v->h->domains.count;

	for (uint32_t d = 0; d < n; d++) {
		unsigned expect = con == BP_NONE || d == con ? 0 : 1;
		assert_int_equal(count_entries(v, d, "stdout", BH_RES_RING, BH_RING_CLIENT),
		                 expect);
		if (expect)
			test_entry(v, d, "stdout", BH_RES_RING, v->domains[con].name);
		if (expect)
			test_entry(v, con, "stdout", BH_RES_RING, v->domains[d].name);
	}
	if (con == BP_NONE) {
		assert_int_equal(v->h->klog_region, BP_NONE);
		return;
	}
	assert_int_equal(count_entries(v, con, "stdout", BH_RES_RING, BH_RING_SERVER), n - 1);
	assert_int_equal(v->regions[v->h->klog_region].flags, BP_REGION_KLOG);
	test_entry(v, con, "klog", BH_RES_KLOG, NULL);
}

void test_plan_invariants(const struct bhc_result *r)
{
	char why[256] = "";
	struct plan_tables v;

	assert_non_null(r->plan);
	if (plan_check(r->plan, r->plan_size, why, sizeof(why)) != PLAN_OK)
		fail_msg("plan_check refuses the plan: %s", why);
	plan_tables(r->plan, &v);
	assert_int_equal(v.h->total_size, r->plan_size);
	check_caps(&v);
	check_ring_placement(&v);
	for (uint32_t d = 0; d < v.h->domains.count; d++)
		for (uint32_t i = 0; i < v.infos[d].n_entries; i++)
			check_entry(&v, d, &v.infos[d].entries[i]);
	check_console_wiring(&v);
	for (uint32_t d = 0; d < v.h->domains.count; d++) {
		bool found = false;
		for (size_t i = 0; i < r->l.n_modules; i++)
			found |= strcmp(r->l.modules[i].name, v.domains[d].image) == 0;
		assert_true(found);
	}
}

/* ---- the corpus ---- */

static void test_valid(void **state)
{
	const struct corpus_case *c = *state;
	struct bhc_result r;

	bool ok = test_compile(test_copy(c->path, c->name), 512ull << 20, &r);
	if (!ok) {
		diag_print(&r.diag, stderr);
		fail_msg("%s was refused", c->name);
	}
	test_plan_invariants(&r);
	bhc_result_free(&r);
}

/* The expectation: NAME.expect if it exists, else the first line's <!-- expect: ... -->. */
static void read_expectation(const char *path, char *out, size_t len)
{
	char side[PATH_MAX + 16], line[2048];
	static const char head[] = "<!-- expect: ", tail[] = " -->";

	snprintf(side, sizeof(side), "%.*s.expect", (int)(strlen(path) - 4), path);
	FILE *f = fopen(side, "r");
	bool sidecar = f != NULL;
	if (!f)
		f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (sidecar) {
		snprintf(out, len, "%s", line);
		return;
	}
	size_t n = strlen(line);
	if (strncmp(line, head, strlen(head)) != 0 || n < strlen(head) + strlen(tail) ||
	    strcmp(line + n - strlen(tail), tail) != 0)
		fail_msg("%s: the first line must be <!-- expect: LINE: error: MESSAGE -->", path);
	snprintf(out, len, "%.*s", (int)(n - strlen(head) - strlen(tail)), line + strlen(head));
}

/* "DIR/NAME.xml:12: error: ... DIR ..." -> "12: error: ... @TMP@ ..." */
static void normalize(const char *text, const char *file, char *out, size_t len)
{
	const char *p = text;
	size_t flen = strlen(file), tlen = strlen(test_env.tmp), o = 0;

	if (strncmp(p, file, flen) == 0 && p[flen] == ':')
		p += flen + 1;
	while (*p && o + 6 < len) {
		if (strncmp(p, test_env.tmp, tlen) == 0) {
			o += (size_t)snprintf(out + o, len - o, "@TMP@");
			p += tlen;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

static void test_invalid(void **state)
{
	const struct corpus_case *c = *state;
	char expect[2048], got[4096];
	struct bhc_result r;

	read_expectation(c->path, expect, sizeof(expect));
	const char *copy = test_copy(c->path, c->name);
	bool ok = test_compile(copy, 512ull << 20, &r);
	if (ok)
		fail_msg("%s was accepted; expected: %s", c->name, expect);
	assert_null(r.plan);
	if (r.diag.n != 1) {
		diag_print(&r.diag, stderr);
		fail_msg("%s: %zu errors, expected exactly one", c->name, r.diag.n);
	}
	normalize(r.diag.v[0].text, copy, got, sizeof(got));
	if (strcmp(got, expect) != 0)
		fail_msg("%s:\n  expected: %s\n  got:      %s", c->name, expect, got);
	bhc_result_free(&r);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct corpus_case *)a)->name, ((const struct corpus_case *)b)->name);
}

/* Lists the .xml files in @dir, sorted, into *@cases (grown), returning how many were added. */
static size_t list_corpus(const char *dir, struct corpus_case **cases, size_t n)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	size_t first = n;

	if (!dp) {
		fprintf(stderr, "cannot open corpus directory %s\n", dir);
		exit(1);
	}
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0)
			continue;
		*cases = realloc(*cases, (n + 1) * sizeof(**cases));
		snprintf((*cases)[n].path, sizeof((*cases)[n].path), "%s/%s", dir, de->d_name);
		snprintf((*cases)[n].name, sizeof((*cases)[n].name), "%s", de->d_name);
		n++;
	}
	closedir(dp);
	if (n > first)
		qsort(*cases + first, n - first, sizeof(**cases), by_name);
	return n - first;
}

static void make_env(void)
{
	char alt[PATH_MAX + 8];

	char made[] = "/tmp/bhc-test-XXXXXX";

	if (!mkdtemp(made) || !realpath(made, test_env.tmp)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(test_env.images, sizeof(test_env.images), "%.4000s/images", test_env.tmp);
	snprintf(alt, sizeof(alt), "%.4000s/alt", test_env.tmp);
	if (mkdir(test_env.images, 0755) || mkdir(alt, 0755) ||
	    !fake_elf_write_all(test_env.images) || !fake_elf_write_all(alt)) {
		perror("writing fake images");
		exit(1);
	}
}

static void remove_env(void)
{
	char cmd[PATH_MAX + 16];

	if (strncmp(test_env.tmp, "/tmp/bhc-test-", 14) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_env.tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", test_env.tmp);
}

static struct CMUnitTest *add_tests(struct CMUnitTest *t, size_t *n, struct corpus_case *cases,
                                    size_t count, CMUnitTestFunction fn)
{
	t = realloc(t, (*n + count) * sizeof(*t));
	for (size_t i = 0; i < count; i++)
		t[(*n)++] = (struct CMUnitTest){cases[i].name, fn, NULL, NULL, &cases[i]};
	return t;
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_spot_demo),
		cmocka_unit_test(test_spot_ids),
		cmocka_unit_test(test_spot_no_console),
		cmocka_unit_test(test_spot_paths),
		cmocka_unit_test(test_spot_many),
		cmocka_unit_test(test_spot_memory),
		cmocka_unit_test(test_spot_hardening),
		cmocka_unit_test(test_spot_devices),
		cmocka_unit_test(test_spot_volumes),
		cmocka_unit_test(test_spot_control),
		cmocka_unit_test(test_cli_usage),
		cmocka_unit_test(test_cli_check),
		cmocka_unit_test(test_cli_compile),
		cmocka_unit_test(test_cli_compile_error_writes_nothing),
		cmocka_unit_test(test_cli_compile_through_symlink),
	};
	char valid[PATH_MAX], invalid[PATH_MAX];
	struct corpus_case *cases = NULL;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CORPUS_DIR MANIFESTS_DIR BHC\n", argv[0]);
		return 2;
	}
	test_env.corpus = argv[1];
	test_env.manifests = argv[2];
	test_env.bhc = argv[3];
	make_env();
	snprintf(valid, sizeof(valid), "%s/valid", argv[1]);
	snprintf(invalid, sizeof(invalid), "%s/invalid", argv[1]);
	size_t n_valid = list_corpus(valid, &cases, 0);
	size_t n_invalid = list_corpus(invalid, &cases, n_valid);
	size_t n = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests = malloc(sizeof(fixed));
	memcpy(tests, fixed, sizeof(fixed));
	tests = add_tests(tests, &n, cases, n_valid, test_valid);
	tests = add_tests(tests, &n, cases + n_valid, n_invalid, test_invalid);
	printf("corpus: %zu valid, %zu invalid manifests\n", n_valid, n_invalid);
	int failed = _cmocka_run_group_tests("manifest", tests, n, NULL, NULL);
	remove_env();
	free(tests);
	free(cases);
	return failed ? 1 : 0;
}
