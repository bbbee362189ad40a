#!/usr/bin/env python3
"""End to end: secure time (issue 18, item 2) with three real wardd and
the real `ward lock time` / `ward gateway time`.

usage: test_time_e2e.py [-v] WARD WARDD

Each wardd signs GET /v1/time with its own time key (public in
DB.timepub). One of them lies: started with the test-only
WARDD_TEST_TIME_SKEW_MS, it signs a wrong time with its genuine key. The
device trusts k of n keys. Each test asserts the effect on the device's
time and on the floor it keeps in D/time.bin (read back with --no-sync):
the liar, a key not trusted, a replayed answer and servers that agree on
a time gone by are refused, and the genuine sync still succeeds.
Standard library only.
"""
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wardlib  # noqa: E402
from wardlib import Wardd, WardCli  # noqa: E402

DAY_MS = 24 * 3600 * 1000
SKEW = "WARDD_TEST_TIME_SKEW_MS"


class ReplayRelay:
    """A hostile hop in front of one wardd's /v1/time: the first request
    goes through and its answer is kept; every later one is answered with
    that kept answer, whatever nonce it carries."""

    def __init__(self, target):
        relay = self
        self.kept = None

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if relay.kept is None:
                    with urllib.request.urlopen(target + self.path, timeout=10) as r:
                        relay.kept = r.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(relay.kept)))
                self.end_headers()
                self.wfile.write(relay.kept)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class TimeTest(WardCli, unittest.TestCase):
    # The three wardd serve every test (started once: the suite stays fast);
    # a test that makes them lie puts them back honest.
    servers = []
    base = None

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.TemporaryDirectory(prefix="ward-time-servers-")
        subprocess.run([WardCli.binary, "factory", "keygen", "--out",
                        os.path.join(cls.base.name, "factory")], check=True,
                       capture_output=True)
        cls.servers = []
        for i, skew in enumerate((None, None, DAY_MS)):
            root = os.path.join(cls.base.name, "w%d" % i)
            os.mkdir(root)
            # wardd wants a manufacturer key to trust; the tests activate nothing.
            shutil.copy(os.path.join(cls.base.name, "factory", "factory.pub"),
                        os.path.join(root, "factory.pub"))
            w = Wardd(root, WardCli.wardd_binary)
            cls.start_server(w, skew)
            cls.servers.append(w)

    @classmethod
    def tearDownClass(cls):
        try:
            for w in cls.servers:
                w.stop()
                for mark in wardlib.SANITIZER_MARKS:
                    if mark in w.log():
                        raise AssertionError("wardd: " + mark)
        finally:
            cls.base.cleanup()

    def setUp(self):
        self.make_root("ward-time-e2e-")
        self.relay = None

    def tearDown(self):
        try:
            if self.relay is not None:
                self.relay.close()
        finally:
            self.clean_up()

    @staticmethod
    def start_server(w, skew):
        """w started; skew: its lie in ms, None: honest."""
        old = os.environ.pop(SKEW, None)
        if skew is not None:
            os.environ[SKEW] = str(skew)
        try:
            w.start()
        finally:
            os.environ.pop(SKEW, None)
            if old is not None:
                os.environ[SKEW] = old

    def restart(self, i, skew):
        self.servers[i].stop()
        self.start_server(self.servers[i], skew)

    def key(self, i):
        return os.path.join(self.servers[i].root, "wardd.db.timepub")

    def lock(self, name="lock"):
        d = self.path(name)
        self.ward_ok("lock", "init", "--dir", d, "--sn", "TIME-" + name.upper(), "--server",
                     self.servers[0].url, "--no-activate")
        return d

    def sync(self, role, d, *args):
        """`ward ROLE time --json`: (exit code, the document or None, stderr)."""
        rc, out, err = self.ward(role, "time", "--dir", d, "--json", *args)
        self.assert_no_sanitizer_report(err)
        return rc, (json.loads(out) if rc == 0 else None), err

    def floor(self, d, role="lock"):
        """The floor kept in D/time.bin, read with --no-sync (no server
        asked; the last sync of this boot, D/time.sync, may still say the
        time)."""
        rc, doc, err = self.sync(role, d, "--no-sync")
        self.assertEqual(rc, 0, err)
        return doc["floor_ms"]

    def assert_now(self, doc, before, after):
        """The interval holds the true time and is narrow (a few seconds)."""
        self.assertTrue(doc["synced"])
        self.assertLessEqual(doc["lo_ms"], after, doc)
        self.assertGreaterEqual(doc["hi_ms"], before, doc)
        self.assertLess(doc["hi_ms"] - doc["lo_ms"], 5000, doc)

    def all_three(self, *extra):
        args = []
        for i in range(3):
            args += ["--time-key", self.key(i), "--time-url", self.servers[i].url]
        return args + list(extra)

    def test_one_lying_server_of_three_with_k2(self):
        d = self.lock()
        before = time.time() * 1000
        rc, doc, err = self.sync("lock", d, *self.all_three("--time-k", "2"))
        after = time.time() * 1000
        self.assertEqual(rc, 0, err)
        self.assertEqual(doc["answers"], 3)     # the liar's signature is genuine
        self.assert_now(doc, before, after)
        # The floor kept is today's, not the liar's tomorrow.
        self.assertLessEqual(self.floor(d), after)
        self.assertGreater(self.floor(d), before - 5000)
        # The same liar trusted alone (k = 1 of 1) does move a device: the
        # test's liar lies, and k of n is what stops it.
        g = self.path("gw")
        self.ward_ok("gateway", "init", "--dir", g, "--mac", "02:00:00:00:00:01", "--server",
                     self.servers[2].url, "--no-activate")
        rc, doc, err = self.sync("gateway", g, "--time-key", self.key(2))
        self.assertEqual(rc, 0, err)
        self.assertGreater(doc["lo_ms"], after + DAY_MS - 5000)
        self.assertGreater(self.floor(g, "gateway"), after + DAY_MS - 5000)

    def test_gateway_syncs_with_its_own_wardd(self):
        g = self.path("gw")
        self.ward_ok("gateway", "init", "--dir", g, "--mac", "02:00:00:00:00:02", "--server",
                     self.servers[0].url, "--no-activate")
        before = time.time() * 1000
        rc, doc, err = self.sync("gateway", g, "--time-key", self.key(0))
        after = time.time() * 1000
        self.assertEqual(rc, 0, err)
        self.assert_now(doc, before, after)
        # time.conf remembers the key: a second sync needs no flags.
        rc, doc, err = self.sync("gateway", g)
        self.assertEqual(rc, 0, err)
        self.assertTrue(doc["synced"])

    def test_untrusted_key_does_not_count(self):
        d = self.lock()
        # Trusted: w0 and w1, both needed. Asked: w0 and w2 (a key the
        # device does not trust, honest or not).
        rc, doc, err = self.sync("lock", d, "--time-key", self.key(0), "--time-key",
                                 self.key(1), "--time-k", "2", "--time-url",
                                 self.servers[0].url, "--time-url", self.servers[2].url)
        self.assertNotEqual(rc, 0)
        self.assertIn("not trusted", err)
        self.assertIn("no time believed", err)
        floor = self.floor(d)
        self.assertLess(floor, time.time() * 1000 - 60000)   # still the build time
        # Asking the trusted pair works.
        rc, doc, err = self.sync("lock", d, "--time-url", self.servers[0].url, "--time-url",
                                 self.servers[1].url)
        self.assertEqual(rc, 0, err)
        self.assertGreater(self.floor(d), floor)

    def test_replayed_answer_is_refused(self):
        d = self.lock()
        self.relay = ReplayRelay(self.servers[0].url)
        rc, doc, err = self.sync("lock", d, "--time-key", self.key(0), "--time-url",
                                 self.relay.url)
        self.assertEqual(rc, 0, err)
        floor = self.floor(d)
        time.sleep(0.05)
        # The relay answers the next sync with the first one's answer.
        rc, doc, err = self.sync("lock", d)
        self.assertNotEqual(rc, 0)
        self.assertIn("replayed", err)
        self.assertEqual(self.floor(d), floor)
        # The genuine server, asked directly, still gives the time.
        rc, doc, err = self.sync("lock", d, "--time-url", self.servers[0].url)
        self.assertEqual(rc, 0, err)
        self.assertGreater(self.floor(d), floor)

    def test_floor_never_goes_back(self):
        d = self.lock()
        args = ["--time-key", self.key(0), "--time-key", self.key(1), "--time-k", "2",
                "--time-url", self.servers[0].url, "--time-url", self.servers[1].url]
        rc, doc, err = self.sync("lock", d, *args)
        self.assertEqual(rc, 0, err)
        floor = self.floor(d)
        # Both trusted servers now agree on yesterday (old answers, or both
        # keys lost): the device refuses to go back.
        self.restart(0, -DAY_MS)
        self.restart(1, -DAY_MS)
        try:
            rc, doc, err = self.sync("lock", d)
            self.assertNotEqual(rc, 0)
            self.assertIn("before the floor", err)
            self.assertEqual(self.floor(d), floor)
        finally:
            # Honest again: the time moves on from the floor.
            self.restart(0, None)
            self.restart(1, None)
        rc, doc, err = self.sync("lock", d)
        self.assertEqual(rc, 0, err)
        self.assertGreaterEqual(doc["lo_ms"], floor)
        self.assertGreaterEqual(self.floor(d), floor)


if __name__ == "__main__":
    wardlib.main_args(__doc__)
    wardlib.run_tests()
