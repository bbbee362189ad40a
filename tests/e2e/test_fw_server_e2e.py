#!/usr/bin/env python3
"""End to end: wardd stores and serves signed firmware releases (issue 18,
item 3, server side), with the real `wardd` and `ward fw publish` /
`ward fw fetch`.

usage: test_fw_server_e2e.py [-v] WARD WARDD

The release keys and manifests are made here with the openssl tool and
Python from docs/protocol.md's table of the manifest alone (ECDSA DER
turned into r || s): a second implementation of the format, which wardd
(parsing and verifying with the core) must accept byte for byte.

Each refusal is asserted by its effect - what wardd then serves for the
class, and that the refused image is not kept - and the genuine release
is published and fetched after it. Standard library only.
"""
import hashlib
import http.client
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wardlib  # noqa: E402
from wardlib import WardCli  # noqa: E402

SIGN_PREFIX = b"ward/1 sign fw manifest\x00"


def der_int(b, i):
    if b[i] != 0x02:
        raise ValueError("not an INTEGER")
    n = b[i + 1]
    v = b[i + 2:i + 2 + n]
    return int.from_bytes(v, "big"), i + 2 + n


def der_sig_to_raw(der):
    """ECDSA-Sig-Value (SEQUENCE of r, s) -> r || s, 32 bytes each."""
    if der[0] != 0x30:
        raise ValueError("not a SEQUENCE")
    i = 2 if der[1] < 0x80 else 3
    r, i = der_int(der, i)
    s, _ = der_int(der, i)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class ReleaseKey:
    """A P-256 release key made by the openssl tool in directory d."""

    def __init__(self, d):
        os.makedirs(d, exist_ok=True)
        self.d = d
        self.pem = os.path.join(d, "release.pem")
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                        "-out", self.pem], check=True, capture_output=True)
        der = subprocess.run(["openssl", "ec", "-in", self.pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.point = der[-65:]
        if self.point[0] != 0x04:
            raise AssertionError("no uncompressed point at the end of the SPKI")
        self.pub_path = os.path.join(d, "release.pub")
        with open(self.pub_path, "w") as f:
            f.write(self.point.hex() + "\n")
        compressed = bytes([2 + (self.point[64] & 1)]) + self.point[1:33]
        self.key_id = hashlib.sha256(compressed).digest()[:8]

    def sign(self, msg):
        path = os.path.join(self.d, "msg.bin")
        with open(path, "wb") as f:
            f.write(SIGN_PREFIX + msg)
        der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.pem, path],
                             check=True, capture_output=True).stdout
        return der_sig_to_raw(der)

    def manifest(self, cls, version, counter, image, min_counter=0, size=None, digest=None):
        """docs/protocol.md, "Release key and manifest": the signed bytes."""
        body = bytes([1, len(cls)]) + cls.encode() + bytes([len(version)]) + version.encode()
        body += counter.to_bytes(4, "big") + min_counter.to_bytes(4, "big")
        body += (len(image) if size is None else size).to_bytes(4, "big")
        body += digest if digest is not None else hashlib.sha256(image).digest()
        body += self.key_id
        return body + self.sign(body)


