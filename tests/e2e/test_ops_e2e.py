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
import fcntl
import json
import os
import re
import signal
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wardlib  # noqa: E402
from wardlib import WardCli, HostileProxy  # noqa: E402

SN = "LOCK-0001"
ALICE = ("alice", "+8613800000001")
BOB = ("bob", "+8613800000002")
MALLORY = ("mallory", "+8613800000066")
ANSWER_FETCH = r"^/v1/ops/[0-9a-f]+/answer\?token="


class OpsTest(WardCli, unittest.TestCase):
    def setUp(self):
        self.make_root("ward-ops-e2e-")
        self.start_wardd()
        self.proxy = HostileProxy(self.wardd.url)
        self.url = self.proxy.url           # the lock and the apps go through it
        self.lock = self.init_lock(SN, "lock")
        self.alice = self.register(ALICE)
        self.bind_first(ALICE, self.alice, self.lock)

    def tearDown(self):
        self.clean_up()

    # -- helpers --

    def bind_second(self, who, app, approver, rebind=False):
        """A later binding: the owner must allow a new app first."""
        qr = self.path("qr-%s.png" % who[0])
        p = self.spawn("lock", "bind-start", "--dir", self.lock, "--phone", who[1],
                       "--qr-out", qr)
        op_id, op, _ = self.wait_pending(approver)
        self.assertEqual(op, "add client")
        self.ward_ok("app", "approve", "--dir", approver, op_id)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, out + err)
        self.ward_ok("app", "scan", "--dir", app, "--qr", qr, *(("--rebind",) if rebind else ()))
        self.ward_ok("lock", "bind-finish", "--dir", self.lock, "--code", self.code_for(who[1]))
        if rebind:
            self.ward_ok("app", "status", "--dir", app)

    def request(self, *extra, lock=None):
        return self.spawn("lock", "request", "--dir", lock or self.lock, "--op", "unlock",
                          "--timeout", "30", *extra)

    def audit(self, lock=None):
        return super().audit(lock or self.lock)

    def executions(self, lock=None):
        return super().executions(lock or self.lock)

    def answer_bodies(self):
        """Approvals the lock was handed (the GET answer responses)."""
        out = []
        for _, rb in self.proxy.bodies("GET", ANSWER_FETCH):
            try:
                out += [a["approval"] for a in json.loads(rb).get("answers", [])]
            except ValueError:
                pass
        return out

    def serve_approval(self, approval_b64):
        """Turns the proxy hostile: every answer the lock fetches becomes
        approval_b64, whatever wardd holds."""
        def hook(method, path, body):
            if method == "GET" and re.search(ANSWER_FETCH, path):
                m = re.search(r"after=(\d+)", path)
                n = int(m.group(1)) + 1 if m else 1
                return 200, json.dumps({"answers": [{"n": n, "uid": "alice",
                                                     "approval": approval_b64}],
                                        "approval": approval_b64, "uid": "alice"}).encode()
            return None
        self.proxy.on_request = hook

    def approve_one(self, app, decision="approve", *extra):
        op_id, _, _ = self.wait_pending(app)
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
        op_id, _, _ = self.wait_pending(self.alice)
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
        """The lock, served only approval_b64 (again and again), refuses
        it and, finding no answer that verifies, gives up at its timeout."""
        self.serve_approval(approval_b64)
        p = self.request("--timeout", "3", *extra)
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
        self.bind_first(ALICE, self.alice, other)
        p = self.request(lock=other)
        op_id, _, _ = self.wait_pending(self.alice)
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
        op_id, _, _ = self.wait_pending(self.alice)
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
        op_id, _, _ = self.wait_pending(bob)
        self.ward_ok("app", "approve", "--dir", bob, op_id)
        self.assertEqual(self.finish(p)[0], 0)

        self.ward_fails("app", "revoke", "--dir", bob, "--user", "alice",
                        expect="only the owner or an admin may revoke")
        # The running lock hears of the revocation from wardd, and answers
        # it under alice's key: only then does `app revoke` say revoked.
        run = self.spawn("lock", "run", "--dir", self.lock)
        out = self.ward_ok("app", "revoke", "--dir", self.alice, "--user", "bob")
        self.assertIn("confirmed by the lock", out)
        self.assertNotIn("bob", self.ward_ok("app", "clients", "--dir", self.alice))
        self.assertNotIn("bob", self.ward_ok("lock", "clients", "--dir", self.lock))
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
        op_id, _, _ = self.wait_pending(self.alice)
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


