"""`bulkhead fuzz`: libFuzzer targets for the manifest compiler, the boot-plan
checker, the kernel's instruction decoder, its ACPI table parser, the
virtio-blk driver's request decoder, the virtio-net driver's port path, the storage
service's request checks, the virtual switch's descriptor handling, libnet's frame and TCP
segment input and its DHCP client, httpd's HTTP request parser and libtls's decoding of the
keys module.

The targets are built with Debian's clang outside Meson (the project compiler
is gcc): this module writes BUILD/fuzz/build.ninja and runs ninja on it, so
only what changed is rebuilt. Sources: tests/fuzz/*.c, the compiler library
(every tools/bhc/*.c that defines no main), kernel/plan.c, kernel/plan_port.c,
kernel/lib/crc32.c, kernel/arch/x86_64/insn.c, kernel/arch/x86_64/acpi_parse.c,
kernel/lib/sha256.c, drivers/virtio-blk/blk_req.c, drivers/virtio-net/net_*.c (with
libvirtio, libring and the simulated device of tests/host/virtio), services/storage/stor_req.c,
services/net/vsw.c, libs/libnet/*.c (but net_port.c), libs/libhttp/http_req.c,
libs/libtls/tls_keys.c and tls_text.c (linked with Debian's BearSSL), services/control/ctl_*.c
but the domain-only ctl_backend.c and ctl_tail.c (with the fake backend of tests/host/control),
the fake ELF writer of tests/host/manifest,
and schema_xsd.c
generated from manifests/bulkhead.xsd by tools/bhc/embed.py exactly as Meson does.
"""

import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import time

from . import deps
from .harness import LOG_DIR, Result
from .util import BUILD, ROOT, Failure, makedirs, rel, run_quiet, safe_name, say

FUZZ_DIR = os.path.join(BUILD, "fuzz")
FUZZ_SRC = os.path.join(ROOT, "tests", "fuzz")
REGRESSIONS = os.path.join(FUZZ_SRC, "regressions")

# Everything a fuzz input may cost: per input, and memory.
INPUT_TIMEOUT = 10
RSS_LIMIT_MB = 2048
MAX_LEN = 32768

# `bulkhead test`: a fixed seed and a fixed number of executions per target
# (Target.runs), so that every run does the same work; the time cap only guards
# against a very slow machine.
TEST_SEED = 1
TEST_TIME_CAP = 45

CFLAGS = ["-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=undefined",
          "-g", "-O1", "-std=gnu11", "-Wall", "-Wextra",
          "-I" + os.path.join(ROOT, "abi", "include"),
          "-I" + os.path.join(ROOT, "kernel", "shared", "include"),
          "-I" + os.path.join(ROOT, "kernel", "arch", "x86_64", "include"),
          "-I" + os.path.join(ROOT, "tools", "bhc"),
          "-I" + os.path.join(ROOT, "tests", "host", "manifest"),
          "-I" + os.path.join(ROOT, "drivers", "virtio-blk"),
          "-I" + os.path.join(ROOT, "drivers", "virtio-net"),
          "-I" + os.path.join(ROOT, "libs", "libnet", "include"),
          "-I" + os.path.join(ROOT, "tests", "host", "virtio"),
          "-I" + os.path.join(ROOT, "libs", "libblk", "include"),
          "-I" + os.path.join(ROOT, "libs", "libring", "include"),
          "-I" + os.path.join(ROOT, "libs", "libvirtio", "include"),
          "-I" + os.path.join(ROOT, "services", "storage"),
          "-I" + os.path.join(ROOT, "services", "net"),
          "-I" + os.path.join(ROOT, "libs", "libnet", "include"),
          "-I" + os.path.join(ROOT, "libs", "libhttp", "include"),
          "-I" + os.path.join(ROOT, "libs", "libtls", "include"),
          "-I" + os.path.join(ROOT, "services", "control"),
          "-I" + os.path.join(ROOT, "tests", "host", "control"),
          "-isystem", "/usr/include/bearssl",
          "-I" + FUZZ_SRC]
