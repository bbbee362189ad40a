"""Flow C's sub-devices on real processes: `ward subdevice init|run` against
the gateway's end on the real core (gw_sub_probe), and the attacks on the
link: a sub-device the manufacturer never activated, replayed packets, a
removed sub-device, another sub-device's key, a stranger's HELLO that tries
to take over an open channel, and a recorded JOIN replayed in a later
window.

Usage: test_subdevice_e2e.py [-v] WARD GW_SUB_PROBE

Each test asserts what the gateway did (its event lines: joined, data,
dropped, refused) and what the sub-device kept, not only what was printed.
Standard library only.
"""
import os
import re
import select
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

WARD = None
PROBE = None
LOCALKEY = "74" * 32


class Lines:
    """A process whose stdout lines are collected by a thread."""

    def __init__(self, args, cwd):
        self.p = subprocess.Popen(args, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines = []
        self.err = []
        self.cv = threading.Condition()
        self.t = threading.Thread(target=self._read, args=(self.p.stdout, self.lines), daemon=True)
        self.t.start()
        self.te = threading.Thread(target=self._read, args=(self.p.stderr, self.err), daemon=True)
        self.te.start()

    def _read(self, f, into):
        for line in f:
            with self.cv:
                into.append(line.rstrip("\n"))
                self.cv.notify_all()
        with self.cv:
            self.cv.notify_all()

    def wait_for(self, pattern, timeout=30, start=0):
        rx = re.compile(pattern)
        end = time.time() + timeout
        with self.cv:
            while True:
                for i, line in enumerate(self.lines[start:], start):
                    if rx.search(line):
                        return i
                left = end - time.time()
                if left <= 0:
                    raise AssertionError("no line matching %r in %r (stderr %r)"
                                         % (pattern, self.lines, self.err))
                self.cv.wait(min(left, 0.2))

    def count(self, pattern):
        rx = re.compile(pattern)
        with self.cv:
            return sum(1 for line in self.lines if rx.search(line))

    def send(self, text):
        self.p.stdin.write(text)
        self.p.stdin.flush()

    def close_input(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass

    def stop(self):
        self.close_input()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.t.join(timeout=5)
        self.te.join(timeout=5)
        self.p.stdout.close()
        self.p.stderr.close()


class Recorder:
    """A TCP relay between a sub-device and the gateway that keeps every
    frame the sub-device sent (an attacker on the LAN)."""

    def __init__(self, upstream_port):
        self.up = upstream_port
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(1)
        self.port = self.ls.getsockname()[1]
        self.frames = []
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        c, _ = self.ls.accept()
        self.ls.close()
        s = socket.create_connection(("127.0.0.1", self.up))
        buf = b""
        while True:
            r, _, _ = select.select([c, s], [], [], 0.5)
            if c in r:
                d = c.recv(4096)
                if not d:
                    break
                s.sendall(d)
                buf += d
                while len(buf) >= 2 and len(buf) >= 2 + int.from_bytes(buf[:2], "big"):
                    n = 2 + int.from_bytes(buf[:2], "big")
                    self.frames.append(buf[:n])
                    buf = buf[n:]
            if s in r:
                d = s.recv(4096)
                if not d:
                    break
                c.sendall(d)
        c.close()
        s.close()


class SubDevices(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ward-sub-")
        self.ward_ok("factory", "keygen", "--out", self.path("fac"))
        self.ward_ok("factory", "keygen", "--out", self.path("other"))
        self.probe = Lines([PROBE, "0", self.path("fac", "factory.pub"), LOCALKEY], self.dir)
        i = self.probe.wait_for(r"^listening \d+")
        self.port = int(self.probe.lines[i].split()[1])
        self.procs = [self.probe]

    def tearDown(self):
        for p in self.procs:
            p.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        # Under the sanitizer build, a report anywhere fails the test.
        for p in self.procs:
            text = "\n".join(p.err)
            self.assertNotIn("Sanitizer", text)
            self.assertNotIn("runtime error", text)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def ward(self, *args):
        return subprocess.run([WARD] + list(args), cwd=self.dir, capture_output=True, text=True,
                              timeout=60)

    def ward_ok(self, *args):
        p = self.ward(*args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def init(self, name, factory="fac"):
        out = self.ward_ok("subdevice", "init", "--dir", self.path(name), "--factory-key",
                           self.path(factory, "factory.key"))
        return re.search(r"subdevice ([0-9a-f]{32})", out).group(1)

    def run_sub(self, name, port=None):
        p = Lines([WARD, "subdevice", "run", "--dir", self.path(name), "--gateway",
                   "127.0.0.1:%d" % (port or self.port), "--join-wait", "30"], self.dir)
        self.procs.append(p)
        return p

    def command(self, line, answer):
        start = len(self.probe.lines)
        self.probe.send(line + "\n")
        self.probe.wait_for(answer, start=start)

    def recorded(self, name):
        """name joined through a Recorder (an attacker keeping its frames),
        channel open."""
        sid = self.init(name)
        rec = Recorder(self.port)
        p = self.run_sub(name, port=rec.port)
        p.wait_for("waiting for the gateway's join window")
        self.command("open 30 3", "^window open")
        p.wait_for("channel open")
        return sid, p, rec

    def joined(self, name):
        """name joined, channel open, one line through."""
        sid = self.init(name)
        p = self.run_sub(name)
        p.wait_for("waiting for the gateway's join window")
        self.command("open 30 3", "^window open")
        p.wait_for("channel open")
        p.send("hi from %s\n" % name)
        self.probe.wait_for("^data %s hi from %s$" % (sid, name))
        p.wait_for("^data: echo: hi from %s$" % name)
        return sid, p

    def test_join_in_window_then_talk(self):
        sid, a = self.joined("a")
        self.assertEqual(self.probe.count("^joined %s$" % sid), 1)
        mode = stat.S_IMODE(os.stat(self.path("a", "subkey")).st_mode)
        self.assertEqual(mode, 0o600)
        a.close_input()
        self.assertEqual(a.p.wait(timeout=10), 0)
        self.probe.wait_for("^left %s$" % sid)
        # Again later: the stored key opens a channel without a window.
        a2 = self.run_sub("a")
        a2.wait_for("channel open")
        a2.send("again\n")
        self.probe.wait_for("^data %s again$" % sid)
        self.assertEqual(self.probe.count("^joined "), 1)

    def test_subdevice_stranger_refused(self):
        """A sub-device the manufacturer never activated cannot join, even
        in an open window; the genuine one still joins in that window."""
        self.init("x", factory="other")
        x = self.run_sub("x")
        x.wait_for("waiting for the gateway's join window")
        self.command("open 30 3", "^window open")
        self.assertEqual(x.p.wait(timeout=20), 1)
        self.assertTrue(any("join refused" in e for e in x.err), x.err)
        self.assertFalse(os.path.exists(self.path("x", "subkey")))
        self.command("count", "^count 0$")
        self.assertEqual(self.probe.count("^joined "), 0)
        sid = self.init("b")
        b = self.run_sub("b")
        b.wait_for("channel open")
        self.command("count", "^count 1$")
        self.assertEqual(self.probe.count("^joined %s$" % sid), 1)

    def test_subdevice_replayed_packets_dropped(self):
        """Frames recorded on the LAN and sent again (on the same channel,
        from another connection) are dropped; the sub-device goes on."""
        sid, a, rec = self.recorded("a")
        a.send("unlock-1\n")
        self.probe.wait_for("^data %s unlock-1$" % sid)
        a.wait_for("^data: echo: unlock-1$")
        data = [f for f in rec.frames if f[3] == 0x52]
        # the channel's empty first packet, then unlock-1
        self.assertEqual(len(data), 2)
        start = len(self.probe.lines)
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            for _ in range(3):
                s.sendall(data[-1])
            self.probe.wait_for("^dropped", start=start)
            time.sleep(0.5)
        self.assertEqual(self.probe.count("^data %s unlock-1$" % sid), 1)
        self.assertGreaterEqual(self.probe.count("^dropped"), 3)
        a.send("unlock-2\n")
        self.probe.wait_for("^data %s unlock-2$" % sid)

    def test_subdevice_removed_is_refused(self):
        sid_a, a = self.joined("a")
        sid_b, b = self.joined("b")
        self.command("remove " + sid_a, "^removed ok")
        a.send("still here\n")
        self.assertEqual(a.p.wait(timeout=20), 1)
        a.wait_for("removed by the gateway")
        self.assertEqual(self.probe.count("^data %s still here$" % sid_a), 0)
        self.assertFalse(os.path.exists(self.path("a", "subkey")))
        # Its key stops for good: a copy of it kept aside opens nothing.
        b.send("b goes on\n")
        self.probe.wait_for("^data %s b goes on$" % sid_b)
        self.command("count", "^count 1$")

    def test_subdevice_other_key_refused(self):
        """B's key put in A's place (A's id, B's key) opens no channel."""
        sid_a, a = self.joined("a")
        sid_b, b = self.joined("b")
        a.stop()
        b.stop()
        with open(self.path("a", "subkey")) as f:
            a_rec = f.read().strip()
        with open(self.path("b", "subkey")) as f:
            b_rec = f.read().strip()
        # sub_id (16) || generation (4) || key (16), hex: A's id and
        # generation, B's key.
        forged = a_rec[:40] + b_rec[40:]
        with open(self.path("a", "subkey"), "w") as f:
            f.write(forged + "\n")
        start = len(self.probe.lines)
        a2 = self.run_sub("a")
        self.assertEqual(a2.p.wait(timeout=20), 1)
        self.assertTrue(any("HELLO reply was refused" in e for e in a2.err), a2.err)
        self.probe.wait_for("^hello %s$" % sid_a, start=start)
        self.assertEqual(self.probe.count("^data %s" % sid_a), 1)

    def exchange(self, frame):
        """frame sent on a connection of its own (a stranger on the LAN);
        the gateway's answer frame."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(frame)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + int.from_bytes(buf[:2], "big"):
                d = s.recv(4096)
                self.assertTrue(d, "the gateway closed the link without answering")
                buf += d
            return buf[2:2 + int.from_bytes(buf[:2], "big")]

    def test_subdevice_hello_takeover_refused(self):
        """A stranger copies A's HELLO off the LAN with a nonce of its own
        (A's id and generation are in clear) and sends it: the gateway
        answers, but A's open channel goes on both ways."""
        sid, a, rec = self.recorded("a")
        a.send("first\n")
        self.probe.wait_for("^data %s first$" % sid)
        a.wait_for("^data: echo: first$")
        hello = [f for f in rec.frames if f[3] == 0x51][-1]
        for _ in range(3):
            forged = hello[:-16] + os.urandom(16)
            answer = self.exchange(forged)
            self.assertEqual(answer[1], 0x51)   # a HELLO reply: the gateway took it
        a.send("still mine\n")
        self.probe.wait_for("^data %s still mine$" % sid)
        a.wait_for("^data: echo: still mine$")
        self.assertEqual(self.probe.count("^dropped"), 0)

    def test_subdevice_join_replay_refused(self):
        """A's JOIN recorded on the LAN and sent again in a window the owner
        opened later (after B joined): A is not filed again, its key and
        channel go on, and the window still takes a genuine sub-device."""
        sid_a, a, rec = self.recorded("a")
        join = [f for f in rec.frames if f[3] == 0x50][-1]
        sid_b, b = self.joined("b")
        self.command("open 30 3", "^window open")
        answer = self.exchange(join)
        self.assertEqual(answer[1], 0x54)       # REFUSED
        self.assertEqual(answer[-1], 6)         # its challenge is not this window's
        self.assertEqual(self.probe.count("^joined %s$" % sid_a), 1)
        a.send("after the replay\n")
        self.probe.wait_for("^data %s after the replay$" % sid_a)
        a.wait_for("^data: echo: after the replay$")
        # A's stored key still opens a channel after a restart.
        a.stop()
        a2 = self.run_sub("a")
        a2.wait_for("channel open")
        a2.send("again\n")
        self.probe.wait_for("^data %s again$" % sid_a)
        # The window is still open for a genuine sub-device.
        sid_c = self.init("c")
        c = self.run_sub("c")
        c.wait_for("channel open")
        self.assertEqual(self.probe.count("^joined %s$" % sid_c), 1)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    if len(args) != 2:
        sys.exit("usage: test_subdevice_e2e.py [-v] WARD GW_SUB_PROBE")
    WARD, PROBE = args
    sys.argv = [sys.argv[0]] + [a for a in sys.argv[1:] if a.startswith("-")]
    unittest.main()
