"""`bulkhead run`'s network function: QEMU's NIC and the host ports forwarded to the guest.

A manifest whose driver domain runs the `virtio-net` image gets a modern-only virtio-net
function at that domain's <device pci=...>, behind the IOMMU, on QEMU's user network
(10.0.2.0/24, gateway 10.0.2.2). Every switch <port> with `ipv4` and `forward="tcp:80
udp:7"` (bhc checks the list) gets one forward per guest port: host port
127.0.0.1:BASE+GUESTPORT to the port's address. BASE is `--port-base` (default 8000); a host
port that is busy or past 65535 is refused before QEMU starts, with the option to use.
"""

import socket
import xml.etree.ElementTree

from .util import Failure, say

DEFAULT_PORT_BASE = 8000
NIC_IMAGE = "virtio-net"
NIC_MAC = "52:54:00:12:34:56"  # the uplink's address on QEMU's user network


class Forward:
    """One forwarded guest port: @proto ("tcp"/"udp") @guest_port of @client at @ipv4."""

    def __init__(self, client, ipv4, proto, guest_port, host_port):
        self.client = client
        self.ipv4 = ipv4
        self.proto = proto
        self.guest_port = guest_port
        self.host_port = host_port

    def hostfwd(self):
        """The `-netdev user` option that makes this forward."""
        return "hostfwd=%s:127.0.0.1:%d-%s:%d" % (self.proto, self.host_port, self.ipv4,
                                                  self.guest_port)

    def command(self):
        """A host command that reaches the guest port."""
        if self.proto == "tcp" and self.guest_port == 80:
            return "curl http://127.0.0.1:%d/" % self.host_port
        if self.proto == "tcp" and self.guest_port == 443:  # the management API (HTTPS)
            return "./bulkhead ctl --host 127.0.0.1:%d list" % self.host_port
        return "socat - %s:127.0.0.1:%d" % (self.proto.upper(), self.host_port)


def _root(manifest):
    """The manifest's root element, or None if it does not parse (bhc has said why)."""
    try:
        return xml.etree.ElementTree.parse(manifest).getroot()
    except (OSError, xml.etree.ElementTree.ParseError):
        return None


def nic_pci(manifest):
    """The PCI address ("05.0") of the device granted to a `virtio-net` domain, or None."""
    root = _root(manifest)
    for domain in root.findall("./domain") if root is not None else []:
        device = domain.find("./device")
        if domain.get("image") == NIC_IMAGE and device is not None:
            pci = device.get("pci", "")
            return pci[3:] if pci.startswith("00:") else pci
    return None


def other_devices(manifest):
    """True if the manifest grants a device to a domain that is not a `virtio-net` driver."""
    root = _root(manifest)
    return root is not None and any(
        d.find("./device") is not None and d.get("image") != NIC_IMAGE
        for d in root.findall("./domain"))


def forwards(manifest, base):
    """The Forward of every guest port the manifest's ports list. Raises Failure for a host
    port past 65535 or named twice."""
    root = _root(manifest)
    found, used = [], {}
    for port in root.findall("./domain/port") if root is not None else []:
        for item in (port.get("forward") or "").split():
            proto, guest = item.split(":")
            fwd = Forward(port.get("client"), port.get("ipv4"), proto, int(guest),
                          base + int(guest))
            key = (proto, fwd.host_port)
            if fwd.host_port > 65535:
                raise Failure("%s port %d of %s: host port %d is past 65535; use a smaller "
                              "--port-base" % (proto, fwd.guest_port, fwd.client, fwd.host_port))
            if key in used:
                raise Failure("%s and %s both forward %s port %d; give one of them another "
                              "guest port" % (used[key], fwd.client, proto, fwd.guest_port))
            used[key] = fwd.client
            found.append(fwd)
    return found


def _check_free(fwd):
    """Raises Failure if @fwd's host port is taken on 127.0.0.1."""
    kind = socket.SOCK_DGRAM if fwd.proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind(("127.0.0.1", fwd.host_port))
        except OSError as err:
            raise Failure("host port %s %d (for %s's %s port %d) is busy (%s); choose "
                          "another --port-base" % (fwd.proto, fwd.host_port, fwd.client,
                                                   fwd.proto, fwd.guest_port, err.strerror))


def qemu_flags(manifest, base, iommu=True):
    """QEMU's flags for the manifest's NIC (the IOMMU first, unless @iommu is False because
    the disk's flags bring it), or [] if it grants none; prints how to reach each forwarded
    port. Raises Failure for a busy or impossible host port."""
    pci = nic_pci(manifest)
    if pci is None:
        return []
    fwds = forwards(manifest, base)
    for fwd in fwds:
        _check_free(fwd)
    netdev = ",".join(["user,id=net0"] + [f.hostfwd() for f in fwds])
    say("bulkhead: virtio-net at PCI 00:%s on QEMU's user network (10.0.2.0/24)" % pci)
    for fwd in fwds:
        say("bulkhead: %s %s %d (%s)  %s" % (fwd.client, fwd.proto, fwd.guest_port, fwd.ipv4,
                                           fwd.command()))
    flags = ["-device", "intel-iommu,intremap=on,aw-bits=48"] if iommu else []
    return flags + ["-netdev", netdev, "-device",
                    "virtio-net-pci,netdev=net0,addr=%s,disable-legacy=on,iommu_platform=on,"
                    "mac=%s" % (pci, NIC_MAC)]
