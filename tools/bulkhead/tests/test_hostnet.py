"""Tests of the host peers' expect lines and of host-http's check against a local server."""

import http.server
import re
import threading
import unittest

from bulkhead import hostnet


class _Want:
    """What expect.Pattern gives host-http: the text and the compiled regex."""

    def __init__(self, text):
        self.text = text
        self.regex = re.compile(text)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # persistent connections

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        body = b"hello\n" if self.path == "/" else b"no\n"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Length", str(len(body)))
        if self.server.close_each:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class HostNetTest(unittest.TestCase):
    def test_parse_echo_lines(self):
        self.assertEqual(hostnet.parse("udp", "7 100 after ^x"), (("", 7), (100, 100), "^x"))
        self.assertEqual(hostnet.parse("tcp", "10.0.2.16:7 8 long 64 after ^x"),
                         (("10.0.2.16", 7), (8, 64), "^x"))
        for bad in ("7 after ^x", "7 0 after ^x", "70000 1 after ^x", "a.b:7 1 after ^x",
                    "7 1 long after ^x"):
            with self.assertRaises(ValueError):
                hostnet.parse("tcp", bad)
        with self.assertRaises(ValueError):
            hostnet.parse("udp", "7 1 long 2 after ^x")  # no long amount for udp

    def test_parse_http_line(self):
        self.assertEqual(hostnet.parse_http("10.0.2.16:80 / /x expect a b after ^httpd"),
                         (("10.0.2.16", 80), ["/", "/x"], 0, "a b", "^httpd", None))
        self.assertEqual(hostnet.parse_http("80 / stall 5 expect a after ^httpd"),
                         (("", 80), ["/"], 5, "a", "^httpd", None))
        self.assertEqual(hostnet.parse_http("443 / tls expired stall 2 expect a after ^t"),
                         (("", 443), ["/"], 2, "a", "^t", "expired"))
        self.assertEqual(hostnet.parse_http("443 / / tls none expect a after ^t")[5], "none")
        for bad in ("80 / after ^x", "80 expect a after ^x", "80 x expect a after ^x",
                    "443 / tls root expect a after ^x"):
            with self.assertRaises(ValueError):
                hostnet.parse_http(bad)

    def _serve(self, close_each):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.close_each = close_each
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return server.server_address[1]

    def test_http_get_reused_connection(self):
        port = self._serve(close_each=False)
        want = _Want(r"(?s)^hello\n\n@@ 200 1\nno\n\n@@ 404 0\n$")
        reason, what = hostnet.http_get(port, ["/", "/nowhere"], want)
        self.assertIsNone(reason, reason)
        self.assertIn("2 answers (200 404)", what)
        reason, _ = hostnet.http_get(port, ["/"], want=_Want("hello"), stall=3)
        self.assertIsNone(reason, reason)
        reason, _ = hostnet.http_get(port, ["/"], _Want("goodbye"))
        self.assertIn("does not match", reason)

    def test_http_get_needs_one_connection(self):
        port = self._serve(close_each=True)
        reason, _ = hostnet.http_get(port, ["/", "/"], _Want("hello"))
        self.assertIn("not reused", reason)


if __name__ == "__main__":
    unittest.main()
