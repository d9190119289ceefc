"""`host-prometheus`: a real Prometheus scrapes the management API's /metrics.

An expect file's

    host-prometheus [ADDR:]GUESTPORT QUERY expect REGEX2 after REGEX

makes the harness, the first time a serial line matches REGEX:
1. fetch https://127.0.0.1:FWD/metrics once with the test keys' reader certificate (FWD:
   the port of 127.0.0.1 forwarded to the guest's GUESTPORT, as hostnet.py forwards) and
   run `promtool check metrics` on it: a complaint fails the check;
2. start Debian's `prometheus` on a free port of 127.0.0.1, with a storage dir in a fresh
   temporary dir and a config that scrapes https://127.0.0.1:FWD/metrics every
   SCRAPE_INTERVAL with the reader certificate (tls_config ca_file, cert_file, key_file;
   the server certificate names 127.0.0.1);
3. wait (at most UP_TIMEOUT s) until the target's health is `up`;
4. run QUERY (PromQL, e.g. bulkhead_domain_cycles_total{domain="counter"}) through
   /api/v1/query until REGEX2 matches (re.search) the JSON answer, at most QUERY_TIMEOUT s;
and always stop prometheus and remove the temporary dir. The test log gets the answer.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from . import ctl
from . import mgmt
from .hostnet import free_port, guest

SCRAPE_INTERVAL = "1s"
UP_TIMEOUT = 120.0  # seconds until the target must be up
QUERY_TIMEOUT = 15.0  # seconds for the query's answer to match
POLL = 0.5  # seconds between looks at prometheus's API
STOP_TIMEOUT = 10.0  # seconds prometheus gets to end after SIGTERM

CONFIG = """global:
  scrape_interval: {interval}
  scrape_timeout: {interval}
scrape_configs:
  - job_name: bulkhead
    scheme: https
    metrics_path: /metrics
    tls_config:
      ca_file: {ca}
      cert_file: {cert}
      key_file: {key}
    static_configs:
      - targets: ["127.0.0.1:{port}"]
"""


class PromPeer(mgmt.MgmtPeer):
    """One `host-prometheus` line: a host peer of hostnet.Peers."""

    def __init__(self, guest_at, query, pattern, want):
        super().__init__(guest_at, pattern, want)
        self.query = query
        self.proc = None  # the prometheus process while the check runs

    def __repr__(self):
        return "host-prometheus %d %s" % (self.guest_port, self.query)

    def check(self, _long_run, keys):
        """Runs the whole check against 127.0.0.1:host_port. Returns (None or the reason,
        summary)."""
        return run_prometheus(self.host_port, keys, self.query, self.want, self._started)

    def _started(self, proc):
        self.proc = proc

    def stop(self):
        """Ends prometheus if the check still runs it (the harness was interrupted)."""
        if self.proc is not None:
            _stop(self.proc)


def parse(arg):
    """Splits `[ADDR:]GUESTPORT QUERY expect REGEX2 after REGEX`. Returns ((addr, port),
    QUERY, REGEX2 text, REGEX text). Raises ValueError saying what is wrong."""
    words, want, regex = mgmt.split_expect(arg, "host-prometheus", "[ADDR:]GUESTPORT QUERY "
                                           "expect REGEX2 after REGEX")
    if len(words) < 2:
        raise ValueError("host-prometheus %r: no query after the port" % arg)
    return guest(words[0], "host-prometheus"), " ".join(words[1:]), want, regex


def check_metrics(port, keys):
    """Fetches /metrics from 127.0.0.1:@port with the reader certificate and runs `promtool
    check metrics` on it. Returns None, or the reason it failed."""
    try:
        conn = ctl.Connection("127.0.0.1", port, ctl.tls_context(keys.dir, "reader"))
        status, _, ctype, body = ctl.request(conn, "GET", "/metrics")
        conn.close()
    except ctl.CtlError as err:
        return "GET /metrics: %s" % err
    if status != 200 or not ctype.startswith("text/plain"):
        return "GET /metrics: %d, Content-Type %r" % (status, ctype)
    try:
        proc = subprocess.run(["promtool", "check", "metrics"], input=body,
                              capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return "promtool did not run: %s" % err
    if proc.returncode != 0:
        return "promtool check metrics: %s" % (proc.stdout + proc.stderr).decode(
            "utf-8", "replace").strip()[:400]
    return None


def _get(web, path):
    """GETs @path of prometheus's API at 127.0.0.1:@web. Returns the parsed JSON, or None."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (web, path), timeout=10) as f:
            return json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError):
        return None