class Finding1NewcomerCannotReplaceOwner(OpsTest):
    """Issue 14, finding 1: a newcomer's bind data names the owner's user
    id under the newcomer's key. Whether wardd then refuses the lock's
    confirmation or it is lost on the way, the owner stays bound with its
    own key and role, and the newcomer gets nothing."""

    def attempt(self, drop_confirm):
        mallory = self.register(MALLORY)
        for name in ("account.json", "client.key"):
            with open(os.path.join(mallory, name)) as f:
                j = json.load(f)
            j["user"] = ALICE[0]    # her bind data will claim to be alice
            with open(os.path.join(mallory, name), "w") as f:
                json.dump(j, f)
        stash = {}

        def hook(method, path, body):
            # The server colludes: it takes her upload (signed as alice with
            # her key, which wardd would refuse) and hands the blob over.
            if method == "POST" and path == "/v1/bind/tasks":
                stash.update(json.loads(body))
                return 201, json.dumps({"expires": int(time.time()) + 600}).encode()
            if method == "GET" and stash and path.startswith("/v1/bind/tasks/" + stash["tid"]):
                if "/status" in path:
                    return 200, b'{"state": "sealed"}'
                return 200, json.dumps({"tid": stash["tid"], "blob": stash["blob"]}).encode()
            if drop_confirm and method == "POST" and path == "/v1/bind/confirm":
                return 503, b'{"error": "unavailable", "message": "lost"}'
            return None
        self.proxy.on_request = hook
        qr = self.path("qr-mallory.png")
        p = self.spawn("lock", "bind-start", "--dir", self.lock, "--phone", MALLORY[1],
                       "--qr-out", qr)
        op_id, op, _ = self.wait_pending(self.alice)
        self.assertEqual(op, "add client")
        self.ward_ok("app", "approve", "--dir", self.alice, op_id)
        self.assertEqual(self.finish(p)[0], 0)
        self.ward_ok("app", "scan", "--dir", mallory, "--qr", qr)
        rc, out, err = self.ward("lock", "bind-finish", "--dir", self.lock,
                                 "--code", stash["code"])
        self.proxy.on_request = None
        return rc, out + err

    def assert_owner_intact(self):
        out = self.ward_ok("lock", "clients", "--dir", self.lock)
        self.assertRegex(out, r"alice\s+owner")
        self.assertEqual(len([l for l in out.splitlines() if "alice" in l]), 1)
        # The owner's own key still opens the door (the lock acted once) ...
        before = len(self.executions())
        p = self.request()
        self.approve_one(self.alice)
        rc, lout, lerr = self.finish(p)
        self.assertEqual(rc, 0, lout + lerr)
        self.assertEqual(len(self.executions()), before + 1)
        # ... and a later binding still needs the owner's grant.
        p = self.spawn("lock", "bind-start", "--dir", self.lock, "--phone", MALLORY[1],
                       "--qr-out", self.path("qr2.png"))
        self.assertEqual(self.wait_pending(self.alice)[1], "add client")
        p.send_signal(signal.SIGINT)
        self.finish(p)

    def test_finding1_refused_confirmation_keeps_the_owner(self):
        rc, text = self.attempt(drop_confirm=False)
        self.assertNotEqual(rc, 0, text)
        self.assertIn("already bound", text)
        self.assert_owner_intact()

    def test_finding1_lost_confirmation_keeps_the_owner(self):
        rc, text = self.attempt(drop_confirm=True)
        self.assertNotEqual(rc, 0, text)
        self.assert_owner_intact()


class LockRunning(OpsTest):
    """Tests with `ward lock run` going: the near-field door and the inbox."""

    def run_lock(self, lock=None):
        lock = lock or self.lock
        run = self.spawn("lock", "run", "--dir", lock)
        sock = os.path.join(lock, "near.sock")
        deadline = time.time() + 10
        while not os.path.exists(sock) and time.time() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.exists(sock), "lock run did not start")
        return run, sock

    def stop_lock(self, run):
        run.send_signal(signal.SIGTERM)
        rc, out, err = self.finish(run, timeout=20)
        self.assertEqual(rc, 0, out + err)
        return out, err

    def at_the_door(self, app, sock):
        """Whether app opens the door at the lock (near field, no wardd)."""
        rc, out, err = self.ward("app", "near", "--dir", app, "--link", sock)
        return rc == 0 and "executed" in out

    def unacked_inbox(self):
        db = sqlite3.connect(self.path("wardd.db"))
        try:
            return db.execute("SELECT count(*) FROM inbox WHERE acked_ms IS NULL").fetchone()[0]
        finally:
            db.close()

    def inbox_gets(self):
        return len([1 for m, path, *_ in self.proxy.seen
                    if m == "GET" and path.startswith("/v1/lock/inbox")])

    def bind_member(self, who, app):
        """A later binding, the owner allowing it as soon as the lock asks."""
        qr = self.path("qr-%s.png" % who[0])
        p = self.spawn("lock", "bind-start", "--dir", self.lock, "--phone", who[1],
                       "--qr-out", qr)
        op_id = None
        for line in p.stdout:
            m = re.search(r"operation ([0-9a-f]{32})", line)
            if m:
                op_id = m.group(1)
                break
        self.assertIsNotNone(op_id, "bind-start asked for no grant")
        self.ward_ok("app", "approve", "--dir", self.alice, op_id, "--wait", "0")
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, out + err)
        self.ward_ok("app", "scan", "--dir", app, "--qr", qr)
        self.ward_ok("lock", "bind-finish", "--dir", self.lock, "--code", self.code_for(who[1]))

    def revoked_once_by_the_lock(self):
        """With the lock started now, alice's `ward app revoke` of bob is
        confirmed by the lock, bob is refused at the door, and one REVOKE
        was posted in all (the one remembered, followed to its answer)."""
        run, sock = self.run_lock()
        out = self.ward_ok("app", "revoke", "--dir", self.alice, "--user", "bob")
        self.assertIn("confirmed by the lock", out)
        self.assertFalse(self.at_the_door(self.bob, sock))
        posts = [1 for m, path, *_ in self.proxy.seen
                 if m == "POST" and path == "/v1/revocations"]
        self.assertEqual(len(posts), 1)
        self.stop_lock(run)

    def answered_by_wardd_then_by_the_lock(self, result_b64):
        """wardd answers alice's revocation of bob itself, the result
        result_b64: `ward app revoke` refuses it; then the genuine REVOKE
        still reaches the lock, started now, which applies it: bob is
        refused at the door."""
        def answer(method, path, status, body):
            if method == "GET" and path.startswith("/v1/revocations/"):
                j = json.loads(body)
                j["state"] = "answered"
                j["result"] = result_b64
                return 200, json.dumps(j).encode()
            return status, body
        self.proxy.on_response = answer
        rc, out, err = self.ward("app", "revoke", "--dir", self.alice, "--user", "bob",
                                 "--timeout", "5")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("did not come from the lock", err)
        self.proxy.on_response = None
        run, sock = self.run_lock()
        deadline = time.time() + 20
        while time.time() < deadline and self.at_the_door(self.bob, sock):
            time.sleep(0.3)
        self.assertFalse(self.at_the_door(self.bob, sock))
        self.stop_lock(run)


