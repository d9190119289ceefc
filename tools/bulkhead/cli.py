"""The `bulkhead` command line: parses arguments and runs one command."""

import argparse
import os
import signal
import subprocess
import sys

from . import bench
from . import boot
from . import build
from . import ctl
from . import deps
from . import image
from . import keys
from . import fuzz
from . import graph
from . import mitigations
from . import nic
from . import plan
from . import testrun
from .util import BUILD, ROOT, Failure, rel, say, warn

DEFAULT_MANIFEST = os.path.join(ROOT, "manifests", "demo.xml")
LINT_SCRIPT = os.path.join(ROOT, "tools", "lint", "lint.py")


def prepare_tree():
    """The first step of run/test/check/bench/build: packages, meson setup, ninja."""
    deps.ensure_packages(deps.BASE_PACKAGES)
    build.build()


def cmd_build(_args):
    """bulkhead build: set up and build everything."""
    prepare_tree()
    return 0


def cmd_run(args):
    """bulkhead run: boot a manifest in QEMU, interactively or for N seconds."""
    prepare_tree()
    workdir = boot.workdir_for(args.manifest)
    image, compiled = boot.prepare(args.manifest, workdir, mitigation_mode=args.mitigations,
                                   keys_dir=_keys_dir(args))
    say("bulkhead: system %s: %d images, mitigations %s" % (
        compiled.system_name, len(compiled.modules), args.mitigations))
    extra = boot.disk_flags(args.manifest, workdir, args.disk)
    extra += nic.qemu_flags(args.manifest, args.port_base, iommu=not extra)
    if args.seconds is None:
        return boot.run_interactive(image, extra)
    return boot.run_headless(image, args.seconds, extra)


def cmd_check(args):
    """bulkhead check: validate a manifest with bhc; bhc's output and status pass through."""
    prepare_tree()
    status, output = plan.check(rel(args.manifest), _view_args(args) + args.bhc_args)
    sys.stdout.write(output)
    sys.stdout.flush()
    return status


def _view_args(args):
    """The bhc options of `check` and `graph`: --matrix, --flow A B, --except-through G."""
    argv = ["--matrix"] if getattr(args, "matrix", False) else []
    if args.flow:
        argv += ["--flow"] + args.flow
    if args.except_through:
        argv += ["--except-through", args.except_through]
    return argv


def cmd_graph(args):
    """bulkhead graph: the system picture (SVG, PDF, PNG or DOT) of a manifest."""
    if args.except_through and not args.flow:
        raise Failure("--except-through needs --flow FROM TO", status=2)
    output = os.path.abspath(
        args.output or os.path.splitext(os.path.basename(args.manifest))[0] + ".svg")
    graph.output_format(output)
    prepare_tree()
    deps.ensure_packages(deps.GRAPH_PACKAGES)
    graph.render(args.manifest, output, args.flow, args.except_through)
    say("bulkhead: wrote %s" % rel(output))
    return 0


def cmd_test(args):
    """bulkhead test: host tests, tool tests, system tests; last line `N passed, M failed`.

    A failed set-up or build counts as one failed test, so that the closing
    line is there even then.
    """
    try:
        prepare_tree()
        deps.ensure_packages(deps.GRAPH_PACKAGES)  # the graph test renders SVG
        deps.ensure_packages(deps.TEST_PACKAGES)  # the management API's checks
    except Failure as err:
        say("bulkhead: " + str(err))
        say("FAIL build: %s" % err.summary)
        testrun.summary([testrun.Result("build", False, err.summary)])
        return 1
    return 1 if testrun.run_all(args.filter, args.jobs, args.mitigations, args.long) else 0


def cmd_bench(args):
    """bulkhead bench: cycle benchmarks under -icount, with mitigations off and forced on
    (or in the one mode of --mitigations), the storage and network rows with Linux's figures,
    plus the demo's boot
    wall time; --only PART runs one of them."""
    prepare_tree()
    if args.only in (None, "storage", "net"):
        deps.ensure_packages(deps.LINUX_BENCH_PACKAGES)
    return bench.run(args.mitigations, only=args.only)


def cmd_image(args):
    """bulkhead image: one hybrid ISO (BIOS and UEFI, CD or USB stick) of a manifest."""
    workdir = boot.workdir_for(args.manifest, "image")
    output = args.output or os.path.join(workdir, "system.iso")
    image.check_paths(args.manifest, output)
    prepare_tree()
    for line in image.describe(image.build(args.manifest, output, workdir, args.mitigations,
                                           keys_dir=_keys_dir(args))):
        say(line)
    return 0


