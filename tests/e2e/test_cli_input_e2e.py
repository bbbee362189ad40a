#!/usr/bin/env python3
"""End to end, issue 15 (what a new user meets): stale binding records,
a retryable `app register`, input checks, interrupted work and a private
CA, with the real `ward` and the real wardd.

usage: test_cli_input_e2e.py [-v] WARD WARDD

Standard library only (openssl's command line makes the private CA; the
test that needs it is skipped without it).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wardlib  # noqa: E402
from wardlib import WardCli, HostileProxy, phone_code  # noqa: E402

WARD = None
WARDD = None
SN = "LOCK-0001"
SN2 = "LOCK-0002"
ALICE = ("alice", "+8613800000001")
BOB = ("bob", "+8613800000002")


class CliTest(WardCli, unittest.TestCase):
    """A wardd, the manufacturer key, and helpers to run `ward`."""

    extra = ()

    def setUp(self):
        self.make_root("ward-cli-e2e-")
        self.start_wardd(self.extra)

    def tearDown(self):
        self.clean_up()

    def bind_first(self, who, app, lock):
        super().bind_first(who, app, lock)
        self.ward_ok("app", "status", "--dir", app)

    def request(self, lock, *extra):
        return self.spawn("lock", "request", "--dir", lock, "--op", "unlock", *extra)

    def db_ops(self):
        import sqlite3
        c = sqlite3.connect(self.path("wardd.db"))
        try:
            return c.execute("SELECT hex(op_id), state FROM ops").fetchall()
        finally:
            c.close()


class Issue15Item7Input(CliTest):
    """Issue 15, item 7: bad numbers and non-http(s) server URLs are usage
    errors (exit 2) before anything is done; a trailing '/' on the URL is
    the same server; read-only lock commands work on a read-only
    directory."""

    def count(self, table):
        import sqlite3
        c = sqlite3.connect(self.path("wardd.db"))
        try:
            return c.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
        finally:
            c.close()

    def test_issue15_bad_numbers_are_usage_errors(self):
        lock = self.init_lock(SN, "lock")
        alice = self.register(ALICE)
        self.bind_first(ALICE, alice, lock)
        for args in (("lock", "request", "--dir", lock, "--op", "unlock", "--timeout", "abc"),
                     ("lock", "request", "--dir", lock, "--op", "unlock", "--ttl", "-5"),
                     ("app", "pending", "--dir", alice, "--wait", "-5"),
                     ("app", "status", "--dir", alice, "--wait", "4294967291"),
                     ("app", "revoke", "--dir", alice, "--user", "bob", "--timeout", "x"),
                     ("lock", "bind", "--dir", lock, "--phone", BOB[1], "--wait", "1.5")):
            rc, out, err = self.ward(*args, timeout=10)
            self.assertEqual(rc, 2, "%s: %s%s" % (" ".join(args), out, err))
            self.assertIn("whole seconds", err)
        self.assertEqual(self.count("ops"), 0)
        self.assertEqual(self.count("inbox"), 0)

    def test_issue15_server_urls(self):
        for scheme in ("ftp://127.0.0.1:21", "file:///etc", "127.0.0.1:8080", "http://",
                       "gopher://x"):
            t = time.time()
            err = self.ward_fails("lock", "init", "--dir", self.path("bad"), "--sn", SN,
                                  "--server", scheme, "--factory-key",
                                  self.path("factory", "factory.key"), rc=2, timeout=10)
            self.assertLess(time.time() - t, 5)
            self.assertIn("http:// or https:// URL expected", err)
            self.assertFalse(os.path.exists(self.path("bad")))
            self.ward_fails("app", "register", "--dir", self.path("bad"), "--server", scheme,
                            "--user", ALICE[0], "--phone", ALICE[1], rc=2,
                            expect="http:// or https:// URL expected", timeout=10)
            self.assertFalse(os.path.exists(self.path("bad")))
        self.assertEqual(self.count("users"), 0)
        # A trailing '/' (or two) names the same wardd: the whole flow works.
        lock = self.init_lock(SN, "lock", server=self.url + "/")
        self.assertEqual(self.count("locks"), 1)
        alice = self.register(ALICE, server=self.url + "//")
        self.bind_first(ALICE, alice, lock)
        with open(os.path.join(alice, "account.json")) as f:
            self.assertEqual(json.load(f)["server"], self.url)
        # A URL stored with a '/' by an older ward still works.
        with open(os.path.join(lock, "lock.json")) as f:
            cfg = json.load(f)
        cfg["server"] = self.url + "/"
        with open(os.path.join(lock, "lock.json"), "w") as f:
            json.dump(cfg, f)
        p = self.request(lock, "--timeout", "20")
        op_id, _, _ = self.wait_pending(alice)
        self.ward_ok("app", "approve", "--dir", alice, op_id)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("DOOR UNLOCKED", out)

    def test_issue15_read_only_lock_directory(self):
        lock = self.init_lock(SN, "lock")
        alice = self.register(ALICE)
        self.bind_first(ALICE, alice, lock)
        want_clients = self.ward_ok("lock", "clients", "--dir", lock)
        want_audit = self.ward_ok("lock", "audit", "--dir", lock)
        self.assertIn("alice", want_clients)
        before = self.files(lock)
        if os.geteuid() != 0:
            # chmod stops writes for anyone but root.
            os.chmod(lock, 0o500)
            try:
                runs = [self.ward(*a) for a in (("lock", "clients", "--dir", lock),
                                                ("lock", "audit", "--dir", lock),
                                                ("lock", "sync", "--dir", lock))]
            finally:
                os.chmod(lock, 0o700)
        else:
            # Root writes through chmod: a read-only bind mount instead.
            unshare = shutil.which("unshare")
            probe = subprocess.run([unshare or "unshare", "-rm", "true"], capture_output=True)
            if unshare is None or probe.returncode != 0:
                self.skipTest("root writes through chmod -w and unshare -rm is unavailable "
                              "for a read-only mount")
            runs = []
            for cmd in ("clients", "audit", "sync"):
                script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && '
                          '! touch "$1/probe" 2>/dev/null && exec "$2" lock %s --dir "$1"'
                          % cmd)
                p = subprocess.run([unshare, "-rm", "sh", "-c", script, "sh", lock, WARD],
                                   capture_output=True, text=True, timeout=60)
                runs.append((p.returncode, p.stdout, p.stderr))
        (rc1, out1, err1), (rc2, out2, err2), (rc3, out3, err3) = runs
        self.assertEqual((rc1, out1), (0, want_clients), err1)
        self.assertEqual((rc2, out2), (0, want_audit), err2)
        # A command that writes says why it cannot.
        self.assertEqual(rc3, 1, out3 + err3)
        self.assertRegex(err3, "Read-only file system|Permission denied")
        self.assertEqual(self.files(lock), before)

    @staticmethod
    def files(d):
        got = {}
        for n in os.listdir(d):
            if os.path.isfile(os.path.join(d, n)):
                with open(os.path.join(d, n), "rb") as f:
                    got[n] = f.read()
        return got


class Issue15Item4RegisterRetry(CliTest):
    """Issue 15, item 4: a failed `ward app register` (wardd unreachable,
    refused, a wrong SMS code, rate-limited) is tried again and succeeds;
    the client key written first is kept (wardd may hold it), never a dead
    end."""

    def key_of(self, d):
        with open(os.path.join(d, "client.key")) as f:
            return json.load(f)["key"]

    def pub_of(self, uid):
        import sqlite3
        c = sqlite3.connect(self.path("wardd.db"))
        try:
            row = c.execute("SELECT hex(pub), phone FROM users WHERE uid = ?",
                            (uid,)).fetchone()
        finally:
            c.close()
        return row

    def begin(self, d, who, server=None):
        return self.ward("app", "register", "--dir", d, "--server", server or self.url,
                         "--user", who[0], "--phone", who[1], stdin="")

    def finish_with_code(self, d, who):
        code = phone_code(self.root, who[1], who[0])
        self.assertIsNotNone(code)
        out = self.ward_ok("app", "register", "--dir", d, "--code", code)
        self.assertIn("phone verified", out)

    def works(self, d):
        """The account is whole: it binds a lock and approves an unlock."""
        lock = self.init_lock(SN, "lock-" + os.path.basename(d))
        self.bind_first((os.path.basename(d), self.phone_of(d)), d, lock)
        p = self.request(lock, "--timeout", "20")
        op_id, _, _ = self.wait_pending(d)
        self.ward_ok("app", "approve", "--dir", d, op_id)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("DOOR UNLOCKED", out)

    def phone_of(self, d):
        with open(os.path.join(d, "account.json")) as f:
            return json.load(f)["phone"]

    def test_issue15_register_retry_after_unreachable_and_rate_limit(self):
        d = self.path("alice")
        # wardd unreachable (stopped): the key is made and kept.
        self.wardd.stop()
        rc, out, err = self.begin(d, ALICE)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("cannot reach wardd", err)
        self.assertIn("again", err)
        key = self.key_of(d)
        self.wardd.start()
        # Rate-limited (429 from a proxy in wardd's place): said, retried.
        self.proxy = HostileProxy(self.url)
        self.proxy.on_request = lambda m, path, b: (
            (429, b'{"error": "rate_limited", "message": "slow down"}')
            if m == "POST" and path == "/v1/users" else None)
        rc, out, err = self.begin(d, ALICE, server=self.proxy.url)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("429", err)
        self.assertIn("again", err)
        self.assertNotIn("already holds", err)
        self.assertIsNone(self.pub_of(ALICE[0]))
        self.proxy.on_request = None
        # The retry goes on with the same key, to the wardd named now.
        rc, out, err = self.begin(d, ALICE)
        self.assertEqual(rc, 1, out + err)        # no code on stdin: finish later
        self.assertIn("ward app register --dir %s --code" % d, err)
        self.assertEqual(self.key_of(d), key)
        # A wrong SMS code: refused, then the right one works.
        code = phone_code(self.root, ALICE[1], ALICE[0])
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        self.ward_fails("app", "register", "--dir", d, "--code", wrong, rc=1)
        self.finish_with_code(d, ALICE)
        self.assertEqual(self.key_of(d), key)
        self.works(d)

    def test_issue15_register_retry_after_refusal(self):
        # bob's id is taken by another key: refused, and the message says
        # how to go on.
        self.register(BOB)
        d = self.path("bob2")
        rc, out, err = self.begin(d, (BOB[0], "+8613800000077"))
        self.assertEqual(rc, 1, out + err)
        self.assertIn("409", err)
        self.assertIn("another --user", err)
        key = self.key_of(d)
        # The same directory, another user id: it goes on with its key.
        rc, out, err = self.begin(d, ("bob2", "+8613800000077"))
        self.assertIn("wardd sent a code", out, err)
        self.finish_with_code(d, ("bob2", "+8613800000077"))
        self.assertEqual(self.key_of(d), key)
        self.assertEqual(self.pub_of("bob2")[1], "+8613800000077")
        self.works(d)
        # With a lock recorded, the directory is that account's only.
        rc, out, err = self.begin(d, ("bob3", "+8613800000078"))
        self.assertEqual(rc, 1, out + err)
        self.assertIn("already holds account bob2", err)
        self.assertEqual(self.key_of(d), key)
        self.assertIsNone(self.pub_of("bob3"))


class Issue15Item8Interrupted(CliTest):
    """Issue 15, item 8: a request `ward lock request` gives up on (Ctrl-C
    or its timeout) is withdrawn: no app can approve it; a request
    outlives a wardd restart (fetches back off, bounded) and the approval
    still reaches the lock; the QR code's lifetime comes from wardd."""

    def setUp(self):
        super().setUp()
        self.proxy = HostileProxy(self.url)
        self.lock = self.init_lock(SN, "lock", server=self.proxy.url)
        self.alice = self.register(ALICE)
        self.bind_first(ALICE, self.alice, self.lock)

    def assert_withdrawn(self, op_id):
        out = self.ward_ok("app", "pending", "--dir", self.alice)
        self.assertNotIn(op_id, out)
        err = self.ward_fails("app", "approve", "--dir", self.alice, op_id)
        self.assertIn("the lock withdrew the request", err)
        self.assertEqual([1 for m, path, *_ in self.proxy.seen
                          if m == "POST" and path == "/v1/ops/%s/withdraw" % op_id], [1])

    def test_issue15_ctrl_c_withdraws(self):
        p = self.request(self.lock, "--timeout", "60")
        op_id, _, _ = self.wait_pending(self.alice)
        p.send_signal(signal.SIGINT)
        rc, out, err = self.finish(p, timeout=30)
        self.assertNotEqual(rc, 0, out + err)
        self.assertIn("request withdrawn", err)
        self.assertNotIn("DOOR UNLOCKED", out)
        self.assert_withdrawn(op_id)

    def test_issue15_timeout_withdraws(self):
        p = self.request(self.lock, "--timeout", "3")
        op_id, _, _ = self.wait_pending(self.alice)
        rc, out, err = self.finish(p, timeout=30)
        self.assertNotEqual(rc, 0, out + err)
        self.assertIn("no answer within 3 s", err)
        self.assertIn("request withdrawn", err)
        self.assert_withdrawn(op_id)

    def test_issue15_request_survives_a_wardd_restart(self):
        p = self.request(self.lock, "--timeout", "60")
        op_id, _, _ = self.wait_pending(self.alice)
        self.wardd.stop()
        time.sleep(4)
        self.wardd.start()             # the same port and database
        self.ward_ok("app", "approve", "--dir", self.alice, op_id)
        rc, out, err = self.finish(p, timeout=60)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("DOOR UNLOCKED", out)
        self.assertIn("trying again", err)
        self.assertIn("wardd answers again", err)
        self.assertEqual(err.count("trying again"), 1, err)      # said once per outage

    def test_issue15_failing_wardd_is_fetched_with_back_off(self):
        fetches = []

        def hook(m, path, b):
            if m == "GET" and re.search(r"^/v1/ops/[0-9a-f]+/answer\?", path):
                fetches.append(time.time())
                return 503, b'{"error": "unavailable", "message": "restarting"}'
            return None
        self.proxy.on_request = hook
        t = time.time()
        p = self.request(self.lock, "--timeout", "14")
        rc, out, err = self.finish(p, timeout=60)
        self.proxy.on_request = None
        self.assertNotEqual(rc, 0, out + err)
        self.assertLess(time.time() - t, 25)
        # 1, 2, 4, 8 s apart: five fetches in 14 s, not fourteen.
        self.assertGreaterEqual(len(fetches), 3, fetches)
        self.assertLessEqual(len(fetches), 6, fetches)
        gaps = [b - a for a, b in zip(fetches, fetches[1:])]
        self.assertGreater(gaps[-1], 3, gaps)

    def test_issue15_qr_lifetime_from_wardd(self):
        for ttl, said in ((None, "10 minutes"), ("120", "2 minutes"), ("90", "90 s"),
                          ("3600", "10 minutes")):
            self.wardd.stop()
            self.wardd.start(["--task-ttl", ttl] if ttl else [])
            lock = self.init_lock("LOCK-Q%s" % (ttl or "0"), "lock-q%s" % (ttl or "0"))
            out = self.ward_ok("lock", "bind-start", "--dir", lock, "--phone", BOB[1],
                               "--qr-out", self.path("q.png"))
            self.assertIn("It is valid for %s." % said, out)
        # wardd out of reach: the lock's own limit, said to be an upper bound.
        self.wardd.stop()
        out = self.ward_ok("lock", "bind-start", "--dir", lock, "--phone", BOB[1], "--qr-out",
                           self.path("q.png"))
        self.assertIn("valid for 10 minutes at the lock (wardd did not say", out)
        self.wardd.start([])


