"""`bulkhead keys`: the CA, server and client certificates of the management API, and the
`keys` boot module made from them (docs/tls.md).

Every key is EC P-256 and every certificate is valid from 2020-01-01 for ten years (so a
machine whose clock says 2024-01-01, as the bench's does, accepts them). The files of a keys
directory (default ~/.bulkhead/keys, or $BULKHEAD_KEYS; `--dir` wins over both):

    ca.crt, ca.key              the CA (self-signed); ca.key never leaves this directory
    server.crt, server.key      CN bulkhead, SAN IP:127.0.0.1 and DNS:localhost
    admin.crt, admin.key        CN admin, OU admin: one client per role
    operator.crt, operator.key  CN operator, OU operator
    reader.crt, reader.key      CN reader, OU reader

The boot module `keys` is server.crt, server.key and ca.crt, in that order, as PEM
(module_bytes). System tests use a fresh directory per test run, build/test-keys
(test_keys()), which also holds two clients that must be refused: foreign.crt/.key (a
certificate from another CA, foreign-ca.crt) and expired.crt/.key (from the right CA,
valid only in 2010).
"""

import os
import shutil
import subprocess
import tempfile
import threading

from .util import BUILD, Failure, makedirs, rel

ENV = "BULKHEAD_KEYS"
START, END = "20200101000000Z", "20300101000000Z"
EXPIRED_START, EXPIRED_END = "20100101000000Z", "20110101000000Z"
ROLES = ("admin", "operator", "reader")
# What `bulkhead keys` writes, in order; each NAME is NAME.crt and NAME.key.
NAMES = ("ca", "server") + ROLES
TEST_ONLY = ("foreign", "expired")
MODULE = "keys"  # the boot module's name, as a manifest's <region module="keys"> asks for it

_CONFIG = """\
[ca]
default_ca = bh
[bh]
database = {db}/index.txt
new_certs_dir = {db}
rand_serial = yes
default_md = sha256
policy = names
unique_subject = no
preserve = yes
email_in_dn = no
copy_extensions = none
[names]
organizationalUnitName = optional
commonName = supplied
[ext_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ext_server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[ext_client]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
"""


def default_dir():
    """Returns the keys directory when none is given: $BULKHEAD_KEYS, else ~/.bulkhead/keys."""
    return os.path.abspath(os.environ.get(ENV) or
                           os.path.join(os.path.expanduser("~"), ".bulkhead", "keys"))


def _openssl(argv, cwd):
    """Runs `openssl ARGV...` in @cwd. Raises Failure with its output if it fails."""
    try:
        proc = subprocess.run(["openssl"] + argv, cwd=cwd, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, check=False)
    except OSError as err:
        raise Failure("cannot run openssl (%s): install it with `apt-get install openssl`"
                      % err.strerror)
    if proc.returncode != 0:
        raise Failure("openssl %s failed (exit status %d):\n%s" % (
            argv[0], proc.returncode, (proc.stderr or proc.stdout).strip()))


class _Signer:
    """One CA (CN @title) at work in a scratch directory @work: its key @name.key, its
    certificate @name.crt and its database."""

    def __init__(self, work, name, title):
        self.work = makedirs(os.path.join(work, name + "-db"))
        self.config = os.path.join(self.work, "openssl.cnf")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(_CONFIG.format(db=self.work))
        open(os.path.join(self.work, "index.txt"), "w", encoding="utf-8").close()
        self.key = _new_key(work, name)
        self.crt = os.path.join(work, name + ".crt")
        self.sign(name, "/CN=" + title, "ext_ca", self_sign=True)

    def sign(self, name, subject, extensions, dates=(START, END), self_sign=False):
        """Makes @name.crt in the scratch directory: @subject, signed by this CA (or by
        @name.key itself if @self_sign), valid @dates, with @extensions (a config section)."""
        work = os.path.dirname(self.work)
        key = os.path.join(work, name + ".key")
        csr = os.path.join(self.work, name + ".csr")
        _openssl(["req", "-new", "-key", key, "-subj", subject, "-out", csr], work)
        argv = ["ca", "-batch", "-notext", "-config", self.config, "-extensions", extensions,
                "-startdate", dates[0], "-enddate", dates[1], "-in", csr,
                "-out", os.path.join(work, name + ".crt")]
        argv += ["-selfsign", "-keyfile", key] if self_sign else ["-cert", self.crt,
                                                                   "-keyfile", self.key]
        _openssl(argv, work)


def _new_key(work, name):
    """Writes a fresh EC P-256 key (PKCS#8 PEM) to @work/@name.key. Returns its path."""
    path = os.path.join(work, name + ".key")
    _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
              "-out", path], work)
    return path


