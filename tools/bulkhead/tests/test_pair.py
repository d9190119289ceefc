"""Tests of two-machine system tests: the expect directives, the long manifest, and the
verdict on a pair of machines (shell scripts stand in for both QEMUs)."""

import io
import os
import shutil
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

from bulkhead import expect
from bulkhead import harness
from bulkhead import pair
from bulkhead.util import Failure

PAIR = ("peer peer.xml\n"
        "relay loss=5 seed=2\n"
        "expect ^a: TEST one PASS$\n"
        "expect ^peer: b: TEST two PASS$\n")
KERNEL = "echo 'bulkhead: mitigations (auto): cpu test'; "


class DirectiveTest(unittest.TestCase):
    def parse(self, text):
        return expect.parse(text, "/t/net/expect")

    def test_peer_relay_and_long_images(self):
        spec = self.parse(PAIR + "long-image xfer-a big_a\nlong-image peer:xfer-b big_b\n")
        self.assertEqual(spec.peer, "/t/net/peer.xml")
        self.assertEqual((spec.relay.loss, spec.relay.seed), (5.0, 2))
        self.assertEqual(spec.long_images, {False: {"xfer-a": "big_a"},
                                            True: {"xfer-b": "big_b"}})

    def test_long_timeout(self):
        spec = self.parse("timeout 300 long 1800\nexpect a\n")
        self.assertEqual((spec.timeout, spec.long_timeout), (300, 1800))
        self.assertIsNone(self.parse("timeout 300\nexpect a\n").long_timeout)
        for bad in ("300 long", "300 short 5", "300 long -1", "300 long x"):
            with self.assertRaises(expect.ExpectError, msg=bad):
                self.parse("timeout %s\nexpect a\n" % bad)

    def test_refused(self):
        cases = {
            "expect ^a$\npeer p.xml\n": "go together",
            "expect ^a$\nrelay loss=1\n": "go together",
            PAIR + "relay loss=2\n": "relay is given twice",
            PAIR + "peer q.xml\n": "peer is given twice",
            PAIR.replace("loss=5", "loss=200"): "0..100",
            PAIR + "qemu-args -device virtio-net-pci,netdev=x\n": "the relay adds",
            PAIR + "qemu-args -netdev user,id=x\n": "the relay adds",
            PAIR + "qemu-args -device intel-iommu\n": "the relay adds",
            PAIR + "disk 1M zero\n": "without disk",
            PAIR + "reboot\nexpect x\n": "without disk, reboot",
            PAIR + "power-cut after ^a\n": "power-cut",
            PAIR + "image deploy\n": "image test",
            "expect ^a$\nlong-image peer:b c\n": "no peer",
            "expect ^a$\nimage deploy\nlong-image b c\n": "needs `image test`",
            PAIR + "long-image a b\nlong-image a c\n": "given twice",
            PAIR + "long-image a\n": "expected [peer:]DOMAIN IMAGE",
        }
        for text, message in cases.items():
            with self.assertRaises(expect.ExpectError, msg=text) as caught:
                self.parse(text)
            self.assertIn(message, str(caught.exception), text)


class LongManifestTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bulkhead-test-pair-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.manifest = os.path.join(self.dir, "m.xml")
        with open(self.manifest, "w", encoding="utf-8") as f:
            f.write('<system name="s"><domain name="a" image="small"/>'
                    '<domain name="b" image="other"/></system>')

    def test_swaps_only_the_named_domain(self):
        out = pair.long_manifest(self.manifest, {"a": "big"}, os.path.join(self.dir, "l.xml"))
        images = {d.get("name"): d.get("image")
                  for d in ElementTree.parse(out).getroot().iter("domain")}
        self.assertEqual(images, {"a": "big", "b": "other"})

    def test_nothing_to_swap_keeps_the_manifest(self):
        self.assertEqual(pair.long_manifest(self.manifest, {}, "unused"), self.manifest)

    def test_unknown_domain(self):
        with self.assertRaises(Failure):
            pair.long_manifest(self.manifest, {"c": "big"}, os.path.join(self.dir, "l.xml"))


class PairVerdictTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bulkhead-test-pair-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.log = io.StringIO()

    def verdict(self, script_a, script_b, timeout=10.0):
        """Runs the two scripts as the machines of PAIR; returns (verdict, the Pair)."""
        spec = expect.parse(PAIR, os.path.join(self.dir, "expect"))
        machines = pair.Pair([["sh", "-c", KERNEL + script_a], ["sh", "-c", script_b]],
                             [os.path.join(self.dir, "a.err"), os.path.join(self.dir, "b.err")],
                             spec.relay)
        reason = harness._run(machines, harness._matcher(spec, ("bios", "cdrom"), None),
                              timeout, self.log)
        return reason, machines

    def test_both_consoles_matched_and_everything_stopped(self):
        reason, machines = self.verdict("echo 'a: TEST one PASS'; exec sleep 30",
                                        "sleep 0.2; echo 'b: TEST two PASS'; exec sleep 30")
        self.assertIsNone(reason)
        self.assertIn("peer: b: TEST two PASS\n", self.log.getvalue())
        self.assertTrue(all(m.proc.poll() is not None for m in machines.machines))
        self.assertFalse(machines.relay._thread.is_alive())
        self.assertTrue(machines.report[0].startswith("relay a->b: frames=0"))

    def test_the_peers_line_does_not_count_for_the_machine(self):
        reason, _ = self.verdict("echo 'a: TEST one PASS'; echo 'b: TEST two PASS'; exit 3",
                                 "exec sleep 30")
        self.assertIn("missing: /^peer: b: TEST two PASS$/", reason)

    def test_a_fail_on_the_peer_fails(self):
        reason, _ = self.verdict("exec sleep 30", "echo 'b: TEST two FAIL'; exec sleep 30")
        self.assertIn("matched reject", reason)
        self.assertIn("peer: b: TEST two FAIL", reason)

    def test_the_peer_ending_first_fails(self):
        reason, _ = self.verdict("echo 'a: TEST one PASS'; exec sleep 30", "exit 0")
        self.assertIn("the peer's QEMU exited before all expects matched", reason)

    def test_netdevs_point_at_the_relay(self):
        machines = pair.Pair([["a"], ["b"]], ["x", "y"], expect.relay.Settings())
        self.addCleanup(machines.stop)
        for side, machine in enumerate(machines.machines):
            netdev = machine.argv[machine.argv.index("-netdev") + 1]
            self.assertIn("remote.port=%d" % machines.relay.ports[side], netdev)
            self.assertIn("mac=" + pair.MACS[side], machine.argv[-1])


if __name__ == "__main__":
    unittest.main()
