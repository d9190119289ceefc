"""Tests of the management bench rows: counter parsing, arithmetic, the client, the table."""

import os
import shutil
import tempfile
import threading
import unittest

from bulkhead import bench
from bulkhead import ctlbench
from bulkhead import keys
from bulkhead.tests import fakeapi

SAVED = ("control: control: saved counter: 16949248 bytes in 5 spans, sha256 " + "ab" * 32 +
         ", 412345678 cycles (412 ms)")
RESTORED = SAVED.replace("saved", "restored").replace("412345678", "398765432")


class ParseTest(unittest.TestCase):
    def test_control_cycles(self):
        text = ("# TYPE bulkhead_control_requests_total counter\n"
                'bulkhead_control_requests_total{code="200"} 17\n'
                "# TYPE bulkhead_control_cycles_total counter\n"
                "bulkhead_control_cycles_total 123456789\n")
        self.assertEqual(ctlbench.control_cycles(text), 123456789)

    def test_control_cycles_missing(self):
        text = 'bulkhead_control_requests_total{code="200"} 17\n' \
               'bulkhead_domain_cycles_total{domain="counter"} 5\n'
        with self.assertRaises(ctlbench.BenchError):
            ctlbench.control_cycles(text)

    def test_parse_done(self):
        done = ctlbench.parse_done(SAVED)
        self.assertEqual(done, {"op": "saved", "name": "counter", "bytes": 16949248, "spans": 5,
                                "sha256": "ab" * 32, "cycles": 412345678, "ms": 412})
        self.assertEqual(ctlbench.parse_done(RESTORED)["op"], "restored")
        self.assertIsNone(ctlbench.parse_done("control: control: save of counter failed: x"))
        self.assertIsNone(ctlbench.parse_done("control: audit: admin (admin) POST "
                                              "/domains/counter/save -> 200"))


class ArithmeticTest(unittest.TestCase):
    def test_median(self):
        self.assertEqual(ctlbench.median([5, 1, 3]), 3)
        self.assertEqual(ctlbench.median([4, 1, 3, 2]), 2)
        self.assertIsNone(ctlbench.median([]))

    def test_per_get_and_per_connect(self):
        # 200 GETs of 1,000 between readings 10,000 apart from the read's 3,000 (1,500 each side)
        self.assertEqual(ctlbench.per_get(10000, 10000 + 1500 + 200 * 1000 + 1500, 3000, 200),
                         1000)
        self.assertEqual(ctlbench.per_connect(500, 500 + 3000 + 90000 + 1000, 3000, 1000),
                         90000)

    def test_figures_and_spread(self):
        log = {"metrics": [3000, 3100, 2900], "per_batch": 10,
               "gets": [(0, 3000 + 10 * 1000), (0, 3000 + 10 * 1200), (0, 3000 + 10 * 900)],
               "connects": [(0, 3000 + 1000 + 50000), (0, 3000 + 1000 + 70000),
                            (0, 3000 + 1000 + 60000)],
               "done": {"saved": ctlbench.parse_done(SAVED),
                        "restored": ctlbench.parse_done(RESTORED)},
               "ops": {"save": (100, 100 + 3000 + 777)}}
        self.assertEqual(ctlbench.figures(log), {"ctl_get": 1000, "ctl_connect": 60000,
                                                 "ctl_save_16m": 412345678,
                                                 "ctl_restore_16m": 398765432})
        text = ctlbench.spread(log)
        self.assertIn("metrics read 2900..3100", text)
        self.assertIn("ctl_get 900..1200", text)
        self.assertIn("ctl_connect 50000..70000", text)
        self.assertIn("saved 16.2 MiB in 5 spans, 412 ms", text)
        self.assertIn("sha256 equal", text)
        self.assertIn("save request: control domain's own cycles 777", text)
        self.assertNotIn("restore request", text)

    def test_figures_leave_out_what_is_missing(self):
        self.assertEqual(ctlbench.figures({"metrics": [], "gets": [(0, 5)], "done": {}}), {})
        log = {"metrics": [10], "per_batch": 1, "gets": [(0, 30)], "connects": [],
               "done": {"saved": ctlbench.parse_done(SAVED)}}
        self.assertEqual(ctlbench.figures(log), {"ctl_get": 20, "ctl_save_16m": 412345678})

    def test_different_hashes_are_said(self):
        other = ctlbench.parse_done(RESTORED.replace("ab" * 32, "cd" * 32))
        log = {"done": {"saved": ctlbench.parse_done(SAVED), "restored": other}}
        self.assertIn("sha256 DIFFERENT", ctlbench.spread(log))