def request(url, method, target, body=None, headers=None):
    """(status, headers dict lower-cased, body bytes)."""
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        c.request(method, target, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def publish_raw(url, manifest, image, length=None):
    import base64
    headers = {"Ward-Manifest": base64.b64encode(manifest).decode(),
               "Content-Type": "application/octet-stream"}
    if length is not None:
        headers["Content-Length"] = str(length)
    return request(url, "POST", "/v1/fw", body=image, headers=headers)


class DroppingProxy:
    """A hop in front of wardd that cuts the first `drops` image answers
    after half their body, and keeps every Range it was asked for."""

    def __init__(self, upstream, drops):
        proxy = self
        self.ranges = []
        self.drops = drops
        self.lock = threading.Lock()
        up = urllib.parse.urlparse(upstream)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                rng = self.headers.get("Range")
                with proxy.lock:
                    proxy.ranges.append(rng)
                    cut = "/image" in self.path and proxy.drops > 0
                    if cut:
                        proxy.drops -= 1
                hdrs = {"Range": rng} if rng else {}
                status, h, body = request("http://%s:%d" % (up.hostname, up.port), "GET",
                                          self.path, headers=hdrs)
                self.send_response(status)
                for k in ("content-type", "content-range", "etag", "retry-after"):
                    if k in h:
                        self.send_header(k, h[k])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if cut:
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FwServer(WardCli, unittest.TestCase):
    def setUp(self):
        self.make_root("ward-fwsrv-")
        self.addCleanup(self.clean_up)
        self.key = ReleaseKey(self.path("release"))
        self.other = ReleaseKey(self.path("other"))
        self.image = os.urandom(3000)

    def start(self, *extra):
        return self.start_wardd(["--release-pub", self.key.pub_path, "--fw-max-bytes", "65536"]
                                + list(extra))

    def write(self, name, data):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def newest(self, cls="lock-m1"):
        """The counter wardd serves for cls (None: nothing)."""
        status, _, body = request(self.url, "GET", "/v1/fw/" + cls)
        if status == 404:
            return None
        self.assertEqual(status, 200, body)
        return json.loads(body)["counter"]

    def kept_images(self):
        return sorted(os.listdir(self.path("wardd.db.fw")))

    def publish_genuine(self, counter, image=None, cls="lock-m1"):
        image = self.image if image is None else image
        m = self.key.manifest(cls, "1.%d" % counter, counter, image)
        out = self.ward_ok("fw", "publish", "--server", self.url, "--manifest",
                           self.write("m%d" % counter, m), "--image",
                           self.write("img%d" % counter, image))
        self.assertIn("published class %s version 1.%d counter %d" % (cls, counter, counter), out)
        return m

    def test_publish_fetch_and_ranges(self):
        self.start()
        self.assertIsNone(self.newest())
        m = self.publish_genuine(1)
        status, _, body = request(self.url, "GET", "/v1/fw/lock-m1")
        self.assertEqual(status, 200)
        got = json.loads(body)
        import base64
        self.assertEqual(base64.b64decode(got["manifest"]), m)
        self.assertEqual((got["class"], got["version"], got["counter"], got["size"]),
                         ("lock-m1", "1.1", 1, 3000))
        self.assertEqual(got["digest"], hashlib.sha256(self.image).hexdigest())
        # The CLI's HTTP source, in ranges of 700 bytes, the manifest
        # verified under the release key.
        out = self.ward_ok("fw", "fetch", "--server", self.url, "--class", "lock-m1",
                           "--out", self.path("got.img"), "--manifest-out", self.path("got.m"),
                           "--release-pub", self.key.pub_path, "--chunk", "700")
        self.assertIn("fetched class lock-m1 version 1.1 counter 1", out)
        with open(self.path("got.img"), "rb") as f:
            self.assertEqual(f.read(), self.image)
        with open(self.path("got.m"), "rb") as f:
            self.assertEqual(f.read(), m)
        # ...and refused under another key: nothing written.
        self.ward_fails("fw", "fetch", "--server", self.url, "--class", "lock-m1", "--out",
                        self.path("no.img"), "--release-pub", self.other.pub_path,
                        expect="signed by another key")
        self.assertFalse(os.path.exists(self.path("no.img")))

        target = "/v1/fw/lock-m1/1/image"
        etag = '"%s"' % hashlib.sha256(self.image).hexdigest()
        cases = [
            ("bytes=0-0", 0, 0),            # first byte
            ("bytes=1000-1999", 1000, 1999),  # middle
            ("bytes=-1", 2999, 2999),       # last byte, as a suffix
            ("bytes=2999-", 2999, 2999),    # last byte, open
            ("bytes=2990-5000", 2990, 2999),  # clipped at the end
        ]
        for rng, first, last in cases:
            status, h, body = request(self.url, "GET", target, headers={"Range": rng})
            self.assertEqual(status, 206, rng)
            self.assertEqual(body, self.image[first:last + 1], rng)
            self.assertEqual(h["content-range"], "bytes %d-%d/3000" % (first, last), rng)
            self.assertEqual(h["etag"], etag)
        for rng in ("bytes=3000-", "bytes=5000-6000", "bytes=9-3", "bytes=0-1,5-6",
                    "bytes=-0", "bytes=x-"):
            status, h, body = request(self.url, "GET", target, headers={"Range": rng})
            self.assertEqual(status, 416, rng)
            self.assertEqual(h["content-range"], "bytes */3000", rng)
        status, h, body = request(self.url, "GET", target)
        self.assertEqual((status, body, h["etag"]), (200, self.image, etag))
        status, _, body = request(self.url, "GET", target, headers={"Range": "lines=1-2"})
        self.assertEqual((status, body), (200, self.image))
        for t in ("/v1/fw/lock-m1/2/image", "/v1/fw/lock-m2/1/image", "/v1/fw/other"):
            self.assertEqual(request(self.url, "GET", t)[0], 404, t)
        for t in ("/v1/fw/lock-m1/01/image", "/v1/fw/lock-m1/4294967296/image",
                  "/v1/fw/lock%2Fm1"):
            self.assertEqual(request(self.url, "GET", t)[0], 400, t)
        # Kept beside the database: a restart serves the same.
        self.wardd.stop()
        self.wardd.start()
        status, _, body = request(self.url, "GET", target, headers={"Range": "bytes=-10"})
        self.assertEqual((status, body), (206, self.image[-10:]))

    def test_refusals_keep_nothing(self):
        self.start("--fw-publish-per-addr", "100")
        img = self.image
        # Signed by another release key; a signature altered; not a manifest.
        other = self.other.manifest("lock-m1", "9", 9, img)
        bad = bytearray(self.key.manifest("lock-m1", "9", 9, img))
        bad[-1] ^= 1
        for m in (other, bytes(bad)):
            status, _, body = publish_raw(self.url, m, img)
            self.assertEqual(status, 403, body)
        status, _, _ = publish_raw(self.url, b"\x01" * 20, img)
        self.assertEqual(status, 400)
        # The CLI says why and exits 1.
        self.ward_fails("fw", "publish", "--server", self.url, "--manifest",
                        self.write("other.m", other), "--image", self.write("img", img),
                        rc=1, expect="not signed by a release key")
        # An image that is not the manifest's (same length, one byte).
        altered = bytearray(img)
        altered[1500] ^= 0x80
        m5 = self.key.manifest("lock-m1", "5", 5, img)
        status, _, body = publish_raw(self.url, m5, bytes(altered))
        self.assertEqual(status, 400, body)
        self.assertIn(b"SHA-256", body)
        # A body shorter than the manifest's size.
        status, _, _ = publish_raw(self.url, m5, img[:100])
        self.assertEqual(status, 400)
        # Larger than --fw-max-bytes: refused on the headers.
        big = self.key.manifest("lock-m1", "6", 6, b"", size=70000, digest=bytes(32))
        status, _, body = publish_raw(self.url, big, b"")
        self.assertEqual(status, 413, body)
        self.assertIsNone(self.newest())
        self.assertEqual(self.kept_images(), [])
        self.assertEqual(request(self.url, "GET", "/v1/fw/lock-m1/5/image")[0], 404)

        # The counter: a replayed old manifest, the same counter again.
        self.publish_genuine(3)
        m2 = self.key.manifest("lock-m1", "2", 2, img)
        for m in (m2, self.key.manifest("lock-m1", "3b", 3, img)):
            status, _, body = publish_raw(self.url, m, img)
            self.assertEqual(status, 409, body)
        self.ward_fails("fw", "publish", "--server", self.url, "--manifest",
                        self.write("m2", m2), "--image", self.path("img"), rc=1,
                        expect=r"\(409\)")
        self.assertEqual(self.newest(), 3)
        self.assertEqual(len(self.kept_images()), 1)
        self.assertEqual(request(self.url, "GET", "/v1/fw/lock-m1/2/image")[0], 404)
        # The genuine next release still goes, and another class has its own counter.
        self.publish_genuine(4)
        self.publish_genuine(1, cls="gw-x")
        self.assertEqual((self.newest(), self.newest("gw-x")), (4, 1))

    def test_release_made_by_ward_fw_sign(self):
        """The contract tools (`ward fw keygen`, `ward fw sign`, the device
        side's): what they make, wardd takes and serves byte for byte, and
        their manifest equals the one made here from the spec. Skipped by a
        `ward` without them."""
        if self.ward("help", "fw", "sign")[0] != 0:
            self.skipTest("this ward has no `fw sign` (the device side's branch)")
        self.ward_ok("fw", "keygen", "--out", self.path("wk"))
        img = self.write("img", self.image)
        m = self.path("m")
        self.ward_ok("fw", "sign", "--key", self.path("wk", "release.key"), "--image", img,
                     "--class", "lock-m1", "--version", "2.0", "--counter", "7", "--out", m)
        self.start_wardd(["--release-pub", self.path("wk", "release.pub")])
        self.ward_ok("fw", "publish", "--server", self.url, "--manifest", m, "--image", img)
        self.assertEqual(self.newest(), 7)
        with open(m, "rb") as f:
            signed = f.read()
        # Everything before the signature is what this file's encoder makes.
        with open(self.path("wk", "release.pub")) as f:
            point = bytes.fromhex(f.read().strip())
        kid = hashlib.sha256(bytes([2 + (point[64] & 1)]) + point[1:33]).digest()[:8]
        body = bytes([1, 7]) + b"lock-m1" + bytes([3]) + b"2.0" + (7).to_bytes(4, "big")
        body += (0).to_bytes(4, "big") + len(self.image).to_bytes(4, "big")
        body += hashlib.sha256(self.image).digest() + kid
        self.assertEqual(signed[:-64], body)
        self.ward_ok("fw", "fetch", "--server", self.url, "--class", "lock-m1", "--out",
                     self.path("got"), "--release-pub", self.path("wk", "release.pub"))

    def test_no_release_key_refuses_every_release(self):
        self.start_wardd([])
        m = self.key.manifest("lock-m1", "1", 1, self.image)
        status, _, body = publish_raw(self.url, m, self.image)
        self.assertEqual(status, 403, body)
        self.assertIn(b"--release-pub", body)
        self.assertEqual(request(self.url, "GET", "/v1/fw/lock-m1")[0], 404)

    def test_flood_is_limited_per_address(self):
        self.start("--fw-publish-per-addr", "3")
        other = self.other.manifest("lock-m1", "1", 1, self.image)
        for _ in range(3):
            self.assertEqual(publish_raw(self.url, other, self.image)[0], 403)
        status, h, body = publish_raw(self.url, other, self.image)
        self.assertEqual(status, 429, body)
        self.assertGreaterEqual(int(h["retry-after"]), 1)
        # Even a genuine release from that address waits: the limit is
        # charged before any work. Devices' reads are not limited.
        status, _, _ = publish_raw(self.url, self.key.manifest("lock-m1", "1", 1, self.image),
                                   self.image)
        self.assertEqual(status, 429)
        self.assertIsNone(self.newest())
        self.assertEqual(self.kept_images(), [])

    def test_fetch_resumes_after_dropped_connections(self):
        self.start()
        self.publish_genuine(2)
        proxy = DroppingProxy(self.url, drops=2)
        self.addCleanup(proxy.close)
        out = self.ward_ok("fw", "fetch", "--server", proxy.url, "--class", "lock-m1",
                           "--out", self.path("got.img"), "--chunk", "1000")
        self.assertIn("counter 2", out)
        with open(self.path("got.img"), "rb") as f:
            self.assertEqual(f.read(), self.image)
        ranges = [r for r in proxy.ranges if r]
        # The first range was cut after 500 bytes, the retry asked for the
        # rest from byte 500, cut again after half of that, then from 750.
        self.assertEqual(ranges[:4], ["bytes=0-999", "bytes=500-999", "bytes=750-999",
                                      "bytes=1000-1999"])


if __name__ == "__main__":
    wardlib.main_args(__doc__)
    wardlib.run_tests()