# Only the fuzz sources themselves must be warning-free under clang.
OWN_CFLAGS = ["-Werror"]


class Target:
    """One fuzz target: its sources and where its seeds come from."""

    def __init__(self, name, sources, seeds, runs, dictionary=None, libs=()):
        self.name = name
        self.libs = list(libs)          # more libraries to link, e.g. ["-lbearssl"]
        self.sources = sources          # callable: () -> [source path]
        self.seeds = seeds              # [(directory relative to ROOT, glob pattern)]
        self.runs = runs                # executions in `bulkhead test`
        self.dictionary = dictionary    # libFuzzer dictionary (path) or None

    @property
    def binary(self):
        """The fuzzer executable."""
        return os.path.join(FUZZ_DIR, "fuzz-" + self.name)

    def seed_files(self):
        """Returns every seed file, sorted, as absolute paths."""
        found = []
        for directory, pattern in self.seeds:
            for path in sorted(glob.glob(os.path.join(ROOT, directory, pattern))):
                if os.path.isfile(path) and not os.path.basename(path).startswith("README"):
                    found.append(path)
        return found

    def regression_files(self):
        """Returns every crash regression input of this target, sorted."""
        directory = os.path.join(REGRESSIONS, self.name)
        if not os.path.isdir(directory):
            return []
        return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                      if os.path.isfile(os.path.join(directory, f))
                      and not f.startswith("README"))


def _src(*parts):
    """A path inside the repository."""
    return os.path.join(ROOT, *parts)