class Finding2InboxPolling(LockRunning):
    """Issue 14, finding 2: an idle `lock run` sends at most one inbox
    request per long-poll period, whatever wardd answers (nothing at once,
    garbage, an error, the same message again), and says so when the
    answer is malformed."""

    def test_finding2_idle_lock_never_spins(self):
        answers = [
            ("empty at once", 200, b'{"revokes": []}', None),
            ("not json", 200, b'<html>oops', "malformed"),
            ("no list", 200, b'{"revokes": 7}', "malformed"),
            # Repeated within the page: a REVOKE the lock refuses is no
            # progress, so it does not ask again within these 5 s.
            ("the same message again", 200,
             b'{"revokes": [{"id": 1, "revoke": "AAAA"}, {"id": 1, "revoke": "AAAA"}]}',
             "no usable id"),
            ("an error", 500, b'{"error": "internal", "message": "x"}', None),
        ]
        for name, status, body, says in answers:
            self.proxy.on_request = lambda m, path, b, st=status, bd=body: (
                (st, bd) if m == "GET" and path.startswith("/v1/lock/inbox") else None)
            before = self.inbox_gets()
            run, _ = self.run_lock()
            time.sleep(5)
            out, err = self.stop_lock(run)
            n = self.inbox_gets() - before
            # One at the start; one more after a round that made progress.
            self.assertLessEqual(n, 2, "%s: %d inbox requests in 5 s" % (name, n))
            if says:
                self.assertIn(says, err, name)
        self.proxy.on_request = None


class Review3InboxFlood(LockRunning):
    """Review of issue 14's change, item 3: a hostile wardd floods `lock
    run`'s inbox, every page new ids: garbage, REVOKEs the lock refuses,
    or one genuine REVOKE replayed (the lock answers it "not bound" each
    time). Only a REVOKE the lock answered counts as progress, and at most
    8 rounds follow each other at once per 30 s period: the lock does not
    poll back to back, and its door still opens."""

    def flood(self, entries):
        """Every inbox page holds entries(after) with ids above the cursor;
        acknowledgements are taken without asking wardd."""
        def hook(method, path, body):
            if method == "GET" and path.startswith("/v1/lock/inbox?"):
                after = int(re.search(r"after=(\d+)", path).group(1))
                return 200, json.dumps({"revokes": entries(after)}).encode()
            if method == "POST" and path == "/v1/lock/inbox/ack":
                return 200, b'{"acked": 1}'
            return None
        self.proxy.on_request = hook

    def run_flooded(self, seconds=5):
        before = self.inbox_gets()
        run, sock = self.run_lock()
        time.sleep(seconds)
        self.assertTrue(self.at_the_door(self.alice, sock))
        out, err = self.stop_lock(run)
        self.proxy.on_request = None
        self.assert_no_sanitizer_report(err)
        return self.inbox_gets() - before, out, err

    def test_review3_garbage_and_refused_entries_are_no_progress(self):
        self.flood(lambda after: [{"id": after + 1, "revoke": "!!not base64!!"},
                                  {"id": after + 2, "revoke": "AAAA"}])
        n, out, err = self.run_flooded()
        self.assertLessEqual(n, 2, "%d inbox requests in 5 s" % n)
        self.assertIn("refused unanswered", err)

    def test_review3_replayed_revoke_is_capped(self):
        bob = self.register(BOB)
        self.bind_second(BOB, bob, self.alice)
        run, _ = self.run_lock()
        self.ward_ok("app", "revoke", "--dir", self.alice, "--user", "bob")
        self.stop_lock(run)
        genuine = json.loads(self.proxy.bodies("POST", r"^/v1/revocations$")[-1][0])["revoke"]
        self.flood(lambda after: [{"id": after + 1, "revoke": genuine}])
        n, out, err = self.run_flooded()
        self.assertIn("not bound, nothing to do", out)
        self.assertLessEqual(n, 9, "%d inbox requests in 5 s" % n)


class Review12SelfRevokeDropsRebinding(LockRunning):
    """Review of issue 14's change, item 12: a member that began binding
    again (--rebind) and then revokes itself keeps no record of the lock:
    the rebinding begun beside the binding goes with it, so no later
    status poll can make it the binding in use."""

    def test_review12_self_revoke_drops_the_rebinding(self):
        bob = self.register(BOB)
        self.bind_second(BOB, bob, self.alice)
        qr = self.path("qr-bob-again.png")
        p = self.spawn("lock", "bind-start", "--dir", self.lock, "--phone", BOB[1],
                       "--qr-out", qr)
        op_id, op, _ = self.wait_pending(self.alice)
        self.assertEqual(op, "add client")
        self.ward_ok("app", "approve", "--dir", self.alice, op_id)
        self.assertEqual(self.finish(p)[0], 0)
        self.ward_ok("app", "scan", "--dir", bob, "--qr", qr, "--rebind")
        pending = os.path.join(bob, "pending", SN + ".json")
        self.assertTrue(os.path.exists(pending))
        run, sock = self.run_lock()
        out = self.ward_ok("app", "revoke", "--dir", bob, "--user", "bob")
        self.assertIn("confirmed by the lock", out)
        self.assertFalse(os.path.exists(os.path.join(bob, "locks", SN + ".json")))
        self.assertFalse(os.path.exists(pending))
        self.assertIn("no locks yet", self.ward_ok("app", "status", "--dir", bob))
        self.assertFalse(self.at_the_door(bob, sock))
        self.stop_lock(run)


class Review9UndecodableInboxEntry(LockRunning):
    """Review of issue 14's change, item 9: an inbox entry that is not
    base64 is acknowledged without a result, cleanly (it was copied from
    a NULL pointer: undefined behaviour the sanitizers report)."""

    def test_review9_undecodable_entry_is_acknowledged(self):
        def hook(method, path, body):
            if method == "GET" and path.startswith("/v1/lock/inbox?"):
                if "after=0" in path:
                    return 200, b'{"revokes": [{"id": 1, "revoke": "!!not base64!!"}]}'
                return 200, b'{"revokes": []}'
            return None
        self.proxy.on_request = hook
        run, _ = self.run_lock()
        deadline = time.time() + 10
        while time.time() < deadline and not self.proxy.bodies("POST", r"^/v1/lock/inbox/ack"):
            time.sleep(0.1)
        out, err = self.stop_lock(run)
        self.proxy.on_request = None
        self.assertIn("not base64", err)
        acks = [json.loads(b) for b, _ in self.proxy.bodies("POST", r"^/v1/lock/inbox/ack")]
        self.assertIn(1, acks[0]["ids"])
        self.assert_no_sanitizer_report(err)


