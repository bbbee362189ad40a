#!/usr/bin/env python3
"""End to end: flow C's whole provisioning on the real processes. `ward app
provision` (app namespace) finds `ward gateway run` (gateway namespace) by a
real broadcast over a veth pair, hands over the Wi-Fi, registers it with the
real wardd (claim -> REGISTER -> CREDENTIALS, relayed over the LAN link) and
commits; the gateway then logs in to wardd and keeps its session.

usage: test_gw_wire_e2e.py [-v] WARD WARDD

wardd runs in the root namespace, reached from each namespace by a veth
pair of its own. Where namespaces cannot be made everything runs on
loopback and the test says so. The effects asserted are at wardd (its
database row, the session answers it recorded, `ward app gateways`) and in
the gateway's stores (G/provision.bin, G/cloud.bin by their documented
record layouts), not printed lines. Standard library only.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wardlib import SANITIZER_MARKS, Wardd, app_register  # noqa: E402
# store_records and cloud_state stay importable from here (older callers).
from gwlib import (GwNet, Proc, cloud_state, free_udp_port, store_records,  # noqa: E402,F401
                   stored_wifi)

WARD = WARDD = None
MAC = "02:11:22:a3:b4:c7"
NET = GwNet("w", "10.231.9.1", "10.231.9.2", uplinks=True)
NS_GW, NS_APP = NET.ns_gw, NET.ns_app
NETNS = False
TCP_PORT = 10080
WIFI = "home correct-horse\n"
ALICE = ("alice", "+15550100001")
BOB = ("bob", "+15550100002")


def uplinks():
    """The root-side and namespace-side addresses of the two links to wardd."""
    return NET.uplink_addrs()


def setUpModule():
    global NETNS
    NETNS = NET.up()
    if NETNS:
        (r_g, _), (r_a, _) = uplinks()
        print("gateway in netns %s, app in netns %s (LAN %s/%s); wardd in the root namespace "
              "at %s and %s" % (NS_GW, NS_APP, NET.gw_ip, NET.app_ip, r_g, r_a), flush=True)


def tearDownModule():
    NET.down()


class Provisioning(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="ward-gwwire-")
        self.procs = []
        (r_g, _), (r_a, _) = uplinks()
        if not NETNS:
            r_g = r_a = "127.0.0.1"
        self.wardd = Wardd(self.root, WARDD, listen="0.0.0.0" if NETNS else "127.0.0.1")
        self.ok("factory", "keygen", "--out", os.path.join(self.root, "factory"))
        shutil.copy(os.path.join(self.root, "factory", "factory.pub"),
                    os.path.join(self.root, "factory.pub"))
        self.wardd.start(self.wardd_extra())
        port = self.wardd.port
        self.gw_url, self.app_url = "http://%s:%d" % (r_g, port), "http://%s:%d" % (r_a, port)
        self.g = os.path.join(self.root, "G")
        self.wifi = os.path.join(self.root, "wifi.txt")
        with open(self.wifi, "w", encoding="ascii") as f:
            f.write(WIFI)
        self.ok("gateway", "init", "--dir", self.g, "--mac", MAC, "--server", self.gw_url,
                "--port", str(TCP_PORT), "--factory-key",
                os.path.join(self.root, "factory", "factory.key"))
        self.udp = 10071 if NETNS else free_udp_port()
        self.gw = None
        self.start_gateway()
        self.alice = self.account(ALICE)

    def wardd_extra(self):
        return []

    def tearDown(self):
        try:
            if self.gw is not None:
                err = self.gw.stop()
                for mark in SANITIZER_MARKS:
                    self.assertNotIn(mark, err)
            self.wardd.stop()
            for mark in SANITIZER_MARKS:
                self.assertNotIn(mark, self.wardd.log())
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def ward(self, *args):
        r = subprocess.run([WARD] + list(args), capture_output=True, text=True, timeout=90)
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, r.stderr)
        return r

    def ok(self, *args):
        r = self.ward(*args)
        self.assertEqual(r.returncode, 0, "ward %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
        return r.stdout

    def account(self, who):
        d = os.path.join(self.root, who[0])

        def run(args, stdin):
            r = subprocess.run([WARD] + args, input=stdin, capture_output=True, text=True,
                               timeout=60)
            return r.returncode, r.stdout + r.stderr
        app_register(run, self.root, d, self.app_url, who[0], who[1])
        return d

    def start_gateway(self):
        args = [WARD, "gateway", "run", "--dir", self.g, "--wifi", self.wifi, "--udp-port",
                str(self.udp), "--heartbeat", "1"]
        if NETNS:
            args += ["--netns", NS_GW]
        self.gw = Proc(args)
        self.assertTrue(self.gw.wait_for("listening"), "".join(self.gw.err))

    def provision(self, app, psk="correct-horse"):
        args = ["app", "provision", "--dir", app, "--qr", os.path.join(self.g, "qr.png"),
                "--ssid", "home", "--psk", psk, "--timeout", "20"]
        args += ["--netns", NS_APP] if NETNS else ["--gateway-udp", "127.0.0.1:%d" % self.udp]
        return self.ward(*args)

    def db_row(self):
        db = sqlite3.connect(os.path.join(self.root, "wardd.db"), timeout=10)
        try:
            row = db.execute("SELECT hex(tid), uid, generation, last_counter "
                             "FROM gateways").fetchall()
        finally:
            db.close()
        return [(t.lower(), u, g, c) for t, u, g, c in row]

    def session_answers(self, status=200):
        """How many answers wardd gave on /v1/gateways/session with status."""
        return self.answers("/v1/gateways/session", status)

    def answers(self, path, status):
        """How many answers wardd gave on path with status (its record)."""
        n = 0
        with open(self.wardd.record_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if e.get("path") == path and e.get("status") == status:
                    n += 1
        return n

    def listed(self, app):
        r = self.ward("app", "gateways", "--dir", app, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {g["tid"]: g for g in json.loads(r.stdout)["gateways"]}

    def wait_online(self, generation, timeout=15, min_counter=1):
        """Until wardd holds the gateway's session of this generation: the
        login counter it accepted is the gateway's, and it answers the
        gateway's session packets."""
        end = time.time() + timeout
        while time.time() < end:
            st, rows = cloud_state(self.g), self.db_row()
            if (st is not None and rows and st[1] == generation and rows[0][2] == generation
                    and rows[0][3] >= min_counter and rows[0][3] == st[3]):
                before = self.session_answers()
                time.sleep(2.5)
                if self.session_answers() > before and cloud_state(self.g) == st:
                    return st
            time.sleep(0.2)
        self.fail("the gateway did not come online at generation %d: %s %s\n%s" % (
            generation, cloud_state(self.g), self.db_row(), "".join(self.gw.err)))

    # -- the tests --

    def test_whole_provisioning(self):
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(stored_wifi(os.path.join(self.g, "provision.bin")),
                         ("home", "correct-horse"))
        st = self.wait_online(1)
        tid = st[0]
        rows = self.db_row()
        self.assertEqual([(t, u, g) for t, u, g, _ in rows], [(tid, "alice", 1)])
        self.assertIn(tid, self.listed(self.alice))
        with open(os.path.join(self.alice, "gateways", MAC.replace(":", "") + ".json")) as f:
            self.assertEqual(json.load(f)["tid"], tid)
        # The session is kept: heartbeats, not a login each time.
        counter = self.db_row()[0][3]
        time.sleep(3)
        self.assertEqual(self.db_row()[0][3], counter)
        # A restart logs in again with a counter it never sent before.
        self.gw.stop()
        self.start_gateway()
        st2 = self.wait_online(1, min_counter=counter + 1)
        self.assertEqual(st2[0], tid)

    def test_rerun_renews_the_registration_and_keeps_the_wifi(self):
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tid = self.wait_online(1)[0]
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        st = self.wait_online(2)
        self.assertEqual(st[0], tid)
        self.assertEqual(self.db_row()[0][:3], (tid, "alice", 2))
        self.assertEqual(stored_wifi(os.path.join(self.g, "provision.bin")),
                         ("home", "correct-horse"))

    def test_second_owner_refused(self):
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tid = self.wait_online(1)[0]
        bob = self.account(BOB)
        r = self.provision(bob)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bound by someone else", r.stderr)
        # Nothing changed: alice's, generation 1, still online.
        self.assertEqual(self.db_row()[0][:3], (tid, "alice", 1))
        self.assertEqual(self.listed(bob), {})
        self.assertEqual(cloud_state(self.g)[:2], (tid, 1))
        self.wait_online(1)


