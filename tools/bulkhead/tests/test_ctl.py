"""Tests of `bulkhead ctl` against a fake of the control domain's API over TLS with client
certificates (fakeapi.py; certificates from keys.make in a temp dir)."""

import http.server
import io
import json
import os
import shutil
import socket
import tempfile
import threading
import time
import unittest

from bulkhead import cli
from bulkhead import ctl
from bulkhead import keys
from bulkhead.tests import fakeapi


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(shutil.which("openssl"), "needs openssl (Debian package openssl)")
class CtlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bulkhead-ctl-test-")
        cls.keys = os.path.join(cls.tmp, "keys")
        keys.make(cls.keys, refused=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.server = fakeapi.Server(self.keys).serve()
        self.addCleanup(self.server.stop)

    def ctl(self, *words, port=None, keys_dir=None):
        """Runs `bulkhead ctl WORDS` against the fake. Returns (status, stdout, stderr)."""
        argv = ["ctl", "--host", "127.0.0.1:%d" % (port or self.server.port),
                "--keys", keys_dir or self.keys] + list(words)
        top, _ = cli.parser()
        args = top.parse_args(argv)
        out, err = io.StringIO(), io.StringIO()
        status = ctl.run(args, out, err)
        return status, out.getvalue(), err.getvalue()

    def test_list_table_and_json(self):
        status, out, err = self.ctl("list")
        self.assertEqual((status, err), (0, ""))
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "STATE", "GEN", "IMAGE", "RESTARTS",
                                            "REASON"])
        self.assertEqual(lines[1].split(), ["counter", "running", "0", "0", "0"])
        self.assertEqual(lines[2].split(None, 5), ["logger", "faulted", "2", "1", "2",
                                                   "page fault at rip 0x401234"])
        self.assertEqual(lines[1].index("running"), lines[0].index("STATE"))
        status, out, _ = self.ctl("--json", "list")
        self.assertEqual(status, 0)
        self.assertEqual(json.loads(out)["system"], "fake")

    def test_stats_one_field_a_line(self):
        status, out, _ = self.ctl("stats", "logger")
        self.assertEqual(status, 0)
        fields = dict(line.split(None, 1) for line in out.splitlines())
        self.assertEqual(fields["state"], "faulted")
        self.assertEqual(fields["reason"], "page fault at rip 0x401234")
        self.assertEqual(fields["rights"].split()[:2], ["stop", "resume"])
        for key in fakeapi.STATS:
            self.assertEqual(fields[key], "7")
        status, out, _ = self.ctl("--json", "stats", "logger")
        self.assertEqual(json.loads(out)["stats"]["ring_sent"], 7)

    def test_operations(self):
        for words, line in [(("pause", "counter"), "counter: pause ok, state paused"),
                            (("resume", "counter"), "counter: resume ok, state running"),
                            (("restart", "counter"), "counter: restart ok, state running"),
                            (("destroy", "logger"), "logger: destroy ok, state stopped"),
                            (("save", "logger"), "logger: save ok, state paused"),
                            (("restore", "logger"), "logger: restore ok, state running")]:
            self.assertEqual(self.ctl(*words), (0, line + "\n", ""), words)
        status, out, _ = self.ctl("--json", "pause", "counter")
        self.assertEqual(json.loads(out), {"name": "counter", "op": "pause", "result": "ok",
                                           "state": "paused"})

    def test_replace_sends_the_image(self):
        self.assertEqual(self.ctl("replace", "logger", "--image", "3")[0], 0)
        self.assertEqual(self.server.domains["logger"]["image"], 3)
        self.server.domains["logger"]["image"] = 0
        self.assertEqual(self.ctl("replace", "logger")[0], 0)
        self.assertEqual(self.server.domains["logger"]["image"], 1)

    def test_console_and_metrics(self):
        self.assertEqual(self.ctl("console", "counter", "--lines", "2"),
                         (0, "counter line 0\ncounter line 1\n", ""))
        status, out, _ = self.ctl("console", "counter")
        self.assertEqual(len(out.splitlines()), 20)
        status, out, _ = self.ctl("metrics")
        self.assertEqual(status, 0)
        self.assertIn('bulkhead_domain_cycles_total{domain="logger"} 1001\n', out)

    def test_server_errors_exit_1_with_the_text(self):
        cases = [(("--user", "reader", "pause", "counter"),
                  "403 Forbidden: pause needs the operator role; you are reader"),
                 (("--user", "operator", "destroy", "counter"),
                  "403 Forbidden: destroy needs the admin role; you are operator"),
                 (("destroy", "counter"),
                  "403 Forbidden: the manifest gives control no destroy right on counter"),
                 (("stats", "nothere"), "404 Not Found: no domain nothere"),
                 (("resume", "counter"), "409 Conflict: counter is running; pause it first"),
                 (("console", "counter", "--lines", "99"), "400 Bad Request: lines must be")]
        for words, text in cases:
            status, out, err = self.ctl(*words)
            self.assertEqual((status, out), (1, ""), words)
            self.assertTrue(err.startswith("bulkhead ctl: " + text), err)
        self.assertIn("operator (operator) POST /domains/counter/destroy -> 403",
                      self.server.audit)

    def test_refused_certificates_exit_2(self):
        for user, why in (("foreign", "unknown ca"), ("expired", "certificate expired")):
            status, out, err = self.ctl("--user", user, "list")
            self.assertEqual((status, out), (2, ""), user)
            self.assertRegex(err, r"^bulkhead ctl: 127\.0\.0\.1:\d+ refused the TLS handshake: "
                             r"certificate rejected \(.*%s\)\n$" % why)
        # The server's thread notes a refusal after the client has seen it: wait for the note.
        deadline = time.monotonic() + 10
        while self._refusals() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(self._refusals(), 2)

    def _refusals(self):
        return len([a for a in self.server.audit if a.startswith("tls refused")])

    def test_no_server_and_no_keys_exit_2(self):
        status, _, err = self.ctl("list", port=_free_port())
        self.assertEqual(status, 2)
        self.assertIn("connection refused", err)
        status, _, err = self.ctl("list", keys_dir=os.path.join(self.tmp, "none"))
        self.assertEqual(status, 2)
        self.assertIn("run `bulkhead keys`", err)
        status, _, err = self.ctl("--user", "nobody-at-all", "list")
        self.assertIn("no nobody-at-all.crt or nobody-at-all.key", err)

    def test_a_server_without_tls(self):
        plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                http.server.BaseHTTPRequestHandler)
        threading.Thread(target=plain.serve_forever, daemon=True).start()
        self.addCleanup(plain.server_close)
        self.addCleanup(plain.shutdown)
        status, _, err = self.ctl("list", port=plain.server_address[1])
        self.assertEqual(status, 2)
        self.assertRegex(err, r"^bulkhead ctl: the TLS handshake with 127\.0\.0\.1:\d+ failed "
                         r"\(.*\): is it the API's port\?\n$")

    def test_server_certificate_must_verify(self):
        other = os.path.join(self.tmp, "other-ca")
        os.makedirs(other, exist_ok=True)
        shutil.copy(os.path.join(self.keys, "foreign-ca.crt"),
                    os.path.join(other, "ca.crt"))
        for name in ("admin.crt", "admin.key"):
            shutil.copy(os.path.join(self.keys, name), other)
        status, _, err = self.ctl("list", keys_dir=other)
        self.assertEqual(status, 2)
        self.assertIn("does not verify against %s" % os.path.join(other, "ca.crt"), err)

    def test_host_parsing(self):
        self.assertEqual(ctl.parse_host("10.1.2.3"), ("10.1.2.3", 8443))
        self.assertEqual(ctl.parse_host("h:99"), ("h", 99))
        self.assertEqual(ctl.parse_host("[::1]:7"), ("::1", 7))
        for bad in ("h:0", "h:x", ":80", "h:70000"):
            with self.assertRaises(ValueError):
                ctl.parse_host(bad)


if __name__ == "__main__":
    unittest.main()
