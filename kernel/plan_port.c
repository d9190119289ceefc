/* Port roles: which I/O ports the kernel keeps and which control the whole machine. */
#include <kernel/plan.h>

#include <stdbool.h>
#include <stdint.h>

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * Ports with a role beyond one device, in port order; plan_check and bhc both
 * phrase their refusals from this one table. NEVER: the kernel's own
 * devices and what would let a domain rewire every interrupt or device.
 * MACHINE: ports that reset, reconfigure or write the whole machine; a plan
 * grants them only with BP_IOPORT_MACHINE (docs/manifest.md says why each).
 */
static const struct plan_port_role port_roles[] = {
	{0x00, 0x1f, PLAN_PORT_MACHINE,
         "the first ISA DMA controller, which writes physical memory below 16 MiB"},
	{0x20, 0x21, PLAN_PORT_NEVER,
         "the master interrupt controller (PIC), which the kernel programs"},
	{0x22, 0x23, PLAN_PORT_MACHINE,
         "the interrupt mode register (IMCR), which routes every IRQ"},
	{0x40, 0x43, PLAN_PORT_NEVER, "the interval timer (PIT), which the kernel programs"},
	{0x60, 0x60, PLAN_PORT_MACHINE, "the keyboard controller, which drives the reset line"},
	{0x61, 0x61, PLAN_PORT_MACHINE, "system control port B (NMI status, timer 2 gate)"},
	{0x62, 0x64, PLAN_PORT_MACHINE, "the keyboard controller, which drives the reset line"},
	{0x70, 0x71, PLAN_PORT_MACHINE, "the CMOS/RTC index and data, which also mask NMIs"},
	{0x81, 0x8f, PLAN_PORT_MACHINE, "the ISA DMA page registers, which aim DMA at any memory"},
	{0x92, 0x92, PLAN_PORT_MACHINE, "system control port A (fast A20 gate and reset)"},
	{0xa0, 0xa1, PLAN_PORT_NEVER,
         "the slave interrupt controller (PIC), which the kernel programs"},
	{0xb2, 0xb3, PLAN_PORT_MACHINE, "the APM/SMI command port, which enters system management"},
	{0xc0, 0xdf, PLAN_PORT_MACHINE,
         "the second ISA DMA controller, which writes physical memory below 16 MiB"},
	{0xf4, 0xf7, PLAN_PORT_NEVER, "QEMU's isa-debug-exit device, the kernel's own exit port"},
	{0x4d0, 0x4d1, PLAN_PORT_NEVER, "the interrupt trigger mode registers (ELCR)"},
	{0x510, 0x51b, PLAN_PORT_MACHINE, "QEMU's fw_cfg device, whose DMA writes any memory"},
	{0xcf8, 0xcff, PLAN_PORT_NEVER, "PCI configuration space and reset control (0xcf9)"},
};

const struct plan_port_role *plan_port_role(uint32_t base, uint32_t count, uint32_t *port)
{
	const struct plan_port_role *found = NULL;

	for (uint32_t i = 0; i < sizeof(port_roles) / sizeof(port_roles[0]); i++) {
		const struct plan_port_role *r = &port_roles[i];
		if (!overlaps(base, count, r->first, (uint32_t)r->last - r->first + 1u) ||
		    (found && found->rule >= r->rule))
			continue;
		found = r;
		*port = base > r->first ? base : r->first;
	}
	return found;
}