def _keys_dir(args):
    """The keys directory of `run` and `image`: --keys D, else keys.default_dir()."""
    return os.path.abspath(args.keys) if args.keys else keys.default_dir()


def cmd_keys(args):
    """bulkhead keys: a CA, the server's and one client certificate per role (openssl)."""
    deps.ensure_packages(["openssl"])
    directory = os.path.abspath(args.dir) if args.dir else keys.default_dir()
    for path in keys.make(directory, force=args.force):
        say("bulkhead: wrote %s" % path)
    say("bulkhead: `bulkhead run` and `bulkhead image` take the keys module from %s"
        % directory)
    return 0


def cmd_lint(args):
    """bulkhead lint: clang-format (check, or --fix) and clang-tidy over the C sources."""
    deps.ensure_packages(deps.BASE_PACKAGES + deps.LINT_PACKAGES)
    build.build()
    steps = ["format-fix"] if args.fix else ["format-check", "tidy"]
    status = 0
    for step in steps:
        extra = [BUILD] if step == "tidy" else []
        status |= subprocess.call([sys.executable, LINT_SCRIPT, step] + extra, cwd=ROOT)
    return 1 if status else 0


def cmd_fuzz(args):
    """bulkhead fuzz: run one libFuzzer target for N seconds; exit 1 on a crash."""
    return fuzz.run(args.target, args.seconds, args.jobs)


def cmd_ctl(args):
    """bulkhead ctl: one request to a running system's control domain (ctl.py)."""
    return ctl.run(args)


def _manifest(path):
    """argparse type: a manifest path, made absolute from the caller's directory."""
    return os.path.abspath(path)