def _defines_main(path):
    """True if the C file @path defines main() (a program, not part of the library)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        return re.search(r"^int\s+main\s*\(", f.read(), re.M) is not None


def _bhc_sources():
    """The manifest compiler library: tools/bhc/*.c without the programs' main files."""
    files = sorted(glob.glob(_src("tools", "bhc", "*.c")))
    return [f for f in files if not _defines_main(f)]


def _checker_sources():
    """The kernel's plan checker, CRC-32 and SHA-256, and the fuzzers' plan walk."""
    return [_src("kernel", "plan.c"), _src("kernel", "plan_control.c"), _src("kernel", "plan_port.c"),
            _src("kernel", "lib", "crc32.c"),
            _src("kernel", "lib", "sha256.c"), _src("tests", "fuzz", "plan_walk.c")]


def _manifest_sources():
    """Sources of the `manifest` target (without the generated schema_xsd.c)."""
    return ([_src("tests", "fuzz", "fuzz_manifest.c"),
             _src("tests", "host", "manifest", "fake_elf.c")]
            + _bhc_sources() + _checker_sources())


def _plan_sources():
    """Sources of the `plan` target."""
    return [_src("tests", "fuzz", "fuzz_plan.c")] + _checker_sources()


def _insn_sources():
    """Sources of the `insn` target."""
    return [_src("tests", "fuzz", "fuzz_insn.c"), _src("kernel", "arch", "x86_64", "insn.c")]


def _acpi_sources():
    """Sources of the `acpi` target."""
    return [_src("tests", "fuzz", "fuzz_acpi.c"),
            _src("kernel", "arch", "x86_64", "acpi_parse.c")]


def _blk_sources():
    """Sources of the `blk` target: the virtio-blk driver's request decoder."""
    return [_src("tests", "fuzz", "fuzz_blk.c"), _src("drivers", "virtio-blk", "blk_req.c")]


def _net_sources():
    """Sources of the `net` target: the virtio-net driver's request decoder and path, run
    against the simulated device of the host tests."""
    return ([_src("tests", "fuzz", "fuzz_net.c")]
            + [_src("drivers", "virtio-net", f) for f in ("net_req.c", "net_serve.c", "net_dev.c")]
            + [_src("libs", "libvirtio", "virtio_pci.c"), _src("libs", "libvirtio", "virtq.c"),
               _src("libs", "libring", "ring.c"), _src("tests", "host", "virtio", "sim_dev.c"),
               _src("tests", "host", "virtio", "sim_net.c")])


def _storage_sources():
    """Sources of the `storage` target: the storage service's request checks and translation."""
    return [_src("tests", "fuzz", "fuzz_storage.c"), _src("services", "storage", "stor_req.c")]


def _vswitch_sources():
    """Sources of the `vswitch` target: the switch's descriptor checks, routing and queues."""
    return [_src("tests", "fuzz", "fuzz_vswitch.c"), _src("services", "net", "vsw.c")]


# libnet's domain glue (libbh rings and hypercalls): not part of the pure stack.
_LIBNET_DOMAIN_ONLY = {"net_port.c"}


def _libnet_sources():
    """libnet's pure C files (libs/libnet/*.c but the domain glue), as the host tests build them."""
    return sorted(p for p in glob.glob(_src("libs", "libnet", "*.c"))
                  if os.path.basename(p) not in _LIBNET_DOMAIN_ONLY)


def _frames_sources():
    """Sources of the `frames` target: libnet's frame input (Ethernet, ARP, IPv4, ICMP, UDP)."""
    return [_src("tests", "fuzz", "fuzz_frames.c")] + _libnet_sources()


def _tcp_sources():
    """Sources of the `tcp` target: libnet's TCP input against a live connection."""
    return [_src("tests", "fuzz", "fuzz_tcp.c")] + _libnet_sources()


def _dhcp_sources():
    """Sources of the `dhcp` target: libnet's DHCP reply parser and client."""
    return [_src("tests", "fuzz", "fuzz_dhcp.c")] + _libnet_sources()


def _httpreq_sources():
    """Sources of the `httpreq` target: httpd's HTTP/1.1 request parser."""
    return [_src("tests", "fuzz", "fuzz_httpreq.c"), _src("libs", "libhttp", "http_req.c")]


def _tlskeys_sources():
    """Sources of the `tlskeys` target: libtls's keys-module decoding (BearSSL underneath)."""
    return [_src("tests", "fuzz", "fuzz_tlskeys.c"), _src("libs", "libtls", "tls_keys.c"),
            _src("libs", "libtls", "tls_text.c")]


def _json_sources():
    """Sources of the `json` target: the control domain's JSON reader and writer."""
    return [_src("tests", "fuzz", "fuzz_json.c"), _src("services", "control", "ctl_json.c"),
            _src("services", "control", "ctl_buf.c")]


def _ctlapi_sources():
    """Sources of the `ctlapi` target: the control domain's API against the fake backend."""
    pure = ["ctl_api.c", "ctl_buf.c", "ctl_json.c", "ctl_metrics.c", "ctl_role.c", "ctl_view.c"]
    return [_src("tests", "fuzz", "fuzz_ctlapi.c"), _src("tests", "host", "control", "ctl_fake.c"),
            _src("libs", "libhttp", "http_req.c")] + [_src("services", "control", f) for f in pure]


def _save_sources():
    """Sources of the `save` target: a restore from a hostile save volume."""
    return [_src("tests", "fuzz", "fuzz_save.c"), _src("services", "control", "ctl_save.c")]


TARGETS = {
    "manifest": Target(
        "manifest", _manifest_sources,
        [("tests/fuzz/corpus/manifest", "*"), ("tests/manifest/valid", "*.xml"),
         ("tests/manifest/invalid", "*.xml"), ("manifests", "*.xml"),
         ("tests/system", "*/manifest.xml"), ("tests/bench", "*.xml")],
        runs=30000, dictionary=os.path.join(FUZZ_SRC, "manifest.dict")),
    "plan": Target(
        "plan", _plan_sources, [("tests/fuzz/corpus/plan", "*")], runs=60000),
    "insn": Target(
        "insn", _insn_sources, [("tests/fuzz/corpus/insn", "*")], runs=200000),
    "acpi": Target(
        "acpi", _acpi_sources, [("tests/fuzz/corpus/acpi", "*")], runs=200000),
    "blk": Target(
        "blk", _blk_sources, [("tests/fuzz/corpus/blk", "*")], runs=1000000),
    "net": Target(
        "net", _net_sources, [("tests/fuzz/corpus/net", "*")], runs=50000),
    "storage": Target(
        "storage", _storage_sources, [("tests/fuzz/corpus/storage", "*")], runs=1000000),
    "vswitch": Target(
        "vswitch", _vswitch_sources, [("tests/fuzz/corpus/vswitch", "*")], runs=60000),
    "frames": Target(
        "frames", _frames_sources, [("tests/fuzz/corpus/frames", "*")], runs=50000),
    "tcp": Target(
        "tcp", _tcp_sources, [("tests/fuzz/corpus/tcp", "*")], runs=10000),
    "dhcp": Target(
        "dhcp", _dhcp_sources, [("tests/fuzz/corpus/dhcp", "*")], runs=50000),
    "httpreq": Target(
        "httpreq", _httpreq_sources, [("tests/fuzz/corpus/httpreq", "*")], runs=200000),
    "tlskeys": Target(
        "tlskeys", _tlskeys_sources, [("tests/fuzz/corpus/tlskeys", "*")], runs=20000,
        libs=["-lbearssl"]),
    "json": Target(
        "json", _json_sources, [("tests/fuzz/corpus/json", "*")], runs=200000),
    "ctlapi": Target(
        "ctlapi", _ctlapi_sources, [("tests/fuzz/corpus/ctlapi", "*")], runs=50000),
    "save": Target(
        "save", _save_sources, [("tests/fuzz/corpus/save", "*")], runs=20000,
        libs=["-lbearssl"]),
}

