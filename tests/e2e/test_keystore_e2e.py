#!/usr/bin/env python3
"""End to end: flows A and B with the lock's identity key and the app's
client key inside a PKCS#11 token (SoftHSM2), through the real `ward`
roles and the real wardd.

usage: test_keystore_e2e.py [-v] WARD WARDD

Every test makes its own SoftHSM2 token in a temporary directory
(softhsm.py; SOFTHSM2_CONF there), so no system token is touched. `ward
lock init --keystore URI` and `ward app register --keystore URI` make the keys
inside the token (non-extractable: port/pkcs11, checked attribute by
attribute in tests/unit/test_pkcs11.c); the lock binds the app (flow A)
and the app approves an unlock (flow B); the lock must act exactly once.
Then the token is taken away: neither role can sign anything, which is
what shows the keys were never in their files. Standard library only.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import softhsm  # noqa: E402
import wardlib  # noqa: E402
from wardlib import WardCli  # noqa: E402

WARD = None
WARDD = None
SN = "LOCK-HSM1"
ALICE = ("alice", "+8613800000001")


class KeystoreTest(WardCli, unittest.TestCase):
    def setUp(self):
        if softhsm.module() is None:
            self.skipTest("SKIP: softhsm2 is not installed (scripts/deps.sh installs it)")
        self.make_root("ward-hsm-e2e-")
        self.token = softhsm.Token(self.root)
        self.module = self.token.module
        self.old_conf = os.environ.get("SOFTHSM2_CONF")
        os.environ["SOFTHSM2_CONF"] = self.token.conf     # every ward process inherits it
        self.start_wardd()

    def tearDown(self):
        if not hasattr(self, "tmp"):
            return
        try:
            self.clean_up()
        finally:
            if self.old_conf is None:
                os.environ.pop("SOFTHSM2_CONF", None)
            else:
                os.environ["SOFTHSM2_CONF"] = self.old_conf

    def uri(self, obj):
        return self.token.uri(obj)

    def hsm_lock_and_app(self):
        lock = self.path("lock")
        out = self.ward_ok("lock", "init", "--dir", lock, "--sn", SN, "--server",
                           self.wardd.url, "--factory-key", self.path("factory", "factory.key"),
                           "--keystore", self.uri("lock"))
        self.assertIn("activated", out)
        with open(os.path.join(lock, "keystore")) as f:
            self.assertEqual(f.read(), self.uri("lock"))
        self.assertEqual(os.stat(os.path.join(lock, "keystore")).st_mode & 0o077, 0)
        app = self.path("alice")
        rc, out, err = self.ward("app", "register", "--dir", app, "--server", self.wardd.url,
                                 "--user", ALICE[0], "--phone", ALICE[1],
                                 "--keystore", self.uri("app"), stdin="")
        self.assertIn("ward app register --dir %s --code" % app, out + err)
        from wardlib import phone_code
        self.ward_ok("app", "register", "--dir", app, "--code",
                     phone_code(self.root, ALICE[1], ALICE[0]))
        # The key file holds the public key only.
        with open(os.path.join(app, "client.key")) as f:
            kf = json.load(f)
        self.assertNotIn("key", kf)
        self.assertEqual(len(kf["pub"]), 130)
        return lock, app


class FlowsWithKeysInSoftHSM(KeystoreTest):
    def test_flow_a_bind_and_flow_b_unlock_with_keys_in_the_token(self):
        lock, app = self.hsm_lock_and_app()
        # Flow A: the lock's confirmation is signed in the token, the
        # escrow made and signed with the app's key in the token.
        qr = self.path("qr.png")
        self.ward_ok("lock", "bind-start", "--dir", lock, "--phone", ALICE[1], "--qr-out", qr)
        self.ward_ok("app", "scan", "--dir", app, "--qr", qr)
        self.ward_ok("lock", "bind-finish", "--dir", lock, "--code", self.code_for(ALICE[1]))
        out = self.ward_ok("lock", "clients", "--dir", lock)
        self.assertIn("alice", out)
        # Flow B: an unlock approved by the app; the lock acts once.
        p = self.spawn("lock", "request", "--dir", lock, "--op", "unlock", "--timeout", "30")
        op_id, op, _ = self.wait_pending(app, lock_proc=p)
        self.assertEqual(op, "unlock")
        aout = self.ward_ok("app", "approve", "--dir", app, op_id)
        lout, lerr = p.communicate(timeout=90)
        self.assertEqual(p.returncode, 0, lout + lerr)
        self.assertEqual(lout.count("DOOR UNLOCKED"), 1, lout)
        self.assertIn("the lock: executed", aout)
        self.assertEqual(self.executions(lock), [("executed", "unlock", "alice")])
        # The same approval again does not open the door a second time.
        rc, out, err = self.ward("app", "approve", "--dir", app, op_id)
        self.assertNotEqual(rc, 0, out)
        self.assertEqual(self.executions(lock), [("executed", "unlock", "alice")])
        # The escrow opens with the key in the token (an answer from escrow).
        self.ward_ok("app", "forget-key", "--dir", app)
        p = self.spawn("lock", "request", "--dir", lock, "--op", "unlock", "--timeout", "30")
        op_id, _, _ = self.wait_pending(app, lock_proc=p)
        aout = self.ward_ok("app", "approve", "--dir", app, op_id)
        lout, lerr = p.communicate(timeout=90)
        self.assertEqual(p.returncode, 0, lout + lerr)
        self.assertEqual(len(self.executions(lock)), 2)

        # Without the token neither role signs: the keys were only there.
        self.token.take_away()
        rc, out, err = self.ward("lock", "request", "--dir", lock, "--op", "unlock",
                                 "--timeout", "3")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("keystore", err)
        rc, out, err = self.ward("app", "pending", "--dir", app)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("keystore", err)
        # The token back: the door was opened twice in all, never more.
        self.token.put_back()
        self.assertEqual(len(self.executions(lock)), 2)

    def test_device_identity_and_factory_key_in_the_token(self):
        # The manufacturer key made in the token: only factory.pub leaves.
        fac = self.path("fac-hsm")
        out = self.ward_ok("factory", "keygen", "--out", fac, "--keystore", self.uri("maker"))
        self.assertIn("in the keystore", out)
        self.assertFalse(os.path.exists(os.path.join(fac, "factory.key")))
        # wardd trusts that key from now on.
        self.wardd.stop()
        shutil.copy(os.path.join(fac, "factory.pub"), self.path("factory.pub"))
        self.wardd.start()
        # A lock and a device, each with its identity in the token and its
        # activation signed in the token: wardd takes both.
        lock = self.path("lock2")
        out = self.ward_ok("lock", "init", "--dir", lock, "--sn", "LOCK-HSM2", "--server",
                           self.wardd.url, "--factory-key", self.uri("maker"),
                           "--keystore", self.uri("lock2"))
        self.assertIn("activated", out)
        dev = self.path("dev")
        out = self.ward_ok("device", "init", "--dir", dev, "--id", "LAMP-HSM", "--server",
                           self.wardd.url, "--factory-key", self.uri("maker"),
                           "--keystore", self.uri("dev"))
        self.assertIn("activated", out)
        self.assertTrue(os.path.exists(os.path.join(dev, "keystore")))
        # Without the token the device does not even start: its key is there.
        self.token.take_away()
        rc, out, err = self.ward("device", "run", "--dir", dev, "--no-far", "--listen",
                                 "127.0.0.1:0", timeout=20)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("cannot open the keystore", err)
        self.token.put_back()
        # The old software manufacturer key no longer activates anything.
        rc, out, err = self.ward("lock", "init", "--dir", self.path("lock3"), "--sn",
                                 "LOCK-SW3", "--server", self.wardd.url, "--factory-key",
                                 self.path("factory", "factory.key"))
        self.assertNotEqual(rc, 0, out)

    def test_se_host_key_in_the_token(self):
        # Flow E, asymmetric variant: the host's key made in the token.
        link = self.path("se.sock")
        se = subprocess.Popen([WARD, "se", "run", "--dir", self.path("se"), "--link", link],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(se)
        deadline = time.time() + 10
        while not os.path.exists(link):
            self.assertIsNone(se.poll(), "ward se run exited")
            self.assertLess(time.time(), deadline, "the SE did not come up")
            time.sleep(0.01)
        host = self.path("host")
        out = self.ward_ok("se", "host", "--dir", host, "--link", link, "--keystore",
                           self.uri("se"), "bind", "--variant", "asym")
        self.assertIn("bound to SE", out)
        self.assertIn("bind-locked", self.ward_ok("se", "host", "--dir", host, "--link", link,
                                                  "lock"))
        out = self.ward_ok("se", "host", "--dir", host, "--link", link, "cmd", "echo ok")
        self.assertEqual(out.splitlines(), ["verified", "ok"])
        # Without the token the host cannot even start: its key is there.
        self.token.take_away()
        rc, out, err = self.ward("se", "host", "--dir", host, "--link", link, "cmd", "echo x")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("cannot open the keystore", err)
        self.token.put_back()
        se.terminate()
        se.wait(timeout=10)

    def test_a_wrong_pin_or_token_is_refused_at_init(self):
        bad = "pkcs11:token=ward;object=x?module-path=%s&pin-value=0000" % self.module
        rc, out, err = self.ward("lock", "init", "--dir", self.path("l1"), "--sn", SN,
                                 "--server", self.wardd.url, "--no-activate", "--keystore", bad)
        self.assertNotEqual(rc, 0)
        self.assertIn("refused the PIN", err)
        rc, out, err = self.ward("lock", "init", "--dir", self.path("l2"), "--sn", SN,
                                 "--server", self.wardd.url, "--no-activate",
                                 "--keystore", "pkcs11:token=nosuch?module-path=" + self.module)
        self.assertNotEqual(rc, 0)
        self.assertIn("no PKCS#11 token matches", err)
        rc, out, err = self.ward("lock", "init", "--dir", self.path("l3"), "--sn", SN,
                                 "--server", self.wardd.url, "--no-activate",
                                 "--keystore", "file:/etc/passwd")
        self.assertNotEqual(rc, 0)
        self.assertIn("--keystore", err)


if __name__ == "__main__":
    WARD, WARDD = wardlib.main_args(__doc__)
    wardlib.run_tests()
