/* Plan corruptions for test_plan.c: C(name, class, mutation of the good plan, plan_check's reason). */
/* No include guard: test_plan.c includes this list twice (X-macro). */

/* ---- header ---- */
C(bad_magic, HEADER, v.h->magic ^= 1, "bad magic 0x31304e414c504843: not a boot plan")
C(bad_version, HEADER, v.h->version = 1, "version 1, this kernel reads version 4")
C(bad_header_size, HEADER, v.h->header_size = 128, "header_size 128, expected 160")
C(total_below_header, HEADER, v.h->total_size = 64, "total_size 64 is smaller than the header")
C(unknown_flags, HEADER, v.h->flags = 0x2, "unknown flags 0x2")
C(system_name_unterminated, HEADER, memset(v.h->system_name, 'x', BP_NAME_LEN),
  "system_name is empty or not NUL-terminated within 32 bytes")
C(system_name_empty, HEADER, v.h->system_name[0] = 0,
  "system_name is empty or not NUL-terminated within 32 bytes")

/* ---- tables ---- */
C(table_unaligned, TABLE, v.h->maps.offset += 4, "table maps: offset 836 is not 8-byte aligned")
C(table_past_end, TABLE, v.h->caps.count = 900,
  "table caps: 900 records at offset 960 lie outside the plan body [160, 13816)")
C(table_in_header, TABLE, v.h->ioports.offset = 8,
  "table ioports: 2 records at offset 8 lie outside the plan body [160, 13816)")
C(table_offset_overflow, TABLE, v.h->regions.offset = 0xfffffff8,
  "table regions: 4 records at offset 4294967288 lie outside the plan body [160, 13816)")
C(table_count_over_max, TABLE, v.h->channels.count = 257,
  "table channels: 257 records, the kernel holds at most 256")
C(too_many_domains, TABLE, (v.h->domains.count = 33, v.h->infos.count = 33),
  "table domains: 33 records, the kernel holds at most 32")
C(tables_overlap, TABLE, v.h->regions.offset = v.h->domains.offset + 8,
  "tables domains and regions overlap")
C(infos_count, TABLE, v.h->infos.count = 2, "2 start-info pages for 3 domains")
C(too_many_devices, TABLE, v.h->devices.count = BP_MAX_DEVICES + 1,
  "table devices: 33 records, the kernel holds at most 32")
C(faults_past_end, TABLE, v.h->faults.count = 3,
  "table faults: 3 records at offset 13784 lie outside the plan body [160, 13816)")
C(no_domains, TABLE, (v.h->domains.count = 0, v.h->infos.count = 0), "no domains")

/* ---- regions ---- */
C(region_size_zero, REGION, v.reg[0].size = 0, "region 0: size is zero or not a page multiple")
C(region_size_unaligned, REGION, v.reg[1].size = 5000,
  "region 1: size is zero or not a page multiple")
C(region_flags_unknown, REGION, v.reg[0].flags = 0x20, "region 0: unknown flags")
C(region_flags_module_code, REGION, v.reg[0].flags = BP_REGION_MODULE | BP_REGION_WX_SHARED,
  "region 0: unknown flags")
C(region_flags_ring_code, REGION, v.reg[1].flags = BP_REGION_RING | BP_REGION_WX_SHARED,
  "region 1: unknown flags")
C(region_flags_both, REGION, v.reg[1].flags = BP_REGION_RING | BP_REGION_KLOG,
  "region 1: unknown flags")
C(region_klog_size, REGION, v.reg[2].size = 0x2000,
  "region 2: the kernel log region must be exactly one page")
C(region_reserved, REGION, v.reg[0].reserved = 1, "region 0: reserved field is not zero")
C(region_name_unterminated, REGION, memset(v.reg[1].name, 'r', BP_NAME_LEN),
  "region 1: name is empty or not NUL-terminated within 32 bytes")
C(region_name_space, REGION, v.reg[0].name[1] = ' ',
  "region 0: name has a byte that is not printable ASCII (0x21-0x7e)")
C(region_sizes_overflow, REGION,
  (v.reg[0].size = 0x8000000000000000ull, v.reg[1].size = 0x8000000000000000ull),
  "regions: the sum of their sizes overflows")

/* ---- domains ---- */
C(domain_name_empty, DOMAIN, v.dom[1].name[0] = 0,
  "domain 1: name is empty or not NUL-terminated within 32 bytes")
C(domain_name_unterminated, DOMAIN, memset(v.dom[2].name, 'b', BP_NAME_LEN),
  "domain 2: name is empty or not NUL-terminated within 32 bytes")
