"""Two-machine system tests: a second QEMU (the peer) joined to the test's machine through
the lossy relay (relay.py), both serial consoles read as one.

An expect file's

    peer MANIFEST          a second machine boots MANIFEST (relative to the expect file)
    relay KEY=VALUE...     both machines get a network card on the relay (relay.parse)
    long-image [peer:]DOMAIN IMAGE
                           under `bulkhead test --long`, DOMAIN of the test's manifest (of
                           the peer's with `peer:`) boots IMAGE instead; repeatable

makes the harness build the peer's plan and ISO too (same mitigation mode, kernel-args and
`boot` line as the test's machine), start the relay, then both QEMUs, each with a modern
virtio-net function at 00:05.0 behind the IOMMU on its dgram netdev (MAC MACS[0] for the
test's machine, MACS[1] for the peer). The peer's serial lines are matched, logged and
rejected like the machine's, with `peer: ` before them. Both QEMUs and the relay are stopped
on every outcome, and the relay's counts go to the log.
"""

import os
import select
import time
import xml.etree.ElementTree as ElementTree

from . import hostnet
from . import qemu
from . import relay
from .util import Failure, makedirs

PEER_PREFIX = "peer: "
MACS = ("52:54:00:00:09:01", "52:54:00:00:09:02")
NIC_ADDR = "05.0"
NODE = "relay0"
IOMMU = "intel-iommu,intremap=on,aw-bits=48"


def parse_long_image(arg):
    """Splits `[peer:]DOMAIN IMAGE`. Returns (is the peer's, domain, image); raises
    ValueError."""
    words = arg.split()
    if len(words) != 2:
        raise ValueError("long-image %r: expected [peer:]DOMAIN IMAGE" % arg)
    domain, image = words
    peer = domain.startswith("peer:")
    return peer, domain[len("peer:"):] if peer else domain, image


def long_manifest(manifest, swaps, out_path):
    """Writes @manifest with the images of @swaps ({domain: image}) replaced to @out_path.
    Returns @out_path, or @manifest when there is nothing to swap. Raises Failure naming a
    domain the manifest lacks."""
    if not swaps:
        return manifest
    tree = ElementTree.parse(manifest)
    domains = {d.get("name"): d for d in tree.getroot().iter("domain")}
    for name, image in swaps.items():
        if name not in domains:
            raise Failure("long-image: %s has no domain %r" % (manifest, name))
        domains[name].set("image", image)
    tree.write(out_path, encoding="UTF-8", xml_declaration=True)
    return out_path


def nic_flags(side, netdev):
    """Returns the flags of machine @side's (0: the test's, 1: the peer) network card on the
    relay, whose netdev value is @netdev: the IOMMU, the netdev, the virtio-net function."""
    return ["-device", IOMMU, "-netdev", netdev, "-device",
            "virtio-net-pci,netdev=%s,addr=%s,disable-legacy=on,iommu_platform=on,mac=%s"
            % (NODE, NIC_ADDR, MACS[side])]


class Pair:
    """The test's machine and the peer, run and read as one (the interface of qemu.Machine
    that the harness uses: start, stop, lines, wait, stderr_text, started, timed_out).

    Needs: @argvs the two QEMU command lines without their network flags, @stderr_paths
    where their stderr goes, @settings the relay's (relay.Settings).
    """

    def __init__(self, argvs, stderr_paths, settings):
        self.relay = relay.Relay(settings)
        ports = [hostnet.free_port("udp"), hostnet.free_port("udp")]
        self.relay.connect(*ports)
        self.machines = [qemu.Machine(argv + nic_flags(side, self.relay.netdev(side, port, NODE)),
                                      path)
                         for side, (argv, path, port) in
                         enumerate(zip(argvs, stderr_paths, ports))]
        self.argv = self.machines[0].argv
        self.proc = None
        self.started = None
        self.timed_out = False
        self.ended = None  # the machine whose serial closed first
        self.report = []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        """Starts the relay, then both QEMUs; stops all of them if one cannot start."""
        self.relay.start()
        try:
            for machine in self.machines:
                machine.start()
        except Failure:
            self.stop()
            raise
        self.proc = self.machines[0].proc
        self.started = self.machines[0].started

    def stop(self):
        """Kills both QEMUs (those that run) and the relay; keeps the relay's report.
        Returns the test machine's exit status."""
        statuses = [machine.stop() for machine in self.machines]
        if not self.report and self.relay:
            self.report = self.relay.stop()
        return statuses[0]

    def lines(self, deadline):
        """Yields both consoles' lines as they come (the peer's with PEER_PREFIX), until
        either QEMU closes its serial or the monotonic clock passes @deadline (then sets
        self.timed_out)."""
        self.timed_out = False
        fds = {m.proc.stdout.fileno(): (side, m) for side, m in enumerate(self.machines)}
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                return
            ready, _, _ = select.select(list(fds), [], [], min(remaining, 1.0))
            for fd in ready:
                side, machine = fds[fd]
                got = machine.read_lines(0)
                if got is None:
                    self.ended = side
                    return
                yield from ((PEER_PREFIX if side else "") + line for line in got)

    def _ended(self):
        """The machine whose serial closed, else the test's."""
        return self.machines[self.ended or 0]

    def wait(self, timeout):
        """Waits up to @timeout seconds for the QEMU that ended; returns its status or None."""
        return self._ended().wait(timeout)

    def stderr_text(self):
        """Returns the stderr of the QEMU that ended (the test's one if none did)."""
        return self._ended().stderr_text()

    def who_ended(self):
        """Says which QEMU closed its serial first, for the failure message."""
        return {None: "", 0: "", 1: "the peer's "}[self.ended]


def peer_dir(workdir):
    """Returns (made) the directory of the peer's plan, ISO and boots."""
    return makedirs(os.path.join(workdir, "peer"))