@unittest.skipUnless(os.environ.get("WARD_E2E_SLOW"),
                     "slow: its own ctest (e2e_revoke_many), release build only")
class Finding2RevokeMany(LockRunning):
    """Issue 14, finding 2: 100 clients revoked in a row, with the lock
    running: every revocation is applied and confirmed, every revoked
    client is refused at the door, and the inbox ends empty (before, the
    lock never acknowledged, and the 65th revocation was never seen)."""

    def setUp(self):
        super().setUp()
        self.wardd.stop()
        self.wardd.start(["--sms-per-addr", "100000", "--sms-per-phone", "100"])

    def test_finding2_hundred_revocations_refused_at_the_door(self):
        run, sock = self.run_lock()
        total = 0
        batch_max = 15      # the owner and 15 members fill the lock's table
        while total < 100:
            batch = []
            for i in range(min(batch_max, 100 - total)):
                who = ("m%03d" % (total + i), "+8613900%06d" % (total + i))
                app = self.register(who)
                self.bind_member(who, app)
                batch.append((who, app))
            self.assertTrue(self.at_the_door(batch[0][1], sock))
            for who, app in batch:
                out = self.ward_ok("app", "revoke", "--dir", self.alice, "--user", who[0])
                self.assertIn("confirmed by the lock", out)
                self.assertFalse(self.at_the_door(app, sock),
                                 "%s still opens the door after its revocation" % who[0])
            total += len(batch)
        self.assertEqual(self.unacked_inbox(), 0)
        self.assertTrue(self.at_the_door(self.alice, sock))
        out = self.ward_ok("lock", "clients", "--dir", self.lock)
        self.assertEqual(len([l for l in out.splitlines() if re.search(r"\bm\d{3}\b", l)]), 0)
        out, _ = self.stop_lock(run)
        self.assertEqual(out.count("revoked: m"), 100)


class Finding3RevocationConfirmedByTheLock(LockRunning):
    """Issue 14, finding 3: `ward app revoke` says revoked only on the
    lock's own answer, sealed under the revoker's key; a hostile wardd can
    delay or refuse a revocation, never fake its success or cancel it
    silently."""

    def setUp(self):
        super().setUp()
        self.bob = self.register(BOB)
        self.bind_second(BOB, self.bob, self.alice)

    @staticmethod
    def bobs_tid_replaced(method, path, status, body):
        """wardd's list of clients, with a task id the lock never made for bob's binding."""
        if method == "GET" and path.startswith("/v1/locks/%s/clients" % SN):
            j = json.loads(body)
            for c in j["clients"]:
                if c["uid"] == "bob":
                    c["tid"] = "00" * 16
            return status, json.dumps(j).encode()
        return status, body

    def test_finding3_wrong_tid_from_wardd_still_revokes(self):
        # wardd names bob's binding by a task id the lock never made: the
        # lock answers "bound under another binding" with the real one,
        # and the app revokes that one.
        self.proxy.on_response = self.bobs_tid_replaced
        run, sock = self.run_lock()
        self.assertTrue(self.at_the_door(self.bob, sock))
        out = self.ward_ok("app", "revoke", "--dir", self.alice, "--user", "bob")
        self.assertIn("confirmed by the lock", out)
        self.assertFalse(self.at_the_door(self.bob, sock))
        # The refused client is told the lock ended the exchange, not an
        # unexplained "i/o error".
        rc, _, err = self.ward("app", "near", "--dir", self.bob, "--link", sock)
        self.assertEqual(rc, 1)
        self.assertIn("closed the link without a request", err)
        self.assertNotIn("i/o error", err)
        self.assertTrue(self.at_the_door(self.alice, sock))
        self.stop_lock(run)

    def test_finding3_wrong_tid_from_wardd_still_revokes_oneself(self):
        # The same lie to a member revoking itself: wardd dropped bob's
        # binding with his first REVOKE, and queues the second only on the
        # lock's answer to the first.
        self.proxy.on_response = self.bobs_tid_replaced
        run, sock = self.run_lock()
        self.assertTrue(self.at_the_door(self.bob, sock))
        out = self.ward_ok("app", "revoke", "--dir", self.bob, "--user", "bob")
        self.assertIn("confirmed by the lock", out)
        self.assertFalse(self.at_the_door(self.bob, sock))
        self.assertTrue(self.at_the_door(self.alice, sock))
        self.stop_lock(run)

    def test_finding3_dropped_revocation_is_not_called_done(self):
        # wardd takes the revocation and never queues it for the lock.
        def drop(method, path, body):
            if method == "POST" and path == "/v1/revocations":
                return 200, json.dumps({"state": "revoked", "sn": SN, "target": "bob",
                                        "inbox_id": 4242}).encode()
            if method == "GET" and path.startswith("/v1/revocations/4242"):
                time.sleep(0.5)
                return 200, json.dumps({"id": 4242, "sn": SN, "target": "bob",
                                        "state": "queued"}).encode()
            return None
        self.proxy.on_request = drop
        run, sock = self.run_lock()
        rc, out, err = self.ward("app", "revoke", "--dir", self.alice, "--user", "bob",
                                 "--timeout", "3")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("has not confirmed", err)
        self.assertNotIn("revoked", out)
        # The truth at the door: bob still opens it.
        self.assertTrue(self.at_the_door(self.bob, sock))
        self.stop_lock(run)

    def test_finding3_forged_answer_is_refused(self):
        # wardd answers the revocation itself, as if from the lock (which
        # is not running: only wardd could be answering).
        self.answered_by_wardd_then_by_the_lock(
            "ASUBAAAAAAAeAQVhbGljZQIXAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")

    def test_finding3_lock_down_then_up(self):
        # The lock is off: no confirmation, said plainly; the same command
        # later follows the same revocation to the lock's answer.
        rc, out, err = self.ward("app", "revoke", "--dir", self.alice, "--user", "bob",
                                 "--timeout", "2")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("has not confirmed", err)
        self.revoked_once_by_the_lock()


