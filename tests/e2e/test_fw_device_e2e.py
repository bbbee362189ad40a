#!/usr/bin/env python3
"""End to end: signed firmware update on the device side (issue 18, item 3
and item 6 for the update), with the real `ward fw keygen|sign|serve` and
`ward lock|device|gateway init|update|boot` over the byte-stream transport
(a Unix socket standing in for a UART).

usage: test_fw_device_e2e.py [-v] WARD

Every test asserts effects: the boot state the device keeps in
D/fw/state.bin (read here from the bytes docs/protocol.md specifies: the
record store's banks, record 0x0A00), the bytes of its slots, and the
version `boot` runs. Each refusal leaves the running version, the
confirmed counter and the other slot as they were, and the genuine release
still installs afterwards. Standard library only.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zlib

WARD = None
STORE_SIZE = 4096
TRIAL = {0: "idle", 1: "pending", 2: "trying"}


def read_store(path):
    """The records of a ward record store file (docs/protocol.md "Record
    store layout"): the valid bank with the higher sequence number."""
    with open(path, "rb") as f:
        data = f.read()
    best = None
    half = len(data) // 2
    for b in (0, 1):
        bank = data[b * half:(b + 1) * half]
        magic, seq, used, rcrc, hcrc = struct.unpack(">4sIIII", bank[:20])
        if magic != b"WRD1" or seq == 0 or used > half - 20:
            continue
        if zlib.crc32(bank[:16]) != hcrc or zlib.crc32(bank[20:20 + used]) != rcrc:
            continue
        if best is None or seq > best[0]:
            best = (seq, bank[20:20 + used])
    recs = {}
    if best is not None:
        body = best[1]
        i = 0
        while i < len(body):
            key, n = struct.unpack(">HH", body[i:i + 4])
            recs[key] = body[i + 4:i + 4 + n]
            i += 4 + n
    return recs


def boot_state(d):
    """Record 0x0A00: running slot, trial state, confirmed counter, and per
    slot (counter, size, digest, version)."""
    v = read_store(os.path.join(d, "fw", "state.bin"))[0x0A00]
    assert len(v) == 7 + 2 * 73 and v[0] == 1, v
    running, trial, confirmed = v[1], v[2], struct.unpack(">I", v[3:7])[0]
    slots = []
    for s in (0, 1):
        p = v[7 + 73 * s:7 + 73 * (s + 1)]
        counter, size = struct.unpack(">II", p[:8])
        slots.append({"counter": counter, "size": size, "digest": p[8:40],
                      "version": p[41:41 + p[40]].decode()})
    return {"running": running, "trial": TRIAL[trial], "confirmed": confirmed,
            "slots": slots, "version": slots[running]["version"]}


class HostileLink:
    """A release server written from docs/protocol.md's framing ("Over a
    byte stream"), that answers every MANIFEST request with its manifest
    whatever class was asked (a server that `ward fw serve` is not)."""

    def __init__(self, path, manifest, image):
        self.manifest, self.image = manifest, image
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.path = path
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    @staticmethod
    def recv_exact(c, n):
        b = b""
        while len(b) < n:
            got = c.recv(n - len(b))
            if not got:
                raise EOFError
            b += got
        return b

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                try:
                    while True:
                        t, n = struct.unpack(">BH", self.recv_exact(c, 3))
                        body = self.recv_exact(c, n)
                        if t == 0x01:
                            out = self.manifest
                            c.sendall(struct.pack(">BH", 0x81, len(out)) + out)
                        elif t == 0x02:
                            _, off, want = struct.unpack(">IIH", body)
                            out = self.image[off:off + want]
                            c.sendall(struct.pack(">BH", 0x82, len(out)) + out)
                        else:
                            c.sendall(bytes([0xE0, 0, 1, 3]))
                except (EOFError, OSError):
                    pass

    def close(self):
        self.sock.close()


class FwDevice(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ward-fw-")
        self.root = self.tmp.name
        self.servers = []
        self.keys = self.path("keys")
        self.ward_ok("fw", "keygen", "--out", self.keys)

    def tearDown(self):
        for p in self.servers:
            self.stop(p)
        self.tmp.cleanup()

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def ward(self, *args):
        p = subprocess.run([WARD] + list(args), capture_output=True, text=True, timeout=60)
        for stream in (p.stdout, p.stderr):
            self.assertNotIn("Sanitizer", stream)
        return p

    def ward_ok(self, *args):
        p = self.ward(*args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    # -- releases and the server that serves one --

    def image(self, name, size, seed):
        data = bytes((i * 131 + seed * 7 + (i >> 8)) & 0xFF for i in range(size))
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def sign(self, name, img, version, counter, cls="lock-k1", key=None, minc=None):
        out = self.path(name)
        args = ["fw", "sign", "--key", key or os.path.join(self.keys, "release.key"),
                "--image", img, "--class", cls, "--version", version,
                "--counter", str(counter), "--out", out]
        if minc is not None:
            args += ["--min-counter", str(minc)]
        self.ward_ok(*args)
        return out

    def serve(self, manifest, img):
        """`ward fw serve` on a fresh socket; returns the socket's path."""
        sock = self.path("link-%d.sock" % len(self.servers))
        p = subprocess.Popen([WARD, "fw", "serve", "--link", sock, "--manifest", manifest,
                              "--image", img], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.servers.append(p)
        for _ in range(200):
            if os.path.exists(sock):
                return sock
            if p.poll() is not None:
                self.fail("ward fw serve exited: " + p.stderr.read())
            time.sleep(0.02)
        self.fail("ward fw serve did not listen")

    def stop(self, p):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        err = p.stderr.read()
        p.stdout.close()
        p.stderr.close()
        self.assertNotIn("Sanitizer", err)

    # -- the device --

    def lock(self, name="L", cls="lock-k1", pub=None):
        d = self.path(name)
        self.ward_ok("lock", "init", "--dir", d, "--sn", name, "--server",
                     "http://127.0.0.1:9", "--no-activate", "--fw-class", cls,
                     "--release-pub", pub or os.path.join(self.keys, "release.pub"))
        return d

    def boot(self, d, *extra):
        out = self.ward_ok("lock", "boot", "--dir", d, *extra)
        lines = [l for l in out.splitlines() if l.startswith("running version ")]
        self.assertEqual(len(lines), 1, out)
        return lines[0][len("running version "):]

    def update(self, d, sock, role="lock"):
        return self.ward(role, "update", "--dir", d, "--link", sock)

    def slot(self, d, n):
        with open(os.path.join(d, "fw", "slot%d.bin" % n), "rb") as f:
            return f.read()

    def install(self, d, manifest, img):
        """The genuine path: update, boot on trial, confirm."""
        sock = self.serve(manifest, img)
        p = self.update(d, sock)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(boot_state(d)["trial"], "pending")
        version = self.boot(d)
        st = boot_state(d)
        self.assertEqual(st["trial"], "idle")
        self.assertEqual(st["version"], version)
        return st

    def assert_refused(self, d, manifest, img, why, hostile=False, downloaded=False):
        """The update is refused (exit 1, one line naming why) and changes
        nothing: state record, what boots, and (refused before anything
        is written: all but a downloaded image) the other slot."""
        before = boot_state(d)
        other = self.slot(d, 1 - before["running"])
        if hostile:
            sock = self.path("hostile-%d.sock" % len(self.servers))
            with open(manifest, "rb") as f, open(img, "rb") as g:
                h = HostileLink(sock, f.read(), g.read())
            self.addCleanup(h.close)
        else:
            sock = self.serve(manifest, img)
        p = self.update(d, sock)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(why, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        after = boot_state(d)
        self.assertEqual(after, before)
        if not downloaded:
            self.assertEqual(self.slot(d, 1 - before["running"]), other)
        self.assertEqual(self.boot(d), before["version"])
        self.assertEqual(boot_state(d), before)

    # -- the tests --

    def test_update_boots_on_trial_then_confirms(self):
        d = self.lock()
        st = boot_state(d)
        self.assertEqual((st["version"], st["confirmed"], st["running"]), ("factory", 0, 0))
        img = self.image("v1.bin", 70000, 1)
        m = self.sign("v1.m", img, "1.0", 1)
        sock = self.serve(m, img)
        p = self.update(d, sock)
        self.assertEqual(p.returncode, 0, p.stderr)
        st = boot_state(d)
        # Downloaded and verified, pending: nothing runs it yet, the
        # counter has not moved, the image is in the other slot.
        self.assertEqual((st["trial"], st["confirmed"], st["running"]), ("pending", 0, 0))
        with open(img, "rb") as f:
            self.assertEqual(self.slot(d, 1)[:70000], f.read())
        # Asked again before booting: it is there already, nothing changes.
        p = self.update(d, sock)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(boot_state(d), st)
        # Boot: on trial, then it confirms itself; only now the counter.
        self.assertEqual(self.boot(d), "1.0")
        st = boot_state(d)
        self.assertEqual((st["trial"], st["confirmed"], st["running"]), ("idle", 1, 1))
        self.assertEqual(self.boot(d), "1.0")
        # Asking again: nothing to do, nothing changes.
        p = self.update(d, sock)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(boot_state(d), st)

    def test_unconfirmed_trial_reverts(self):
        d = self.lock()
        img = self.image("v1.bin", 30000, 2)
        m = self.sign("v1.m", img, "1.0", 1)
        self.assertEqual(self.update(d, self.serve(m, img)).returncode, 0)
        # The new image runs on trial and dies before confirming.
        self.assertEqual(self.boot(d, "--no-confirm"), "1.0")
        st = boot_state(d)
        self.assertEqual((st["trial"], st["confirmed"], st["running"]), ("trying", 0, 0))
        # The next boot goes back to the factory image; the counter never moved.
        self.assertEqual(self.boot(d), "factory")
        st = boot_state(d)
        self.assertEqual((st["trial"], st["confirmed"], st["running"]), ("idle", 0, 0))
        # The same release may be tried again, and this time it confirms.
        st = self.install(d, m, img)
        self.assertEqual((st["version"], st["confirmed"]), ("1.0", 1))

    def test_refusals(self):
        d = self.lock()
        v1 = self.image("v1.bin", 20000, 3)
        v2 = self.image("v2.bin", 25000, 4)
        m1 = self.sign("v1.m", v1, "1.0", 1)
        m2 = self.sign("v2.m", v2, "2.0", 2)
        # A manifest signed by another release key.
        other = self.path("other")
        self.ward_ok("fw", "keygen", "--out", other)
        mo = self.sign("vo.m", v1, "1.0", 1, key=os.path.join(other, "release.key"))
        self.assert_refused(d, mo, v1, "signed by another key")
        # Another device class (an honest server would not offer it).
        mc = self.sign("vc.m", v1, "1.0", 1, cls="lock-k2")
        self.assert_refused(d, mc, v1, "for class lock-k2", hostile=True)
        # A release that needs a newer one installed first.
        mm = self.sign("vm.m", v2, "2.0", 2, minc=1)
        self.assert_refused(d, mm, v2, "needs counter 1")
        # An altered image: refused after the download, by its digest.
        bad = self.path("v1-bad.bin")
        shutil.copy(v1, bad)
        with open(bad, "r+b") as f:
            f.seek(12345)
            b = f.read(1)
            f.seek(12345)
            f.write(bytes([b[0] ^ 0x40]))
        self.assert_refused(d, m1, bad, "altered", downloaded=True)
        # The genuine releases install, 1 then 2.
        self.assertEqual(self.install(d, m1, v1)["confirmed"], 1)
        self.assertEqual(self.install(d, m2, v2)["confirmed"], 2)
        # Downgrade: release 1.0 again (its genuine, old manifest replayed).
        self.assert_refused(d, m1, v1, "not above the confirmed counter 2")
        # The old manifest with its counter raised to pass: the signature.
        raised = self.path("v1-raised.m")
        with open(m1, "rb") as f:
            data = bytearray(f.read())
        pos = 2 + data[1] + 1 + data[2 + data[1]]   # the counter's 4 bytes
        data[pos + 3] = 9
        with open(raised, "wb") as f:
            f.write(bytes(data))
        self.assert_refused(d, raised, v1, "does not verify")
        self.assertEqual(self.boot(d), "2.0")

    def test_truncated_image_refused_then_resumed(self):
        d = self.lock()
        img = self.image("v1.bin", 50000, 5)
        m = self.sign("v1.m", img, "1.0", 1)
        cut = self.path("v1-cut.bin")
        with open(img, "rb") as f, open(cut, "wb") as g:
            g.write(f.read(30000))
        before = boot_state(d)
        p = self.update(d, self.serve(m, cut))
        self.assertEqual(p.returncode, 1)
        self.assertIn("truncated", p.stderr)
        self.assertEqual(boot_state(d), before)
        self.assertEqual(self.boot(d), "factory")
        # The whole image later: the download resumes from its checkpoint.
        p = self.update(d, self.serve(m, img))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("resuming the download at byte 28672", p.stdout)
        self.assertEqual(self.boot(d), "1.0")
        self.assertEqual(boot_state(d)["confirmed"], 1)

    def test_device_and_gateway_roles(self):
        img = self.image("g.bin", 10000, 6)
        dv = self.path("D")
        self.ward_ok("device", "init", "--dir", dv, "--id", "dev-1", "--server",
                     "http://127.0.0.1:9", "--no-activate", "--fw-class", "lamp-1",
                     "--release-pub", os.path.join(self.keys, "release.pub"))
        gw = self.path("G")
        self.ward_ok("gateway", "init", "--dir", gw, "--mac", "02:11:22:a3:b4:c5", "--server",
                     "http://127.0.0.1:9", "--no-activate", "--fw-class", "hub-1",
                     "--release-pub", os.path.join(self.keys, "release.pub"))
        for role, d, cls in (("device", dv, "lamp-1"), ("gateway", gw, "hub-1")):
            m = self.sign(cls + ".m", img, "3.1", 3, cls=cls)
            p = self.update(d, self.serve(m, img), role)
            self.assertEqual(p.returncode, 0, p.stderr)
            out = self.ward_ok(role, "boot", "--dir", d)
            self.assertIn("running version 3.1\n", out)
            st = boot_state(d)
            self.assertEqual((st["version"], st["confirmed"]), ("3.1", 3))

    def test_release_key_in_pkcs11_token(self):
        module = next((m for m in ("/usr/lib/softhsm/libsofthsm2.so",
                                   "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                                   "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")
                       if os.path.exists(m)), None)
        if module is None or shutil.which("softhsm2-util") is None:
            self.skipTest("SKIP: softhsm2 is not installed")
        tokens = self.path("tokens")
        os.mkdir(tokens)
        conf = self.path("softhsm2.conf")
        with open(conf, "w") as f:
            f.write("directories.tokendir = %s\nobjectstore.backend = file\n" % tokens)
        old = os.environ.get("SOFTHSM2_CONF")
        os.environ["SOFTHSM2_CONF"] = conf
        try:
            subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "fw",
                            "--pin", "1234", "--so-pin", "5678"], check=True,
                           capture_output=True)
            uri = "pkcs11:token=fw;object=vendor?module-path=%s&pin-value=1234" % module
            hsm = self.path("hsm")
            self.ward_ok("fw", "keygen", "--out", hsm, "--keystore", uri)
            self.assertEqual(sorted(os.listdir(hsm)), ["release.pub"])
            d = self.lock(pub=os.path.join(hsm, "release.pub"))
            img = self.image("v1.bin", 8000, 7)
            m = self.sign("v1.m", img, "1.0", 1, key=uri)
            self.assertEqual(self.install(d, m, img)["confirmed"], 1)
            # The software key of another vendor is not this one.
            m2 = self.sign("v2.m", img, "2.0", 2)
            self.assert_refused(d, m2, img, "signed by another key")
        finally:
            if old is None:
                os.environ.pop("SOFTHSM2_CONF", None)
            else:
                os.environ["SOFTHSM2_CONF"] = old


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    if not args:
        sys.exit(__doc__)
    WARD = os.path.abspath(args[0])
    unittest.main(argv=[sys.argv[0]] + [a for a in sys.argv[1:] if a.startswith("-")] +
                  args[1:])
