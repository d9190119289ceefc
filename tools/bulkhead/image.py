"""`bulkhead image`: one hybrid ISO (BIOS and UEFI, CD or USB stick) that ships a manifest."""

import hashlib
import os
import re
import struct
import tempfile
import time
import zlib

from . import iso
from . import keys
from . import mitigations
from . import plan
from .util import BHC, KERNEL_ELF, ROOT, Failure, rel, run_quiet

# The ISO 9660 volume id: at most 32 of A-Z, 0-9 and _.
VOLUME_ID_MAX = 32
VOLUME_PREFIX = "BULKHEAD_"

# Files on the ISO that say what it is (docs/deploying.md).
IMAGE_TXT = "bulkhead/IMAGE.txt"
MANIFEST_COPY = "bulkhead/manifest.xml"

# struct bp_header (abi/include/bulkhead/abi/plan.h), little-endian:
# magic u64, version u32, header_size u32, total_size u32, checksum u32, memory_bytes u64.
_PLAN_MAGIC = 0x31304E414C504842  # "BHPLAN01"
_PLAN_HEAD = struct.Struct("<QIIIIQ")

# The El Torito entries (CD) and partition tables (USB stick) a hybrid image must have.
REQUIRED_ENTRIES = ("BIOS", "UEFI")
REQUIRED_TABLES = ("MBR", "GPT")


class ImageInfo:
    """What `bulkhead image` wrote: the file and what identifies it."""

    def __init__(self, path, system, plan_crc, volume_id, size, sha256, layout,
                 mitigation_mode="auto", plan_sha256=None):
        self.path = path
        self.system = system
        self.plan_crc = plan_crc
        self.plan_sha256 = plan_sha256  # the kernel prints it on its boot line
        self.volume_id = volume_id
        self.size = size
        self.sha256 = sha256
        self.entries, self.tables = layout  # El Torito entries, partition tables
        self.mitigations = mitigation_mode  # the kernel's mitigations= option


def volume_id(system_name):
    """Returns the ISO volume id of a system: BULKHEAD_NAME in upper case, at most 32 characters.

    Characters other than A-Z, 0-9 and _ become _ (ISO 9660 d-characters).
    """
    name = re.sub(r"[^A-Z0-9_]", "_", system_name.upper())
    return (VOLUME_PREFIX + name)[:VOLUME_ID_MAX]


def application_id(system_name, plan_crc):
    """Returns the ISO application id: the system and its plan CRC-32 (blkid shows it).

    ISO 9660 allows upper case only here (xorriso would convert it anyway):
    `BULKHEAD SYSTEM DEMO PLAN CRC32 3A94FE8C`.
    """
    shown = re.sub(r"[^A-Z0-9._-]", "_", system_name.upper())
    return "BULKHEAD SYSTEM %s PLAN CRC32 %08X" % (shown, plan_crc)


def check_paths(manifest, output):
    """Checks, before any work is done, that @manifest exists and the image can go to @output.

    Raises Failure saying what to do if the manifest is missing, @output is a
    directory or not a regular file, its directory is missing or not
    writable, or it is the manifest itself. Returns: nothing.
    """
    if not os.path.isfile(manifest):
        raise Failure("no manifest %s" % rel(manifest))
    path = os.path.abspath(output)
    parent = os.path.dirname(path)
    if os.path.isdir(path):
        raise Failure("%s is a directory: give the image's file name, e.g. -o %s"
                      % (output, os.path.join(output, "system.iso")))
    if os.path.exists(path) and not os.path.isfile(path):
        raise Failure("%s is not a regular file: write the image to a file, then copy it"
                      " to the stick (docs/deploying.md)" % output)
    if not os.path.isdir(parent):
        what = "is not a directory" if os.path.exists(parent) else "does not exist"
        raise Failure("cannot write %s: directory %s %s (create it with mkdir -p)"
                      % (output, parent, what))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise Failure("cannot write %s: no permission to write in %s" % (output, parent))
    if os.path.exists(path) and os.path.samefile(path, manifest):
        raise Failure("-o %s is the manifest itself: choose another output file" % output)


