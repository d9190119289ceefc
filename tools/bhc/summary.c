/* Summary: what `bhc check` prints - each domain's resources and who can signal whom. */
#include "summary.h"

#include <string.h>

#include <bulkhead/abi/caps.h>
#include <bulkhead/abi/info.h>
#include <bulkhead/abi/layout.h>

#include "control.h"
#include "memory.h"
#include "value.h"

#define SZ(x, buf) value_format_size((x), (buf), sizeof(buf))

static void print_header(FILE *f, const struct manifest *m, const struct layout *l)
{
	char a[32], b[32], c[32];

	fprintf(f,
	        "system %s: %zu domain%s, %zu region%s, %zu channel%s, %zu ring%s "
	        "(including stdout)",
	        m->name, m->n_domains, m->n_domains == 1 ? "" : "s", m->n_regions,
	        m->n_regions == 1 ? "" : "s", m->n_channels, m->n_channels == 1 ? "" : "s",
	        l->n_rings, l->n_rings == 1 ? "" : "s");
	if (l->n_devices)
		fprintf(f, ", %zu device%s", l->n_devices, l->n_devices == 1 ? "" : "s");
	fputc('\n', f);
	fprintf(f, "memory: %s of %s (kernel reserve %s)\n", SZ(l->memory_total, a),
	        SZ(l->memory_bytes, b), SZ(MEMORY_KERNEL_RESERVE, c));
	for (size_t i = 0; i < l->n_regions; i++)
		if (l->regions[i].flags & BP_REGION_MODULE)
			fprintf(f, "data module %s: copied into region %s at boot (at most %s)\n",
			        l->regions[i].name, l->regions[i].name, SZ(l->regions[i].size, a));
}

static void print_domain_head(FILE *f, const struct manifest *m, const struct layout *l, uint32_t d)
{
	const struct bp_domain *bd = &l->domains[d];
	const struct l_domain *ld = &l->ld[d];
	char a[32], b[32], c[32], e[32], g[32], h[32], i[32];

	fprintf(f, "\ndomain %s (image %s%s): priority %u, ", bd->name, bd->image,
	        (int)d == m->console ? ", console service" : "", bd->priority);
	if (bd->budget_us)
		fprintf(f, "budget %s per %s", value_format_time(bd->budget_us, a, sizeof(a)),
		        value_format_time(bd->period_us, b, sizeof(b)));
	else
		fprintf(f, "no budget");
	fprintf(f, "%s\n", bd->flags & BP_DOMAIN_SSBD ? ", ssbd on" : "");
	fprintf(f,
	        "  memory %s: image %s, stack %s, heap %s, start info 4 KiB, page tables %s"
	        "%s%s\n",
	        SZ(ld->total_bytes, c), SZ(ld->image_bytes, e), SZ(bd->stack_size, g),
	        SZ(bd->heap_size, h), SZ(ld->pt_bytes, i), ld->extra_bytes ? ", own rings " : "",
	        ld->extra_bytes ? SZ(ld->extra_bytes, a) : "");
	for (size_t k = 0; k < l->n_images; k++)
		if (l->images[k].domain == d)
			fprintf(f, "%s%u %s", l->images[k].index == 1 ? "  alternatives: " : ", ",
			        l->images[k].index, l->images[k].image);
	if (m->domains[d].n_alts)
		fputs(" (memory for the largest image)\n", f);
}

/*
 * What the manifest adds to entry @e of domain @d: a code-sharing region, a DMA
 * map, a machine port, a device with unconfined DMA.
 */
