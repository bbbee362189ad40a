#!/usr/bin/env python3
"""Flow C's sub-devices carried by the real gateway: `ward subdevice run`
against `ward gateway run --sub-port`, provisioned for real (wardd, `ward
app provision` over loopback), the owner's side through `ward gateway
subdevices`. A sub-device joins only in a window the owner opened, a
removed one is refused, two cannot read each other, a stranger's HELLOs
sent during a sub-device's reconnect do not lock it out, and a sub-device
reconnects after the gateway restarts.

usage: test_gw_sub_e2e.py [-v] WARD WARDD

The effects asserted are the gateway's table (G/subdevices.bin, by its
documented records 0x04C0-0x04FF), the sub-device's key file, and text
that went through the sealed channel both ways (the gateway's "echo: TEXT"
is opened by the sub-device with its channel keys). Standard library only.
"""
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from wardlib import SANITIZER_MARKS, Wardd, app_register, free_tcp_port  # noqa: E402
from test_gw_wire_e2e import cloud_state, free_udp_port, store_records  # noqa: E402
from test_subdevice_e2e import Lines  # noqa: E402

WARD = WARDD = None
MAC = "02:11:22:a3:b4:d1"
ALICE = ("alice", "+15550100031")


def frames(buf):
    """Whole frames at the start of buf (2-byte big-endian length, then the
    message) and what is left."""
    out = []
    while len(buf) >= 2 and len(buf) >= 2 + int.from_bytes(buf[:2], "big"):
        n = 2 + int.from_bytes(buf[:2], "big")
        out.append(buf[:n])
        buf = buf[n:]
    return out, buf


class HelloRacer:
    """A relay between a sub-device and the gateway that plays a stranger
    on the LAN: each time the gateway answers a HELLO of the sub-device, it
    first sends the gateway `count` HELLOs of its own naming the same
    sub-device (its id and generation are in clear; a nonce of its own),
    then hands the sub-device its answer."""

    def __init__(self, upstream, count):
        self.up, self.count = upstream, count
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(4)
        self.port = self.ls.getsockname()[1]
        self.forged = 0
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _stranger(self, hello):
        with socket.create_connection(("127.0.0.1", self.up), timeout=5) as s:
            for _ in range(self.count):
                forged = hello[:-16] + os.urandom(16)
                s.sendall(forged)
                buf = b""
                while not frames(buf)[0]:
                    d = s.recv(4096)
                    if not d:
                        return
                    buf += d
                self.forged += 1

    def _run(self):
        while not self.stop:
            r, _, _ = select.select([self.ls], [], [], 0.2)
            if not r:
                continue
            c, _ = self.ls.accept()
            try:
                s = socket.create_connection(("127.0.0.1", self.up))
            except OSError:
                c.close()
                continue
            self._pump(c, s)

    def _pump(self, c, s):
        up_buf = down_buf = b""
        hello = None
        while not self.stop:
            r, _, _ = select.select([c, s], [], [], 0.2)
            if c in r:
                d = c.recv(4096)
                if not d:
                    break
                got, up_buf = frames(up_buf + d)
                for f in got:
                    if f[3] == 0x51:
                        hello = f
                    s.sendall(f)
            if s in r:
                d = s.recv(4096)
                if not d:
                    break
                got, down_buf = frames(down_buf + d)
                for f in got:
                    if f[3] == 0x51 and hello is not None:
                        self._stranger(hello)
                        hello = None
                    c.sendall(f)
        c.close()
        s.close()

    def close(self):
        self.stop = True
        self.t.join(timeout=5)
        self.ls.close()