def sha256_file(path):
    """Returns the SHA-256 of the file at @path as 64 lower-case hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_plan(data):
    """Checks the header and CRC-32 of a boot plan held in @data (bytes).

    Returns: (checksum, memory_bytes) from the header. Raises Failure if the
    magic, the size or the checksum is wrong: the image would not boot.
    """
    if len(data) < _PLAN_HEAD.size:
        raise Failure("the boot plan is too short (%d bytes)" % len(data))
    magic, _version, _hsize, total, crc, memory = _PLAN_HEAD.unpack_from(data, 0)
    if magic != _PLAN_MAGIC or total != len(data):
        raise Failure("the boot plan is damaged (magic 0x%x, total_size %d, file %d bytes)"
                      % (magic, total, len(data)))
    at = iso.PLAN_CHECKSUM_OFFSET
    actual = zlib.crc32(data[:at] + b"\0\0\0\0" + data[at + 4:])
    if actual != crc:
        raise Failure("the boot plan is damaged: its header says CRC-32 %s, its bytes give %s"
                      % (iso.crc_text(crc), iso.crc_text(actual)))
    return crc, memory


def _bhc_version():
    """Returns `bhc --version`'s first line, or a note that bhc has none."""
    status, output = run_quiet([BHC, "--version"])
    first = output.strip().splitlines()[0] if output.strip() else ""
    return first if status == 0 and first else "no --version (see bhc-sha256)"


def _source_version():
    """Returns `git describe` of the source tree (-dirty if modified), or 'unknown'."""
    status, output = run_quiet(["git", "-C", ROOT, "describe", "--always", "--dirty",
                                "--abbrev=12"])
    return "git " + output.strip() if status == 0 and output.strip() else "unknown (no git)"


def build_date():
    """Returns the build time in UTC, ISO 8601; SOURCE_DATE_EPOCH overrides the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    stamp = int(epoch) if epoch.isdigit() else int(time.time())
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def image_txt(facts, modules):
    """Returns the text of /bulkhead/IMAGE.txt.

    Needs: @facts a list of (key, value) in order; @modules a list of
    (name, path on the ISO, SHA-256) in GRUB's load order.
    """
    lines = ["# Bulkhead appliance image: what this ISO boots and what it was built from.",
             "# A booted appliance prints on COM1:",
             "#   grub: booting bulkhead system NAME (plan crc32 PLAN-CRC32)",
             "# Match it to its manifest as docs/deploying.md says.",
             "# module lines: NAME PATH-ON-ISO SHA-256"]
    lines += ["%s: %s" % (key, value) for key, value in facts]
    lines += ["module: %s %s %s" % module for module in modules]
    return "\n".join(lines) + "\n"


def _memory_text(memory):
    """Returns a byte count as the manifest would write it (e.g. 512M)."""
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if memory and memory % (1 << shift) == 0:
            return "%d%s" % (memory >> shift, unit)
    return str(memory)


def _manifest_name(manifest):
    """Returns the manifest's path in the repository (manifests/demo.xml), or its file name."""
    shown = rel(manifest)
    return os.path.basename(manifest) if os.path.isabs(shown) else shown


def collect(manifest, compiled, plan_data, mitigation_mode="auto"):
    """Gathers the facts and module list of IMAGE.txt for @compiled, whose kernel
    boots with @mitigation_mode (mitigations.MODES).

    Returns: (facts, modules, plan CRC-32); see image_txt(). Raises Failure
    if the plan is damaged.
    """
    crc, memory = verify_plan(plan_data)
    facts = [("system", compiled.system_name),
             ("plan-crc32", iso.crc_text(crc)),
             ("plan-sha256", hashlib.sha256(plan_data).hexdigest()),
             ("plan-bytes", str(len(plan_data))),
             ("memory", _memory_text(memory)),
             ("manifest", _manifest_name(manifest)),
             ("manifest-sha256", sha256_file(manifest)),
             ("volume-id", volume_id(compiled.system_name)),
             ("bhc", _bhc_version()),
             ("bhc-sha256", sha256_file(BHC)),
             ("source", _source_version()),
             ("built", build_date()),
             ("kernel-sha256", sha256_file(KERNEL_ELF)),
             ("mitigations", mitigations.check(mitigation_mode))]
    modules = [("plan", "/boot/plan.bin", facts[2][1])]
    modules += [(name, "/boot/%s.elf" % name, sha256_file(path))
                for name, path in compiled.modules]
    modules += [(name, "/boot/%s.mod" % name, sha256_file(path))
                for name, path in compiled.data_files]
    return facts, modules, crc