def _target(web):
    """Returns (health, lastError) of the one scrape target, or (None, why not)."""
    answer = _get(web, "/api/v1/targets")
    targets = ((answer or {}).get("data") or {}).get("activeTargets") or []
    if not targets:
        return None, "prometheus lists no target yet"
    return targets[0].get("health"), targets[0].get("lastError", "")


def _wait_up(proc, web, log_path):
    """Waits until the target is up. Returns None, or the reason it never was."""
    deadline = time.monotonic() + UP_TIMEOUT
    health, error = None, "prometheus did not answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return "prometheus ended (status %d): %s" % (proc.returncode, _tail(log_path))
        health, error = _target(web)
        if health == "up":
            return None
        time.sleep(POLL)
    return "the target was not up within %g s: health %s, %s" % (UP_TIMEOUT, health, error)


def _query(web, query, want):
    """Runs @query until its JSON answer matches @want (or QUERY_TIMEOUT passes). Returns
    (None or the reason, the last answer's text)."""
    path = "/api/v1/query?" + urllib.parse.urlencode({"query": query})
    deadline = time.monotonic() + QUERY_TIMEOUT
    text = ""
    while True:
        answer = _get(web, path)
        text = json.dumps(answer) if answer is not None else "(no answer)"
        if answer is not None and want.regex.search(text):
            return None, text
        if time.monotonic() >= deadline:
            return "query %r: the answer %r does not match %r" % (query, text[:400],
                                                                  want.text), text
        time.sleep(POLL)


def _tail(path, size=400):
    """The last @size characters of file @path."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()[-size:].strip()
    except OSError:
        return ""


def _start(work, port, keys):
    """Writes the config into @work and starts prometheus. Returns (process, web port,
    its log's path)."""
    config = os.path.join(work, "prometheus.yml")
    reader = keys.client("reader")
    with open(config, "w", encoding="utf-8") as f:
        f.write(CONFIG.format(interval=SCRAPE_INTERVAL, ca=keys.ca, cert=reader[0],
                              key=reader[1], port=port))
    web = free_port("tcp")
    log_path = os.path.join(work, "prometheus.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["prometheus", "--config.file=" + config,
                                 "--storage.tsdb.path=" + os.path.join(work, "data"),
                                 "--web.listen-address=127.0.0.1:%d" % web, "--log.level=warn"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=work)
    return proc, web, log_path


def _stop(proc):
    """Ends prometheus: SIGTERM, then SIGKILL if it lingers; reaps it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_prometheus(port, keys, query, want, started=None):
    """The check of a host-prometheus line against 127.0.0.1:@port with KeySet @keys;
    @started(process) is called once prometheus runs. Returns (None or the reason, a
    summary)."""
    reason = check_metrics(port, keys)
    if reason:
        return reason, ""
    work = tempfile.mkdtemp(prefix="bulkhead-prometheus-")
    try:
        try:
            proc, web, log_path = _start(work, port, keys)
        except OSError as err:
            return "prometheus did not start: %s" % err, ""
        if started:
            started(proc)
        try:
            reason = _wait_up(proc, web, log_path)
            if reason:
                return reason, ""
            reason, text = _query(web, query, want)
            return reason, "promtool check metrics passed; %s -> %s" % (query, text[:400])
        finally:
            _stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