C(domain_name_newline, DOMAIN, v.dom[1].name[1] = '\n',
  "domain 1: name has a byte that is not printable ASCII (0x21-0x7e)")
C(domain_image_control, DOMAIN, v.dom[2].image[0] = 0x1b,
  "domain 2 (\"b\"): image has a byte that is not printable ASCII (0x21-0x7e)")
C(system_name_newline, HEADER, v.h->system_name[0] = '\n',
  "system_name has a byte that is not printable ASCII (0x21-0x7e)")
C(domain_image_unterminated, DOMAIN, memset(v.dom[1].image, 'i', BP_NAME_LEN),
  "domain 1 (\"a\"): image is empty or not NUL-terminated within 32 bytes")
C(domain_priority, DOMAIN, v.dom[1].priority = 256, "domain 1 (\"a\"): priority above 255")
C(domain_budget_alone, DOMAIN, v.dom[1].budget_us = 100,
  "domain 1 (\"a\"): budget and period must both be zero or both be set")
C(domain_period_alone, DOMAIN, v.dom[1].period_us = 100,
  "domain 1 (\"a\"): budget and period must both be zero or both be set")
C(domain_budget_over_period, DOMAIN, (v.dom[1].budget_us = 101, v.dom[1].period_us = 100),
  "domain 1 (\"a\"): budget larger than its period")
C(domain_stack_zero, DOMAIN, v.dom[0].stack_size = 0,
  "domain 0 (\"con\"): stack size zero, not a page multiple or above the maximum")
C(domain_stack_unaligned, DOMAIN, v.dom[0].stack_size = 0x1800,
  "domain 0 (\"con\"): stack size zero, not a page multiple or above the maximum")
C(domain_stack_too_big, DOMAIN, v.dom[0].stack_size = BH_STACK_MAX + BH_PAGE_SIZE,
  "domain 0 (\"con\"): stack size zero, not a page multiple or above the maximum")
C(domain_heap_unaligned, DOMAIN, v.dom[2].heap_size = 100,
  "domain 2 (\"b\"): heap size not a page multiple or above the maximum")
C(domain_heap_too_big, DOMAIN, v.dom[2].heap_size = BH_HEAP_MAX + BH_PAGE_SIZE,
  "domain 2 (\"b\"): heap size not a page multiple or above the maximum")
C(domain_flags, DOMAIN, v.dom[2].flags = 2, "domain 2 (\"b\"): unknown flags")
C(domain_flags_high, DOMAIN, v.dom[1].flags = BP_DOMAIN_SSBD | 0x80000000u,
  "domain 1 (\"a\"): unknown flags")
C(domain_period_over_max, DOMAIN,
  (v.dom[1].budget_us = 100, v.dom[1].period_us = BP_MAX_PERIOD_US + 1),
  "domain 1 (\"a\"): period longer than BP_MAX_PERIOD_US (10 s)")
C(domain_period_2_63, DOMAIN, (v.dom[1].budget_us = 100, v.dom[1].period_us = 1ull << 63),
  "domain 1 (\"a\"): period longer than BP_MAX_PERIOD_US (10 s)")
C(domain_period_max_budget_over, DOMAIN,
  (v.dom[1].budget_us = 1ull << 63, v.dom[1].period_us = 1ull << 63),
  "domain 1 (\"a\"): period longer than BP_MAX_PERIOD_US (10 s)")
C(domain_budget_under_min, DOMAIN,
  (v.dom[1].budget_us = BP_MIN_BUDGET_US - 1, v.dom[1].period_us = 100),
  "domain 1 (\"a\"): budget shorter than BP_MIN_BUDGET_US (10 us)")
C(domain_named_bulkhead, DOMAIN, memcpy(v.dom[2].name, "bulkhead", 9),
  "domain 2 (\"bulkhead\"): name is reserved: the kernel's lines start with bulkhead:")
C(domain_named_bulkhead_upper, DOMAIN, memcpy(v.dom[1].name, "BulkHead", 9),
  "domain 1 (\"BulkHead\"): name is reserved: the kernel's lines start with bulkhead:")
C(domain_named_kernel, DOMAIN, memcpy(v.dom[0].name, "KERNEL", 7),
  "domain 0 (\"KERNEL\"): name is reserved: the kernel's lines start with bulkhead:")
C(domain_maps_outside, DOMAIN, v.dom[2].n_maps = 3,
  "domain 2 (\"b\"): its maps lie outside the maps table")
C(domain_caps_overflow, DOMAIN, (v.dom[2].first_cap = 0xffffffffu, v.dom[2].n_caps = 2),
  "domain 2 (\"b\"): its caps lie outside the caps table")