static const char *entry_note(const struct manifest *m, uint32_t d, const struct bh_info_entry *e)
{
	const struct m_domain *md = &m->domains[d];
	int r = manifest_find_region(m, e->name);
	bool dma = e->kind == BH_RES_MAP && (e->flags & BH_INFO_MAP_DMA);

	if (e->kind == BH_RES_MAP && r >= 0 && m->regions[r].code_sharing)
		return dma ? ", code-sharing, DMA" : ", code-sharing";
	if (dma)
		return ", DMA";
	if (e->kind == BH_RES_MAP && (e->flags & BH_INFO_MAP_HEARTBEAT))
		return ", heartbeat";
	for (size_t k = 0; e->kind == BH_RES_DEVICE && k < md->n_devices; k++)
		if (strcmp(md->devices[k].name, e->name) == 0 && md->devices[k].unconfined)
			return ", unconfined DMA: it reaches all memory";
	for (size_t k = 0; e->kind == BH_RES_IOPORT && k < md->n_ioports; k++)
		if (md->ioports[k].base == e->vaddr && md->ioports[k].machine)
			return ", machine control";
	return "";
}

static void print_device(FILE *f, const struct bh_info_entry *e, const char *note)
{
	char pci[16], irq[32], s[32];

	snprintf(irq, sizeof(irq), e->bit == BP_NONE ? "no irq" : "irq id %u", e->bit);
	fprintf(f, "  device %s: pci %s, %s, registers in 0x%llx (%s)%s, slot %u\n", e->name,
	        value_format_pci(e->flags, pci, sizeof(pci)), irq, (unsigned long long)e->vaddr,
	        SZ(e->size, s), note, e->slot);
}

/* A <control>: the rights and, with faults, the fault page and its id. */
static void print_control(FILE *f, const struct bh_info_entry *e)
{
	char rights[64], s[32];

	fprintf(f, "  control %s: %s, slot %u", e->name,
	        control_rights_name(e->flags, rights, sizeof(rights)), e->slot);
	if (e->flags & BH_RIGHT_FAULTS)
		fprintf(f, ", fault page r at 0x%llx (%s), id %u", (unsigned long long)e->vaddr,
		        SZ(e->size, s), e->bit);
	fputc('\n', f);
}

/* A <supervise>: the policy, with the times in the manifest's units. */
static void print_policy(FILE *f, const struct bh_info_entry *e)
{
	char w[32], win[32], b[32], r[32];
	bool fault = e->flags & BH_POLICY_ON_FAULT, hang = e->flags & BH_POLICY_ON_HANG;

	fprintf(f, "  supervise %s: on %s%s%s", e->name, fault ? "fault" : "",
	        fault && hang ? " " : "", hang ? "hang" : "");
	if (hang)
		fprintf(f, ", watchdog %s (heartbeat %s)",
		        value_format_time(e->vaddr, w, sizeof(w)), e->peer);
	fprintf(f, ", at most %u restarts per %s, backoff %s", BH_POLICY_MAX_RESTARTS(e->flags),
	        value_format_time(e->size, win, sizeof(win)),
	        e->slot ? value_format_time(e->slot, b, sizeof(b)) : "none");
	if (e->bit)
		fprintf(f, ", replace with alternative 1 after %s",
		        value_format_time(e->bit * 1000ull, r, sizeof(r)));
	fputc('\n', f);
}