class CountingHandler(fakeapi.Handler):
    """The fake API with a cycle counter of its own: a GET /domains costs GET, a /metrics
    read METRICS (half before the reading, half after), a new connection CONNECT."""

    def do_GET(self):  # noqa: N802
        server = self.server
        with server.lock:
            if self.path == "/metrics":
                server.cycles += METRICS // 2
                server.metrics_text = "bulkhead_control_cycles_total %d\n" % server.cycles
                server.cycles += METRICS // 2
            else:
                server.cycles += GET
        return super().do_GET()


GET, METRICS, CONNECT = 1000, 3000, 70000


class CountingServer(fakeapi.Server):
    def __init__(self, keys_dir):
        super().__init__(keys_dir)
        self.RequestHandlerClass = CountingHandler
        self.cycles = 5000

    def finish_request(self, request, client_address):
        with self.lock:
            self.cycles += CONNECT
        super().finish_request(request, client_address)


@unittest.skipUnless(shutil.which("openssl"), "needs openssl (Debian package openssl)")
class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bulkhead-ctlbench-test-")
        cls.keys = os.path.join(cls.tmp, "keys")
        keys.make(cls.keys)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.server = CountingServer(self.keys).serve()
        self.addCleanup(self.server.stop)

    def client(self):
        client = ctlbench.Client(self.server.port, self.keys, gets=5, batches=3, connects=3)
        client.settle = 0
        return client

    def test_figures_of_a_counting_server(self):
        self.server.domains["counter"]["rights"] += ["read-memory", "write-memory"]
        client = self.client()
        client.run()
        self.assertIsNone(client.error)
        self.assertEqual(len(client.log["gets"]), 3)
        self.assertEqual(len(client.log["connects"]), 3)
        self.assertEqual(ctlbench.figures(dict(client.log, done={})),
                         {"ctl_get": GET, "ctl_connect": CONNECT})
        self.assertIn("save request: control domain's own cycles 0",
                      ctlbench.spread(client.log))
        self.assertEqual([a for a in self.server.audit if "POST" in a],
                         ["admin (admin) POST /domains/counter/save -> 200",
                          "admin (admin) POST /domains/counter/restore -> 200"])

    def test_a_refused_operation_stops_the_client(self):
        client = self.client()
        client.run()  # the fake gives no read-memory right on counter: 403
        self.assertIn("/domains/counter/save: 403", client.error)
        self.assertEqual(len(client.log["connects"]), 3)

    def test_no_counter_in_metrics(self):
        self.server.RequestHandlerClass = fakeapi.Handler
        client = self.client()
        client.run()
        self.assertIn("bulkhead_control_cycles_total", client.error)
        self.assertEqual(client.log["metrics"], [])


class RunTest(unittest.TestCase):
    def run_of(self, lines):
        run = ctlbench._Run(1)
        started = threading.Event()
        run.client.run = started.set
        run.thread = threading.Thread(target=run.client.run, daemon=True)
        over = [run.feed(line) for line in lines]
        if run.thread.ident is not None:
            run.thread.join(5)
        return run, started.is_set(), over

    def test_client_starts_after_the_server_and_enough_counts(self):
        ready = "control: control: https on 10.0.2.15 port 443, 8 connections at once, 6 domains"
        _, started, _ = self.run_of(["counter: counter: count 30 heap 0", ready])
        self.assertFalse(started)
        _, started, _ = self.run_of([ready, "counter: counter: count 10 heap 0"])
        self.assertFalse(started)
        run, started, _ = self.run_of([ready, "counter: counter: count 20 heap 0", SAVED])
        self.assertTrue(started)
        self.assertFalse(run.over())  # the restore line has not come
        self.assertTrue(run.feed(RESTORED))


class TableTest(unittest.TestCase):
    def test_control_rows_in_the_table(self):
        results = {"off": {"ctl_get": 123456, "ctl_save_16m": 7}, "force": {"ctl_get": 130000}}
        text = bench.format_table(results, ("off", "force"), rows=bench.CONTROL_ROWS)
        lines = text.splitlines()
        self.assertEqual([r.key for r in bench.CONTROL_ROWS], list(ctlbench.NAMES))
        get = next(line for line in lines if line.startswith("ctl_get "))
        self.assertEqual(get.split()[-5:], ["123456", "130000", "-", "-", "-"])
        connect = next(line for line in lines if line.startswith("ctl_connect "))
        self.assertEqual(connect.split()[-5:], ["missing", "missing", "-", "-", "-"])
