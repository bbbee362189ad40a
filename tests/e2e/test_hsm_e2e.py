#!/usr/bin/env python3
"""End to end: wardd's private keys in a PKCS#11 token (SoftHSM2), and the
rate limit of GET /v1/time (issue 18, item 5 and wardd's time service).

Usage: test_hsm_e2e.py [-v] WARDD WARDD_PROBE DEVICES_PROBE GW_PROBE WARD

With --pkcs11-uri, the real wardd makes its time key and its gateway wrap
key in a SoftHSM2 token made in a temporary directory (softhsm.py) on the
database's first start, and signs time and opens gateways' wrapped
accesskeys there: a device (`ward lock time`) accepts that time under
DB.timepub, a gateway (gw_probe, the real core) registers and logs in, and
again after a restart. The keys are read back through PKCS#11 itself:
sensitive, never extractable, their value refused. A database that has keys
is never given new ones in their place (switched to a token, or to another
token's labels, or back to files), and wardd without its token does not
start. The rate limit: a flood of GET /v1/time from one address (and from
one IPv6 /64) is answered 429 with Retry-After past --time-per-addr, while
the genuine device, from another address, still syncs. Standard library
only.
"""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import softhsm  # noqa: E402
import test_gateways_api as gwapi  # noqa: E402
import test_wardd_api as api  # noqa: E402


def db_file(root, suffix):
    return os.path.join(root, "wardd.db" + suffix)


class WarddTimeSync:
    """A lock's `ward lock time` against self.wardd (mixed into a WarddTest)."""

    def lock_dir(self, name):
        d = os.path.join(self.root, name)
        rc, out = self.ward(["lock", "init", "--dir", d, "--sn", "HSM-" + name.upper(),
                             "--server", self.wardd.url, "--no-activate"])
        self.assertEqual(rc, 0, out)
        return d

    def sync(self, d, key=None):
        """(exit code, the --json document or None, output)."""
        args = ["lock", "time", "--dir", d, "--json", "--time-url", self.wardd.url]
        if key is not None:
            args += ["--time-key", key]
        rc, out = self.ward(args)
        doc = None
        if rc == 0:
            doc = json.loads(out[out.index("{"):out.rindex("}") + 1])
        return rc, doc, out

    def assert_synced_now(self, d, key=None):
        before = time.time() * 1000
        rc, doc, out = self.sync(d, key)
        after = time.time() * 1000
        self.assertEqual(rc, 0, out + self.wardd.log()[-2000:])
        self.assertTrue(doc["synced"], doc)
        self.assertLessEqual(doc["lo_ms"], after, doc)
        self.assertGreaterEqual(doc["hi_ms"], before, doc)
        self.assertLess(doc["hi_ms"] - doc["lo_ms"], 5000, doc)


