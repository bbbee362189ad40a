#!/usr/bin/env python3
"""End-to-end tests of wardd's HTTP API (flows A and B) with real processes.

usage: test_wardd_api.py [-v] WARDD WARDD_PROBE

Each test starts the real wardd on 127.0.0.1:0 with a fresh SQLite file
and SMS outbox in a temporary directory, reads the port from its
`event=listening addr=...` log line, and drives wardd_probe (which plays
the lock and the app with the real core and real signatures). Standard
library only.
"""
import base64
import json
import os
import shutil
import ssl
import urllib.request
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wardlib import (Wardd, bind_messages, connect_from, parse_log_line, peer_closed,  # noqa: E402
                     phone_code, probe_register)

WARDD = None
PROBE = None
PHONE = "+8613800000000"


class WarddTest(unittest.TestCase):
    extra = ()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="wardd-e2e-")
        self.root = self.tmp.name
        self.state = os.path.join(self.root, "state")
        os.mkdir(self.state)
        self.run_probe("factory-keygen")
        os.replace(os.path.join(self.state, "factory.pub"),
                   os.path.join(self.root, "factory.pub"))
        self.wardd = Wardd(self.root, WARDD, self.extra)
        self.wardd.start()

    def tearDown(self):
        try:
            self.wardd.stop()
            # Under -DWARD_SANITIZE=ON a sanitizer report lands in the log.
            log = self.wardd.log()
            for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                self.assertNotIn(bad, log)
        finally:
            self.tmp.cleanup()

    # -- helpers --

    def run_probe(self, *args, expect=None):
        url = self.wardd.url if hasattr(self, "wardd") and self.wardd.url else "-"
        cmd = [PROBE, url, self.state] + list(args)
        if expect is not None:
            cmd += ["--expect", str(expect)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
        return p.returncode, p.stdout + p.stderr

    def ok(self, *args, expect=None):
        rc, out = self.run_probe(*args, expect=expect)
        self.assertEqual(rc, 0, "probe %s failed:\n%s\n--- wardd log ---\n%s"
                         % (" ".join(args), out, self.wardd.log()[-3000:]))
        return out

    def fact(self, out, name):
        m = re.search(r"^%s=(.*)$" % re.escape(name), out, re.M)
        self.assertIsNotNone(m, "no %s in:\n%s" % (name, out))
        return m.group(1)

    def outbox(self):
        d = os.path.join(self.root, "outbox")
        names = sorted(n for n in os.listdir(d) if not n.startswith("."))
        msgs = []
        for n in names:
            self.assertRegex(n, r"^\d{13}-\d+\.json$")
            with open(os.path.join(d, n)) as f:
                msgs.append(json.load(f))
        return msgs

    def setup_pair(self, sn="LOCK-0001", uid="alice", phone=PHONE):
        self.ok("activate", sn, expect=201)
        self.register(uid, phone)

    def register(self, uid, phone):
        """An account with its phone verified (the code from the outbox)."""
        probe_register(self.ok, self.root, uid, phone)

    def bind_sms(self):
        """The bind-code SMS in the outbox (not the phone codes)."""
        self.outbox()                   # checks every file's name
        return bind_messages(self.root)

    def db(self):
        return sqlite3.connect(os.path.join(self.root, "wardd.db"))


class ManyConnections(WarddTest):
    # Held idle for the whole test: the header deadline must not free any
    # descriptor before the health request gets one past FD_SETSIZE.
    extra = ("--max-connections", "1400", "--header-deadline", "600")

    @classmethod
    def setUpClass(cls):
        # wardd inherits this limit: room for more than FD_SETSIZE sockets.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
        if want < 1400:
            raise unittest.SkipTest("RLIMIT_NOFILE's hard limit is below 1400")
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))

    def test_descriptors_past_fd_setsize(self):
        """A request is served even when its socket's descriptor is past
        FD_SETSIZE (1024): connection threads wait in poll(2), not select(2)."""
        idle = []
        try:
            # From 44 addresses (127.0.0.10-53, 25 each), under the default
            # cap of 32 connections per address.
            for i in range(1100):
                idle.append(connect_from(self.wardd.url, "127.0.0.%d" % (10 + i // 25)))
            with urllib.request.urlopen(self.wardd.url + "/v1/health", timeout=20) as r:
                self.assertEqual(r.status, 200)
            # All 1100 were taken and are still held.
            self.assertEqual([c for c in idle if peer_closed(c)], [])
        finally:
            for c in idle:
                c.close()


class BodyLimit(WarddTest):
    def test_oversized_body_is_one_413(self):
        """A body over the limit is answered 413 before it is read, once
        (one access line), and wardd goes on serving."""
        host, port = self.wardd.url[len("http://"):].rsplit(":", 1)
        body = b"x" * 20000
        with socket.create_connection((host, int(port)), timeout=10) as c:
            c.sendall(b"POST /v1/users HTTP/1.1\r\nHost: wardd\r\n"
                      b"Content-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body))
            try:
                c.sendall(body)
            except OSError:
                pass            # wardd may close once it has answered
            head = c.recv(4096)
        self.assertTrue(head.startswith(b"HTTP/1.1 413"), head[:80])
        with urllib.request.urlopen(self.wardd.url + "/v1/health", timeout=10) as r:
            self.assertEqual(r.status, 200)
        lines = [l for l in self.wardd.log().splitlines()
                 if "event=request" in l and "status=413" in l]
        self.assertEqual(len(lines), 1, "\n".join(lines))


class HappyPath(WarddTest):
    def test_activation_register_upload_fetch_confirm_status_escrow(self):
        self.ok("activate", "LOCK-0001", expect=201)
        self.ok("activate", "LOCK-0001", expect=200)      # same key: idempotent
        self.register("alice", PHONE)
        self.ok("register", "alice", PHONE, expect=200)   # verified: no new code
        self.assertEqual(len(self.outbox()), 1)
        out = self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        code = self.fact(out, "code")
        msgs = self.bind_sms()
        self.assertEqual(len(msgs), 1)
        self.assertEqual(msgs[0]["phone"], PHONE)
        self.assertEqual(msgs[0]["text"], "ward code %s: binding lock LOCK-0001 to account "
                         "alice. Expires in 10 minutes." % code)
        out = self.ok("fetch", "t1", "LOCK-0001", expect=200)
        self.assertEqual(self.fact(out, "opened"), "1")   # the blob arrived intact
        out = self.ok("status", "t1", "alice", "--expect-state", "sealed")
        out = self.ok("confirm", "t1", "LOCK-0001", expect=200)
        self.assertIn('"state":"bound"', out)
        self.ok("status", "t1", "alice", "--wait", "5", "--expect-state", "bound")
        out = self.ok("escrow", "alice", "--task", "t1", expect=200)
        self.assertEqual(self.fact(out, "escrow_ok"), "1")
        # A repeated confirmation is answered as the first was.
        out = self.ok("confirm", "t1", "LOCK-0001", expect=200)
        self.assertIn('"role":0', out)
        # The code is not stored, and nothing is half-recorded.
        with self.db() as db:
            cols = [r[1] for r in db.execute("PRAGMA table_info(tasks)")]
            self.assertNotIn("code", cols)
            self.assertEqual(db.execute("SELECT count(*) FROM bindings").fetchone()[0], 1)
            self.assertEqual(db.execute("SELECT count(*) FROM escrows").fetchone()[0], 1)
            self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 8)
        # Never logged (a code-shaped run inside a hex id is not the code).
        self.assertIsNone(re.search(r"(?<![0-9a-f])%s(?![0-9a-f])" % code, self.wardd.log()))

    def test_long_poll_is_woken_by_confirm(self):
        self.setup_pair()
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        cmd = [PROBE, self.wardd.url, self.state, "status", "t1", "alice",
               "--wait", "25", "--expect-state", "bound"]
        t0 = time.time()
        poll = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        self.ok("confirm", "t1", "LOCK-0001", expect=200)
        out, _ = poll.communicate(timeout=30)
        self.assertEqual(poll.returncode, 0, out)
        self.assertLess(time.time() - t0, 10, "long-poll was not woken")

    def test_second_app_binds_same_lock(self):
        self.setup_pair()
        self.register("bob", "+8613900000000")
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        self.ok("confirm", "t1", "LOCK-0001", expect=200)
        self.ok("upload", "t2", "bob", "LOCK-0001", "+8613900000000", expect=201)
        self.ok("confirm", "t2", "LOCK-0001", "--role", "2", expect=200)
        out = self.ok("escrow", "bob", "--task", "t2", expect=200)
        self.assertEqual(self.fact(out, "escrow_ok"), "1")
        self.assertIn('"role":2', out)


class Refusals(WarddTest):
    def test_replayed_request(self):
        self.setup_pair()
        self.ok("replay", "alice", expect=401)

    def test_stale_created(self):
        self.setup_pair()
        self.ok("stale", "alice", "-400", expect=401)
        self.ok("stale", "alice", "400", expect=401)
        self.ok("stale", "alice", "-100", expect=200)    # within the skew

    def test_nonce_outlives_a_fast_clocks_request(self):
        """A request dated the full 300 s ahead passes the created check
        until its created + 301 s, past now + 600 s: its nonce is
        remembered that long."""
        self.setup_pair()
        t0 = time.time()
        self.ok("stale", "alice", "300", expect=200)
        with self.db() as db:
            exp = db.execute("SELECT max(expires_ms) FROM nonces WHERE keyid = 'user:alice'"
                             ).fetchone()[0]
        self.assertGreaterEqual(exp, (int(t0) + 300 + 301) * 1000)

    def test_body_altered_after_signing(self):
        self.setup_pair()
        self.ok("tamper", "alice", PHONE, expect=401)

    def test_unknown_signer(self):
        self.setup_pair()
        self.ok("escrow", "mallory", expect=401)

    def test_confirmation_with_wrong_key(self):
        self.setup_pair()
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        self.ok("confirm", "t1", "LOCK-0001", "--wrong-key", expect=401)
        self.ok("status", "t1", "alice", "--expect-state", "sealed")
        self.ok("confirm", "t1", "LOCK-0001", expect=200)

    def test_other_lock_cannot_fetch(self):
        self.setup_pair()
        self.ok("activate", "LOCK-0002", expect=201)
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        self.ok("fetch", "t1", "LOCK-0002", expect=403)

    def test_activation_bad_factory_signature(self):
        self.ok("activate", "LOCK-0009", "--bad-factory", expect=401)
        # ...and the SN was not registered by the attempt.
        self.ok("activate", "LOCK-0009", expect=201)

    def test_reactivation_with_other_key(self):
        self.ok("activate", "LOCK-0001", expect=201)
        self.ok("activate", "LOCK-0001", "--other-key", expect=409)
        self.ok("activate", "LOCK-0001", expect=200)

    def test_phone_mismatch(self):
        self.setup_pair()
        self.ok("upload", "t1", "alice", "LOCK-0001", "+8613811111111", expect=403)
        self.assertEqual(self.bind_sms(), [])

    def test_sms_rate_limit_per_phone(self):
        self.setup_pair()
        for i in range(3):
            self.ok("upload", "t%d" % i, "alice", "LOCK-0001", PHONE, expect=201)
        out = self.ok("upload", "t9", "alice", "LOCK-0001", PHONE, expect=429)
        self.assertGreater(int(self.fact(out, "retry_after")), 0)
        self.assertEqual(len(self.bind_sms()), 3)         # and no SMS


class Finding7PhoneVerification(WarddTest):
    """Issue 14, finding 7: phones are proved by an SMS code before an
    account may have wardd text anyone a bind code; one verified phone
    per account; codes locked out; no oracle of which SNs exist."""

    def answer(self, out):
        body = json.loads(self.fact(out, "body"))
        return (self.fact(out, "status"), body["error"], body["message"],
                int(self.fact(out, "retry_after")) > 0)

    def test_unverified_account_cannot_upload_and_texts_only_limited_codes(self):
        self.ok("activate", "LOCK-0001", expect=201)
        # A stranger registers the owner's number under several accounts:
        # each asks wardd to text the phone a code, at most 3 per 10 min.
        for i in range(3):
            self.ok("register", "mallory%d" % i, PHONE, expect=201)
        out = self.ok("register", "mallory3", PHONE, expect=429)
        self.assertGreater(int(self.fact(out, "retry_after")), 0)
        # None of them can upload a task: no bind code reaches the phone.
        for i in range(4):
            out = self.ok("upload", "t%d" % i, "mallory%d" % min(i, 2), "LOCK-0001", PHONE,
                          expect=403)
            self.assertIn("phone not verified", out)
        msgs = self.outbox()
        self.assertEqual(len(msgs), 3)
        for m in msgs:
            self.assertEqual(m["phone"], PHONE)
            self.assertRegex(m["text"], r"^ward code \d{6}: verify phone for account "
                             r"mallory\d\. Expires in 10 minutes\.$")
        with self.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM tasks").fetchone()[0], 0)

    def test_wrong_codes_lock_out(self):
        self.ok("register", "alice", PHONE, expect=201)
        code = phone_code(self.root, PHONE, "alice")
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        for left in (4, 3, 2, 1):
            out = self.ok("verify", "alice", wrong, expect=403)
            self.assertIn("wrong code: %d tr" % left, out)
        out = self.ok("verify", "alice", wrong, expect=429)
        self.assertIn("too many wrong codes", out)
        self.assertGreaterEqual(int(self.fact(out, "retry_after")), 299)
        # Locked: even the right code is refused, and no new code is sent.
        self.ok("verify", "alice", code, expect=429)
        self.ok("register", "alice", PHONE, expect=429)
        self.assertEqual(len(self.outbox()), 1)
        # Asking for another code buys no new guesses either: the attempts
        # stay with the account. Once the lock-out is over (moved back in
        # the database), a new code is sent and verifies.
        with self.db() as db:
            db.execute("UPDATE phone_codes SET locked_until_ms = 0")
        self.ok("register", "alice", PHONE, expect=200)
        code = phone_code(self.root, PHONE, "alice")
        self.ok("verify", "alice", code, expect=200)
        self.ok("verify", "alice", code, expect=200)      # idempotent once verified
        # Codes are kept only as MACs under a key outside the database, and
        # never logged.
        with self.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM phone_codes").fetchone()[0], 0)
        self.assertIsNone(re.search(r"(?<![0-9a-f])%s(?![0-9a-f])" % code, self.wardd.log()))

    def test_new_accounts_bring_no_new_guesses(self):
        """Each account has its own lock-out, but the number has a budget
        of checks (10 a day) whatever the accounts naming it."""
        for i in range(3):
            self.ok("register", "m%d" % i, PHONE, expect=201)
        codes = [phone_code(self.root, PHONE, "m%d" % i) for i in range(3)]
        for i in range(2):
            wrong = "%06d" % ((int(codes[i]) + 1) % 1000000)
            for _ in range(4):
                self.ok("verify", "m%d" % i, wrong, expect=403)
            self.ok("verify", "m%d" % i, wrong, expect=429)          # its own lock-out
        # A third account, even with its right code, gets no 11th check.
        out = self.ok("verify", "m2", codes[2], expect=429)
        self.assertIn("too many codes tried for this phone number", out)
        self.assertGreater(int(self.fact(out, "retry_after")), 23 * 3600)
        with self.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM users WHERE verified_ms IS NOT NULL"
                                        ).fetchone()[0], 0)

    def test_checks_of_no_live_code_spend_none_of_the_numbers_budget(self):
        """A stranger who names the owner's number on a throw-away account
        cannot spend the number's daily checks with checks wardd refuses
        before comparing anything (locked out, no live code): only a check
        against a live code counts, and the owner still verifies."""
        self.ok("register", "mallory", PHONE, expect=201)
        code = phone_code(self.root, PHONE, "mallory")
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        for _ in range(4):
            self.ok("verify", "mallory", wrong, expect=403)
        self.ok("verify", "mallory", wrong, expect=429)       # 5 real guesses: locked
        for _ in range(3):
            out = self.ok("verify", "mallory", wrong, expect=429)
            self.assertIn("too many wrong codes", out)
        with self.db() as db:                                 # the lock-out is over
            db.execute("UPDATE phone_codes SET locked_until_ms = 0")
        for _ in range(2):
            out = self.ok("verify", "mallory", wrong, expect=410)
            self.assertIn("no live code", out)
        # Ten checks refused, five of them compared: the owner's is the 6th.
        self.register("alice", PHONE)
        with self.db() as db:
            self.assertEqual(db.execute("SELECT uid FROM users WHERE verified_ms IS NOT NULL"
                                        ).fetchall(), [("alice",)])

    def test_code_is_kept_as_a_keyed_mac(self):
        self.ok("register", "alice", PHONE, expect=201)
        code = phone_code(self.root, PHONE, "alice")
        with self.db() as db:
            (mac,) = db.execute("SELECT mac FROM phone_codes WHERE uid = 'alice'").fetchone()
        self.assertEqual(len(mac), 32)
        # Not the code, nor an unkeyed hash of it that a reader of the
        # database could search 10^6 codes against.
        import hashlib
        for form in (code.encode(), ("alice\0" + PHONE + "\0" + code).encode()):
            self.assertNotEqual(mac, hashlib.sha256(form).digest())
        with open(os.path.join(self.root, "wardd.db"), "rb") as f:
            self.assertNotIn(code.encode(), f.read())
        key = os.path.join(self.root, "wardd.db.codekey")
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)

    def test_one_verified_phone_per_account_the_newer_proof_takes_it(self):
        self.ok("activate", "LOCK-0001", expect=201)
        self.register("alice", PHONE)
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        # The number passes to another account, which proves it: alice
        # can no longer have codes sent to it.
        self.register("bob", PHONE)
        self.ok("upload", "t2", "alice", "LOCK-0001", PHONE, expect=403)
        self.ok("upload", "t3", "bob", "LOCK-0001", PHONE, expect=201)
        # An account's phone never changes: not with the same key...
        self.ok("register", "alice", "+8613911111111", expect=409)
        # ...and alice gets it back only by proving it again.
        probe_register(self.ok, self.root, "alice", PHONE, expect=200)
        self.ok("upload", "t4", "bob", "LOCK-0001", PHONE, expect=403)
        with self.db() as db:
            rows = db.execute("SELECT uid FROM users WHERE phone = ? AND verified_ms IS NOT NULL",
                              (PHONE,)).fetchall()
        self.assertEqual(rows, [("alice",)])
        self.assertIn("event=phone_verified uid=alice took_over=1", self.wardd.log())

    def test_unknown_sn_answers_as_a_rate_limit(self):
        self.setup_pair()
        self.register("bob", "+8613900000000")
        # alice uses up her allowance on a real lock...
        for i in range(3):
            self.ok("upload", "a%d" % i, "alice", "LOCK-0001", PHONE, expect=201)
        limited = self.answer(self.ok("upload", "a9", "alice", "LOCK-0001", PHONE, expect=429))
        # ...bob's first probe of an SN that does not exist gets the same
        # answer, and it cost him his allowance: a real lock is refused next.
        unknown = self.answer(self.ok("upload", "b1", "bob", "LOCK-7777", "+8613900000000",
                                      expect=429))
        self.assertEqual(unknown, limited)
        self.assertEqual(unknown, ("429", "busy", "too many codes sent; try later", True))
        self.ok("upload", "b2", "bob", "LOCK-0001", "+8613900000000", expect=429)
        self.assertEqual([m["phone"] for m in self.bind_sms()], [PHONE] * 3)
        self.assertIn("reason=unknown_lock uid=bob", self.wardd.log())


    def test_reused_task_id_answers_alike_for_any_sn(self):
        """A task id used before is refused alike whatever SN the upload
        names: reusing one cannot tell a real lock from an unknown SN (a
        real lock's answer was a free 409, an unknown SN's a 429 that cost
        the whole allowance)."""
        self.setup_pair()
        out = self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        tid = self.fact(out, "tid")
        answers = []
        for name, sn in (("k", "LOCK-0001"), ("u", "LOCK-7777")):
            rc, out = self.run_probe("upload", name, "alice", sn, PHONE, "--tid", tid)
            answers.append((self.fact(out, "status"), json.loads(self.fact(out, "body"))))
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(answers[0], ("409", {"error": "conflict",
                                              "message": "task id already used"}))
        # Neither was charged: two more codes may still be sent.
        self.ok("upload", "t2", "alice", "LOCK-0001", PHONE, expect=201)
        self.ok("upload", "t3", "alice", "LOCK-0001", PHONE, expect=201)
        self.assertEqual(len(self.bind_sms()), 3)