def _port_base(text):
    """argparse type: a host port base, 1 .. 65000."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number")
    if not 0 < value <= 65000:
        raise argparse.ArgumentTypeError("must be 1 .. 65000")
    return value


def _positive(text):
    """argparse type: a positive number."""
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _add_flow_options(p, flow_help):
    """Adds --flow FROM TO and --except-through GUARD to parser @p."""
    p.add_argument("--flow", nargs=2, metavar=("FROM", "TO"), help=flow_help)
    p.add_argument("--except-through", metavar="GUARD",
                   help="with --flow: leave out paths that pass through domain GUARD")


def _add_mitigations(p, default, mode_help):
    """Adds --mitigations auto|off|force to parser @p; @mode_help says what it does there."""
    p.add_argument("--mitigations", type=mitigations.option, default=default, metavar="MODE",
                   help="speculation mitigations of the kernel: auto (what the CPU needs), "
                   "off (all off) or force (all on, whatever the CPU says); " + mode_help)


def _add_keys_option(p):
    """Adds --keys D to parser @p (run, image)."""
    p.add_argument("--keys", metavar="D",
                   help="for a manifest with <region module=\"keys\">: the keys directory whose "
                   "server.crt, server.key and ca.crt become the boot module `keys` (default: "
                   "$%s, else ~/.bulkhead/keys; make it with `bulkhead keys`)" % keys.ENV)


def _add_commands(sub):
    """Declares every command, its arguments and its handler."""
    p = sub.add_parser("run", help="build, then boot a manifest in QEMU and show the console")
    p.add_argument("manifest", nargs="?", type=_manifest, default=DEFAULT_MANIFEST,
                   help="manifest to boot (default: manifests/demo.xml)")
    p.add_argument("--seconds", type=_positive, metavar="N",
                   help="run headless for N seconds, then stop QEMU (default: interactive)")
    p.add_argument("--disk", metavar="FILE",
                   help="raw disk image to attach as the virtio-blk disk at PCI 00:04.0 "
                   "(default for a manifest that grants a device: disk.img in the run's "
                   "build directory, created with qemu-img when missing)")
    p.add_argument("--port-base", type=_port_base, default=nic.DEFAULT_PORT_BASE, metavar="N",
                   help="for a manifest with a virtio-net driver: each guest port a switch "
                   "<port forward=\"tcp:80 udp:7\"> lists is forwarded from host port "
                   "127.0.0.1:N+GUESTPORT to the port's ipv4 on QEMU's user network; the "
                   "commands that reach them are printed at start (default %d: httpd's "
                   "port 80 at 127.0.0.1:%d); a busy host port stops the run" % (
                       nic.DEFAULT_PORT_BASE, nic.DEFAULT_PORT_BASE + 80))
    _add_keys_option(p)
    _add_mitigations(p, "auto", "default auto")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("test", help="run host tests and QEMU system tests")
    p.add_argument("--filter", default="", metavar="SUBSTR",
                   help="only tests whose name (host/..., unit/..., system/...) contains SUBSTR")
    p.add_argument("--jobs", type=int, default=2, metavar="N",
                   help="system tests to run at once (default 2)")
    _add_mitigations(p, None, "run every system test once in MODE (default: twice, "
                     "as system/NAME in auto and system/NAME+force in force, unless its "
                     "expect file pins a mode)")
    p.add_argument("--long", action="store_true",
                   help="run everything the normal run does, with the longer variants of the "
                   "system tests that have one (storage_powerloss: 12 power cuts and reboots "
                   "instead of 3)")
    p.set_defaults(handler=cmd_test)

    p = sub.add_parser("check", help="validate a manifest and print what bhc says",
                       description="Runs `bhc check` on MANIFEST (its <policy> included) and "
                       "prints what every domain can reach; exit status 1 for an invalid "
                       "manifest. Other options are passed to bhc.")
    p.add_argument("manifest", type=_manifest)
    p.add_argument("--matrix", action="store_true",
                   help="print the access matrix: domains and devices x regions, rings, "
                   "channels, ports, devices")
    _add_flow_options(p, "say whether information can flow from domain FROM to domain TO "
                      "(first line `flow: yes` or `flow: no`; exit status 0 or 3) and print "
                      "every shortest path")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("graph", help="draw a manifest's system with Graphviz (SVG)",
                       description="Draws MANIFEST as a picture: domains grouped by role, "
                       "rings, channels and shared regions as labelled edges, I/O ports and "
                       "the kernel as nodes, a title block and a legend. Installs Graphviz.")
    p.add_argument("manifest", type=_manifest)
    p.add_argument("-o", "--output", metavar="FILE",
                   help="the picture: .svg, .pdf, .png, or .dot for the DOT text "
                   "(default: STEM.svg in the current directory)")
    _add_flow_options(p, "draw every shortest path from FROM to TO in red, the rest grey")
    p.set_defaults(handler=cmd_graph)

    p = sub.add_parser("bench", help="run the benchmarks and print a table of cycle counts",
                       description="Boots the benchmark system under -icount with mitigations "
                       "off and with every mitigation forced on, and Linux (Debian's kernel, "
                       "installed by the command) on the storage workloads, and prints one "
                       "table: each row with both cycle counts, the targets, seL4 and Linux. "
                       "Then boots the demo without -icount for its boot wall time.")
    _add_mitigations(p, None, "boot the benchmarks once, in MODE only (default: off and force)")
    p.add_argument("--only", choices=bench.PARTS, metavar="PART",
                   help="run one part: cycles (the cycle benchmarks), storage (the storage "
                   "rows: Linux with its IOMMU on and in passthrough), recover (a virtio-blk "
                   "driver's fault to the first request its next instance completed), net (the "
                   "network rows: UDP echo and TCP bulk transfers to a peer on the host, Linux "
                   "beside them), control (the management API: the control domain's cycles "
                   "per request and per TLS connection, save and restore of a 16 MiB domain) "
                   "or demo (the demo's boot wall time)")
    p.set_defaults(handler=cmd_bench)

    p = sub.add_parser("build", help="install missing packages, configure and build")
    p.set_defaults(handler=cmd_build)

    p = sub.add_parser("image", help="write one ISO that boots on BIOS and UEFI (CD or USB stick)",
                       description="Compiles MANIFEST (as `run` does, without --exit-when-idle) "
                       "and writes one hybrid ISO that boots on BIOS and UEFI machines, from a "
                       "CD or written raw to a USB stick. Prints its size and SHA-256. The ISO's "
                       "volume id, /bulkhead/IMAGE.txt and GRUB's line on COM1 carry the system "
                       "name and the boot plan's CRC-32; see docs/deploying.md.")
    p.add_argument("manifest", type=_manifest)
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write the ISO (default: build/image/STEM/system.iso); "
                   "written to a temporary file and renamed when complete")
    _add_keys_option(p)
    _add_mitigations(p, "auto", "goes into GRUB's kernel line and IMAGE.txt (default auto)")
    p.set_defaults(handler=cmd_image)

    p = sub.add_parser("keys", help="make the CA, server and client certificates (openssl)",
                       description="Makes, with openssl, an EC P-256 CA (ca.crt, ca.key), the "
                       "server's key and certificate (server.key, server.crt: CN bulkhead, SAN "
                       "IP:127.0.0.1 and DNS:localhost) and one client key and certificate per "
                       "role (admin, operator, reader: CN and OU the role), all valid from "
                       "2020-01-01 for ten years; keys are mode 0600. `run` and `image` put "
                       "server.crt, server.key and ca.crt on the ISO as the boot module `keys` "
                       "when a manifest asks for it; ca.key stays here. See docs/tls.md.")
    p.add_argument("--dir", metavar="D",
                   help="the keys directory (default: $%s, else ~/.bulkhead/keys)" % keys.ENV)
    p.add_argument("--force", action="store_true",
                   help="replace the files already there (default: refuse)")
    p.set_defaults(handler=cmd_keys)

    p = sub.add_parser("lint", help="check formatting (clang-format) and run clang-tidy")
    p.add_argument("--fix", action="store_true", help="reformat the sources in place instead")
    p.set_defaults(handler=cmd_lint)

    p = sub.add_parser("fuzz", help="run a libFuzzer target (manifest compiler, plan checker, "
                       "instruction decoder, ACPI parser, block request decoder)",
                       description="Builds the fuzzers with clang into build/fuzz/ and runs "
                       "TARGET on a working copy of its seed corpus (build/fuzz/corpus-TARGET). "
                       "Prints executions, coverage and any crash input; exits 1 on a crash.")
    p.add_argument("target", choices=sorted(fuzz.TARGETS),
                   help="manifest: the manifest compiler; plan: the kernel's boot-plan checker; "
                   "insn: the kernel's instruction decoder; acpi: the kernel's ACPI table "
                   "parser; blk: the virtio-blk driver's request decoder; net: the virtio-net "
                   "driver's port messages and request path; storage: the storage service's "
                   "request checks; httpreq: httpd's HTTP request parser; tlskeys: libtls's "
                   "decoding of the keys module")
    p.add_argument("--seconds", type=_positive, default=60, metavar="N",
                   help="how long to fuzz (default 60)")
    p.add_argument("--jobs", type=int, default=1, metavar="J",
                   help="fuzzer processes sharing the corpus (default 1)")
    p.set_defaults(handler=cmd_fuzz)

    ctl.add_parser(sub, cmd_ctl)

    p = sub.add_parser("help", help="show this help, or a command's help")
    p.add_argument("topic", nargs="?", metavar="COMMAND")
    p.set_defaults(handler=None)


def parser():
    """Returns (the argument parser of the whole command, {command: its parser})."""
    top = argparse.ArgumentParser(
        prog="bulkhead",
        description="Build, boot, test and benchmark Bulkhead systems.",
        epilog="Run `bulkhead COMMAND --help` for a command's options.")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    _add_commands(sub)
    return top, sub.choices


def _help(top, commands, topic):
    """Prints the help of @topic (a command) or of the whole command; returns 0 or 2."""
    if topic is None:
        top.print_help()
        return 0
    if topic not in commands:
        top.print_usage(sys.stderr)
        warn("unknown command %r" % topic)
        return 2
    commands[topic].print_help()
    return 0


def _interrupt(signum, _frame):
    """Turns SIGTERM and SIGHUP into KeyboardInterrupt, so that QEMUs get cleaned up."""
    raise KeyboardInterrupt("signal %d" % signum)


def main(argv):
    """Runs the command in @argv (without the program name). Returns the exit status."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    top, commands = parser()
    args, extra = top.parse_known_args(argv)
    if args.command is None:
        top.print_usage(sys.stderr)
        warn("no command given; `bulkhead help` lists them")
        return 2
    if args.command == "check":
        args.bhc_args = extra
    elif extra:
        top.error("unrecognized arguments: %s" % " ".join(extra))
    if args.handler is None:
        return _help(top, commands, args.topic)
    try:
        return args.handler(args)
    except Failure as err:
        warn(str(err))
        return err.status
    except KeyboardInterrupt:
        warn("interrupted")
        return 130
