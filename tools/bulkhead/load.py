"""`host-load`: many HTTPS requests on persistent connections to the management API.

An expect file's

    host-load [ADDR:]GUESTPORT REQUESTS CLIENTS [long REQUESTS] PATH [watch DOMAIN] after REGEX

makes the harness, the first time a serial line matches REGEX, start CLIENTS threads, each
with one persistent HTTPS connection (TLS with the test keys' admin certificate, the server
checked against their ca.crt) to the guest's GUESTPORT through a forwarded port of
127.0.0.1 (as hostnet.py forwards), which send REQUESTS `GET PATH` in all (the `long`
amount under `bulkhead test --long`), one after another on each connection. Every answer
must be 200 with a body that parses as JSON, every client must keep its one connection,
and every request must be answered within REQUEST_TIMEOUT seconds; else the check fails.
The test log gets the requests, the failures, the wall time and the latency. With
`watch DOMAIN`, the check also reads DOMAIN's record (`GET /domains/DOMAIN`) before and after
the load: its cycle counter must have grown meanwhile (the domain ran while the control domain
was loaded: it was not starved; how fast it ran is a benchmark's business, not a test's), and
the log gets both counters' growth, DOMAIN's and the control domain's own
(`bulkhead_control_cycles_total`).
"""

import json
import threading
import time

from . import ctl
from .hostnet import guest
from .monitor import parse as parse_after

REQUEST_TIMEOUT = 60.0  # seconds for one answer (a request without one fails the test)
CLIENTS_MAX = 64
SHOWN_FAILURES = 3  # failures named in the reason


class LoadPeer:
    """One `host-load` line: a host peer of hostnet.Peers."""

    proto = "tcp"
    needs_keys = True

    def __init__(self, guest_at, requests, clients, path, pattern, watch=None):
        self.guest_addr, self.guest_port = guest_at
        self.requests = requests  # (normal, long)
        self.clients = clients
        self.path = path
        self.pattern = pattern
        self.watch = watch  # a domain whose progress during the load is checked, or None
        self.host_port = None

    def __repr__(self):
        more = " long %d" % self.requests[1] if self.requests[1] != self.requests[0] else ""
        watch = " watch %s" % self.watch if self.watch else ""
        return "host-load %d %d %d%s %s%s" % (self.guest_port, self.requests[0], self.clients,
                                              more, self.path, watch)

    def check(self, long_run, keys):
        """Runs the load against 127.0.0.1:host_port. Returns (None or reason, summary)."""
        requests = self.requests[1] if long_run else self.requests[0]
        if not self.watch:
            return run_load(self.host_port, keys.dir, requests, self.clients, self.path)
        return run_watched(self.host_port, keys.dir, requests, self.clients, self.path,
                           self.watch)


def parse(arg):
    """Splits `[ADDR:]GUESTPORT REQUESTS CLIENTS [long REQUESTS] PATH [watch DOMAIN] after
    REGEX`. Returns ((addr, port), (requests, long requests), clients, PATH, REGEX text,
    DOMAIN or None). Raises ValueError saying what is wrong."""
    usage = "host-load %r: expected [ADDR:]GUESTPORT REQUESTS CLIENTS [long REQUESTS] PATH " \
            "[watch DOMAIN] after REGEX" % arg
    try:
        what, regex = parse_after(arg)
    except ValueError:
        raise ValueError(usage)
    words, watch = what.split(), None
    if len(words) > 2 and words[-2] == "watch":
        words, watch = words[:-2], words[-1]
    if len(words) == 6 and words[3] == "long":
        words = words[:3] + [words[5], words[4]]
    elif len(words) == 4:
        words = words + [words[1]]
    else:
        raise ValueError(usage)
    numbers = [words[1], words[2], words[4]]
    if not all(w.isdigit() and int(w) > 0 for w in numbers) or not words[3].startswith("/"):
        raise ValueError(usage)
    requests, clients, more = (int(w) for w in numbers)
    if clients > min(CLIENTS_MAX, requests) or more < requests:
        raise ValueError("host-load: 1 .. %d clients, at most one a request, and the long "
                         "amount at least the normal one" % CLIENTS_MAX)
    return guest(words[0], "host-load"), (requests, more), clients, words[3], regex, watch


