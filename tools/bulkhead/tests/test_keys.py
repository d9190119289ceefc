"""Tests of `bulkhead keys` (keys.py): the files, their modes, subjects and dates, the refusal
to overwrite, the `keys` boot module and the test run's refused clients.

Needs openssl on the PATH (a package `bulkhead test` installs).
"""

import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

from bulkhead import keys
from bulkhead.util import Failure


def _x509(path, *fields):
    """Returns `openssl x509 -noout FIELDS` of the certificate at @path."""
    return subprocess.run(["openssl", "x509", "-in", path, "-noout"] + list(fields),
                          capture_output=True, text=True, check=True).stdout


def _verifies(ca, cert):
    """True if openssl accepts @cert as issued by @ca today."""
    return subprocess.run(["openssl", "verify", "-CAfile", ca, cert],
                          capture_output=True, check=False).returncode == 0


class KeysTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="bulkhead-test-keys-")
        cls.keydir = os.path.join(cls.dir, "keys")
        cls.written = keys.make(cls.keydir, refused=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.keydir, name)

    def test_every_file_is_written_keys_private(self):
        names = sorted(os.path.basename(p) for p in self.written)
        want = sorted(keys._files(keys.NAMES + keys.TEST_ONLY) + ["foreign-ca.crt"])
        self.assertEqual(names, want)
        for path in self.written:
            mode = stat.S_IMODE(os.stat(path).st_mode)
            self.assertEqual(mode, 0o600 if path.endswith(".key") else 0o644, path)
        self.assertEqual(stat.S_IMODE(os.stat(self.keydir).st_mode), 0o700)

    def test_subjects_and_roles(self):
        self.assertIn("CN = bulkhead", _x509(self.path("server.crt"), "-subject"))
        for role in keys.ROLES:
            self.assertIn("OU = %s, CN = %s" % (role, role),
                          _x509(self.path(role + ".crt"), "-subject"))

    def test_server_names_and_ec_p256(self):
        text = _x509(self.path("server.crt"), "-text")
        self.assertIn("IP Address:127.0.0.1", text)
        self.assertIn("DNS:localhost", text)
        self.assertIn("NIST CURVE: P-256", text)

    def test_valid_ten_years_from_2020(self):
        dates = _x509(self.path("admin.crt"), "-dates")
        self.assertIn("notBefore=Jan  1 00:00:00 2020 GMT", dates)
        self.assertIn("notAfter=Jan  1 00:00:00 2030 GMT", dates)

    def test_issued_by_the_ca_and_refused_ones_are_not(self):
        ca = self.path("ca.crt")
        for name in ("server",) + keys.ROLES:
            self.assertTrue(_verifies(ca, self.path(name + ".crt")), name)
        self.assertFalse(_verifies(ca, self.path("foreign.crt")))
        self.assertFalse(_verifies(ca, self.path("expired.crt")))
        self.assertTrue(_verifies(self.path("foreign-ca.crt"), self.path("foreign.crt")))
        self.assertIn("notAfter=Jan  1 00:00:00 2011 GMT", _x509(self.path("expired.crt"),
                                                                "-dates"))

    def test_refuses_to_overwrite_without_force(self):
        before = open(self.path("ca.crt"), "rb").read()
        with self.assertRaisesRegex(Failure, "already holds ca.crt.*--force"):
            keys.make(self.keydir)
        self.assertEqual(open(self.path("ca.crt"), "rb").read(), before)

    def test_force_replaces(self):
        other = os.path.join(self.dir, "forced")
        keys.make(other)
        before = open(os.path.join(other, "ca.crt"), "rb").read()
        keys.make(other, force=True)
        self.assertNotEqual(open(os.path.join(other, "ca.crt"), "rb").read(), before)

    def test_module_is_server_cert_key_then_ca_never_the_ca_key(self):
        data = keys.module_bytes(self.keydir).decode("ascii")
        labels = re.findall(r"-----BEGIN ([A-Z ]+)-----", data)
        self.assertEqual(labels, ["CERTIFICATE", "PRIVATE KEY", "CERTIFICATE"])
        self.assertTrue(data.startswith(open(self.path("server.crt")).read()))
        self.assertTrue(data.endswith(open(self.path("ca.crt")).read()))
        self.assertNotIn(open(self.path("ca.key")).read(), data)

    def test_module_without_keys_says_run_keys(self):
        with self.assertRaisesRegex(Failure, r"no server\.crt in .*run `bulkhead keys` first"):
            keys.module_bytes(os.path.join(self.dir, "empty"))

    def test_default_dir_from_the_environment(self):
        saved = os.environ.get(keys.ENV)
        try:
            os.environ[keys.ENV] = self.keydir
            self.assertEqual(keys.default_dir(), self.keydir)
            del os.environ[keys.ENV]
            self.assertTrue(keys.default_dir().endswith(os.path.join(".bulkhead", "keys")))
        finally:
            if saved is not None:
                os.environ[keys.ENV] = saved

    def test_keyset_names_client_files(self):
        ks = keys.KeySet(self.keydir)
        self.assertIsNone(ks.client("none"))
        self.assertEqual(ks.client("expired"), (self.path("expired.crt"),
                                                self.path("expired.key")))
        with self.assertRaises(ValueError):
            ks.client("root")


if __name__ == "__main__":
    unittest.main()