class ShortTtl(WarddTest):
    extra = ("--task-ttl", "1")

    def test_expired_task(self):
        self.setup_pair()
        out = self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        self.assertIn("Expires in 1 minute.", self.bind_sms()[0]["text"])
        time.sleep(1.3)
        self.ok("fetch", "t1", "LOCK-0001", expect=410)
        self.ok("status", "t1", "alice", "--expect-state", "expired")


class AddressLimit(WarddTest):
    extra = ("--sms-per-addr", "2", "--sms-per-phone", "10")

    def test_sms_rate_limit_per_address(self):
        self.setup_pair()
        self.register("bob", "+8613900000000")
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        self.ok("upload", "t2", "bob", "LOCK-0001", "+8613900000000", expect=201)
        self.ok("upload", "t3", "bob", "LOCK-0001", "+8613900000000", expect=429)
        # Persisted: a restart does not hand out a new allowance.
        self.wardd.stop()
        self.wardd.start()
        self.ok("upload", "t4", "alice", "LOCK-0001", PHONE, expect=429)


class Lifecycle(WarddTest):
    def test_sigkill_mid_binding_and_restart(self):
        self.setup_pair()
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        self.ok("fetch", "t1", "LOCK-0001", expect=200)
        self.assertEqual(self.wardd.stop(signal.SIGKILL), -signal.SIGKILL)
        self.wardd.start()
        # The task survived and the binding completes.
        self.ok("status", "t1", "alice", "--expect-state", "sealed")
        self.ok("confirm", "t1", "LOCK-0001", expect=200)
        self.assertEqual(self.wardd.stop(signal.SIGKILL), -signal.SIGKILL)
        self.wardd.start()
        self.ok("status", "t1", "alice", "--expect-state", "bound")
        out = self.ok("escrow", "alice", "--task", "t1", expect=200)
        self.assertEqual(self.fact(out, "escrow_ok"), "1")
        # Nonces survive a restart too: the replay window stays closed.
        with self.db() as db:
            self.assertGreater(db.execute("SELECT count(*) FROM nonces").fetchone()[0], 0)

    def test_never_half_recorded(self):
        """SIGKILL right after many confirms: every task is either bound with
        its binding and escrow, or sealed with neither."""
        self.setup_pair()
        self.register("bob", "+8613900000000")
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        self.ok("upload", "t2", "bob", "LOCK-0001", "+8613900000000", expect=201)
        self.ok("fetch", "t1", "LOCK-0001", expect=200)
        confirm = subprocess.Popen([PROBE, self.wardd.url, self.state, "confirm", "t2",
                                    "LOCK-0001"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        self.ok("confirm", "t1", "LOCK-0001", expect=200)
        self.wardd.stop(signal.SIGKILL)
        confirm.wait(timeout=30)
        with self.db() as db:
            for tid, uid, state in db.execute("SELECT tid, uid, state FROM tasks"):
                b = db.execute("SELECT count(*) FROM bindings WHERE uid = ?", (uid,)).fetchone()[0]
                e = db.execute("SELECT count(*) FROM escrows WHERE uid = ?", (uid,)).fetchone()[0]
                self.assertEqual((b, e), (1, 1) if state == 1 else (0, 0), uid)
        self.wardd.start()
        self.ok("status", "t1", "alice", "--expect-state", "bound")

    def test_sigterm_is_clean(self):
        self.assertEqual(self.wardd.stop(signal.SIGTERM), 0)
        self.assertIn("event=stopped", self.wardd.log())

    def test_sigterm_during_long_poll(self):
        self.setup_pair()
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        poll = subprocess.Popen([PROBE, self.wardd.url, self.state, "status", "t1", "alice",
                                 "--wait", "30"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        time.sleep(1.5)                              # the poll is waiting
        t0 = time.time()
        self.assertEqual(self.wardd.stop(signal.SIGTERM), 0)
        self.assertLess(time.time() - t0, 5, "shutdown waited for the long-poll")
        out, _ = poll.communicate(timeout=30)
        self.assertIn("state=sealed", out)           # answered, not cut off

    def test_config_file_and_flags(self):
        self.wardd.stop()
        cfg = os.path.join(self.root, "wardd.conf")
        with open(cfg, "w") as f:
            f.write("# test\nsms-per-phone = 1\ntask-ttl = 120\n")
        self.wardd.start(["--config", cfg, "--task-ttl", "300"])
        self.setup_pair()
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        self.assertIn("Expires in 5 minutes.", self.bind_sms()[0]["text"])   # flag wins
        self.ok("upload", "t2", "alice", "LOCK-0001", PHONE, expect=429)   # file applied

    def test_help_and_bad_flags(self):
        p = subprocess.run([WARDD, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        for flag in ("--listen", "--db", "--sms-outbox", "--sms-command", "--factory-pub",
                     "--tls-cert", "--tls-key", "--task-ttl", "--sms-per-phone",
                     "--sms-per-addr", "--max-connections", "--max-per-addr",
                     "--header-deadline", "--body-deadline", "--config", "--log",
                     "--trusted-proxy", "--metrics-allow"):
            self.assertIn(flag, p.stdout)
        p = subprocess.run([WARDD, "--no-such-flag"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        for bad in (["--header-deadline", "0"], ["--body-deadline", "3601"],
                    ["--max-per-addr", "-1"]):
            p = subprocess.run([WARDD] + bad, capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, bad)


class SmsCommand(WarddTest):
    def command(self, fail_binds=False):
        """wardd restarted with an SMS command that appends what it is given
        to sent.txt (and fails for bind codes when fail_binds); alice
        registered with the code it was given."""
        script = os.path.join(self.root, "sms.sh")
        self.sent = os.path.join(self.root, "sent.txt")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nt=$(cat)\nprintf 'to=%%s\\n%%s\\n' \"$1\" \"$t\" >> %s\n"
                    "%s\n" % (self.sent, 'case "$t" in *"binding lock"*) exit 1;; esac'
                               if fail_binds else ""))
        os.chmod(script, 0o755)
        self.wardd.stop()
        self.wardd.start(["--sms-command", script])
        self.ok("activate", "LOCK-0001", expect=201)
        self.ok("register", "alice", PHONE, expect=201)
        code = re.findall(r"ward code (\d{6}): verify phone for account alice\.", self.sent_text())
        self.ok("verify", "alice", code[-1], expect=200)

    def sent_text(self):
        with open(self.sent) as f:
            return f.read()

    def test_sms_command_provider(self):
        self.command()
        out = self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        text = self.sent_text()
        self.assertIn("to=" + PHONE, text)
        self.assertIn("ward code %s: binding lock LOCK-0001 to account alice."
                      % self.fact(out, "code"), text)

    def test_failing_command_drops_the_task(self):
        self.command(fail_binds=True)
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=503)
        with self.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM tasks").fetchone()[0], 0)

    def test_command_output_is_dropped_not_logged(self):
        # A command that echoes the text (with its code) and a forged log
        # field with a terminal escape: neither reaches wardd's log.
        script = os.path.join(self.root, "loud.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nt=$(cat)\necho \"$t\"\n"
                    "printf 'x\\033[2J level=error event=forged\\n' >&2\n")
        os.chmod(script, 0o755)
        self.wardd.stop()
        self.wardd.start(["--sms-command", script])
        self.ok("activate", "LOCK-0001", expect=201)
        self.ok("register", "alice", PHONE, expect=201)
        log = self.wardd.log()
        self.assertIn("event=sms_command_output", log)
        self.assertNotIn("ward code", log)
        self.assertNotIn("\x1b", log)
        self.assertNotIn("event=forged", log)

    def test_failing_command_at_registration(self):
        self.wardd.stop()
        self.wardd.start(["--sms-command", "false"])
        self.ok("register", "alice", PHONE, expect=503)
        # Nothing reached the phone: asking again sends a new code.
        self.ok("verify", "alice", "123456", expect=410)


PHONES = {"alice": PHONE, "bob": "+8613900000000", "carol": "+8613700000000",
          "mallory": "+8613600000000"}


class FlowB(WarddTest):
    """LOCK-0001 with alice (owner), bob and carol (members); mallory is
    registered but bound to nothing."""

    def setUp(self):
        super().setUp()
        self.ok("activate", "LOCK-0001", expect=201)
        for uid, phone in PHONES.items():
            self.register(uid, phone)
        for task, uid, role in (("ta", "alice", 0), ("tb", "bob", 2), ("tc", "carol", 2)):
            self.ok("upload", task, uid, "LOCK-0001", PHONES[uid], expect=201)
            self.ok("confirm", task, "LOCK-0001", "--role", str(role), expect=200)

    def create(self, name, *extra):
        out = self.ok("op-create", name, "LOCK-0001", *extra, expect=201)
        return self.fact(out, "op_id")

    def test_pending_reaches_every_bound_user_and_only_them(self):
        op_id = self.create("o1")
        for uid in ("alice", "bob", "carol"):
            out = self.ok("op-pending", uid, "--expect-count", "1")
            self.assertIn(op_id, out)
        self.ok("op-pending", "mallory", "--expect-count", "0")
        self.ok("op-state", "o1", "alice", "--expect-state", "pending")
        self.ok("op-state", "o1", "mallory", expect=403)
        # A target: only that user sees it.
        self.create("o2", "--target", "bob")
        self.ok("op-pending", "bob", "--expect-count", "2")
        self.ok("op-pending", "alice", "--expect-count", "1")

    def test_op_refusals_at_creation(self):
        self.ok("op-create", "x", "LOCK-0001", "--target", "mallory", expect=404)
        self.ok("op-create", "x", "LOCK-0001", "--claim-sn", "LOCK-0002", expect=403)
        self.ok("activate", "LOCK-0002", expect=201)
        self.ok("op-create", "x", "LOCK-0002", expect=409)     # nobody bound

    def test_answer_rules_every_member_once_and_fetch(self):
        self.create("o1")
        self.ok("op-answer", "o1", "mallory", "-", expect=403)            # not bound
        self.ok("op-answer", "o1", "alice", "ta", "--as-uid", "bob", expect=403)
        out = self.ok("op-answer", "o1", "bob", "tb", expect=200)
        self.assertIn('{"state":"answered","n":1}', out)
        # The lock's capability: the wrong token is refused, the right one
        # gets the answers in order, the first at the top level too.
        self.ok("op-fetch", "o1", "--wrong-token", expect=401)
        out = self.ok("op-fetch", "o1", expect=200)
        self.assertEqual(self.fact(out, "uid"), "bob")
        self.assertEqual(self.fact(out, "same"), "1")
        # Another member's answer is kept too: no member can burn an op.
        out = self.ok("op-answer", "o1", "alice", "ta", expect=200)
        self.assertIn('"n":2', out)
        out = self.ok("op-answer", "o1", "bob", "tb", expect=409)      # once each
        self.assertIn('"error":"conflict"', out)
        self.ok("op-pending", "alice", "--expect-count", "0")
        self.ok("op-pending", "carol", "--expect-count", "1")
        self.ok("op-state", "o1", "carol", "--expect-state", "answered")
        out = self.ok("op-fetch", "o1", expect=200)
        self.assertEqual(self.fact(out, "uid"), "bob")
        self.ok("op-result", "o1", "--wrong-token", expect=401)
        self.ok("op-result", "o1", "--for", "carol", expect=409)   # carol did not answer
        self.ok("op-result", "o1", "--for", "alice", expect=200)
        self.ok("op-result", "o1", "--for", "alice", expect=409)
        out = self.ok("op-state", "o1", "bob", "--expect-state", "done")
        self.assertIn('"answered_by":"alice"', out)
        self.assertIn('"result":"', out)
        # Once the lock took an answer, the rest are late.
        out = self.ok("op-answer", "o1", "carol", "tc", expect=409)
        self.assertIn('"error":"late"', out)
        self.assertIn('"answered_by":"alice"', out)
        self.ok("op-pending", "carol", "--expect-count", "0")
        # Only a target may answer an op that names one.
        self.create("o2", "--target", "carol")
        self.ok("op-answer", "o2", "alice", "ta", expect=403)
        self.ok("op-answer", "o2", "carol", "tc", "--deny", expect=200)
        # A replayed answer request (same nonce) is refused before it acts.
        self.create("o3")
        self.ok("op-answer", "o3", "alice", "ta", "--replay", expect=401)
        # Each answer is stored with its signature, committed when it came:
        # o1 bob's and alice's, o2 carol's, o3 alice's (its replay refused).
        with self.db() as db:
            n = db.execute("SELECT count(*) FROM op_answers WHERE sig IS NOT NULL"
                           " AND sig_input LIKE '%keyid=\"user:%'").fetchone()[0]
        self.assertEqual(n, 4)
        # The fetch path does no signature check: its log line has no signer.
        log = self.wardd.log()
        self.assertRegex(log, r"path=/v1/ops/[0-9a-f]{32}/answer status=200 addr=\S+ signer=- ")
        self.assertNotIn("token=", log)

    def test_malformed_answer_is_told_its_fault(self):
        """A 400 for an answer names what is wrong with it: an APPROVAL
        whose header flags are not SEALED hears about its header, not
        about base64 (which had misled an implementation written from
        docs/protocol.md), and neither refusal spends the op."""
        self.create("o1")
        out = self.ok("op-answer", "o1", "alice", "ta", "--flags", "0", expect=400)
        self.assertIn("not an APPROVAL", out)
        self.assertIn("flags SEALED", out)
        self.assertNotIn("base64", out)
        out = self.ok("op-answer", "o1", "alice", "ta", "--not-base64", expect=400)
        self.assertIn("not base64", out)
        self.ok("op-answer", "o1", "alice", "ta", expect=200)

    def test_withdrawn_op_says_so_in_its_410(self):
        """A 410 names the way the op closed in "state", so a client need
        not match the message text."""
        self.create("o1")
        with self.db() as db:               # as POST /v1/ops/{id}/withdraw leaves it
            db.execute("UPDATE ops SET state = 3")
        for out in (self.ok("op-answer", "o1", "alice", "ta", expect=410),
                    self.ok("op-fetch", "o1", expect=410)):
            body = json.loads(self.fact(out, "body"))
            self.assertEqual(body, {"error": "expired", "message": "the lock withdrew this op",
                                    "state": "withdrawn"})

    def test_long_polls_are_woken(self):
        poll = subprocess.Popen([PROBE, self.wardd.url, self.state, "op-pending", "carol",
                                 "--wait", "25", "--expect-count", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        t0 = time.time()
        self.create("o1")
        out, _ = poll.communicate(timeout=30)
        self.assertEqual(poll.returncode, 0, out)
        self.assertLess(time.time() - t0, 5, "pending long-poll was not woken")
        fetch = subprocess.Popen([PROBE, self.wardd.url, self.state, "op-fetch", "o1",
                                  "--wait", "25", "--expect", "200"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        t0 = time.time()
        self.ok("op-answer", "o1", "carol", "tc", expect=200)
        out, _ = fetch.communicate(timeout=30)
        self.assertEqual(fetch.returncode, 0, out)
        self.assertLess(time.time() - t0, 5, "answer long-poll was not woken")
        self.assertIn("uid=carol", out)
        # Fetching again is fine (and by now the answering probe has kept
        # its copy to compare with).
        out = self.ok("op-fetch", "o1", expect=200)
        self.assertEqual(self.fact(out, "same"), "1")

    def test_revocation_roles_and_effects(self):
        self.ok("revoke", "tb", "tc", expect=403)          # member revokes a member
        self.ok("revoke", "ta", "ta", expect=403)          # the owner itself
        self.ok("revoke", "ta", "tb", "--as-uid", "carol", expect=403)   # not the signer's
        out = self.ok("revoke", "ta", "tb", expect=200)
        self.assertIn('"state":"revoked"', out)
        with self.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM bindings WHERE uid = 'bob'")
                             .fetchone()[0], 0)
            self.assertEqual(db.execute("SELECT count(*) FROM escrows WHERE uid = 'bob'")
                             .fetchone()[0], 0)
        out = self.ok("clients", "LOCK-0001", "alice", expect=200)
        self.assertNotIn('"uid":"bob"', out)
        self.assertIn('"uid":"alice","role":"owner"', out)
        self.ok("clients", "LOCK-0001", "bob", expect=403)
        # Its answers are refused from now on.
        self.create("o1")
        self.ok("op-pending", "bob", "--expect-count", "0")
        self.ok("op-answer", "o1", "bob", "tb", expect=403)
        # The lock's inbox holds the revoke until it acks it.
        out = self.ok("inbox", "LOCK-0001", "--expect-count", "1")
        ids = self.fact(out, "ids")
        self.ok("inbox", "LOCK-0001", "--expect-count", "1")   # not yet acked
        self.ok("inbox-ack", "LOCK-0001", ids, expect=200)
        self.ok("inbox", "LOCK-0001", "--expect-count", "0")
        # A member may revoke itself.
        self.ok("revoke", "tc", "tc", expect=200)

    def test_revoke_of_an_unbound_target_needs_the_locks_answer(self):
        """wardd queues a REVOKE of a target it holds no binding of only on
        the lock's answer to an earlier REVOKE of that target by the same
        revoker (the lock said it holds another binding): an owner cannot
        have the REVOKE of any uid queued on its word alone."""
        def inbox_ids():
            return self.fact(self.ok("inbox", "LOCK-0001"), "ids")

        def lock_answered(revoker, target):
            # The lock's sealed REVOKE_RESULT, as wardd keeps it (it cannot
            # open it): stored with the acknowledgement.
            with self.db() as db:
                db.execute("UPDATE inbox SET result = x'0102' WHERE revoker = ? AND target = ?"
                           " AND acked_ms IS NOT NULL", (revoker, target))

        # mallory was never bound (her task was never confirmed).
        self.ok("upload", "tm", "mallory", "LOCK-0001", PHONES["mallory"], expect=201)
        self.ok("revoke", "ta", "tm", expect=404)
        self.ok("inbox", "LOCK-0001", "--expect-count", "0")
        # bob's binding goes with the first REVOKE; the lock has not
        # answered it, nor has it when it acknowledges it without a result.
        self.ok("revoke", "ta", "tb", expect=200)
        self.ok("revoke", "ta", "tb", expect=404)
        self.ok("inbox-ack", "LOCK-0001", inbox_ids(), expect=200)
        self.ok("revoke", "ta", "tb", expect=404)
        lock_answered("alice", "bob")
        self.ok("revoke", "ta", "tb", expect=200)
        # A member revoking itself: its binding is gone after the first, and
        # only the lock's answer lets it send another.
        self.ok("revoke", "tc", "tc", expect=200)
        self.ok("revoke", "tc", "tc", expect=403)
        self.ok("inbox-ack", "LOCK-0001", inbox_ids(), expect=200)
        lock_answered("carol", "carol")
        self.ok("revoke", "tc", "tc", expect=200)
        with self.db() as db:
            rows = db.execute("SELECT revoker, target FROM inbox ORDER BY id").fetchall()
        self.assertEqual(rows, [("alice", "bob"), ("alice", "bob"), ("carol", "carol"),
                                ("carol", "carol")])

    def test_inbox_long_poll_woken_by_revocation(self):
        poll = subprocess.Popen([PROBE, self.wardd.url, self.state, "inbox", "LOCK-0001",
                                 "--wait", "25", "--expect-count", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        t0 = time.time()
        self.ok("revoke", "ta", "tc", expect=200)
        out, _ = poll.communicate(timeout=30)
        self.assertEqual(poll.returncode, 0, out)
        self.assertLess(time.time() - t0, 5, "inbox long-poll was not woken")

    def test_audit_access(self):
        self.create("o1")
        self.ok("op-answer", "o1", "alice", "ta", expect=200)
        self.ok("op-fetch", "o1", expect=200)
        self.ok("op-result", "o1", "--for", "alice", expect=200)
        self.ok("op-answer", "o1", "bob", "tb", expect=409)
        self.ok("revoke", "ta", "tc", expect=200)
        out = self.ok("audit", "LOCK-0001", "alice", expect=200)
        events = json.loads(self.fact(out, "body"))["events"]
        names = [e["event"] for e in events]
        self.assertEqual(names, ["revoke", "op_late", "op_result", "op_delivered",
                                 "op_answered", "op_created", "bind", "bind", "bind"])
        self.ok("audit", "LOCK-0001", "lock", expect=200)
        self.ok("audit", "LOCK-0001", "bob", expect=403)       # a member
        self.ok("audit", "LOCK-0001", "mallory", expect=403)   # not bound
        self.ok("activate", "LOCK-0002", expect=201)
        self.ok("audit", "LOCK-0001", "lock:LOCK-0002", expect=403)   # another lock
        # The clients list: the lock and any bound client, nobody else.
        self.ok("clients", "LOCK-0001", "lock", expect=200)
        self.ok("clients", "LOCK-0001", "bob", expect=200)
        self.ok("clients", "LOCK-0001", "mallory", expect=403)
        self.ok("clients", "LOCK-0001", "lock:LOCK-0002", expect=403)


class ShortOpTtl(WarddTest):
    extra = ("--op-ttl", "1")

    def test_expired_op(self):
        self.ok("activate", "LOCK-0001", expect=201)
        self.register("alice", PHONE)
        self.ok("upload", "ta", "alice", "LOCK-0001", PHONE, expect=201)
        self.ok("confirm", "ta", "LOCK-0001", expect=200)
        self.ok("op-create", "o1", "LOCK-0001", expect=201)
        self.ok("op-fetch", "o1", expect=404)                  # no answer yet
        time.sleep(1.2)
        self.ok("op-pending", "alice", "--expect-count", "0")
        out = self.ok("op-answer", "o1", "alice", "ta", expect=410)
        self.assertEqual(json.loads(self.fact(out, "body"))["state"], "expired")
        out = self.ok("op-fetch", "o1", expect=410)
        self.assertEqual(json.loads(self.fact(out, "body"))["state"], "expired")
        self.ok("op-state", "o1", "alice", "--expect-state", "expired")


class Tls(WarddTest):
    def test_health_over_https(self):
        if shutil.which("openssl") is None:
            self.skipTest("openssl command-line tool missing (scripts/deps.sh installs it)")
        cert = os.path.join(self.root, "cert.pem")
        key = os.path.join(self.root, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.wardd.stop()
        self.wardd.start(["--tls-cert", cert, "--tls-key", key])
        self.assertIn("tls=on", self.wardd.log())
        port = self.wardd.port
        ctx = ssl.create_default_context(cafile=cert)
        with urllib.request.urlopen("https://127.0.0.1:%d/v1/health" % port, context=ctx,
                                    timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertIs(json.loads(r.read())["ok"], True)
        # A client that does not trust the certificate is refused.
        with self.assertRaises(Exception):
            urllib.request.urlopen("https://127.0.0.1:%d/v1/health" % port,
                                   context=ssl.create_default_context(), timeout=10)


def raw_exchange(url, raw, source="127.0.0.1", timeout=10):
    """Sends raw bytes as one HTTP request and returns wardd's status code
    (None when it closed the connection without one)."""
    s = connect_from(url, source, timeout)
    try:
        s.sendall(raw)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        return None
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
    return int(m.group(1)) if m else None


class Finding8LogInjection(WarddTest):
    """Issue 14, finding 8: a request path, method or header made of tabs,
    CR, escape sequences, quotes and backslashes used to be logged raw, so
    a client could forge fields (status=200, event=...) or drive the
    terminal of whoever reads the log. Every value is now escaped."""

    # Field names wardd's access line has, in order.
    REQUEST_KEYS = ["ts", "level", "event", "method", "path", "status", "addr", "signer", "ms"]

    def log_bytes(self):
        with open(self.wardd.log_path, "rb") as f:
            return f.read()

    def assert_log_well_formed(self, raw):
        self.assertTrue(raw.endswith(b"\n"))
        for line in raw[:-1].split(b"\n"):
            bad = [c for c in line if c < 0x20 or c >= 0x7F]
            self.assertEqual(bad, [], "raw control or high byte in %r" % line)
            fields = parse_log_line(line)            # ValueError: not of the form
            self.assertEqual([k for k, _ in fields][:3], ["ts", "level", "event"], line)
            keys = [k for k, _ in fields]
            self.assertEqual(len(keys), len(set(keys)), "a field twice: %r" % line)
            self.assertNotIn((b"event", b"forged"), [(k.encode(), v) for k, v in fields])

    def test_request_line_and_headers_cannot_forge_fields(self):
        url = self.wardd.url
        forge = b" status=200 event=forged level=error\t\x1b[2J\x1b]0;owned\x07\"q\\"
        paths = [
            b"/v1/nothing" + forge,
            b"/v1/ops/\t\x1b[31mred\x1b[0m\x7f\xc3\xa9\x9b6n",
            b"/v1/a\rlevel=error event=forged",
            b"/v1/health\\\" status=500 \"",
            b"/" + b"\x1b" * 250,                    # escaped past the value cap
        ]
        sent = []
        for path in paths:
            raw = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            sent.append((b"GET", path, raw_exchange(url, raw)))
        method = b"G\x1b[2J\tET"
        raw = method + b" /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        sent.append((method, b"/v1/health", raw_exchange(url, raw)))
        # Headers wardd reads: a keyid with the same bytes (refused as
        # malformed), one with only printable ones (refused as a bad keyid),
        # a bare CR in another header, a query likewise.
        for keyid in (b"user:a\tb status=200\x1b[2J", b"user:a status=200 event=forged"):
            hdrs = (b'Signature-Input: ward=("@method" "@path" "@query" "content-digest");'
                    b'created=%d;nonce="%s";keyid="%s";alg="ecdsa-p256-sha256"\r\n'
                    b'Signature: ward=:%s:\r\n'
                    % (int(time.time()), b"0" * 32, keyid, base64.b64encode(bytes(64))) +
                    b"Content-Digest: sha-256=:x\x1b:\r\nX-Junk: a\rb level=error\r\n")
            raw = (b"GET /v1/escrow?x=\x1b[2J%0a\t HTTP/1.1\r\nHost: x\r\n" + hdrs +
                   b"Connection: close\r\n\r\n")
            sent.append((b"GET", b"/v1/escrow", raw_exchange(url, raw)))
        # A user id with a newline, a tab and ESC in a JSON body.
        body = json.dumps({"user": "eve\n\tstatus=200 \u001b[2J", "phone": PHONE,
                           "pub": "AA=="}).encode()
        raw = (b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)) + body
        sent.append((b"POST", b"/v1/users", raw_exchange(url, raw)))
        self.assertEqual(raw_exchange(url, b"GET /v1/health HTTP/1.1\r\nHost: x\r\n"
                                           b"Connection: close\r\n\r\n"), 200)

        log = self.log_bytes()
        self.assert_log_well_formed(log)
        requests = [dict(parse_log_line(line)) for line in log.split(b"\n")
                    if b" event=request " in line]
        for method, path, status in sent:
            self.assertIsNotNone(status, "no answer to %r" % path)
            got = [r for r in requests if r["method"] == method and
                   (r["path"] == path or (len(path) > 200 and r["path"].endswith(b"...")))]
            self.assertGreaterEqual(len(got), 1, "no access line of %r %r in:\n%s"
                                    % (method, path, log))
            # The status is the one wardd answered, not one the path forged.
            self.assertEqual({r["status"] for r in got}, {str(status).encode()})
        # Every access line has exactly the fields of one, no forged one.
        for line in log.split(b"\n"):
            if b" event=request " in line:
                self.assertEqual([k for k, _ in parse_log_line(line)], self.REQUEST_KEYS)
        self.assertIn(b"event=auth_refused reason=malformed_signature", log)
        self.assertIn(b"event=auth_refused reason=bad_keyid", log)
        # (event=forged does stand in the log: inside a quoted path, where
        # the parse above keeps it.)
        self.assertNotIn(b"\x1b", log)
        self.assertNotIn(b"\t", log)
        self.assertNotIn(b"\r", log)


class Finding11SlowClients(WarddTest):
    """Issue 14, finding 11: wardd runs a thread per connection; unfinished
    requests from one address used to hold every thread (health refused to
    everyone), and a request fed a header line every few seconds held one
    for as long as it liked. Now one address has at most --max-per-addr
    connections, and a request's headers and body have absolute deadlines
    (--header-deadline, --body-deadline), each logged when hit."""

    HEALTH = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    UNFINISHED = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n"

    def restart(self, *flags):
        self.wardd.stop()
        self.wardd.start(list(flags))

    def wait_for(self, cond, timeout, what):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if cond():
                return time.time() - t0
            time.sleep(0.05)
        self.fail("%s: not within %.1f s\n--- wardd log ---\n%s"
                  % (what, timeout, self.wardd.log()[-3000:]))

    def hold(self, n, source="127.0.0.1"):
        """n connections from source, each with an unfinished request;
        returns (open, closed) once wardd has taken or refused every one."""
        socks = []
        for _ in range(n):
            s = connect_from(self.wardd.url, source)
            try:
                s.sendall(self.UNFINISHED)
            except OSError:
                pass
            socks.append(s)
        # wardd takes connections in the order they came: once a later one
        # (from another address) is answered, it has taken or refused these.
        self.assertEqual(raw_exchange(self.wardd.url, self.HEALTH, "127.0.0.254"), 200)
        time.sleep(0.3)
        closed = [s for s in socks if peer_closed(s)]
        return [s for s in socks if s not in closed], closed

    def test_one_address_cannot_take_every_connection(self):
        """48 unfinished requests from one address on a wardd of 48
        connections (default cap: 32 per address)."""
        self.restart("--max-connections", "48")
        held, refused = self.hold(48)
        try:
            self.assertEqual((len(held), len(refused)), (32, 16))
            t0 = time.time()
            self.assertEqual(raw_exchange(self.wardd.url, self.HEALTH, "127.0.0.2"), 200)
            self.assertLess(time.time() - t0, 2.0, "health was slow for another address")
            # The same address is refused beyond its cap, and the log says so.
            self.assertIsNone(raw_exchange(self.wardd.url, self.HEALTH, "127.0.0.1"))
            self.assertRegex(self.wardd.log(), r"level=warn event=conn_refused "
                                               r"reason=per_addr_cap addr=127\.0\.0\.1 cap=32 ")
        finally:
            for s in held + refused:
                s.close()
        # Released, the address is served again.
        self.wait_for(lambda: raw_exchange(self.wardd.url, self.HEALTH) == 200, 5,
                      "127.0.0.1 served again")

    def test_cap_is_per_address_and_configurable(self):
        self.restart("--max-per-addr", "4")
        held1, refused1 = self.hold(6, "127.0.0.1")
        held2, refused2 = self.hold(6, "127.0.0.3")
        try:
            self.assertEqual((len(held1), len(refused1)), (4, 2))
            self.assertEqual((len(held2), len(refused2)), (4, 2))
            self.assertEqual(raw_exchange(self.wardd.url, self.HEALTH, "127.0.0.4"), 200)
        finally:
            for s in held1 + refused1 + held2 + refused2:
                s.close()
        # 0 lifts the cap (a reverse proxy is every client's one address).
        self.restart("--max-per-addr", "0", "--max-connections", "64")
        held, refused = self.hold(40)
        try:
            self.assertEqual((len(held), len(refused)), (40, 0))
        finally:
            for s in held + refused:
                s.close()

    def test_issue15_trusted_proxy_is_exempt_from_the_cap(self):
        """A --trusted-proxy peer carries every client behind it: the cap
        per address does not apply to it; to anyone else it still does."""
        self.restart("--max-per-addr", "4", "--trusted-proxy", "127.0.0.5/32")
        held1, refused1 = self.hold(6, "127.0.0.5")
        held2, refused2 = self.hold(6, "127.0.0.6")
        try:
            self.assertEqual((len(held1), len(refused1)), (6, 0))
            self.assertEqual((len(held2), len(refused2)), (4, 2))
        finally:
            for s in held1 + refused1 + held2 + refused2:
                s.close()
        with urllib.request.urlopen(self.wardd.url + "/metrics", timeout=10) as r:
            text = r.read().decode()
        self.assertIn('wardd_connections_refused_total{reason="per_addr_cap"} 2\n', text)

    def test_trickled_headers_are_cut_at_the_deadline(self):
        self.restart("--header-deadline", "2")
        s = connect_from(self.wardd.url, "127.0.0.1")
        t0 = time.time()
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        closed_after = None
        try:
            for i in range(40):                      # one header line every 0.25 s
                time.sleep(0.25)
                if peer_closed(s):
                    closed_after = time.time() - t0
                    break
                s.sendall(b"X-Slow-%d: 1\r\n" % i)
        except OSError:
            closed_after = time.time() - t0
        finally:
            s.close()
        self.assertIsNotNone(closed_after, "a trickled request was kept 10 s")
        self.assertGreater(closed_after, 1.5)
        self.assertLess(closed_after, 5.0)
        self.assertRegex(self.wardd.log(), r"level=warn event=conn_deadline phase=headers "
                                           r"addr=127\.0\.0\.1 after_ms=\d+ requests=0")
        self.assertEqual(raw_exchange(self.wardd.url, self.HEALTH), 200)

    def test_trickled_body_is_cut_at_the_deadline(self):
        self.restart("--body-deadline", "2")
        s = connect_from(self.wardd.url, "127.0.0.1")
        s.sendall(b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 400\r\n\r\n")
        t0 = time.time()
        closed_after = None
        try:
            for _ in range(40):                      # one byte every 0.25 s
                time.sleep(0.25)
                if peer_closed(s):
                    closed_after = time.time() - t0
                    break
                s.sendall(b" ")
        except OSError:
            closed_after = time.time() - t0
        finally:
            s.close()
        self.assertIsNotNone(closed_after, "a trickled body was kept 10 s")
        self.assertGreater(closed_after, 1.5)
        self.assertLess(closed_after, 5.0)
        self.assertRegex(self.wardd.log(), r"level=warn event=conn_deadline phase=body "
                                           r"addr=127\.0\.0\.1 after_ms=\d+ requests=0")

    def test_long_poll_and_keep_alive_are_not_cut(self):
        """Deadlines of 2 s and 1 s: a long-poll of 4 s (which waits after
        its request is in) runs its full time, and a kept-alive connection
        gets a fresh deadline for each request."""
        self.restart("--header-deadline", "2", "--body-deadline", "1")
        self.setup_pair()
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        t0 = time.time()
        out = self.ok("status", "t1", "alice", "--wait", "4", "--expect-state", "sealed")
        self.assertIn("state=sealed", out)
        self.assertGreater(time.time() - t0, 3.5, "the long-poll did not wait")

        s = connect_from(self.wardd.url, "127.0.0.1")
        f = s.makefile("rb")
        try:
            for _ in range(5):                       # 3 s on one connection
                s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertTrue(f.readline().startswith(b"HTTP/1.1 200 "))
                length = 0
                while True:
                    h = f.readline()
                    if h in (b"\r\n", b""):
                        break
                    if h.lower().startswith(b"content-length:"):
                        length = int(h.split(b":")[1])
                self.assertIs(json.loads(f.read(length))["ok"], True)
                time.sleep(0.6)
            # Idle past the header deadline, it is closed as an idle one.
            self.wait_for(lambda: peer_closed(s), 5, "idle keep-alive closed")
        finally:
            f.close()
            s.close()
        log = self.wardd.log()
        self.assertRegex(log, r"level=info event=conn_deadline phase=idle addr=127\.0\.0\.1 "
                              r"after_ms=\d+ requests=5")
        self.assertNotIn("phase=handler", log)
        self.assertNotIn("phase=headers", log)
        self.assertNotIn("phase=body", log)


class OpenApi(WarddTest):
    """Issue 15, item 11: wardd serves its OpenAPI document, and every
    answer of the end-to-end tests is checked against it (wardlib.Wardd
    checks the record when it stops wardd)."""

    DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                       "openapi.json")

    def get(self, path, method="GET"):
        req = urllib.request.Request(self.wardd.url + path, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def test_openapi_json_served(self):
        """GET /v1/openapi.json, unsigned, answers docs/openapi.json as
        built into wardd, as application/json."""
        status, headers, body = self.get("/v1/openapi.json")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(headers["Cache-Control"], "no-store")
        with open(self.DOC, encoding="utf-8") as f:
            self.assertEqual(json.loads(body), json.load(f))
        self.assertEqual(self.get("/v1/openapi.json", "POST")[0], 405)

    def test_recorded_answers_are_checked(self):
        """The harness's check sees every answer (the routed ones and the
        router's own 404, 405 and 414) and refuses one the document does
        not give: an undocumented route, an undocumented status, a body
        that does not match."""
        import copy
        import openapi_check
        self.assertEqual(self.get("/v1/health")[0], 200)
        self.assertEqual(self.get("/v1/no-such-route")[0], 404)
        self.assertEqual(self.get("/v1/health", "POST")[0], 405)
        self.assertEqual(self.get("/v1/" + "a" * 300)[0], 414)
        self.ok("activate", "LOCK-0001", expect=201)
        self.ok("activate", "LOCK-0001", expect=200)
        self.wardd.stop()           # checks the record against the document
        with open(self.wardd.record_path, encoding="utf-8") as f:
            recs = [json.loads(l) for l in f if l.strip()]
        seen = [(r["method"], r["path"], r["status"]) for r in recs]
        for want in [("GET", "/v1/health", 200), ("GET", "/v1/no-such-route", 404),
                     ("POST", "/v1/health", 405), ("GET", None, 414),
                     ("POST", "/v1/locks", 201), ("POST", "/v1/locks", 200)]:
            self.assertIn(want, seen)
        with open(self.DOC, encoding="utf-8") as f:
            doc = json.load(f)

        def problems(mutate):
            d = copy.deepcopy(doc)
            mutate(d)
            checker = openapi_check.Checker(d)
            return [p for r in recs for p in checker.check_record(r)]

        self.assertEqual(problems(lambda d: None), [])
        # An undocumented route: its answers are the router's only.
        self.assertTrue(any("status 200 is not documented" in p for p in
                            problems(lambda d: d["paths"].pop("/v1/health"))))
        # An undocumented status.
        self.assertTrue(any("status 201 is not documented" in p for p in problems(
            lambda d: d["paths"]["/v1/locks"]["post"]["responses"].pop("201"))))
        self.assertTrue(any("status 405 is not documented" in p for p in problems(
            lambda d: d["x-ward-unrouted"]["responses"].pop("405"))))
        # A body that does not match: a member the schema does not have,
        # one it requires and the answer lacks.
        self.assertTrue(any("undocumented member 'sn'" in p for p in problems(
            lambda d: d["components"]["schemas"]["Lock"]["properties"].pop("sn"))))
        self.assertTrue(any("no member 'id'" in p for p in problems(
            lambda d: d["components"]["schemas"]["Lock"].update(
                properties={"sn": {"type": "string"}, "id": {"type": "integer"}},
                required=["sn", "id"]))))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    if len(args) < 2:
        sys.exit("usage: test_wardd_api.py [-v] WARDD WARDD_PROBE")
    WARDD, PROBE = os.path.abspath(args[0]), os.path.abspath(args[1])
    unittest.main(argv=[sys.argv[0]] + flags + args[2:])