SCHEMA_C = os.path.join(FUZZ_DIR, "gen", "schema_xsd.c")


# ---- building ----

def _pkg_config_libxml2():
    """Returns (cflags, libs) of libxml2 from pkg-config; raises Failure if it fails."""
    status, cflags = run_quiet(["pkg-config", "--cflags", "libxml-2.0"])
    status2, libs = run_quiet(["pkg-config", "--libs", "libxml-2.0"])
    if status or status2:
        raise Failure("pkg-config does not know libxml-2.0: is libxml2-dev installed?\n"
                      + cflags + libs)
    return cflags.split(), libs.split()


def _object(source):
    """The object file of @source inside BUILD/fuzz/obj/."""
    if source == SCHEMA_C:
        return os.path.join("obj", "gen", "schema_xsd.o")
    return os.path.join("obj", os.path.relpath(source, ROOT)[:-2] + ".o")


def _ninja_text():
    """The build.ninja that builds every target (sources are globbed afresh each time)."""
    xml_cflags, xml_libs = _pkg_config_libxml2()
    out = ["# Generated by tools/bulkhead/fuzz.py: do not edit.",
           "cflags = " + " ".join(CFLAGS + xml_cflags),
           "rule cc",
           "  command = clang -MMD -MF $out.d $cflags $extra -c $in -o $out",
           "  depfile = $out.d", "  deps = gcc", "  description = CC $out",
           "rule link",
           "  command = clang -fsanitize=fuzzer,address,undefined $in -o $out $libs",
           "  description = LINK $out",
           "rule embed",
           "  command = %s %s $in $out schema_xsd" % (sys.executable,
                                                      _src("tools", "bhc", "embed.py")),
           "  description = EMBED $out",
           "build %s: embed %s | %s" % (SCHEMA_C, _src("manifests", "bulkhead.xsd"),
                                      _src("tools", "bhc", "embed.py"))]
    objects = {}
    for target in TARGETS.values():
        sources = target.sources() + ([SCHEMA_C] if target.name == "manifest" else [])
        for source in sources:
            if source in objects:
                continue
            objects[source] = _object(source)
            out.append("build %s: cc %s" % (objects[source], source))
            if source.startswith(FUZZ_SRC + os.sep):
                out.append("  extra = " + " ".join(OWN_CFLAGS))
        out.append("build %s: link %s" % (target.binary,
                                          " ".join(objects[s] for s in sources)))
        out.append("  libs = " + " ".join(xml_libs + target.libs))
    return "\n".join(out) + "\n"


