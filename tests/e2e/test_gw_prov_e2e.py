#!/usr/bin/env python3
"""End to end: flow C's discovery and Wi-Fi hand-over between the real
`ward app provision` and `ward gateway run`, each in its own network
namespace, joined by a veth pair, so SEARCH is a real broadcast.

usage: test_gw_prov_e2e.py [-v] WARD

Needs root (ip netns). Where namespaces cannot be made the tests run on
loopback and say so; the relay tests need the namespaces and are skipped
there. The effects asserted are the gateway's store (the committed network
in G/provision.bin, read by the documented record layout) and what the
gateway answered (the relay's log), not printed lines. Standard library only.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wardlib import SANITIZER_MARKS  # noqa: E402
# Proc and stored_wifi stay importable from here (older callers).
from gwlib import GwNet, Proc, free_udp_port, stored_wifi  # noqa: E402,F401

WARD = None
HERE = os.path.dirname(os.path.abspath(__file__))
RELAY = os.path.join(HERE, "gw_relay.py")
MAC = "02:11:22:a3:b4:c5"
MAC_HEX = "021122a3b4c5"
NET = GwNet("p", "10.231.7.1", "10.231.7.2")
NS_GW, NS_APP, GW_IP = NET.ns_gw, NET.ns_app, NET.gw_ip
NETNS = False
TCP_PORT = 10080
WIFI = "home correct-horse\nneighbour aaaaaaaa\nq\"u\\te pass-word\n"


def setUpModule():
    global NETNS
    NETNS = NET.up("; the relay tests are skipped")
    if NETNS:
        print("gateway in netns %s (%s), app in netns %s (%s), joined by a veth pair"
              % (NS_GW, GW_IP, NS_APP, NET.app_ip), flush=True)


def tearDownModule():
    NET.down()


class GatewayLan(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="ward-gw-")
        self.g = os.path.join(self.root, "G")
        self.a = os.path.join(self.root, "A")
        self.wifi = os.path.join(self.root, "wifi.txt")
        with open(self.wifi, "w", encoding="ascii") as f:
            f.write(WIFI)
        r = self.ward("gateway", "init", "--dir", self.g, "--mac", MAC, "--server",
                      "http://127.0.0.1:9", "--no-activate", "--port", str(TCP_PORT))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.udp = 10071 if NETNS else free_udp_port()
        args = [WARD, "gateway", "run", "--dir", self.g, "--wifi", self.wifi,
                "--udp-port", str(self.udp)]
        if self._testMethodName.endswith("rolled_back"):
            args += ["--failsafe", "3"]
        if NETNS:
            args += ["--netns", NS_GW]
        self.gw = Proc(args)
        self.assertTrue(self.gw.wait_for("listening"), "".join(self.gw.err))
        self.relay = None

    def tearDown(self):
        if self.relay is not None:
            self.relay.stop()
        err = self.gw.stop()
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, err)
        shutil.rmtree(self.root, ignore_errors=True)

    def ward(self, *args):
        return subprocess.run([WARD] + list(args), capture_output=True, text=True, timeout=60)

    def provision(self, psk, qr=None, via=None, timeout=8, ssid="home"):
        args = ["app", "provision", "--dir", self.a, "--qr",
                qr or os.path.join(self.g, "qr.png"), "--ssid", ssid, "--psk", psk,
                "--timeout", str(timeout)]
        if NETNS:
            args += ["--netns", NS_APP]
        if via is not None:
            args += ["--gateway-udp", "127.0.0.1:%d" % via]
        elif not NETNS:
            args += ["--gateway-udp", "127.0.0.1:%d" % self.udp]
        r = self.ward(*args)
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, r.stderr)
        return r

    def stored(self):
        return stored_wifi(os.path.join(self.g, "provision.bin"))

    def start_relay(self, mode, pop=None):
        if not NETNS:
            self.skipTest("the relay needs the namespaces")
        port = 20000 + os.getpid() % 10000
        self.log = os.path.join(self.root, "relay.log")
        self.relay = Proc(["ip", "netns", "exec", NS_APP, sys.executable, RELAY, "relay", mode,
                           str(port), str(TCP_PORT), GW_IP, self.log]
                          + ([pop] if pop is not None else []))
        self.assertTrue(self.relay.wait_for("relay ready"), "".join(self.relay.err))
        return port

    def logged(self, kind):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="ascii") as f:
            return [bytes.fromhex(e["hex"]) for e in map(json.loads, f) if e["kind"] == kind]

    def test_wrong_psk_then_right_without_reset(self):
        r = self.provision("wrong-password")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIsNone(self.stored())
        # The same gateway, not restarted, not reset: the right password.
        r = self.provision("correct-horse")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.stored(), ("home", "correct-horse"))
        with open(os.path.join(self.a, "gateways", MAC_HEX + ".json"), encoding="ascii") as f:
            rec = json.load(f)
        self.assertEqual(rec["mac"], MAC)
        # A restart keeps it.
        self.gw.stop()
        self.assertEqual(self.stored(), ("home", "correct-horse"))

    def test_ssid_with_quote_and_backslash_kept_as_valid_json(self):
        # The app's record of the gateway must stay readable whatever bytes
        # the network's name holds (it was written with printf's %s).
        ssid = 'q"u\\te'
        r = self.provision("pass-word", ssid=ssid)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.stored(), (ssid, "pass-word"))
        with open(os.path.join(self.a, "gateways", MAC_HEX + ".json"), encoding="ascii") as f:
            rec = json.load(f)
        self.assertEqual(rec["ssid"], ssid)
        self.assertEqual(rec["mac"], MAC)

    def test_wrong_pop_refused(self):
        # Another QR code naming the same MAC: its secret is not this gateway's.
        other = os.path.join(self.root, "G2")
        r = self.ward("gateway", "init", "--dir", other, "--mac", MAC, "--server",
                      "http://127.0.0.1:9", "--no-activate")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.provision("correct-horse", qr=os.path.join(other, "qr.png"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIsNone(self.stored())
        r = self.provision("correct-horse")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.stored(), ("home", "correct-horse"))

    def test_relay_swapping_the_apps_key_is_caught(self):
        port = self.start_relay("swap-app")
        r = self.provision("correct-horse", via=port, timeout=5)
        self.assertNotEqual(r.returncode, 0)
        answers = self.logged("search_answer")
        self.assertTrue(answers)
        # Every answer was the gateway's unsealed refusal (flags REPLY|ERROR, AUTH).
        for a in answers:
            self.assertEqual((a[1], a[2], a[-1]), (0x40, 0x03, 4))
        self.assertEqual(self.logged("request"), [])
        self.assertIsNone(self.stored())
        r = self.provision("correct-horse")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_relay_in_the_middle_is_caught_by_the_pop(self):
        # A real man in the middle (gw_relay.py "mitm"): its own keys on
        # both sides, every message opened and sealed again; all it lacks
        # is the PoP (it guesses zeros).
        port = self.start_relay("mitm")
        r = self.provision("correct-horse", via=port, timeout=5)
        self.assertNotEqual(r.returncode, 0)
        # It answered the app as the gateway...
        self.assertTrue(self.logged("forged_answer"))
        # ...the gateway refused its SEARCH, unsealed (AUTH, or LOCKED after
        # five): it shares no key with the gateway...
        answers = self.logged("search_answer")
        self.assertTrue(answers)
        for a in answers:
            self.assertEqual((a[1], a[2]), (0x40, 0x03))
            self.assertIn(a[-1], (4, 8))
        # ...and the app did not take its answer: not one request, so the
        # password never left the app; the gateway stored nothing.
        self.assertEqual(self.logged("request"), [])
        self.assertEqual(self.logged("plain_request"), [])
        self.assertIsNone(self.stored())
        r = self.provision("correct-horse")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.stored(), ("home", "correct-horse"))

    def test_relay_in_the_middle_knowing_the_pop_reads_the_password(self):
        # The control of the test above: the same relay given this
        # gateway's PoP (as good as a link without one) goes unnoticed and
        # reads the password. So the relay is a working man in the middle,
        # and the PoP is what stops it there.
        with open(os.path.join(self.g, "gateway.json"), encoding="ascii") as f:
            pop = json.load(f)["pop"]
        port = self.start_relay("mitm", pop)
        r = self.provision("correct-horse", via=port)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.stored(), ("home", "correct-horse"))
        sets = [p for p in self.logged("plain_request") if p[0] == 0x42]
        self.assertTrue(sets)
        self.assertIn(b"correct-horse", sets[0])

    def test_join_never_committed_is_rolled_back(self):
        port = self.start_relay("drop-commit")
        r = self.provision("correct-horse", via=port, timeout=6)
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(any(q[1] == 0x44 for q in self.logged("request")))
        # Joined, never committed: nothing stored, now or after the fail-safe.
        self.assertIsNone(self.stored())
        time.sleep(3.5)
        self.assertIsNone(self.stored())
        # Rolled back to provisioning mode: the next app is welcome.
        r = self.provision("correct-horse")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.stored(), ("home", "correct-horse"))

    def test_answer_lost_with_the_link_then_retransmitted(self):
        port = self.start_relay("cut-set")
        r = self.provision("correct-horse", via=port)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.stored(), ("home", "correct-horse"))
        sets = [q for q in self.logged("request") if q[1] == 0x42]
        # The same WIFI_SET twice (a new connection), answered the same way.
        self.assertEqual(len(sets), 2)
        self.assertEqual(sets[0], sets[1])
        answers = [a for a in self.logged("answer") if a[1] == 0x42]
        self.assertEqual(len(answers), 2)
        self.assertEqual(answers[0], answers[1])

    def test_retransmission_answered_identically(self):
        port = self.start_relay("pass")
        r = self.provision("correct-horse", via=port)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.stored(), ("home", "correct-horse"))
        search, answer = self.logged("search")[-1], self.logged("search_answer")[-1]
        requests, answers = self.logged("request"), self.logged("answer")
        out = os.path.join(self.root, "replay.json")
        r = subprocess.run(["ip", "netns", "exec", NS_APP, sys.executable, RELAY, "replay",
                            self.log, GW_IP, str(TCP_PORT), out], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, encoding="ascii") as f:
            got = json.load(f)
        # SEARCH again: the same answer bytes (no new key).
        self.assertIn(answer.hex(), got["search_answers"])
        self.assertEqual(set(got["search_answers"]), {answer.hex()})
        # The last request (WIFI_COMMIT) again: the same bytes; every
        # earlier one (WIFI_SET among them) is a replay: no answer.
        self.assertEqual(got["answers"][-1], answers[-1].hex())
        self.assertTrue(all(a is None for a in got["answers"][:-1]))
        self.assertEqual(requests[-1][1], 0x44)
        self.assertEqual(self.stored(), ("home", "correct-horse"))
        self.assertEqual(search[1], 0x40)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    WARD = os.path.abspath(args[0])
    unittest.main(argv=[sys.argv[0]] + flags)
