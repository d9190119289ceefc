/* Plan corruptions for test_plan.c: C(name, mutation of the good plan, plan_check's reason). */
/* No include guard: test_plan.c includes this list twice (X-macro). */

/* ---- header ---- */
C(bad_magic, v.h->magic ^= 1, "bad magic 0x31304e414c504843: not a boot plan")
C(bad_version, v.h->version = 2, "version 2, this kernel reads version 1")
C(bad_header_size, v.h->header_size = 128, "header_size 128, expected 136")
C(total_below_header, v.h->total_size = 64, "total_size 64 is smaller than the header")
C(unknown_flags, v.h->flags = 0x2, "unknown flags 0x2")
C(system_name_unterminated, memset(v.h->system_name, 'x', BP_NAME_LEN),
  "system_name is empty or not NUL-terminated within 32 bytes")
C(system_name_empty, v.h->system_name[0] = 0,
  "system_name is empty or not NUL-terminated within 32 bytes")

/* ---- tables ---- */
C(table_unaligned, v.h->maps.offset += 4, "table maps: offset 668 is not 8-byte aligned")
C(table_past_end, v.h->caps.count = 900,
  "table caps: 900 records at offset 776 lie outside the plan body [136, 13208)")
C(table_in_header, v.h->ioports.offset = 8,
  "table ioports: 2 records at offset 8 lie outside the plan body [136, 13208)")
C(table_offset_overflow, v.h->regions.offset = 0xfffffff8,
  "table regions: 3 records at offset 4294967288 lie outside the plan body [136, 13208)")
C(table_count_over_max, v.h->channels.count = 257,
  "table channels: 257 records, the kernel holds at most 256")
C(too_many_domains, (v.h->domains.count = 33, v.h->infos.count = 33),
  "table domains: 33 records, the kernel holds at most 32")
C(tables_overlap, v.h->regions.offset = v.h->domains.offset + 8,
  "tables domains and regions overlap")
C(infos_count, v.h->infos.count = 2, "2 start-info pages for 3 domains")
C(no_domains, (v.h->domains.count = 0, v.h->infos.count = 0), "no domains")

/* ---- regions ---- */
C(region_size_zero, v.reg[0].size = 0, "region 0: size is zero or not a page multiple")
C(region_size_unaligned, v.reg[1].size = 5000, "region 1: size is zero or not a page multiple")
C(region_flags_unknown, v.reg[0].flags = 0x4, "region 0: unknown flags")
C(region_flags_both, v.reg[1].flags = BP_REGION_RING | BP_REGION_KLOG, "region 1: unknown flags")
C(region_klog_size, v.reg[2].size = 0x2000,
  "region 2: the kernel log region must be exactly one page")
C(region_reserved, v.reg[0].reserved = 1, "region 0: reserved field is not zero")
C(region_name_unterminated, memset(v.reg[1].name, 'r', BP_NAME_LEN),
  "region 1: name is empty or not NUL-terminated within 32 bytes")
C(region_name_space, v.reg[0].name[1] = ' ',
  "region 0: name has a byte that is not printable ASCII (0x21-0x7e)")
C(region_sizes_overflow,
  (v.reg[0].size = 0x8000000000000000ull, v.reg[1].size = 0x8000000000000000ull),
  "regions: the sum of their sizes overflows")

/* ---- domains ---- */
C(domain_name_empty, v.dom[1].name[0] = 0,
  "domain 1: name is empty or not NUL-terminated within 32 bytes")
C(domain_name_unterminated, memset(v.dom[2].name, 'b', BP_NAME_LEN),
  "domain 2: name is empty or not NUL-terminated within 32 bytes")
C(domain_name_newline, v.dom[1].name[1] = '\n',
  "domain 1: name has a byte that is not printable ASCII (0x21-0x7e)")
C(domain_image_control, v.dom[2].image[0] = 0x1b,
  "domain 2 (\"b\"): image has a byte that is not printable ASCII (0x21-0x7e)")
C(system_name_newline, v.h->system_name[0] = '\n',
  "system_name has a byte that is not printable ASCII (0x21-0x7e)")
C(domain_image_unterminated, memset(v.dom[1].image, 'i', BP_NAME_LEN),
  "domain 1 (\"a\"): image is empty or not NUL-terminated within 32 bytes")
C(domain_priority, v.dom[1].priority = 256, "domain 1 (\"a\"): priority above 255")
C(domain_budget_alone, v.dom[1].budget_us = 100,
  "domain 1 (\"a\"): budget and period must both be zero or both be set")
C(domain_period_alone, v.dom[1].period_us = 100,
  "domain 1 (\"a\"): budget and period must both be zero or both be set")
C(domain_budget_over_period, (v.dom[1].budget_us = 101, v.dom[1].period_us = 100),
  "domain 1 (\"a\"): budget larger than its period")
C(domain_stack_zero, v.dom[0].stack_size = 0,
  "domain 0 (\"con\"): stack size zero, not a page multiple or above the maximum")
