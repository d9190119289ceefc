"""A disk with a volatile write cache for the power-loss tests: the image served to QEMU over NBD.

With `disk-cache volatile` (expect.py) QEMU does not open the test's image
itself: it reaches it over a UNIX socket through the NBD protocol (fixed
newstyle handshake, simple replies), served by a thread of the harness. The
server keeps every written block in memory, in order, and writes them into the
image only when QEMU sends a flush (NBD_CMD_FLUSH, which the device's FLUSH
becomes). When the connection ends without a flush, because the harness cut
the power (SIGKILL) or ended the boot, the writes not flushed are lost, as a
disk's write cache loses them. So a record a guest calls durable without its
flush having been answered is missing after the cut. (QEMU's own file backend
hands every write to the host's page cache at once, where a SIGKILL of QEMU
cannot lose it.)

The server answers one connection, one request at a time, in the order sent:
a flush covers every write answered before it.
"""

import os
import shutil
import socket
import struct
import tempfile
import threading

EXPORT = "disk"
_NBDMAGIC = b"NBDMAGIC"
_IHAVEOPT = 0x49484156454F5054
_REPLY_MAGIC = 0x3E889045565A9
_REQUEST_MAGIC = 0x25609513
_SIMPLE_REPLY = 0x67446698
_FIXED_NEWSTYLE, _NO_ZEROES = 1, 2
_OPT_EXPORT_NAME, _OPT_ABORT, _OPT_INFO, _OPT_GO = 1, 2, 6, 7
_REP_ACK, _REP_INFO, _REP_ERR_UNSUP = 1, 3, 0x80000001
_INFO_EXPORT = 0
_HAS_FLAGS, _SEND_FLUSH = 1, 4
_CMD_READ, _CMD_WRITE, _CMD_DISC, _CMD_FLUSH = 0, 1, 2, 3
_EIO, _EINVAL = 5, 22
_MAX_REQUEST = 32 << 20


class _Closed(Exception):
    """The client closed the connection (or broke the protocol)."""


