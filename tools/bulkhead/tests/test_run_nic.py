"""Tests of `bulkhead run`'s NIC: which manifests get one, the forwards, busy host ports."""

import os
import socket
import tempfile
import unittest

from bulkhead import boot
from bulkhead import nic
from bulkhead.util import ROOT, Failure

NETWORK = os.path.join(ROOT, "manifests", "network.xml")
STORAGE = os.path.join(ROOT, "manifests", "storage.xml")
DEMO = os.path.join(ROOT, "manifests", "demo.xml")


def _free_base():
    """A port base whose ports 7 and 80 above it are free now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1] - 200 if s.getsockname()[1] > 20000 else 20000


class RunNicTest(unittest.TestCase):
    def test_which_manifests_get_a_nic(self):
        self.assertEqual(nic.nic_pci(NETWORK), "05.0")
        self.assertIsNone(nic.nic_pci(STORAGE))
        self.assertIsNone(nic.nic_pci(DEMO))
        self.assertEqual(nic.qemu_flags(DEMO, 8000), [])

    def test_the_network_manifest_gets_no_disk(self):
        self.assertFalse(boot.grants_device(NETWORK))
        self.assertTrue(boot.grants_device(STORAGE))

    def test_forwards_come_from_the_manifest(self):
        got = sorted((f.client, f.proto, f.guest_port, f.ipv4, f.host_port)
                     for f in nic.forwards(NETWORK, 9000))
        self.assertEqual(got, [("echo", "tcp", 7, "10.0.2.15", 9007),
                               ("echo", "udp", 7, "10.0.2.15", 9007),
                               ("httpd", "tcp", 80, "10.0.2.16", 9080)])

    def test_flags_and_commands(self):
        base = _free_base()
        flags = nic.qemu_flags(NETWORK, base)
        netdev = flags[flags.index("-netdev") + 1]
        self.assertIn("hostfwd=tcp:127.0.0.1:%d-10.0.2.16:80" % (base + 80), netdev)
        self.assertIn("hostfwd=udp:127.0.0.1:%d-10.0.2.15:7" % (base + 7), netdev)
        self.assertTrue(any(f.startswith("virtio-net-pci,netdev=net0,addr=05.0,disable-legacy=on,"
                                         "iommu_platform=on") for f in flags))
        self.assertEqual(flags[:2], ["-device", "intel-iommu,intremap=on,aw-bits=48"])
        self.assertNotIn("-device", nic.qemu_flags(NETWORK, base, iommu=False)[:1])
        http = [f for f in nic.forwards(NETWORK, base) if f.guest_port == 80][0]
        self.assertEqual(http.command(), "curl http://127.0.0.1:%d/" % (base + 80))
        api = nic.Forward("control", "10.0.2.15", "tcp", 443, base + 443)
        self.assertEqual(api.command(), "./bulkhead ctl --host 127.0.0.1:%d list" % (base + 443))

    def test_busy_host_port_is_refused(self):
        base = _free_base()
        with socket.socket() as s:
            s.bind(("127.0.0.1", base + 80))
            s.listen(1)
            with self.assertRaises(Failure) as ctx:
                nic.qemu_flags(NETWORK, base)
            self.assertIn("--port-base", str(ctx.exception))

    def test_host_port_past_65535(self):
        with self.assertRaises(Failure):
            nic.forwards(NETWORK, 65500)

    def test_bad_manifest_gets_no_nic(self):
        with tempfile.TemporaryDirectory() as work:
            bad = os.path.join(work, "bad.xml")
            with open(bad, "w", encoding="utf-8") as f:
                f.write("<system")
            self.assertIsNone(nic.nic_pci(bad))
            self.assertEqual(nic.forwards(bad, 8000), [])


if __name__ == "__main__":
    unittest.main()