C(domain_stack_unaligned, v.dom[0].stack_size = 0x1800,
  "domain 0 (\"con\"): stack size zero, not a page multiple or above the maximum")
C(domain_stack_too_big, v.dom[0].stack_size = BH_STACK_MAX + BH_PAGE_SIZE,
  "domain 0 (\"con\"): stack size zero, not a page multiple or above the maximum")
C(domain_heap_unaligned, v.dom[2].heap_size = 100,
  "domain 2 (\"b\"): heap size not a page multiple or above the maximum")
C(domain_heap_too_big, v.dom[2].heap_size = BH_HEAP_MAX + BH_PAGE_SIZE,
  "domain 2 (\"b\"): heap size not a page multiple or above the maximum")
C(domain_flags, v.dom[2].flags = 1, "domain 2 (\"b\"): flags are reserved and must be zero")
C(domain_maps_outside, v.dom[2].n_maps = 2, "domain 2 (\"b\"): its maps lie outside the maps table")
C(domain_caps_overflow, (v.dom[2].first_cap = 0xffffffffu, v.dom[2].n_caps = 2),
  "domain 2 (\"b\"): its caps lie outside the caps table")
C(domain_ioports_outside, v.dom[0].first_ioport = 2,
  "domain 0 (\"con\"): its ioports lie outside the ioports table")
C(domain_duplicate_name, memcpy(v.dom[2].name, "a", 2),
  "domain 2 (\"a\"): has the same name as domain 1")
C(domain_shared_maps, (v.dom[2].first_map = 3, v.dom[2].n_maps = 2, v.cap[6].object = 3),
  "domain 2 (\"b\"): shares map records with domain 1")
C(domain_shared_caps, v.dom[2].first_cap = 4, "domain 2 (\"b\"): shares cap records with domain 1")

/* ---- kernel log ---- */
C(klog_bit_64, v.h->klog_bit = 64,
  "klog_domain, klog_region and klog_bit must all be BP_NONE or all valid")
C(klog_partly_none, v.h->klog_domain = BP_NONE,
  "klog_domain, klog_region and klog_bit must all be BP_NONE or all valid")
C(klog_domain_missing, v.h->klog_domain = 3,
  "klog_domain, klog_region and klog_bit must all be BP_NONE or all valid")
C(klog_region_without_flag, v.h->klog_region = 0,
  "region 0: the KLOG flag must be on klog_region (0) and nowhere else")
C(klog_flag_twice, (v.reg[1].flags = BP_REGION_KLOG, v.reg[1].size = 0x1000),
  "region 1: the KLOG flag must be on klog_region (2) and nowhere else")
C(klog_flag_without_klog, v.h->klog_domain = v.h->klog_region = v.h->klog_bit = BP_NONE,
  "region 2: a kernel log region in a plan without klog")

/* ---- channels ---- */
C(channel_domain_missing, v.ch[0].domain[1] = 5,
  "channel 0: end 1 names domain 5, which does not exist")
C(channel_same_domain, (v.ch[0].domain[1] = 1, v.ch[0].bit[1] = 2),
  "channel 0: both ends are domain 1")
C(channel_bit_64, v.ch[0].bit[0] = 64, "channel 0: end 0 has bit 64, not below 64")
C(channel_bit_reused, v.ch[1].bit[0] = 1,
  "domain 1 (\"a\"): channel 1: bit 1 is already taken in this domain")
C(channel_bit_is_klog_bit, v.ch[1].bit[1] = 63,
  "domain 0 (\"con\"): channel 1: bit 63 is already taken in this domain")

/* ---- maps ---- */
C(map_region_missing, v.map[2].region = 9,
  "domain 1 (\"a\"): map 0 names a region that does not exist")
C(map_write_exec, v.map[2].rights = RW | BH_RIGHT_EXEC,
  "domain 1 (\"a\"): map 0 is writable and executable (W^X)")
C(map_write_only, v.map[2].rights = BH_RIGHT_WRITE,
  "domain 1 (\"a\"): map 0 rights are not r, rw or rx")
C(map_no_rights, v.map[4].rights = 0, "domain 2 (\"b\"): map 0 rights are not r, rw or rx")
C(map_unknown_rights, v.map[4].rights = R | 0x10,
  "domain 2 (\"b\"): map 0 rights are not r, rw or rx")
C(map_unaligned, v.map[2].vaddr += 0x800, "domain 1 (\"a\"): map 0 vaddr is not page aligned")
C(map_kernel_half, v.map[2].vaddr = 0xffff800000000000ull,
  "domain 1 (\"a\"): map 0 does not lie in the user half")
C(map_crosses_user_top, v.map[2].vaddr = BH_USER_TOP - BH_PAGE_SIZE,
  "domain 1 (\"a\"): map 0 does not lie in the user half")
C(map_low_area, v.map[4].vaddr = BH_IMAGE_BASE,
  "domain 2 (\"b\"): map 0 overlaps the reserved low area")