C(domain_ioports_outside, DOMAIN, v.dom[0].first_ioport = 2,
  "domain 0 (\"con\"): its ioports lie outside the ioports table")
C(domain_duplicate_name, DOMAIN, memcpy(v.dom[2].name, "a", 2),
  "domain 2 (\"a\"): has the same name as domain 1")
C(domain_shared_maps, DOMAIN, (v.dom[2].first_map = 3, v.dom[2].n_maps = 2, v.cap[6].object = 3),
  "domain 2 (\"b\"): shares map records with domain 1")
C(domain_shared_caps, DOMAIN, v.dom[2].first_cap = 4,
  "domain 2 (\"b\"): shares cap records with domain 1")

/* ---- kernel log ---- */
C(klog_bit_64, KLOG, v.h->klog_bit = 64,
  "klog_domain, klog_region and klog_bit must all be BP_NONE or all valid")
C(klog_partly_none, KLOG, v.h->klog_domain = BP_NONE,
  "klog_domain, klog_region and klog_bit must all be BP_NONE or all valid")
C(klog_domain_missing, KLOG, v.h->klog_domain = 3,
  "klog_domain, klog_region and klog_bit must all be BP_NONE or all valid")
C(klog_region_without_flag, KLOG, v.h->klog_region = 0,
  "region 0: the KLOG flag must be on klog_region (0) and nowhere else")
C(klog_flag_twice, KLOG, (v.reg[1].flags = BP_REGION_KLOG, v.reg[1].size = 0x1000),
  "region 1: the KLOG flag must be on klog_region (2) and nowhere else")
C(klog_flag_without_klog, KLOG, v.h->klog_domain = v.h->klog_region = v.h->klog_bit = BP_NONE,
  "region 2: a kernel log region in a plan without klog")

/* ---- channels ---- */
C(channel_domain_missing, CHANNEL, v.ch[0].domain[1] = 5,
  "channel 0: end 1 names domain 5, which does not exist")
C(channel_same_domain, CHANNEL, (v.ch[0].domain[1] = 1, v.ch[0].bit[1] = 2),
  "channel 0: both ends are domain 1")
C(channel_bit_64, CHANNEL, v.ch[0].bit[0] = 64, "channel 0: end 0 has bit 64, not below 64")
C(channel_bit_reused, CHANNEL, v.ch[1].bit[0] = 1,
  "domain 1 (\"a\"): channel 1: bit 1 is already taken in this domain")
C(channel_bit_is_klog_bit, CHANNEL, v.ch[1].bit[1] = 63,
  "domain 0 (\"con\"): channel 1: bit 63 is already taken in this domain")

/* ---- maps ---- */
C(map_region_missing, MAP, v.map[2].region = 9,
  "domain 1 (\"a\"): map 0 names a region that does not exist")
C(map_write_exec, MAP, v.map[2].rights = RW | BH_RIGHT_EXEC,
  "domain 1 (\"a\"): map 0 is writable and executable (W^X)")
C(map_write_only, MAP, v.map[2].rights = BH_RIGHT_WRITE,
  "domain 1 (\"a\"): map 0 rights are not r, rw or rx")
C(map_no_rights, MAP, v.map[4].rights = 0, "domain 2 (\"b\"): map 0 rights are not r, rw or rx")
C(map_unknown_rights, MAP, v.map[4].rights = R | 0x10,
  "domain 2 (\"b\"): map 0 rights are not r, rw or rx")
C(map_unaligned, MAP, v.map[2].vaddr += 0x800, "domain 1 (\"a\"): map 0 vaddr is not page aligned")
C(map_kernel_half, MAP, v.map[2].vaddr = 0xffff800000000000ull,
  "domain 1 (\"a\"): map 0 does not lie in the user half below its top page")
C(map_crosses_user_top, MAP, v.map[2].vaddr = BH_USER_TOP - BH_PAGE_SIZE,
  "domain 1 (\"a\"): map 0 does not lie in the user half below its top page")
C(map_top_page, MAP, (v.map[4].vaddr = BH_USER_MAP_END, v.reg[0].size = BH_PAGE_SIZE),
  "domain 2 (\"b\"): map 0 does not lie in the user half below its top page")
C(map_into_top_page, MAP, v.map[4].vaddr = BH_USER_MAP_END - BH_PAGE_SIZE,
  "domain 2 (\"b\"): map 0 does not lie in the user half below its top page")
C(map_low_area, MAP, v.map[4].vaddr = BH_IMAGE_BASE,
  "domain 2 (\"b\"): map 0 overlaps the reserved low area")
