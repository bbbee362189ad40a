#!/usr/bin/env python3
"""End to end: offline peer authentication (issue 18, items 4 and 6;
docs/protocol.md "Offline peer authentication") with the real `ward peer
listen` and `ward peer connect`, over CoAP/UDP and over a Unix stream.

usage: test_peer_e2e.py [-v] WARD WARDD

A lock and a gateway, certified under one root (through a factory's
intermediate), authenticate each other with no server and run a command
over the channel. Each refusal is an attack on the real processes, and
its effect is asserted on the listener: the command was not run (the
listener's `count` of commands run, asked afterwards by the genuine
peer, did not move), and the genuine peer still succeeds. The refusals:
a chain of another root, a revoked key (and an older list that would
un-revoke it), an expiry passed by secure time (the floor a wardd gave,
while the wall clock says valid), a role not allowed, an altered M2 or
M3, a replayed M3 or whole initiator flight, a replayed channel record
(a man in the middle on the stream). Standard library only.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wardlib  # noqa: E402
from wardlib import WardCli  # noqa: E402

M1, M2, M3, RECORD = 0x61, 0x62, 0x63, 0x64
SKEW = "WARDD_TEST_TIME_SKEW_MS"
DAY = 24 * 3600


def read_frame(sock):
    """One frame's message (2-byte length first), or None at the end."""
    data = b""
    for want in (2, None):
        n = 2 if want else int.from_bytes(data, "big")
        data = b""
        while len(data) < n:
            try:
                got = sock.recv(n - len(data))
            except ConnectionResetError:    # closed with our bytes unread
                got = b""
            if not got:
                return None
            data += got
    return data


def frame(msg):
    return len(msg).to_bytes(2, "big") + msg


