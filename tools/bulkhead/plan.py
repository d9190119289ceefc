"""Running the manifest compiler (bhc) and handling the boot plan it writes."""

import hashlib
import os
import re
import shutil
import struct
import zlib

from .util import BHC, IMAGE_DIR, MEMORY, ROOT, Failure, rel, run_quiet

# struct bp_header (abi/include/bulkhead/abi/plan.h): system_name at byte 32.
_PLAN_NAME_OFFSET = 32
_PLAN_NAME_LEN = 32


class CompiledPlan:
    """What `bhc compile` produced: the plan file and the images GRUB must load."""

    def __init__(self, plan_path, modules, system_name, data_modules=()):
        self.plan_path = plan_path
        self.modules = modules          # [(module command line, ELF path)]
        self.system_name = system_name
        # [(module name, most bytes)]: the data modules <region module="NAME"> asks for; the
        # caller finds their files (keys.attach) and lists them in data_files [(name, path)].
        self.data_modules = list(data_modules)
        self.data_files = []


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


def read_data_modules(path):
    """Parses bhc's data-module list: one `NAME<TAB>MOST_BYTES` per line.
    Returns: [(name, most bytes)]; raises Failure on a malformed line."""
    found = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            name, tab, most = line.rstrip("\n").partition("\t")
            if not line.strip():
                continue
            if not tab or not name or not most.isdigit():
                raise Failure("%s:%d: expected NAME<TAB>BYTES, got %r" % (rel(path), number, line))
            found.append((name, int(most)))
    return found


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
    data_path = os.path.join(workdir, "data-modules.txt")
    for stale in (plan_path, modules_path, data_path):
        if os.path.exists(stale):
            os.unlink(stale)
    argv = [BHC, "compile", manifest, "-o", rel(plan_path), "--modules", rel(modules_path),
            "--data-modules", rel(data_path), "--image-dir", rel(IMAGE_DIR), "--memory", MEMORY]
    if exit_when_idle:
        argv.append("--exit-when-idle")
    status, output = run_quiet(argv)
    if status != 0 or not os.path.exists(plan_path) or not os.path.exists(modules_path):
        first = next((line for line in output.splitlines() if line.strip()), "no message")
        raise Failure("bhc could not compile %s (exit status %d):\n%s"
                      % (rel(manifest), status, output.rstrip()),
                      summary="bhc could not compile %s: %s" % (rel(manifest), first))
    stem = os.path.splitext(os.path.basename(manifest))[0]
    return CompiledPlan(plan_path, read_modules(modules_path), system_name(plan_path, stem),
                        read_data_modules(data_path))


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



# ---- editing a compiled plan and its images (system tests of the kernel's checks) ----
#
# A system test may change the plan or an image after bhc compiled them, to
# show that the kernel refuses what bhc would never write. The directives (see
# expect.py) become Edit objects: parse_edit() checks one when the expect
# file is read, apply_edits() performs them in order on the compiled files.

EDIT_DIRECTIVES = ("plan-set", "image-patch", "image-segment", "reseal-plan")

# struct bp_header: {offset, count} of each table at these bytes; version,
# header_size, total_size and checksum (abi/plan.h). The images and faults
# tables (plan v4) lie past byte 144, in a header of 160 bytes.
_TABLES = {"domain": 64, "region": 72, "map": 80, "ioport": 104, "device": 120, "image": 144,
           "fault": 152}
_VERSION_AT, _HEADER_SIZE_AT, _TOTAL_AT, _CRC_AT = 8, 12, 16, 20