C(map_low_area_edge, MAP, v.map[4].vaddr = BH_LOW_RESERVED_END - BH_PAGE_SIZE,
  "domain 2 (\"b\"): map 0 overlaps the reserved low area")
C(map_stack_area, MAP, v.map[4].vaddr = BH_STACK_TOP - BH_PAGE_SIZE,
  "domain 2 (\"b\"): map 0 overlaps the stack area")
C(map_in_ring_area, MAP, v.map[4].vaddr = BH_RING_BASE + 0x100000,
  "domain 2 (\"b\"): map 0 overlaps the ring area")
C(ring_map_outside_ring_area, MAP, v.map[3].vaddr = 0x50000000,
  "domain 1 (\"a\"): map 1 maps a ring, the kernel log or a fault page outside the ring area")
C(maps_overlap, MAP, v.map[1].vaddr = BH_RING_BASE, "domain 0 (\"con\"): map 1 overlaps map 0")
C(map_alias_rw_rx, MAP, (v.map[3].region = 0, v.map[3].vaddr = 0x50000000, v.map[3].rights = RX),
  "domain 1 (\"a\"): map 1 maps the region of map 0 again, writable and executable (W^X)")
C(map_alias_rx_rw, MAP, (v.map[2].rights = RX, v.map[3].region = 0, v.map[3].vaddr = 0x50000000),
  "domain 1 (\"a\"): map 1 maps the region of map 0 again, writable and executable (W^X)")
C(map_alias_same_rights, MAP,
  (v.map[3].region = 0, v.map[3].vaddr = 0x50000000, v.map[3].rights = R),
  "domain 1 (\"a\"): map 1 maps the region of map 0 again")
C(map_code_injection, MAP, v.map[4].rights = RX,
  "domain 2 (\"b\"): map 0 executes region 0, which domain 1 (\"a\") may write, without the "
  "code-sharing flag")
C(map_code_injection_flag_elsewhere, MAP,
  (v.map[4].rights = RX, v.reg[1].flags = BP_REGION_RING, v.reg[0].flags = 0),
  "domain 2 (\"b\"): map 0 executes region 0, which domain 1 (\"a\") may write, without the "
  "code-sharing flag")
C(map_alias_overlapping, MAP, (v.map[3].region = 0, v.map[3].vaddr = 0x40008000),
  "domain 1 (\"a\"): map 1 maps the region of map 0 again")
C(map_flags_unknown, MAP, v.map[2].flags = 0x2, "domain 1 (\"a\"): map 0 has unknown flags")
C(map_dma_exec, MAP, (v.map[4].rights = RX, v.reg[0].flags = BP_REGION_WX_SHARED),
  "domain 2 (\"b\"): map 0 is a DMA map and executable (a device never executes)")
C(map_module_writable, MAP, v.reg[0].flags = BP_REGION_MODULE,
  "domain 1 (\"a\"): map 0 maps a module region other than read-only")
C(map_module_dma, MAP,
  (v.reg[0].flags = BP_REGION_MODULE, v.map[2].rights = R, v.cap[4].rights = R),
  "domain 2 (\"b\"): map 0 maps a module region other than read-only")
C(map_dma_ring, MAP, v.map[3].flags = BP_MAP_DMA,
  "domain 1 (\"a\"): map 1 is a DMA map of a ring, the kernel log or a fault page")
C(map_dma_klog, MAP, v.map[0].flags = BP_MAP_DMA,
  "domain 0 (\"con\"): map 0 is a DMA map of a ring, the kernel log or a fault page")
C(map_dma_above_limit, MAP, v.map[4].vaddr = BH_DMA_LIMIT - BH_PAGE_SIZE,
  "domain 2 (\"b\"): map 0 is a DMA map that ends above BH_DMA_LIMIT")
C(map_dma_far_above_limit, MAP, v.map[4].vaddr = 0x700000000000ull,
  "domain 2 (\"b\"): map 0 is a DMA map that ends above BH_DMA_LIMIT")
C(klog_map_writable, MAP, v.map[0].rights = RW,
  "domain 0 (\"con\"): map 0 maps the kernel log, which only klog_domain may map, read-only")
C(klog_mapped_elsewhere, MAP, v.map[3].region = 2,
  "domain 1 (\"a\"): map 1 maps the kernel log, which only klog_domain may map, read-only")

/* ---- caps ---- */
C(cap_slot_64, CAP, v.cap[2].slot = 64, "domain 1 (\"a\"): cap 0 (slot 64) slot is not below 64")
C(cap_slot_twice, CAP, v.cap[3].slot = 0, "domain 1 (\"a\"): cap 1 (slot 0) slot is used twice")
C(cap_type_unknown, CAP, v.cap[4].type = 7, "domain 1 (\"a\"): cap 2 (slot 2) has an unknown type")
C(cap_type_null, CAP, v.cap[4].type = BH_CAP_NULL,
  "domain 1 (\"a\"): cap 2 (slot 2) has an unknown type")
