#!/usr/bin/env python3
"""End to end: `--json` on every listing and status command of `ward`
(issue 15, item 9).

usage: test_cli_json.py [-v] WARD WARDD

One real wardd, one lock with alice bound as its owner (and a request of
hers approved, so both audits hold events), one IoT device on the LAN.
Each listing or status command is run with --json; its standard output
must be exactly one JSON document (Python's json parses all of it) whose
values are the state the test made: alice's uid and role in `lock
clients`, the pending request's id in `app pending` (which approving by
that id then executes), and so on. A failing command prints no document:
stdout stays empty, the error is on stderr, the exit code is not 0. The
field names checked here are the ones docs/cli.md lists. Standard
library only.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wardlib  # noqa: E402
from wardlib import SANITIZER_MARKS, WardCli, app_register, free_udp_port  # noqa: E402

WARD = None
WARDD = None
SN = "LOCK-0001"
DEV = "LAMP-1"
ALICE = ("alice", "+8613800000001")
ISO = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


def run(*args, timeout=60):
    p = subprocess.run([WARD] + list(args), capture_output=True, text=True, timeout=timeout)
    for mark in SANITIZER_MARKS:
        assert mark not in p.stderr, p.stderr
    return p.returncode, p.stdout, p.stderr


class JsonOutput(WardCli, unittest.TestCase):
    """The state is made once: binding takes seconds."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="ward-json-e2e-")
        cls.root = root = cls.tmp.name
        cls.wardd = None
        cls.device = None
        try:
            cls.make_state(root)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def make_state(cls, root):
        def ok(*args):
            rc, out, err = run(*args)
            if rc != 0:
                raise AssertionError("ward %s (%d):\n%s%s" % (" ".join(args), rc, out, err))
            return out

        cls.wardd = wardlib.start_wardd(ok, root, WARDD)
        url = cls.wardd.url
        cls.lock = wardlib.init_lock(ok, root, os.path.join(root, "lock"), SN, url)
        cls.alice = os.path.join(root, "alice")
        app_register(lambda args, stdin: (lambda r: (r[0], r[1] + r[2]))(run(*args)),
                     root, cls.alice, url, ALICE[0], ALICE[1])
        wardlib.bind_first(ok, root, cls.lock, cls.alice, ALICE[1], os.path.join(root, "qr.png"))
        # An IoT device on the LAN for `app discover`.
        ddir = os.path.join(root, "dev")
        ok("device", "init", "--dir", ddir, "--id", DEV, "--server", url, "--factory-key",
           os.path.join(root, "factory", "factory.key"), "--name", "Hall lamp")
        cls.near_port = free_udp_port()
        cls.device = subprocess.Popen(
            [WARD, "device", "run", "--dir", ddir, "--listen", "127.0.0.1:%d" % cls.near_port,
             "--server", url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        line = cls.device.stdout.readline()
        if not line.startswith("device %s: near coap://" % DEV):
            raise AssertionError("device run said: %r" % line)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.device is not None:
                cls.device.terminate()
                cls.device.wait(timeout=20)
            if cls.wardd is not None:
                cls.wardd.stop()
        finally:
            cls.tmp.cleanup()

    # -- helpers --

    def doc(self, *args):
        """Runs ward with --json: exit 0 and standard output one JSON
        document, nothing before or after it."""
        rc, out, err = run(*(args + ("--json",)))
        self.assertEqual(rc, 0, "ward %s --json (%d):\n%s%s" % (" ".join(args), rc, out, err))
        self.assertTrue(out.endswith("\n") and out.count("\n") == 1,
                        "more than one line on stdout:\n" + out)
        return json.loads(out)

    def assert_time(self, obj, name):
        self.assertRegex(obj[name], ISO)
        self.assertIsInstance(obj[name + "_ms"], (int, float))

    # -- the commands --

    def test_version(self):
        d = self.doc("version")
        rc, text, _ = run("version")
        self.assertEqual(rc, 0)
        self.assertEqual(set(d), {"version", "crypto_backend", "protocol"})
        self.assertIn("ward %s (crypto backend: %s, protocol %d)"
                      % (d["version"], d["crypto_backend"], d["protocol"]), text)
        self.assertEqual(self.doc_raw("--version", "--json"), d)

    def doc_raw(self, *args):
        rc, out, err = run(*args)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def test_selftest(self):
        d = self.doc("selftest", "--backend", "all")
        self.assertIs(d["passed"], True)
        self.assertEqual(sorted(b["backend"] for b in d["backends"]), ["mbedtls", "openssl"])
        for b in d["backends"]:
            self.assertIs(b["ok"], True)
            self.assertEqual(b["failed"], 0)
            self.assertEqual(b["failures"], [])
            self.assertGreater(b["passed"], 0)
            self.assertIsInstance(b["skipped"], int)
            self.assertIsInstance(b["implementation"], str)

    def test_lock_clients(self):
        d = self.doc("lock", "clients", "--dir", self.lock)
        self.assertEqual(d["sn"], SN)
        self.assertEqual([(c["uid"], c["role"]) for c in d["clients"]], [("alice", "owner")])
        self.assert_time(d["clients"][0], "bound_at")

    def test_lock_audit(self):
        d = self.doc("lock", "audit", "--dir", self.lock)
        self.assertEqual(d["sn"], SN)
        binds = [e for e in d["events"] if e["event"] == "bind"]
        self.assertEqual([(e["uid"], e["op"]) for e in binds], [("alice", None)])
        seqs = [e["seq"] for e in d["events"]]
        self.assertEqual(seqs, sorted(seqs))
        self.assert_time(binds[0], "time")

    def test_app_status(self):
        d = self.doc("app", "status", "--dir", self.alice)
        self.assertEqual((d["user"], d["phone"], d["server"]),
                         (ALICE[0], ALICE[1], self.wardd.url))
        self.assertEqual(len(d["locks"]), 1)
        lk = d["locks"][0]
        self.assertEqual((lk["sn"], lk["state"], lk["role"], lk["rebinding"], lk["key_kept"]),
                         (SN, "bound", "owner", False, True))
        self.assertRegex(lk["task"], r"^[0-9a-f]{32}$")

    def test_app_clients(self):
        d = self.doc("app", "clients", "--dir", self.alice)
        self.assertEqual(d["sn"], SN)
        self.assertEqual([(c["uid"], c["role"]) for c in d["clients"]], [("alice", "owner")])
        # wardd's record of the binding: the same task as the app's own.
        task = self.doc("app", "status", "--dir", self.alice)["locks"][0]["task"]
        self.assertEqual(d["clients"][0]["task"], task)

    def test_app_pending_then_audits(self):
        self.assertEqual(self.doc("app", "pending", "--dir", self.alice)["requests"], [])
        req = subprocess.Popen([WARD, "lock", "request", "--dir", self.lock, "--op", "unlock",
                                "--timeout", "30"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 20
            reqs = []
            while not reqs and time.time() < deadline:
                d = self.doc("app", "pending", "--dir", self.alice)
                reqs = d["requests"]
                time.sleep(0.1)
            self.assertEqual(len(reqs), 1, "no pending request came")
            r = reqs[0]
            self.assertEqual((r["sn"], r["op"], r["target"]), (SN, "unlock", None))
            self.assertRegex(r["op_id"], r"^[0-9a-f]{32}$")
            self.assertTrue(0 < r["seconds_left"] <= 300)
            self.assert_time(r, "expires")
            self.assertEqual(d["ignored"], 0)
            # The id in the document is the request's: approving it opens.
            self.ward_ok("app", "approve", "--dir", self.alice, r["op_id"])
            out, err = req.communicate(timeout=60)
            self.assertEqual(req.returncode, 0, out + err)
            self.assertIn("DOOR UNLOCKED", out)
        finally:
            if req.poll() is None:
                req.kill()
                req.wait()
        self.assertEqual(self.doc("app", "pending", "--dir", self.alice)["requests"], [])
        # Both audits now hold the execution.
        d = self.doc("lock", "audit", "--dir", self.lock)
        self.assertIn(("executed", "unlock", "alice"),
                      [(e["event"], e["op"], e["uid"]) for e in d["events"]])
        d = self.doc("app", "audit", "--dir", self.alice, "--sn", SN)
        self.assertEqual(d["sn"], SN)
        events = [(e["event"], e["uid"]) for e in d["events"]]
        self.assertIn(("bind", "alice"), events)
        self.assertIn(("op_answered", "alice"), events)
        for e in d["events"]:
            self.assert_time(e, "time")
            self.assertEqual(set(e), {"time", "time_ms", "event", "uid", "op", "detail"})

    def test_app_discover(self):
        near = "127.0.0.1:%d" % self.near_port
        d = self.doc("app", "discover", "--dir", self.alice, "--scan",
                     "%s-%d" % (near, self.near_port + 1))
        self.assertEqual(d["devices"], [{"where": "lan", "id": DEV, "near": near,
                                         "name": "Hall lamp", "type": "lamp",
                                         "cloud_id": None}])
        self.assertEqual(d["both"], 0)

    def test_failure_prints_no_document(self):
        for args in (("lock", "clients", "--dir", os.path.join(self.root, "nowhere")),
                     ("lock", "audit", "--dir", os.path.join(self.root, "nowhere")),
                     ("app", "status", "--dir", os.path.join(self.root, "nowhere")),
                     ("app", "pending", "--dir", os.path.join(self.root, "nowhere")),
                     ("app", "clients", "--dir", self.alice, "--sn", "NO-SUCH-LOCK")):
            rc, out, err = run(*(args + ("--json",)))
            self.assertEqual(rc, 1, " ".join(args))
            self.assertEqual(out, "", " ".join(args))
            self.assertRegex(err, r"^ward: .+\n$")

    def test_json_is_in_every_usage(self):
        for cmd in ("version", "selftest", "lock clients", "lock audit", "app status",
                    "app pending", "app clients", "app audit", "app discover"):
            rc, out, _ = run(*cmd.split(), "--help")
            self.assertEqual(rc, 0, cmd)
            usage = [l for l in out.splitlines() if "[--json]" in l]
            self.assertTrue(usage, cmd)
            self.assertIn("--json", out.split("[--json]", 1)[1], cmd)

if __name__ == "__main__":
    WARD, WARDD = wardlib.main_args(__doc__)
    wardlib.run_tests()
