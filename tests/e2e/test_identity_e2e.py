#!/usr/bin/env python3
"""End to end: one identity for every role (issue 18, item 1; docs/protocol.md
"Device certificates" > "One identity for every role").

usage: test_identity_e2e.py [-v] WARD WARDD

A real wardd started with --root-pub (the manufacturer's root) and
--revocation-list; locks and flow D devices get their certificate chain
at `ward lock init` / `ward device init` (made on the spot with
--factory-key and --factory-cert, or given with --cert) and present it
where the activation went. Each refusal is checked by its effect on
wardd's database (the device is not registered, so nothing it signs is
believed) and the genuine one by a registration that works: a revoked
key (revoked while wardd runs: the list is re-read), an expired
certificate, a certificate of another role, a chain under another root,
an altered chain. Old activations by --factory-pub still register.
Standard library only.
"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wardlib  # noqa: E402
from wardlib import WardCli  # noqa: E402

# (CLI role, its id option); the certificate role has the CLI role's name
ROLES = (("lock", "--sn"), ("device", "--id"))


class IdentityTest(WardCli, unittest.TestCase):
    keys = None      # key pairs made once: they are not what is tested

    @classmethod
    def setUpClass(cls):
        if IdentityTest.keys is None:
            IdentityTest.keys = tempfile.TemporaryDirectory(prefix="ward-ident-keys-")
            for name in ("root", "root2", "fac", "fac2", "legacy"):
                subprocess.run([WardCli.binary, "factory", "keygen", "--out",
                                os.path.join(IdentityTest.keys.name, name)],
                               check=True, capture_output=True)

    def key(self, name):
        return os.path.join(IdentityTest.keys.name, name, "factory.key")

    def pub(self, name):
        return os.path.join(IdentityTest.keys.name, name, "factory.pub")

    def setUp(self):
        self.make_root("ward-ident-e2e-")
        # The factory certificates: fac under root, fac2 under root2.
        self.fac_cert = self.path("fac.cert")
        self.ward_ok("factory", "cert", "--key", self.key("root"), "--role", "factory",
                     "--id", "factory-a", "--pub", self.pub("fac"), "--out", self.fac_cert)
        self.fac2_cert = self.path("fac2.cert")
        self.ward_ok("factory", "cert", "--key", self.key("root2"), "--role", "factory",
                     "--id", "factory-b", "--pub", self.pub("fac2"), "--out", self.fac2_cert)
        self.list = self.path("revoked.list")
        self.ward_ok("factory", "revoke", "--key", self.key("root"), "--list", self.list)
        # wardd: the root, the list, and (migration) the legacy factory key
        # as --factory-pub (wardlib passes root/factory.pub).
        os.makedirs(self.path("factory"))
        for f in ("factory.key", "factory.pub"):
            with open(os.path.join(IdentityTest.keys.name, "legacy", f)) as src, \
                    open(self.path("factory", f), "w") as dst:
                dst.write(src.read())
        with open(self.pub("legacy")) as src, open(self.path("factory.pub"), "w") as dst:
            dst.write(src.read())
        self.wardd = wardlib.Wardd(self.root, WardCli.wardd_binary,
                                   ["--root-pub", self.pub("root"),
                                    "--revocation-list", self.list])
        self.wardd.start()
        self.url = self.wardd.url

    def tearDown(self):
        self.clean_up()

    # -- helpers --

    def registered(self, name):
        db = sqlite3.connect(self.path("wardd.db"))
        try:
            return db.execute("SELECT count(*) FROM locks WHERE sn = ?", (name,)).fetchone()[0]
        finally:
            db.close()

    def init(self, role, opt, name, *extra):
        return self.ward(role, "init", "--dir", self.path(name), opt, name,
                         "--server", self.url, *extra)

    def keyed(self, role, opt, name):
        """A device whose key exists (--no-activate) and is not registered:
        its identity.pub is what the factory certifies."""
        rc, out, err = self.init(role, opt, name, "--no-activate")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.registered(name), 0)
        return self.path(name, "identity.pub")

    def certify(self, cert_role, name, pub, fac="fac", fac_cert=None, *extra):
        out = self.path(name + ".chain")
        self.ward_ok("factory", "cert", "--key", self.key(fac), "--issuer-cert",
                     fac_cert or self.fac_cert, "--role", cert_role, "--id", name,
                     "--pub", pub, "--out", out, *extra)
        return out

    def accepted(self, role, opt, name, chain):
        rc, out, err = self.init(role, opt, name, "--cert", chain)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.registered(name), 1)

    def refused(self, role, opt, name, chain):
        rc, out, err = self.init(role, opt, name, "--cert", chain)
        self.assertNotEqual(rc, 0, out + err)
        self.assert_no_sanitizer_report(err)
        self.assertEqual(self.registered(name), 0, "wardd registered a refused " + name)

    # -- the genuine ones --

    def test_made_on_the_spot_registers_and_binds(self):
        lock = self.path("LOCK-GOOD")
        self.ward_ok("lock", "init", "--dir", lock, "--sn", "LOCK-GOOD", "--server", self.url,
                     "--factory-key", self.key("fac"), "--factory-cert", self.fac_cert)
        self.assertEqual(self.registered("LOCK-GOOD"), 1)
        with open(os.path.join(lock, "identity.chain"), "rb") as f:
            chain = f.read()
        self.assertGreater(len(chain), 234)         # factory's certificate, then the lock's
        self.assertLessEqual(len(chain), 296)
        # The lock's requests are believed: an app binds it.
        app = self.register(("alice", "+8613800000001"))
        self.bind_first(("alice", "+8613800000001"), app, lock)
        self.ward_ok("device", "init", "--dir", self.path("DEV-GOOD"), "--id", "DEV-GOOD",
                     "--server", self.url, "--factory-key", self.key("fac"),
                     "--factory-cert", self.fac_cert)
        self.assertEqual(self.registered("DEV-GOOD"), 1)

    def test_cert_given_registers(self):
        for role, opt in ROLES:
            name = role.upper() + "-GIVEN"
            self.accepted(role, opt, name, self.certify(role, name,
                                                        self.keyed(role, opt, name)))

    def test_old_activation_still_registers(self):
        for role, opt in ROLES:
            name = role.upper() + "-OLD"
            rc, out, err = self.init(role, opt, name, "--factory-key", self.key("legacy"))
            self.assertEqual(rc, 0, out + err)
            self.assertEqual(self.registered(name), 1)

    # -- the refusals --

    def test_revoked_refused(self):
        for role, opt in ROLES:
            name = role.upper() + "-REVOKED"
            chain = self.certify(role, name, self.keyed(role, opt, name))
            # Revoked while wardd runs: it reads the new list.
            self.ward_ok("factory", "revoke", "--key", self.key("root"), "--list", self.list,
                         "--cert", chain)
            self.refused(role, opt, name, chain)
        # A whole factory revoked: every device it certified.
        name = "LOCK-FACREV"
        chain = self.certify("lock", name, self.keyed("lock", "--sn", name))
        self.ward_ok("factory", "revoke", "--key", self.key("root"), "--list", self.list,
                     "--pub", self.pub("fac"))
        self.refused("lock", "--sn", name, chain)

    def test_expired_refused(self):
        for role, opt in ROLES:
            name = role.upper() + "-EXPIRED"
            chain = self.certify(role, name, self.keyed(role, opt, name), "fac", None,
                                 "--issued", "1600000000", "--expires", "1600086400")
            self.refused(role, opt, name, chain)

    def test_wrong_role_refused(self):
        for role, opt in ROLES:
            name = role.upper() + "-ROLE"
            chain = self.certify("gateway", name, self.keyed(role, opt, name))
            self.refused(role, opt, name, chain)

    def test_other_root_refused(self):
        for role, opt in ROLES:
            name = role.upper() + "-ROOT2"
            chain = self.certify(role, name, self.keyed(role, opt, name), "fac2",
                                 self.fac2_cert)
            self.refused(role, opt, name, chain)

    def test_altered_chain_refused(self):
        for role, opt in ROLES:
            name = role.upper() + "-ALTERED"
            chain = self.certify(role, name, self.keyed(role, opt, name))
            with open(chain, "rb") as f:
                b = bytearray(f.read())
            # The device's signature, its issue time, its issuer key id.
            for i, what in ((len(b) - 1, "sig"), (len(b) - 77, "issued"),
                            (len(b) - 70, "issuer")):
                bad = bytearray(b)
                bad[i] ^= 0x01
                path = self.path("%s-%s.chain" % (name, what))
                with open(path, "wb") as f:
                    f.write(bad)
                self.refused(role, opt, name, path)
            # The factory's certificate altered (its issue time's last byte).
            bad = bytearray(b)
            bad[3 + b[2] + 33 + 3] ^= 0x01
            path = self.path(name + "-fac.chain")
            with open(path, "wb") as f:
                f.write(bad)
            self.refused(role, opt, name, path)

    def test_chain_of_another_key_not_presented(self):
        # The holder's own check: a chain naming another key is not kept.
        self.keyed("lock", "--sn", "LOCK-MINE")
        other = self.certify("lock", "LOCK-MINE", self.pub("fac2"))
        self.refused("lock", "--sn", "LOCK-MINE", other)
        self.assertFalse(os.path.exists(self.path("LOCK-MINE", "identity.chain")))


if __name__ == "__main__":
    wardlib.main_args(__doc__)
    wardlib.run_tests()