# Records (abi/plan.h): kind -> (record size, {field: (byte offset, struct format)}).
RECORDS = {
    "domain": (160, {"name": (0, "32s"), "image": (32, "32s"), "stack_size": (64, "<Q"),
                     "heap_size": (72, "<Q"), "budget_us": (80, "<Q"),
                     "period_us": (88, "<Q"), "priority": (96, "<I"),
                     "first_map": (100, "<I"), "n_maps": (104, "<I"),
                     "first_cap": (108, "<I"), "n_caps": (112, "<I"),
                     "first_ioport": (116, "<I"), "n_ioports": (120, "<I"),
                     "flags": (124, "<I"), "image_sha256": (128, "32s")}),
    "region": (48, {"name": (0, "32s"), "size": (32, "<Q"), "flags": (40, "<I"),
                    "reserved": (44, "<I")}),
    "map": (16, {"vaddr": (0, "<Q"), "region": (8, "<I"), "rights": (12, "<H"),
                "flags": (14, "<H")}),
    "ioport": (8, {"base": (0, "<H"), "count": (2, "<H"), "flags": (4, "<I")}),
    "device": (64, {"name": (0, "32s"), "domain": (32, "<I"), "pci": (36, "<I"),
                    "irq_bit": (40, "<I"), "flags": (44, "<I"), "window": (48, "<Q"),
                    "window_size": (56, "<Q")}),
    "image": (72, {"image": (0, "32s"), "image_sha256": (32, "32s"), "domain": (64, "<I"),
                   "index": (68, "<I")}),
    "fault": (16, {"target": (0, "<I"), "supervisor": (4, "<I"), "region": (8, "<I"),
                   "bit": (12, "<I")}),
}

# ELF64 program header fields: name -> (byte offset, struct format).
SEGMENT_FIELDS = {"flags": (4, "<I"), "offset": (8, "<Q"), "vaddr": (16, "<Q"),
                  "paddr": (24, "<Q"), "filesz": (32, "<Q"), "memsz": (40, "<Q"),
                  "align": (48, "<Q")}
_PT_LOAD = 1

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,31}$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class Edit:
    """One edit of a compiled plan or image: the directive word and its checked arguments."""

    def __init__(self, word, args):
        self.word = word
        self.args = args

    def __repr__(self):
        shown = [("0x%x" % a if a > 9 else str(a)) if isinstance(a, int) else
                 a.hex() if isinstance(a, bytes) else str(a)
                 for a in self.args if a is not None]
        return " ".join([self.word] + shown)


def _int(text, what):
    """Parses a decimal or 0x number, at least 0; raises ValueError naming @what."""
    try:
        value = int(text, 0)
    except ValueError:
        raise ValueError("%s %r is not a number" % (what, text))
    if value < 0:
        raise ValueError("%s %r is negative" % (what, text))
    return value


def _value(fmt, field, text):
    """Converts @text for a field of struct format @fmt: a number, a name, or 64 hex digits."""
    if field == "image_sha256":
        if not _SHA256.match(text):
            raise ValueError("image_sha256 %r is not 64 hex digits" % text)
        return bytes.fromhex(text)
    if fmt == "32s":
        if len(text.encode()) > 31:
            raise ValueError("%s %r is longer than 31 bytes" % (field, text))
        return text
    value = _int(text, field)
    if value >= 1 << (8 * struct.calcsize(fmt)):
        raise ValueError("%s %s does not fit into the field" % (field, text))
    return value


def _parse_plan_set(words):
    """plan-set domain|region|device|image|fault NAME FIELD VALUE, plan-set map|ioport
    DOMAIN INDEX FIELD VALUE.

    An image record is named by its module, a fault record by its target domain.
    A map's or fault's region may be given by name. Returns an Edit with (kind,
    name, index or None, field, value).
    """
    usage = ("expected plan-set domain|region|device|image|fault NAME FIELD VALUE or plan-set"
             " map|ioport DOMAIN INDEX FIELD VALUE")
    kind = words[0] if words else ""
    indexed = kind in ("map", "ioport")
    if kind not in RECORDS or len(words) != (5 if indexed else 4):
        raise ValueError(usage)
    fields = RECORDS[kind][1]
    field, text = words[-2], words[-1]
    if field not in fields:
        raise ValueError("%s has no field %r (fields: %s)" % (kind, field,
                                                               ", ".join(sorted(fields))))
    index = _int(words[2], "index") if indexed else None
    by_name = kind in ("map", "fault") and field == "region" and not text[:1].isdigit()
    value = text if by_name else _value(fields[field][1], field, text)
    return Edit("plan-set", (kind, words[1], index, field, value))


