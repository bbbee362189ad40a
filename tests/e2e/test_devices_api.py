"""Flow D's far-field relay in wardd, over real HTTP: attachments (cloud
ids), the device inbox and the app replies, and who may read what.

Usage: test_devices_api.py [-v] WARDD WARDD_PROBE DEVICES_PROBE

wardd_probe makes the identities (a device is activated like a lock;
users register); devices_probe sends one signed request with their keys.
Standard library only.
"""
import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_wardd_api as api  # noqa: E402
from wardlib import probe_register  # noqa: E402

DPROBE = None
PHONE_A = "+8613800000001"
PHONE_B = "+8613800000002"


def b64(data):
    return base64.b64encode(data).decode()


class Devices(api.WarddTest):
    """DEV-1 and DEV-2 activated; alice and bob registered."""

    def setUp(self):
        super().setUp()
        self.ok("activate", "DEV-1", expect=201)
        self.ok("activate", "DEV-2", expect=201)
        probe_register(self.ok, self.root, "alice", PHONE_A)
        probe_register(self.ok, self.root, "bob", PHONE_B)

    def call(self, who, method, target, body=None):
        """(status, json) of one request signed by who: 'lock:DEV-1' or
        'user:alice'."""
        kind, ident = who.split(":", 1)
        key = os.path.join(self.state, "%s-%s.key" % ("lock" if kind == "lock" else "user",
                                                       ident))
        cmd = [DPROBE, self.wardd.url, key, who, method, target]
        if body is not None:
            cmd.append(json.dumps(body))
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        first, rest = p.stdout.split("\n", 1)
        status = int(first.split("=")[1])
        return status, json.loads(rest) if rest.strip() else None

    def attach(self, user, device, app="", expect=201):
        st, j = self.call("user:" + user, "POST", "/v1/devices/attach",
                          {"device": device, "app": app})
        self.assertEqual(st, expect, j)
        return j.get("cloud_id") if j else None

    def test_attach_is_idempotent_and_per_app(self):
        c1 = self.attach("alice", "DEV-1", "aa01")
        self.assertRegex(c1, r"^[0-9a-f]{32}$")
        self.assertEqual(self.attach("alice", "DEV-1", "aa01", expect=200), c1)
        c2 = self.attach("alice", "DEV-1", "aa02")
        c3 = self.attach("bob", "DEV-1", "aa01")
        self.assertEqual(len({c1, c2, c3}), 3)
        st, j = self.call("user:alice", "GET", "/v1/devices")
        self.assertEqual(st, 200)
        self.assertEqual(sorted(d["cloud_id"] for d in j["devices"]), sorted([c1, c2]))
        st, j = self.call("user:bob", "GET", "/v1/devices")
        self.assertEqual([d["cloud_id"] for d in j["devices"]], [c3])

    def test_attach_refusals(self):
        self.attach("alice", "NO-SUCH", expect=404)
        self.attach("alice", "bad id!", expect=400)
        self.attach("alice", "DEV-1", "x" * 65, expect=400)
        # A device cannot attach itself; an unsigned caller gets nothing.
        st, _ = self.call("lock:DEV-1", "POST", "/v1/devices/attach", {"device": "DEV-1"})
        self.assertEqual(st, 403)

    def test_round_trip_opaque_and_scoped(self):
        ca = self.attach("alice", "DEV-1", "a")
        cb = self.attach("bob", "DEV-1", "b")
        blob_a = bytes(range(256)) * 4          # any bytes, full size
        st, j = self.call("user:alice", "POST", "/v1/dev/%s/msgs" % ca, {"msg": b64(blob_a)})
        self.assertEqual(st, 202, j)
        st, j = self.call("user:bob", "POST", "/v1/dev/%s/msgs" % cb, {"msg": b64(b"\x01bob")})
        self.assertEqual(st, 202, j)
        # DEV-2 sees none of DEV-1's; DEV-1 sees both, tagged by cloud id.
        st, j = self.call("lock:DEV-2", "GET", "/v1/device/inbox")
        self.assertEqual((st, j["msgs"]), (200, []))
        st, j = self.call("lock:DEV-1", "GET", "/v1/device/inbox")
        self.assertEqual(st, 200)
        got = {m["cloud_id"]: base64.b64decode(m["msg"]) for m in j["msgs"]}
        self.assertEqual(got, {ca: blob_a, cb: b"\x01bob"})
        last = max(m["id"] for m in j["msgs"])
        # after=LAST acknowledges: the inbox is empty then.
        st, j = self.call("lock:DEV-1", "GET", "/v1/device/inbox?after=%d" % last)
        self.assertEqual(j["msgs"], [])
        # Replies go to one cloud id only.
        st, j = self.call("lock:DEV-1", "POST", "/v1/device/replies",
                          {"cloud_id": ca, "msg": b64(b"for alice")})
        self.assertEqual(st, 202, j)
        st, j = self.call("user:bob", "GET", "/v1/dev/%s/replies" % cb)
        self.assertEqual(j["msgs"], [])
        st, j = self.call("user:alice", "GET", "/v1/dev/%s/replies" % ca)
        self.assertEqual([base64.b64decode(m["msg"]) for m in j["msgs"]], [b"for alice"])

    def test_nobody_else_uses_a_cloud_id(self):
        ca = self.attach("alice", "DEV-1", "a")
        # Bob cannot post on, nor read, alice's cloud id: the same 404 as none.
        st, _ = self.call("user:bob", "POST", "/v1/dev/%s/msgs" % ca, {"msg": b64(b"x")})
        self.assertEqual(st, 404)
        st, _ = self.call("user:bob", "GET", "/v1/dev/%s/replies" % ca)
        self.assertEqual(st, 404)
        st, _ = self.call("user:alice", "GET", "/v1/dev/%s/replies" % ("0" * 32))
        self.assertEqual(st, 404)
        st, _ = self.call("user:alice", "GET", "/v1/dev/NOTHEX/replies")
        self.assertEqual(st, 404)
        # Another device cannot answer for DEV-1, nor read its inbox.
        st, _ = self.call("lock:DEV-2", "POST", "/v1/device/replies",
                          {"cloud_id": ca, "msg": b64(b"x")})
        self.assertEqual(st, 404)
        # An app cannot read a device inbox, a device cannot post as an app.
        st, _ = self.call("user:alice", "GET", "/v1/device/inbox")
        self.assertEqual(st, 403)
        st, _ = self.call("lock:DEV-1", "POST", "/v1/dev/%s/msgs" % ca, {"msg": b64(b"x")})
        self.assertEqual(st, 403)

    def test_bad_bodies(self):
        ca = self.attach("alice", "DEV-1", "a")
        for body in ({}, {"msg": ""}, {"msg": "!!"}, {"msg": b64(b"x" * 1025)}):
            st, _ = self.call("user:alice", "POST", "/v1/dev/%s/msgs" % ca, body)
            self.assertEqual(st, 400, body)
        st, _ = self.call("lock:DEV-1", "POST", "/v1/device/replies",
                          {"cloud_id": "zz", "msg": b64(b"x")})
        self.assertEqual(st, 400)
        st, _ = self.call("lock:DEV-1", "GET", "/v1/device/inbox?after=-1")
        self.assertEqual(st, 400)

    def test_queue_is_bounded(self):
        ca = self.attach("alice", "DEV-1", "a")
        codes = []
        for i in range(33):
            st, _ = self.call("user:alice", "POST", "/v1/dev/%s/msgs" % ca,
                              {"msg": b64(bytes([i]))})
            codes.append(st)
        self.assertEqual(codes, [202] * 32 + [429])

    def test_long_poll_woken_by_message(self):
        ca = self.attach("alice", "DEV-1", "a")
        out = {}

        def poll():
            t0 = time.time()
            out["r"] = self.call("lock:DEV-1", "GET", "/v1/device/inbox?wait=20")
            out["t"] = time.time() - t0

        th = threading.Thread(target=poll)
        th.start()
        time.sleep(0.5)
        self.call("user:alice", "POST", "/v1/dev/%s/msgs" % ca, {"msg": b64(b"wake")})
        th.join(30)
        st, j = out["r"]
        self.assertEqual(st, 200)
        self.assertEqual(len(j["msgs"]), 1)
        self.assertLess(out["t"], 10)

        # The app's reply poll is woken the same way.
        def poll_app():
            out["a"] = self.call("user:alice", "GET", "/v1/dev/%s/replies?wait=20" % ca)

        th = threading.Thread(target=poll_app)
        t0 = time.time()
        th.start()
        time.sleep(0.5)
        self.call("lock:DEV-1", "POST", "/v1/device/replies",
                  {"cloud_id": ca, "msg": b64(b"back")})
        th.join(30)
        self.assertLess(time.time() - t0, 10)
        self.assertEqual(len(out["a"][1]["msgs"]), 1)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    if len(args) < 3:
        sys.exit("usage: test_devices_api.py [-v] WARDD WARDD_PROBE DEVICES_PROBE")
    api.WARDD, api.PROBE = os.path.abspath(args[0]), os.path.abspath(args[1])
    DPROBE = os.path.abspath(args[2])
    unittest.main(argv=[sys.argv[0]] + flags + args[3:])