class _Client:
    """One client thread's connection, its share of the requests and what came of them."""

    def __init__(self, number, port, context, path, count):
        self.number = number
        self.conn = ctl.Connection("127.0.0.1", port, context, timeout=REQUEST_TIMEOUT)
        self.path = path
        self.count = count
        self.answered = 0  # 200 with a JSON body
        self.failures = []  # texts, in order
        self.latencies = []  # seconds, one per answer

    def run(self):
        """Sends the requests one after another; stops at the first without an answer."""
        try:
            for index in range(self.count):
                if not self._one(index):
                    break
        finally:
            self.conn.close()
        if self.conn.connects > 1:
            self.failures.append("client %d: the connection did not persist (%d connects)"
                                 % (self.number, self.conn.connects))

    def _one(self, index):
        """Sends request @index. Returns False if no answer came (the connection is lost)."""
        started = time.monotonic()
        try:
            status, _, _, body = ctl.request(self.conn, "GET", self.path)
        except ctl.CtlError as err:
            self.failures.append("client %d, request %d: %s (%d not sent)" % (
                self.number, index + 1, err, self.count - index - 1))
            return False
        self.latencies.append(time.monotonic() - started)
        try:
            json.loads(body.decode("utf-8"))
            parsed = True
        except (UnicodeDecodeError, ValueError):
            parsed = False
        if status == 200 and parsed:
            self.answered += 1
        else:
            self.failures.append("client %d, request %d: %d %s" % (
                self.number, index + 1, status, "with a JSON body" if parsed else
                "with a body that is not JSON: %r" % body[:80]))
        return True


def _shares(requests, clients):
    """Splits @requests among @clients as evenly as can be."""
    return [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]


def _percentile(values, fraction):
    """The value below which @fraction of sorted @values lie (0 for none)."""
    return values[min(len(values) - 1, int(fraction * len(values)))] if values else 0.0


def summary(requests, clients, workers, seconds):
    """The log line of a load run: requests, answers, failures, wall time, latency."""
    answered = sum(w.answered for w in workers)
    failed = sum(len(w.failures) for w in workers)
    latencies = sorted(t for w in workers for t in w.latencies)
    return ("%d requests from %d clients: %d answered 200 with JSON, %d failures, %.1f s wall,"
            " %.0f answers/s, latency median %.1f ms, 99%% %.1f ms, max %.1f ms" % (
                requests, clients, answered, failed, seconds, len(latencies) / max(seconds, 1e-6),
                1000 * _percentile(latencies, 0.5), 1000 * _percentile(latencies, 0.99),
                1000 * (latencies[-1] if latencies else 0.0)))


def run_load(port, keys_dir, requests, clients, path):
    """Sends @requests GET @path from @clients threads, each on one persistent connection,
    to 127.0.0.1:@port with the admin certificate of @keys_dir. Returns (None or the
    reason, the summary line)."""
    try:
        context = ctl.tls_context(keys_dir, "admin")
    except ctl.CtlError as err:
        return str(err), ""
    workers = [_Client(i + 1, port, context, path, n)
               for i, n in enumerate(_shares(requests, clients))]
    threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = summary(requests, clients, workers, time.monotonic() - started)
    failures = [f for w in workers for f in w.failures]
    answered = sum(w.answered for w in workers)
    if failures or answered != requests:
        return "%d of %d requests not answered 200 with JSON; %s: %s" % (
            requests - answered, requests, text, "; ".join(failures[:SHOWN_FAILURES])), text
    return None, text


def _cycles(port, context, domain):
    """(DOMAIN's cycle counter, the control domain's own) from the API; raises ctl.CtlError or
    ValueError when an answer is not what the API gives."""
    conn = ctl.Connection("127.0.0.1", port, context, timeout=REQUEST_TIMEOUT)
    try:
        status, _, _, body = ctl.request(conn, "GET", "/domains/" + domain)
        if status != 200:
            raise ValueError("GET /domains/%s answered %d" % (domain, status))
        mine = int(json.loads(body.decode("utf-8"))["stats"]["cycles"])
        status, _, _, body = ctl.request(conn, "GET", "/metrics")
        own = [line.split()[1] for line in body.decode("utf-8").splitlines()
               if line.startswith("bulkhead_control_cycles_total ")]
        return mine, int(own[0]) if own else 0
    finally:
        conn.close()


def run_watched(port, keys_dir, requests, clients, path, domain):
    """run_load, with @domain's cycle counter (and the control domain's own) read before and
    after. Returns (None or the reason, the summary line with both counters' growth)."""
    try:
        context = ctl.tls_context(keys_dir, "admin")
        before = _cycles(port, context, domain)
        reason, text = run_load(port, keys_dir, requests, clients, path)
        after = _cycles(port, context, domain)
    except (ctl.CtlError, ValueError, KeyError, IndexError) as err:
        return "watching %s: %s" % (domain, err), ""
    text += "; %s ran %d cycles meanwhile, the control domain %d (%d a request)" % (
        domain, after[0] - before[0], after[1] - before[1], (after[1] - before[1]) // requests)
    if reason is None and after[0] <= before[0]:
        reason = "%s made no progress during the load (cycles %d, then %d)" % (
            domain, before[0], after[0])
    return reason, text
