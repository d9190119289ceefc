"""Speculation-mitigation modes: the kernel's `mitigations=` option and the test runs per mode.

The kernel reads `mitigations=auto|off|force` from its multiboot2 command line:
auto (the default, no option written) turns on what the CPU's own report asks
for, off turns every speculation mitigation off, force turns every one on
whatever the CPU says (so that QEMU runs those paths). At boot it prints
`bulkhead: mitigations (MODE): ...`.
"""

import argparse
import re

MODES = ("auto", "off", "force")
DEFAULT = "auto"

# The modes `bulkhead test` runs a system test in when neither the test nor
# the command line chooses one: as the CPU asks, and with everything forced on.
SUITE_MODES = ("auto", "force")

# The kernel prints `bulkhead: mitigations (MODE): ...` at boot: every system
# test requires that line with its own mode, and a line naming another mode
# fails it.
KERNEL_LINE_REQUIRED = True


def check(mode):
    """Returns @mode if it is one of MODES; raises ValueError naming the choices otherwise."""
    if mode not in MODES:
        raise ValueError("%r is not a mitigation mode: expected %s or %s"
                         % (mode, ", ".join(MODES[:-1]), MODES[-1]))
    return mode


def option(text):
    """argparse type of --mitigations: a mode, or an error that lists the modes."""
    try:
        return check(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err))


def kernel_args(mode):
    """Returns the text the multiboot2 line carries after the kernel's path for @mode:
    '' for auto (the kernel's default), else `mitigations=MODE`."""
    return "" if check(mode) == DEFAULT else "mitigations=" + mode


def run_name(name, mode):
    """Returns the name of one run of system test @name in @mode: the name itself
    for auto, NAME+MODE otherwise (system/pingpong+force)."""
    return name if mode == DEFAULT else "%s+%s" % (name, mode)


def modes_for(pinned, deploy, chosen=None):
    """Returns the modes one system test runs in, in order.

    @pinned: the mode of the test's `mitigations` directive, or None;
    @deploy: True for an `image deploy` test (it boots what `bulkhead image`
    ships by default, so it runs once, in auto); @chosen: the mode of
    `bulkhead test --mitigations`, or None. A pinned test runs only in its mode.
    """
    if pinned:
        return [pinned]
    if chosen:
        return [chosen]
    return [DEFAULT] if deploy else list(SUITE_MODES)


def kernel_line_check(mode):
    """Returns (expects, rejects) as regex texts that check the kernel's mitigations
    line against @mode: a line naming another mode is rejected; the line itself is
    expected only once KERNEL_LINE_REQUIRED is set."""
    other = r"^bulkhead: mitigations \((?!%s\))" % re.escape(mode)
    expects = [r"^bulkhead: mitigations \(%s\)" % re.escape(mode)] if KERNEL_LINE_REQUIRED else []
    return expects, [other]