def _parse_image_patch(words):
    """image-patch IMAGE OFFSET HEXBYTES: Edit with (image, offset, bytes)."""
    if len(words) != 3:
        raise ValueError("expected image-patch IMAGE OFFSET HEXBYTES")
    try:
        data = bytes.fromhex(words[2])
    except ValueError:
        raise ValueError("image-patch bytes %r are not hex digits" % words[2])
    return Edit("image-patch", (words[0], _int(words[1], "offset"), data))


def _parse_image_segment(words):
    """image-segment IMAGE N FIELD VALUE: Edit with (image, n, field, value)."""
    if len(words) != 4 or words[2] not in SEGMENT_FIELDS:
        raise ValueError("expected image-segment IMAGE N FIELD VALUE with FIELD one of %s"
                         % ", ".join(sorted(SEGMENT_FIELDS)))
    value = _value(SEGMENT_FIELDS[words[2]][1], words[2], words[3])
    return Edit("image-segment", (words[0], _int(words[1], "segment"), words[2], value))


def parse_edit(word, arg):
    """Checks one edit directive: @word is one of EDIT_DIRECTIVES, @arg the rest of its line.

    Returns: an Edit. Raises ValueError saying what is wrong.
    """
    words = arg.split()
    if word == "plan-set":
        return _parse_plan_set(words)
    if word == "reseal-plan":
        if words not in (["crc"], ["images"]):
            raise ValueError("expected reseal-plan crc or reseal-plan images")
        return Edit(word, tuple(words))
    if not words or not _NAME.match(words[0]):
        raise ValueError("%s needs an image name first" % word)
    if word == "image-patch":
        return _parse_image_patch(words)
    return _parse_image_segment(words)


# ---- performing edits ----

def _records(data, kind):
    """Returns (offset, count) of the table of @kind in the plan @data; (0, 0) for a
    table the header is too short to hold (a plan before version 4)."""
    header_size = struct.unpack_from("<I", data, _HEADER_SIZE_AT)[0]
    if _TABLES[kind] + 8 > header_size:
        return 0, 0
    return struct.unpack_from("<II", data, _TABLES[kind])


def _record_name(data, at):
    """The NUL-terminated name at byte @at of @data, as text."""
    return bytes(data[at:at + 32]).split(b"\0", 1)[0].decode("ascii", "replace")


def _find_named(data, kind, name):
    """Returns the byte offset of the domain, region, device or image named @name; raises Failure
    if none."""
    offset, count = _records(data, kind)
    size = RECORDS[kind][0]
    for i in range(count):
        if _record_name(data, offset + i * size) == name:
            return offset + i * size
    raise Failure("plan-set: the plan has no %s named %r" % (kind, name))


def _find_fault(data, target):
    """Returns the byte offset of the fault record of domain @target; raises Failure if none."""
    dom = (_find_named(data, "domain", target) - _records(data, "domain")[0]) // 160
    offset, count = _records(data, "fault")
    for i in range(count):
        if struct.unpack_from("<I", data, offset + i * 16)[0] == dom:
            return offset + i * 16
    raise Failure("plan-set: the plan has no fault record of domain %r" % target)


def _find_record(data, kind, name, index):
    """Returns the byte offset of the record a plan-set names; raises Failure if none."""
    if kind == "fault":
        return _find_fault(data, name)
    if index is None:
        return _find_named(data, kind, name)
    dom = _find_named(data, "domain", name)
    # first_map, n_maps / first_ioport, n_ioports of struct bp_domain
    first, count = struct.unpack_from("<II", data, dom + (100 if kind == "map" else 116))
    if index >= count:
        raise Failure("plan-set: domain %r has %d %ss, no %s %d" % (name, count, kind, kind,
                                                                    index))
    return _records(data, kind)[0] + (first + index) * RECORDS[kind][0]


def _region_index(data, name):
    """The index of the region named @name in the plan @data."""
    offset = _find_named(data, "region", name)
    return (offset - _records(data, "region")[0]) // RECORDS["region"][0]