C(cap_channel_missing, CAP, v.cap[2].object = 9,
  "domain 1 (\"a\"): cap 0 (slot 0) names a channel that does not exist")
C(cap_channel_end_2, CAP, v.cap[2].end = 2, "domain 1 (\"a\"): cap 0 (slot 0) end is not 0 or 1")
C(cap_channel_foreign_end, CAP, v.cap[2].end = 1,
  "domain 1 (\"a\"): cap 0 (slot 0) holds a channel end that belongs to another domain")
C(cap_channel_rights, CAP, v.cap[0].rights = BH_RIGHT_READ,
  "domain 0 (\"con\"): cap 0 (slot 0) rights not valid for a channel")
C(cap_region_foreign_map, CAP, v.cap[4].object = 4,
  "domain 1 (\"a\"): cap 2 (slot 2) names a map outside this domain")
C(cap_region_more_rights, CAP, v.cap[6].rights = RW,
  "domain 2 (\"b\"): cap 1 (slot 1) grants more rights than its map")
C(cap_region_write_exec, CAP, v.cap[4].rights = RW | BH_RIGHT_EXEC,
  "domain 1 (\"a\"): cap 2 (slot 2) rights not valid for a region (r, rw or rx)")
C(cap_region_end, CAP, v.cap[6].end = 1, "domain 2 (\"b\"): cap 1 (slot 1) end must be zero")
C(cap_ioport_foreign, CAP, v.cap[7].object = 0,
  "domain 2 (\"b\"): cap 2 (slot 2) names an ioport range outside this domain")
C(cap_ioport_rights, CAP, v.cap[1].rights = BH_RIGHT_EXEC,
  "domain 0 (\"con\"): cap 1 (slot 1) rights not valid for an ioport")
C(cap_ioport_end, CAP, v.cap[1].end = 1, "domain 0 (\"con\"): cap 1 (slot 1) end must be zero")

C(cap_device_rights, CAP, v.cap[8].rights = RW | BH_RIGHT_EXEC,
  "domain 2 (\"b\"): cap 3 (slot 3) rights not valid for a device")
C(cap_device_signal, CAP, v.cap[9].rights = BH_RIGHT_SIGNAL,
  "domain 2 (\"b\"): cap 4 (slot 4) rights not valid for a device")
C(cap_device_missing, CAP, v.cap[8].object = 2,
  "domain 2 (\"b\"): cap 3 (slot 3) names a device that does not exist")
C(cap_device_foreign, CAP, v.dev[1].domain = 1,
  "domain 2 (\"b\"): cap 4 (slot 4) names a device of another domain")
C(cap_device_end, CAP, v.cap[8].end = 1, "domain 2 (\"b\"): cap 3 (slot 3) end must be zero")
C(cap_device_twice, CAP, v.cap[9].object = 0,
  "domain 2 (\"b\"): cap 4 (slot 4) names a device another cap already holds")

/* ---- devices ---- */
C(device_name_empty, DEVICE, v.dev[0].name[0] = 0,
  "device 0: name is empty or not NUL-terminated within 32 bytes")
C(device_name_unterminated, DEVICE, memset(v.dev[1].name, 'n', BP_NAME_LEN),
  "device 1: name is empty or not NUL-terminated within 32 bytes")
C(device_name_newline, DEVICE, v.dev[0].name[2] = '\n',
  "device 0: name has a byte that is not printable ASCII (0x21-0x7e)")
C(device_owner_missing, DEVICE, (v.dev[0].domain = 3, v.cap[8] = v.cap[10], v.dom[2].n_caps = 4),
  "device 0: owner does not exist")
C(device_pci_segment, DEVICE, v.dev[0].pci = BH_PCI_ADDR(1, 0, 4, 0),
  "device 0 (\"disk0\"): PCI address is not in segment 0")
C(device_pci_high_bits, DEVICE, v.dev[1].pci |= 0x80000000u,
  "device 1 (\"nic0\"): PCI address is not in segment 0")
C(device_flags_unknown, DEVICE, v.dev[1].flags = BP_DEVICE_DMA_UNCONFINED | 0x2,
  "device 1 (\"nic0\"): has unknown flags")
C(device_window_size, DEVICE, v.dev[0].window_size = BH_PAGE_SIZE,
  "device 0 (\"disk0\"): window size is not BH_DEVICE_WINDOW")
