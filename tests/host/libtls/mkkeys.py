"""Makes the keys of the libtls host tests in OUTDIR: `bulkhead keys`' files with the refused
clients (tools/bulkhead/keys.py), plus server-ec.key (the server key as "EC PRIVATE KEY"),
p384.key (a key on another curve) and quote.crt/.key (a client whose CN and OU hold '"' and
'\\'). Usage: mkkeys.py TOOLSDIR OUTDIR STAMP."""

import os
import subprocess
import sys

sys.path.insert(0, sys.argv[1])
from bulkhead import keys  # noqa: E402  (the path is only known at run time)

out = os.path.abspath(sys.argv[2])
keys.make(out, force=True, refused=True)


def openssl(*argv):
    subprocess.run(["openssl"] + list(argv), cwd=out, check=True, capture_output=True)


openssl("ec", "-in", "server.key", "-out", "server-ec.key")
openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.key")
openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
        "quote.key")
openssl("req", "-new", "-key", "quote.key", "-subj", '/OU=ad"min/CN=qu\\\\ote', "-out",
        "quote.csr")
openssl("x509", "-req", "-in", "quote.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "3650", "-out", "quote.crt")
with open(sys.argv[3], "w", encoding="utf-8") as f:
    f.write(out + "\n")
