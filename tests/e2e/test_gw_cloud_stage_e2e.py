#!/usr/bin/env python3
"""End to end: the cloud stage of `ward gateway run` (its login and
heartbeats with wardd) against a wardd that accepts and never answers,
and the cloud identity inside a PKCS#11 token (SoftHSM2).

usage: test_gw_cloud_stage_e2e.py [-v] WARD WARDD

The gateway reaches wardd through a relay of this test that either passes
the bytes on or, once silenced, accepts connections and answers nothing.
While it is silent the LAN hand-over must go on: the owner provisions the
gateway again (SEARCH, Wi-Fi, CLAIM, CREDENTIALS over the LAN; REGISTER
at the real wardd from the app), and the gateway keeps the new
credentials; once wardd answers again the gateway logs in with them. The
roles run on loopback (test_gw_wire_e2e.py covers the namespaces). The
effects asserted are in the gateway's store (G/cloud.bin) and wardd's
database, not printed lines. Standard library only.
"""
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_gw_wire_e2e as wire  # noqa: E402
from softhsm import PIN, module as softhsm_module  # noqa: E402

# Only the module: its Provisioning, named here, would run its own tests.
cloud_state = wire.cloud_state

MAC_ID = "GW-" + wire.MAC.replace(":", "").upper()


class Relay:
    """A TCP relay to wardd that can fall silent: connections are then
    accepted and held open, and nothing is ever answered."""

    def __init__(self):
        self.lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsn.bind(("127.0.0.1", 0))
        self.lsn.listen(16)
        self.port = self.lsn.getsockname()[1]
        self.target = None
        self.silent = False
        self.held = []
        self.mu = threading.Lock()
        self.running = True
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()

    def _accept(self):
        while self.running:
            try:
                c, _ = self.lsn.accept()
            except OSError:
                return
            with self.mu:
                if self.silent:
                    self.held.append(c)
                    continue
            threading.Thread(target=self._pass, args=(c,), daemon=True).start()

    def _pass(self, c):
        try:
            up = socket.create_connection(("127.0.0.1", self.target), timeout=10)
        except OSError:
            c.close()
            return

        def pipe(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        t = threading.Thread(target=pipe, args=(up, c), daemon=True)
        t.start()
        pipe(c, up)
        t.join()
        c.close()
        up.close()

    def held_count(self):
        with self.mu:
            return len(self.held)

    def speak(self):
        """Passes bytes on again; the held connections are closed."""
        with self.mu:
            self.silent = False
            for c in self.held:
                c.close()
            self.held = []

    def close(self):
        self.running = False
        self.speak()
        self.lsn.close()


class SilentWardd(wire.Provisioning):
    """wardd falls silent for the gateway: its LAN goes on."""

    def setUp(self):
        self.relay = Relay()
        super().setUp()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            self.relay.close()

    def ok(self, *args):
        if args[:2] == ("gateway", "init"):
            # The gateway's wardd is the relay, the app's the real one.
            self.relay.target = self.wardd.port
            args = tuple("http://127.0.0.1:%d" % self.relay.port if a == self.gw_url else a
                         for a in args)
        return super().ok(*args)

    # Provisioning's own tests run in test_gw_wire_e2e.py: not again here.
    test_whole_provisioning = None
    test_rerun_renews_the_registration_and_keeps_the_wifi = None
    test_second_owner_refused = None

    def silence(self):
        """wardd falls silent; until the gateway is caught in a call."""
        with self.relay.mu:
            self.relay.silent = True
        end = time.time() + 10
        while time.time() < end and self.relay.held_count() == 0:
            time.sleep(0.1)
        self.assertGreater(self.relay.held_count(), 0, "the gateway never called wardd")

    def test_lan_hand_over_answers_while_wardd_is_silent(self):
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tid = self.wait_online(1)[0]
        self.silence()
        # The owner provisions it again: the whole LAN hand-over is
        # answered while the gateway's call to wardd hangs (wardd's HTTP
        # timeout is a minute; the app gives up after 20 s).
        start = time.time()
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + "".join(self.gw.err))
        self.assertLess(time.time() - start, 20)
        # The new credentials were kept by the gateway, and wardd holds them.
        st = cloud_state(self.g)
        self.assertEqual(st[:2], (tid, 2))
        self.assertEqual(self.db_row()[0][:3], (tid, "alice", 2))
        self.assertGreater(self.relay.held_count(), 0)
        # wardd answers again: the gateway logs in with generation 2 (the
        # call that hung, with the old keys, counts for nothing).
        self.relay.speak()
        self.wait_online(2, timeout=30)

    def test_stops_at_once_while_wardd_is_silent(self):
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.wait_online(1)
        self.silence()
        start = time.time()
        self.gw.p.terminate()
        self.gw.p.wait(timeout=30)
        self.assertLess(time.time() - start, 8)
        self.assertEqual(self.gw.p.returncode, 0, "".join(self.gw.err))