C(map_low_area_edge, v.map[4].vaddr = BH_LOW_RESERVED_END - BH_PAGE_SIZE,
  "domain 2 (\"b\"): map 0 overlaps the reserved low area")
C(map_stack_area, v.map[4].vaddr = BH_STACK_TOP - BH_PAGE_SIZE,
  "domain 2 (\"b\"): map 0 overlaps the stack area")
C(map_in_ring_area, v.map[4].vaddr = BH_RING_BASE + 0x100000,
  "domain 2 (\"b\"): map 0 overlaps the ring area")
C(ring_map_outside_ring_area, v.map[3].vaddr = 0x50000000,
  "domain 1 (\"a\"): map 1 maps a ring or the kernel log outside the ring area")
C(maps_overlap, v.map[1].vaddr = BH_RING_BASE, "domain 0 (\"con\"): map 1 overlaps map 0")
C(maps_overlap_shared, (v.map[3].region = 0, v.map[3].vaddr = 0x40008000),
  "domain 1 (\"a\"): map 1 overlaps map 0")
C(klog_map_writable, v.map[0].rights = RW,
  "domain 0 (\"con\"): map 0 maps the kernel log, which only klog_domain may map, read-only")
C(klog_mapped_elsewhere, v.map[3].region = 2,
  "domain 1 (\"a\"): map 1 maps the kernel log, which only klog_domain may map, read-only")

/* ---- caps ---- */
C(cap_slot_64, v.cap[2].slot = 64, "domain 1 (\"a\"): cap 0 (slot 64) slot is not below 64")
C(cap_slot_twice, v.cap[3].slot = 0, "domain 1 (\"a\"): cap 1 (slot 0) slot is used twice")
C(cap_type_unknown, v.cap[4].type = 7, "domain 1 (\"a\"): cap 2 (slot 2) has an unknown type")
C(cap_type_null, v.cap[4].type = BH_CAP_NULL,
  "domain 1 (\"a\"): cap 2 (slot 2) has an unknown type")
C(cap_channel_missing, v.cap[2].object = 9,
  "domain 1 (\"a\"): cap 0 (slot 0) names a channel that does not exist")
C(cap_channel_end_2, v.cap[2].end = 2, "domain 1 (\"a\"): cap 0 (slot 0) end is not 0 or 1")
C(cap_channel_foreign_end, v.cap[2].end = 1,
  "domain 1 (\"a\"): cap 0 (slot 0) holds a channel end that belongs to another domain")
C(cap_channel_rights, v.cap[0].rights = BH_RIGHT_READ,
  "domain 0 (\"con\"): cap 0 (slot 0) rights not valid for a channel")
C(cap_region_foreign_map, v.cap[4].object = 4,
  "domain 1 (\"a\"): cap 2 (slot 2) names a map outside this domain")
C(cap_region_more_rights, v.cap[6].rights = RW,
  "domain 2 (\"b\"): cap 1 (slot 1) grants more rights than its map")
C(cap_region_write_exec, v.cap[4].rights = RW | BH_RIGHT_EXEC,
  "domain 1 (\"a\"): cap 2 (slot 2) rights not valid for a region (r, rw or rx)")
C(cap_region_end, v.cap[6].end = 1, "domain 2 (\"b\"): cap 1 (slot 1) end must be zero")
C(cap_ioport_foreign, v.cap[7].object = 0,
  "domain 2 (\"b\"): cap 2 (slot 2) names an ioport range outside this domain")
C(cap_ioport_rights, v.cap[1].rights = BH_RIGHT_EXEC,
  "domain 0 (\"con\"): cap 1 (slot 1) rights not valid for an ioport")
C(cap_ioport_end, v.cap[1].end = 1, "domain 0 (\"con\"): cap 1 (slot 1) end must be zero")

/* ---- ioports ---- */
C(ioport_count_zero, v.io[1].count = 0, "ioport 1 (0x3f8, count 0): count is zero")
C(ioport_past_ffff, (v.io[1].base = 0xfff8, v.io[1].count = 16),
  "ioport 1 (0xfff8, count 16): runs past port 0xffff")
C(ioport_overlap, v.io[1].base = 0x5f, "ioport 1 (0x5f, count 8): overlaps another ioport range")
C(ioport_reserved, v.io[0].reserved = 1, "ioport 0 (0x60, count 1): reserved field is not zero")

/* ---- start info ---- */
C(info_magic, v.info[1].magic = 0, "domain 1 (\"a\"): start info: bad magic")
C(info_version, v.info[2].version = 2, "domain 2 (\"b\"): start info: bad version")
C(info_entries, v.info[0].n_entries = BH_INFO_MAX_ENTRIES + 1,
  "domain 0 (\"con\"): start info: too many entries")
C(info_index, v.info[2].domain_index = 1, "domain 2 (\"b\"): start info: wrong domain_index")
