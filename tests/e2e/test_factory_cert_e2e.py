#!/usr/bin/env python3
"""End to end: device certificates through the real `ward factory cert`,
`revoke` and `check` (issue 18, item 1; docs/protocol.md "Device
certificates").

usage: test_factory_cert_e2e.py [-v] WARD WARDD

A root certifies a factory's key, the factory certifies a lock, and
`ward factory check` (the core's offline chain check, as a device runs
it) accepts the chain; then each refusal on the real files: another root,
the wrong role, past the expiry, revoked (the device's key, or its
factory's), a chain cut or altered, a third level, a list signed by
another key. With SoftHSM2 installed, the root's key lives in a PKCS#11
token. Standard library only.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wardlib  # noqa: E402
from wardlib import WardCli  # noqa: E402

NOW = "1800000000"
PIN = "1234"
MODULES = ("/usr/lib/softhsm/libsofthsm2.so",
           "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
           "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
           "/usr/local/lib/softhsm/libsofthsm2.so")


class CertTest(WardCli, unittest.TestCase):
    keys = None      # made once for every test: key pairs are not what is tested

    @classmethod
    def setUpClass(cls):
        if CertTest.keys is None:
            CertTest.keys = tempfile.TemporaryDirectory(prefix="ward-cert-keys-")
            for name in ("root", "root2", "fac", "fac2", "lock", "gw"):
                subprocess.run([WardCli.binary, "factory", "keygen", "--out",
                                os.path.join(CertTest.keys.name, name)],
                               check=True, capture_output=True)

    def setUp(self):
        self.make_root("ward-cert-e2e-")

    def tearDown(self):
        self.clean_up()

    def pub(self, name):
        return os.path.join(CertTest.keys.name, name, "factory.pub")

    def key(self, name):
        return os.path.join(CertTest.keys.name, name, "factory.key")

    def factory_cert(self, root="root", fac="fac", *extra):
        out = self.path(fac + ".cert")
        self.ward_ok("factory", "cert", "--key", self.key(root), "--role", "factory",
                     "--id", "factory-" + fac, "--pub", self.pub(fac), "--out", out, *extra)
        return out

    def lock_chain(self, fac_cert, fac="fac", *extra):
        out = self.path("lock.chain")
        self.ward_ok("factory", "cert", "--key", self.key(fac), "--issuer-cert", fac_cert,
                     "--role", "lock", "--id", "LOCK-0042", "--pub", self.pub("lock"),
                     "--issued", "1700000000", "--out", out, *extra)
        return out

    def check(self, chain, root="root", role="lock", *extra):
        return self.ward("factory", "check", "--root", self.pub(root), "--chain", chain,
                         "--role", role, "--now", NOW, *extra)

    def accepted(self, chain, *args):
        rc, out, err = self.check(chain, *args)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("certificate valid: lock LOCK-0042", out)

    def refused(self, chain, why, *args):
        rc, out, err = self.check(chain, *args)
        self.assertNotEqual(rc, 0, out + err)
        self.assertIn(why, err)
        self.assert_no_sanitizer_report(err)


class Chains(CertTest):
    def test_two_level_chain_accepted_and_sized(self):
        chain = self.lock_chain(self.factory_cert())
        self.accepted(chain)
        size = os.path.getsize(chain)
        fac = os.path.getsize(self.path("fac.cert"))
        self.assertEqual(fac, 116 + len("factory-fac"))
        self.assertEqual(size - fac, 116 + len("LOCK-0042"))
        # The root may also certify a device directly.
        direct = self.path("gw.cert")
        self.ward_ok("factory", "cert", "--key", self.key("root"), "--role", "gateway",
                     "--id", "0123456789abcdef0123456789abcdef", "--pub", self.pub("gw"),
                     "--out", direct)
        self.assertLessEqual(os.path.getsize(direct), 150)
        rc, out, err = self.check(direct, "root", "gateway")
        self.assertEqual(rc, 0, err)

    def test_wrong_root_refused(self):
        chain = self.lock_chain(self.factory_cert())
        self.refused(chain, "not issued under this root", "root2")
        # A factory certified by another root, presented to this one.
        chain2 = self.lock_chain(self.factory_cert("root2"))
        self.refused(chain2, "not issued under this root")

    def test_role_mismatch_refused(self):
        chain = self.lock_chain(self.factory_cert())
        self.refused(chain, "wrong role", "root", "gateway")
        # The factory's certificate alone is no lock's.
        self.refused(self.path("fac.cert"), "wrong role")

    def test_expired_refused(self):
        chain = self.lock_chain(self.factory_cert(), "fac", "--days", "30")
        rc, out, err = self.ward("factory", "check", "--root", self.pub("root"), "--chain",
                                 chain, "--role", "lock", "--now", "1700000100")
        self.assertEqual(rc, 0, err)
        self.refused(chain, "expired")

    def test_chain_too_long_refused(self):
        # root -> fac -> fac2 (a factory certifying a factory) -> lock.
        f1 = self.factory_cert()
        f2 = self.path("fac2.cert")
        self.ward_ok("factory", "cert", "--key", self.key("fac"), "--role", "factory",
                     "--id", "factory-2", "--pub", self.pub("fac2"), "--out", f2)
        lock = self.path("lock2.cert")
        self.ward_ok("factory", "cert", "--key", self.key("fac2"), "--role", "lock",
                     "--id", "LOCK-0042", "--pub", self.pub("lock"), "--out", lock)
        three = self.path("three.chain")
        with open(three, "wb") as out:
            for p in (f1, f2, lock):
                with open(p, "rb") as f:
                    out.write(f.read())
        self.refused(three, "longer than factory and device")
        two = self.path("two.chain")
        with open(two, "wb") as out:
            for p in (f2, lock):
                with open(p, "rb") as f:
                    out.write(f.read())
        self.refused(two, "not issued under this root")

    def test_cut_or_altered_refused(self):
        chain = self.lock_chain(self.factory_cert())
        with open(chain, "rb") as f:
            good = f.read()
        bad = self.path("bad.chain")
        for cut in (1, 64, len(good) - 1):
            with open(bad, "wb") as f:
                f.write(good[:cut])
            self.refused(bad, "refused")
        for at in (1, 20, len(good) - 80, len(good) - 1):
            b = bytearray(good)
            b[at] ^= 0x01
            with open(bad, "wb") as f:
                f.write(bytes(b))
            self.refused(bad, "refused")
        self.accepted(chain)

    def test_issuer_cert_of_another_key_refused(self):
        fac_cert = self.factory_cert()
        out = self.path("x.chain")
        self.ward_fails("factory", "cert", "--key", self.key("fac2"), "--issuer-cert", fac_cert,
                        "--role", "lock", "--id", "LOCK-1", "--pub", self.pub("lock"),
                        "--out", out, expect="certifies another key")
        self.assertFalse(os.path.exists(out))


class Revocation(CertTest):
    def test_revoked_device_and_factory_refused(self):
        chain = self.lock_chain(self.factory_cert())
        crl = self.path("crl.bin")
        self.ward_ok("factory", "revoke", "--key", self.key("root"), "--list", crl)
        self.accepted(chain, "root", "lock", "--list", crl)
        with open(crl, "rb") as f:
            first = f.read()
        self.ward_ok("factory", "revoke", "--key", self.key("root"), "--list", crl,
                     "--cert", chain)
        self.refused(chain, "revoked", "root", "lock", "--list", crl)
        # Only the lock's key: another lock of the same factory still passes.
        other = self.path("gw.chain")
        self.ward_ok("factory", "cert", "--key", self.key("fac"), "--issuer-cert",
                     self.path("fac.cert"), "--role", "gateway", "--id", "gw-1",
                     "--pub", self.pub("gw"), "--out", other)
        rc, out, err = self.check(other, "root", "gateway", "--list", crl)
        self.assertEqual(rc, 0, err)
        # The factory's key: every device it certified falls.
        self.ward_ok("factory", "revoke", "--key", self.key("root"), "--list", crl,
                     "--pub", self.pub("fac"))
        self.refused(other, "revoked", "root", "gateway", "--list", crl)
        with open(crl, "rb") as f:
            now = f.read()
        self.assertEqual(int.from_bytes(first[9:13], "big"), 1)
        self.assertEqual(int.from_bytes(now[9:13], "big"), 3)
        self.assertEqual(int.from_bytes(now[17:19], "big"), 2)

    def test_list_of_another_key_is_not_extended(self):
        crl = self.path("crl.bin")
        self.ward_ok("factory", "revoke", "--key", self.key("root2"), "--list", crl,
                     "--pub", self.pub("lock"))
        with open(crl, "rb") as f:
            before = f.read()
        self.ward_fails("factory", "revoke", "--key", self.key("root"), "--list", crl,
                        "--pub", self.pub("gw"), expect="not a revocation list signed by")
        with open(crl, "rb") as f:
            self.assertEqual(f.read(), before)
        # And a device holding root's key does not take it as root's list.
        chain = self.lock_chain(self.factory_cert())
        self.refused(chain, "not a revocation list of this root", "root", "lock",
                     "--list", crl)


def softhsm_module():
    for m in MODULES:
        if os.path.exists(m):
            return m
    return None


class RootInToken(CertTest):
    def test_root_key_in_pkcs11_token_certifies_and_revokes(self):
        module = softhsm_module()
        if module is None or shutil.which("softhsm2-util") is None:
            self.skipTest("SKIP: softhsm2 is not installed (scripts/deps.sh installs it)")
        tokens = self.path("tokens")
        os.mkdir(tokens)
        conf = self.path("softhsm2.conf")
        with open(conf, "w") as f:
            f.write("directories.tokendir = %s\nobjectstore.backend = file\n"
                    "log.level = ERROR\n" % tokens)
        old = os.environ.get("SOFTHSM2_CONF")
        os.environ["SOFTHSM2_CONF"] = conf
        try:
            subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "ward",
                            "--pin", PIN, "--so-pin", "5678"], check=True, capture_output=True)
            uri = "pkcs11:token=ward;object=root?module-path=%s&pin-value=%s" % (module, PIN)
            self.ward_ok("factory", "keygen", "--out", self.path("hsmroot"), "--keystore", uri)
            fac = self.path("fac.cert")
            self.ward_ok("factory", "cert", "--key", uri, "--role", "factory", "--id", "f-hsm",
                         "--pub", self.pub("fac"), "--out", fac)
            chain = self.lock_chain(fac)
            rc, out, err = self.ward("factory", "check", "--root",
                                     self.path("hsmroot", "factory.pub"), "--chain", chain,
                                     "--role", "lock", "--now", NOW)
            self.assertEqual(rc, 0, err)
            crl = self.path("crl.bin")
            self.ward_ok("factory", "revoke", "--key", uri, "--list", crl, "--cert", chain)
            rc, out, err = self.ward("factory", "check", "--root",
                                     self.path("hsmroot", "factory.pub"), "--chain", chain,
                                     "--role", "lock", "--now", NOW, "--list", crl)
            self.assertNotEqual(rc, 0)
            self.assertIn("revoked", err)
        finally:
            if old is None:
                os.environ.pop("SOFTHSM2_CONF", None)
            else:
                os.environ["SOFTHSM2_CONF"] = old


if __name__ == "__main__":
    wardlib.main_args(__doc__)
    wardlib.run_tests()