C(device_window_below_area, DEVICE, v.dev[0].window = BH_DEVICE_BASE - BH_DEVICE_WINDOW,
  "device 0 (\"disk0\"): window is not BH_DEVICE_BASE + k * BH_DEVICE_WINDOW in the device area")
C(device_window_unaligned, DEVICE, v.dev[1].window += BH_PAGE_SIZE,
  "device 1 (\"nic0\"): window is not BH_DEVICE_BASE + k * BH_DEVICE_WINDOW in the device area")
C(device_window_at_end, DEVICE, v.dev[1].window = BH_DEVICE_END,
  "device 1 (\"nic0\"): window is not BH_DEVICE_BASE + k * BH_DEVICE_WINDOW in the device area")
C(device_window_wraps, DEVICE, v.dev[1].window = 0ull - BH_DEVICE_WINDOW,
  "device 1 (\"nic0\"): window is not BH_DEVICE_BASE + k * BH_DEVICE_WINDOW in the device area")
C(device_no_dma_map, DEVICE, v.map[4].flags = 0,
  "device 0 (\"disk0\"): belongs to a domain without a DMA map")
C(device_pci_twice, DEVICE, v.dev[1].pci = v.dev[0].pci,
  "device 1 (\"nic0\"): has the PCI address of device 0")
C(device_name_twice, DEVICE, memcpy(v.dev[1].name, "disk0", 6),
  "device 1 (\"disk0\"): has the same name as device 0")
C(device_window_twice, DEVICE, v.dev[1].window = v.dev[0].window,
  "device 1 (\"nic0\"): shares its window with device 0")
C(device_irq_64, DEVICE, v.dev[0].irq_bit = 64,
  "device 0 (\"disk0\"): irq bit is neither below 64 nor BP_NONE")
C(device_irq_channel_bit, DEVICE, v.dev[0].irq_bit = 1,
  "device 0 (\"disk0\"): irq bit is already taken in its domain")
C(device_irq_twice, DEVICE, v.dev[1].irq_bit = 5,
  "device 1 (\"nic0\"): irq bit is already taken in its domain")

/* ---- ioports ---- */
C(ioport_count_zero, IOPORT, v.io[1].count = 0, "ioport 1 (0x3f8, count 0): count is zero")
C(ioport_past_ffff, IOPORT, (v.io[1].base = 0xfff8, v.io[1].count = 16),
  "ioport 1 (0xfff8, count 16): runs past port 0xffff")
C(ioport_overlap, IOPORT, v.io[1].base = 0x5f,
  "ioport 1 (0x5f, count 8): overlaps another ioport range")
C(ioport_flags_unknown, IOPORT, v.io[0].flags = 2, "ioport 0 (0x60, count 1): unknown flags")
C(ioport_machine_without_flag, IOPORT, v.io[0].flags = 0,
  "ioport 0 (0x60, count 1): port 0x60 is the keyboard controller, which drives the reset line: "
  "grantable only with BP_IOPORT_MACHINE")
C(ioport_pic_master, IOPORT, (v.io[1].base = 0x21, v.io[1].count = 1),
  "ioport 1 (0x21, count 1): port 0x21 is the master interrupt controller (PIC), which the "
  "kernel programs: never grantable")
C(ioport_pic_master_machine, IOPORT, (v.io[1].base = 0x20, v.io[1].count = 2, v.io[1].flags = 1),
  "ioport 1 (0x20, count 2): port 0x20 is the master interrupt controller (PIC), which the "
  "kernel programs: never grantable")
C(ioport_pic_slave, IOPORT, (v.io[1].base = 0x9f, v.io[1].count = 2),
  "ioport 1 (0x9f, count 2): port 0xa0 is the slave interrupt controller (PIC), which the "
  "kernel programs: never grantable")
C(ioport_elcr, IOPORT, (v.io[1].base = 0x4d1, v.io[1].count = 1),
  "ioport 1 (0x4d1, count 1): port 0x4d1 is the interrupt trigger mode registers (ELCR): "
  "never grantable")
C(ioport_pit, IOPORT, (v.io[1].base = 0x43, v.io[1].count = 1, v.io[1].flags = 1),
  "ioport 1 (0x43, count 1): port 0x43 is the interval timer (PIT), which the kernel programs: "
  "never grantable")
C(ioport_pci_config, IOPORT, (v.io[1].base = 0xcf9, v.io[1].count = 1, v.io[1].flags = 1),
  "ioport 1 (0xcf9, count 1): port 0xcf9 is PCI configuration space and reset control (0xcf9): "
  "never grantable")
