"""`bulkhead ctl`: a thin client of the control domain's HTTPS API (docs/ctl.md).

    bulkhead ctl [--host H[:P]] [--keys DIR] [--user NAME] [--server-name NAME] [--json]
                 list | stats D | pause D | resume D | restart D | replace D [--image K] |
                 destroy D | console D [--lines N] | save D | restore D | metrics

It connects to H:P (default 127.0.0.1:8443, where `bulkhead run` forwards the control
domain's port 443) over TLS 1.2 or later with the client certificate NAME.crt/NAME.key
(default admin) of the keys dir (--keys, else $BULKHEAD_KEYS, else ~/.bulkhead/keys), whose
ca.crt must have signed the server's certificate. Standard library only.

Exit status: 0 done; 1 the server answered with an error (its text on stderr with the
status); 2 no answer: the connection, the TLS handshake or the keys failed (one line on
stderr saying what).
"""

import argparse
import http.client
import json
import os
import socket
import ssl
import sys

from . import keys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8443  # `bulkhead run`'s default port base 8000 + guest port 443
DEFAULT_USER = "admin"
TIMEOUT = 60.0  # seconds to connect, and for each answer

# Each command: (HTTP method, path format, what its table output is). The path gets the
# domain's name; `console` and `replace` add their option.
COMMANDS = {
    "list": ("GET", "/domains", "list"),
    "stats": ("GET", "/domains/{0}", "stats"),
    "pause": ("POST", "/domains/{0}/pause", "op"),
    "resume": ("POST", "/domains/{0}/resume", "op"),
    "restart": ("POST", "/domains/{0}/restart", "op"),
    "replace": ("POST", "/domains/{0}/replace", "op"),
    "destroy": ("POST", "/domains/{0}/destroy", "op"),
    "console": ("GET", "/domains/{0}/console", "console"),
    "save": ("POST", "/domains/{0}/save", "op"),
    "restore": ("POST", "/domains/{0}/restore", "op"),
    "metrics": ("GET", "/metrics", "text"),
}

HELP = {
    "list": "every domain the control domain holds a <control> on: NAME STATE GEN IMAGE "
            "RESTARTS REASON",
    "stats": "one domain's state and counters, one field a line",
    "pause": "stop the domain where it is (role operator)",
    "resume": "let a paused domain run again (role operator)",
    "restart": "restart the domain from its image 0 (role operator)",
    "replace": "restart the domain from another image, default 1 (role admin)",
    "destroy": "stop the domain for good (role admin)",
    "console": "the last lines the domain printed",
    "save": "stop the domain and write its memory and vCPU state to the save volume "
            "(role admin)",
    "restore": "bring a saved domain back and let it run (role admin)",
    "metrics": "the Prometheus text of GET /metrics",
}