class Reset(Provisioning):
    """`ward gateway reset`: wardd drops registration, owner and session."""

    def test_whole_provisioning(self):
        pass

    test_rerun_renews_the_registration_and_keeps_the_wifi = test_whole_provisioning
    test_second_owner_refused = test_whole_provisioning

    def conf(self):
        with open(os.path.join(self.g, "gateway.json"), encoding="ascii") as f:
            return json.load(f)

    def test_reset_drops_bindings_and_reprovision_works(self):
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tid = self.wait_online(1)[0]
        # A copy of the gateway as it was: its credentials must stop.
        old = os.path.join(self.root, "G-old")
        self.gw.stop()
        shutil.copytree(self.g, old)
        os.remove(os.path.join(old, ".gateway.lock"))
        r = self.ward("gateway", "reset", "--dir", self.g)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # wardd: no registration, no owner; the gateway: no credentials,
        # no Wi-Fi, the reset flag set.
        self.assertEqual(self.db_row(), [])
        self.assertEqual(self.listed(self.alice), {})
        self.assertIsNone(cloud_state(self.g))
        self.assertFalse(os.path.exists(os.path.join(self.g, "provision.bin")))
        self.assertTrue(self.conf()["reset"])
        # The old credentials no longer log in.
        refused = self.answers("/v1/gateways/login", 401)
        accepted = self.answers("/v1/gateways/login", 200)
        # In the gateway's namespace (its own one is stopped): in the root
        # namespace its TCP port may be taken by another test's process.
        stale = Proc([WARD, "gateway", "run", "--dir", old, "--wifi", self.wifi,
                      "--udp-port", str(free_udp_port()), "--heartbeat", "1"]
                     + (["--netns", NS_GW] if NETNS else []))
        try:
            end = time.time() + 15
            while time.time() < end and self.answers("/v1/gateways/login", 401) == refused:
                time.sleep(0.2)
        finally:
            stale.stop()
        self.assertGreater(self.answers("/v1/gateways/login", 401), refused)
        self.assertEqual(self.answers("/v1/gateways/login", 200), accepted)
        # Back in provisioning mode: another owner may take it now.
        self.start_gateway()
        bob = self.account(BOB)
        r = self.provision(bob)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        st = self.wait_online(1)
        self.assertNotEqual(st[0], tid)
        self.assertEqual([u for _, u, _, _ in self.db_row()], ["bob"])
        self.assertIn(st[0], self.listed(bob))
        self.assertFalse(self.conf()["reset"])

    def test_reset_while_wardd_is_down_is_told_later(self):
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.wait_online(1)
        self.gw.stop()
        self.wardd.stop()
        r = self.ward("gateway", "reset", "--dir", self.g, "--tries", "1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # Wiped here at once; wardd still holds the orphan.
        self.assertIsNone(cloud_state(self.g))
        self.assertIn(0x0482, store_records(os.path.join(self.g, "cloud.bin")))
        self.wardd.start([])
        self.assertEqual(len(self.db_row()), 1)
        self.start_gateway()
        end = time.time() + 20
        while time.time() < end and self.db_row():
            time.sleep(0.2)
        self.assertEqual(self.db_row(), [])
        self.assertEqual(self.listed(self.alice), {})
        end = time.time() + 5
        while time.time() < end and 0x0482 in store_records(os.path.join(self.g, "cloud.bin")):
            time.sleep(0.2)
        self.assertNotIn(0x0482, store_records(os.path.join(self.g, "cloud.bin")))


class Expiry(Provisioning):
    """Credentials of 8 seconds: refused once past, renewed by a rerun."""

    def wardd_extra(self):
        return ["--gw-key-ttl", "8"]

    def test_whole_provisioning(self):
        pass

    test_rerun_renews_the_registration_and_keeps_the_wifi = test_whole_provisioning
    test_second_owner_refused = test_whole_provisioning

    def test_expired_keys_refused_then_renewed(self):
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tid, _, expiry, _ = self.wait_online(1, timeout=6)
        time.sleep(max(0, expiry / 1000 - time.time()) + 1)
        # Past the expiry: wardd refuses the gateway's logins (410) and
        # holds no session of it any more.
        self.assertTrue(self.gw.wait_for("credentials expired", timeout=20),
                        "".join(self.gw.err))
        self.assertGreaterEqual(self.answers("/v1/gateways/login", 410), 1)
        accepted, served = self.answers("/v1/gateways/login", 200), self.session_answers()
        time.sleep(3)
        self.assertEqual(self.answers("/v1/gateways/login", 200), accepted)
        self.assertEqual(self.session_answers(), served)
        # A year this time; the owner registers it again, Wi-Fi untouched.
        self.wardd.stop()
        self.wardd.start([])
        r = self.provision(self.alice)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        st = self.wait_online(2, timeout=70)
        self.assertEqual(st[0], tid)
        self.assertGreater(st[2], (time.time() + 86400) * 1000)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    WARD, WARDD = (os.path.abspath(a) for a in args[:2])
    unittest.main(argv=[sys.argv[0]] + flags)
