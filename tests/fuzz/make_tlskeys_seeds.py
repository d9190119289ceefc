#!/usr/bin/env python3
"""Writes the seeds of the `tlskeys` fuzz target (fuzz_tlskeys.c): keys modules made with
`bulkhead keys` (tools/bulkhead/keys.py) in a scratch directory, with THROWAWAY keys that
nothing trusts: the module as `bulkhead run` writes it, the same with an "EC PRIVATE KEY",
with an intermediate-looking second certificate, without the CA, with two keys, and with a
client certificate last (not a CA).
Usage: make_tlskeys_seeds.py CORPUS_DIRECTORY   (writes CORPUS_DIRECTORY/tlskeys)
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from bulkhead import keys  # noqa: E402  (the path is set just above)

SEEDS = {
    "module": ["server.crt", "server.key", "ca.crt"],
    "module-ec-key": ["server.crt", "server-ec.key", "ca.crt"],
    "chain-of-two": ["server.crt", "admin.crt", "server.key", "ca.crt"],
    "no-ca": ["server.crt", "server.key"],
    "two-keys": ["server.crt", "server.key", "admin.key", "ca.crt"],
    "not-a-ca": ["server.crt", "server.key", "admin.crt"],
}


def main(corpus):
    work = tempfile.mkdtemp(prefix="tlskeys-seeds-")
    try:
        keys.make(work)
        subprocess.run(["openssl", "ec", "-in", "server.key", "-out", "server-ec.key"],
                       cwd=work, check=True, capture_output=True)
        out = os.path.join(corpus, "tlskeys")
        os.makedirs(out, exist_ok=True)
        for name, files in SEEDS.items():
            with open(os.path.join(out, name), "wb") as f:
                for part in files:
                    with open(os.path.join(work, part), "rb") as src:
                        f.write(src.read())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