class GatewaySubDevices(unittest.TestCase):
    """One provisioned gateway for the class; each test its sub-devices."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="ward-gwsub-")
        cls.wardd = None
        cls.gw = None
        try:
            cls._provision()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _provision(cls):
        root = cls.root
        cls.ok_cls("factory", "keygen", "--out", os.path.join(root, "factory"))
        shutil.copy(os.path.join(root, "factory", "factory.pub"),
                    os.path.join(root, "factory.pub"))
        cls.ok_cls("factory", "keygen", "--out", os.path.join(root, "other"))
        cls.wardd = Wardd(root, WARDD)
        cls.wardd.start()
        cls.g = os.path.join(root, "G")
        cls.wifi = os.path.join(root, "wifi.txt")
        with open(cls.wifi, "w", encoding="ascii") as f:
            f.write("home correct-horse\n")
        cls.tcp, cls.udp, cls.sub_port = free_tcp_port(), free_udp_port(), free_tcp_port()
        cls.ok_cls("gateway", "init", "--dir", cls.g, "--mac", MAC, "--server", cls.wardd.url,
                   "--port", str(cls.tcp), "--factory-key",
                   os.path.join(root, "factory", "factory.key"))
        cls.start_gateway()
        alice = os.path.join(root, "alice")

        def run(args, stdin):
            r = subprocess.run([WARD] + args, input=stdin, capture_output=True, text=True,
                               timeout=60)
            return r.returncode, r.stdout + r.stderr
        app_register(run, root, alice, cls.wardd.url, ALICE[0], ALICE[1])
        cls.ok_cls("app", "provision", "--dir", alice, "--qr", os.path.join(cls.g, "qr.png"),
                   "--ssid", "home", "--psk", "correct-horse", "--timeout", "20",
                   "--gateway-udp", "127.0.0.1:%d" % cls.udp)
        end = time.time() + 15
        while time.time() < end and cloud_state(cls.g) is None:
            time.sleep(0.2)
        if cloud_state(cls.g) is None:
            raise AssertionError("the gateway holds no credentials")
        cls.gw.wait_for(r"^sub-devices: \d+ known, serving")

    @classmethod
    def start_gateway(cls):
        cls.gw = Lines([WARD, "gateway", "run", "--dir", cls.g, "--wifi", cls.wifi,
                        "--udp-port", str(cls.udp), "--heartbeat", "2",
                        "--sub-port", str(cls.sub_port),
                        "--sub-factory", os.path.join(cls.root, "factory", "factory.pub")],
                       cls.root)
        cls.gw.wait_for(r"^listening: udp")
        cls.gw_errs = getattr(cls, "gw_errs", [])

    @classmethod
    def stop_gateway(cls):
        cls.gw.p.terminate()
        cls.gw.stop()
        cls.gw_errs.extend(cls.gw.err)

    @classmethod
    def tearDownClass(cls):
        text = ""
        try:
            if cls.gw is not None:
                cls.stop_gateway()
                text += "\n".join(cls.gw_errs)
            if cls.wardd is not None:
                cls.wardd.stop()
                text += cls.wardd.log()
        finally:
            shutil.rmtree(cls.root, ignore_errors=True)
        for mark in SANITIZER_MARKS:
            if mark in text:
                raise AssertionError("sanitizer report:\n" + text)

    @classmethod
    def ok_cls(cls, *args):
        r = subprocess.run([WARD] + list(args), cwd=cls.root, capture_output=True, text=True,
                           timeout=90)
        if r.returncode != 0:
            raise AssertionError("ward %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
        return r.stdout

    def setUp(self):
        self.procs = []
        self.dirs = []

    def tearDown(self):
        for p in self.procs:
            p.stop()
        self.ward("gateway", "subdevices", "--dir", self.g, "--close")
        for p in self.procs:
            for mark in SANITIZER_MARKS:
                self.assertNotIn(mark, "\n".join(p.err))
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)

    def ward(self, *args):
        return subprocess.run([WARD] + list(args), cwd=self.root, capture_output=True,
                              text=True, timeout=60)

    def ok(self, *args):
        r = self.ward(*args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def table(self):
        """The sub-device ids in the gateway's store (records 0x04C1 + slot:
        sub_id (16) || sub_pub (65) || generation (4))."""
        recs = store_records(os.path.join(self.g, "subdevices.bin"))
        return {v[:16].hex(): int.from_bytes(v[81:85], "big")
                for k, v in recs.items() if 0x04C1 <= k <= 0x04D0}

    def init(self, name, factory="factory"):
        d = os.path.join(self.root, "%s-%s" % (self._testMethodName, name))
        self.dirs.append(d)
        out = self.ok("subdevice", "init", "--dir", d, "--factory-key",
                      os.path.join(self.root, factory, "factory.key"))
        return out.split()[1].rstrip(":"), d

    def run_sub(self, d, port=None, *extra):
        p = Lines([WARD, "subdevice", "run", "--dir", d, "--gateway",
                   "127.0.0.1:%d" % (port or self.sub_port)] + list(extra), self.root)
        self.procs.append(p)
        return p

    def open_window(self, secs=30, tries=3):
        self.ok("gateway", "subdevices", "--dir", self.g, "--open", str(secs), "--tries",
                str(tries))

    def through(self, p, text):
        """text sent up the channel and its echo opened by the sub-device."""
        start = len(p.lines)
        p.send(text + "\n")
        p.wait_for("^data: echo: %s$" % text, start=start)

    def joined(self, name):
        sid, d = self.init(name)
        p = self.run_sub(d)
        p.wait_for("waiting for the gateway's join window")
        self.open_window()
        p.wait_for("channel open")
        self.through(p, "hi from %s" % name)
        return sid, d, p

    # -- the tests --

    def test_gw_subdevice_joins_in_open_window(self):
        sid, d, p = self.joined("a")
        self.assertIn(sid, self.table())
        self.assertTrue(os.path.exists(os.path.join(d, "subkey")))
        listed = self.ok("gateway", "subdevices", "--dir", self.g)
        self.assertIn("subdevice %s connected" % sid, listed)
        # The window closed at that join.
        self.assertIn("join window closed", listed)

    def test_gw_subdevice_refused_outside_window(self):
        sid, d = self.init("x")
        x = self.run_sub(d, None, "--join-wait", "3")
        self.assertEqual(x.p.wait(timeout=30), 1)
        self.assertFalse(os.path.exists(os.path.join(d, "subkey")))
        self.assertNotIn(sid, self.table())
        # One the manufacturer never activated is refused inside a window.
        sid_s, ds = self.init("stranger", factory="other")
        s = self.run_sub(ds)
        s.wait_for("waiting for the gateway's join window")
        self.open_window()
        self.assertEqual(s.p.wait(timeout=30), 1)
        self.assertNotIn(sid_s, self.table())
        # The genuine one joins in that same window.
        y = self.run_sub(d)
        y.wait_for("channel open")
        self.through(y, "in the window")
        self.assertIn(sid, self.table())

    def test_gw_subdevice_removed_is_refused(self):
        sid_a, da, a = self.joined("a")
        sid_b, db, b = self.joined("b")
        out = self.ok("gateway", "subdevices", "--dir", self.g, "--remove", sid_a)
        self.assertIn("removed", out)
        self.assertNotIn(sid_a, self.table())
        a.send("still here\n")
        self.assertEqual(a.p.wait(timeout=20), 1)
        self.assertFalse(os.path.exists(os.path.join(da, "subkey")))
        self.through(b, "b goes on")
        # Removed for good: running it again means joining again, refused
        # outside a window.
        a2 = self.run_sub(da, None, "--join-wait", "2")
        self.assertEqual(a2.p.wait(timeout=30), 1)
        self.assertNotIn(sid_a, self.table())

    def test_gw_subdevices_cannot_read_each_other(self):
        """B's key in A's place (A's id and generation, B's key) opens no
        channel: the gateway's HELLO reply fails A's check."""
        sid_a, da, a = self.joined("a")
        sid_b, db, b = self.joined("b")
        a.stop()
        with open(os.path.join(da, "subkey")) as f:
            a_rec = f.read().strip()
        with open(os.path.join(db, "subkey")) as f:
            b_rec = f.read().strip()
        with open(os.path.join(da, "subkey"), "w") as f:
            f.write(a_rec[:40] + b_rec[40:] + "\n")
        a2 = self.run_sub(da)
        self.assertEqual(a2.p.wait(timeout=30), 1)
        self.assertTrue(any("HELLO reply was refused" in e for e in a2.err), a2.err)
        self.through(b, "b unharmed")

    def test_gw_subdevice_hello_race_stranger(self):
        """While A reconnects, a stranger sends HELLOs naming A between the
        gateway's answer to A's HELLO and A's first packet: A's channel
        must still open and carry its lines."""
        sid, d, a = self.joined("a")
        a.stop()
        racer = HelloRacer(self.sub_port, 3)
        try:
            a2 = self.run_sub(d, racer.port)
            a2.wait_for("channel open")
            self.assertEqual(racer.forged, 3)
            self.through(a2, "after the race")
        finally:
            racer.close()

    def test_gw_subdevice_connection_flood(self):
        """Strangers hold open every connection place the gateway has (and
        more): A's open channel goes on, and B still joins and talks."""
        sid_a, da, a = self.joined("a")
        strangers = []
        try:
            for _ in range(2 * 8):
                strangers.append(socket.create_connection(("127.0.0.1", self.sub_port)))
                time.sleep(0.02)
            self.through(a, "a under the flood")
            sid_b, db, b = self.joined("b")
            for _ in range(8):
                strangers.append(socket.create_connection(("127.0.0.1", self.sub_port)))
                time.sleep(0.02)
            self.through(a, "a still")
            self.through(b, "b still")
            # Neither lost its connection to them (no reconnect, one channel).
            for p in (a, b):
                self.assertEqual(p.count("reconnecting"), 0, p.lines)
                self.assertEqual(p.count("channel open"), 1, p.lines)
        finally:
            for s in strangers:
                s.close()

    def test_gw_subdevice_rejoins_after_gateway_reset(self):
        """`ward gateway reset` forgets the sub-devices with the owner:
        G/subdevices.bin is deleted, so a sub-device that was joined gets
        no channel when it comes back (its key is unknown) and must join
        again, in a window the next owner opens. The gateway is provisioned
        again for the tests that follow."""
        sid, d, a = self.joined("a")
        self.assertIn(sid, self.table())
        type(self).stop_gateway()
        a.wait_for("reconnecting")
        self.ok("gateway", "reset", "--dir", self.g, "--tries", "1")
        self.assertFalse(os.path.exists(os.path.join(self.g, "subdevices.bin")))
        type(self).start_gateway()
        start = len(self.gw.lines)
        self.ok("app", "provision", "--dir", os.path.join(self.root, "alice"), "--qr",
                os.path.join(self.g, "qr.png"), "--ssid", "home", "--psk", "correct-horse",
                "--timeout", "20", "--gateway-udp", "127.0.0.1:%d" % self.udp)
        self.gw.wait_for(r"^sub-devices: 0 known, serving", start=start)
        # Its old key opens nothing: it has to join again...
        at = len(a.lines)
        a.wait_for("the gateway no longer knows this key: joining again", start=at)
        a.wait_for("waiting for the gateway's join window", start=at)
        self.assertFalse(any("channel open" in line for line in a.lines[at:]), a.lines)
        self.assertEqual(self.table(), {})
        # ...and does, in the new owner's window.
        self.open_window()
        a.wait_for("channel open", start=at)
        self.through(a, "joined again")
        self.assertIn(sid, self.table())

    def test_gw_subdevice_reconnects_after_gateway_restart(self):
        sid, d, a = self.joined("a")
        gen = self.table()[sid]
        type(self).stop_gateway()
        a.wait_for("reconnecting")
        time.sleep(1)
        type(self).start_gateway()
        self.gw.wait_for(r"^sub-devices: \d+ known, serving")
        start = len(a.lines)
        a.wait_for("channel open", start=start)
        self.through(a, "after the restart")
        # Still the same join: no new generation, no window needed.
        self.assertEqual(self.table()[sid], gen)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    if len(args) < 2:
        sys.exit("usage: test_gw_sub_e2e.py [-v] WARD WARDD [TEST...]")
    WARD, WARDD = args[:2]
    sys.argv = [sys.argv[0]] + [a for a in sys.argv[1:] if a.startswith("-")] + args[2:]
    unittest.main()