class TokenIdentity(wire.Provisioning):
    """`gateway init --keystore URI`: one identity, in the token, signs the
    REGISTER and opens the CREDENTIALS; no key file."""

    def setUp(self):
        self.module = softhsm_module()
        if self.module is None or shutil.which("softhsm2-util") is None:
            self.skipTest("SKIP: softhsm2 is not installed (scripts/deps.sh installs it)")
        self.hsm = tempfile.mkdtemp(prefix="ward-gwhsm-")
        tokens = os.path.join(self.hsm, "tokens")
        os.mkdir(tokens)
        conf = os.path.join(self.hsm, "softhsm2.conf")
        with open(conf, "w") as f:
            f.write("directories.tokendir = %s\nobjectstore.backend = file\n"
                    "log.level = ERROR\n" % tokens)
        self.old_conf = os.environ.get("SOFTHSM2_CONF")
        os.environ["SOFTHSM2_CONF"] = conf     # every ward process inherits it
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "ward",
                        "--pin", PIN, "--so-pin", "5678"], check=True, capture_output=True)
        super().setUp()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            if self.old_conf is None:
                os.environ.pop("SOFTHSM2_CONF", None)
            else:
                os.environ["SOFTHSM2_CONF"] = self.old_conf
            shutil.rmtree(self.hsm, ignore_errors=True)

    def ok(self, *args):
        if args[:2] == ("gateway", "init"):
            args += ("--keystore", "pkcs11:token=ward;object=gw?module-path=%s&pin-value=%s"
                     % (self.module, PIN))
        return super().ok(*args)

    test_rerun_renews_the_registration_and_keeps_the_wifi = None
    test_second_owner_refused = None

    def pubs(self):
        db = sqlite3.connect(os.path.join(self.root, "wardd.db"), timeout=10)
        try:
            dev = db.execute("SELECT pub FROM locks WHERE sn = ?", (MAC_ID,)).fetchall()
            gw = db.execute("SELECT pub FROM gateways").fetchall()
        finally:
            db.close()
        return [bytes(p) for p, in dev], [bytes(p) for p, in gw]

    def test_whole_provisioning(self):
        # No key file: the cloud identity is the device identity, in the token.
        self.assertFalse(os.path.exists(os.path.join(self.g, "gateway.key")))
        super().test_whole_provisioning()
        dev, gw = self.pubs()
        self.assertEqual(len(dev), 1)
        self.assertEqual(gw, dev)
        # The token taken away: the gateway has no identity to run with.
        self.gw.stop()
        os.environ["SOFTHSM2_CONF"] = os.path.join(self.hsm, "missing.conf")
        r = self.ward("gateway", "run", "--dir", self.g, "--udp-port",
                      str(wire.free_udp_port()), "--heartbeat", "1")
        self.assertNotEqual(r.returncode, 0)
        self.gw = None


class OldKeyFile(TokenIdentity):
    """A state directory whose cloud identity is G/gateway.key while
    G/keystore names a token (made before the token held the cloud
    identity): the key file its activation names is still the one used."""

    def ok(self, *args):
        out = wire.Provisioning.ok(self, *args)
        if args[:2] == ("gateway", "init"):
            path = os.path.join(self.g, "keystore")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write("pkcs11:token=ward;object=gw?module-path=%s&pin-value=%s"
                        % (self.module, PIN))
        return out

    def test_whole_provisioning(self):
        self.assertTrue(os.path.exists(os.path.join(self.g, "gateway.key")))
        wire.Provisioning.test_whole_provisioning(self)
        dev, gw = self.pubs()
        self.assertEqual(len(gw), 1)
        self.assertNotEqual(gw, dev)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    wire.WARD, wire.WARDD = (os.path.abspath(a) for a in args[:2])
    unittest.main(argv=[sys.argv[0]] + flags)
