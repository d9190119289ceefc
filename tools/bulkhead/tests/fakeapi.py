"""A fake of the control domain's HTTPS API (docs/ctl.md) for the host tools' unit tests.

A threading http.server behind TLS 1.2 (as BearSSL serves it) that requires a client
certificate from the keys dir's CA; the role is the certificate's OU. It knows two domains:
`counter` (running, rights stop resume restart) and `logger` (faulted, every right).
The handshake runs in the connection's thread, so a stalled client blocks nobody.
"""

import http.server
import json
import re
import ssl
import os
import threading

ROLES = {"reader": 0, "operator": 1, "admin": 2}
# The role each operation needs, and the manifest right it uses.
OPS = {"pause": ("operator", "stop"), "resume": ("operator", "resume"),
       "restart": ("operator", "restart"), "replace": ("admin", "restart"),
       "destroy": ("admin", "destroy"), "save": ("admin", "read-memory"),
       "restore": ("admin", "write-memory")}
STATE_AFTER = {"pause": "paused", "resume": "running", "restart": "running",
               "replace": "running", "destroy": "stopped", "save": "paused",
               "restore": "running"}
STATS = ("cycles", "overruns", "faults", "restarts", "signals_sent", "signals_received",
         "ring_sent", "ring_received")


def _domains():
    """The fake system's domains, freshly."""
    return {
        "counter": {"name": "counter", "state": "running", "reason": "", "generation": 0,
                    "image": 0, "restarts": 0, "rights": ["stop", "resume", "restart"]},
        "logger": {"name": "logger", "state": "faulted",
                   "reason": "page fault at rip 0x401234", "generation": 2, "image": 1,
                   "restarts": 2, "rights": ["stop", "resume", "restart", "destroy",
                                             "read-memory", "write-memory", "vcpu"]},
    }


