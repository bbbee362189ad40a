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
The same refusals for a sub-device's JOIN at the real gateway (`ward
gateway run --sub-root --sub-list`), asserted on the gateway's table, a
genuine sub-device joining in the same window. Standard library only.
"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_gw_sub_e2e  # noqa: E402
import wardlib  # noqa: E402
from test_subdevice_e2e import Lines  # noqa: E402
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


class SubDeviceIdentity(test_gw_sub_e2e.GatewaySubDevices):
    """The sub-device's JOIN at the real gateway (`ward gateway run
    --sub-root --sub-list`, provisioned for real): chains checked by the
    gateway, the effect asserted on its table (G/subdevices.bin)."""

    @classmethod
    def _provision(cls):
        root = cls.root
        for name in ("root", "root2", "fac", "fac2"):
            cls.ok_cls("factory", "keygen", "--out", os.path.join(root, name))
        cls.fac_cert = os.path.join(root, "fac.cert")
        cls.ok_cls("factory", "cert", "--key", os.path.join(root, "root", "factory.key"),
                   "--role", "factory", "--id", "factory-a", "--pub",
                   os.path.join(root, "fac", "factory.pub"), "--out", cls.fac_cert)
        cls.fac2_cert = os.path.join(root, "fac2.cert")
        cls.ok_cls("factory", "cert", "--key", os.path.join(root, "root2", "factory.key"),
                   "--role", "factory", "--id", "factory-b", "--pub",
                   os.path.join(root, "fac2", "factory.pub"), "--out", cls.fac2_cert)
        # A sub-device revoked before the gateway starts: the list it is given.
        cls.list = os.path.join(root, "revoked.list")
        cls.revoked = os.path.join(root, "sub-revoked")
        cls.ok_cls("subdevice", "init", "--dir", cls.revoked, "--no-activate")
        cls.revoked_chain = cls.certify_cls(cls.revoked, "subdevice")
        cls.ok_cls("factory", "revoke", "--key", os.path.join(root, "root", "factory.key"),
                   "--list", cls.list, "--cert", cls.revoked_chain)
        super()._provision()

    @classmethod
    def start_gateway(cls):
        cls.gw = Lines([test_gw_sub_e2e.WARD, "gateway", "run", "--dir", cls.g, "--wifi",
                        cls.wifi, "--udp-port", str(cls.udp), "--heartbeat", "2",
                        "--sub-port", str(cls.sub_port),
                        "--sub-factory", os.path.join(cls.root, "factory", "factory.pub"),
                        "--sub-root", os.path.join(cls.root, "root", "factory.pub"),
                        "--sub-list", cls.list], cls.root)
        cls.gw.wait_for(r"^listening: udp")
        cls.gw_errs = getattr(cls, "gw_errs", [])

    @classmethod
    def certify_cls(cls, d, role, fac="fac", fac_cert=None, *extra):
        with open(os.path.join(d, "id")) as f:
            sid = f.read().strip()
        out = d + ".chain"
        cls.ok_cls("factory", "cert", "--key", os.path.join(cls.root, fac, "factory.key"),
                   "--issuer-cert", fac_cert or cls.fac_cert, "--role", role, "--id", sid,
                   "--pub", os.path.join(d, "identity.pub"), "--out", out, *extra)
        return out

    def keyed(self, name):
        d = os.path.join(self.root, "%s-%s" % (self._testMethodName, name))
        self.dirs.append(d)
        self.ok("subdevice", "init", "--dir", d, "--no-activate")
        with open(os.path.join(d, "id")) as f:
            return f.read().strip(), d

    def refused_then_genuine(self, sid, d):
        """d's JOIN is refused in an open window (it keeps no key, the
        gateway's table does not list it); a genuine sub-device with a chain
        made on the spot joins in the same window."""
        x = self.run_sub(d, None, "--join-wait", "5")
        x.wait_for("waiting for the gateway's join window")
        self.open_window(30, 3)
        self.assertEqual(x.p.wait(timeout=20), 1)
        self.assertFalse(os.path.exists(os.path.join(d, "subkey")))
        self.assertNotIn(sid, self.table())
        g = os.path.join(self.root, "%s-genuine" % self._testMethodName)
        self.dirs.append(g)
        out = self.ok("subdevice", "init", "--dir", g, "--factory-key",
                      os.path.join(self.root, "fac", "factory.key"), "--factory-cert",
                      self.fac_cert)
        gsid = out.split()[1].rstrip(":")
        p = self.run_sub(g)
        p.wait_for("channel open")
        self.through(p, "genuine")
        self.assertIn(gsid, self.table())

    # The class's own tests (test_ident_*: load_tests leaves the inherited
    # ones to test_gw_sub_e2e).

    def test_ident_sub_cert_given_joins(self):
        sid, d = self.keyed("given")
        self.ok("subdevice", "init", "--dir", d, "--cert", self.certify_cls(d, "subdevice"))
        p = self.run_sub(d)
        p.wait_for("waiting for the gateway's join window")
        self.open_window()
        p.wait_for("channel open")
        self.through(p, "certified")
        self.assertIn(sid, self.table())

    def test_ident_sub_revoked_refused(self):
        with open(os.path.join(self.revoked, "id")) as f:
            sid = f.read().strip()
        self.ok("subdevice", "init", "--dir", self.revoked, "--cert", self.revoked_chain)
        self.refused_then_genuine(sid, self.revoked)

    def test_ident_sub_expired_refused(self):
        sid, d = self.keyed("expired")
        self.ok("subdevice", "init", "--dir", d, "--cert",
                self.certify_cls(d, "subdevice", "fac", None, "--issued", "1600000000",
                                 "--expires", "1600086400"))
        self.refused_then_genuine(sid, d)

    def test_ident_sub_wrong_role_refused(self):
        sid, d = self.keyed("role")
        self.ok("subdevice", "init", "--dir", d, "--cert", self.certify_cls(d, "device"))
        self.refused_then_genuine(sid, d)

    def test_ident_sub_other_root_refused(self):
        sid, d = self.keyed("root2")
        self.ok("subdevice", "init", "--dir", d, "--cert",
                self.certify_cls(d, "subdevice", "fac2", self.fac2_cert))
        self.refused_then_genuine(sid, d)

    def test_ident_sub_altered_refused(self):
        sid, d = self.keyed("altered")
        chain = self.certify_cls(d, "subdevice")
        with open(chain, "rb") as f:
            b = bytearray(f.read())
        b[-77] ^= 0x01          # the sub-device certificate's issue time
        with open(chain, "wb") as f:
            f.write(b)
        self.ok("subdevice", "init", "--dir", d, "--cert", chain)
        self.refused_then_genuine(sid, d)


def load_tests(loader, tests, pattern):
    """This file's classes only (the imported GatewaySubDevices is run by
    its own test)."""
    suite = unittest.TestSuite()
    suite.addTests(loader.loadTestsFromTestCase(IdentityTest))
    for name in loader.getTestCaseNames(SubDeviceIdentity):
        if name.startswith("test_ident_"):
            suite.addTest(SubDeviceIdentity(name))
    return suite


if __name__ == "__main__":
    wardlib.main_args(__doc__)
    test_gw_sub_e2e.WARD, test_gw_sub_e2e.WARDD = WardCli.binary, WardCli.wardd_binary
    wardlib.run_tests()