C(ioport_debug_exit, IOPORT, (v.io[1].base = 0xf0, v.io[1].count = 8),
  "ioport 1 (0xf0, count 8): port 0xf4 is QEMU's isa-debug-exit device, the kernel's own exit "
  "port: never grantable")
C(ioport_never_before_machine, IOPORT,
  (v.io[1].base = 0x10, v.io[1].count = 0x20, v.io[1].flags = 1),
  "ioport 1 (0x10, count 32): port 0x20 is the master interrupt controller (PIC), which the "
  "kernel programs: never grantable")
C(ioport_fast_a20, IOPORT, (v.io[1].base = 0x92, v.io[1].count = 1),
  "ioport 1 (0x92, count 1): port 0x92 is system control port A (fast A20 gate and reset): "
  "grantable only with BP_IOPORT_MACHINE")
C(ioport_cmos, IOPORT, (v.io[1].base = 0x70, v.io[1].count = 2),
  "ioport 1 (0x70, count 2): port 0x70 is the CMOS/RTC index and data, which also mask NMIs: "
  "grantable only with BP_IOPORT_MACHINE")
C(ioport_port_b, IOPORT, (v.io[1].base = 0x61, v.io[1].count = 1),
  "ioport 1 (0x61, count 1): port 0x61 is system control port B (NMI status, timer 2 gate): "
  "grantable only with BP_IOPORT_MACHINE")
C(ioport_kbc_command, IOPORT, (v.io[1].base = 0x64, v.io[1].count = 1),
  "ioport 1 (0x64, count 1): port 0x64 is the keyboard controller, which drives the reset line: "
  "grantable only with BP_IOPORT_MACHINE")
C(ioport_smi, IOPORT, (v.io[1].base = 0xb2, v.io[1].count = 2),
  "ioport 1 (0xb2, count 2): port 0xb2 is the APM/SMI command port, which enters system "
  "management: grantable only with BP_IOPORT_MACHINE")
C(ioport_dma, IOPORT,
  (v.io[1].base = 0x3fff, v.io[1].count = 1, v.io[0].base = 0x0, v.io[0].count = 8,
   v.io[0].flags = 0),
  "ioport 0 (0x0, count 8): port 0x0 is the first ISA DMA controller, which writes physical "
  "memory below 16 MiB: grantable only with BP_IOPORT_MACHINE")

/* ---- start info ---- */
C(info_magic, INFO, v.info[1].magic = 0, "domain 1 (\"a\"): start info: bad magic")
C(info_version, INFO, v.info[2].version = 2, "domain 2 (\"b\"): start info: bad version")
C(info_entries, INFO, v.info[0].n_entries = BH_INFO_MAX_ENTRIES + 1,
  "domain 0 (\"con\"): start info: too many entries")
C(info_index, INFO, v.info[2].domain_index = 1, "domain 2 (\"b\"): start info: wrong domain_index")

/* ---- domain control: alternative images ---- */
C(image_name_empty, IMAGE, v.img[0].image[0] = 0,
  "image 0: image is empty or not NUL-terminated within 32 bytes")
C(image_name_space, IMAGE, v.img[0].image[2] = ' ',
  "image 0: image has a byte that is not printable ASCII (0x21-0x7e)")
C(image_domain_missing, IMAGE, v.img[0].domain = 3, "image 0: names a domain that does not exist")
C(image_index_zero, IMAGE, v.img[0].index = 0, "image 0: index is not 1 .. BP_MAX_ALTERNATIVES")
C(image_index_over_max, IMAGE, v.img[0].index = BP_MAX_ALTERNATIVES + 1,
  "image 0: index is not 1 .. BP_MAX_ALTERNATIVES")
C(image_own, IMAGE, memcpy(v.img[0].image, "img-a", 6), "image 0: is its domain's own image")
C(image_numbered_2, IMAGE, v.img[0].index = 2,
  "image 0: is not numbered 1, 2, ... right after its domain's previous alternative")
C(image_duplicate, IMAGE, (v.h->images.count = 2, v.img[1] = v.img[0], v.img[1].index = 2),
  "image 1: names an image its domain already has as an alternative")
C(image_gap, IMAGE, (v.h->images.count = 2, v.img[1] = v.img[0], v.img[1].index = 3),
  "image 1: is not numbered 1, 2, ... right after its domain's previous alternative")
C(image_not_consecutive, IMAGE,
  (v.h->images.count = 3, v.img[1] = v.img[0], v.img[1].domain = 2, v.img[2] = v.img[0],
   v.img[2].image[5] = '3'),
  "image 2: follows another domain's alternatives (a domain's records are consecutive)")