class HsmKeys(WarddTimeSync, gwapi.Gateways):
    """wardd started on a fresh database with --pkcs11-uri: its keys are made
    in the token. alice and bob registered; gw1 made at the factory."""

    def setUp(self):
        if softhsm.module() is None:
            self.skipTest("SKIP: softhsm2 is not installed (scripts/deps.sh installs it)")
        self.hsm_tmp = tempfile.TemporaryDirectory(prefix="ward-hsm-wardd-")
        self.token = softhsm.Token(self.hsm_tmp.name)
        self.old_conf = os.environ.get("SOFTHSM2_CONF")
        os.environ["SOFTHSM2_CONF"] = self.token.conf       # wardd inherits it
        # The PIN from a file: a command line is readable by every user.
        self.extra = ("--pkcs11-uri", self.token.uri(pin_source=True))
        super().setUp()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            if self.old_conf is None:
                os.environ.pop("SOFTHSM2_CONF", None)
            else:
                os.environ["SOFTHSM2_CONF"] = self.old_conf
            self.hsm_tmp.cleanup()

    def start_refused(self, extra, why):
        """wardd started with extra does not start; its log says why."""
        self.wardd.stop()
        log_before = len(self.wardd.log())
        with self.assertRaises(AssertionError):
            self.wardd.start(extra)
        self.assertIsNotNone(self.wardd.proc.wait(timeout=20))
        self.assertNotEqual(self.wardd.proc.returncode, 0)
        self.assertIn(why, self.wardd.log()[log_before:])
        self.wardd.proc = None

    def read(self, suffix):
        with open(db_file(self.root, suffix)) as f:
            return f.read()

    def assert_never_leaves(self, label, pub_file):
        k = self.token.private_key(label)
        self.assertEqual(k["count"], 1, k)
        self.assertTrue(k["sensitive"] and k["always_sensitive"], k)
        self.assertFalse(k["extractable"], k)
        self.assertTrue(k["never_extractable"], k)
        self.assertFalse(k["value_readable"], k)
        self.assertEqual(k["value_rv"], 0x11, k)      # CKR_ATTRIBUTE_SENSITIVE
        with open(pub_file) as f:
            self.assertEqual(f.read(), k["pub"] + "\n")

    def test_wardd_signs_time_and_wraps_gateway_keys_in_the_token(self):
        # The keys were made in the token, not in files beside the database.
        self.assertFalse(os.path.exists(db_file(self.root, ".timekey")))
        self.assertFalse(os.path.exists(db_file(self.root, ".gwkey")))
        self.assertEqual(self.token.labels(), ["ward-gw-wrap", "ward-time"])
        self.assertIn("event=time_key_made", self.wardd.log())
        # A device accepts the time signed in the token, under DB.timepub.
        lock = self.lock_dir("lock")
        self.assert_synced_now(lock, db_file(self.root, ".timepub"))
        # A gateway's accesskey is wrapped to the token's key and opened
        # there at each login.
        j = self.register(self.gw)
        self.login(self.gw)
        self.send(self.gw, "heartbeat 1")
        # The private keys never leave the token: sensitive from birth, never
        # extractable, their value refused to the token's own user.
        self.wardd.stop()
        self.assert_never_leaves("ward-time", db_file(self.root, ".timepub"))
        self.assert_never_leaves("ward-gw-wrap", db_file(self.root, ".gwpub"))
        # Restarted: the same keys, found again; nothing is made.
        self.wardd.start()
        self.assertEqual(self.token.labels(), ["ward-gw-wrap", "ward-time"])
        self.login(self.gw)
        self.send(self.gw, "heartbeat 2")
        self.assert_synced_now(lock)            # time.conf kept the key
        st, lst = self.call("alice", "GET", "/v1/gateways")
        self.assertEqual([g["tid"] for g in lst["gateways"]], [j["tid"]])
        # Without its token wardd does not start, and makes no key elsewhere.
        self.token.take_away()
        try:
            self.start_refused(None, "event=keystore_open_failed")
        finally:
            self.token.put_back()
        self.assertFalse(os.path.exists(db_file(self.root, ".timekey")))
        self.assertFalse(os.path.exists(db_file(self.root, ".gwkey")))
        self.wardd.start()
        self.login(self.gw)

    def test_a_database_with_keys_is_never_given_new_ones(self):
        timepub = self.read(".timepub")
        # Other labels in the same token (object=other): no key there, and
        # none is made, since this database has its keys.
        self.start_refused(["--pkcs11-uri", self.token.uri("other")],
                           "event=gw_key_missing")
        self.assertEqual(self.token.labels(), ["ward-gw-wrap", "ward-time"])
        # Back to key files: none is made in place of the token's.
        self.start_refused([], "event=gw_key_missing")
        self.assertFalse(os.path.exists(db_file(self.root, ".gwkey")))
        self.assertFalse(os.path.exists(db_file(self.root, ".timekey")))
        # The token's keys are still the database's: it starts, same time key.
        self.wardd.start(list(self.extra))
        self.assertEqual(self.read(".timepub"), timepub)
        self.register(self.gw)
        self.login(self.gw)

    def test_a_software_database_is_not_moved_to_a_token_silently(self):
        # A database whose keys are files: the token does not get new ones.
        self.wardd.stop()
        for suffix in (".timekey", ".gwkey", ".timepub", ".gwpub"):
            if os.path.exists(db_file(self.root, suffix)):
                os.unlink(db_file(self.root, suffix))
        other = softhsm.Token(os.path.join(self.root, "t2"))
        self.wardd.start([])
        self.assertTrue(os.path.exists(db_file(self.root, ".gwkey")))
        self.register(self.gw)
        os.environ["SOFTHSM2_CONF"] = other.conf
        self.start_refused(["--pkcs11-uri", other.uri()], "event=gw_key_missing")
        self.assertEqual(other.labels(), [])
        # The files are the keys still: the gateway logs in.
        os.environ["SOFTHSM2_CONF"] = self.token.conf
        self.wardd.start([])
        self.login(self.gw)

    def test_bad_uri_and_pin_are_refused_at_start(self):
        self.wardd.stop()
        p = subprocess.run(
            [api.WARDD, "--db", db_file(self.root, ""), "--pkcs11-uri", "file:/etc/passwd"],
            capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--pkcs11-uri", p.stderr)
        bad = self.token.uri().replace("pin-value=1234", "pin-value=0000")
        self.start_refused(["--pkcs11-uri", bad], "refused the PIN")
        self.assertNotIn("pin-value", self.wardd.log())   # the URI (its PIN) is not logged
        self.wardd.start(list(self.extra))


class TimeRateLimit(WarddTimeSync, api.WarddTest):
    """GET /v1/time at most 5 a minute per address; 127.0.0.2 is a trusted
    proxy, so its X-Forwarded-For names the flooding clients."""
    extra = ("--time-per-addr", "5", "--trusted-proxy", "127.0.0.2/32")

    def ward(self, args):
        p = subprocess.run([gwapi.WARD] + args, capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def get_time(self, client, source="127.0.0.2"):
        """GET /v1/time from source, for client (X-Forwarded-For):
        (status, Retry-After or None, body)."""
        host, port = self.wardd.url[len("http://"):].rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=20,
                                       source_address=(source, 0))
        try:
            headers = {"X-Forwarded-For": client} if client else {}
            c.request("GET", "/v1/time?nonce=" + os.urandom(32).hex(), headers=headers)
            r = c.getresponse()
            return r.status, r.getheader("Retry-After"), json.loads(r.read() or b"null")
        finally:
            c.close()

    def flood(self, clients, n):
        return [self.get_time(clients[i % len(clients)]) for i in range(n)]

    def test_time_flood_refused_and_the_genuine_device_still_syncs(self):
        answers = self.flood(["198.51.100.7"], 30)
        self.assertEqual([a[0] for a in answers], [200] * 5 + [429] * 25)
        self.assertTrue(all(len(a[2]["answer"]) > 100 for a in answers[:5]))
        for st, retry, body in answers[5:]:
            self.assertEqual(body["error"], "busy")
            self.assertGreaterEqual(int(retry), 1)
            self.assertLessEqual(int(retry), 60)
        # One /64 is one client whatever its addresses; the next /64 is not.
        answers = self.flood(["2001:db8::%x" % i for i in range(1, 31)], 30)
        self.assertEqual([a[0] for a in answers], [200] * 5 + [429] * 25)
        self.assertEqual(self.get_time("2001:db8:0:1::1")[0], 200)
        # The genuine device, from its own address, syncs while the flood goes on.
        lock = self.lock_dir("lock")
        self.assert_synced_now(lock, db_file(self.root, ".timepub"))
        self.assertEqual(self.get_time("198.51.100.7")[0], 429)
        # The log names the flood once, not once per refused request.
        self.assertEqual(self.wardd.log().count("kind=time addr=198.51.100.7"), 1)


# The tests of gwapi.Gateways ran in their own file.
for _name in [n for n in dir(gwapi.Gateways) if n.startswith("test_")]:
    setattr(HsmKeys, _name, None)
del _name


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    if len(args) < 5:
        sys.exit("usage: test_hsm_e2e.py [-v] WARDD WARDD_PROBE DEVICES_PROBE GW_PROBE WARD")
    api.WARDD, api.PROBE = os.path.abspath(args[0]), os.path.abspath(args[1])
    gwapi.DPROBE = os.path.abspath(args[2])
    gwapi.GPROBE = os.path.abspath(args[3])
    gwapi.WARD = os.path.abspath(args[4])
    unittest.main(argv=[sys.argv[0]] + flags + args[5:])
