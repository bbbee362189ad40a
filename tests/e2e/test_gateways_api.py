"""Flow C's cloud stage against the real wardd: a gateway registered with a
one-use claim, its login and sealed session, and the attacks on them
(replayed login, replayed and reordered packets, reused and expired
claims, expired and rotated keys, a second owner, a forged registration).

Usage: test_gateways_api.py [-v] WARDD WARDD_PROBE DEVICES_PROBE GW_PROBE WARD

wardd_probe makes the factory key and the users; devices_probe sends the
app's signed requests; gw_probe is the gateway (the real core, sans-I/O);
`ward app gateways` reads the list; this test carries the gateway's bytes over HTTP, as the app and the
network do, and replays them as an attacker would. Standard library only.
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_wardd_api as api  # noqa: E402
from wardlib import app_register, probe_register  # noqa: E402

DPROBE = None
GPROBE = None
WARD = None
PHONE_C = "+8613800000003"
PHONE_A = "+8613800000001"
PHONE_B = "+8613800000002"


class Gateways(api.WarddTest):
    """alice and bob registered; one gateway made at the factory."""

    def setUp(self):
        super().setUp()
        probe_register(self.ok, self.root, "alice", PHONE_A)
        probe_register(self.ok, self.root, "bob", PHONE_B)
        self.gw = self.gateway("gw1")

    # -- the app's side (signed requests) --

    def call(self, uid, method, target, body=None):
        key = os.path.join(self.state, "user-%s.key" % uid)
        cmd = [DPROBE, self.wardd.url, key, "user:" + uid, method, target]
        if body is not None:
            cmd.append(json.dumps(body))
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        first, rest = p.stdout.split("\n", 1)
        return int(first.split("=")[1]), json.loads(rest) if rest.strip() else None

    def claim(self, uid="alice"):
        st, j = self.call(uid, "POST", "/v1/gateways/claims", {})
        self.assertEqual(st, 201, j)
        return j["claim"]

    # -- the gateway (gw_probe) --

    def gateway(self, name, factory=None):
        d = os.path.join(self.root, name)
        os.mkdir(d)
        self.g(d, "init", factory or os.path.join(self.state, "factory.key"))
        return d

    def g(self, d, *args, ok=True):
        p = subprocess.run([GPROBE, d] + list(args), capture_output=True, text=True, timeout=60)
        if ok:
            self.assertEqual(p.returncode, 0, "gw_probe %s: %s" % (args[0], p.stderr))
        return p.returncode, dict(re.findall(r"^(\w+)=(.*)$", p.stdout, re.M))

    # -- the network: bytes to wardd, unsigned --

    def post(self, path, body):
        req = urllib.request.Request(self.wardd.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def register(self, d, uid="alice", claim=None, expect=201, owner=None):
        _, out = self.g(d, "register", claim or self.claim(uid))
        st, j = self.call(uid, "POST", "/v1/gateways",
                          {"register": out["register"], "owner": owner or out["owner"]})
        self.assertEqual(st, expect, j)
        if expect in (200, 201):
            self.g(d, "creds", j["credentials"])
        return j

    def login(self, d, expect=200):
        _, out = self.g(d, "login-start")
        st, j = self.post("/v1/gateways/login", {"login": out["login"]})
        self.assertEqual(st, expect, j)
        if st == 200:
            self.g(d, "login-finish", j["reply"])
        return out["login"]

    def send(self, d, text, expect=200):
        _, out = self.g(d, "seal", text)
        st, j = self.post("/v1/gateways/session", {"packet": out["packet"]})
        self.assertEqual(st, expect, j)
        if st == 200:
            rc, back = self.g(d, "open", j["packet"])
            self.assertEqual(back["payload"], text)
        return out["packet"]

    def ward(self, args, stdin=None):
        p = subprocess.run([WARD] + args, input=stdin, capture_output=True, text=True,
                           timeout=60)
        return p.returncode, p.stdout + p.stderr

    def cli_owner(self, uid="carol", phone=PHONE_C):
        """An account made by `ward app register`, its key lent to devices_probe."""
        d = os.path.join(self.root, "app-" + uid)
        app_register(self.ward, self.root, d, self.wardd.url, uid, phone)
        with open(os.path.join(d, "client.key")) as f:
            key = json.load(f)["key"]
        with open(os.path.join(self.state, "user-%s.key" % uid), "w") as f:
            f.write(key + "\n")
        return d

    def app_gateways(self, d):
        p = subprocess.run([WARD, "app", "gateways", "--dir", d, "--json"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)["gateways"], p.stderr

    # -- tests --

    def test_ward_app_gateways(self):
        d = self.cli_owner()
        j = self.register(self.gw, uid="carol")
        gws, err = self.app_gateways(d)
        self.assertEqual([(g["tid"], g["generation"], g["expiring"]) for g in gws],
                         [(j["tid"], 1, False)])
        self.assertEqual(gws[0]["expires_at_ms"], j["expires_ms"])
        self.assertNotIn("warning", err)

    def test_register_login_and_session_both_ways(self):
        j = self.register(self.gw)
        self.assertRegex(j["tid"], r"^[0-9a-f]{32}$")
        self.assertEqual(j["generation"], 1)
        year_ms = 365 * 24 * 3600 * 1000
        self.assertAlmostEqual(j["expires_ms"], time.time() * 1000 + year_ms, delta=600000)
        self.login(self.gw)
        self.send(self.gw, "heartbeat 1")
        self.send(self.gw, "heartbeat 2")
        st, lst = self.call("alice", "GET", "/v1/gateways")
        self.assertEqual(st, 200)
        self.assertEqual([(x["tid"], x["generation"]) for x in lst["gateways"]],
                         [(j["tid"], 1)])
        st, lst = self.call("bob", "GET", "/v1/gateways")
        self.assertEqual(lst["gateways"], [])
        # wardd keeps a verifier and a wrapped key, never the clear ones.
        db = sqlite3.connect(os.path.join(self.root, "wardd.db"))
        row = db.execute("SELECT verifier, wrapped FROM gateways").fetchone()
        db.close()
        self.assertEqual((len(row[0]), len(row[1])), (32, 97))

    def test_gw_agent_round(self):
        """The agent library's login, packet and logout (ward_agent_gw.h)."""
        self.register(self.gw)
        rc, out = self.g(self.gw, "agent", self.wardd.url, "via the agent")
        self.assertEqual(out.get("payload"), "via the agent")
        # Its counter went on from the file: a sans-I/O login after it works.
        self.login(self.gw)
        # With old credentials (a rotation since), the agent says 401.
        old = os.path.join(self.root, "gw1-old")
        shutil.copytree(self.gw, old)
        self.register(self.gw, expect=200)
        rc, out = self.g(old, "agent", self.wardd.url, "stale", ok=False)
        self.assertEqual((rc, out.get("status")), (1, "401"))
        rc, out = self.g(self.gw, "agent", self.wardd.url, "fresh")
        self.assertEqual(out.get("payload"), "fresh")

    def test_gw_replayed_login_refused(self):
        self.register(self.gw)
        login = self.login(self.gw)
        st, j = self.post("/v1/gateways/login", {"login": login})
        self.assertEqual((st, j["error"]), (401, "auth"))
        # The genuine gateway is not hurt: its session works, and it logs in again.
        self.send(self.gw, "still here")
        self.login(self.gw)
        self.send(self.gw, "again")

    def test_gw_replayed_and_reordered_packets_refused(self):
        self.register(self.gw)
        self.login(self.gw)
        _, p1 = self.g(self.gw, "seal", "first")
        _, p2 = self.g(self.gw, "seal", "second")
        st, j = self.post("/v1/gateways/session", {"packet": p2["packet"]})
        self.assertEqual(st, 200, j)
        down = j["packet"]
        st, j = self.post("/v1/gateways/session", {"packet": p1["packet"]})
        self.assertEqual((st, j["error"]), (401, "auth"))   # reordered
        st, j = self.post("/v1/gateways/session", {"packet": p2["packet"]})
        self.assertEqual((st, j["error"]), (401, "auth"))   # replayed
        # wardd's answer, replayed to the gateway, is refused there too.
        self.assertEqual(self.g(self.gw, "open", down)[1]["payload"], "second")
        self.assertEqual(self.g(self.gw, "open", down, ok=False)[0], 1)
        self.send(self.gw, "third")

    def test_gw_logout_ends_the_session(self):
        self.register(self.gw)
        self.login(self.gw)
        _, kept = self.g(self.gw, "seal", "after logout")
        # a packet sealed before the LOGOUT, delivered after it
        _, out = self.g(self.gw, "logout")
        st, j = self.post("/v1/gateways/session", {"packet": out["packet"]})
        self.assertEqual((st, j), (200, {}))
        st, j = self.post("/v1/gateways/session", {"packet": kept["packet"]})
        self.assertEqual((st, j["error"]), (401, "auth"))

    def test_gw_claim_reused_or_expired_refused(self):
        claim = self.claim("alice")
        self.register(self.gw, claim=claim)
        other = self.gateway("gw2")
        self.register(other, claim=claim, expect=403)         # used
        st, j = self.call("alice", "GET", "/v1/gateways")
        self.assertEqual(len(j["gateways"]), 1)
        self.register(other, uid="bob", claim=self.claim("alice"), expect=403)  # not bob's
        late = self.claim("alice")
        db = sqlite3.connect(os.path.join(self.root, "wardd.db"), timeout=10)
        db.execute("UPDATE gw_claims SET expires_ms = 1 WHERE used = 0")
        db.commit()
        db.close()
        self.register(other, claim=late, expect=403)          # expired
        self.register(other)                                   # a fresh one works
        st, j = self.call("alice", "GET", "/v1/gateways")
        self.assertEqual(len(j["gateways"]), 2)

    def test_gw_second_owner_already_bound(self):
        self.register(self.gw)
        j = self.register(self.gw, uid="bob", expect=409)
        self.assertEqual(j["message"], "already bound by someone else")
        st, lst = self.call("bob", "GET", "/v1/gateways")
        self.assertEqual(lst["gateways"], [])
        self.login(self.gw)   # the owner's gateway is untouched

    def test_gw_unactivated_gateway_refused(self):
        # A key the manufacturer never activated (another factory's).
        fake = os.path.join(self.root, "other-factory.key")
        with open(fake, "w") as f:
            f.write("11" * 32 + "\n")
        rogue = self.gateway("rogue", factory=fake)
        self.register(rogue, expect=401)
        st, j = self.call("alice", "GET", "/v1/gateways")
        self.assertEqual(j["gateways"], [])

    def test_gw_rotation_stops_old_keys(self):
        first = self.register(self.gw)
        old = os.path.join(self.root, "gw1-old")
        shutil.copytree(self.gw, old)      # what a thief copied before the rotation
        self.login(self.gw)
        _, stale = self.g(self.gw, "seal", "old session")
        second = self.register(self.gw, expect=200)
        self.assertEqual((second["tid"], second["generation"]), (first["tid"], 2))
        # The old session is gone, and the old credentials open no login.
        st, j = self.post("/v1/gateways/session", {"packet": stale["packet"]})
        self.assertEqual((st, j["error"]), (401, "auth"))
        self.login(old, expect=401)
        # The gateway itself goes on with the new keys.
        self.login(self.gw)
        self.send(self.gw, "rotated")


