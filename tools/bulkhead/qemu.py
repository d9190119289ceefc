"""Booting an ISO in QEMU and reading its serial console line by line."""

import os
import re
import select
import shutil
import signal
import subprocess
import time

from .util import MEMORY, Failure

# isa-debug-exit: the kernel writes v to port 0xf4 and QEMU exits with (v << 1) | 1.
DEBUG_EXIT_CLEAN = 0   # every domain ended (plan flag BP_FLAG_EXIT_WHEN_IDLE)
DEBUG_EXIT_FAILED = 1  # kernel panic or refused boot plan

# Flags that make a benchmark run repeatable: the TSC follows the instruction count.
BENCH_FLAGS = ["-icount", "shift=0,sleep=off", "-seed", "1",
               "-rtc", "base=2024-01-01T00:00:00,clock=vm"]

# ANSI escapes: CSI sequences, OSC strings, character-set selection, two-byte escapes.
_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]"
                     r"|\][^\x07\x1b]*(\x07|\x1b\\)?"
                     r"|[()][0-9A-Za-z]"
                     r"|[@-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# Firmware and boot media a machine can have (harness `boot FIRMWARE MEDIUM`).
FIRMWARES = ("bios", "uefi")
MEDIA = ("cdrom", "usb")

# UEFI: Debian's ovmf package. The code is read-only; each machine gets its own
# copy of the variable store, which the firmware writes (boot entries).
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS.fd"

# What the firmware says about the device it boots: OVMF on the serial
# console (`BdsDxe: starting Boot0001 "UEFI QEMU DVD-ROM QM00005 " from ...`),
# SeaBIOS on its debug port 0x402 (`Booting from DVD/CD...`).
_OVMF_DEVICE = {"cdrom": "DVD-ROM", "usb": "QEMU USB HARDDRIVE"}
_SEABIOS_BOOT = re.compile(r"^Booting from (DVD/CD|Hard Disk)\.\.\.", re.MULTILINE)
_SEABIOS_MEDIUM = {"DVD/CD": "cdrom", "Hard Disk": "usb"}


# Extra flags a system test may give QEMU (`qemu-args`), each with one value
# checked by its regex. They change timing and the CPU model only, never the
# devices, media, consoles, monitor or files the harness sets up:
#   -icount N|shift=N|auto,sleep=on|off,align=on|off   instruction counting (no rr, rrfile)
#   -rtc base=...,clock=...,driftfix=...               the real-time clock
#   -seed N                                            the guest's random seed
#   -cpu MODEL[,FEATURE=on|off|+FEATURE|-FEATURE...]   the CPU model (the last -cpu wins)
#   -smp N|cpus=N,sockets=N,cores=N,threads=N,maxcpus=N
# and, for the IOMMU and device tests, a few devices with no file behind them:
#   -device intel-iommu[,intremap=..,caching-mode=..,aw-bits=..]   VT-d (q35)
#   -device virtio-blk-pci,drive=NODE[,addr=..,disable-legacy=..,iommu_platform=..]
#   -device edu[,addr=..,dma_mask=..]                   QEMU's DMA test device
#   -blockdev driver=null-co,node-name=NODE[,size=..,read-zeroes=..]   a disk of nothing
#   -device virtio-net-pci,netdev=NODE[,addr=..,disable-legacy=..,iommu_platform=..,mac=..]
#   -netdev user,id=NODE                                QEMU's user network (slirp), with
#                          no option that reaches the host: no hostfwd, guestfwd (which can run
#                          a command), smb or tftp (which serve host files)
_WORD = r"[A-Za-z0-9_.:+-]+"


def _options(keys, first=None):
    """Returns a regex for a QEMU option list `KEY=VALUE,...` with KEY in @keys,
    optionally led by a bare value matching @first."""
    item = r"(%s)=%s" % ("|".join(keys), _WORD)
    head = "(%s|%s)" % (first, item) if first else item
    return re.compile(r"^%s(,%s)*$" % (head, item))


def _device(name, keys):
    """Returns a regex (text) for `-device NAME[,KEY=VALUE...]` with KEY in @keys."""
    return r"%s(,(%s)=%s)*" % (re.escape(name), "|".join(keys), _WORD)


_DEVICES = [_device("intel-iommu", ["intremap", "caching-mode", "aw-bits"]),
            _device("virtio-blk-pci", ["drive", "addr", "disable-legacy", "iommu_platform"]),
            _device("edu", ["addr", "dma_mask"]),
            _device("virtio-net-pci", ["netdev", "addr", "disable-legacy", "iommu_platform",
                                       "mac"])]