static void print_entry(FILE *f, const struct bh_info_entry *e, const char *note)
{
	char s[32];

	switch (e->kind) {
	case BH_RES_MAP:
		fprintf(f, "  map %s %s at 0x%llx (%s)%s, slot %u\n", e->name,
		        value_perms_name(e->flags & BH_RIGHTS_ALL), (unsigned long long)e->vaddr,
		        SZ(e->size, s), note, e->slot);
		break;
	case BH_RES_CHANNEL:
		fprintf(f, "  channel %s: id %u, peer %s, %s, slot %u\n", e->name, e->bit, e->peer,
		        e->flags & BH_RIGHT_SIGNAL ? "may signal" : "may not signal", e->slot);
		break;
	case BH_RES_RING:
		fprintf(f, "  ring %s: %s, peer %s, %s at 0x%llx, id %u, slot %u\n", e->name,
		        e->flags == BH_RING_SERVER ? "server" : "client", e->peer, SZ(e->size, s),
		        (unsigned long long)e->vaddr, e->bit, e->slot);
		break;
	case BH_RES_IOPORT:
		fprintf(f, "  ioport 0x%llx..0x%llx (%llu ports%s), slot %u\n",
		        (unsigned long long)e->vaddr, (unsigned long long)(e->vaddr + e->size - 1),
		        (unsigned long long)e->size, note, e->slot);
		break;
	case BH_RES_KLOG:
		fprintf(f, "  klog r at 0x%llx (%s), id %u\n", (unsigned long long)e->vaddr,
		        SZ(e->size, s), e->bit);
		break;
	case BH_RES_DEVICE:
		print_device(f, e, note);
		break;
	case BH_RES_PORT:
		fprintf(f,
		        "  port %s%s: mac %02llx:%02llx:%02llx:%02llx:%02llx:%02llx, ipv4 %u.%u.%u.%u, "
		        "data in %s\n",
		        e->name, e->flags & BH_PORT_SWITCH ? " (served)" : "",
		        (unsigned long long)(e->vaddr >> 40) & 0xff,
		        (unsigned long long)(e->vaddr >> 32) & 0xff,
		        (unsigned long long)(e->vaddr >> 24) & 0xff,
		        (unsigned long long)(e->vaddr >> 16) & 0xff,
		        (unsigned long long)(e->vaddr >> 8) & 0xff,
		        (unsigned long long)e->vaddr & 0xff, (unsigned)(e->size >> 24) & 0xffu,
		        (unsigned)(e->size >> 16) & 0xffu, (unsigned)(e->size >> 8) & 0xffu,
		        (unsigned)e->size & 0xffu, e->peer);
		break;
	case BH_RES_DOMAIN:
		print_control(f, e);
		break;
	case BH_RES_POLICY:
		print_policy(f, e);
		break;
	case BH_RES_VOLUME:
		fprintf(f, "  volume %s: sectors %llu..%llu (%s), %s, data in %s\n", e->name,
		        (unsigned long long)e->vaddr, (unsigned long long)(e->vaddr + e->size - 1),
		        SZ(e->size * 512, s), e->flags & BH_VOLUME_RO ? "read-only" : "read-write",
		        e->peer);
		break;
	}
}

static void print_signals(FILE *f, const struct manifest *m, const struct layout *l)
{
	fprintf(f, "\nwho can signal whom:\n");
	for (size_t c = 0; c < m->n_channels; c++) {
		const struct m_channel *ch = &m->channels[c];
		for (int s = 0; s < 2; s++)
			if (ch->ends[s].signal)
				fprintf(f, "  %s -> %s (channel%s%s)\n", ch->ends[s].domain,
				        ch->ends[1 - s].domain, ch->name ? " " : "",
				        ch->name ? ch->name : "");
	}
	for (size_t i = 0; i < l->n_rings; i++) {
		const struct l_ring *r = &l->rings[i];
		for (int s = 0; s < 2; s++)
			fprintf(f, "  %s -> %s (ring %s)\n", m->domains[r->domain[s]].name,
			        m->domains[r->domain[1 - s]].name, r->name);
	}
	for (size_t i = 0; i < l->n_devices; i++)
		if (l->devices[i].irq_bit != BP_NONE)
			fprintf(f, "  device %s -> %s (irq)\n", l->devices[i].name,
			        m->domains[l->devices[i].domain].name);
	if (l->klog_domain != BP_NONE)
		fprintf(f, "  kernel -> %s (klog)\n", m->domains[l->klog_domain].name);
	for (size_t i = 0; i < l->n_faults; i++)
		fprintf(f, "  kernel -> %s (faults of %s)\n", m->domains[l->lfaults[i].holder].name,
		        m->domains[l->lfaults[i].target].name);
}

void summary_print(FILE *f, const struct manifest *m, const struct layout *l)
{
	print_header(f, m, l);
	for (uint32_t d = 0; d < l->n_domains; d++) {
		print_domain_head(f, m, l, d);
		for (uint32_t k = 0; k < l->infos[d].n_entries; k++)
			print_entry(f, &l->infos[d].entries[k],
			            entry_note(m, d, &l->infos[d].entries[k]));
	}
	print_signals(f, m, l);
}