class Issue15Item1StaleRecord(CliTest):
    """Issue 15, item 1: a binding of a second lock that expired, that
    wardd refused, or that was rate-limited leaves no record that makes
    `app pending`, `approve`, `clients`, `audit` or `status` fail for the
    first lock: the record is dropped, or a warning names the command that
    clears it."""

    extra = ("--task-ttl", "2")

    def setUp(self):
        super().setUp()
        self.proxy = HostileProxy(self.url)
        self.lock = self.init_lock(SN, "lock", server=self.proxy.url)
        self.lock2 = self.init_lock(SN2, "lock2", server=self.proxy.url)
        self.alice = self.register(ALICE, server=self.proxy.url)
        self.bind_first(ALICE, self.alice, self.lock)

    def everything_works(self):
        """Every app command for the first lock succeeds, and answers the
        warnings it printed."""
        p = self.request(self.lock, "--timeout", "30")
        op_id, _, sn = self.wait_pending(self.alice)
        self.assertEqual(sn, SN)
        rc, out, err = self.ward("app", "pending", "--dir", self.alice)
        self.assertEqual(rc, 0, out + err)
        warnings = err
        rc, out, err = self.ward("app", "approve", "--dir", self.alice, op_id)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("the lock: executed", out)
        rc2, out2, err2 = self.finish(p)
        self.assertEqual(rc2, 0, out2 + err2)
        self.assertIn("DOOR UNLOCKED", out2)
        for cmd in ("clients", "audit"):
            rc, out, err = self.ward("app", cmd, "--dir", self.alice, "--sn", SN)
            self.assertEqual(rc, 0, "%s: %s%s" % (cmd, out, err))
            self.assertIn("alice", out)
        # Without --sn: the one lock the app is bound to.
        rc, out, err = self.ward("app", "clients", "--dir", self.alice)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("alice", out)
        rc, out, err = self.ward("app", "status", "--dir", self.alice)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("lock %s: bound as owner" % SN, out)
        return warnings

    def scan_second(self, expect_rc=0):
        qr = self.path("qr2.png")
        self.ward_ok("lock", "bind-start", "--dir", self.lock2, "--phone", ALICE[1],
                     "--qr-out", qr)
        rc, out, err = self.ward("app", "scan", "--dir", self.alice, "--qr", qr)
        self.assertEqual(rc, expect_rc, out + err)
        return err

    def record2(self):
        return os.path.exists(os.path.join(self.alice, "locks", SN2 + ".json"))

    def test_issue15_expired_binding(self):
        self.scan_second()
        self.assertTrue(self.record2())
        time.sleep(2.5)
        # The first command after: the expired record is dropped, said.
        rc, out, err = self.ward("app", "clients", "--dir", self.alice)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("lock %s: the binding begun expired" % SN2, err)
        self.assertIn("alice", out)
        self.assertFalse(self.record2())
        self.assertEqual(self.everything_works(), "")

    def test_issue15_refused_binding(self):
        self.proxy.on_request = lambda m, path, b: (
            (403, b'{"error": "forbidden", "message": "phone not verified"}')
            if m == "POST" and path == "/v1/bind/tasks" else None)
        err = self.scan_second(expect_rc=1)
        self.assertIn("403", err)
        self.proxy.on_request = None
        self.assertFalse(self.record2())
        self.assertEqual(self.everything_works(), "")

    def test_issue15_rate_limited_binding(self):
        self.proxy.on_request = lambda m, path, b: (
            (429, b'{"error": "rate_limited", "message": "slow down"}')
            if m == "POST" and path == "/v1/bind/tasks" else None)
        err = self.scan_second(expect_rc=1)
        self.assertIn("429", err)
        self.proxy.on_request = None
        self.assertFalse(self.record2())
        self.assertEqual(self.everything_works(), "")
        # The same QR code binds once wardd takes it.
        self.ward_ok("app", "scan", "--dir", self.alice, "--qr", self.path("qr2.png"))
        self.ward_ok("lock", "bind-finish", "--dir", self.lock2, "--code",
                     self.code_for(ALICE[1]))
        self.assertIn("lock %s as owner" % SN2, self.ward_ok("app", "status", "--dir",
                                                              self.alice))

    def test_issue15_status_poll_failing(self):
        """wardd keeps failing to answer about the second binding: a
        warning naming the command that clears it, never a failure for
        the first lock."""
        self.scan_second()
        self.proxy.on_request = lambda m, path, b: (
            (429, b'{"error": "rate_limited", "message": "slow down"}')
            if "/status" in path and path.startswith("/v1/bind/tasks/") else None)
        warnings = self.everything_works_but_status()
        self.assertIn("warning: lock %s" % SN2, warnings)
        self.assertIn("ward app forget --dir %s --sn %s" % (self.alice, SN2), warnings)
        self.assertTrue(self.record2())
        out = self.ward_ok("app", "forget", "--dir", self.alice, "--sn", SN2)
        self.assertIn(SN2, out)
        self.assertFalse(self.record2())
        self.proxy.on_request = None
        self.assertEqual(self.everything_works(), "")
        # A bound lock is not forgotten that way.
        err = self.ward_fails("app", "forget", "--dir", self.alice, "--sn", SN)
        self.assertIn("bound", err)
        self.assertIn("executed", self.approve_once())

    def everything_works_but_status(self):
        p = self.request(self.lock, "--timeout", "30")
        op_id, _, sn = self.wait_pending(self.alice)
        rc, out, err = self.ward("app", "pending", "--dir", self.alice)
        self.assertEqual(rc, 0, out + err)
        self.ward_ok("app", "approve", "--dir", self.alice, op_id)
        self.assertEqual(self.finish(p)[0], 0)
        for cmd in ("clients", "audit"):
            self.ward_ok("app", cmd, "--dir", self.alice, "--sn", SN)
        self.ward_ok("app", "clients", "--dir", self.alice)
        return err

    def approve_once(self):
        p = self.request(self.lock, "--timeout", "30")
        op_id, _, _ = self.wait_pending(self.alice)
        out = self.ward_ok("app", "approve", "--dir", self.alice, op_id)
        self.assertEqual(self.finish(p)[0], 0)
        return out