def _issue(ca, name, subject, extensions, dates=(START, END)):
    """A new key @name.key and its certificate @name.crt from @ca (a _Signer)."""
    _new_key(os.path.dirname(ca.work), name)
    ca.sign(name, subject, extensions, dates)


def _make_in(work, refused):
    """Makes every file of NAMES (and with @refused, TEST_ONLY and foreign-ca.crt) in the
    scratch directory @work."""
    ca = _Signer(work, "ca", "Bulkhead CA")
    _issue(ca, "server", "/CN=bulkhead", "ext_server")
    for role in ROLES:
        _issue(ca, role, "/OU=%s/CN=%s" % (role, role), "ext_client")
    if refused:
        _issue(ca, "expired", "/OU=admin/CN=expired", "ext_client",
               (EXPIRED_START, EXPIRED_END))
        foreign = _Signer(work, "foreign-ca", "Another CA")
        _issue(foreign, "foreign", "/OU=admin/CN=foreign", "ext_client")


def _files(names):
    """Returns the file names of @names: NAME.crt and NAME.key each."""
    return [name + ext for name in names for ext in (".crt", ".key")]


def make(directory, force=False, refused=False):
    """Writes a new CA, server and client certificates and keys into @directory (created
    0700 if missing); keys are 0600, certificates 0644. With @refused also the test-only
    foreign.* (another CA: foreign-ca.crt) and expired.* files.

    Needs: openssl on the PATH. Refuses (Failure) to replace any existing file unless
    @force. Returns: the paths written, in order.
    """
    names = NAMES + (TEST_ONLY if refused else ())
    wanted = _files(names) + (["foreign-ca.crt"] if refused else [])
    present = [f for f in wanted if os.path.exists(os.path.join(directory, f))]
    if present and not force:
        raise Failure("%s already holds %s: give --force to replace them" % (
            rel(directory), ", ".join(present)))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bulkhead-keys-")
    try:
        _make_in(work, refused)
        return [_install(work, directory, f) for f in wanted]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _install(work, directory, name):
    """Copies @work/@name to @directory with its mode (0600 for a key). Returns the path."""
    path = os.path.join(directory, name)
    if os.path.exists(path):
        os.unlink(path)
    mode = 0o600 if name.endswith(".key") else 0o644
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out, open(os.path.join(work, name), "rb") as src:
        out.write(src.read())
    os.chmod(path, mode)
    return path


def module_bytes(directory):
    """Returns the `keys` boot module of @directory: server.crt, server.key, ca.crt.

    Raises Failure naming the missing file and saying to run `bulkhead keys` first.
    """
    parts = []
    for name in ("server.crt", "server.key", "ca.crt"):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            raise Failure("no %s in %s: run `bulkhead keys` first (or give --keys DIR, or set "
                          "$%s)" % (name, rel(directory), ENV))
        with open(path, "rb") as f:
            data = f.read()
        parts.append(data if data.endswith(b"\n") else data + b"\n")
    return b"".join(parts)


def write_module(directory, workdir):
    """Writes the `keys` module of @directory to @workdir/keys.pem. Returns its path.
    Raises Failure as module_bytes() does."""
    path = os.path.join(workdir, "keys.pem")
    with open(path, "wb") as f:
        f.write(module_bytes(directory))
    return path


class KeySet:
    """The files of a keys directory @directory, by name."""

    def __init__(self, directory):
        self.dir = directory
        self.ca = os.path.join(directory, "ca.crt")

    def cert(self, name):
        """Returns the path of @name.crt (admin, operator, reader, foreign, expired, server)."""
        return os.path.join(self.dir, name + ".crt")

    def key(self, name):
        """Returns the path of @name.key."""
        return os.path.join(self.dir, name + ".key")

    def client(self, name):
        """Returns (certificate, key) of client @name, or None for `none` (no certificate).
        Raises ValueError for a name that is neither a role nor a test-only client."""
        if name == "none":
            return None
        if name not in ROLES + TEST_ONLY:
            raise ValueError("unknown client certificate %r (none, %s)" % (
                name, ", ".join(ROLES + TEST_ONLY)))
        return self.cert(name), self.key(name)


TEST_DIR = os.path.join(BUILD, "test-keys")
_test_lock = threading.Lock()
_test_made = []


def test_keys():
    """Returns the KeySet of this test run: build/test-keys, made afresh (with the refused
    clients foreign and expired) the first time a process asks, then reused by every test
    of the run. Host directives find the client files through it (KeySet.client).
    Raises Failure if openssl fails."""
    with _test_lock:
        if not _test_made:
            shutil.rmtree(TEST_DIR, ignore_errors=True)
            make(TEST_DIR, force=True, refused=True)
            _test_made.append(TEST_DIR)
    return KeySet(TEST_DIR)