class CtlError(Exception):
    """The command failed; the message is one line. @status: the exit status (1 or 2)."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def parse_host(text):
    """`H`, `H:P` or `[V6]:P` -> (host, port); the port defaults to DEFAULT_PORT.
    Raises ValueError if the port is not 1 .. 65535."""
    host, port = text, str(DEFAULT_PORT)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else port
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("%r is not HOST[:PORT] with a port 1 .. 65535" % text)
    return host, int(port)


def tls_context(keys_dir, user):
    """Returns the TLS client context of @user: NAME.crt/.key of @keys_dir, ca.crt for the
    server, TLS 1.2 or later. Raises CtlError (status 2) if a file is missing or bad."""
    paths = [os.path.join(keys_dir, name) for name in ("ca.crt", user + ".crt", user + ".key")]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise CtlError("no %s in %s: run `bulkhead keys` (or name the dir with --keys)"
                       % (" or ".join(os.path.basename(p) for p in missing), keys_dir), 2)
    try:
        context = ssl.create_default_context(cafile=paths[0])
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(paths[1], paths[2])
    except (ssl.SSLError, OSError) as err:
        raise CtlError("cannot load the keys of %s from %s: %s" % (user, keys_dir, err), 2)
    return context


class Connection(http.client.HTTPSConnection):
    """An HTTPS connection whose server certificate must name @server_name (default: the
    host); counts its connects (a persistent connection makes one)."""

    def __init__(self, host, port, context, server_name=None, timeout=TIMEOUT):
        super().__init__(host, port, context=context, timeout=timeout)
        self.server_name = server_name or host
        self.tls_context = context
        self.connects = 0

    def connect(self):
        """Opens the TCP connection and performs the TLS handshake."""
        self.connects += 1
        sock = socket.create_connection((self.host, self.port), self.timeout)
        try:
            self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.server_name)
        except BaseException:
            sock.close()
            raise


def describe_failure(err, where, keys_dir=None, timeout=TIMEOUT):
    """Returns one line saying why talking to @where (H:P) failed with exception @err
    (@keys_dir: where ca.crt is; @timeout: the seconds an answer had)."""
    if isinstance(err, ssl.SSLCertVerificationError):
        return "the certificate of %s does not verify against %s: %s" % (
            where, os.path.join(keys_dir or "the keys dir", "ca.crt"), err.verify_message)
    if isinstance(err, ssl.SSLError):
        reason = (err.reason or str(err)).lower().replace("_", " ")
        if isinstance(err, ssl.SSLEOFError) or "alert" in reason or "eof" in reason:
            return "%s refused the TLS handshake: certificate rejected (%s)" % (where, reason)
        return "the TLS handshake with %s failed (%s): is it the API's port?" % (where, reason)
    if isinstance(err, ConnectionRefusedError):
        return "cannot connect to %s: connection refused (is the system running, its port " \
               "forwarded?)" % where
    if isinstance(err, (ConnectionResetError, http.client.RemoteDisconnected)):
        return "%s closed the connection without an answer (certificate rejected?)" % where
    if isinstance(err, (socket.timeout, TimeoutError)):
        return "cannot reach %s: no answer within %g s" % (where, timeout)
    if isinstance(err, http.client.HTTPException):
        return "%s sent something that is not HTTP: %s" % (where, err)
    return "cannot reach %s: %s" % (where, getattr(err, "strerror", None) or err)


def request(conn, method, path, body=None, keys_dir=None):
    """Sends one request on @conn (its CA from @keys_dir, for messages). Returns (status,
    reason, content type, body bytes). Raises CtlError (status 2) if no answer came."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if method == "POST":
        headers["Content-Length"] = str(len(data or b""))
    where = "%s:%d" % (conn.host, conn.port)
    try:
        conn.request(method, path, body=data, headers=headers)
        answer = conn.getresponse()
        content = answer.read()
    except (OSError, http.client.HTTPException) as err:
        conn.close()
        raise CtlError(describe_failure(err, where, keys_dir, conn.timeout), 2)
    return answer.status, answer.reason, answer.getheader("Content-Type") or "", content


def _path(args):
    """The request's path and body for the parsed command line @args."""
    method, template, _ = COMMANDS[args.ctl_command]
    path = template.format(getattr(args, "domain", ""))
    body = None
    if args.ctl_command == "console" and args.lines is not None:
        path += "?lines=%d" % args.lines
    if args.ctl_command == "replace" and args.image is not None:
        body = {"image": args.image}
    return method, path, body


def _json(body, status):
    """Parses the server's JSON @body. Raises CtlError (1) saying what came instead."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CtlError("the answer (%d) is not JSON: %r" % (status, body[:200]), 1)
    if not isinstance(value, dict):
        raise CtlError("the answer (%d) is not a JSON object: %r" % (status, body[:200]), 1)
    return value


def _error(status, reason, body):
    """The CtlError (status 1) of an error answer: its status and the server's text."""
    try:
        text = str(json.loads(body.decode("utf-8")).get("error", "")) or body.decode()
    except (UnicodeDecodeError, ValueError, AttributeError):
        text = body.decode("utf-8", "replace").strip()[:200]
    return CtlError("%d %s: %s" % (status, reason, text or "(no error text)"), 1)


def table(rows):
    """Returns @rows (lists of strings; the first is the header) as aligned text lines,
    the last column unpadded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([cell.ljust(w) for cell, w in zip(row, widths)] + [row[-1]]).rstrip()
            for row in rows]


def format_list(answer):
    """The lines of `ctl list` for GET /domains' @answer."""
    rows = [["NAME", "STATE", "GEN", "IMAGE", "RESTARTS", "REASON"]]
    for d in answer.get("domains", []):
        rows.append([str(d.get(key, "")) for key in ("name", "state", "generation", "image",
                                                     "restarts", "reason")])
    return table(rows)