class Review6RevocationKeptUntilAnswered(LockRunning):
    """Review of issue 14's change, item 6: a remembered revocation is
    forgotten only when the lock's answer came. wardd refusing the
    follow-up (busy, malformed) is no answer: the next `ward app revoke`
    follows the same REVOKE, it does not post a second one."""

    def setUp(self):
        super().setUp()
        self.bob = self.register(BOB)
        self.bind_second(BOB, self.bob, self.alice)

    def test_review6_refused_follow_up_keeps_the_revocation(self):
        for status, body in ((429, b'{"error": "busy", "message": "slow down"}'),
                             (200, b'{"id": 1}')):
            self.proxy.on_request = lambda m, path, b, st=status, bd=body: (
                (st, bd) if m == "GET" and path.startswith("/v1/revocations/") else None)
            rc, out, err = self.ward("app", "revoke", "--dir", self.alice, "--user", "bob",
                                     "--timeout", "3")
            self.assertNotEqual(rc, 0, out)
            self.assertNotIn("confirmed", out)
        self.proxy.on_request = None
        self.revoked_once_by_the_lock()


class Review13RevokeWording(LockRunning):
    """Review of issue 14's change, item 13: `ward app revoke` says whose
    word it reports: wardd's claims are called wardd's, a revocation not
    waited for is not blamed on a stopped lock, and "not bound" may mean
    revoked before."""

    def setUp(self):
        super().setUp()
        self.bob = self.register(BOB)
        self.bind_second(BOB, self.bob, self.alice)

    def test_review13_wardds_word_and_no_wait(self):
        rc, out, err = self.ward("app", "revoke", "--dir", self.alice, "--user", "bob",
                                 "--timeout", "0")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("not waited for the lock's answer", err)
        self.assertNotIn("is it running", err)
        # wardd claims the lock took it unanswered: said as wardd's claim.
        self.proxy.on_request = lambda m, path, body: (
            (200, json.dumps({"id": 1, "state": "unanswered"}).encode())
            if m == "GET" and path.startswith("/v1/revocations/") else None)
        rc, out, err = self.ward("app", "revoke", "--dir", self.alice, "--user", "bob")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("wardd says the lock took the revocation", err)
        self.proxy.on_request = None

    def test_review13_revoked_before_is_not_bound(self):
        run, sock = self.run_lock()
        out = self.ward_ok("app", "revoke", "--dir", self.alice, "--user", "bob")
        self.assertIn("confirmed by the lock", out)
        # A list from before (as after a lost acknowledgement): the lock
        # answers the second revocation "not bound".
        clients = self.proxy.bodies("GET", r"^/v1/locks/%s/clients" % SN)[0][1]
        self.proxy.on_response = lambda m, path, st, body: (
            (200, clients) if m == "GET" and path.startswith("/v1/locks/") else (st, body))
        out = self.ward_ok("app", "revoke", "--dir", self.alice, "--user", "bob")
        self.assertIn("already revoked, or never bound", out)
        self.proxy.on_response = None
        self.stop_lock(run)


class Finding5MemberCannotBurnAnOp(OpsTest):
    """Issue 14, finding 5: a bound member answers first with garbage (a
    well-formed APPROVAL that does not verify). wardd keeps every
    member's answer, the lock takes the first that verifies: the owner's
    genuine approval opens the door, once."""

    def test_finding5_garbage_first_then_the_owners_approval(self):
        bob = self.register(BOB)
        self.bind_second(BOB, bob, self.alice)
        # Bob's app seals with a key the lock does not know.
        rec = os.path.join(bob, "locks", SN + ".json")
        with open(rec) as f:
            j = json.load(f)
        j["auth_key"] = "00" * 32
        with open(rec, "w") as f:
            json.dump(j, f)
        p = self.request()
        op_id, _, _ = self.wait_pending(bob)
        rc, out, err = self.ward("app", "approve", "--dir", bob, op_id, "--wait", "0")
        self.assertEqual(rc, 0, out + err)
        # The owner's answer is taken, not refused as late.
        _, aout = self.approve_one(self.alice)
        self.assertIn("the lock: executed", aout)
        rc, lout, lerr = self.finish(p)
        self.assertEqual(rc, 0, lout + lerr)
        self.assertIn("does not verify", lerr)
        self.assertIn("allowed by alice", lout)
        self.assertEqual(self.executions(), [("executed", "unlock", "alice")])


class Finding12StaleOpsWithdrawn(OpsTest):
    """Issue 14, finding 12: an op the lock gave up (timed out, stopped) is
    withdrawn at once: no app is offered it, an approval of it is refused."""

    def pending_ids(self, app):
        out = self.ward_ok("app", "pending", "--dir", app)
        return re.findall(r"^([0-9a-f]{32}) ", out, re.M)

    def test_finding12_timeout_withdraws(self):
        p = self.request("--timeout", "2")
        op_id, _, _ = self.wait_pending(self.alice)
        rc, out, err = self.finish(p)
        self.assertNotEqual(rc, 0)
        self.assertIn("withdrawn", err)
        self.assertNotIn(op_id, self.pending_ids(self.alice))
        rc, out, err = self.ward("app", "approve", "--dir", self.alice, op_id)
        self.assertNotEqual(rc, 0, out)
        self.assertEqual(self.executions(), [])

    def test_finding12_stopped_lock_withdraws(self):
        p = self.request()
        op_id, _, _ = self.wait_pending(self.alice)
        t0 = time.time()
        p.send_signal(signal.SIGINT)
        rc, out, err = self.finish(p, timeout=15)
        self.assertLess(time.time() - t0, 5, "the lock did not stop promptly")
        self.assertNotEqual(rc, 0)
        self.assertIn("withdrawn", err)
        self.assertNotIn(op_id, self.pending_ids(self.alice))
        rc, out, err = self.ward("app", "approve", "--dir", self.alice, op_id)
        self.assertNotEqual(rc, 0, out)
        self.assertEqual(self.executions(), [])