def _required_platforms():
    """Raises Failure naming the package to install if a GRUB platform is missing."""
    missing = iso.missing_platforms()
    if missing:
        names = " ".join(package for _, package in missing)
        raise Failure("cannot build a BIOS+UEFI image: GRUB for %s is not installed.\n"
                      "Install it as root: apt-get install -y --no-install-recommends %s"
                      % (" and ".join(what for what, _ in missing), names))


def _pack_checked(tree, temp, system, crc):
    """Packs @tree into @temp with the volume and application ids.

    Checks that the image has both El Torito entries (CD) and both partition
    tables (USB stick). Returns: (entries, tables) found.
    """
    ids = ["-volid", volume_id(system), "-application_id", application_id(system, crc)]
    iso.pack(tree, temp, ids)
    entries, tables = iso.boot_entries(temp), iso.disk_tables(temp)
    lacking = [e for e in REQUIRED_ENTRIES + REQUIRED_TABLES if e not in entries + tables]
    if lacking:
        raise Failure("grub-mkrescue made an image without %s (it has: %s)"
                      % (" or ".join(lacking), ", ".join(entries + tables) or "nothing"))
    return entries, tables


def _temp_beside(path):
    """Creates an empty hidden file next to @path (same file system) and returns its path.

    Raises Failure if the directory does not take it.
    """
    try:
        fd, temp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                                    dir=os.path.dirname(path))
    except OSError as err:
        raise Failure("cannot write %s: %s" % (path, err.strerror or err))
    os.close(fd)
    return temp


def build(manifest, output, workdir, mitigation_mode="auto", keys_dir=None, test_keys=False):
    """Compiles @manifest and writes the hybrid ISO to @output, all or nothing.

    Needs: the tree built; @workdir a directory of its own for the staging.
    The kernel boots with @mitigation_mode (GRUB's line and IMAGE.txt say it); a `keys`
    module comes from @keys_dir (or the test run's keys if @test_keys; see keys.attach).
    The ISO is written to a temporary file beside @output and renamed at the
    end: on any failure nothing is left at @output (an old file stays).
    Returns: an ImageInfo. Raises Failure with bhc's, grub-mkrescue's or the
    path's error.
    """
    check_paths(manifest, output)
    _required_platforms()
    compiled = plan.compile_manifest(manifest, workdir)
    keys.attach(compiled, workdir, keys_dir, test_keys)
    with open(compiled.plan_path, "rb") as f:
        plan_data = f.read()
    facts, modules, crc = collect(manifest, compiled, plan_data, mitigation_mode)
    with open(manifest, "rb") as f:
        extra = {IMAGE_TXT: image_txt(facts, modules), MANIFEST_COPY: f.read()}
    tree = iso.stage(workdir, compiled, extra, mitigation_mode)
    path = os.path.abspath(output)
    temp = _temp_beside(path)
    try:
        layout = _pack_checked(tree, temp, compiled.system_name, crc)
        size, digest = os.path.getsize(temp), sha256_file(temp)
        os.replace(temp, path)
    except OSError as err:
        raise Failure("cannot write %s: %s" % (output, err.strerror or err))
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return ImageInfo(path, compiled.system_name, crc, volume_id(compiled.system_name), size,
                     digest, layout, mitigation_mode,
                     hashlib.sha256(plan_data).hexdigest())


def _kernel_args_text(mode):
    """Returns how GRUB's kernel line shows @mode, for describe()."""
    args = mitigations.kernel_args(mode)
    return "  (kernel line: %s)" % args if args else "  (the kernel's default)"


def describe(info):
    """Returns the lines `bulkhead image` prints about @info."""
    crc = iso.crc_text(info.plan_crc)
    lines = ["bulkhead: wrote %s: one ISO for BIOS and UEFI, to boot from a CD or written"
             " raw to a USB stick" % rel(info.path),
             "  system:      %s" % info.system,
             "  plan crc32:  %s  (GRUB prints it on COM1 at every boot)" % crc]
    if info.plan_sha256:
        lines.append("  plan sha256: %s  (the kernel prints it on its boot line)"
                     % info.plan_sha256)
    return lines + ["  volume id:   %s" % info.volume_id,
                    "  boots:       CD: El Torito %s; USB stick: %s"
                    % (" + ".join(info.entries), " + ".join(info.tables)),
                    "  mitigations: %s%s" % (info.mitigations,
                                             _kernel_args_text(info.mitigations)),
                    "  size:        %d bytes (%.1f MiB)" % (info.size, info.size / 1048576.0),
                    "  sha256:      %s" % info.sha256]
