"""Running the manifest compiler (bhc) and handling the boot plan it writes."""

import os
import struct

from util import BHC, IMAGE_DIR, MEMORY, ROOT, Failure, rel, run_quiet

# struct bp_header (kernel/include/bulkhead/abi/plan.h): system_name at byte 32.
_PLAN_NAME_OFFSET = 32
_PLAN_NAME_LEN = 32


class CompiledPlan:
    """What `bhc compile` produced: the plan file and the images GRUB must load."""

    def __init__(self, plan_path, modules, system_name):
        self.plan_path = plan_path
        self.modules = modules          # [(module command line, ELF path)]
        self.system_name = system_name


def _bhc_missing():
    """Raises Failure if the build did not produce bhc."""
    if not os.path.exists(BHC):
        raise Failure("the manifest compiler %s was not built" % rel(BHC))


def check(manifest, extra_args):
    """Runs `bhc check MANIFEST` with the usual image dir and memory size.

    Returns: (exit status, output) exactly as bhc gave them.
    """
    _bhc_missing()
    argv = [BHC, "check", manifest, "--image-dir", rel(IMAGE_DIR), "--memory", MEMORY]
    return run_quiet(argv + list(extra_args))


def read_modules(path):
    """Parses bhc's modules list: one `NAME<TAB>PATH` per line.

    Returns: [(name, absolute path)]; raises Failure on a malformed line or a
    missing image (paths are relative to the repository root, where bhc ran).
    """
    modules = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            name, tab, image = line.partition("\t")
            if not tab or not name or not image:
                raise Failure("%s:%d: expected NAME<TAB>PATH, got %r" % (rel(path), number, line))
            image = os.path.join(ROOT, image)
            if not os.path.exists(image):
                raise Failure("%s:%d: image %s does not exist" % (rel(path), number, rel(image)))
            modules.append((name, image))
    return modules


def system_name(plan_path, default):
    """Returns the system name recorded in the plan header, or @default."""
    with open(plan_path, "rb") as f:
        head = f.read(_PLAN_NAME_OFFSET + _PLAN_NAME_LEN)
    if len(head) < _PLAN_NAME_OFFSET + _PLAN_NAME_LEN:
        return default
    raw = struct.unpack_from("%ds" % _PLAN_NAME_LEN, head, _PLAN_NAME_OFFSET)[0]
    name = raw.split(b"\0", 1)[0].decode("ascii", "replace")
    return name if name.isprintable() and name else default


def compile_manifest(manifest, workdir, exit_when_idle=False):
    """Compiles @manifest into @workdir/plan.bin and @workdir/modules.txt.

    Needs: bhc built. Returns: a CompiledPlan. Raises Failure carrying bhc's
    error messages when the manifest does not compile.
    """
    _bhc_missing()
    plan_path = os.path.join(workdir, "plan.bin")
    modules_path = os.path.join(workdir, "modules.txt")
    for stale in (plan_path, modules_path):
        if os.path.exists(stale):
            os.unlink(stale)
    argv = [BHC, "compile", manifest, "-o", rel(plan_path), "--modules", rel(modules_path),
            "--image-dir", rel(IMAGE_DIR), "--memory", MEMORY]
    if exit_when_idle:
        argv.append("--exit-when-idle")
    status, output = run_quiet(argv)
    if status != 0 or not os.path.exists(plan_path) or not os.path.exists(modules_path):
        first = next((line for line in output.splitlines() if line.strip()), "no message")
        raise Failure("bhc could not compile %s (exit status %d):\n%s"
                      % (rel(manifest), status, output.rstrip()),
                      summary="bhc could not compile %s: %s" % (rel(manifest), first))
    stem = os.path.splitext(os.path.basename(manifest))[0]
    return CompiledPlan(plan_path, read_modules(modules_path), system_name(plan_path, stem))


def corrupt(plan_path, offset):
    """Flips every bit of byte @offset of the plan (xor 0xff), as a test asks.

    Raises Failure if the plan is not that long.
    """
    with open(plan_path, "r+b") as f:
        data = bytearray(f.read())
        if not 0 <= offset < len(data):
            raise Failure("corrupt-plan %d: the plan has only %d bytes" % (offset, len(data)))
        data[offset] ^= 0xFF
        f.seek(0)
        f.write(data)