EXTRA_FLAGS = {
    "-icount": _options(["shift", "sleep", "align"], r"\d+|auto"),
    "-rtc": _options(["base", "clock", "driftfix"]),
    "-seed": re.compile(r"^\d+$"),
    "-cpu": re.compile(r"^[A-Za-z0-9_.-]+(,[+-]?[A-Za-z0-9_.-]+(=[A-Za-z0-9_.-]+)?)*$"),
    "-smp": _options(["cpus", "sockets", "cores", "threads", "maxcpus"], r"\d+"),
    "-device": re.compile(r"^(%s)$" % "|".join(_DEVICES)),
    "-blockdev": re.compile(r"^driver=null-co,node-name=%s(,(size|read-zeroes)=%s)*$"
                            % (_WORD, _WORD)),
    "-netdev": re.compile(r"^user,id=[A-Za-z0-9_-]+$"),
}


def check_extra_args(words):
    """Checks extra QEMU arguments @words (a list) against EXTRA_FLAGS.

    Returns: the list, unchanged. Raises ValueError saying which word is not
    allowed and why, and which flags are.
    """
    allowed = "allowed: %s" % ", ".join(sorted(EXTRA_FLAGS))
    for flag, value in zip(words[::2], words[1::2] + [None]):
        if flag not in EXTRA_FLAGS:
            raise ValueError("QEMU flag %r is not allowed (%s)" % (flag, allowed))
        if value is None:
            raise ValueError("QEMU flag %s needs a value" % flag)
        if not EXTRA_FLAGS[flag].match(value):
            raise ValueError("QEMU flag %s: value %r is not allowed" % (flag, value))
    return words


def _escape(path):
    """Escapes a path for a QEMU option list (a comma is written twice)."""
    return path.replace(",", ",,")


def firmware_flags(firmware, vars_path=None):
    """Returns QEMU's flags for @firmware: none for bios (SeaBIOS), OVMF's flash for uefi.

    Needs: for uefi, @vars_path a writable copy of OVMF_VARS (see uefi_vars).
    """
    if firmware == "bios":
        return []
    if firmware != "uefi" or not vars_path:
        raise Failure("firmware %r: expected bios, or uefi with a variable store" % firmware)
    return ["-drive", "if=pflash,format=raw,readonly=on,file=" + _escape(OVMF_CODE),
            "-drive", "if=pflash,format=raw,file=" + _escape(vars_path)]


def medium_flags(iso, medium, firmware="bios"):
    """Returns QEMU's flags that attach @iso as @medium: cdrom, or usb (the raw
    image as a read-only USB stick on an EHCI controller)."""
    if medium == "cdrom":
        return (["-boot", "d"] if firmware == "bios" else []) + ["-cdrom", iso]
    if medium != "usb":
        raise Failure("medium %r: expected cdrom or usb" % medium)
    return ["-drive", "if=none,id=stick,format=raw,readonly=on,file=" + _escape(iso),
            "-device", "usb-ehci,id=ehci", "-device", "usb-storage,bus=ehci.0,drive=stick"]


def uefi_vars(directory):
    """Copies OVMF's empty variable store to @directory/ovmf-vars.fd; returns its path.

    Raises Failure naming the package if OVMF is not installed.
    """
    for path in (OVMF_CODE, OVMF_VARS):
        if not os.path.isfile(path):
            raise Failure("UEFI firmware %s is missing: install the ovmf package"
                          " (apt-get install -y --no-install-recommends ovmf)" % path)
    target = os.path.join(directory, "ovmf-vars.fd")
    shutil.copyfile(OVMF_VARS, target)
    return target


def firmware_log_flags(path):
    """Returns flags that write the firmware's debug port (0x402) to @path: SeaBIOS
    logs there which device it boots (OVMF's release build logs nothing)."""
    return ["-chardev", "file,id=fwlog,path=" + _escape(path),
            "-device", "isa-debugcon,iobase=0x402,chardev=fwlog"]


def uefi_boot_regex(medium, other=False):
    """Returns a regex for the serial line in which OVMF starts booting from @medium,
    or with @other, from anything else (another device, its shell)."""
    wanted = '"UEFI QEMU %s' % _OVMF_DEVICE[medium]
    return r"^BdsDxe: starting Boot[0-9A-F]{4} " + ("(?!%s)" % wanted if other else wanted)


def seabios_medium(log_text):
    """Returns the medium (cdrom or usb) SeaBIOS last tried to boot, from its debug
    log @log_text, or None if it booted nothing."""
    found = _SEABIOS_BOOT.findall(log_text)
    return _SEABIOS_MEDIUM[found[-1]] if found else None


def command(iso, interactive=False, extra=(), firmware="bios", medium="cdrom", vars_path=None):
    """Returns QEMU's argv to boot @iso on a q35 machine under TCG.

    @interactive: serial multiplexed with the monitor on stdio (Ctrl-A X quits);
    otherwise the serial alone on stdout. @extra: more flags (e.g. BENCH_FLAGS).
    @firmware, @medium, @vars_path: see firmware_flags() and medium_flags().
    """
    serial = "mon:stdio" if interactive else "stdio"
    return ["qemu-system-x86_64", "-M", "q35", "-accel", "tcg", "-cpu", "max",
            "-m", MEMORY, "-nodefaults", "-no-reboot", "-display", "none",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] + \
        firmware_flags(firmware, vars_path) + medium_flags(iso, medium, firmware) + \
        ["-serial", serial] + list(extra)