class Handler(http.server.BaseHTTPRequestHandler):
    """One connection: answers the API's requests, in the role of the peer's certificate."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _who(self):
        """Returns (CN, OU) of the client's certificate."""
        fields = dict(item for rdn in self.connection.getpeercert()["subject"] for item in rdn)
        return fields.get("commonName", ""), fields.get("organizationalUnitName", "")

    def _send(self, status, body, ctype="application/json", headers=()):
        """Sends one response with Content-Length and records it in the server's log."""
        data = (json.dumps(body) if ctype == "application/json" else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            self.send_header(key, value)
        if self.server.close_each:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        user, role = self._who()
        with self.server.lock:
            self.server.audit.append("%s (%s) %s %s -> %d" % (user, role, self.command,
                                                              self.path, status))

    def _error(self, status, text, headers=()):
        self._send(status, {"error": text}, headers=headers)

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        """Answers GET /domains, /domains/NAME, /domains/NAME/console, /metrics."""
        if self.server.delay:
            self.server.delay.wait()
        role = self._who()[1]
        if role not in ROLES:
            return self._error(403, "role %r is not reader, operator or admin" % role)
        path, _, query = self.path.partition("?")
        if path == "/metrics":
            return self._send(200, self.server.metrics(), "text/plain; version=0.0.4")
        if path == "/domains":
            return self._send(200, {"system": "fake", "domains": list(self.server.domains
                                                                      .values())})
        match = re.fullmatch(r"/domains/([^/]+)(/console)?", path)
        if not match:
            return self._error(404, "no such path: %s" % path)
        if match.group(2) and self.server.domains.get(match.group(1)):
            return self._console(match.group(1), query)
        if match.group(1) in self.server.domains and not match.group(2):
            domain = dict(self.server.domains[match.group(1)])
            domain["stats"] = {key: 7 for key in STATS}
            if self.server.running:  # a domain that runs: its cycles grow with every request
                with self.server.lock:
                    domain["stats"]["cycles"] = 7 + len(self.server.audit)
            return self._send(200, domain)
        self._error(404, "no domain %s: GET /domains lists them" % match.group(1))

    def _console(self, name, query):
        """Answers GET /domains/NAME/console?lines=N."""
        lines = re.fullmatch(r"lines=(\d+)", query) if query else None
        if query and (not lines or not 0 < int(lines.group(1)) <= 64):
            return self._error(400, "lines must be 1 .. 64")
        count = int(lines.group(1)) if lines else 20
        self._send(200, {"name": name, "lines": ["%s line %d" % (name, i)
                                                 for i in range(count)]})

    def do_POST(self):  # noqa: N802
        """Answers POST /domains/NAME/OP."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        match = re.fullmatch(r"/domains/([^/]+)/([a-z]+)", self.path)
        if not match or match.group(2) not in OPS:
            return self._error(404, "no such path: %s" % self.path)
        name, op = match.groups()
        domain = self.server.domains.get(name)
        if domain is None:
            return self._error(404, "no domain %s: GET /domains lists them" % name)
        self._operate(domain, op, body)

    def _operate(self, domain, op, body):
        """Checks role, right, body and state, then performs @op on @domain."""
        role, right = OPS[op]
        mine = self._who()[1]
        if ROLES.get(mine, -1) < ROLES[role]:
            return self._error(403, "%s needs the %s role; you are %s" % (op, role, mine))
        if right not in domain["rights"]:
            return self._error(403, "the manifest gives control no %s right on %s"
                               % (right, domain["name"]))
        if body and op == "replace":
            try:
                domain["image"] = int(json.loads(body)["image"])
            except (ValueError, KeyError, TypeError):
                return self._error(400, "body must be {\"image\":K}")
        elif op == "replace":
            domain["image"] = 1
        if op == "resume" and domain["state"] == "running":
            return self._error(409, "%s is running; pause it first" % domain["name"])
        domain["state"] = STATE_AFTER[op]
        self._send(200, {"name": domain["name"], "op": op, "result": "ok",
                         "state": domain["state"]})


class Server(http.server.ThreadingHTTPServer):
    """The fake API on 127.0.0.1 (a free port): serve() starts it, stop() ends it."""

    daemon_threads = True

    def __init__(self, keys_dir, require_ca="ca.crt"):
        super().__init__(("127.0.0.1", 0), Handler)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = self.context.maximum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(os.path.join(keys_dir, "server.crt"),
                                     os.path.join(keys_dir, "server.key"))
        self.context.load_verify_locations(os.path.join(keys_dir, require_ca))
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.domains = _domains()
        self.lock = threading.Lock()
        self.audit = []  # `USER (ROLE) METHOD PATH -> STATUS`, `tls refused (REASON)`
        self.connections = 0
        self.delay = None  # a threading.Event every GET waits for, if set
        self.close_each = False  # answer with `Connection: close`
        self.metrics_text = None  # GET /metrics answers this instead, if set
        self.running = False  # a domain's cycles grow with the requests answered (host-load watch)

    @property
    def port(self):
        return self.server_address[1]

    def finish_request(self, request, client_address):
        """Performs the TLS handshake in this connection's thread, then serves it."""
        try:
            conn = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as err:
            with self.lock:
                self.audit.append("tls refused (%s)" % getattr(err, "reason", err))
            return
        with self.lock:
            self.connections += 1
        try:
            super().finish_request(conn, client_address)
        finally:
            conn.close()

    def handle_error(self, request, client_address):
        """A client that went away mid-answer is no error of the fake's."""

    def metrics(self):
        """The Prometheus text of the fake system."""
        if self.metrics_text is not None:
            return self.metrics_text
        out = ["# HELP bulkhead_domain_cycles_total CPU cycles the domain used.",
               "# TYPE bulkhead_domain_cycles_total counter"]
        out += ['bulkhead_domain_cycles_total{domain="%s"} %d' % (name, 1000 + i)
                for i, name in enumerate(self.domains)]
        return "\n".join(out) + "\n"

    def serve(self):
        """Serves in a daemon thread. Returns self."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self):
        """Stops serving and closes the listening socket."""
        if self.delay:
            self.delay.set()
        self.shutdown()
        self.server_close()