class StreamMitm:
    """A man in the middle on the byte stream: listens on path, relays
    each connection to target frame by frame, through to_listener(msg)
    and to_connector(msg), which answer the list of messages to pass on
    (none: drop). Every message seen is kept in self.seen per direction."""

    def __init__(self, path, target, to_listener=None, to_connector=None):
        self.path, self.target = path, target
        self.to_listener = to_listener or (lambda m: [m])
        self.to_connector = to_connector or (lambda m: [m])
        self.seen = {"up": [], "down": []}
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def pump(self, src, dst, fn, key):
        try:
            while True:
                m = read_frame(src)
                if m is None:
                    break
                self.seen[key].append(m)
                for out in fn(m):
                    dst.sendall(frame(out))
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(None)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.target)
            threads = [threading.Thread(target=self.pump, args=(c, s, self.to_listener, "up")),
                       threading.Thread(target=self.pump, args=(s, c, self.to_connector, "down"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            c.close()
            s.close()

    def close(self):
        self.stopping = True
        self.sock.close()
        self.thread.join(timeout=5)


class PeerTest(WardCli, unittest.TestCase):
    keys = None          # root, root2, the factory and its certificate: made once

    @classmethod
    def setUpClass(cls):
        if PeerTest.keys is None:
            PeerTest.keys = tempfile.TemporaryDirectory(prefix="ward-peer-keys-")
            for name in ("root", "root2", "fac"):
                subprocess.run([WardCli.binary, "factory", "keygen", "--out",
                                os.path.join(PeerTest.keys.name, name)],
                               check=True, capture_output=True)
            subprocess.run([WardCli.binary, "factory", "cert", "--key", cls.key("root"),
                            "--role", "factory", "--id", "factory-1", "--pub", cls.pub("fac"),
                            "--out", os.path.join(PeerTest.keys.name, "fac.cert")],
                           check=True, capture_output=True)

    @staticmethod
    def key(name):
        return os.path.join(PeerTest.keys.name, name, "factory.key")

    @staticmethod
    def pub(name):
        return os.path.join(PeerTest.keys.name, name, "factory.pub")

    def setUp(self):
        self.make_root("ward-peer-e2e-")
        self.mitm = None

    def tearDown(self):
        try:
            if self.mitm is not None:
                self.mitm.close()
            # listeners stop on SIGTERM and exit cleanly: a sanitizer's report
            # (a leak at exit too) lands on their stderr
            for p in self.procs:
                if p.poll() is None:
                    p.terminate()
                    _, err = p.communicate(timeout=30)
                    self.assert_no_sanitizer_report(err)
        finally:
            self.clean_up()
            for p in self.procs:
                for f in (p.stdout, p.stderr):
                    if not f.closed:
                        f.close()

    # -- devices --

    def certify(self, d, role, ident, root="root", *extra):
        """d's peer.pub certified: through the factory under root, or
        directly by root2 (another manufacturer). Answers the chain file."""
        out = self.path(os.path.basename(d) + ".chain")
        if root == "root":
            self.ward_ok("factory", "cert", "--key", self.key("fac"), "--issuer-cert",
                         os.path.join(PeerTest.keys.name, "fac.cert"), "--role", role,
                         "--id", ident, "--pub", os.path.join(d, "peer.pub"), "--out", out,
                         *extra)
        else:
            self.ward_ok("factory", "cert", "--key", self.key(root), "--role", role,
                         "--id", ident, "--pub", os.path.join(d, "peer.pub"), "--out", out,
                         *extra)
        return out

    def device(self, name, role, ident, root="root", *extra):
        """A peer directory with its key certified (role, ident) and the
        root it trusts (root2's devices trust root2)."""
        d = self.path(name)
        self.ward_ok("peer", "init", "--dir", d)
        chain = self.certify(d, role, ident, root, *extra)
        self.ward_ok("peer", "init", "--dir", d, "--root", self.pub(root), "--cert", chain)
        return d

    def listen(self, d, addr=None, *extra):
        """`ward peer listen` on d; answers the address to connect to."""
        if addr is None:
            addr = "unix:" + self.path(os.path.basename(d) + ".sock")
        p = self.spawn("peer", "listen", "--dir", d, "--listen", addr, *extra)
        deadline = time.time() + 10
        while time.time() < deadline:
            line = p.stdout.readline()
            m = re.search(r"listening on (unix:\S+|coap://(\S+))$", line.strip())
            if m:
                return m.group(2) or m.group(1)
            if not line and p.poll() is not None:
                break
        self.fail("ward peer listen did not start: %r" % (p.communicate(),))

    def connect(self, d, addr, then="ping", *extra):
        rc, out, err = self.ward("peer", "connect", "--dir", d, "--to", addr, "--then", then,
                                 *extra)
        self.assert_no_sanitizer_report(err)
        return rc, out, err

    def count(self, genuine, addr):
        """How many commands the listener at addr has run, this one included."""
        rc, out, err = self.connect(genuine, addr, "count")
        self.assertEqual(rc, 0, out + err)
        return int(re.search(r"^answer: (\d+)$", out, re.M).group(1))

    def pair(self):
        return (self.device("lock", "lock", "LOCK-1"),
                self.device("gw", "gateway", "gw-1"))

    # -- the genuine handshake --

    def test_genuine_lock_and_gateway_over_both_transports(self):
        lock, gw = self.pair()
        for addr in (self.listen(lock), self.listen(lock, "127.0.0.1:0")):
            rc, out, err = self.connect(gw, addr, "whoami")
            self.assertEqual(rc, 0, out + err)
            self.assertIn("peer: LOCK-1 (lock) authenticated", out)
            # the lock saw the gateway's certificate, and answered over the channel
            self.assertIn("answer: gw-1 (gateway)", out)
            m = re.search(r"handshake: 3 messages, M1 (\d+), M2 (\d+), M3 (\d+) bytes", out)
            self.assertEqual(int(m.group(1)), 34)
        # and the other way round: the gateway listens, the lock connects
        addr = self.listen(gw, "127.0.0.1:0")
        rc, out, err = self.connect(lock, addr, "echo open")
        self.assertEqual((rc, re.search(r"^answer: (.*)$", out, re.M).group(1)), (0, "open"),
                         out + err)
        self.assertEqual(self.count(lock, addr), 2)

    # -- chains refused --

    def test_other_root_is_refused_both_ways(self):
        lock, gw = self.pair()
        stranger = self.device("stranger", "gateway", "gw-x", "root2")
        addr = self.listen(lock)
        rc, out, err = self.connect(stranger, addr)
        self.assertEqual(rc, 1, out + err)
        self.assertNotIn("answer:", out)
        self.assertEqual(self.count(gw, addr), 1)      # the stranger's ping never ran
        # the same over CoAP: the core is the same on both transports
        caddr = self.listen(lock, "127.0.0.1:0")
        rc, out, err = self.connect(stranger, caddr)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("refused", err)
        self.assertEqual(self.count(gw, caddr), 1)
        # the lock connecting to the stranger refuses it before saying who it is
        saddr = self.listen(stranger)
        rc, out, err = self.connect(lock, saddr)
        self.assertEqual(rc, 1)
        self.assertIn("not issued under our root", err)

    def test_revoked_key_is_refused_and_an_older_list_does_not_unrevoke(self):
        lock, gw = self.pair()
        other = self.device("other", "device", "dev-9")
        old = self.path("crl1.bin")
        self.ward_ok("factory", "revoke", "--key", self.key("root"), "--list", old,
                     "--pub", os.path.join(other, "peer.pub"))
        new = self.path("crl2.bin")
        shutil.copy(old, new)
        self.ward_ok("factory", "revoke", "--key", self.key("root"), "--list", new,
                     "--pub", os.path.join(gw, "peer.pub"))
        addr = self.listen(lock)
        self.assertEqual(self.count(gw, addr), 1)      # before the list: accepted
        self.ward_ok("peer", "init", "--dir", lock, "--list", new)
        # a listener reads its list at start: restart it
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                self.assert_no_sanitizer_report(p.communicate(timeout=30)[1])
        addr = self.listen(lock)
        rc, out, err = self.connect(gw, addr)
        self.assertEqual(rc, 1, out + err)
        # the older list (which did not name the gateway) is refused
        self.ward_fails("peer", "init", "--dir", lock, "--list", old, expect="not newer")
        rc, out, err = self.connect(gw, addr)
        self.assertEqual(rc, 1, out + err)
        # the lock connecting to the revoked gateway refuses it too
        gaddr = self.listen(gw)
        rc, out, err = self.connect(lock, gaddr)
        self.assertEqual(rc, 1)
        self.assertIn("revoked", err)
        # a genuine device not on the list still gets through
        fresh = self.device("fresh", "device", "dev-1")
        self.assertEqual(self.count(fresh, addr), 1)

    def test_expiry_is_checked_against_secure_time_not_the_wall_clock(self):
        # A wardd whose time runs two days ahead gives the lock its floor.
        old = os.environ.pop(SKEW, None)
        os.environ[SKEW] = str(2 * DAY * 1000)
        try:
            self.start_wardd()
        finally:
            os.environ.pop(SKEW, None)
            if old is not None:
                os.environ[SKEW] = old
        lock = self.init_lock("LOCK-1", "lock")
        self.ward_ok("lock", "time", "--dir", lock, "--time-key",
                     self.path("wardd.db.timepub"))
        self.ward_ok("peer", "init", "--dir", lock)
        chain = self.certify(lock, "lock", "LOCK-1")
        self.ward_ok("peer", "init", "--dir", lock, "--root", self.pub("root"), "--cert", chain)
        now = int(time.time())
        # valid for one more day by the wall clock, expired by the lock's secure time
        soon = self.device("soon", "gateway", "gw-soon", "root", "--expires", str(now + DAY))
        later = self.device("later", "gateway", "gw-later", "root",
                            "--expires", str(now + 3 * DAY))
        addr = self.listen(lock)
        rc, out, err = self.connect(soon, addr)
        self.assertEqual(rc, 1, out + err)
        self.assertEqual(self.count(later, addr), 1)   # the expired one ran nothing
        # the lock connecting out refuses it the same way
        saddr = self.listen(soon)
        rc, out, err = self.connect(lock, saddr)
        self.assertEqual(rc, 1)
        self.assertIn("expired", err)

    def test_expired_before_the_build_is_refused_without_any_sync(self):
        lock, _ = self.pair()
        stale = self.path("stale")
        self.ward_ok("peer", "init", "--dir", stale)
        chain = self.certify(stale, "gateway", "gw-old", "root", "--issued", "1500000000",
                             "--expires", "1600000000")
        # its own init refuses the chain; the device holds it anyway
        self.ward_fails("peer", "init", "--dir", stale, "--root", self.pub("root"),
                        "--cert", chain, expect="expired")
        shutil.copy(self.pub("root"), os.path.join(stale, "root.pub"))
        shutil.copy(chain, os.path.join(stale, "peer.chain"))
        addr = self.listen(lock)
        rc, out, err = self.connect(stale, addr)
        self.assertEqual(rc, 1, out + err)
        gw = self.path("gw")
        self.assertEqual(self.count(gw, addr), 1)

    def test_role_not_allowed_is_refused(self):
        lock, gw = self.pair()
        dev = self.device("dev", "device", "dev-1")
        addr = self.listen(lock, None, "--allow", "gateway")
        rc, out, err = self.connect(dev, addr)
        self.assertEqual(rc, 1, out + err)
        self.assertEqual(self.count(gw, addr), 1)
        # and on the connecting side
        daddr = self.listen(dev)
        rc, out, err = self.connect(lock, daddr, "ping", "--allow", "gateway,subdevice")
        self.assertEqual(rc, 1)
        self.assertIn("role", err)

    # -- the handshake and the channel attacked on the wire --

    def through_mitm(self, addr, **hooks):
        path = self.path("mitm.sock")
        if os.path.exists(path):
            os.unlink(path)
        self.mitm = StreamMitm(path, addr[len("unix:"):], **hooks)
        return "unix:" + path

    def test_altered_handshake_messages_are_refused(self):
        lock, gw = self.pair()
        addr = self.listen(lock)

        def flip(kind, at):
            def fn(m):
                if m[0] == kind:
                    m = bytearray(m)
                    m[at] ^= 0x01
                    m = bytes(m)
                return [m]
            return fn
        for kind, at, side in ((M2, 1, "to_connector"), (M2, 100, "to_connector"),
                               (M3, 50, "to_listener"), (M3, -1, "to_listener")):
            via = self.through_mitm(addr, **{side: flip(kind, at)})
            rc, out, err = self.connect(gw, via)
            self.assertEqual(rc, 1, "M%d byte %d: %s%s" % (kind - 0x60, at, out, err))
            self.assertNotIn("answer:", out)
            self.mitm.close()
            self.mitm = None
        self.assertEqual(self.count(gw, addr), 1)       # none of the four ran its ping

    def test_replayed_handshake_messages_are_refused(self):
        lock, gw = self.pair()
        addr = self.listen(lock)
        via = self.through_mitm(addr)
        rc, out, err = self.connect(gw, via)             # a genuine session, recorded
        self.assertEqual(rc, 0, out + err)
        old = list(self.mitm.seen["up"])                 # M1, M3, the record
        self.assertEqual([m[0] for m in old], [M1, M3, RECORD])
        self.mitm.close()
        # a new session whose M3 is swapped for the recorded one
        via = self.through_mitm(addr, to_listener=lambda m: [old[1]] if m[0] == M3 else [m])
        rc, out, err = self.connect(gw, via)
        self.assertEqual(rc, 1, out + err)
        self.mitm.close()
        self.mitm = None
        # the whole recorded flight of the initiator, replayed to the listener
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(addr[len("unix:"):])
        s.sendall(frame(old[0]))
        self.assertEqual(read_frame(s)[0], M2)          # a fresh M2, under a fresh Y
        s.sendall(frame(old[1]) + frame(old[2]))
        self.assertIsNone(read_frame(s))                # refused: closed, nothing answered
        s.close()
        self.assertEqual(self.count(gw, addr), 2)       # the genuine ping and this count

    def test_replayed_channel_record_is_refused(self):
        lock, gw = self.pair()
        addr = self.listen(lock)
        # the man in the middle sends the command record twice
        via = self.through_mitm(addr, to_listener=lambda m: [m, m] if m[0] == RECORD else [m])
        rc, out, err = self.connect(gw, via, "echo unlock")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("answer: unlock", out)
        self.mitm.close()
        self.mitm = None
        # the listener ran the command once: this count is the second
        self.assertEqual(self.count(gw, addr), 2)


if __name__ == "__main__":
    wardlib.main_args(__doc__)
    wardlib.run_tests()
