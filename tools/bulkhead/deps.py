"""Debian packages the command needs: check with dpkg-query, install with apt-get."""

import os
import shutil
import subprocess

from util import Failure, say, warn

# Everything build, run, test and bench need on a fresh Debian 12 machine.
BASE_PACKAGES = [
    "qemu-system-x86",   # qemu-system-x86_64
    "grub-pc-bin",       # GRUB for BIOS, multiboot2
    "grub-common",       # grub-mkrescue
    "xorriso",           # grub-mkrescue writes ISO 9660 with it
    "mtools",            # grub-mkrescue builds its EFI/FAT image with it
    "meson",
    "ninja-build",
    "newlib-source",     # the C library of domains, built from source
    "libxml2-dev",       # the manifest compiler
    "libcmocka-dev",     # host unit tests
    "pkg-config",
    "gcc",
    "make",              # newlib's build
    "xz-utils",          # unpacks the newlib tarball
    "python3",
]

# Only `bulkhead lint` needs these.
LINT_PACKAGES = ["clang", "clang-format", "clang-tidy"]


def missing_packages(packages):
    """Returns the packages of @packages that dpkg does not list as installed.

    Needs: dpkg-query on the PATH; without it (not Debian) returns [] after a
    warning, and the first missing tool will say so itself.
    """
    if shutil.which("dpkg-query") is None:
        warn("dpkg-query not found: not a Debian system? Not checking packages.")
        return []
    proc = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Status}\\n"] + packages,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    installed = set()
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[-1] == "installed":
            installed.add(fields[0].split(":")[0])
    return [p for p in packages if p not in installed]


def _apt(args):
    """Runs apt-get with @args non-interactively; raises Failure if it fails."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    argv = ["apt-get"] + args
    say("bulkhead: " + " ".join(argv))
    if subprocess.run(argv, env=env, stdin=subprocess.DEVNULL).returncode != 0:
        raise Failure("'%s' failed" % " ".join(argv))


def ensure_packages(packages):
    """Makes sure every package in @packages is installed.

    As root: runs `apt-get update` once and `apt-get install -y` for the
    missing ones. Otherwise raises Failure naming exactly what to install.
    Returns: nothing; quiet when nothing is missing.
    """
    missing = missing_packages(packages)
    if not missing:
        return
    command = "apt-get install -y " + " ".join(missing)
    if os.geteuid() != 0:
        raise Failure("missing Debian packages: %s\nInstall them as root:\n  apt-get update && %s"
                      % (" ".join(missing), command))
    say("bulkhead: installing missing Debian packages: " + " ".join(missing))
    _apt(["update"])
    _apt(["install", "-y"] + missing)
    still = missing_packages(missing)
    if still:
        raise Failure("apt-get did not install: " + " ".join(still))