def _write_if_changed(path, text):
    """Writes @text to @path unless it already holds exactly that."""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def ensure_tools():
    """Installs what the fuzzers need (clang and libFuzzer's runtime) if it is missing."""
    deps.ensure_packages(deps.BASE_PACKAGES + deps.FUZZ_PACKAGES)


def build():
    """Brings BUILD/fuzz/fuzz-* up to date with clang. Raises Failure on a build error."""
    makedirs(FUZZ_DIR)
    _write_if_changed(os.path.join(FUZZ_DIR, "build.ninja"), _ninja_text())
    argv = ["ninja", "-C", FUZZ_DIR] + [t.binary for t in TARGETS.values()]
    status, output = run_quiet(argv)
    with open(os.path.join(FUZZ_DIR, "build.log"), "w", encoding="utf-8") as f:
        f.write(output)
    if status != 0:
        failed = [line for line in output.splitlines() if line.startswith("FAILED:")]
        where = failed[0] if failed else "see %s/build.log" % rel(FUZZ_DIR)
        raise Failure("building the fuzzers failed (%s):\n%s" % (" ".join(argv), output[-6000:]),
                      summary="fuzzer build failed: " + where)
    if "no work to do" not in output:
        say("bulkhead: fuzzers built in %s" % rel(FUZZ_DIR))


# ---- running ----

class Stats:
    """What one libFuzzer run reported (parsed from its output)."""

    # "#1234  NEW    cov: 810 ft: 2154 corp: 7/6352b ...": executions, event, edges, features.
    _STATUS = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+) corp: (\d+)", re.M)

    def __init__(self, text, status):
        self.status = status
        self.stats = {k: int(v) for k, v in re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M)}
        lines = [(int(n), event, int(cov), int(ft)) for n, event, cov, ft, _
                 in self._STATUS.findall(text)]
        inited = [line for line in lines if line[1] == "INITED"] or lines or [(0, "", 0, 0)]
        last = lines[-1] if lines else (0, "", 0, 0)
        self.start = inited[0][2:]      # (edges, features) once the corpus was loaded
        self.end = last[2:]             # (edges, features) at the end
        self.executions = self.stats.get("number_of_executed_units", last[0])
        self.crashes = re.findall(r"Test unit written to (\S+)", text)
        seed = re.search(r"INFO: Seed: (\d+)", text)
        self.seed = seed.group(1) if seed else "?"
        self.crashed = status != 0 or bool(self.crashes)
        self.reason = self._reason(text) or "exit status %d" % status

    @staticmethod
    def _reason(text):
        """The most telling line of a crash report: a broken invariant, UB, a sanitizer error."""
        for pattern in (r"^((?:fuzz_\w+|plan_walk): .*)$", r"runtime error: (.*)$",
                        r"^==\d+==\s*ERROR: (.*)$", r"^SUMMARY: (.*)$"):
            found = re.search(pattern, text, re.M)
            if found:
                return found.group(1)
        return None


def _fuzzer_args(target, crash_dir):
    """The options every fuzzing run of @target gets."""
    args = ["-print_final_stats=1", "-timeout=%d" % INPUT_TIMEOUT,
            "-rss_limit_mb=%d" % RSS_LIMIT_MB, "-max_len=%d" % MAX_LEN,
            "-artifact_prefix=" + makedirs(crash_dir) + os.sep]
    if target.dictionary and os.path.exists(target.dictionary):
        args.append("-dict=" + target.dictionary)
    return args


def fill_corpus(target, corpus, fresh=False):
    """Copies @target's seeds into the working corpus directory @corpus; returns its size."""
    if fresh and os.path.isdir(corpus):
        shutil.rmtree(corpus)
    makedirs(corpus)
    for path in target.seed_files():
        name = "seed-" + os.path.relpath(path, ROOT).replace(os.sep, "_")
        shutil.copyfile(path, os.path.join(corpus, name))
    return len(os.listdir(corpus))


