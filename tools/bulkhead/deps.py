"""Debian packages the command needs: check with dpkg-query, install with apt-get."""

import os
import shutil
import subprocess

from .util import Failure, say, warn

# Everything build, run, test and bench need on a fresh Debian 12 machine. They
# are installed without their Recommends (see install_commands), so everything
# used is named here, not left to a recommendation: QEMU's would bring its GTK
# display and speech data, gcc's is the C library's headers.
BASE_PACKAGES = [
    "qemu-system-x86",   # qemu-system-x86_64
    "grub-pc-bin",       # GRUB for BIOS, multiboot2
    "grub-efi-amd64-bin",  # GRUB for UEFI (x86_64): `bulkhead image` makes hybrid ISOs
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
    "libc6-dev",         # the C library's headers: host tests and bhc (gcc only recommends it)
    "make",              # newlib's build
    "xz-utils",          # unpacks the newlib tarball
    "python3",
    "ovmf",              # UEFI firmware for QEMU: system tests boot images under UEFI too
    "qemu-utils",        # qemu-img: `bulkhead run` creates a missing disk image
    "iproute2",          # ip: the network namespace and tap device of the net_tap test
    "iputils-ping",      # ping: Linux's peer in the net_tap test
    "curl",              # the net_system test fetches httpd's page with it; `bulkhead run` prints it
    "socat",             # the commands `bulkhead run` prints to reach a UDP or TCP echo
    "libbearssl-dev",    # BearSSL (libbearssl.a), linked into domains by libs/libtls
    "openssl",           # `bulkhead keys` and the test runs' keys: the CA and certificates
]
# (Never install grub-efi-amd64 or grub-pc: they conflict with each other, and
# grub-efi-amd64-bin's recommends, the signed GRUB and shim, set up booting the
# host itself; the -bin packages only bring the modules grub-mkrescue puts on an ISO.)

# The storage rows of `bulkhead bench`: Linux boots from Debian's kernel with an
# initramfs holding busybox (static) and blkbench (the command writes the cpio
# archive and the disk image itself: no cpio, no qemu-img).
LINUX_BENCH_PACKAGES = [
    "linux-image-amd64",  # /boot/vmlinuz-*, its modules (virtio_pci, virtio_blk) and config
    "busybox-static",     # /bin/busybox: the initramfs's shell, mount and insmod
]

# Only `bulkhead lint` needs these.
LINT_PACKAGES = ["clang", "clang-format", "clang-tidy"]

# `bulkhead graph` and the graph test of `bulkhead test`: dot renders the system picture.
GRAPH_PACKAGES = ["graphviz"]

# `bulkhead test`: the management API's checks (mgmt.py, prom.py) and their unit tests.
# (Debian's prometheus enables a system service; on a machine with systemd it starts one
# on port 9090: `systemctl disable --now prometheus` if that is not wanted. The tests run
# their own on a free port.)
# (curl and openssl, which they need too, are in BASE_PACKAGES.)
TEST_PACKAGES = [
    "prometheus",  # host-prometheus: prometheus scrapes /metrics, promtool checks it
]

# `bulkhead fuzz` and the fuzz tests of `bulkhead test`: clang-14 and libFuzzer's runtime.
FUZZ_PACKAGES = ["clang", "libclang-rt-14-dev"]


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


def install_commands(missing):
    """Returns the apt-get argument lists that install @missing (packages): one
    `install -y --no-install-recommends` line, or none if nothing is missing."""
    return [["install", "-y", "--no-install-recommends"] + list(missing)] if missing else []


def ensure_packages(packages):
    """Makes sure every package in @packages is installed.

    As root: runs `apt-get update` once and `apt-get install -y
    --no-install-recommends` for the missing ones. Otherwise raises Failure
    naming exactly what to install.
    Returns: nothing; quiet when nothing is missing.
    """
    missing = missing_packages(packages)
    if not missing:
        return
    commands = install_commands(missing)
    if os.geteuid() != 0:
        lines = " && ".join("apt-get " + " ".join(c) for c in commands)
        raise Failure("missing Debian packages: %s\nInstall them as root:\n  apt-get update && %s"
                      % (" ".join(missing), lines))
    say("bulkhead: installing missing Debian packages: " + " ".join(missing))
    _apt(["update"])
    for command in commands:
        _apt(command)
    still = missing_packages(missing)
    if still:
        raise Failure("apt-get did not install: " + " ".join(still))