/* ---- domain control: domain caps ---- */
C(cap_domain_rights, CAP, v.cap[10].rights = 0x200,
  "domain 2 (\"b\"): cap 5 (slot 5) rights not valid for a domain")
C(cap_domain_missing, CAP, v.cap[10].object = 3,
  "domain 2 (\"b\"): cap 5 (slot 5) names a domain that does not exist")
C(cap_domain_self, CAP, v.cap[10].object = 2,
  "domain 2 (\"b\"): cap 5 (slot 5) controls its own domain")
C(cap_domain_end, CAP, v.cap[10].end = 1, "domain 2 (\"b\"): cap 5 (slot 5) end must be zero")
C(cap_domain_twice, CAP, (v.cap[9] = v.cap[10], v.cap[9].slot = 4),
  "domain 2 (\"b\"): cap 5 (slot 5) names a domain another cap of this domain already controls")
C(cap_domain_replace_without_alternative, CAP, v.h->images.count = 0,
  "domain 2 (\"b\"): cap 5 (slot 5) has the replace right on a domain without alternative images")
C(cap_domain_restart_cycle, CAP,
  v.cap[4] = ((struct bp_cap){2, BH_CAP_DOMAIN, BH_RIGHT_RESTART, 2, 0}),
  "domain 1 (\"a\"): can restart itself through a cycle of restart rights")
C(cap_domain_replace_cycle_of_3, CAP,
  (v.cap[10].rights = BH_RIGHT_REPLACE | BH_RIGHT_FAULTS,
   v.cap[4] = ((struct bp_cap){2, BH_CAP_DOMAIN, BH_RIGHT_RESTART, 0, 0}),
   v.cap[1] = ((struct bp_cap){1, BH_CAP_DOMAIN, BH_RIGHT_RESTART, 2, 0})),
  "domain 0 (\"con\"): can restart itself through a cycle of restart rights")

/* ---- domain control: fault records ---- */
C(region_fault_size, REGION, v.reg[3].size = 0x2000,
  "region 3: a fault region must be exactly one page")
C(map_fault_outside_ring_area, MAP, v.map[5].vaddr = 0x50000000,
  "domain 2 (\"b\"): map 1 maps a ring, the kernel log or a fault page outside the ring area")
C(fault_target_missing, FAULT, v.flt[0].target = 3, "fault 0: names a domain that does not exist")
C(fault_supervisor_missing, FAULT, v.flt[0].supervisor = BP_NONE,
  "fault 0: names a domain that does not exist")
C(fault_self, FAULT, v.flt[0].target = 2, "fault 0: has the target as its own supervisor")
C(fault_twice, FAULT, (v.h->faults.count = 2, v.flt[1] = v.flt[0]),
  "fault 1: names a target that another fault record names")
C(fault_without_right, FAULT, v.cap[10].rights = BH_RIGHT_STOP,
  "fault 0: supervisor holds no domain cap with the faults right on the target")
C(fault_without_cap, FAULT, v.flt[0].target = 0,
  "fault 0: supervisor holds no domain cap with the faults right on the target")
C(fault_region_not_fault, FAULT,
  (v.flt[0].region = 0, v.map[4].flags = 0, v.h->devices.count = 0, v.cap[8] = v.cap[10],
   v.dom[2].n_caps = 4),
  "fault 0: region is not a fault region of its own (BP_REGION_FAULT, one record each)")
C(fault_region_missing, FAULT, v.flt[0].region = 4,
  "fault 0: region is not a fault region of its own (BP_REGION_FAULT, one record each)")
C(fault_region_writable, FAULT, v.map[5].rights = RW,
  "fault 0: region is not mapped read-only by the supervisor alone, once")
C(fault_region_mapped_by_target, FAULT, (v.map[3].region = 3, v.map[3].rights = R),
  "fault 0: region is not mapped read-only by the supervisor alone, once")
C(fault_bit_64, FAULT, v.flt[0].bit = 64, "fault 0: bit is not below 64")
C(fault_bit_of_channel, FAULT, v.flt[0].bit = 1, "fault 0: bit is already taken in the supervisor")
C(fault_bit_of_irq, FAULT, v.flt[0].bit = 5, "fault 0: bit is already taken in the supervisor")
C(fault_record_missing, FAULT, v.h->faults.count = 0,
  "domain 2 (\"b\"): holds the faults right on domain 1 without its fault record")
C(fault_region_unnamed, FAULT,
  (v.h->faults.count = 0, v.cap[10].rights = BH_RIGHT_RESTART | BH_RIGHT_REPLACE),
  "region 3: a fault region that no fault record names")