class WriteCache:
    """Serves image @path over NBD on a UNIX socket, its writes held until a flush.

    Use: flags() for QEMU's -blockdev file node, then start() before QEMU starts
    and finish() once it has ended (returns what happened, for the log).
    """

    def __init__(self, path):
        self.path = path
        self.size = os.path.getsize(path)
        self.pending = []  # [(offset, bytes)]: written, not yet flushed, in order
        self.writes = self.flushes = self.lost = 0
        self.error = None
        self._dir = tempfile.mkdtemp(prefix="bulkhead-nbd-")
        self.socket_path = os.path.join(self._dir, "disk.sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.socket_path)
        self._listener.listen(1)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def node(self):
        """Returns the -blockdev node (a dict) that reaches the image through this server."""
        return {"driver": "nbd", "server": {"type": "unix", "path": self.socket_path},
                "export": EXPORT}

    def start(self):
        """Starts serving in a thread; QEMU may connect from now on."""
        self._thread.start()

    def finish(self, timeout=10.0):
        """Waits (up to @timeout s) for the connection to end, then drops what was not flushed.
        Returns a line for the log: writes, flushes, writes lost, any protocol error."""
        self._listener.close()
        self._thread.join(timeout)
        shutil.rmtree(self._dir, ignore_errors=True)
        text = "volatile write cache: %d writes, %d flushes, %d writes not flushed and lost" % (
            self.writes, self.flushes, self.lost)
        if self._thread.is_alive():
            return text + "; the connection did not end within %g s" % timeout
        return text + ("; " + self.error if self.error else "")

    def _serve(self):
        """Accepts one connection and serves it until it ends; then loses the cache."""
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return  # finish() closed the listener: QEMU never connected
        with conn:
            try:
                self._handshake(conn)
                while self._request(conn):
                    pass
            except _Closed as err:
                self.error = str(err) or None
            except OSError as err:
                self.error = "socket error: %s" % err
        self.lost = len(self.pending)
        self.pending = []

    def _handshake(self, conn):
        """Fixed newstyle negotiation up to NBD_OPT_GO (or NBD_OPT_EXPORT_NAME)."""
        conn.sendall(_NBDMAGIC + struct.pack(">QH", _IHAVEOPT, _FIXED_NEWSTYLE | _NO_ZEROES))
        (client_flags,) = struct.unpack(">I", _recv(conn, 4))
        while True:
            magic, option, length = struct.unpack(">QII", _recv(conn, 16))
            if magic != _IHAVEOPT or length > 4096:
                raise _Closed("bad option header")
            _recv(conn, length)  # the export name and info requests: there is one export
            if option == _OPT_EXPORT_NAME:
                zeroes = b"" if client_flags & _NO_ZEROES else bytes(124)
                conn.sendall(struct.pack(">QH", self.size, _HAS_FLAGS | _SEND_FLUSH) + zeroes)
                return
            if option in (_OPT_GO, _OPT_INFO):
                info = struct.pack(">HQH", _INFO_EXPORT, self.size, _HAS_FLAGS | _SEND_FLUSH)
                _option_reply(conn, option, _REP_INFO, info)
                _option_reply(conn, option, _REP_ACK)
                if option == _OPT_GO:
                    return
            elif option == _OPT_ABORT:
                _option_reply(conn, option, _REP_ACK)
                raise _Closed()
            else:
                _option_reply(conn, option, _REP_ERR_UNSUP)

    def _request(self, conn):
        """Serves one request. Returns False after NBD_CMD_DISC."""
        magic, _flags, kind, handle, offset, length = struct.unpack(">IHHQQI",
                                                                    _recv(conn, 28))
        if magic != _REQUEST_MAGIC or length > _MAX_REQUEST:
            raise _Closed("bad request header")
        data = _recv(conn, length) if kind == _CMD_WRITE else b""
        if kind == _CMD_DISC:
            return False
        inside = offset + length <= self.size
        if kind == _CMD_READ and inside:
            _reply(conn, handle, 0, self._read(offset, length))
        elif kind == _CMD_WRITE and inside:
            self.pending.append((offset, data))
            self.writes += 1
            _reply(conn, handle, 0)
        elif kind == _CMD_FLUSH:
            _reply(conn, handle, self._flush())
        else:
            _reply(conn, handle, _EINVAL)  # outside the disk, or a command never offered
        return True

    def _read(self, offset, length):
        """Returns the bytes at @offset as the guest sees them: the image, then the cache."""
        with open(self.path, "rb") as f:
            f.seek(offset)
            data = bytearray(f.read(length))
        for at, chunk in self.pending:
            lo, hi = max(at, offset), min(at + len(chunk), offset + length)
            if lo < hi:
                data[lo - offset:hi - offset] = chunk[lo - at:hi - at]
        return bytes(data)

    def _flush(self):
        """Writes the cached blocks into the image, in order. Returns 0, or EIO."""
        try:
            with open(self.path, "r+b") as f:
                for at, chunk in self.pending:
                    f.seek(at)
                    f.write(chunk)
        except OSError:
            return _EIO
        self.pending = []
        self.flushes += 1
        return 0


def _recv(conn, n):
    """Returns exactly @n bytes from @conn; raises _Closed if it ends first."""
    data = bytearray()
    while len(data) < n:
        chunk = conn.recv(min(n - len(data), 1 << 20))
        if not chunk:
            raise _Closed()
        data += chunk
    return bytes(data)


def _option_reply(conn, option, kind, data=b""):
    """Sends one option reply of type @kind with @data."""
    conn.sendall(struct.pack(">QIII", _REPLY_MAGIC, option, kind, len(data)) + data)


def _reply(conn, handle, error, data=b""):
    """Sends one simple reply (NBD error number @error) for request @handle."""
    conn.sendall(struct.pack(">IIQ", _SIMPLE_REPLY, error, handle) + data)