def _plan_set(data, edit):
    """Writes one field of one record of the plan @data (a bytearray)."""
    kind, name, index, field, value = edit.args
    at = _find_record(data, kind, name, index)
    offset, fmt = RECORDS[kind][1][field]
    if field == "region" and isinstance(value, str):
        value = _region_index(data, value)
    elif isinstance(value, str):
        value = value.encode().ljust(32, b"\0")
    elif fmt == "32s":
        value = value.ljust(32, b"\0")
    struct.pack_into(fmt, data, at + offset, value)


def _reseal(data, images):
    """Recomputes the plan's CRC-32, and with @images ({module name: path}) each
    domain's and each alternative's image_sha256 from the file its image names."""
    for kind, name_at, sha_at in (("domain", 32, 128), ("image", 0, 32)):
        offset, count = _records(data, kind)
        for i in range(count if images is not None else 0):
            at = offset + i * RECORDS[kind][0]
            path = images.get(_record_name(data, at + name_at))
            if path:
                with open(path, "rb") as f:
                    data[at + sha_at:at + sha_at + 32] = hashlib.sha256(f.read()).digest()
    total = struct.unpack_from("<I", data, _TOTAL_AT)[0]
    struct.pack_into("<I", data, _CRC_AT, 0)
    struct.pack_into("<I", data, _CRC_AT, zlib.crc32(bytes(data[:total])))


def _load_segment_header(image, n):
    """Returns the byte offset of the program header of PT_LOAD segment @n of ELF @image."""
    phoff, = struct.unpack_from("<Q", image, 32)
    phentsize, phnum = struct.unpack_from("<HH", image, 54)
    loads = [phoff + i * phentsize for i in range(phnum)
             if struct.unpack_from("<I", image, phoff + i * phentsize)[0] == _PT_LOAD]
    if n >= len(loads):
        raise Failure("image-segment: the image has %d loadable segments, no segment %d"
                      % (len(loads), n))
    return loads[n]


def _edit_image(path, edit):
    """Performs image-patch or image-segment on the image file at @path."""
    with open(path, "r+b") as f:
        image = bytearray(f.read())
        if edit.word == "image-patch":
            _, offset, raw = edit.args
            if offset + len(raw) > len(image):
                raise Failure("image-patch: the image has only %d bytes" % len(image))
            image[offset:offset + len(raw)] = raw
        else:
            _, n, field, value = edit.args
            at, fmt = SEGMENT_FIELDS[field]
            struct.pack_into(fmt, image, _load_segment_header(image, n) + at, value)
        f.seek(0)
        f.write(image)


def _own_image(compiled, name, workdir):
    """Gives the test its own copy of module @name (the build's stays untouched).

    Returns the copy's path; raises Failure if the plan has no such module.
    """
    for i, (module, path) in enumerate(compiled.modules):
        if module != name:
            continue
        mine = os.path.join(workdir, "images", name + ".elf")
        if path != mine:
            os.makedirs(os.path.dirname(mine), exist_ok=True)
            shutil.copyfile(path, mine)
            compiled.modules[i] = (module, mine)
        return mine
    raise Failure("%s: no image %r among the modules (%s)"
                  % ("image edit", name, ", ".join(m for m, _ in compiled.modules)))


def apply_edits(compiled, edits, workdir):
    """Performs @edits (Edit objects, in order) on the plan and images of @compiled.

    An edited image is first copied into @workdir/images, and @compiled.modules
    points at the copy. Raises Failure if an edit names something the plan or
    image does not have.
    """
    with open(compiled.plan_path, "rb") as f:
        data = bytearray(f.read())
    for edit in edits:
        if edit.word == "plan-set":
            _plan_set(data, edit)
        elif edit.word == "reseal-plan":
            _reseal(data, dict(compiled.modules) if edit.args == ("images",) else None)
        else:
            _edit_image(_own_image(compiled, edit.args[0], workdir), edit)
    with open(compiled.plan_path, "wb") as f:
        f.write(data)