def openssl():
    return shutil.which("openssl")


def make_ca(d):
    """A private CA and a certificate for 127.0.0.1 it signed, in d:
    ca.pem, server.pem, server.key."""
    def run(*args):
        p = subprocess.run(["openssl"] + list(args), cwd=d, capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0:
            raise AssertionError("openssl %s: %s" % (" ".join(args), p.stderr))
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ward test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")


class Issue15CaCert(CliTest):
    """Issue 15, item 14 (client side): `ward --cacert FILE` and
    SSL_CERT_FILE trust a private CA for wardd's HTTPS certificate, for
    every role; without them the CLI refuses the connection and says the
    certificate is not trusted."""

    def setUp(self):
        if openssl() is None:
            self.skipTest("needs the openssl command (Debian package openssl)")
        self.tls = tempfile.mkdtemp(prefix="ward-ca-")
        make_ca(self.tls)
        self.extra = ("--tls-cert", os.path.join(self.tls, "server.pem"),
                      "--tls-key", os.path.join(self.tls, "server.key"))
        super().setUp()
        self.url = self.wardd.url.replace("http://", "https://")

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.tls, ignore_errors=True)

    def ward_env(self, env, *args):
        p = subprocess.run([WARD] + list(args), capture_output=True, text=True, timeout=60,
                           env=env)
        return p.returncode, p.stdout, p.stderr

    def test_cacert_trusts_a_private_ca(self):
        if "tls=on" not in self.wardd.log():
            self.skipTest("this wardd is built without TLS")
        ca = os.path.join(self.tls, "ca.pem")
        env = dict(os.environ)
        env.pop("SSL_CERT_FILE", None)
        env.pop("CURL_CA_BUNDLE", None)
        factory = self.path("factory", "factory.key")
        lock = self.path("lock")
        # Not trusted: the lock is not activated, and the message says why.
        rc, out, err = self.ward_env(env, "lock", "init", "--dir", lock, "--sn", SN,
                                     "--server", self.url, "--factory-key", factory)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("certificate is not trusted", err)
        self.assertIn("--cacert", err)
        self.assertEqual(self.lock_rows(), 0)
        # --cacert before the command (and the app's registration after it).
        rc, out, err = self.ward_env(env, "--cacert", ca, "lock", "init", "--dir", lock,
                                     "--sn", SN, "--server", self.url, "--factory-key",
                                     factory)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("activated", out)
        self.assertEqual(self.lock_rows(), 1)
        app = self.path("alice")
        rc, out, err = self.ward_env(env, "app", "register", "--dir", app, "--server",
                                     self.url, "--user", ALICE[0], "--phone", ALICE[1])
        self.assertEqual(rc, 1, out + err)
        self.assertIn("certificate is not trusted", err)
        rc, out, err = self.ward_env(env, "app", "register", "--dir", app, "--server",
                                     self.url, "--user", ALICE[0], "--phone", ALICE[1],
                                     "--cacert=" + ca)
        self.assertIn("wardd sent a code", out + err)
        code = phone_code(self.root, ALICE[1], ALICE[0])
        # SSL_CERT_FILE instead of --cacert.
        env_ca = dict(env, SSL_CERT_FILE=ca)
        rc, out, err = self.ward_env(env_ca, "app", "register", "--dir", app, "--code", code)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("phone verified", out)
        # A whole binding through HTTPS, SSL_CERT_FILE for every role.
        qr = self.path("qr.png")
        rc, out, err = self.ward_env(env_ca, "lock", "bind-start", "--dir", lock, "--phone",
                                     ALICE[1], "--qr-out", qr)
        self.assertEqual(rc, 0, out + err)
        rc, out, err = self.ward_env(env_ca, "app", "scan", "--dir", app, "--qr", qr)
        self.assertEqual(rc, 0, out + err)
        rc, out, err = self.ward_env(env_ca, "lock", "bind-finish", "--dir", lock, "--code",
                                     self.code_for(ALICE[1]))
        self.assertEqual(rc, 0, out + err)
        rc, out, err = self.ward_env(env_ca, "app", "status", "--dir", app)
        self.assertIn("lock %s as owner" % SN, out)
        # Without it again: refused, nothing learnt.
        rc, out, err = self.ward_env(env, "app", "clients", "--dir", app)
        self.assertNotEqual(rc, 0, out + err)
        self.assertIn("certificate is not trusted", err)
        # A --cacert that cannot be read is a usage error before anything.
        rc, out, err = self.ward_env(env, "--cacert", self.path("nope.pem"), "app", "clients",
                                     "--dir", app)
        self.assertEqual(rc, 2, out + err)
        self.assertIn("nope.pem", err)

    def lock_rows(self):
        import sqlite3
        c = sqlite3.connect(self.path("wardd.db"))
        try:
            return c.execute("SELECT count(*) FROM locks").fetchone()[0]
        finally:
            c.close()


if __name__ == "__main__":
    WARD, WARDD = wardlib.main_args(__doc__)
    wardlib.run_tests()
