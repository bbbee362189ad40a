"""Flow C against a hostile wardd database: rows of `gateways` and
`gw_claims` edited between the steps (a claim planted for a stranger, a
registration captured, the owner hash of before a reset, credentials of one
gateway handed to another, the pub, tid, generation and expiry of a row
swapped), and flow C's ownership check. Each test asserts that the party that
must refuse does (wardd's owner-hash check, the gateway's opening of its
credentials, the login), that the stranger ends with nothing, and that the
genuine owner still succeeds. The real wardd, gw_probe as the gateway (the
real core), devices_probe as the owner's app (signed requests), as in
test_gateways_api.py.

Usage: test_gw_hostile_e2e.py [-v] WARDD WARDD_PROBE DEVICES_PROBE GW_PROBE WARD

Standard library only.
"""
import base64
import contextlib
import hashlib
import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_gateways_api as gwapi  # noqa: E402
import test_wardd_api as api  # noqa: E402


class Hostile(gwapi.Gateways):
    """alice and bob registered; gw1 made at the factory (gwapi.Gateways)."""

    # -- wardd's database, edited as a hostile operator would --

    def sql(self, query, *args):
        path = os.path.join(self.root, "wardd.db")
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
            rows = db.execute(query, args).fetchall()
            db.commit()
            return rows

    def row(self, tid_hex):
        rows = self.sql("SELECT uid, pub, generation, expires_ms FROM gateways WHERE tid = ?",
                        bytes.fromhex(tid_hex))
        return rows[0] if rows else None

    @staticmethod
    def claim_hash(claim_b64):
        # CLAIM: 11-byte header, then tag 0x01, length 16, the claim.
        raw = base64.b64decode(claim_b64)
        return hashlib.sha256(raw[-16:]).digest()

    def post_register(self, uid, register, owner):
        return self.call(uid, "POST", "/v1/gateways", {"register": register, "owner": owner})

    def gateways_of(self, uid):
        st, j = self.call(uid, "GET", "/v1/gateways")
        self.assertEqual(st, 200, j)
        return j["gateways"]

    # -- ownership --

    def test_gw_hostile_planted_claim_and_captured_register_refused(self):
        """wardd hands alice's claim to bob, bob has alice's REGISTER but not
        the owner hash (it went to alice's app sealed): wardd refuses him."""
        claim = self.claim("alice")
        _, out = self.g(self.gw, "register", claim)
        self.sql("UPDATE gw_claims SET uid = 'bob' WHERE hash = ?", self.claim_hash(claim))
        st, j = self.post_register("bob", out["register"], os.urandom(32).hex())
        self.assertEqual(st, 403, j)
        self.assertEqual(self.gateways_of("bob"), [])
        # The claim was not spent: back with alice, her app binds.
        self.sql("UPDATE gw_claims SET uid = 'alice' WHERE hash = ?", self.claim_hash(claim))
        st, j = self.post_register("alice", out["register"], out["owner"])
        self.assertEqual(st, 201, j)
        self.g(self.gw, "creds", j["credentials"])
        self.login(self.gw)
        self.send(self.gw, "alice's")

    def test_gw_hostile_stale_owner_hash_after_reset_refused(self):
        """alice owned gw1 and kept its owner hash; the gateway is reset and
        goes to bob. With bob's claim and REGISTER in hand (wardd gives them
        to her), alice's hash of the old epoch binds nothing."""
        first = self.register(self.gw)
        _, old = self.g(self.gw, "register", self.claim("alice"))   # alice's app kept this
        self.g(self.gw, "epoch")                                      # the user reset...
        self.sql("DELETE FROM gateways WHERE tid = ?", bytes.fromhex(first["tid"]))  # ...RESET
        claim = self.claim("bob")
        _, new = self.g(self.gw, "register", claim)
        self.assertNotEqual(new["owner"], old["owner"])
        self.sql("UPDATE gw_claims SET uid = 'alice' WHERE hash = ?", self.claim_hash(claim))
        st, j = self.post_register("alice", new["register"], old["owner"])
        self.assertEqual(st, 403, j)
        self.assertEqual(self.gateways_of("alice"), [])
        # Bob, who ran this epoch's hand-over, binds.
        self.sql("UPDATE gw_claims SET uid = 'bob' WHERE hash = ?", self.claim_hash(claim))
        st, j = self.post_register("bob", new["register"], new["owner"])
        self.assertEqual(st, 201, j)
        self.g(self.gw, "creds", j["credentials"])
        self.login(self.gw)
        self.assertEqual([g["tid"] for g in self.gateways_of("bob")], [j["tid"]])

    def test_gw_owner_hash_wrong_then_right_keeps_the_claim(self):
        claim = self.claim("alice")
        _, out = self.g(self.gw, "register", claim)
        st, j = self.post_register("alice", out["register"], "00" * 32)
        self.assertEqual((st, j["error"]), (403, "forbidden"))
        st, j = self.post_register("alice", out["register"], out["owner"])
        self.assertEqual(st, 201, j)

    def test_gw_second_owner_with_the_hash_already_bound(self):
        """bob ran the hand-over too (he knows this epoch's hash): 409."""
        self.register(self.gw)
        j = self.register(self.gw, uid="bob", expect=409)
        self.assertEqual(j["message"], "already bound by someone else")
        self.assertEqual(self.gateways_of("bob"), [])
        self.login(self.gw)

    def test_gw_register_rate_limited_per_user(self):
        _, out = self.g(self.gw, "register", self.claim("alice"))
        for _ in range(30):
            st, j = self.post_register("alice", out["register"], os.urandom(32).hex())
            self.assertEqual(st, 403, j)
        st, j = self.post_register("alice", out["register"], out["owner"])
        self.assertEqual((st, j["error"]), (429, "busy"))
        # Another user is not held up by alice's guesses.
        self.register(self.gateway("gw-bob"), uid="bob")

    # -- rows swapped under registered gateways --

    def test_gw_hostile_credentials_of_another_gateway_refused_by_the_gateway(self):
        self.register(self.gw)
        other = self.gateway("gw2")
        j2 = self.register(other)
        rc, _ = self.g(self.gw, "creds", j2["credentials"], ok=False)
        self.assertEqual(rc, 1)       # sealed to gw2's key: gw1 cannot open them
        self.login(self.gw)           # and keeps its own
        self.send(self.gw, "mine")
        self.login(other)

    def test_gw_hostile_swapped_pub_gets_no_credentials(self):
        first = self.register(self.gw)
        other = self.gateway("gw2")
        j2 = self.register(other)
        tid1 = bytes.fromhex(first["tid"])
        pub1 = self.row(first["tid"])[1]
        pub2 = self.row(j2["tid"])[1]
        self.sql("UPDATE gateways SET pub = ? WHERE tid = ?", pub2, tid1)
        # A rotation is sealed only to the key the gateway signs with, never
        # to the row's: wardd refuses rather than seal gw1's keys to gw2.
        self.register(self.gw, expect=409)
        self.login(self.gw)           # gw1's credentials still work
        self.sql("UPDATE gateways SET pub = ? WHERE tid = ?", pub1, tid1)
        j = self.register(self.gw, expect=200)
        self.assertEqual(j["generation"], 2)
        self.login(self.gw)

    def test_gw_hostile_swapped_tids_log_nobody_in(self):
        a = self.register(self.gw)
        other = self.gateway("gw2")
        b = self.register(other)
        ta, tb, tmp = bytes.fromhex(a["tid"]), bytes.fromhex(b["tid"]), os.urandom(16)
        self.sql("UPDATE gateways SET tid = ? WHERE tid = ?", tmp, ta)
        self.sql("UPDATE gateways SET tid = ? WHERE tid = ?", ta, tb)
        self.sql("UPDATE gateways SET tid = ? WHERE tid = ?", tb, tmp)
        # Each login finds the other's row: its password and accesskey do
        # not match, the wrapped key is bound to the other tid.
        self.login_refusal(self.gw)
        self.login_refusal(other)
        self.sql("UPDATE gateways SET tid = ? WHERE tid = ?", tmp, ta)
        self.sql("UPDATE gateways SET tid = ? WHERE tid = ?", ta, tb)
        self.sql("UPDATE gateways SET tid = ? WHERE tid = ?", tb, tmp)
        self.login(self.gw)
        self.login(other)

    def login_refusal(self, d):
        _, out = self.g(d, "login-start")
        st, j = self.post("/v1/gateways/login", {"login": out["login"]})
        self.assertIn(st, (401, 500), j)
        self.assertNotIn("reply", j or {})
        return st

    def test_gw_hostile_generation_and_expiry_edits_refused(self):
        first = self.register(self.gw)
        tid = bytes.fromhex(first["tid"])
        _, gen, exp = self.row(first["tid"])[1:]
        # Another generation: the wrapped accesskey is bound to the real
        # one, so the edited row opens no login.
        self.sql("UPDATE gateways SET generation = ? WHERE tid = ?", gen + 1, tid)
        self.login_refusal(self.gw)
        self.sql("UPDATE gateways SET generation = ? WHERE tid = ?", gen, tid)
        # An expiry moved back: refused as expired, and nothing is lost.
        self.sql("UPDATE gateways SET expires_ms = 1 WHERE tid = ?", tid)
        _, out = self.g(self.gw, "login-start")
        st, j = self.post("/v1/gateways/login", {"login": out["login"]})
        self.assertEqual(st, 410, j)
        self.sql("UPDATE gateways SET expires_ms = ? WHERE tid = ?", exp, tid)
        self.login(self.gw)
        self.send(self.gw, "restored")


