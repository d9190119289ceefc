"""QEMU's human monitor for system tests: commands sent when a serial line matches.

An expect file's `monitor COMMAND after REGEX` sends COMMAND (e.g. `nmi`) to
the monitor of the test's QEMU the first time a serial line matches REGEX.
QEMU serves the monitor on a UNIX socket in a private temporary directory
(`-monitor unix:PATH,server=on,wait=off`); the harness connects when the first
command is due and keeps the connection for the next ones. Every wait on the
socket is bounded, so a QEMU that exits or stops answering never hangs a test.
"""

import re
import shutil
import socket
import tempfile
import time

from .qemu import clean_line

# The monitor's prompt; it ends the banner and every command's reply.
PROMPT = b"(qemu) "
# Seconds to connect, or to wait for the prompt after a command.
REPLY_TIMEOUT = 10.0
# Replies that say the monitor did not run the command.
_REFUSED = re.compile(r"^(unknown command|Error|Parameter .* expects|.*: invalid)", re.MULTILINE)
_AFTER = re.compile(r"\s+after\s+")


def parse(arg):
    """Splits the argument of `monitor COMMAND after REGEX` at the first ` after `
    (so REGEX may contain the word, COMMAND not).

    Returns: (COMMAND, REGEX text). Raises ValueError if a part is missing.
    """
    parts = _AFTER.split(" " + arg + " ", 1)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise ValueError("monitor %r: expected COMMAND after REGEX" % arg)
    return parts[0].strip(), parts[1].strip()


def reply_text(raw):
    """Returns the reply lines of one command from the monitor's bytes @raw: without
    the echoed command line (the first) and the prompt (the last), cleaned."""
    lines = raw.split(b"\r\n")
    return "\n".join(clean_line(line) for line in lines[1:-1]).strip()


class Monitor:
    """The monitor of one QEMU and the commands to send to it.

    @triggers: [(command, Pattern)] from the expect file. Use flags() for
    QEMU's argv, feed() on every serial line, close() when QEMU has ended.
    """

    def __init__(self, triggers):
        self.pending = list(triggers)
        self.path = None
        self._dir = None
        self._sock = None

    def flags(self):
        """Returns QEMU's flags for the monitor socket ([] if nothing is to be sent)."""
        if not self.pending:
            return []
        self._dir = tempfile.mkdtemp(prefix="bulkhead-mon-")
        self.path = self._dir + "/monitor.sock"
        return ["-monitor", "unix:%s,server=on,wait=off" % self.path.replace(",", ",,")]

    def feed(self, line):
        """Sends the command of every trigger that @line matches for the first time.

        Returns: [(command, reply or None, error or None)], one per command sent.
        """
        due = [(c, p) for c, p in self.pending if p.regex.search(line)]
        self.pending = [t for t in self.pending if t not in due]
        return [self._send_logged(command) for command, _ in due]

    def _send_logged(self, command):
        """Sends @command; returns (command, reply, None) or (command, None, error)."""
        try:
            return command, self.send(command), None
        except OSError as err:
            return command, None, "cannot send %r to the QEMU monitor: %s" % (
                command, err.strerror or err)

    def send(self, command):
        """Sends one command and returns its reply text. Raises OSError if the
        monitor cannot be reached, closes, or does not answer in time."""
        if self._sock is None:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._sock.settimeout(REPLY_TIMEOUT)
            self._sock.connect(self.path)
            self._read_prompt()
        self._sock.sendall(command.encode("utf-8") + b"\n")
        return reply_text(self._read_prompt())

    def _read_prompt(self):
        """Reads until the prompt; returns the bytes. Raises OSError on EOF or timeout."""
        deadline = time.monotonic() + REPLY_TIMEOUT
        data = b""
        while not data.endswith(PROMPT):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OSError("no reply within %g s" % REPLY_TIMEOUT)
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(4096)
            except socket.timeout:
                raise OSError("no reply within %g s" % REPLY_TIMEOUT)
            if not chunk:
                raise OSError("the monitor closed its socket (QEMU exited?)")
            data += chunk
        return data

    def close(self):
        """Closes the connection and removes the socket's directory."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def refused(reply):
    """Returns True if the monitor's @reply says it did not run the command."""
    return bool(reply and _REFUSED.search(reply))
