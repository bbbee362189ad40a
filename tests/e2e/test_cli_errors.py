#!/usr/bin/env python3
"""End to end: `ward` says why it failed (issue 15, item 6).

usage: test_cli_errors.py [-v] WARD WARDD

Each test provokes one failure with the real `ward` binary (and, where a
server is needed, the real wardd) and checks the exit status, that the
message names the cause in the OS's or libcurl's words ("Connection
refused", "Read-only file system", "No such file or directory", "No space
left on device", "certificate", ...) rather than "i/o error", and that
nothing was lost or left half-written.

Read-only directories and a full disk need a mount: the tests run `ward`
inside `unshare -rm` (a user and mount namespace: no root needed) on a
read-only bind mount or a 64 KiB tmpfs, and skip with the reason when the
kernel does not allow that. Standard library only.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wardlib  # noqa: E402
from wardlib import WardCli  # noqa: E402

WARD = None
WARDD = None
PHONE = "+8613800000001"


def namespaces_work():
    """Whether `unshare -rm` may make mounts here (None) or why not."""
    if shutil.which("unshare") is None:
        return "unshare(1) missing (util-linux)"
    p = subprocess.run(["unshare", "-rm", "sh", "-c",
                        "mount -t tmpfs -o size=64k tmpfs /mnt"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return "no user and mount namespaces here: " + p.stderr.strip()
    return None


class ErrorTest(WardCli, unittest.TestCase):
    def setUp(self):
        self.make_root("ward-errors-e2e-")

    def tearDown(self):
        self.clean_up()

    def fails(self, *args, because, env=None):
        """Runs ward, which must exit 1 with `because` in its one-line
        message on stderr and nothing about "i/o error" alone."""
        p = subprocess.run([WARD] + list(args), capture_output=True, text=True, timeout=60,
                           env=env)
        self.assertEqual(p.returncode, 1, "ward %s: rc %d\n%s%s"
                         % (" ".join(args), p.returncode, p.stdout, p.stderr))
        self.assertIn(because, p.stderr)
        self.assert_no_sanitizer_report(p.stderr)
        return p.stderr

    def in_namespace(self, setup, *args, after="true"):
        """Runs `setup` (sh), then ward with args, then `after` (sh), in a
        new user and mount namespace (its mounts go with it); answers
        (rc, stdout, stderr) of ward."""
        why = namespaces_work()
        if why is not None:
            self.skipTest(why)
        script = setup + ' || exit 99; "$@"; rc=$?; ' + after + "; exit $rc"
        p = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", WARD] + list(args),
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 99, "namespace setup failed: " + p.stderr)
        self.assert_no_sanitizer_report(p.stderr)
        return p.returncode, p.stdout, p.stderr


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def closed_port():
    """A loopback port nobody listens on."""
    return wardlib.free_tcp_port()


class Network(ErrorTest):
    def test_connection_refused(self):
        url = "http://127.0.0.1:%d" % closed_port()
        err = self.fails("app", "register", "--dir", self.path("a"), "--server", url,
                         "--user", "alice", "--phone", PHONE, because="Connection refused")
        self.assertIn("cannot reach wardd at " + url, err)

    def test_dns_failure(self):
        # .invalid never resolves (RFC 6761).
        url = "http://no-such-wardd.invalid:8080"
        self.fails("app", "register", "--dir", self.path("a"), "--server", url,
                   "--user", "alice", "--phone", PHONE,
                   because="Could not resolve host: no-such-wardd.invalid")

    def test_connect_timeout(self):
        # A listener whose queue is full drops new SYNs: the connection is
        # never set up, and ward gives up after its connect timeout.
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(0)
        port = srv.getsockname()[1]
        held = []
        try:
            for _ in range(3):
                c = socket.socket()
                c.setblocking(False)
                try:
                    c.connect(("127.0.0.1", port))
                except BlockingIOError:
                    pass
                held.append(c)
            time.sleep(0.3)
            t = time.time()
            self.fails("app", "register", "--dir", self.path("a"), "--server",
                       "http://127.0.0.1:%d" % port, "--user", "alice", "--phone", PHONE,
                       because="Timeout was reached")
            self.assertLess(time.time() - t, 30)
        finally:
            for c in held:
                c.close()
            srv.close()

    def test_untrusted_certificate(self):
        if shutil.which("openssl") is None:
            self.skipTest("openssl command-line tool missing (scripts/deps.sh installs it)")
        cert, key = self.path("cert.pem"), self.path("key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.start_wardd(["--tls-cert", cert, "--tls-key", key])
        url = "https://127.0.0.1:%d" % self.wardd.port
        env = {k: v for k, v in os.environ.items()
               if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE")}
        err = self.fails("app", "register", "--dir", self.path("a"), "--server", url,
                         "--user", "alice", "--phone", PHONE, because="certificate", env=env)
        self.assertIn("SSL", err)
        # Nothing reached wardd: no account, no code texted.
        self.assertFalse(os.path.isdir(self.path("outbox")) and os.listdir(self.path("outbox")))


    def test_near_field_unreachable(self):
        # CoAP over UDP: a closed port answers with ICMP, a bad name does
        # not resolve; each is said, not "i/o error".
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        u.close()
        err = self.fails("app", "pair", "--dir", self.path("a"), "--device", "LAMP-1",
                         "--near", "127.0.0.1:%d" % port, "--pin", "123456",
                         because="no answer from coap://127.0.0.1:%d: the network refused it"
                         % port)
        self.assertNotIn("i/o error", err)
        self.fails("app", "pair", "--dir", self.path("a"), "--device", "LAMP-1",
                   "--near", "no-such-lamp.invalid:5683", "--pin", "123456",
                   because="cannot resolve no-such-lamp.invalid")

    def test_device_port_in_use(self):
        self.start_wardd()
        ddir = self.path("dev")
        self.ward_ok("device", "init", "--dir", ddir, "--id", "LAMP-1", "--server",
                     self.wardd.url, "--factory-key", self.path("factory", "factory.key"))
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        try:
            port = u.getsockname()[1]
            self.fails("device", "run", "--dir", ddir, "--listen", "127.0.0.1:%d" % port,
                       because="cannot listen on udp 127.0.0.1:%d: Address already in use"
                       % port)
        finally:
            u.close()


class Files(ErrorTest):
    def test_missing_directory(self):
        self.fails("app", "status", "--dir", self.path("nowhere"),
                   because="No such file or directory")
        self.fails("lock", "clients", "--dir", self.path("nowhere"),
                   because="No such file or directory")
        self.fails("lock", "init", "--dir", self.path("l"), "--sn", "LOCK-1", "--server",
                   "http://127.0.0.1:1", "--factory-key", self.path("no-factory.key"),
                   because="No such file or directory")

    def test_secure_element_link(self):
        sock = self.path("nowhere", "se.sock")
        self.fails("se", "run", "--dir", self.path("se"), "--link", sock,
                   because="cannot listen on %s: No such file or directory" % sock)
        self.fails("se", "host", "--dir", self.path("host"), "--link", self.path("se.sock"),
                   "lock", because="cannot reach the SE at %s: No such file or directory"
                   % self.path("se.sock"))

    def test_damaged_files(self):
        self.start_wardd()
        lock = self.init_lock("LOCK-1", "lock")
        self.register_app(self.path("alice"), self.wardd.url, "alice", PHONE)
        with open(self.path("alice", "client.key"), "w") as f:
            f.write("not json\n")
        self.fails("app", "status", "--dir", self.path("alice"),
                   because="client.key is not a ward key file")
        with open(os.path.join(lock, "store.bin"), "wb") as f:
            f.write(b"junk")
        self.fails("lock", "clients", "--dir", lock, because="store.bin: not a lock's store")
        with open(self.path("bad.key"), "w") as f:
            f.write("zz\n")
        self.fails("lock", "init", "--dir", self.path("l2"), "--sn", "LOCK-2", "--server",
                   self.wardd.url, "--factory-key", self.path("bad.key"),
                   because="not a manufacturer key file")

    def test_read_only_directory(self):
        self.start_wardd()
        lock = self.init_lock("LOCK-1", "lock")
        app = self.path("app")
        os.mkdir(app)
        ro = "mount --bind %s %s && mount -o remount,bind,ro %s" % ((self.root,) * 3)
        rc, out, err = self.in_namespace(ro, "app", "register", "--dir", app, "--server",
                                         self.wardd.url, "--user", "alice", "--phone", PHONE)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("Read-only file system", err)
        self.assertIn(app, err)
        self.assertEqual(os.listdir(app), [])
        # A lock command that must write its state.
        before = read_bytes(os.path.join(lock, "store.bin"))
        rc, out, err = self.in_namespace(ro, "lock", "bind-start", "--dir", lock, "--phone",
                                         PHONE, "--qr-out", self.path("qr.png"))
        self.assertEqual(rc, 1, out + err)
        self.assertIn("Read-only file system", err)
        self.assertEqual(read_bytes(os.path.join(lock, "store.bin")), before)

    def test_directory_not_writable(self):
        # Without a mount: a directory this user may not write (root may
        # write anywhere, so this one needs another user).
        if os.geteuid() == 0:
            self.skipTest("running as root, who writes anywhere (the read-only mount "
                          "test covers it)")
        app = self.path("app")
        os.mkdir(app, 0o555)
        try:
            self.fails("app", "register", "--dir", app, "--server", "http://127.0.0.1:1",
                       "--user", "alice", "--phone", PHONE, because="Permission denied")
            self.assertEqual(os.listdir(app), [])
        finally:
            os.chmod(app, 0o700)

    def test_full_disk(self):
        # A 64 KiB tmpfs, filled: the app's key cannot be written, and no
        # half-written file is left; a lock's store cannot be made.
        mnt = self.path("mnt")
        os.mkdir(mnt)
        full = ("mount -t tmpfs -o size=64k tmpfs {m} && mkdir {m}/a && "
                "(dd if=/dev/zero of={m}/fill bs=1k count=128 2>/dev/null; true)"
                .format(m=mnt))
        left = self.path("left")
        rc, out, err = self.in_namespace(
            full, "app", "register", "--dir", os.path.join(mnt, "a"), "--server",
            "http://127.0.0.1:1", "--user", "alice", "--phone", PHONE,
            after="ls -A %s/a > %s" % (mnt, left))
        self.assertEqual(rc, 1, out + err)
        self.assertIn("No space left on device", err)
        self.assertIn("client.key", err)
        with open(left) as f:
            self.assertEqual(f.read(), "", "a half-written file was left")
        self.ward_ok("factory", "keygen", "--out", self.path("factory"))
        rc, out, err = self.in_namespace(
            full, "lock", "init", "--dir", os.path.join(mnt, "l"), "--sn", "LOCK-1",
            "--server", "http://127.0.0.1:1", "--factory-key",
            self.path("factory", "factory.key"))
        self.assertEqual(rc, 1, out + err)
        self.assertIn("No space left on device", err)


if __name__ == "__main__":
    WARD, WARDD = wardlib.main_args(__doc__)
    wardlib.run_tests()