class LoginLimit(gwapi.Gateways):
    """--gw-logins-per-addr 3: logins are bounded per client address."""
    extra = ("--gw-logins-per-addr", "3")

    def test_gw_login_rate_limited_per_address(self):
        self.register(self.gw)
        # A stranger guessing at tids from one address...
        for _ in range(3):
            bogus = base64.b64encode(os.urandom(153)).decode()
            st, j = self.post("/v1/gateways/login", {"login": bogus})
            self.assertIn(st, (400, 401), j)
        # ...spends the address's allowance, whatever tid it names next.
        _, out = self.g(self.gw, "login-start")
        st, j = self.post("/v1/gateways/login", {"login": out["login"]})
        self.assertEqual((st, j["error"]), (429, "busy"))
        self.assertNotIn("reply", j)


# Only this file's tests: not gwapi.Gateways' again.
for _cls in (Hostile, LoginLimit):
    for _name in [n for n in dir(gwapi.Gateways) if n.startswith("test_")]:
        setattr(_cls, _name, None)
del _cls, _name


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    if len(args) < 5:
        sys.exit("usage: test_gw_hostile_e2e.py [-v] WARDD WARDD_PROBE DEVICES_PROBE GW_PROBE "
                 "WARD")
    api.WARDD, api.PROBE = os.path.abspath(args[0]), os.path.abspath(args[1])
    gwapi.DPROBE = os.path.abspath(args[2])
    gwapi.GPROBE = os.path.abspath(args[3])
    gwapi.WARD = os.path.abspath(args[4])
    unittest.main(argv=[sys.argv[0]] + flags + args[5:])
