#!/usr/bin/env python3
"""End to end: remote operation approval and client management (flow B)
with the real `ward` roles and the real wardd.

usage: test_ops_e2e.py [-v] WARD WARDD

The lock and the apps reach wardd through HostileProxy, a man in the
middle that forwards faithfully until a test turns it hostile: it then
forges, alters, replays, reorders or delays the approvals on their way to
the lock, as a compromised server could. The lock must refuse every one.
Standard library only.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wardlib import WardCli, HostileProxy, Wardd, bind_messages  # noqa: E402

WARD = None
WARDD = None
SN = "LOCK-0001"
ALICE = ("alice", "+8613800000001")
BOB = ("bob", "+8613800000002")
ANSWER_FETCH = r"^/v1/ops/[0-9a-f]+/answer\?token="


class OpsTest(WardCli, unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ward-ops-e2e-")
        self.root = self.tmp.name
        self.procs = []
        self.ward_ok("factory", "keygen", "--out", self.path("factory"))
        os.replace(self.path("factory", "factory.pub"), self.path("factory.pub"))
        self.wardd = Wardd(self.root, WARDD)
        self.wardd.start()
        self.proxy = HostileProxy(self.wardd.url)
        self.lock = self.init_lock(SN, "lock")
        self.alice = self.register(ALICE)
        self.bind_first(ALICE, self.alice)

    def tearDown(self):
        try:
            for p in self.procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            self.proxy.close()
            self.wardd.stop()
            self.assert_no_sanitizer_report(self.wardd.log())
        finally:
            self.tmp.cleanup()

    # -- helpers --

    def ward_fails(self, *args, expect=None):
        rc, out, err = self.ward(*args)
        self.assertNotEqual(rc, 0, "ward %s should have failed:\n%s" % (" ".join(args), out))
        if expect:
            self.assertRegex(err, expect)
        return err

    def spawn(self, *args):
        p = subprocess.Popen([WARD] + list(args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def finish(self, p, timeout=90):
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err

    def init_lock(self, sn, name):
        d = self.path(name)
        self.ward_ok("lock", "init", "--dir", d, "--sn", sn, "--server", self.proxy.url,
                     "--factory-key", self.path("factory", "factory.key"))
        return d

    def register(self, who):
        return self.register_app(self.path(who[0]), self.proxy.url, who[0], who[1])

    def code_for(self, phone):
        msgs = bind_messages(self.root, phone)
        return re.search(r"\b(\d{6})\b", msgs[-1]["text"]).group(1)

    def bind_first(self, who, app, lock=None):
        lock = lock or self.lock
        qr = self.path("qr-%s.png" % who[0])
        self.ward_ok("lock", "bind-start", "--dir", lock, "--phone", who[1], "--qr-out", qr)
        self.ward_ok("app", "scan", "--dir", app, "--qr", qr)
        self.ward_ok("lock", "bind-finish", "--dir", lock, "--code", self.code_for(who[1]))

    def bind_second(self, who, app, approver):
        """A later binding: the owner must allow a new app first."""
        qr = self.path("qr-%s.png" % who[0])
        p = self.spawn("lock", "bind-start", "--dir", self.lock, "--phone", who[1],
                       "--qr-out", qr)
        op_id, op = self.wait_pending(approver)
        self.assertEqual(op, "add client")
        self.ward_ok("app", "approve", "--dir", approver, op_id)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, out + err)
        self.ward_ok("app", "scan", "--dir", app, "--qr", qr)
        self.ward_ok("lock", "bind-finish", "--dir", self.lock, "--code", self.code_for(who[1]))

    def wait_pending(self, app, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            out = self.ward_ok("app", "pending", "--dir", app)
            m = re.search(r"^([0-9a-f]{32})  lock \S+ asks to (.+?)( - asked of \S+)? \(", out,
                          re.M)
            if m:
                return m.group(1), m.group(2)
            time.sleep(0.1)
        self.fail("no pending request reached %s" % app)

    def request(self, *extra, lock=None):
        return self.spawn("lock", "request", "--dir", lock or self.lock, "--op", "unlock",
                          "--timeout", "30", *extra)

    def audit(self, lock=None):
        out = self.ward_ok("lock", "audit", "--dir", lock or self.lock)
        return re.findall(r"^\s*\d+ \S+ (\S+)\s+(\S+)\s+(\S*)$", out, re.M)

    def executions(self, lock=None):
        return [a for a in self.audit(lock) if a[0] == "executed"]

    def answer_bodies(self):
        """Approvals the lock was handed (the GET answer responses)."""
        return [json.loads(rb)["approval"] for _, rb in self.proxy.bodies("GET", ANSWER_FETCH)
                if rb.startswith(b"{\"approval")]

    def serve_approval(self, approval_b64):
        """Turns the proxy hostile: every answer the lock fetches becomes
        approval_b64, whatever wardd holds."""
        def hook(method, path, body):
            if method == "GET" and re.search(ANSWER_FETCH, path):
                return 200, json.dumps({"approval": approval_b64, "uid": "alice"}).encode()
            return None
        self.proxy.on_request = hook

    def approve_one(self, app, decision="approve", *extra):
        op_id, _ = self.wait_pending(app)
        return op_id, self.ward_ok("app", decision, "--dir", app, op_id, *extra)


class Approval(OpsTest):
    def test_approve_executes(self):
        p = self.request()
        _, out = self.approve_one(self.alice)
        rc, lout, lerr = self.finish(p)
        self.assertEqual(rc, 0, lout + lerr)
        self.assertIn("DOOR UNLOCKED", lout)
        self.assertIn("executed: unlock allowed by alice", lout)
        self.assertIn("the lock: executed", out)
        self.assertEqual(self.executions(), [("executed", "unlock", "alice")])

    def test_deny_refuses(self):
        p = self.request()
        _, out = self.approve_one(self.alice, "deny")
        rc, lout, lerr = self.finish(p)
        self.assertNotEqual(rc, 0)
        self.assertNotIn("DOOR UNLOCKED", lout)
        self.assertIn("alice denied the unlock", lerr)
        self.assertIn("refused as you decided", out)
        self.assertEqual(self.executions(), [])
        self.assertIn(("refused", "unlock", "alice"), self.audit())

    def test_answer_from_escrow_without_a_kept_key(self):
        self.ward_ok("app", "forget-key", "--dir", self.alice)
        with open(os.path.join(self.alice, "locks", SN + ".json")) as f:
            self.assertNotIn("auth_key", json.load(f))
        p = self.request()
        _, out = self.approve_one(self.alice)
        rc, lout, lerr = self.finish(p)
        self.assertEqual(rc, 0, lout + lerr)
        self.assertIn("the lock: executed", out)

    def test_first_answer_wins_the_other_is_late(self):
        bob = self.register(BOB)
        self.bind_second(BOB, bob, self.alice)
        p = self.request()
        op_id, _ = self.wait_pending(self.alice)
        self.ward_ok("app", "approve", "--dir", self.alice, op_id)
        err = self.ward_fails("app", "approve", "--dir", bob, op_id,
                              expect="another client answered first")
        rc, lout, lerr = self.finish(p)
        self.assertEqual(rc, 0, lout + lerr)
        self.assertIn("allowed by alice", lout)
        self.assertTrue(err)


class HostileServer(OpsTest):
    def approved_once(self):
        """One genuine, executed approval, as the proxy saw it."""
        p = self.request()
        self.approve_one(self.alice)
        self.assertEqual(self.finish(p)[0], 0)
        return self.answer_bodies()[-1]

    def refused_with(self, approval_b64, *extra):
        self.serve_approval(approval_b64)
        p = self.request(*extra)
        rc, out, err = self.finish(p)
        self.assertNotEqual(rc, 0, out)
        self.assertNotIn("DOOR UNLOCKED", out)
        return err

    def test_replayed_approval_to_a_later_request(self):
        old = self.approved_once()
        err = self.refused_with(old)
        self.assertIn("does not verify", err)
        self.assertEqual(len(self.executions()), 1)

    def test_forged_and_altered_approvals(self):
        import base64
        good = base64.b64decode(self.approved_once())
        for pos in (0, 11, len(good) // 2, len(good) - 1):
            bad = bytearray(good)
            bad[pos] ^= 0x40
            self.assertIn("refused", self.refused_with(base64.b64encode(bytes(bad)).decode()))
        forged = good[:14] + os.urandom(len(good) - 14)
        self.assertIn("refused", self.refused_with(base64.b64encode(forged).decode()))
        self.assertEqual(len(self.executions()), 1)

    def test_approval_meant_for_another_lock(self):
        other = self.init_lock("LOCK-0002", "lock2")
        self.bind_first(ALICE, self.alice, lock=other)
        p = self.request(lock=other)
        op_id, _ = self.wait_pending(self.alice)
        self.ward_ok("app", "approve", "--dir", self.alice, op_id)
        self.assertEqual(self.finish(p)[0], 0)
        for_other = self.answer_bodies()[-1]
        self.assertIn("does not verify", self.refused_with(for_other))
        self.assertEqual(self.executions(), [])

    def test_approval_passed_off_as_another_users(self):
        import base64
        bob = self.register(BOB)
        self.bind_second(BOB, bob, self.alice)
        genuine = base64.b64decode(self.approved_once())
        # The server rewrites who answered: Alice's sealed answer, labelled
        # as Bob's (the uid field and the header's body length adjusted).
        self.assertEqual(genuine[11:13], b"\x01\x05")
        self.assertEqual(genuine[13:18], b"alice")
        body = b"\x01\x03bob" + genuine[18:]
        hdr = bytearray(genuine[:11])
        hdr[8:10] = len(body).to_bytes(2, "big")
        relabelled = base64.b64encode(bytes(hdr) + body).decode()
        self.assertIn("does not verify", self.refused_with(relabelled))
        self.assertEqual(len(self.executions()), 1)

    def test_answer_delayed_past_expiry(self):
        def slow(method, path, status, body):
            if method == "GET" and re.search(ANSWER_FETCH, path) and status == 200:
                time.sleep(3.5)
            return status, body
        self.proxy.on_response = slow
        p = self.request("--ttl", "3")
        self.approve_one(self.alice)
        rc, out, err = self.finish(p)
        self.assertNotEqual(rc, 0)
        self.assertIn("expired", err)
        self.assertNotIn("DOOR UNLOCKED", out)

    def test_lock_restart_drops_the_pending_request(self):
        p = self.request()
        op_id, _ = self.wait_pending(self.alice)
        p.send_signal(signal.SIGKILL)       # the lock loses power
        p.wait()
        self.ward_ok("app", "approve", "--dir", self.alice, op_id, "--wait", "0")
        answer = [json.loads(b)["approval"] for b, _ in
                  self.proxy.bodies("POST", r"^/v1/ops/%s/answer$" % op_id)][-1]
        # After the restart the lock asks again; the server offers the
        # answer to the request the lock made before it lost power.
        self.assertIn("does not verify", self.refused_with(answer))
        self.assertEqual(self.executions(), [])


class Clients(OpsTest):
    def test_roles_revocation_and_the_revoked_clients_approval(self):
        bob = self.register(BOB)
        self.bind_second(BOB, bob, self.alice)
        # Bob's genuine approval of one request, kept by the hostile server.
        p = self.request()
        op_id, _ = self.wait_pending(bob)
        self.ward_ok("app", "approve", "--dir", bob, op_id)
        self.assertEqual(self.finish(p)[0], 0)

        self.ward_fails("app", "revoke", "--dir", bob, "--user", "alice",
                        expect="only the owner or an admin may revoke")
        self.ward_ok("app", "revoke", "--dir", self.alice, "--user", "bob")
        out = self.ward_ok("app", "clients", "--dir", self.alice)
        self.assertNotIn("bob", out)

        # The running lock hears of the revocation from wardd.
        run = self.spawn("lock", "run", "--dir", self.lock)
        deadline = time.time() + 20
        while time.time() < deadline and "bob" in self.ward_ok("lock", "clients", "--dir",
                                                               self.lock):
            time.sleep(0.2)
        run.send_signal(signal.SIGTERM)
        rc, rout, rerr = self.finish(run)
        self.assertEqual(rc, 0, rout + rerr)
        self.assertIn("revoked: bob", rout)
        self.assertNotIn("bob", self.ward_ok("lock", "clients", "--dir", self.lock))
        self.assertIn(("revoke", "-", "bob"), self.audit())

        # wardd no longer shows bob the requests nor lets him answer. A
        # server that colludes with him (shows him Alice's pending list and
        # forwards his answer) still gets nowhere with the lock.
        p = self.request()
        op_id, _ = self.wait_pending(self.alice)
        alices_list = [rb for _, rb in self.proxy.bodies("GET", r"^/v1/ops/pending")][-1]
        self.proxy.on_response = lambda m, path, st, body: (
            (200, alices_list) if m == "GET" and path.startswith("/v1/ops/pending")
            else (st, body))
        self.ward_fails("app", "approve", "--dir", bob, op_id, expect="not allowed")
        bob_answer = [json.loads(b)["approval"] for b, _ in
                      self.proxy.bodies("POST", r"^/v1/ops/%s/answer$" % op_id)][-1]
        self.serve_approval(bob_answer)
        rc, out, err = self.finish(p)
        self.assertNotEqual(rc, 0)
        self.assertNotIn("DOOR UNLOCKED", out)

    def test_audit_on_wardd_is_for_owners(self):
        bob = self.register(BOB)
        self.bind_second(BOB, bob, self.alice)
        out = self.ward_ok("app", "audit", "--dir", self.alice)
        self.assertIn("bind", out)
        self.ward_fails("app", "audit", "--dir", bob)


class NearField(OpsTest):
    def test_unlock_at_the_door(self):
        run = self.spawn("lock", "run", "--dir", self.lock)
        sock = os.path.join(self.lock, "near.sock")
        deadline = time.time() + 10
        while not os.path.exists(sock) and time.time() < deadline:
            time.sleep(0.05)
        out = self.ward_ok("app", "near", "--dir", self.alice, "--link", sock)
        self.assertIn("executed", out)
        # No server involved: stop wardd and do it again.
        self.wardd.stop()
        out = self.ward_ok("app", "near", "--dir", self.alice, "--link", sock)
        self.assertIn("executed", out)
        self.wardd.start()
        run.send_signal(signal.SIGTERM)
        rc, rout, rerr = self.finish(run)
        self.assertEqual(rc, 0, rout + rerr)
        self.assertEqual(rout.count("DOOR UNLOCKED"), 2)
        self.assertEqual(len(self.executions()), 2)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    if len(args) != 2:
        sys.exit(__doc__)
    WARD, WARDD = (os.path.abspath(a) for a in args)
    WardCli.binary = WARD
    unittest.main(argv=[sys.argv[0]] + flags)
