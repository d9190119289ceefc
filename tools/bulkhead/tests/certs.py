"""Test certificates made with openssl: a keys dir like `bulkhead keys` writes, plus refusals.

make_keys(DIR) writes ca.crt/ca.key, server.crt/.key (CN bulkhead, SAN IP:127.0.0.1 and
DNS:localhost), admin, operator and reader (CN and OU the role), nobody (OU guest: a role
the API does not know), foreign (OU admin, signed by another CA) and expired (OU admin,
valid 2020-01-01 to 2021-01-01), each NAME.crt and NAME.key. EC P-256 throughout.
"""

import os
import subprocess

CA_CONFIG = """[ca]
default_ca = ca_default
[ca_default]
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = policy_any
unique_subject = no
[policy_any]
commonName = supplied
organizationalUnitName = optional
[server_ext]
subjectAltName = IP:127.0.0.1, DNS:localhost
[client_ext]
extendedKeyUsage = clientAuth
"""

# The client certificates: name -> (CN, OU, signing CA, start, end).
CLIENTS = {
    "admin": ("admin", "admin", "ca", None, None),
    "operator": ("operator", "operator", "ca", None, None),
    "reader": ("reader", "reader", "ca", None, None),
    "nobody": ("nobody", "guest", "ca", None, None),
    "foreign": ("mallory", "admin", "other", None, None),
    "expired": ("old", "admin", "ca", "20200101000000Z", "20210101000000Z"),
}


def _openssl(args, cwd):
    """Runs openssl with @args in @cwd; raises RuntimeError with its output if it fails."""
    proc = subprocess.run(["openssl"] + args, cwd=cwd, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), proc.stderr))


def _ca(directory, name):
    """Writes a self-signed CA @name.crt/.key and its `openssl ca` database in @directory."""
    _openssl(["req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
              "-nodes", "-keyout", name + ".key", "-out", name + ".crt", "-days", "3650",
              "-subj", "/CN=%s test CA" % name], directory)
    db = os.path.join(directory, name + ".db")
    os.makedirs(db, exist_ok=True)
    open(os.path.join(db, "index.txt"), "w").close()
    with open(os.path.join(db, "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(db, "ca.cnf"), "w") as f:
        f.write(CA_CONFIG.format(dir=db))


def _leaf(directory, name, subject, ca, ext, dates=(None, None)):
    """Writes @name.key and @name.crt with @subject, signed by CA @ca with extensions @ext,
    valid between @dates (openssl times) or from now for ten years."""
    _openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
              "-keyout", name + ".key", "-out", name + ".csr", "-subj", subject], directory)
    start, end = dates
    when = ["-startdate", start, "-enddate", end] if start else ["-days", "3650"]
    _openssl(["ca", "-batch", "-notext", "-config", os.path.join(ca + ".db", "ca.cnf"),
              "-cert", ca + ".crt", "-keyfile", ca + ".key", "-extensions", ext,
              "-in", name + ".csr", "-out", name + ".crt"] + when, directory)
    os.unlink(os.path.join(directory, name + ".csr"))


def make_keys(directory):
    """Writes every certificate of this module's docstring into @directory. Returns it."""
    os.makedirs(directory, exist_ok=True)
    _ca(directory, "ca")
    _ca(directory, "other")
    _leaf(directory, "server", "/CN=bulkhead", "ca", "server_ext")
    for name, (cn, ou, ca, start, end) in CLIENTS.items():
        _leaf(directory, name, "/CN=%s/OU=%s" % (cn, ou), ca, "client_ext", (start, end))
    return directory


class KeySet:
    """The files of a keys dir by name, as keys.KeySet gives them to the host checks."""

    def __init__(self, directory):
        self.dir = directory
        self.ca = os.path.join(directory, "ca.crt")

    def client(self, name):
        """Returns (certificate, key) of client @name, or None for `none`."""
        if name == "none":
            return None
        return os.path.join(self.dir, name + ".crt"), os.path.join(self.dir, name + ".key")