def _start(argv, log_path):
    """Starts one fuzzer with its output (stdout and stderr) going to @log_path.

    Its TMPDIR is BUILD/fuzz/tmp: the `manifest` target makes its scratch
    directory there, and one that a crash left behind stays in the build tree.
    """
    env = dict(os.environ, TMPDIR=makedirs(os.path.join(FUZZ_DIR, "tmp")))
    log = open(log_path, "wb")
    try:
        return subprocess.Popen(argv, cwd=FUZZ_DIR, stdin=subprocess.DEVNULL, env=env,
                                stdout=log, stderr=subprocess.STDOUT), log
    except OSError:
        log.close()
        raise


def _finish(procs, deadline):
    """Waits for every (process, log) until @deadline; on Ctrl-C or overtime stops them."""
    statuses = []
    try:
        for proc, log in procs:
            try:
                statuses.append(proc.wait(timeout=max(1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                proc.kill()
                statuses.append(proc.wait())
            log.close()
    except KeyboardInterrupt:
        for proc, log in procs:
            if proc.poll() is None:
                proc.terminate()
            proc.wait()
            log.close()
        raise
    return statuses


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def _print_run(target, stats_list, seconds, corpus_before, corpus):
    """Prints executions, coverage and the verdict of a `bulkhead fuzz` run."""
    total = sum(s.executions for s in stats_list)
    say("fuzz/%s: %d executions in %.0f s (%.0f/s), %d job%s" % (
        target.name, total, seconds, total / max(seconds, 0.001), len(stats_list),
        "" if len(stats_list) == 1 else "s"))
    for i, s in enumerate(stats_list):
        say("  job %d (seed %s): %d executions; coverage %d -> %d edges (%+d), "
            "%d -> %d features (%+d); %d new inputs" % (
                i, s.seed, s.executions, s.start[0], s.end[0], s.end[0] - s.start[0],
                s.start[1], s.end[1], s.end[1] - s.start[1], s.stats.get("new_units_added", 0)))
    say("  corpus %s: %d -> %d inputs" % (rel(corpus), corpus_before, len(os.listdir(corpus))))


def run(name, seconds, jobs=1):
    """bulkhead fuzz: runs target @name for @seconds with @jobs processes sharing one corpus.

    Returns: 0 if no process found a crash, 1 otherwise (after printing each
    crash input and how to reproduce it).
    """
    target = TARGETS[name]
    if jobs < 1:
        raise Failure("--jobs must be at least 1", status=2)
    ensure_tools()
    build()
    corpus = os.path.join(FUZZ_DIR, "corpus-" + name)
    crash_dir = os.path.join(FUZZ_DIR, "crashes-" + name)
    log_dir = makedirs(os.path.join(FUZZ_DIR, "logs"))
    before = fill_corpus(target, corpus)
    say("bulkhead: fuzzing %s for %g s with %d job%s; corpus %s (%d inputs)" % (
        name, seconds, jobs, "" if jobs == 1 else "s", rel(corpus), before))
    argv = [target.binary] + _fuzzer_args(target, crash_dir) + [
        "-max_total_time=%d" % max(1, round(seconds))]
    logs = [os.path.join(log_dir, "%s-%d.log" % (name, i)) for i in range(jobs)]
    started = time.monotonic()
    procs = [_start(argv + [corpus], log) for log in logs]
    statuses = _finish(procs, started + seconds + 120)
    elapsed = time.monotonic() - started
    stats_list = [Stats(_read(log), status) for log, status in zip(logs, statuses)]
    _print_run(target, stats_list, elapsed, before, corpus)
    crashed = [(s, log) for s, log in zip(stats_list, logs) if s.crashed]
    for s, log in crashed:
        say("CRASH fuzz/%s: %s" % (name, s.reason))
        for path in s.crashes:
            say("  input: %s" % rel(path))
            say("  reproduce: %s %s" % (rel(target.binary), rel(path)))
        say("  log: %s" % rel(log))
    if crashed:
        say("Fix the bug, then add the input to tests/fuzz/regressions/%s/ "
            "(see docs/testing.md, Fuzzing)." % name)
        return 1
    say("no crash")
    return 0


# ---- bulkhead test ----

def _replay(target):
    """Runs every regression input and every seed of @target once. Returns a Result."""
    name = "fuzz/%s/replay" % target.name
    files = target.regression_files() + target.seed_files()
    log = os.path.join(LOG_DIR, safe_name(name) + ".log")
    argv = [target.binary, "-timeout=%d" % INPUT_TIMEOUT, "-rss_limit_mb=%d" % RSS_LIMIT_MB]
    started = time.monotonic()
    status = _finish([_start(argv + files, log)], started + 600)[0]
    output = _read(log)
    executed = len(re.findall(r"^Executed ", output, re.M))
    passed = status == 0 and executed == len(files)
    reason = ("%d of %d inputs ran, exit status %d" % (executed, len(files), status)
              if status == 0 else "%s: %s" % (_last_running(output), Stats(output, status).reason))
    result = Result(name, passed, reason, time.monotonic() - started, log)
    result.detail = "%d inputs" % executed
    return result


def _last_running(output):
    """The input libFuzzer was running when it stopped."""
    running = re.findall(r"^Running: (.*)$", output, re.M)
    return rel(running[-1]) if running else "an input (see the log)"


def _bounded(target):
    """Fuzzes @target from a fresh copy of its seeds, a fixed number of runs. Returns a Result."""
    name = "fuzz/" + target.name
    corpus = os.path.join(FUZZ_DIR, "test-corpus-" + target.name)
    fill_corpus(target, corpus, fresh=True)
    log = os.path.join(LOG_DIR, safe_name(name) + ".log")
    argv = [target.binary] + _fuzzer_args(target, os.path.join(FUZZ_DIR, "crashes-" + target.name))
    argv += ["-seed=%d" % TEST_SEED, "-runs=%d" % target.runs, "-reload=0",
             "-max_total_time=%d" % TEST_TIME_CAP, corpus]
    started = time.monotonic()
    status = _finish([_start(argv, log)], started + TEST_TIME_CAP + 60)[0]
    stats = Stats(_read(log), status)
    reason = "%s; reproduce: %s %s" % (
        stats.reason, rel(target.binary),
        " ".join(rel(p) for p in stats.crashes) or "(no input saved, see the log)")
    result = Result(name, not stats.crashed, reason, time.monotonic() - started, log)
    result.detail = "%d execs, %.1f s" % (stats.executions, result.seconds)
    return result


def _target_tests(target, wanted):
    """The replay, then the bounded run, of @target (those of them in @wanted)."""
    results = []
    if "fuzz/%s/replay" % target.name in wanted:
        results.append(_replay(target))
    if "fuzz/" + target.name in wanted:
        results.append(_bounded(target))
    return results


def tests(name_filter, jobs, report):
    """bulkhead test: each target's replay (fuzz/T/replay) and bounded run (fuzz/T).

    Calls @report on each Result as it is ready. Returns every Result; a failed
    set-up or build is one failed Result named fuzz/build.
    """
    wanted = [n for t in TARGETS for n in ("fuzz/%s/replay" % t, "fuzz/" + t)
              if name_filter in n]
    if not wanted:
        return []
    makedirs(LOG_DIR)
    try:
        ensure_tools()
        build()
    except Failure as err:
        result = Result("fuzz/build", False, err.summary)
        report(result)
        return [result]
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(jobs, 2))) as pool:
        futures = [pool.submit(_target_tests, t, wanted) for t in TARGETS.values()]
        for future in concurrent.futures.as_completed(futures):
            for result in future.result():
                report(result)
                results.append(result)
    return results