class HostileWarddRevocations(LockRunning):
    """A hostile wardd against revocations beyond finding 3: junk queued at
    the head of the lock's inbox, an old genuine answer served for a new
    revocation. Asserted at the door."""

    def setUp(self):
        super().setUp()
        self.bob = self.register(BOB)
        self.bind_second(BOB, self.bob, self.alice)

    def test_junk_at_the_head_of_the_inbox_starves_nothing(self):
        db = sqlite3.connect(self.path("wardd.db"))
        junk_ids = []
        try:
            for junk in (b"", b"\x01\x23\x04", os.urandom(90)):
                junk_ids.append(db.execute(
                    "INSERT INTO inbox (sn, msg, created_ms, revoker, target)"
                    " VALUES (?, ?, 0, 'alice', 'bob')", (SN, junk)).lastrowid)
            db.commit()
        finally:
            db.close()
        self.wardd.tampered()       # empty junk is no answer an honest wardd gives
        run, sock = self.run_lock()
        self.assertTrue(self.at_the_door(self.bob, sock))
        out = self.ward_ok("app", "revoke", "--dir", self.alice, "--user", "bob")
        self.assertIn("confirmed by the lock", out)
        self.assertFalse(self.at_the_door(self.bob, sock))
        self.assertTrue(self.at_the_door(self.alice, sock))
        deadline = time.time() + 10
        while time.time() < deadline and self.unacked_inbox() != 0:
            time.sleep(0.2)
        self.assertEqual(self.unacked_inbox(), 0)
        db = sqlite3.connect(self.path("wardd.db"))
        try:
            junk_results = db.execute(
                "SELECT count(*) FROM inbox WHERE id IN (%s) AND result IS NOT NULL"
                % ",".join(str(i) for i in junk_ids)).fetchone()[0]
        finally:
            db.close()
        self.assertEqual(junk_results, 0)   # junk is acknowledged, never answered
        self.stop_lock(run)

    def test_old_answer_served_for_a_new_revocation_is_refused(self):
        run, sock = self.run_lock()
        self.ward_ok("app", "revoke", "--dir", self.alice, "--user", "bob")
        old = [rb for m, path, _, st, rb in self.proxy.seen
               if m == "GET" and path.startswith("/v1/revocations/") and b'"result"' in rb][-1]
        old_result = json.loads(old)["result"]
        # bob binds again (his app still holds the old record: --rebind);
        # wardd answers the new revocation with the old, genuine
        # REVOKE_RESULT.
        self.bind_second(BOB, self.bob, self.alice, rebind=True)
        self.stop_lock(run)
        self.answered_by_wardd_then_by_the_lock(old_result)


class HostileWarddAnswers(OpsTest):
    """A hostile wardd that makes up answers without end: the lock gives
    up once it has refused more answers than its clients could send (each
    answers once), withdraws the request, and acts on none."""

    def test_endless_garbage_answers_give_up_early(self):
        import base64

        def flood(method, path, body):
            if method == "GET" and re.search(ANSWER_FETCH, path):
                m = re.search(r"after=(\d+)", path)
                first = int(m.group(1)) + 1 if m else 1
                page = [{"n": n, "uid": "alice",
                         "approval": base64.b64encode(os.urandom(42)).decode()}
                        for n in range(first, first + 16)]
                return 200, json.dumps({"answers": page}).encode()
            return None
        self.proxy.on_request = flood
        t0 = time.time()
        p = self.request("--timeout", "60")
        rc, out, err = self.finish(p)
        self.proxy.on_request = None
        self.assertNotEqual(rc, 0, out)
        self.assertLess(time.time() - t0, 30, "the lock did not give up early")
        self.assertIn("refused", err)
        self.assertTrue([1 for m, path, *_ in self.proxy.seen
                         if m == "POST" and path.endswith("/withdraw")])
        self.assertEqual(self.executions(), [])


class Review5TerminalInjection(OpsTest):
    """Review of issue 14's change, item 5: whatever text wardd sends (an
    error message, the uid it says answered, an audit line) reaches the
    person's terminal escaped: no escape sequence, bell or forged line of
    its own."""

    EVIL = "boom\u001b]0;pwned\u0007\u001b[2J\nward: revoked bob from lock LOCK-0001: " \
           "confirmed by the lock\u00e9"

    def assert_clean(self, text, name):
        for raw in ("\x1b", "\x07", "\u00e9", "\r"):
            self.assertNotIn(raw, text, name)
        self.assertNotIn("\nward: revoked bob", text, name)
        self.assertIn("\\x1b", text, name)

    def refuse(self, method, prefix, status=500):
        body = json.dumps({"error": "internal\u001b[31m", "message": self.EVIL}).encode()
        self.proxy.on_request = lambda m, path, b: (
            (status, body) if m == method and path.startswith(prefix) else None)

    def test_review5_error_messages_are_escaped(self):
        # Through the app library (ward_app_server_message) ...
        self.refuse("GET", "/v1/ops/pending")
        rc, out, err = self.ward("app", "pending", "--dir", self.alice)
        self.assertNotEqual(rc, 0)
        self.assert_clean(err, "app pending")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        # ... and through the CLI's own calls (the client library's calls).
        self.refuse("POST", "/v1/ops")
        rc, out, err = self.ward("lock", "request", "--dir", self.lock, "--op", "unlock",
                                 "--timeout", "3")
        self.assertNotEqual(rc, 0)
        self.assert_clean(err, "lock request")
        self.assertNotIn("DOOR UNLOCKED", out)

    def test_review5_operation_id_is_hex_or_refused(self):
        self.proxy.on_request = lambda m, path, b: (
            (201, json.dumps({"op_id": "ab\u001b[2J\ncd", "expires": 1}).encode())
            if m == "POST" and path == "/v1/ops" else None)
        rc, out, err = self.ward("lock", "request", "--dir", self.lock, "--op", "unlock",
                                 "--timeout", "3")
        self.assertNotEqual(rc, 0)
        self.assertIn("no operation id", err)
        for text in (out, err):
            self.assertNotIn("\x1b", text)

    def test_review5_answerer_and_audit_are_escaped(self):
        def hook(method, path, body):
            if method == "GET" and re.search(ANSWER_FETCH, path):
                m = re.search(r"after=(\d+)", path)
                n = int(m.group(1)) + 1 if m else 1
                return 200, json.dumps({"answers": [{"n": n, "uid": self.EVIL,
                                                     "approval": "AAAA"}]}).encode()
            if method == "GET" and path.startswith("/v1/audit"):
                return 200, json.dumps({"events": [
                    {"ts": 1700000000000, "event": "bind\u001b[2J", "uid": self.EVIL,
                     "op": "unlock\u0007", "detail": self.EVIL}]}).encode()
            return None
        self.proxy.on_request = hook
        p = self.request("--timeout", "3")
        rc, out, err = self.finish(p)
        self.assertNotEqual(rc, 0)
        self.assert_clean(err, "lock request answers")
        self.assertIn("ignored", err)
        out = self.ward_ok("app", "audit", "--dir", self.alice)
        self.assert_clean(out, "app audit")
        self.assertEqual(len(out.strip().splitlines()), 1, out)


