"""Flow D end to end: one IoT device (`ward device run`), several apps
(`ward app pair | send | discover`), wardd relaying far-field, CoAP on
UDP near-field, with a man in the middle on the near-field link.

Usage: test_devices_e2e.py [-v] WARD WARDD

Standard library only; everything on 127.0.0.1.
"""
import hashlib
import hmac
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wardlib import (SANITIZER_MARKS, HostileProxy, Wardd, app_register,  # noqa: E402
                     free_udp_port)

WARD = None
WARDD = None
DEV = "LAMP-1"


# ---- CoAP (RFC 7252) just enough for the relay ----

def coap_split(dgram):
    """(header+token+options, payload) of a CoAP datagram."""
    tkl = dgram[0] & 0x0F
    i = 4 + tkl
    while i < len(dgram):
        if dgram[i] == 0xFF:
            return dgram[:i + 1], dgram[i + 1:]
        delta, length = dgram[i] >> 4, dgram[i] & 0x0F
        i += 1
        for nib in (delta, length):
            pass
        ext = {13: 1, 14: 2}
        i += ext.get(delta, 0)
        if length == 13:
            length = dgram[i] + 13
            i += 1
        elif length == 14:
            length = (dgram[i] << 8 | dgram[i + 1]) + 269
            i += 2
        i += length
    return dgram, b""


def ward_type(dgram):
    _, payload = coap_split(dgram)
    return payload[1] if len(payload) > 1 else None


# ---- ward messages as a stranger writes them (docs/protocol.md) ----

P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


def ward_msg(mtype, flags=0, key_index=0, seq=0, body=b"", cid=b""):
    """Common header (11 bytes, the CliID in the extension area), body."""
    ext = bytes([0x01, len(cid)]) + cid if cid else b""
    return struct.pack(">BBBBIHB", 1, mtype, flags, key_index, seq, len(body),
                       len(ext)) + ext + body


def tlv(tag, value):
    return bytes([tag, len(value)]) + value


