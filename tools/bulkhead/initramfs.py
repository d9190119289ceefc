"""A Linux initramfs for the storage benchmark: Debian's kernel, its modules, a cpio archive.

The archive is the `newc` cpio format the kernel unpacks at boot, written here
byte for byte (no `cpio` program needed) and reproducibly: every entry has
owner 0, time 0 and numbered inodes, so the same inputs give the same bytes.
"""

import gzip
import lzma
import os
import re
import stat

from .util import Failure

BOOT_DIR = "/boot"
MODULES_DIR = "/lib/modules"

_CPIO_MAGIC = b"070701"
_CPIO_TRAILER = "TRAILER!!!"
_MODULE_SUFFIX = re.compile(r"\.ko(\.xz|\.gz|\.zst)?$")


def _version_key(version):
    """Sorts kernel versions such as 6.1.0-9-amd64 and 6.1.0-10-amd64 by their numbers."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", version)]


def find_kernel(boot_dir=BOOT_DIR, modules_dir=MODULES_DIR):
    """Returns (version, vmlinuz path, config path) of the newest kernel in @boot_dir
    whose modules are in @modules_dir/VERSION.

    Raises Failure naming the package (linux-image-amd64) when there is none.
    """
    found = []
    for name in os.listdir(boot_dir) if os.path.isdir(boot_dir) else []:
        if name.startswith("vmlinuz-"):
            version = name[len("vmlinuz-"):]
            if os.path.isdir(os.path.join(modules_dir, version)):
                found.append(version)
    if not found:
        raise Failure("no Linux kernel with modules in %s and %s: install the package "
                      "linux-image-amd64 (apt-get install -y --no-install-recommends "
                      "linux-image-amd64)" % (boot_dir, modules_dir))
    version = max(found, key=_version_key)
    return (version, os.path.join(boot_dir, "vmlinuz-" + version),
            os.path.join(boot_dir, "config-" + version))


def parse_config(text):
    """Returns {CONFIG_NAME: value} from a kernel .config text (`# ... is not set` left out)."""
    config = {}
    for line in text.splitlines():
        if line.startswith("CONFIG_") and "=" in line:
            key, value = line.split("=", 1)
            config[key] = value
    return config


def module_name(path):
    """Returns a module's name from its path: kernel/drivers/block/virtio_blk.ko -> virtio_blk."""
    return _MODULE_SUFFIX.sub("", os.path.basename(path)).replace("-", "_")


def parse_modules_dep(text):
    """Returns {module name: (path, [paths of the modules it needs])} from modules.dep."""
    modules = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        path, needs = line.split(":", 1)
        modules[module_name(path.strip())] = (path.strip(), needs.split())
    return modules


def _visit(name, modules, order, seen):
    """Appends the paths of module @name and of what it needs to @order, needs first."""
    if name in seen:
        return
    seen.add(name)
    path, needs = modules[name]
    for need in needs:
        _visit(module_name(need), modules, order, seen)
    order.append(path)


def load_order(wanted, modules, config):
    """Returns the module paths to load, in order, so that @wanted drivers are there.

    @modules: parse_modules_dep's result; @config: parse_config's. A driver built
    into the kernel (CONFIG_NAME=y) needs nothing. Raises Failure for a driver
    that is neither built in nor a module.
    """
    order, seen = [], set()
    for name in wanted:
        option = "CONFIG_" + name.upper()
        if config.get(option) == "y":
            continue
        if name not in modules:
            raise Failure("the kernel has no driver %s: %s is %s and there is no module"
                          % (name, option, config.get(option, "not set")))
        _visit(name, modules, order, seen)
    return order


def read_module(path):
    """Returns a module file's bytes, unpacked if it is .ko.xz or .ko.gz (busybox's
    insmod loads plain ELF only). Raises Failure for another compression."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if not path.endswith(".ko"):
        raise Failure("cannot unpack kernel module %s (only .ko, .ko.xz, .ko.gz)" % path)
    return data


class Archive:
    """A newc cpio archive built in memory: directories, files and device nodes."""

    def __init__(self):
        self._parts = []
        self._inode = 0

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        """Appends one entry: its header, its name and its data, each padded to 4 bytes."""
        self._inode += 1
        encoded = name.encode("utf-8") + b"\0"
        fields = [self._inode, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, len(data),
                  0, 0, rdev[0], rdev[1], len(encoded), 0]
        header = _CPIO_MAGIC + b"".join(b"%08X" % f for f in fields)
        self._parts += [header, encoded, _pad(len(header) + len(encoded)), data,
                        _pad(len(data))]

    def directory(self, name):
        """Adds directory @name (no leading slash), mode 0755."""
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, executable=False):
        """Adds a regular file @name holding the bytes @data."""
        self._entry(name, stat.S_IFREG | (0o755 if executable else 0o644), data)

    def char_device(self, name, major, minor):
        """Adds a character device node @name (e.g. dev/console, 5, 1)."""
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def data(self):
        """Returns the archive's bytes, closed by the trailer entry."""
        parts, inode = list(self._parts), self._inode
        self._entry(_CPIO_TRAILER, 0)
        out = b"".join(self._parts)
        self._parts, self._inode = parts, inode
        return out


def _pad(length):
    """Returns the NUL bytes that bring @length to a multiple of 4."""
    return b"\0" * _pad_len(length)


def parse_archive(data):
    """Returns [(name, mode, data)] of a newc archive @data, trailer excluded.

    Raises ValueError for a malformed archive. (The tests read archives back with it.)
    """
    entries, offset = [], 0
    while True:
        header = data[offset:offset + 110]
        if len(header) < 110 or header[:6] != _CPIO_MAGIC:
            raise ValueError("no cpio header at offset %d" % offset)
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name_end = offset + 110 + namesize
        name = data[offset + 110:name_end - 1].decode("utf-8")
        start = name_end + _pad_len(110 + namesize)
        if name == _CPIO_TRAILER:
            return entries
        entries.append((name, mode, data[start:start + size]))
        offset = start + size + _pad_len(size)


def _pad_len(length):
    """Returns how many bytes pad @length to a multiple of 4."""
    return -length % 4


def init_script(module_files, program):
    """Returns /init: mount /dev and /proc, load @module_files (names under
    /lib/modules, in order), then become @program."""
    lines = ["#!/bin/busybox sh",
             "# Written by tools/bulkhead/initramfs.py for the storage benchmark.",
             "/bin/busybox mount -t devtmpfs devtmpfs /dev",
             "/bin/busybox mount -t proc proc /proc"]
    lines += ["/bin/busybox insmod /lib/modules/%s" % name for name in module_files]
    lines.append("exec %s" % program)
    return "\n".join(lines) + "\n"


def build(modules_root, module_paths, busybox, program):
    """Returns the bytes of an initramfs that loads @module_paths (relative to
    @modules_root, in order) with @busybox and runs the file @program as /PROGRAM.
    """
    archive = Archive()
    for name in ("bin", "dev", "proc", "sys", "lib", "lib/modules"):
        archive.directory(name)
    archive.char_device("dev/console", 5, 1)
    with open(busybox, "rb") as f:
        archive.file("bin/busybox", f.read(), executable=True)
    with open(program, "rb") as f:
        archive.file(os.path.basename(program), f.read(), executable=True)
    names = []
    for path in module_paths:
        names.append(module_name(path) + ".ko")
        archive.file("lib/modules/" + names[-1], read_module(os.path.join(modules_root, path)))
    archive.file("init", init_script(names, "/" + os.path.basename(program)).encode(),
                 executable=True)
    return archive.data()
