#!/usr/bin/env python3
"""Firmware serving throughput: wardd's GET /v1/fw/{class}/{counter}/image
against a plain file server (python3 -m http.server) on the same image,
same client, same run. Prints; asserts nothing but that the bytes are right.

usage: bench/fw_serve.py [--quick] [BUILD_DIR]   (default build/; builds nothing)

Its own wardd on a temp database with a release key made by the openssl
tool (the e2e test's ReleaseKey); the image published once. Two shapes of
download: whole-image GETs (a mirror) and 64 KiB ranges in order on one
kept-alive connection each (what a device's update does). --quick: a 4 MiB
image and half a second per phase; else 64 MiB and about 5 s.
"""
import hashlib
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from test_fw_server_e2e import ReleaseKey, publish_raw  # noqa: E402

CHUNK = 64 * 1024


def wait_addr(log_path, proc, pattern):
    deadline = time.time() + 10
    while time.time() < deadline:
        with open(log_path, "rb") as f:
            m = re.search(pattern, f.read())
        if m:
            return m.group(1).decode()
        if proc.poll() is not None:
            raise SystemExit("bench: server exited: " + open(log_path).read()[-2000:])
        time.sleep(0.05)
    raise SystemExit("bench: server did not say its address")


def whole(host, port, path, size, seconds):
    """Whole-image GETs for about `seconds`: (bytes, seconds taken)."""
    n = 0
    t0 = time.perf_counter()
    c = http.client.HTTPConnection(host, port, timeout=60)
    while True:
        c.request("GET", path)
        r = c.getresponse()
        got = len(r.read())
        if r.status != 200 or got != size:
            raise SystemExit("bench: GET %s -> %d, %d bytes" % (path, r.status, got))
        n += got
        if r.getheader("Connection", "").lower() == "close":
            c.close()
            c = http.client.HTTPConnection(host, port, timeout=60)
        dt = time.perf_counter() - t0
        if dt >= seconds:
            c.close()
            return n, dt


def ranged(host, port, path, image, seconds):
    """The image in CHUNK ranges, in order, again and again: (bytes,
    requests, seconds taken)."""
    size = len(image)
    n = reqs = 0
    t0 = time.perf_counter()
    c = http.client.HTTPConnection(host, port, timeout=60)
    while True:
        for off in range(0, size, CHUNK):
            last = min(off + CHUNK, size) - 1
            c.request("GET", path, headers={"Range": "bytes=%d-%d" % (off, last)})
            r = c.getresponse()
            body = r.read()
            if r.status != 206 or body != image[off:last + 1]:
                raise SystemExit("bench: range %d-%d -> %d" % (off, last, r.status))
            if r.getheader("Connection", "").lower() == "close":
                c.close()
                c = http.client.HTTPConnection(host, port, timeout=60)
            n += len(body)
            reqs += 1
        dt = time.perf_counter() - t0
        if dt >= seconds:
            c.close()
            return n, reqs, dt


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    quick = "--quick" in sys.argv[1:]
    build = args[0] if args else os.path.join(ROOT, "build")
    wardd = os.path.join(build, "server", "wardd")
    if not os.access(wardd, os.X_OK):
        raise SystemExit("bench: %s not built" % wardd)
    size = (4 if quick else 64) * 1024 * 1024
    seconds = 0.5 if quick else 5.0
    pin = ["taskset", "-c", "0"] if os.cpu_count() and os.cpu_count() >= 2 else []
    procs = []
    with tempfile.TemporaryDirectory(prefix="ward-fwbench-") as tmp:
        try:
            key = ReleaseKey(os.path.join(tmp, "release"))
            image = os.urandom(size)
            files = os.path.join(tmp, "files")
            os.makedirs(files)
            with open(os.path.join(files, "image.bin"), "wb") as f:
                f.write(image)
            log = os.path.join(tmp, "wardd.log")
            with open(log, "wb") as lf:
                procs.append(subprocess.Popen(
                    pin + [wardd, "--listen", "127.0.0.1:0", "--db", os.path.join(tmp, "w.db"),
                           "--sms-outbox", os.path.join(tmp, "outbox"), "--release-pub",
                           key.pub_path, "--fw-max-bytes", str(size),
                           "--max-per-addr", "0"], stderr=lf, stdout=subprocess.DEVNULL))
            waddr = wait_addr(log, procs[-1], rb"event=listening addr=([0-9.]+:\d+)")
            url = "http://" + waddr
            status, _, body = publish_raw(url, key.manifest("bench", "1", 1, image), image)
            if status != 201:
                raise SystemExit("bench: publish -> %d %r" % (status, body[:200]))
            plog = os.path.join(tmp, "http.log")
            with open(plog, "wb") as lf:
                procs.append(subprocess.Popen(
                    pin + [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1",
                           "--directory", files, "0"], stdout=lf, stderr=subprocess.STDOUT))
            paddr = wait_addr(plog, procs[-1], rb"Serving HTTP on [0-9.]+ port (\d+)")
            whost, wport = waddr.rsplit(":", 1)
            print("fw serving: %d MiB image, sha256 %s..., wardd %s vs python3 -m http.server "
                  "port %s%s" % (size >> 20, hashlib.sha256(image).hexdigest()[:16], waddr,
                                 paddr, ", both on CPU 0" if pin else ""))
            for name, host, port, path in (
                    ("wardd", whost, int(wport), "/v1/fw/bench/1/image"),
                    ("http.server", "127.0.0.1", int(paddr), "/image.bin")):
                n, dt = whole(host, port, path, size, seconds)
                print("  %-11s whole image : %8.1f MB/s" % (name, n / dt / 1e6))
            # Python's http.server answers no Range: only wardd is asked for ranges.
            n, reqs, dt = ranged(whost, int(wport), "/v1/fw/bench/1/image", image, seconds)
            print("  %-11s 64 KiB ranges: %8.1f MB/s, %d ranges/s" %
                  ("wardd", n / dt / 1e6, reqs / dt))
        finally:
            for p in procs:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


if __name__ == "__main__":
    main()