def ward_kdf(label, ikm, context=b"", length=32):
    """HKDF-SHA256 with an empty salt, info "ward/1 " || label || 0x00 ||
    context (docs/protocol.md, "Crypto suite")."""
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    info = b"ward/1 " + label + b"\0" + context
    out, block = b"", b""
    for i in range(1, (length + 31) // 32 + 1):
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
    return out[:length]


def end_commit(token):
    """PIN_REQUEST's field 0x03: the commitment to the PAKE_END token."""
    return ward_kdf(b"dev end", token, length=16)


def random_point():
    """A random P-256 point, SEC1-compressed: what a guesser who does not
    know the PIN sends as shareP (the device takes any point)."""
    while True:
        x = random.randrange(P256_P)
        rhs = (x * x * x - 3 * x + P256_B) % P256_P
        if pow(rhs, (P256_P - 1) // 2, P256_P) == 1:
            return bytes([2 + random.randrange(2)]) + x.to_bytes(32, "big")


def sealed_junk(pt_len):
    """A nonce and a ciphertext field of the right shape, sealed by nobody."""
    return tlv(0x0E, os.urandom(13)) + tlv(0x0F, os.urandom(pt_len + 16))


def error_of(msg):
    """The ward_err code of an error answer, None for any other message."""
    if len(msg) < 11 or not msg[2] & 0x02:
        return None
    return msg[-1]


class CoapPeer:
    """A host on the LAN speaking CoAP to the device from its own UDP
    socket, as a stranger would: one confirmable POST /ward per ward
    message. post() answers (CoAP code, payload) or None."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.device = ("127.0.0.1", port)
        self.mid = random.randrange(65536)
        self.tokens = {}

    def post(self, msg, timeout=5.0):
        self.mid = (self.mid + 1) % 65536
        mid = self.mid.to_bytes(2, "big")
        token = os.urandom(2)
        # CON (ver 1, TKL 2), POST, Uri-Path "ward", payload.
        dgram = bytes([0x42, 0x02]) + mid + token + bytes([0xB4]) + b"ward" + b"\xff" + msg
        self.sock.sendto(dgram, self.device)
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(2048)
            except socket.timeout:
                return None
            if data[2:4] == mid and data[4:6] == token:
                return data[1], coap_split(data)[1]

    def pin_request(self, cid=b"EVIL"):
        # Its own binding it may end: it commits to a fresh token.
        self.tokens[cid] = os.urandom(16)
        return self.post(ward_msg(0x30, cid=cid, body=tlv(1, b"STRANGER") + tlv(2, b"evil") +
                                  tlv(3, end_commit(self.tokens[cid]))))

    def pake_init(self, cid=b"EVIL"):
        return self.post(ward_msg(0x31, cid=cid, body=random_point()))

    def pake_end(self, cid=b"EVIL"):
        return self.post(ward_msg(0x33, cid=cid, body=tlv(1, self.tokens[cid])))

    def close(self):
        self.sock.close()


class Relay:
    """A UDP man in the middle between an app and the device. The app
    talks to relay.port; every datagram goes on to the device unless a
    mode says otherwise. It records the app's datagrams and can send
    one of them again later (inject) with a fresh CoAP message id, as an
    attacker replaying or delaying a message would."""

    def __init__(self, device_port):
        self.device = ("127.0.0.1", device_port)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.app = None
        self.seen = []            # datagrams from the app, as received
        self.answers = []         # datagrams from the device, as sent on
        self.mode = None          # None, "drop-command", "tamper-command",
                                  # "tamper-finish", "hold-second-command",
                                  # "hold-finish", "drop-reply"
        self.held = []
        self.dropped_mid = None
        self.hold_mid = None      # hold-second-command: held until release()
        self.commands_seen = 0
        self.injected = {}        # message id -> response datagram
        self.mu = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            r, _, _ = select.select([self.front, self.back], [], [], 0.1)
            for s in r:
                data, addr = s.recvfrom(2048)
                if s is self.front:
                    self.from_app(data, addr)
                else:
                    mid = data[2:4]
                    with self.mu:
                        if mid in self.injected:
                            self.injected[mid] = data
                            continue
                    if self.mode == "drop-reply" and ward_type(data) == 0x36:
                        continue
                    if self.app:
                        with self.mu:
                            self.answers.append(data)
                        self.front.sendto(data, self.app)

    def from_app(self, data, addr):
        self.app = addr
        with self.mu:
            self.seen.append(data)
            mode = self.mode
            if self.hold_mid is not None and data[2:4] == self.hold_mid:
                self.held[-1] = data      # a retransmission: the newest waits
                return
            if ward_type(data) == 0x32 and mode == "hold-finish":
                self.held.append(data)
                self.hold_mid = data[2:4]
                self.mode = None
                return
            if ward_type(data) == 0x35 and mode == "hold-second-command":
                self.commands_seen += 1
                if self.commands_seen == 2:
                    self.held.append(data)
                    self.hold_mid = data[2:4]
                    self.mode = None
                    return
        if ward_type(data) == 0x35 and mode == "drop-command":
            with self.mu:
                self.held.append(data)
                self.dropped_mid = (addr, data[2:4])
                self.mode = None
            return
        if (addr, data[2:4]) == self.dropped_mid:
            # libcoap's retransmissions of it; only from that process's
            # socket: another process may draw the same message ids.
            return
        if ward_type(data) == 0x32 and mode == "tamper-finish":
            head, payload = coap_split(data)
            payload = payload[:-1] + bytes([payload[-1] ^ 0x01])
            data = head + payload
        if ward_type(data) == 0x35 and mode == "tamper-command":
            head, payload = coap_split(data)
            payload = payload[:-1] + bytes([payload[-1] ^ 0x01])
            data = head + payload
            with self.mu:
                self.mode = None
        self.back.sendto(data, self.device)

    def release(self):
        """Sends the held command on to the device (its retransmissions
        from now on go through too)."""
        with self.mu:
            data = self.held[-1]
            self.hold_mid = None
        self.back.sendto(data, self.device)

    def commands(self):
        with self.mu:
            return [d for d in self.seen if ward_type(d) == 0x35]

    def inject(self, dgram, wait=3.0, whole=False):
        """Sends dgram to the device with a fresh message id; answers
        the CoAP response code (e.g. 0x44 = 2.04, 0x80 = 4.00), or with
        whole the response datagram, or None."""
        mid = bytes([random.randrange(256), random.randrange(256)])
        with self.mu:
            self.injected[mid] = None
        self.back.sendto(dgram[:2] + mid + dgram[4:], self.device)
        deadline = time.time() + wait
        while time.time() < deadline:
            with self.mu:
                got = self.injected[mid]
            if got is not None:
                return got if whole else got[1]
            time.sleep(0.02)
        return None

    def close(self):
        self.running = False
        self.thread.join(2)
        self.front.close()
        self.back.close()


class DeviceProc:
    """`ward device run`, its output lines collected as they come."""

    def __init__(self, ward, ddir, port, server, extra=()):
        self.proc = subprocess.Popen(
            [ward, "device", "run", "--dir", ddir, "--listen", "127.0.0.1:%d" % port,
             "--server", server] + list(extra),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.errs = []
        self.cv = threading.Condition()
        threading.Thread(target=self.read, args=(self.proc.stdout, self.lines),
                         daemon=True).start()
        threading.Thread(target=self.read, args=(self.proc.stderr, self.errs),
                         daemon=True).start()
        self.wait_line(r"^device \S+: near coap://")

    def read(self, f, into):
        for line in f:
            with self.cv:
                into.append(line.rstrip("\n"))
                self.cv.notify_all()

    def wait_line(self, pattern, start=0, timeout=15):
        deadline = time.time() + timeout
        with self.cv:
            while True:
                for line in self.lines[start:]:
                    m = re.search(pattern, line)
                    if m:
                        return m
                left = deadline - time.time()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError("device never said %r:\n%s\n%s" % (
                        pattern, "\n".join(self.lines), "\n".join(self.errs)))
                self.cv.wait(left)

    def count(self, pattern):
        with self.cv:
            return sum(1 for line in self.lines if re.search(pattern, line))

    def last_pin(self):
        """The last PIN the device printed, None if none yet."""
        with self.cv:
            pins = [l[5:] for l in self.lines if l.startswith("PIN: ")]
        return pins[-1] if pins else None

    def window_pin(self):
        """The PIN of the pairing window opened last (its line may follow
        the window's own line a moment later)."""
        self.wait_line(r"^pairing window open")
        with self.cv:
            opened = [i for i, l in enumerate(self.lines) if l.startswith("pairing window open")]
        return self.wait_line(r"^PIN: (\d{6})$", start=opened[-1]).group(1)

    def button(self, sig=False):
        """The local action: a line on standard input (or SIGUSR1) opens a
        new pairing window; answers its PIN."""
        before = self.count(r"^pairing window open")
        if sig:
            self.proc.send_signal(signal.SIGUSR1)
        else:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
        deadline = time.time() + 15
        while self.count(r"^pairing window open") == before:
            if time.time() > deadline or self.proc.poll() is not None:
                raise AssertionError("no new pairing window:\n%s\n%s" % (
                    "\n".join(self.lines), "\n".join(self.errs)))
            time.sleep(0.02)
        return self.window_pin()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=20)
        self.proc.stdin.close()
        return rc


class DevicesE2E(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ward-dev-e2e-")
        self.root = self.tmp.name
        self.ward_ok("factory", "keygen", "--out", os.path.join(self.root, "fac"))
        shutil.copy(os.path.join(self.root, "fac", "factory.pub"),
                    os.path.join(self.root, "factory.pub"))
        self.wardd = Wardd(self.root, WARDD)
        self.wardd.start()
        self.ddir = os.path.join(self.root, "dev")
        self.ward_ok("device", "init", "--dir", self.ddir, "--id", DEV, "--server",
                     self.wardd.url, "--factory-key",
                     os.path.join(self.root, "fac", "factory.key"), "--name", "Hall lamp")
        self.port = free_udp_port()
        self.near = "127.0.0.1:%d" % self.port
        self.dev = DeviceProc(WARD, self.ddir, self.port, self.wardd.url)
        self.relays = []

    def tearDown(self):
        try:
            for r in self.relays:
                r.close()
            rc = self.dev.stop()
            self.assertEqual(rc, 0, "\n".join(self.dev.errs))
            self.assertRegex(self.dev.lines[-1], r"stopped after \d+ commands")
            self.wardd.stop()
            for bad in SANITIZER_MARKS:
                self.assertNotIn(bad, self.wardd.log())
                self.assertNotIn(bad, "\n".join(self.dev.errs))
        finally:
            self.tmp.cleanup()

    # -- helpers --

    def ward(self, *args, stdin=None, timeout=60):
        p = subprocess.run([WARD] + list(args), capture_output=True, text=True,
                           input=stdin, timeout=timeout)
        for bad in SANITIZER_MARKS:
            self.assertNotIn(bad, p.stderr)
        return p.returncode, p.stdout + p.stderr

    def ward_ok(self, *args, **kw):
        rc, out = self.ward(*args, **kw)
        self.assertEqual(rc, 0, "ward %s:\n%s" % (" ".join(args), out))
        return out

    def app(self, name, user=None):
        d = os.path.join(self.root, name)
        if user:
            app_register(lambda args, stdin: self.ward(*args, stdin=stdin), self.root, d,
                         self.wardd.url, user,
                         "+86138000000%02d" % (len(user) + ord(user[0]) % 50))
        return d

    def pair_start(self, adir, near=None, name="app", timeout=15):
        """Starts `ward app pair` reading its PIN from stdin; answers the
        process and the PIN the device showed for it (the device shows
        its window's PIN again when an app asks)."""
        before = self.dev.count(r"^PIN: ")
        p = subprocess.Popen([WARD, "app", "pair", "--dir", adir, "--device", DEV, "--near",
                              near or self.near, "--name", name],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + timeout
        while self.dev.count(r"^PIN: ") == before:
            self.assertLess(time.time(), deadline, "no PIN shown")
            self.assertIsNone(p.poll(), p.stdout.read() if p.poll() is not None else "")
            time.sleep(0.02)
        with self.dev.cv:
            pin = [line for line in self.dev.lines if line.startswith("PIN: ")][-1][5:]
        self.assertRegex(pin, r"^\d{6}$")
        return p, pin

    def pair_finish(self, p, pin):
        out, _ = p.communicate(pin + "\n", timeout=30)
        return p.returncode, out

    def pair(self, adir, name="app", timeout=15):
        p, pin = self.pair_start(adir, name=name, timeout=timeout)
        rc, out = self.pair_finish(p, pin)
        self.assertEqual(rc, 0, out)
        return out

    def send(self, adir, *cmd, via=None, near=None, extra=()):
        args = ["app", "send", "--dir", adir, "--device", DEV] + list(extra)
        if via:
            args += ["--via", via]
        if near:
            args += ["--near", near]
        return self.ward(*(args + list(cmd)))

    def record(self, adir):
        with open(os.path.join(adir, "devices", DEV + ".json")) as f:
            return json.load(f)

    # -- tests --

    def test_two_apps_pair_at_once_and_stay_apart(self):
        a1, a2 = self.app("a1", "alice"), self.app("a2", "bob")
        # Both bindings open at the same time, from one IP; answered in
        # the other order.
        p1, pin1 = self.pair_start(a1, name="app one")
        p2, pin2 = self.pair_start(a2, name="app two")
        # One pairing window, one PIN for both; each binding has its own
        # salt, so their keys differ all the same (checked below).
        self.assertEqual(pin1, pin2)
        self.assertEqual(pin1, self.dev.window_pin())
        rc2, out2 = self.pair_finish(p2, pin2)
        rc1, out1 = self.pair_finish(p1, pin1)
        self.assertEqual((rc1, rc2), (0, 0), out1 + out2)
        r1, r2 = self.record(a1), self.record(a2)
        self.assertNotEqual(r1["key_index"], r2["key_index"])
        self.assertNotEqual(r1["data_key"], r2["data_key"])
        self.assertNotEqual(r1["client_id"], r2["client_id"])
        self.assertEqual(r1["udidx"], r2["udidx"])        # one phone, two apps
        self.assertNotEqual(r1["cloud_id"], r2["cloud_id"])
        # Each drives its own channel, near and far.
        for adir, rec in ((a1, r1), (a2, r2)):
            for via in ("near", "far"):
                rc, out = self.send(adir, "whoami", via=via)
                self.assertEqual(rc, 0, out)
                self.assertIn("key_index=%d" % rec["key_index"], out)
        # Neither can drive the other's: its key index with its own key,
        # or its CliID, is refused.
        for field in ("key_index", "client_id"):
            forged = self.app("forged-" + field)
            os.makedirs(os.path.join(forged, "devices"))
            rec = dict(r2)
            rec[field] = r1[field]
            with open(os.path.join(forged, "devices", DEV + ".json"), "w") as f:
                json.dump(rec, f)
            rc, out = self.send(forged, "on", near=self.near, extra=("--timeout", "2000"))
            self.assertNotEqual(rc, 0, out)
            self.assertRegex(out, "refused|not found")
        self.assertEqual(self.dev.count(r"^command from .*: on "), 0)
        # Bob's app cannot use alice's cloud id through wardd.
        rec = dict(r2)
        rec["cloud_id"] = r1["cloud_id"]
        with open(os.path.join(a2, "devices", DEV + ".json"), "w") as f:
            json.dump(rec, f)
        rc, out = self.send(a2, "on", via="far")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("404", out)

    def test_pake_bytes_on_the_wire(self):
        """1.5 round trips: PAKE_INIT, its answer (with the key index and
        the device's sealed info), PAKE_FINISH; CoAP's answer to that is a
        bare 11-byte acknowledgement. At most 220 bytes in all."""
        relay = Relay(self.port)
        self.relays.append(relay)
        a1 = self.app("a1")
        p, pin = self.pair_start(a1, near="127.0.0.1:%d" % relay.port)
        rc, out = self.pair_finish(p, pin)
        self.assertEqual(rc, 0, out)
        with relay.mu:
            ups = [coap_split(d)[1] for d in relay.seen]
            downs = [coap_split(d)[1] for d in relay.answers]
        init = [m for m in ups if len(m) > 1 and m[1] == 0x31]
        fin = [m for m in ups if len(m) > 1 and m[1] == 0x32]
        init_ans = [m for m in downs if len(m) > 1 and m[1] == 0x31]
        acks = [m for m in downs if len(m) > 1 and m[1] == 0x32]
        self.assertEqual([len(init), len(fin), len(init_ans), len(acks)], [1, 1, 1, 1])
        init, fin, init_ans, ack = init[0], fin[0], init_ans[0], acks[0]
        self.assertIn(init[-33], (0x02, 0x03))            # compressed shareP
        self.assertEqual(len(fin), 11 + 32)               # confirmP, no CliID
        self.assertEqual(len(ack), 11)                    # empty
        self.assertIn(init_ans[11], (0x02, 0x03))         # compressed shareV
        self.assertNotIn(b"Hall lamp", init_ans)          # sealed
        total = len(init) + len(init_ans) + len(fin) + len(ack)
        self.assertLessEqual(total, 220, (len(init), len(init_ans), len(fin), len(ack)))
        self.assertEqual(self.record(a1)["name"], "Hall lamp")

    def test_tampered_finish_binds_nothing(self):
        relay = Relay(self.port)
        self.relays.append(relay)
        a1 = self.app("a1")
        relay.mode = "tamper-finish"
        p, pin = self.pair_start(a1, near="127.0.0.1:%d" % relay.port)
        rc, out = self.pair_finish(p, pin)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("refused", out)
        self.assertFalse(os.path.exists(os.path.join(a1, "devices", DEV + ".json")))
        self.assertEqual(self.dev.count(r"^bound: "), 0)
        # The genuine binding afterwards works.
        relay.mode = None
        self.pair(a1)

    def test_wrong_pin_refused(self):
        a1 = self.app("a1")
        p, pin = self.pair_start(a1)
        wrong = "%06d" % ((int(pin) + 1) % 1000000)
        rc, out = self.pair_finish(p, wrong)
        self.assertEqual(rc, 1, out)
        self.assertIn("refused", out)
        self.assertFalse(os.path.exists(os.path.join(a1, "devices", DEV + ".json")))
        # The right PIN still binds: one wrong PIN of the window's 5 is spent.
        self.pair(a1)

    def test_wrong_pin_frees_the_binding_slot(self):
        """After a wrong PIN the app still sends PAKE_END, with its CliID
        and its end token, so the device frees the slot at once: both
        slots then serve two other apps binding at the same time."""
        relay = Relay(self.port)
        self.relays.append(relay)
        a1 = self.app("a1")
        p, pin = self.pair_start(a1, near="127.0.0.1:%d" % relay.port)
        wrong = "%06d" % ((int(pin) + 1) % 1000000)
        rc, out = self.pair_finish(p, wrong)
        self.assertEqual(rc, 1, out)
        self.assertIn("refused", out)
        with open(os.path.join(a1, "client_id")) as f:
            cid = bytes.fromhex(f.read().strip())
        deadline = time.time() + 5
        while time.time() < deadline:
            with relay.mu:
                ends = [coap_split(d)[1] for d in relay.seen if ward_type(d) == 0x33]
                acks = [coap_split(d)[1] for d in relay.answers if ward_type(d) == 0x33]
            if ends and acks:
                break
            time.sleep(0.02)
        self.assertTrue(ends, "no PAKE_END after the wrong PIN")
        # The header (version, type, flags 0, key index 0, seq 0, body 18
        # bytes, the CliID in the extension), then 0x01 the 16-byte token
        # whose commitment the PIN_REQUEST carried (field 0x03).
        self.assertEqual(ends[0][:13 + len(cid)],
                         bytes([1, 0x33, 0, 0, 0, 0, 0, 0, 0, 18, 2 + len(cid),
                                0x01, len(cid)]) + cid)
        self.assertEqual(len(ends[0]), 13 + len(cid) + 18)
        self.assertEqual(ends[0][13 + len(cid):15 + len(cid)], bytes([0x01, 16]))
        with relay.mu:
            asked = [coap_split(d)[1] for d in relay.seen if ward_type(d) == 0x30]
        self.assertEqual(asked[-1][-18:-16], bytes([0x03, 16]))
        self.assertEqual(asked[-1][-16:], end_commit(ends[0][-16:]))
        self.assertTrue(acks and acks[0][2] == 0x01, acks)   # REPLY, not ERROR
        p2, pin2 = self.pair_start(self.app("a2"), name="app two")
        p3, pin3 = self.pair_start(self.app("a3"), name="app three")
        for proc, code in ((p2, pin2), (p3, pin3)):
            rc, out = self.pair_finish(proc, code)
            self.assertEqual(rc, 0, out)
        self.assertEqual(self.dev.count(r"^bound:"), 2)

    def test_pin_guessing_is_capped(self):
        """WARD_DEV_PIN_MAX_ATTEMPTS (5) wrong PINs close the pairing
        window; then not even the right PIN binds, until the next local
        action opens a new window."""
        a1 = self.app("a1")
        pin = self.dev.window_pin()
        wrong = "%06d" % ((int(pin) + 1) % 1000000)
        outs = []
        for _ in range(8):
            rc, out = self.ward("app", "pair", "--dir", a1, "--device", DEV, "--near",
                                self.near, "--pin", wrong)
            self.assertNotEqual(rc, 0, out)
            outs.append(out)
        closed = [i for i, o in enumerate(outs) if "not open for pairing" in o]
        self.assertEqual(closed, [5, 6, 7], "\n".join(outs))
        self.assertTrue(all("refused by the device" in o for o in outs[:5]), "\n".join(outs))
        self.dev.wait_line(r"^pairing window closed")
        # Closed: not even the right PIN gets through now.
        rc, out = self.ward("app", "pair", "--dir", a1, "--device", DEV, "--near", self.near,
                            stdin=pin + "\n")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("not open for pairing", out)
        self.assertEqual(self.dev.count(r"^bound:"), 0)
        # The button: a new window, and the right PIN binds at once.
        self.dev.button()
        self.pair(a1)
        self.assertEqual(self.dev.count(r"^bound:"), 1)

    def test_replayed_reordered_tampered_refused(self):
        a1 = self.app("a1")
        self.pair(a1)
        relay = Relay(self.port)
        self.relays.append(relay)
        via = "127.0.0.1:%d" % relay.port
        rc, out = self.send(a1, "toggle", near=via)
        self.assertEqual((rc, out.strip()), (0, "ok power=on"))
        toggle = relay.commands()[-1]
        # Replayed: the device refuses it and nothing toggles.
        self.assertEqual(relay.inject(toggle), 0x80)
        rc, out = self.send(a1, "status", near=via)
        self.assertEqual((rc, out.strip()), (0, "power=on"))
        # Tampered in transit: refused, the app is told.
        relay.mode = "tamper-command"
        rc, out = self.send(a1, "off", near=via, extra=("--timeout", "3000"))
        self.assertNotEqual(rc, 0, out)
        self.assertIn("refused", out)
        # Held back and delivered after more than the window (64) of newer
        # messages: refused.
        relay.mode = "drop-command"
        rc, out = self.send(a1, "off", near=via, extra=("--timeout", "1500"))
        self.assertNotEqual(rc, 0, out)
        held = relay.held[-1]
        rc, out = self.send(a1, "status", near=via, extra=("--repeat", "70"))
        self.assertEqual(rc, 0, out)
        self.assertEqual(relay.inject(held), 0x80)
        rc, out = self.send(a1, "status", near=via)
        self.assertEqual((rc, out.strip()), (0, "power=on"))
        # A held message whose counter the app has reused since (a new
        # process resumes above what the device saw) is a replay too.
        relay.mode = "drop-command"
        rc, out = self.send(a1, "off", near=via, extra=("--timeout", "1500"))
        self.assertNotEqual(rc, 0, out)
        held = relay.held[-1]
        rc, out = self.send(a1, "status", near=via)
        self.assertEqual((rc, out.strip()), (0, "power=on"))
        self.assertEqual(relay.inject(held), 0x80)
        self.assertEqual(self.dev.count(r"^command from .*: off "), 0)

    def test_issue14_lost_channel_not_idempotent_not_resent(self):
        """The device runs a toggle, its reply is lost, and it restarts
        (a power cut) before the app hears anything. The app re-opens
        its channel and learns the device lost it (LOST), which does not
        say whether the toggle ran: `ward app send` must not send it
        again. It reports the outcome unknown and fails; the lamp
        toggled once. Before, it sent the toggle again: it ran twice,
        once in each power-up. An idempotent command is still sent
        again after a restart."""
        a1 = self.app("a1")
        self.pair(a1)
        relay = Relay(self.port)
        self.relays.append(relay)
        via = "127.0.0.1:%d" % relay.port
        toggled = r"^command from .*: toggle -> "
        relay.mode = "drop-reply"
        p = subprocess.Popen([WARD, "app", "send", "--dir", a1, "--device", DEV, "--near", via,
                              "--timeout", "4000", "toggle"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.dev.wait_line(toggled)
        old = self.dev
        self.assertEqual(old.stop(), 0, "\n".join(old.errs))
        self.dev = DeviceProc(WARD, self.ddir, self.port, self.wardd.url)
        relay.mode = None
        out, _ = p.communicate(timeout=90)
        self.assertEqual(old.count(toggled) + self.dev.count(toggled), 1, out)
        self.assertNotEqual(p.returncode, 0, out)
        self.assertIn("outcome unknown", out)
        # "on" after the same kind of loss is sent again, and runs.
        relay.mode = "drop-reply"
        p = subprocess.Popen([WARD, "app", "send", "--dir", a1, "--device", DEV, "--near", via,
                              "--timeout", "4000", "on"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.dev.wait_line(r"^command from .*: on -> ")
        old = self.dev
        self.assertEqual(old.stop(), 0, "\n".join(old.errs))
        self.dev = DeviceProc(WARD, self.ddir, self.port, self.wardd.url)
        relay.mode = None
        out, _ = p.communicate(timeout=90)
        self.assertEqual(p.returncode, 0, out)
        self.assertEqual(out.strip().splitlines()[-1], "ok power=on", out)
        self.assertEqual(self.dev.count(r"^command from .*: on -> ok power=on"), 1)

    def test_near_far_near_in_one_session(self):
        a1 = self.app("a1", "alice")
        self.pair(a1)
        start = len(self.dev.lines)
        for via, cmd, want in (("near", "on", "ok power=on"), ("far", "toggle", "ok power=off"),
                               ("near", "status", "power=off"), ("far", "status", "power=off")):
            rc, out = self.send(a1, cmd, via=via)
            self.assertEqual((rc, out.strip()), (0, want), out)
        with self.dev.cv:
            cmds = [l for l in self.dev.lines[start:] if l.startswith("command from")]
        self.assertEqual([re.search(r"\((near|far)\)", l).group(1) for l in cmds],
                         ["near", "far", "near", "far"])
        # One channel throughout: it was opened once and resumed after.
        with self.dev.cv:
            opens = [l for l in self.dev.lines[start:] if l.startswith("channel 1 open")]
        self.assertEqual(len(opens), 4)

    def test_issue15_refused_command_exits_non_zero(self):
        """Issue 15, item 7: a command the device refuses (one it does not
        know) is a failure of `ward app send`, near and far; the device
        ran nothing, and a known command still succeeds. Numbers of the
        command line are read strictly (exit 2, nothing sent)."""
        a1 = self.app("a1", "alice")
        self.pair(a1)
        for via in ("near", "far"):
            rc, out = self.send(a1, "explode", via=via)
            self.assertEqual(rc, 1, out)
            self.assertIn("error: unknown command", out)
            self.assertIn("%s refused the command" % DEV, out)
        rc, out = self.send(a1, "status", via="near")
        self.assertEqual((rc, out.strip()), (0, "power=off"), out)
        start = self.dev.count(r"^command from")
        for extra in (("--repeat", "-5"), ("--repeat", "0"), ("--timeout", "abc"),
                      ("--timeout", "5s"), ("--channel", "x"), ("--channel", "4294967296")):
            rc, out = self.send(a1, "on", via="near", extra=extra)
            self.assertEqual(rc, 2, "%s: %s" % (extra, out))
            self.assertIn("--%s: a whole number from" % extra[0][2:], out)
        rc, out = self.ward("app", "pair", "--dir", a1, "--device", DEV, "--timeout", "-1")
        self.assertEqual(rc, 2, out)
        for near in ("127.0.0.1:-1", "127.0.0.1:65536", "127.0.0.1:5683x"):
            rc, out = self.send(a1, "on", near=near)
            self.assertEqual(rc, 2, out)
            self.assertIn("--near: HOST:PORT expected", out)
        self.assertEqual(self.dev.count(r"^command from"), start)

    def test_issue16_forged_cloud_id_refused(self):
        """Issue 16 (the app's wardd calls in the client library): a hostile
        wardd answers the attach with a "cloud id" that is a path
        ("../../v1/escrow?x=") or holds terminal control. The app takes
        none: the device is sent no ATTACH, the record keeps no cloud id,
        far-field is refused with a clear message, and the app still works
        with the device near-field; a genuine attach afterwards works."""
        proxy = HostileProxy(self.wardd.url)
        try:
            d = os.path.join(self.root, "mallory-app")
            app_register(lambda args, stdin: self.ward(*args, stdin=stdin), self.root, d,
                         proxy.url, "alice", "+8613800000077")
            forged = [b'{"cloud_id": "../../v1/escrow?x=", "device": "%s"}' % DEV.encode(),
                      b'{"cloud_id": "0011\u001b[2J2233445566778899aabbccddeeff"}']
            for body in forged:
                proxy.on_request = lambda m, path, b, body=body: (
                    (201, body) if path == "/v1/devices/attach" else None)
                before = self.dev.count(r"^attached: ")
                out = self.pair(d)
                self.assertIn("paired, but not reachable far-field: wardd gave no cloud id", out)
                self.assertNotIn("attached: far-field", out)
                self.assertEqual(self.record(d).get("cloud_id", ""), "")
                self.assertEqual(self.dev.count(r"^attached: "), before)
                rc, out = self.send(d, "status", via="far")
                self.assertEqual(rc, 1, out)
                self.assertIn("not reachable far-field", out)
                rc, out = self.send(d, "status", via="near")
                self.assertEqual((rc, out.strip()), (0, "power=off"), out)
            # wardd honest again: the same app attaches and goes far-field.
            proxy.on_request = None
            out = self.pair(d)
            self.assertIn("attached: far-field through wardd as ", out)
            self.assertRegex(self.record(d)["cloud_id"], r"^[0-9a-f]{32}$")
            rc, out = self.send(d, "status", via="far")
            self.assertEqual((rc, out.strip()), (0, "power=off"), out)
        finally:
            proxy.close()

    def store_bytes(self):
        with open(os.path.join(self.ddir, "store.bin"), "rb") as f:
            return f.read()

    def test_issue17_replayed_attach_refused(self):
        """Issue 17's debt: someone on the path captures the app's ATTACH
        while it pairs and sends it to the device again, at once and after
        the device restarted. Before, the device verified it under the data
        key alone, answered it, said "attached" again and rewrote its node
        record each time (so an older ATTACH would move the node back to a
        cloud id it had left, and every replay wore the flash). Now ATTACH
        rides in a channel: the replay gets no answer (CoAP 4.00), the
        device does not take it and writes nothing; the genuine app still
        drives the device near and through wardd."""
        relay = Relay(self.port)
        self.relays.append(relay)
        a1 = self.app("a1", "alice")
        p, pin = self.pair_start(a1, near="127.0.0.1:%d" % relay.port)
        rc, out = self.pair_finish(p, pin)
        self.assertEqual(rc, 0, out)
        self.assertIn("attached: far-field through wardd as ", out)
        with relay.mu:
            attaches = [d for d in relay.seen if ward_type(d) == 0x37]
        self.assertEqual(len(attaches), 1)
        captured = attaches[0]
        self.dev.wait_line(r"^attached: ")
        for restart in (False, True):
            if restart:
                self.assertEqual(self.dev.stop(), 0, "\n".join(self.dev.errs))
                self.dev = DeviceProc(WARD, self.ddir, self.port, self.wardd.url)
                self.dev.window_pin()     # its start's window is stored by now
            store = self.store_bytes()
            self.assertEqual(relay.inject(captured), 0x80, "restart=%s" % restart)
            self.assertEqual(self.dev.count(r"^attached: "), 0 if restart else 1)
            self.assertEqual(self.store_bytes(), store, "restart=%s" % restart)
            for via in ("near", "far"):
                rc, out = self.send(a1, "status", via=via)
                self.assertEqual((rc, out.strip()), (0, "power=off"), out)

    def test_issue17_owner_close_survives_restart(self):
        """Issue 17's debt: the owner closes the pairing window (SIGUSR2)
        and the device is killed at the worst point, the moment it says
        the window is closed; it restarts as after a power cut (no local
        action: --no-window). The window must stay closed: an app typing
        its PIN is refused. Killed sooner (right after the signal), the
        device either said nothing or the window is closed. The owner's
        next window (the button) works."""
        a1 = self.app("a1")
        closed = r"^pairing window closed by the owner$"
        for wait_for_answer in (True, False):
            pin = self.dev.window_pin() if wait_for_answer else self.dev.button()
            self.dev.proc.send_signal(signal.SIGUSR2)
            if wait_for_answer:
                self.dev.wait_line(closed)
            self.dev.proc.send_signal(signal.SIGKILL)
            self.dev.proc.wait(timeout=20)
            said = self.dev.count(closed) > 0
            self.dev.stop()
            self.dev = DeviceProc(WARD, self.ddir, self.port, self.wardd.url,
                                  extra=("--no-window",))
            self.dev.wait_line(r"^(no pairing window open|pairing window still open)")
            if not said:
                continue      # killed before it answered: either is right
            self.assertEqual(self.dev.count(r"^pairing window still open"), 0,
                             "\n".join(self.dev.lines))
            rc, out = self.ward("app", "pair", "--dir", a1, "--device", DEV, "--near",
                                self.near, "--name", "app", stdin=pin + "\n")
            self.assertNotEqual(rc, 0, out)
            self.assertIn("not open for pairing", out)
            self.assertFalse(os.path.exists(os.path.join(a1, "devices", DEV + ".json")))
        # The owner's next window: pairing works.
        self.dev.button(sig=True)
        self.pair(a1)
        rc, out = self.send(a1, "status", via="near")
        self.assertEqual((rc, out.strip()), (0, "power=off"), out)

    def test_hostile_relay_far_field(self):
        """wardd itself turns hostile: it re-queues a command the device
        already ran and forges another by flipping a byte. The device
        refuses both; nothing runs twice."""
        import sqlite3
        a1 = self.app("a1", "alice")
        self.pair(a1)
        db = sqlite3.connect(os.path.join(self.root, "wardd.db"))
        with db:
            db.execute("CREATE TABLE spy (cloud_id BLOB, device TEXT, way INTEGER, msg BLOB)")
            db.execute("CREATE TRIGGER spy_ins AFTER INSERT ON dev_msgs BEGIN "
                       "INSERT INTO spy VALUES (NEW.cloud_id, NEW.device, NEW.way, NEW.msg); END")
        rc, out = self.send(a1, "toggle", via="far")
        self.assertEqual((rc, out.strip()), (0, "ok power=on"), out)
        rows = db.execute("SELECT cloud_id, device, way, msg FROM spy").fetchall()
        # The command the app sent to the device: the first message of the
        # way the app's command travelled (the device's reply is the other).
        cloud_id, device, way, cmd = rows[-2] if len(rows) >= 2 else rows[-1]
        forged = bytearray(cmd)
        forged[len(forged) // 2] ^= 0x01
        now = int(time.time() * 1000)
        with db:
            db.execute("DROP TRIGGER spy_ins")
            for m in (bytes(cmd), bytes(forged)):
                db.execute("INSERT INTO dev_msgs (cloud_id, device, way, msg, created_ms, "
                           "expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
                           (cloud_id, device, way, m, now, now + 60000))
        db.close()
        errs_before = len(self.dev.errs)
        # A genuine command wakes the device, which takes the queue in order.
        rc, out = self.send(a1, "status", via="far")
        self.assertEqual((rc, out.strip()), (0, "power=on"), out)
        deadline = time.time() + 10
        while time.time() < deadline and sum("refused a far" in e for e in
                                             self.dev.errs[errs_before:]) < 2:
            time.sleep(0.05)
        self.assertEqual(sum("refused a far" in e for e in self.dev.errs[errs_before:]), 2,
                         "\n".join(self.dev.errs))
        self.assertEqual(self.dev.count(r"^command from .*: toggle "), 1)

    def test_hostile_relay_requeues_refusals(self):
        """wardd queues refusals ahead of the device's answers: an old one
        of this app's first command, one of another app, one under another
        key index, one of another type. None ends the exchange; the app
        skips them and takes the device's answer. A refusal that echoes
        the request in flight does end it."""
        import sqlite3
        a1 = self.app("a1", "alice")
        self.pair(a1)
        rc, out = self.send(a1, "toggle", via="far")
        self.assertEqual((rc, out.strip()), (0, "ok power=on"), out)
        rec = self.record(a1)
        ki = rec["key_index"]
        cid = bytes.fromhex(rec["client_id"])
        other = bytes(b ^ 0xFF for b in cid)
        db = sqlite3.connect(os.path.join(self.root, "wardd.db"))

        def requeue(mtype, blobs):
            """Each message of mtype the app posts (way 0) puts blobs (SQL
            expressions over NEW.msg, the request) in the app's queue (way
            1) ahead of the device's answer, as a hostile wardd would."""
            with db:
                db.execute("DROP TRIGGER IF EXISTS requeue")
                values = " ".join(
                    "INSERT INTO dev_msgs (cloud_id, device, way, msg, created_ms, expires_ms) "
                    "VALUES (NEW.cloud_id, NEW.device, 1, %s, NEW.created_ms, NEW.expires_ms);"
                    % b for b in blobs)
                db.execute("CREATE TRIGGER requeue AFTER INSERT ON dev_msgs WHEN NEW.way = 0 "
                           "AND substr(NEW.msg, 2, 1) = X'%02x' BEGIN %s END" % (mtype, values))

        def refusal(mtype=None, key_index=None, seq=None, client_id=None, code=10):
            """A refusal of the request in NEW.msg (header fields echoed,
            flags REPLY | ERROR, code NOTFOUND), with the given fields
            changed."""
            x = lambda b: "X'%s'" % b.hex()
            ext = bytes([0x01, len(client_id)]) + client_id if client_id is not None else None
            return " || ".join([
                "substr(NEW.msg, 1, 1)",
                x(bytes([mtype])) if mtype is not None else "substr(NEW.msg, 2, 1)",
                "X'03'",
                x(bytes([key_index])) if key_index is not None else "substr(NEW.msg, 4, 1)",
                x(seq.to_bytes(4, "big")) if seq is not None else "substr(NEW.msg, 5, 4)",
                "X'0003'",
                x(bytes([len(ext)]) + ext) if ext is not None
                else "substr(NEW.msg, 11, %d)" % (1 + 2 + len(cid)),
                x(bytes([1, 1, code]))])

        # CHANNEL_OPEN in flight: the toggle's old refusal, another app's.
        requeue(0x34, [refusal(mtype=0x35, seq=1), refusal(client_id=other)])
        rc, out = self.send(a1, "status", via="far")
        self.assertEqual((rc, out.strip()), (0, "power=on"), out)
        # A COMMAND in flight: the toggle's (seq 1), another app's, another
        # key index's, a CHANNEL_OPEN's, all echoing the rest.
        requeue(0x35, [refusal(seq=1), refusal(client_id=other),
                       refusal(key_index=(ki % 255) + 1), refusal(mtype=0x34)])
        for cmd, want in (("status", "power=on"), ("toggle", "ok power=off")):
            rc, out = self.send(a1, cmd, via="far")
            self.assertEqual((rc, out.strip()), (0, want), out)
        # The control: a refusal that echoes the command in flight (code
        # BUSY) ends the exchange.
        requeue(0x35, [refusal(code=7)])
        rc, out = self.send(a1, "status", via="far")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("busy", out)
        db.close()

    # -- issue 14, findings 9 and 10 --

    def test_finding9_stranger_cannot_lock_out_pairing(self):
        """A host on the LAN that never saw a PIN sends PIN_REQUEST and
        PAKE_INIT with random points until the device refuses it. It
        spends the pairing window it disturbs, no more: the genuine app,
        refused while that window lasts, pairs at once in the next one
        (the local action) and drives the device."""
        a1 = self.app("a1")
        peer = CoapPeer(self.port)
        self.addCleanup(peer.close)
        answered, refusals = 0, []
        for _ in range(8):
            got = peer.pin_request()
            self.assertIsNotNone(got)
            code, ans = got
            self.assertEqual(code, 0x44)                     # 2.04, answered
            if error_of(ans) is not None:
                refusals.append(error_of(ans))
                continue
            got = peer.pake_init()
            self.assertIsNotNone(got)
            self.assertEqual(got[1][1:3], bytes([0x31, 0x05]), got)  # REPLY | SEALED
            answered += 1
            # It gives up on that PIN (PAKE_END) to try the next: its own
            # PIN_REQUEST cannot replace a binding in its PAKE.
            self.assertIsNotNone(peer.pake_end())
        # At most 5 PINs tested per window (5 / 10^6 <= 10^-4), then the
        # device refuses: LOCKED (8), on the wire.
        self.assertEqual(answered, 5)
        self.assertEqual(refusals, [8, 8, 8])
        # While that window lasts the genuine app is refused too...
        rc, out = self.ward("app", "pair", "--dir", a1, "--device", DEV, "--near", self.near,
                            "--pin", self.dev.last_pin() or "000000")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("not open for pairing", out)
        # ...but no longer: the button opens a new window at once, and
        # the genuine app pairs with its PIN and drives the device.
        t0 = time.time()
        self.dev.button()
        self.pair(a1)
        self.assertLess(time.time() - t0, 10)
        rc, out = self.send(a1, "on")
        self.assertEqual((rc, out.strip()), (0, "ok power=on"), out)
        self.assertEqual(self.dev.count(r"^command from .*: on -> ok power=on"), 1)
        # SIGUSR1 is the button too.
        self.dev.button(sig=True)
        self.pair(self.app("a2"))
        self.assertEqual(self.dev.count(r"^bound:"), 2)

    def test_review_forged_pin_request_cannot_evict_a_pake(self):
        """A PIN_REQUEST from the app's own address and CliID (both travel
        in clear; here a relay on the path replays the app's) while the
        app is in its PAKE: the device refuses it (STATE, 2) and keeps
        the binding, so the app's PAKE_FINISH binds and the app drives
        the device. Replacing the binding would leave its PAKE_FINISH
        nothing to finish (NOTFOUND) with its attempt spent."""
        relay = Relay(self.port)
        self.relays.append(relay)
        a1 = self.app("a1")
        relay.mode = "hold-finish"
        p, pin = self.pair_start(a1, near="127.0.0.1:%d" % relay.port)
        p.stdin.write(pin + "\n")
        p.stdin.flush()
        deadline = time.time() + 15
        while True:
            with relay.mu:
                if relay.held:
                    break
            self.assertLess(time.time(), deadline, "no PAKE_FINISH from the app")
            self.assertIsNone(p.poll())
            time.sleep(0.02)
        with relay.mu:
            pin_request = [d for d in relay.seen if ward_type(d) == 0x30][-1]
        got = relay.inject(pin_request, whole=True)
        relay.release()
        out, _ = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, out)
        self.assertEqual(self.dev.count(r"^bound: "), 1)
        rc, out = self.send(a1, "on")
        self.assertEqual((rc, out.strip()), (0, "ok power=on"), out)
        self.assertIsNotNone(got)
        self.assertEqual(error_of(coap_split(got)[1]), 2, got)      # STATE

    def test_issue14_forged_pin_request_keeps_waiting_binding(self):
        """While the app waits for its person to type the PIN (its binding
        waits for PAKE_INIT), a relay on the path forges a PIN_REQUEST
        from the app's address and CliID with other fields: the device
        refuses it (STATE, 2) and keeps the binding. The app's own
        PIN_REQUEST replayed gets the same answer (same salt), and the app
        binds with the PIN and drives the device. Before, either replaced
        the binding with a fresh salt: the app's PAKE failed as a wrong
        PIN, its attempt spent."""
        relay = Relay(self.port)
        self.relays.append(relay)
        a1 = self.app("a1")
        self.dev.window_pin()
        p, pin = self.pair_start(a1, near="127.0.0.1:%d" % relay.port)
        deadline = time.time() + 15
        while True:
            with relay.mu:
                firsts = [d for d in relay.answers if ward_type(d) == 0x30]
                asked = [d for d in relay.seen if ward_type(d) == 0x30]
            if firsts and asked:
                first, genuine = firsts[-1], asked[-1]
                break
            self.assertLess(time.time(), deadline, "no PIN_REQUEST answer")
            time.sleep(0.02)
        head, payload = coap_split(genuine)
        cid = payload[13:13 + payload[12]] if payload[10] else b""
        forged = head + ward_msg(0x30, cid=cid,
                                 body=tlv(1, b"STRANGER") + tlv(2, b"evil"))
        refused = relay.inject(forged, whole=True)
        again = relay.inject(genuine, whole=True)
        rc, out = self.pair_finish(p, pin)
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.dev.count(r"^bound: "), 1)
        rc, out = self.send(a1, "on")
        self.assertEqual((rc, out.strip()), (0, "ok power=on"), out)
        self.assertIsNotNone(refused)
        self.assertEqual(error_of(coap_split(refused)[1]), 2, refused)   # STATE
        self.assertIsNotNone(again)
        self.assertEqual(coap_split(again)[1], coap_split(first)[1])     # same salt

    def test_issue14_forged_pake_end_cannot_end_binding(self):
        """A relay on the path forges PAKE_END from the app's address and
        CliID (both in clear), once while the app waits for its person to
        type the PIN, once in its PAKE (its PAKE_FINISH held back). The
        device refuses both (AUTH, 4): they lack the token whose
        commitment the app's PIN_REQUEST carried. The app binds and
        drives the device. Before, either ended the binding: the app's
        PAKE_INIT or PAKE_FINISH found none (NOTFOUND), the binding lost
        mid-PAKE with its attempt spent."""
        relay = Relay(self.port)
        self.relays.append(relay)
        a1 = self.app("a1")
        self.dev.window_pin()
        relay.mode = "hold-finish"
        p, pin = self.pair_start(a1, near="127.0.0.1:%d" % relay.port)
        deadline = time.time() + 15
        while True:
            with relay.mu:
                asked = [d for d in relay.seen if ward_type(d) == 0x30]
            if asked:
                break
            self.assertLess(time.time(), deadline, "no PIN_REQUEST")
            time.sleep(0.02)
        head, payload = coap_split(asked[-1])
        cid = payload[13:13 + payload[12]] if payload[10] else b""
        forged = [head + ward_msg(0x33, cid=cid),
                  head + ward_msg(0x33, cid=cid, body=tlv(1, os.urandom(16)))]
        refused = [relay.inject(f, whole=True) for f in forged]
        p.stdin.write(pin + "\n")
        p.stdin.flush()
        deadline = time.time() + 15
        while True:
            with relay.mu:
                if relay.held:
                    break
            self.assertLess(time.time(), deadline, "no PAKE_FINISH from the app")
            self.assertIsNone(p.poll())
            time.sleep(0.02)
        refused += [relay.inject(f, whole=True) for f in forged]
        relay.release()
        out, _ = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, out)
        self.assertEqual(self.dev.count(r"^bound: "), 1)
        rc, out = self.send(a1, "on")
        self.assertEqual((rc, out.strip()), (0, "ok power=on"), out)
        for got in refused:
            self.assertIsNotNone(got)
            self.assertEqual(error_of(coap_split(got)[1]), 4, got)       # AUTH

    def test_issue14_pin_request_takeovers_are_counted(self):
        """Strangers' PIN_REQUESTs (fresh CliIDs, nothing else) take over
        bindings waiting for PAKE_INIT when every slot is taken. Each
        takeover costs the window an attempt, so a flood knocks apps out
        at most 5 times per window, then is refused (LOCKED, 8), as 5
        wrong PINs would be; before, it took over for free, forever, and
        the window stayed open under it. The next window (the button)
        lets the genuine app bind."""
        a1 = self.app("a1")
        peer = CoapPeer(self.port)
        self.addCleanup(peer.close)
        codes = []
        for i in range(12):
            code, ans = peer.pin_request(cid=b"EVIL-%02d" % i)
            self.assertEqual(code, 0x44)
            codes.append(error_of(ans))
        # 2 free slots, then 5 takeovers, each counted; the rest LOCKED.
        self.assertEqual(codes, [None] * 7 + [8] * 5)
        self.dev.wait_line(r"^pairing window closed")
        self.dev.button()
        self.pair(a1)
        rc, out = self.send(a1, "on")
        self.assertEqual((rc, out.strip()), (0, "ok power=on"), out)

    def test_finding9_stranger_cannot_hold_binding_slots(self):
        """The stranger holds both binding slots: with PIN requests alone
        (they cost it nothing, and a newcomer takes the oldest over), then
        in their PAKE (each costs it an attempt, and ends within 10 s).
        The genuine app pairs at once, then after at most those 10 s."""
        a1, a2 = self.app("a1"), self.app("a2")
        peers = [CoapPeer(self.port), CoapPeer(self.port)]
        for peer in peers:
            self.addCleanup(peer.close)
            code, ans = peer.pin_request()
            self.assertEqual((code, ans[1:3]), (0x44, bytes([0x30, 0x01])))
        t0 = time.time()
        self.pair(a1)
        self.assertLess(time.time() - t0, 10)
        for peer in peers:
            code, ans = peer.pin_request()
            self.assertEqual((code, ans[1:3]), (0x44, bytes([0x30, 0x01])))
            code, ans = peer.pake_init()
            self.assertEqual((code, ans[1:3]), (0x44, bytes([0x31, 0x05])))
        # Both slots in a PAKE: a third binding is BUSY (7) for now...
        third = CoapPeer(self.port)
        self.addCleanup(third.close)
        self.assertEqual(error_of(third.pin_request(cid=b"THIRD")[1]), 7)
        # ...and the genuine app, asking again with back-off, gets in.
        t0 = time.time()
        p, pin = self.pair_start(a2, timeout=30)
        rc, out = self.pair_finish(p, pin)
        self.assertEqual(rc, 0, out)
        self.assertIn("busy", out)
        self.assertLess(time.time() - t0, 25)
        rc, out = self.send(a2, "whoami")
        self.assertEqual(rc, 0, out)
        self.assertIn("key_index=%d" % self.record(a2)["key_index"], out)

    def test_finding10_no_notfound_oracle(self):
        """Messages to a bound node from someone without its key: an
        unknown key index, an unknown CliID, an unknown channel, and a
        known node with a bad tag all get the same answer, none (near
        field: a bare 4.00; far field: nothing relayed back), so a
        stranger cannot tell which exist. The genuine app still works,
        and recovers a channel the device forgot in a restart."""
        a1 = self.app("a1", "alice")
        self.pair(a1)
        rc, out = self.send(a1, "status")                     # channel 1 is open
        self.assertEqual(rc, 0, out)
        rec = self.record(a1)
        ki, cid = rec["key_index"], bytes.fromhex(rec["client_id"])
        other_ki = ki % 255 + 1
        command = tlv(1, struct.pack(">I", 1)) + tlv(0x0F, os.urandom(2 + 16))
        probes = {
            "open, unknown key index": ward_msg(0x34, 0x04, other_ki, 0, sealed_junk(24), cid),
            "open, unknown CliID": ward_msg(0x34, 0x04, ki, 0, sealed_junk(24), b"NOBODY"),
            "open, bad tag": ward_msg(0x34, 0x04, ki, 0, sealed_junk(24), cid),
            "command, unknown key index": ward_msg(0x35, 0x04, other_ki, 1000, command, cid),
            "command, unknown CliID": ward_msg(0x35, 0x04, ki, 1000, command, b"NOBODY"),
            "command, unknown channel": ward_msg(
                0x35, 0x04, ki, 1000, tlv(1, struct.pack(">I", 77)) + command[6:], cid),
            "command, bad tag": ward_msg(0x35, 0x04, ki, 1000, command, cid),
            "attach, unknown key index": ward_msg(0x37, 0x04, other_ki, 0, sealed_junk(9), cid),
            "attach, bad tag": ward_msg(0x37, 0x04, ki, 0, sealed_junk(9), cid),
        }
        peer = CoapPeer(self.port)
        self.addCleanup(peer.close)
        answers = {name: peer.post(msg) for name, msg in probes.items()}
        for name, got in answers.items():
            self.assertEqual(got, (0x80, b""), name)          # 4.00, no payload

        # Far field: the same messages queued for the device under the
        # app's cloud id (as a hostile wardd could); the device relays
        # nothing back for any of them.
        db = sqlite3.connect(os.path.join(self.root, "wardd.db"))
        self.addCleanup(db.close)
        cloud_id, = db.execute("SELECT cloud_id FROM dev_attach").fetchone()
        with db:
            db.execute("CREATE TABLE spy (msg BLOB)")
            db.execute("CREATE TRIGGER spy_ins AFTER INSERT ON dev_msgs WHEN NEW.way = 1 "
                       "BEGIN INSERT INTO spy VALUES (NEW.msg); END")
        errs_before = len(self.dev.errs)
        now = int(time.time() * 1000)
        with db:
            for msg in probes.values():
                db.execute("INSERT INTO dev_msgs (cloud_id, device, way, msg, created_ms, "
                           "expires_ms) VALUES (?, ?, 0, ?, ?, ?)",
                           (cloud_id, DEV, msg, now, now + 60000))
        deadline = time.time() + 20
        while time.time() < deadline and sum(
                "refused a far" in e for e in self.dev.errs[errs_before:]) < len(probes):
            time.sleep(0.05)
        self.assertEqual(sum("refused a far" in e for e in self.dev.errs[errs_before:]),
                         len(probes), "\n".join(self.dev.errs))
        self.assertEqual(db.execute("SELECT COUNT(*) FROM spy").fetchone()[0], 0)
        rc, out = self.send(a1, "status", via="far")
        self.assertEqual((rc, out.strip()), (0, "power=off"), out)
        self.assertTrue(all(error_of(m) is None for m, in db.execute("SELECT msg FROM spy")))

        # The device restarts between two commands of one `ward app
        # send`: the second gets no answer (a channel it does not know),
        # and the app opens the channel again and sends it again (it is
        # idempotent: a toggle would not be, see
        # test_issue14_lost_channel_not_idempotent_not_resent).
        relay = Relay(self.port)
        self.relays.append(relay)
        via = "127.0.0.1:%d" % relay.port
        relay.mode = "hold-second-command"
        proc = subprocess.Popen([WARD, "app", "send", "--dir", a1, "--device", DEV, "--near",
                                 via, "--repeat", "2", "--timeout", "30000", "on"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 15
        while time.time() < deadline and len(relay.held) == 0:
            time.sleep(0.02)
        self.assertEqual(len(relay.held), 1)
        self.dev.stop()
        self.dev = DeviceProc(WARD, self.ddir, self.port, self.wardd.url)
        relay.release()
        out, _ = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, out)
        self.assertIn("lost the channel", out)
        # The restarted lamp starts off: the command ran once, there.
        self.assertEqual(out.strip().splitlines()[-1], "ok power=on")
        self.assertEqual(self.dev.count(r"^command from .*: on -> "), 1)

    def test_real_coap_peer(self):
        client = shutil.which("coap-client") or shutil.which("coap-client-notls") or \
            shutil.which("coap-client-openssl")
        if client is None:
            self.skipTest("libcoap3-bin is not installed")
        p = subprocess.run([client, "-m", "get", "coap://%s/ward/info" % self.near],
                           capture_output=True, text=True, timeout=30)
        info = json.loads(p.stdout.strip().splitlines()[-1])
        self.assertEqual(info, {"id": DEV, "name": "Hall lamp", "type": "lamp"})
        p = subprocess.run([client, "-m", "get", "coap://%s/.well-known/core" % self.near],
                           capture_output=True, text=True, timeout=30)
        self.assertIn("</ward>", p.stdout)
        self.assertIn("</ward/info>", p.stdout)
        # Junk posted by a foreign peer gets a 4.00 and changes nothing.
        p = subprocess.run([client, "-m", "post", "-e", "hello", "coap://%s/ward" % self.near],
                           capture_output=True, text=True, timeout=30)
        self.assertIn("4.00", p.stdout + p.stderr)

    def test_discover_intersects_lan_and_cloud(self):
        a1 = self.app("a1", "alice")
        rc, out = self.ward("app", "discover", "--dir", a1, "--scan",
                            "%s-%d" % (self.near, self.port + 2))
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"lan +%s near=%s" % (DEV, re.escape(self.near)))
        self.assertIn("0 device(s) both", out)
        self.pair(a1)
        rc, out = self.ward("app", "discover", "--dir", a1, "--scan",
                            "%s-%d" % (self.near, self.port + 2))
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"both %s near=%s .*cloud=[0-9a-f]{32}" % (DEV, re.escape(self.near)))
        self.assertIn("1 device(s) both", out)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    if len(args) < 2:
        sys.exit("usage: test_devices_e2e.py [-v] WARD WARDD")
    WARD, WARDD = os.path.abspath(args[0]), os.path.abspath(args[1])
    unittest.main(argv=[sys.argv[0]] + flags + args[2:])