class ShortKeys(Gateways):
    """Credentials that live two seconds (--gw-key-ttl 2)."""
    extra = ("--gw-key-ttl", "2")

    def test_gw_expired_keys_refused(self):
        self.register(self.gw)
        self.login(self.gw)
        time.sleep(2.2)
        st, j = self.post("/v1/gateways/session",
                          {"packet": self.g(self.gw, "seal", "late")[1]["packet"]})
        self.assertEqual((st, j["error"]), (410, "expired"))
        _, out = self.g(self.gw, "login-start")
        st, j = self.post("/v1/gateways/login", {"login": out["login"]})
        self.assertEqual((st, j["error"]), (410, "expired"))
        # The owner's app warns (here: the keys have expired).
        d = self.cli_owner()
        other = self.gateway("gw-carol")
        self.register(other, uid="carol")
        gws, err = self.app_gateways(d)
        self.assertEqual([g["expiring"] for g in gws], [True])
        self.assertIn("warning: gateway %s" % gws[0]["tid"], err)
        # Registering again rotates the keys; the gateway is not lost.
        self.register(self.gw, expect=200)
        self.login(self.gw)
        self.send(self.gw, "renewed")


# The other tests of Gateways need not run again with short keys.
for _name in [n for n in dir(Gateways) if n.startswith("test_")]:
    setattr(ShortKeys, _name, None)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    if len(args) < 5:
        sys.exit("usage: test_gateways_api.py [-v] WARDD WARDD_PROBE DEVICES_PROBE GW_PROBE WARD")
    api.WARDD, api.PROBE = os.path.abspath(args[0]), os.path.abspath(args[1])
    DPROBE = os.path.abspath(args[2])
    GPROBE = os.path.abspath(args[3])
    WARD = os.path.abspath(args[4])
    unittest.main(argv=[sys.argv[0]] + flags + args[5:])
