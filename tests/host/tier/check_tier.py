"""Proves the include tiers: a kernel-internal header does not compile with a domain's or bhc's flags.

Takes the real compile command of one file per side from build/compile_commands.json, swaps the
source for a probe, and compiles with -fsyntax-only. Usage: check_tier.py COMPILE_COMMANDS PROBE_DIR
"""

import json
import os
import shlex
import subprocess
import sys

# One source file per side (a suffix of its compile_commands "file"): domains of every kind,
# libbh itself, bhc, and the kernel (the control that shows the kernel probe is a valid file).
DOMAIN_SIDES = ["apps/ping.c", "services/console/console.c", "libs/libbh/bh_info.c",
                "tests/system/domains/attack_calls.c", "tests/bench/bench_calls.c"]
TOOL_SIDES = ["tools/bhc/check.c"]
KERNEL_SIDE = "kernel/domain.c"
KERNEL_HEADER = "kernel/domain.h"  # the header probe_kernel.c includes

# Arguments that name the output or its dependency file: each takes the next argument too.
DROP_WITH_VALUE = {"-o", "-MF", "-MQ", "-MT"}
DROP_ALONE = {"-MD", "-MMD", "-c"}


def find_entry(entries, suffix):
    """Returns the compile_commands entry whose file ends with @suffix, or None."""
    for entry in entries:
        if entry["file"].replace("\\", "/").endswith("/" + suffix):
            return entry
    return None


def probe_argv(entry, probe):
    """Returns @entry's compile command with its source replaced by @probe, syntax check only."""
    argv = shlex.split(entry["command"])
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in DROP_WITH_VALUE:
            skip = True
        elif arg not in DROP_ALONE and arg != entry["file"]:
            out.append(arg)
    return out + ["-fdiagnostics-color=never", "-fsyntax-only", probe]


def compiles(entry, probe):
    """Returns (True if @probe compiles with @entry's flags, the compiler's message)."""
    env = dict(os.environ, LC_ALL="C")  # untranslated messages, matched below
    proc = subprocess.run(probe_argv(entry, probe), cwd=entry["directory"], env=env,
                          capture_output=True, text=True, check=False)
    return proc.returncode == 0, proc.stderr.strip()


def check(entries, suffix, probe, want):
    """Checks that @probe compiles (@want True) or fails to (@want False) on @suffix's side.
    Returns: a list of failure lines (empty when as wanted)."""
    entry = find_entry(entries, suffix)
    if entry is None:
        return ["%s: not in compile_commands.json" % suffix]
    ok, message = compiles(entry, probe)
    name = os.path.basename(probe)
    # A refusal counts only if it is the header that is missing, not the probe or a flag.
    if not ok and not want and KERNEL_HEADER + ": No such file" not in message:
        return ["%s: %s refused for another reason:\n%s" % (suffix, name, message)]
    if ok == want:
        print("ok: %s %s with the flags of %s" % (name, "compiles" if ok else "is refused", suffix))
        return []
    verdict = "compiles" if ok else "does not compile:\n" + message
    return ["%s: %s %s" % (suffix, name, verdict)]


def main(argv):
    """Runs every check. Returns: 0 if the tiers hold, 1 (with the reasons on stderr) if not."""
    if len(argv) != 3:
        print("usage: check_tier.py COMPILE_COMMANDS PROBE_DIR", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        entries = json.load(f)
    kernel_probe = os.path.abspath(os.path.join(argv[2], "probe_kernel.c"))
    abi_probe = os.path.abspath(os.path.join(argv[2], "probe_abi.c"))
    failures = check(entries, KERNEL_SIDE, kernel_probe, True)
    for side in DOMAIN_SIDES + TOOL_SIDES:
        failures += check(entries, side, kernel_probe, False)
        failures += check(entries, side, abi_probe, True)
    for line in failures:
        print("FAIL: " + line, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