class Review1OneRecordFailing(OpsTest):
    """Review of issue 14's change, item 1: when asking wardd about one
    lock's binding fails, the app's other commands still work (a warning),
    and `ward app status` reports every lock and fails only for that."""

    def test_review1_failing_record_warns_and_status_reports_all(self):
        self.init_lock("LOCK-0002", "lock2")
        qr = self.path("qr-second.png")
        self.ward_ok("lock", "bind-start", "--dir", self.path("lock2"), "--phone", ALICE[1],
                     "--qr-out", qr)
        self.ward_ok("app", "scan", "--dir", self.alice, "--qr", qr)
        tid = json.load(open(os.path.join(self.alice, "locks", "LOCK-0002.json")))["tid"]
        self.proxy.on_request = lambda m, path, b: (
            (500, b'{"error": "internal", "message": "db"}')
            if path.startswith("/v1/bind/tasks/%s/status" % tid) else None)
        p = self.request()
        rc, out, err = self.ward("app", "pending", "--dir", self.alice)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("warning: lock LOCK-0002", err)
        _, aout = self.approve_one(self.alice)
        self.assertIn("the lock: executed", aout)
        self.assertEqual(self.finish(p)[0], 0)
        rc, out, err = self.ward("app", "status", "--dir", self.alice)
        self.assertNotEqual(rc, 0)
        self.assertIn("lock %s: bound as owner" % SN, out)
        self.assertIn("lock LOCK-0002: wardd refused (500", err)
        self.proxy.on_request = None


class Review14WithdrawnSaysSo(OpsTest):
    """Review of issue 14's change, item 14: an app answering an op the
    lock withdrew is told so, whether the op left its pending list already
    or wardd refuses the answer (410 naming the state), not that it was
    never asked or merely expired."""

    def test_review14_withdrawn_op_left_the_list(self):
        p = self.request("--timeout", "2")
        op_id, _, _ = self.wait_pending(self.alice)
        rc, out, err = self.finish(p)
        self.assertIn("withdrawn", err)
        rc, out, err = self.ward("app", "approve", "--dir", self.alice, op_id)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("the lock withdrew the request", err)
        self.assertEqual(self.executions(), [])

    def test_review14_answer_refused_as_withdrawn(self):
        p = self.request()
        op_id, _, _ = self.wait_pending(self.alice)
        gone = json.dumps({"error": "expired", "message": "gone", "state": "withdrawn"})
        self.proxy.on_request = lambda m, path, b: (
            (410, gone.encode()) if m == "POST" and path.endswith("/answer") else None)
        rc, out, err = self.ward("app", "approve", "--dir", self.alice, op_id)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("the lock withdrew the request", err)
        self.proxy.on_request = None
        p.send_signal(signal.SIGINT)
        self.finish(p)
        self.assertEqual(self.executions(), [])


class Review7FailureWithdraws(OpsTest):
    """Review of issue 14's change, item 7: a `ward lock request` that
    gives up for a failure of its own (here its store stays busy in
    another process) withdraws the request, as a timeout or a stop does:
    no app is offered an op nobody waits for."""

    def test_review7_busy_store_withdraws(self):
        import fcntl
        busy = open(os.path.join(self.lock, ".busy"), "a+")
        held = []

        def hook(method, path, body):
            if method == "GET" and re.search(ANSWER_FETCH, path):
                if not held:
                    # The lock let go of its state to wait: take it, so the
                    # answer cannot be checked.
                    fcntl.flock(busy, fcntl.LOCK_EX)
                    held.append(time.time())
                return 200, json.dumps({"answers": [{"n": 1, "uid": "alice",
                                                     "approval": "AAAA"}]}).encode()
            return None
        self.proxy.on_request = hook
        p = self.request("--timeout", "60")
        op_id, _, _ = self.wait_pending(self.alice)
        deadline = time.time() + 10
        while not held and time.time() < deadline:
            time.sleep(0.05)
        self.assertTrue(held, "the lock never fetched its answers")
        # The lock gives up on its store after 15 s; then it signs the
        # withdrawal, which needs the store too.
        time.sleep(max(0, held[0] + 16 - time.time()))
        fcntl.flock(busy, fcntl.LOCK_UN)
        busy.close()
        rc, out, err = self.finish(p)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("busy", err)
        self.assertNotIn("DOOR UNLOCKED", out)
        self.proxy.on_request = None
        out = self.ward_ok("app", "pending", "--dir", self.alice)
        self.assertNotIn(op_id, out)
        self.assertIn("withdrawn", err)


