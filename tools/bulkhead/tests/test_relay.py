"""Tests of the lossy relay's decisions (no QEMU), and of one relay between two sockets."""

import socket
import struct
import unittest

from bulkhead import relay


def ipv4_frame(number, size=200):
    """Returns an Ethernet frame of @size bytes, type IPv4, carrying @number."""
    return b"\x52\x54\x00\x00\x09\x02\x52\x54\x00\x00\x09\x01\x08\x00" + \
        struct.pack(">I", number) + bytes(size - 18)


def arp_frame(number):
    """Returns an ARP frame (no checksum of its own) carrying @number."""
    return b"\xff" * 6 + b"\x52\x54\x00\x00\x09\x01\x08\x06" + struct.pack(">I", number) + \
        bytes(28)


def run(settings, frames, step=0.001):
    """Feeds @frames to one Direction, one every @step seconds, then lets time pass until
    nothing is held. Returns (the frames that went out in order, the Direction)."""
    direction = relay.Direction(settings, "a-b")
    out, now = [], 0.0
    for frame in frames:
        direction.decide(frame, now)
        out += direction.due(now)
        now += step
    while direction.next_time() is not None:
        now = max(now, direction.next_time())
        out += direction.due(now)
    return out, direction


def numbers(frames):
    return [struct.unpack_from(">I", f, 14)[0] for f in frames]


class ParseTest(unittest.TestCase):
    def test_settings(self):
        s = relay.parse("loss=5 dup=2.5 reorder=5 corrupt=1 seed=7 delay=10 rate=1000")
        self.assertEqual((s.loss, s.dup, s.reorder, s.corrupt, s.seed, s.delay, s.rate),
                         (5.0, 2.5, 5.0, 1.0, 7, 10.0, 1000))
        self.assertEqual(relay.parse("").loss, 0)

    def test_refused(self):
        for text in ("loss=101", "loss=-1", "loss=x", "jitter=3", "loss", "seed=1.5",
                     "delay=-2"):
            with self.assertRaises(ValueError, msg=text):
                relay.parse(text)


class DirectionTest(unittest.TestCase):
    FRAMES = [ipv4_frame(i) for i in range(2000)]

    def test_clean_link_forwards_everything_in_order(self):
        out, d = run(relay.Settings(), self.FRAMES)
        self.assertEqual(out, self.FRAMES)
        self.assertEqual((d.counts.frames, d.counts.forwarded, d.counts.lost), (2000, 2000, 0))

    def test_loss_drops_about_the_share(self):
        out, d = run(relay.Settings(loss=5), self.FRAMES)
        self.assertEqual(len(out), 2000 - d.counts.lost)
        self.assertTrue(60 <= d.counts.lost <= 140, d.counts.lost)
        self.assertEqual(numbers(out), sorted(numbers(out)))
        self.assertEqual(run(relay.Settings(loss=100), self.FRAMES)[0], [])

    def test_same_seed_same_choices_other_seed_others(self):
        settings = dict(loss=5, dup=5, reorder=5, corrupt=5)
        first = run(relay.Settings(seed=3, **settings), self.FRAMES)[0]
        self.assertEqual(first, run(relay.Settings(seed=3, **settings), self.FRAMES)[0])
        self.assertNotEqual(first, run(relay.Settings(seed=4, **settings), self.FRAMES)[0])

    def test_directions_choose_apart(self):
        a = relay.Direction(relay.Settings(loss=50), "a-b")
        b = relay.Direction(relay.Settings(loss=50), "b-a")
        for frame in self.FRAMES[:200]:
            a.decide(frame, 0.0)
            b.decide(frame, 0.0)
        self.assertNotEqual(numbers(a.due(1.0)), numbers(b.due(1.0)))

    def test_corrupt_changes_one_byte_past_the_header(self):
        out, d = run(relay.Settings(corrupt=100), self.FRAMES[:300])
        self.assertEqual(d.counts.corrupted, 300)
        for sent, got in zip(self.FRAMES, out):
            diff = [i for i in range(len(sent)) if sent[i] != got[i]]
            self.assertEqual(len(diff), 1)
            self.assertGreaterEqual(diff[0], relay.ETH_HEADER)

    def test_arp_is_never_corrupted(self):
        frames = [arp_frame(i) for i in range(100)]
        out, d = run(relay.Settings(corrupt=100), frames)
        self.assertEqual((out, d.counts.corrupted), (frames, 0))

    def test_dup_sends_twice(self):
        out, d = run(relay.Settings(dup=100), self.FRAMES[:50])
        self.assertEqual(numbers(out), [n for n in range(50) for _ in (0, 1)])
        self.assertEqual(d.counts.duplicated, 50)

    def test_reorder_holds_frames_back_and_loses_none(self):
        out, d = run(relay.Settings(reorder=10), self.FRAMES)
        self.assertEqual(sorted(numbers(out)), list(range(2000)))
        self.assertNotEqual(numbers(out), list(range(2000)))
        self.assertTrue(100 <= d.counts.reordered <= 300, d.counts.reordered)
        late = [i for i, n in enumerate(numbers(out)) if n < i]
        self.assertTrue(all(i - numbers(out)[i] <= relay.REORDER_MAX for i in late))

    def test_held_frame_goes_out_when_nothing_follows(self):
        d = relay.Direction(relay.Settings(reorder=100), "a-b")
        d.decide(self.FRAMES[0], 0.0)
        self.assertEqual(d.due(0.0), [])
        self.assertEqual(d.due(relay.HOLD_MS / 1000.0), [self.FRAMES[0]])

    def test_delay(self):
        d = relay.Direction(relay.Settings(delay=50), "a-b")
        d.decide(self.FRAMES[0], 1.0)
        self.assertEqual(d.due(1.049), [])
        self.assertEqual(d.due(1.05), [self.FRAMES[0]])

    def test_rate_spaces_frames(self):
        d = relay.Direction(relay.Settings(rate=8), "a-b")  # 1000 bytes a second
        for frame in self.FRAMES[:3]:
            d.decide(frame, 0.0)  # 200 bytes each: out at 0.2, 0.4, 0.6 s
        self.assertEqual(numbers(d.due(0.39)), [0])
        self.assertEqual(numbers(d.due(0.61)), [1, 2])


class RelayTest(unittest.TestCase):
    def test_frames_cross_both_ways(self):
        qemus = []
        for _ in (0, 1):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.settimeout(5)
            qemus.append(s)
        r = relay.Relay(relay.parse("loss=0"))
        r.connect(qemus[0].getsockname()[1], qemus[1].getsockname()[1])
        r.start()
        try:
            qemus[0].sendto(ipv4_frame(1), ("127.0.0.1", r.ports[0]))
            self.assertEqual(qemus[1].recv(2048), ipv4_frame(1))
            qemus[1].sendto(ipv4_frame(2), ("127.0.0.1", r.ports[1]))
            self.assertEqual(qemus[0].recv(2048), ipv4_frame(2))
        finally:
            report = r.stop()
            for s in qemus:
                s.close()
        self.assertIn("relay a->b: frames=1 bytes=200 forwarded=1", report[0])
        self.assertIn("relay b->a: frames=1 bytes=200 forwarded=1", report[1])

    def test_stop_ends_the_thread(self):
        r = relay.Relay(relay.Settings())
        r.start()
        r.stop()
        self.assertFalse(r._thread.is_alive())


if __name__ == "__main__":
    unittest.main()