def format_stats(answer):
    """The lines of `ctl stats` for GET /domains/NAME's @answer: one field a line, the
    domain's fields then its counters (the counters' `restarts` stands for both)."""
    stats = answer.get("stats") or {}
    pairs = []
    for key, value in answer.items():
        if key == "stats" or key in stats:
            continue
        pairs.append((key, " ".join(value) if isinstance(value, list) else str(value)))
    pairs += [(key, str(value)) for key, value in stats.items()]
    width = max(len(key) for key, _ in pairs) if pairs else 0
    return [("%s  %s" % (key.ljust(width), value)).rstrip() for key, value in pairs]


def format_answer(kind, answer, args):
    """The table output lines of command @args.ctl_command for its parsed JSON @answer."""
    if kind == "list":
        return format_list(answer)
    if kind == "stats":
        return format_stats(answer)
    if kind == "console":
        return [str(line) for line in answer.get("lines", [])]
    return ["%s: %s %s, state %s" % (answer.get("name", args.domain),
                                     answer.get("op", args.ctl_command),
                                     answer.get("result", "?"), answer.get("state", "?"))]


def execute(args, out):
    """Runs the command of parsed @args and writes its output to @out.
    Returns 0; raises CtlError (exit status 1 or 2) on failure."""
    try:
        host, port = parse_host(args.host)
    except ValueError as err:
        raise CtlError("--host: %s" % err, 2)
    keys_dir = args.keys or keys.default_dir()
    context = tls_context(keys_dir, args.user)
    conn = Connection(host, port, context, args.server_name)
    try:
        method, path, body = _path(args)
        status, reason, _, content = request(conn, method, path, body, keys_dir)
    finally:
        conn.close()
    if not 200 <= status < 300:
        raise _error(status, reason, content)
    kind = COMMANDS[args.ctl_command][2]
    if args.json or kind == "text":
        text = content.decode("utf-8", "replace")
        out.write(text if text.endswith("\n") or not text else text + "\n")
        return 0
    out.write("".join(line + "\n" for line in format_answer(kind, _json(content, status), args)))
    return 0


def run(args, out=None, err=None):
    """`bulkhead ctl`'s handler: runs the command of @args. Returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        return execute(args, out)
    except CtlError as failure:
        err.write("bulkhead ctl: %s\n" % failure)
        return failure.status


def _lines(text):
    """argparse type of --lines: a whole number."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number")


def _image(text):
    """argparse type of --image: a whole number 0 or more."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError("must be a whole number 0 or more")
    return int(text)


def add_parser(sub, handler):
    """Declares `ctl` and its commands in subparsers @sub, with @handler(args) to run it."""
    p = sub.add_parser("ctl", help="manage a running system through its control domain's "
                       "HTTPS API (list, stats, pause, restart, save, ...)",
                       description="A client of the control domain's HTTPS API: each COMMAND "
                       "is one request, with a client certificate of the keys dir. Exit 0 "
                       "done, 1 the server said no (its text on stderr), 2 no answer "
                       "(connection, TLS or keys failed). See docs/ctl.md.")
    p.add_argument("--host", default="%s:%d" % (DEFAULT_HOST, DEFAULT_PORT), metavar="H[:P]",
                   help="the API's address (default %s:%d, where `bulkhead run` forwards "
                   "the control domain's port 443; port default %d)" % (
                       DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PORT))
    p.add_argument("--keys", metavar="DIR", help="the keys dir of `bulkhead keys` (default $%s,"
                   " else ~/.bulkhead/keys)" % keys.ENV)
    p.add_argument("--user", default=DEFAULT_USER, metavar="NAME",
                   help="use NAME.crt and NAME.key of the keys dir (default %s; `bulkhead "
                   "keys` writes admin, operator and reader)" % DEFAULT_USER)
    p.add_argument("--server-name", metavar="NAME",
                   help="the name the server's certificate must carry (default: the host; "
                   "`bulkhead keys` certifies 127.0.0.1 and localhost)")
    p.add_argument("--json", action="store_true", help="print the server's JSON as it came")
    p.set_defaults(handler=handler)
    commands = p.add_subparsers(dest="ctl_command", metavar="COMMAND")
    commands.required = True
    for name in COMMANDS:
        c = commands.add_parser(name, help=HELP[name], description=HELP[name] + ".")
        if name not in ("list", "metrics"):
            c.add_argument("domain", metavar="DOMAIN", help="the domain's name in the manifest")
        if name == "replace":
            c.add_argument("--image", type=_image, metavar="K",
                           help="the alternative image to start (default: the server's, 1)")
        if name == "console":
            c.add_argument("--lines", type=_lines, metavar="N",
                           help="how many of the last lines (default 20, at most 64)")
    return p