def clean_line(raw):
    """Returns a serial line without carriage returns, ANSI escapes or control bytes."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return _CONTROL.sub("", _ESCAPE.sub("", text))


def debug_exit_value(status):
    """Returns the value the guest wrote to isa-debug-exit, or None if @status is no such exit."""
    if status is not None and status > 0 and status % 2 == 1:
        return status >> 1
    return None


def _stderr_error(stderr_text):
    """Returns QEMU's first error line (warnings ignored), or ''."""
    for line in stderr_text.splitlines():
        if line.strip() and "warning:" not in line:
            return line.strip()
    return ""


def describe_exit(status, stderr_text=""):
    """Says in words why QEMU ended with exit @status (None: still running)."""
    if status is None:
        return "QEMU is still running"
    error = _stderr_error(stderr_text)
    if status < 0:
        return "QEMU was killed by signal %d" % -status
    if status == 1 and error:
        return "QEMU failed (exit status 1): %s" % error
    value = debug_exit_value(status)
    if value == DEBUG_EXIT_CLEAN:
        return "the kernel stopped the machine cleanly (exit status 1: every domain ended)"
    if value == DEBUG_EXIT_FAILED:
        return "the kernel stopped the machine on a failure (exit status 3: panic or refused plan)"
    if value is not None:
        return "the guest wrote %d to isa-debug-exit (exit status %d)" % (value, status)
    if status == 0:
        return ("QEMU exited with status 0 (guest reset, triple fault, or power-off:"
                " GRUB powers off when it cannot boot the kernel)")
    return "QEMU failed (exit status %d)%s" % (status, ": " + error if error else "")


def failed_to_start(status, stderr_text):
    """Returns True if QEMU's exit @status and stderr mean it never ran the guest."""
    return status is not None and status > 0 and bool(_stderr_error(stderr_text)) \
        and (status == 1 or status % 2 == 0)


class Machine:
    """A headless QEMU whose serial console is read incrementally.

    Use as a context manager: leaving the block always kills QEMU.
    """

    def __init__(self, argv, stderr_path):
        self.argv = argv
        self.stderr_path = stderr_path
        self.proc = None
        self.started = None
        self._pending = b""
        self._eof = False
        self._drained = []  # serial chunks drain() read, for read_lines; b"" is the end
        self.timed_out = False

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        """Starts QEMU with stdin from /dev/null, serial on a pipe, stderr to a file."""
        with open(self.stderr_path, "wb") as err:
            try:
                self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                             stdout=subprocess.PIPE, stderr=err)
            except OSError as e:
                raise Failure("cannot start %s: %s" % (self.argv[0], e.strerror))
        self.started = time.monotonic()

    def read_lines(self, timeout):
        """Waits up to @timeout seconds for serial output.

        Returns: the complete lines that arrived (cleaned, maybe []), or None
        once QEMU closed the serial and every line was returned.
        """
        if self._eof:
            return None
        if self._drained:
            chunk = self._drained.pop(0)
        else:
            fd = self.proc.stdout.fileno()
            ready, _, _ = select.select([fd], [], [], max(timeout, 0))
            if not ready:
                return []
            chunk = os.read(fd, 65536)
        if not chunk:
            self._eof = True
            rest, self._pending = self._pending, b""
            return [clean_line(rest)] if rest else []
        parts = (self._pending + chunk).split(b"\n")
        self._pending = parts.pop()
        return [clean_line(p) for p in parts]

    def drain(self):
        """Reads, without waiting, what QEMU has written to the serial so far, and keeps it
        for read_lines (in order): QEMU never waits on a full pipe while the harness is busy
        with a host check."""
        if self.proc is None or self._eof or (self._drained and not self._drained[-1]):
            return
        fd = self.proc.stdout.fileno()
        while select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 65536)
            self._drained.append(chunk)
            if not chunk:
                return

    def lines(self, deadline):
        """Yields serial lines as they come, until QEMU closes its serial or the
        monotonic clock passes @deadline (then sets self.timed_out).
        """
        self.timed_out = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                return
            got = self.read_lines(min(remaining, 1.0))
            if got is None:
                return
            yield from got

    def wait(self, timeout):
        """Waits up to @timeout seconds for QEMU to exit; returns its status or None."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """Kills QEMU if it still runs and reaps it. Returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        status = self.proc.wait()
        self.proc.stdout.close()
        return status

    def stderr_text(self):
        """Returns what QEMU wrote to stderr so far."""
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""