class Review4StopAfterTheDecision(LockRunning):
    """Review of issue 14's change, item 4: a stop signal that comes while
    the lock acts on an answer (or on a revocation) stops the waiting, not
    the report: the app still gets the lock's OP_RESULT, the revoker its
    REVOKE_RESULT. The signal is timed by holding the lock's store while
    the answer is on its way, so the lock checks it only after the
    signal."""

    def hold_store_on(self, method, pattern, has):
        """Takes the lock's store (D/.busy) as the first response to
        method+pattern whose body holds `has` goes back to the lock."""
        import fcntl
        self.busy = open(os.path.join(self.lock, ".busy"), "a+")
        self.held = []

        def hook(m, path, status, body):
            if m == method and re.search(pattern, path) and has in body and not self.held:
                fcntl.flock(self.busy, fcntl.LOCK_EX)
                self.held.append(time.time())
            return status, body
        self.proxy.on_response = hook

    def stop_then_release(self, p, sig):
        import fcntl
        deadline = time.time() + 30
        while not self.held and time.time() < deadline:
            time.sleep(0.05)
        self.assertTrue(self.held, "the lock never got its message")
        time.sleep(0.3)
        p.send_signal(sig)
        time.sleep(0.5)
        fcntl.flock(self.busy, fcntl.LOCK_UN)
        self.busy.close()
        self.proxy.on_response = None

    def test_review4_stopped_lock_request_still_reports(self):
        p = self.request()
        op_id, _, _ = self.wait_pending(self.alice)
        self.hold_store_on("GET", ANSWER_FETCH, b'"approval"')
        app = self.spawn("app", "approve", "--dir", self.alice, op_id, "--wait", "10")
        self.stop_then_release(p, signal.SIGINT)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("DOOR UNLOCKED", out)
        rc, aout, aerr = self.finish(app)
        self.assertEqual(rc, 0, aout + aerr)
        self.assertIn("the lock: executed", aout)

    def test_review4_stopped_lock_run_acknowledges(self):
        bob = self.register(BOB)
        self.bind_second(BOB, bob, self.alice)
        run, sock = self.run_lock()
        self.hold_store_on("GET", r"^/v1/lock/inbox\?", b'"revoke"')
        app = self.spawn("app", "revoke", "--dir", self.alice, "--user", "bob",
                         "--timeout", "15")
        self.stop_then_release(run, signal.SIGTERM)
        rc, out, err = self.finish(run, timeout=30)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("revoked: bob", out)
        rc, aout, aerr = self.finish(app)
        self.assertEqual(rc, 0, aout + aerr)
        self.assertIn("confirmed by the lock", aout)
        self.assertEqual(self.unacked_inbox(), 0)


class Review21SecondsOptions(OpsTest):
    """Review of issue 14's change, item 21: every seconds option is read
    strictly. "abc" was 0, which for `lock request --timeout` meant the
    longest wait: a typo left a request open to every app for minutes."""

    def test_review21_bad_seconds_are_usage_errors(self):
        for args in (("lock", "request", "--dir", self.lock, "--op", "unlock", "--timeout",
                      "abc"),
                     ("lock", "request", "--dir", self.lock, "--op", "unlock", "--ttl", "5x"),
                     ("app", "pending", "--dir", self.alice, "--wait", "-1"),
                     ("app", "approve", "--dir", self.alice, "00ff", "--wait", "1e3"),
                     ("app", "status", "--dir", self.alice, "--wait", "abc"),
                     ("lock", "bind-finish", "--dir", self.lock, "--code", "123456",
                      "--wait", "x")):
            rc, out, err = self.ward(*args, timeout=10)
            self.assertEqual(rc, 2, "%s: %s%s" % (" ".join(args), out, err))
            self.assertIn("whole seconds", err)
        self.assertEqual([1 for m, path, *_ in self.proxy.seen
                          if m == "POST" and path == "/v1/ops"], [])


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


class Issue16RunnerKeepsItsStore(LockRunning):
    """Issue 16, item 1: `ward lock run` opens its state once and keeps the
    store file open while it waits (it used to close and reopen it around
    every wait), yet lets the flock go so other commands act on the lock
    meanwhile; what they write it reads again, and an approved request
    still makes the lock act once."""

    def store_fds(self, pid):
        fds = set()
        d = "/proc/%d/fd" % pid
        for n in os.listdir(d):
            try:
                if os.readlink(os.path.join(d, n)).endswith("/store.bin"):
                    fds.add(int(n))
            except OSError:
                pass
        return fds

    def assert_holds_store_not_flock(self, pid):
        """Sampled for 2 s: the same store descriptors open every time,
        and D/.busy free for another process."""
        first = self.store_fds(pid)
        self.assertTrue(first, "the running lock does not hold its store open")
        for _ in range(20):
            self.assertEqual(self.store_fds(pid), first)
            time.sleep(0.1)
        with open(os.path.join(self.lock, ".busy"), "a+") as busy:
            fcntl.flock(busy, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(busy, fcntl.LOCK_UN)
        return first

    def test_issue16_lock_run_opens_its_store_once(self):
        run, sock = self.run_lock()
        self.assert_holds_store_not_flock(run.pid)
        before = len(self.executions())           # a reader beside the runner
        self.assertIn("alice", self.ward_ok("lock", "clients", "--dir", self.lock))
        p = self.request()                        # a writer beside the runner
        self.approve_one(self.alice)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("DOOR UNLOCKED", out)
        self.assertEqual(len(self.executions()), before + 1)
        # The runner reads what the request wrote (the audit goes on from
        # it), and its door opens once per approach.
        self.assertTrue(self.at_the_door(self.alice, sock))
        self.assertEqual(len(self.executions()), before + 2)
        self.assert_holds_store_not_flock(run.pid)
        out, err = self.stop_lock(run)
        self.assert_no_sanitizer_report(err)
        self.assertEqual(len(self.executions()), before + 2)


if __name__ == "__main__":
    wardlib.main_args(__doc__)
    wardlib.run_tests()
