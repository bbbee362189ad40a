#!/usr/bin/env python3
"""End-to-end tests of running wardd in production (issue 15): SIGHUP,
errors that name their cause, /metrics, /v1/ready, a reverse proxy's
X-Forwarded-For, the database file's mode and lock, backup and restore.

usage: test_wardd_operator.py [-v] WARDD WARDD_PROBE

Real wardd processes on 127.0.0.1:0 with a fresh directory each, driven
by wardd_probe (the lock and the app, with real signatures). A failing
disk is a small tmpfs mounted in a user and mount namespace of wardd's
own (`unshare -Urm`); those tests skip, saying why, where that is not
allowed. Standard library only.
"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wardlib import Wardd, parse_log_line, probe_register  # noqa: E402

WARDD = None
PROBE = None
PHONE = "+8613800000000"


def http_get(url, headers=None, timeout=20):
    """(status, body bytes, content type) of a GET, errors included."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


def log_fields(line):
    """One log line's fields as a dict of text (wardlib checks its form)."""
    return {k: v.decode() for k, v in parse_log_line(line.encode())}


def userns_tmpfs_ok():
    """Whether `unshare -Urm` may mount a tmpfs here (None) or why not."""
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    d = tempfile.mkdtemp(prefix="wardd-ns-")
    try:
        p = subprocess.run(["unshare", "-Urm", "sh", "-c",
                            'mount -t tmpfs -o size=64k tmpfs "$0"', d],
                           capture_output=True, text=True, timeout=10)
        if p.returncode != 0:
            return "no user namespaces with mounts here: " + p.stderr.strip()
        return None
    finally:
        os.rmdir(d)


def in_tmpfs(mountpoint, opts, argv, fill=False):
    """argv run in a mount namespace of its own where mountpoint is a new
    tmpfs (mount options opts); fill: filled up first. The process keeps
    the pid of what the caller starts (each step execs the next)."""
    script = 'mount -t tmpfs -o "$1" tmpfs "$0" || exit 97; '
    if fill:
        script += 'cat /dev/zero > "$0/fill" 2>/dev/null; '
    script += 'shift; exec "$@"'
    return ["unshare", "-Urm", "sh", "-c", script, mountpoint, opts] + list(argv)


class MetricsText:
    """The Prometheus text format (0.0.4), parsed strictly: every sample
    line is NAME{LABELS} VALUE of a family declared by # TYPE first."""

    SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
    LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)')

    def __init__(self, text):
        self.samples = {}
        self.types = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ")
                self.types[name] = kind
                continue
            if line.startswith("#") or line == "":
                continue
            m = self.SAMPLE.match(line)
            if m is None:
                raise AssertionError("not a sample line: %r" % line)
            name, labels_text, value = m.groups()
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            if name not in self.types and family not in self.types:
                raise AssertionError("sample before its # TYPE: %r" % line)
            labels = {}
            rest = labels_text or ""
            while rest:
                lm = self.LABEL.match(rest)
                if lm is None:
                    raise AssertionError("bad labels: %r" % line)
                labels[lm.group(1)] = lm.group(2)
                rest = rest[lm.end():]
            key = (name, tuple(sorted(labels.items())))
            if key in self.samples:
                raise AssertionError("sample twice: %r" % line)
            self.samples[key] = float(value)

    def get(self, name, **labels):
        """A sample's value (0 when absent: wardd leaves out zero series)."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def series(self, name):
        return {k[1]: v for k, v in self.samples.items() if k[0] == name}


class OperatorTest(unittest.TestCase):
    extra = ()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="wardd-op-")
        self.root = self.tmp.name
        self.state = os.path.join(self.root, "state")
        os.mkdir(self.state)
        self.run_probe("factory-keygen")
        os.replace(os.path.join(self.state, "factory.pub"),
                   os.path.join(self.root, "factory.pub"))
        self.wardd = Wardd(self.root, WARDD, self.extra)
        self.started = []

    def tearDown(self):
        try:
            for w in [self.wardd] + self.started:
                w.stop()
                log = w.log() if os.path.exists(w.log_path) else ""
                for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                    self.assertNotIn(bad, log)
        finally:
            self.tmp.cleanup()

    def run_probe(self, *args, expect=None, xff=None):
        url = self.wardd.url if hasattr(self, "wardd") and self.wardd.url else "-"
        cmd = [PROBE, url, self.state] + list(args)
        if expect is not None:
            cmd += ["--expect", str(expect)]
        env = dict(os.environ)
        env.pop("WARDD_PROBE_XFF", None)
        if xff is not None:
            env["WARDD_PROBE_XFF"] = xff
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=env)
        return p.returncode, p.stdout + p.stderr

    def ok(self, *args, expect=None, xff=None):
        rc, out = self.run_probe(*args, expect=expect, xff=xff)
        self.assertEqual(rc, 0, "probe %s failed:\n%s\n--- wardd log ---\n%s"
                         % (" ".join(args), out, self.wardd.log()[-3000:]))
        return out

    def get(self, path, headers=None):
        return http_get(self.wardd.url + path, headers)

    def wait_for(self, cond, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return
            time.sleep(0.05)
        self.fail("timed out waiting for " + what)


class Issue15Item3Sighup(OperatorTest):
    """SIGHUP reopens the --log file and rereads the config file, logged;
    wardd keeps serving. It used to end wardd on the spot."""

    def write_conf(self, text):
        with open(self.conf, "w") as f:
            f.write(text)

    def test_sighup_reloads_the_config_and_reopens_the_log(self):
        self.conf = os.path.join(self.root, "wardd.conf")
        self.write_conf("sms-per-addr = 1\nsms-per-phone = 10\n")
        log = self.wardd.log_path
        self.wardd.start(["--config", self.conf, "--log", log])
        self.ok("register", "alice", "+8613800000001", expect=201)
        self.ok("register", "bob", "+8613800000002", expect=429)    # 1 per address

        # A changed rate limit takes effect at SIGHUP, logged.
        self.write_conf("sms-per-addr = 3\nsms-per-phone = 10\n")
        self.wardd.proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "event=reloaded" in self.wardd.log(), 5, "the reload line")
        self.assertIsNone(self.wardd.proc.poll(), "wardd died of SIGHUP")
        text = self.wardd.log()
        self.assertIn("level=info event=reload_applied setting=sms-per-addr", text)
        self.assertEqual(self.get("/v1/health")[0], 200)
        self.ok("register", "bob", "+8613800000002", expect=201)

        # Rotation: the file renamed away, SIGHUP, new lines in a new file.
        os.rename(log, log + ".1")
        self.wardd.proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: os.path.exists(log), 5, "the new log file")
        self.assertEqual(self.get("/after-rotation")[0], 404)
        self.wait_for(lambda: "path=/after-rotation" in self.wardd.log(), 5, "a request line")
        with open(log + ".1") as f:
            old = f.read()
        new = self.wardd.log()
        self.assertEqual(old.count("event=reloaded"), 1)
        self.assertEqual(new.count("event=reloaded"), 1)
        self.assertIn("event=listening", old)
        self.assertNotIn("path=/after-rotation", old)
        for line in new.splitlines():
            log_fields(line)                          # every line well formed

        # A setting that needs a restart is named; a broken file changes nothing.
        self.write_conf("sms-per-addr = 3\nsms-per-phone = 10\nmax-connections = 9\n")
        self.wardd.proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "reload_needs_restart" in self.wardd.log(), 5, "restart note")
        self.assertIn("event=reload_needs_restart setting=max-connections", self.wardd.log())
        self.write_conf("sms-per-addr = lots\n")
        self.wardd.proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "event=reload_failed" in self.wardd.log(), 5, "reload_failed")
        self.assertRegex(self.wardd.log(), r"event=reload_failed err=\"[^\"]*wardd\.conf:1: "
                                           r"bad setting 'sms-per-addr'\"")
        self.ok("register", "carol", "+8613800000003", expect=201)  # still 3 per address
        self.ok("register", "dave", "+8613800000004", expect=429)

        # SIGTERM still stops it cleanly.
        self.assertEqual(self.wardd.stop(signal.SIGTERM), 0)
        self.assertIn("event=stopped", self.wardd.log())


    def test_sighup_without_a_log_file_keeps_serving(self):
        self.wardd.start()
        self.wardd.proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "event=reloaded" in self.wardd.log(), 5, "the reload line")
        self.assertIn("event=reloaded signal=HUP log=stderr", self.wardd.log())
        self.assertIsNone(self.wardd.proc.poll(), "wardd died of SIGHUP")
        self.assertEqual(self.get("/v1/health")[0], 200)


class Issue15Item6DbErrors(OperatorTest):
    """A --db wardd cannot use is refused at start with the cause: the OS's
    text with the path, or SQLite's message. It used to say "i/o error"."""

    def start_fails(self, db, argv=None):
        args = [WARDD, "--listen", "127.0.0.1:0", "--db", db,
                "--sms-outbox", os.path.join(self.root, "outbox")]
        p = subprocess.run(argv(args) if argv else args, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        line = [l for l in p.stderr.splitlines() if "event=db_open_failed" in l]
        self.assertEqual(len(line), 1, p.stderr)
        return log_fields(line[0])

    def test_missing_directory(self):
        f = self.start_fails(os.path.join(self.root, "nope", "wardd.db"))
        self.assertIn("directory %s: No such file or directory" % os.path.join(self.root, "nope"),
                      f["err"])

    def test_not_a_database(self):
        db = os.path.join(self.root, "wardd.db")
        with open(db, "wb") as f:
            f.write(b"this is a text file, not SQLite\n" * 200)
        fields = self.start_fails(db)
        self.assertEqual(fields["why"], "file is not a database")
        with open(db, "rb") as f:                     # nothing was written over it
            self.assertTrue(f.read().startswith(b"this is a text file"))

    def test_read_only_directory(self):
        d = os.path.join(self.root, "ro")
        os.mkdir(d)
        db = os.path.join(d, "wardd.db")
        if os.geteuid() != 0:
            os.chmod(d, 0o555)
            f = self.start_fails(db)
            self.assertIn("directory %s: Permission denied" % d, f["err"])
            return
        why = userns_tmpfs_ok()                       # root ignores modes: a ro mount
        if why:
            self.skipTest(why)
        f = self.start_fails(db, lambda a: in_tmpfs(d, "ro", a))
        self.assertIn("directory %s: Read-only file system" % d, f["err"])

    def test_full_disk(self):
        why = userns_tmpfs_ok()
        if why:
            self.skipTest(why)
        d = os.path.join(self.root, "full")
        os.mkdir(d)
        f = self.start_fails(os.path.join(d, "wardd.db"),
                             lambda a: in_tmpfs(d, "size=64k", a, fill=True))
        self.assertEqual(f["why"], "database or disk is full")


class Issue15Item12Metrics(OperatorTest):
    """GET /metrics: requests by route pattern and status, latency
    histograms, relays, waiting long-polls, rate-limit refusals, SMS."""

    extra = ("--sms-per-addr", "2", "--sms-per-phone", "10")

    def scrape(self):
        status, body, ctype = self.get("/metrics")
        self.assertEqual(status, 200, body)
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
        return MetricsText(body.decode())

    def test_counters_move_by_what_was_done(self):
        self.wardd.start()
        status, body, _ = self.get("/v1/health")
        self.assertEqual(json.loads(body)["version"], "0.1.0")
        self.assertRegex(self.wardd.log(), r"event=listening addr=\S+ version=0\.1\.0 ")
        self.ok("activate", "LOCK-0001", expect=201)
        probe_register(self.ok, self.root, "alice", PHONE)
        m0 = self.scrape()

        for _ in range(3):
            self.assertEqual(self.get("/v1/health")[0], 200)
        for op in ("00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100"):
            self.assertEqual(self.get("/v1/ops/" + op)[0], 401)       # unsigned
        self.assertEqual(self.get("/no/such/thing-1234")[0], 404)
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)  # relay + SMS
        self.ok("register", "bob", "+8613900000000", expect=201)          # SMS
        self.ok("register", "carol", "+8613900000001", expect=429)        # 2 per address
        waiter = subprocess.Popen([PROBE, self.wardd.url, self.state, "status", "t1", "alice",
                                   "--wait", "4"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            self.wait_for(lambda: self.scrape().get("wardd_long_polls_waiting") == 1, 5,
                          "a waiting long-poll")
        finally:
            waiter.wait(timeout=30)
        m1 = self.scrape()

        def moved(name, **labels):
            return m1.get(name, **labels) - m0.get(name, **labels)

        self.assertEqual(m1.types["wardd_http_requests_total"], "counter")
        self.assertEqual(m1.types["wardd_http_request_duration_seconds"], "histogram")
        self.assertEqual(m1.types["wardd_long_polls_waiting"], "gauge")
        req = "wardd_http_requests_total"
        self.assertEqual(moved(req, method="GET", route="/v1/health", status="200"), 3)
        self.assertEqual(moved(req, method="GET", route="/v1/ops/*", status="401"), 2)
        self.assertEqual(moved(req, method="other", route="unmatched", status="404"), 1)
        self.assertEqual(moved(req, method="POST", route="/v1/bind/tasks", status="201"), 1)
        self.assertEqual(moved(req, method="POST", route="/v1/users", status="429"), 1)
        self.assertEqual(moved(req, method="GET", route="/v1/bind/tasks/*/status",
                               status="200"), 1)
        # Route patterns only: no id of a path becomes a label.
        for labels in m1.series(req):
            self.assertNotIn("00112233", str(labels))
            self.assertNotIn("thing-1234", str(labels))

        dur = "wardd_http_request_duration_seconds"
        health = dict(method="GET", route="/v1/health")
        self.assertEqual(moved(dur + "_count", **health), 3)
        buckets = sorted(((float(dict(k)["le"]), v) for k, v in m1.series(dur + "_bucket").items()
                          if dict(k)["route"] == "/v1/health"))
        self.assertEqual([b for b, _ in buckets][-1], float("inf"))
        self.assertEqual(buckets[-1][1], m1.get(dur + "_count", **health))
        counts = [v for _, v in buckets]
        self.assertEqual(counts, sorted(counts), "buckets are cumulative")
        self.assertGreaterEqual(m1.get(dur + "_sum", **health), 0)
        # The long-poll waited (4 s at most): in a bucket above 1 s.
        poll = dict(method="GET", route="/v1/bind/tasks/*/status")
        self.assertEqual(moved(dur + "_bucket", le="1", **poll), 0)
        self.assertEqual(moved(dur + "_bucket", le="+Inf", **poll), 1)

        self.assertEqual(moved("wardd_relayed_total", kind="bind_data"), 1)
        self.assertEqual(moved("wardd_rate_limited_total", kind="code"), 1)
        self.assertEqual(moved("wardd_rate_limited_total", kind="sms"), 0)
        self.assertEqual(moved("wardd_sms_total", purpose="bind", result="sent"), 1)
        self.assertEqual(moved("wardd_sms_total", purpose="phone_code", result="sent"), 1)
        self.assertEqual(m1.get("wardd_store_errors_total"), 0)
        self.assertEqual(m1.get("wardd_long_polls_waiting"), 0)
        self.assertEqual(m1.get("wardd_build_info", version="0.1.0"), 1)


class Issue15Item12Ready(OperatorTest):
    """/v1/ready touches the store and its disk: 503 on a full disk while
    /v1/health (liveness) stays 200. Health used to say ok on a full disk."""

    def test_ready_follows_the_store(self):
        why = userns_tmpfs_ok()
        if why:
            self.skipTest(why)
        d = os.path.join(self.root, "dbdir")
        os.mkdir(d)
        wrapper = os.path.join(self.root, "wardd-in-tmpfs")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec unshare -Urm sh -c \'mount -t tmpfs -o size=4m tmpfs "$0" '
                    '&& exec "$@"\' %s %s "$@"\n' % (d, WARDD))
        os.chmod(wrapper, 0o755)
        self.wardd = Wardd(self.root, wrapper, ["--db", os.path.join(d, "wardd.db")])
        self.wardd.start()
        self.assertEqual(self.get("/v1/ready")[:2], (200, b'{"ok":true}'))
        # The tmpfs as wardd sees it, through its mount namespace.
        inside = "/proc/%d/root%s" % (self.wardd.proc.pid, d)
        self.assertTrue(os.path.exists(os.path.join(inside, "wardd.db")))
        fill = os.path.join(inside, "fill")
        with open(fill, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        status, body, _ = self.get("/v1/ready")
        self.assertEqual(status, 503, body)
        err = json.loads(body)
        self.assertEqual(err["error"], "unavailable")
        self.assertRegex(err["message"], r"^(store: database or disk is full|disk nearly full)")
        status, body, _ = self.get("/v1/health")
        self.assertEqual(status, 200)
        self.assertIs(json.loads(body)["ok"], True)
        self.assertIn("event=not_ready", self.wardd.log())
        os.unlink(fill)
        self.assertEqual(self.get("/v1/ready")[0], 200)


    def test_ready_needs_the_write_lock(self):
        """Another process holding the database's write lock: the store
        cannot write, /v1/ready says so in SQLite's words, /v1/health is
        still ok, and the failure is counted."""
        import sqlite3
        self.wardd.start()
        self.assertEqual(self.get("/v1/ready")[0], 200)
        holder = sqlite3.connect(os.path.join(self.root, "wardd.db"), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            status, body, _ = self.get("/v1/ready")      # after wardd's 5 s busy wait
            self.assertEqual(status, 503, body)
            self.assertEqual(json.loads(body)["message"], "store: database is locked")
            self.assertEqual(self.get("/v1/health")[0], 200)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        self.assertEqual(self.get("/v1/ready")[0], 200)
        status, body, _ = self.get("/metrics")
        self.assertEqual(MetricsText(body.decode()).get("wardd_store_errors_total"), 1)


class Issue15Item14TrustedProxy(OperatorTest):
    """--trusted-proxy: behind a trusted proxy the rate limits count the
    client its X-Forwarded-For names; from anyone else the header is
    ignored, so a spoofed one dodges nothing."""

    extra = ("--sms-per-addr", "2", "--sms-per-phone", "10")

    def register(self, uid, n, xff, expect):
        self.ok("register", uid, "+86139000000%02d" % n, expect=expect, xff=xff)

    def test_clients_behind_a_trusted_proxy_are_limited_apart(self):
        self.wardd.start(list(self.extra) + ["--trusted-proxy", "127.0.0.1/32",
                                             "--trusted-proxy", "10.0.0.0/8"])
        a, b = "198.51.100.1", "2001:db8::7"
        self.register("a1", 1, a, 201)
        self.register("a2", 2, a, 201)
        self.register("a3", 3, a, 429)                # a's allowance is spent
        self.register("b1", 4, b, 201)                # b has its own
        self.register("b2", 5, "203.0.113.9, " + b + ", 10.1.2.3", 201)  # via a 2nd proxy
        self.register("b3", 6, b, 429)
        # The client's own left-hand entries are not believed.
        self.register("a4", 7, "192.0.2.55, " + a, 429)
        # An IPv6 client is counted by its /64: another address of b's
        # /64 has no allowance of its own; another /64 has.
        self.register("b4", 8, "2001:db8::8", 429)
        self.register("c1", 9, "2001:db8:0:1::7", 201)
        log = self.wardd.log()
        self.assertIn("addr=198.51.100.1 via=127.0.0.1 ", log)
        self.assertIn("addr=2001:db8::7 via=127.0.0.1 ", log)
        self.assertRegex(log, r"event=rate_limited kind=code addr=198\.51\.100\.1 ")
        self.assertNotIn("addr=192.0.2.55", log)
        # /metrics judges the real client: not loopback through the proxy.
        status, _, _ = self.get("/metrics", {"X-Forwarded-For": a})
        self.assertEqual(status, 403)
        self.assertEqual(self.get("/metrics")[0], 200)

    def test_without_trust_the_header_is_ignored(self):
        self.wardd.start()
        self.register("s1", 1, "198.51.100.1", 201)
        self.register("s2", 2, "198.51.100.2", 201)
        self.register("s3", 3, "198.51.100.3", 429)   # all one client: 127.0.0.1
        log = self.wardd.log()
        self.assertNotIn("198.51.100", log)
        self.assertNotIn("via=", log)
        self.assertEqual(self.get("/metrics", {"X-Forwarded-For": "203.0.113.1"})[0], 200)

    def test_a_peer_outside_the_trusted_blocks_is_not_believed(self):
        self.wardd.start(list(self.extra) + ["--trusted-proxy", "10.0.0.0/8",
                                             "--trusted-proxy", "::1/128"])
        self.register("s1", 1, "198.51.100.1", 201)
        self.register("s2", 2, "198.51.100.2", 201)
        self.register("s3", 3, "198.51.100.3", 429)

    def test_bad_cidrs_are_refused(self):
        for bad in ("10.0.0.0/33", "::/129", "example.org", "10.0.0.0/", "[::1]/128", "1.2.3"):
            p = subprocess.run([WARDD, "--trusted-proxy", bad], capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, bad)
            self.assertIn("bad value for --trusted-proxy", p.stderr)


class Issue15Item14DatabaseFile(OperatorTest):
    """The database and its -wal and -shm are made 0600 whatever the
    umask; a second wardd on the same database is refused at start."""

    def test_database_files_are_private(self):
        old = os.umask(0o022)
        try:
            self.wardd.start()
        finally:
            os.umask(old)
        self.ok("activate", "LOCK-0001", expect=201)
        for suffix in ("", "-wal", "-shm", ".lock", ".codekey"):
            path = os.path.join(self.root, "wardd.db" + suffix)
            mode = stat.S_IMODE(os.stat(path).st_mode)
            self.assertEqual(mode & 0o077, 0, "%s is %o" % (path, mode))

    def test_second_wardd_on_the_same_database_is_refused(self):
        self.wardd.start()
        second = subprocess.run([WARDD, "--listen", "127.0.0.1:0",
                                 "--db", os.path.join(self.root, "wardd.db"),
                                 "--sms-outbox", os.path.join(self.root, "outbox")],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(second.returncode, 1)
        self.assertIn("another wardd is serving %s" % os.path.join(self.root, "wardd.db"),
                      second.stderr)
        self.assertNotIn("event=listening", second.stderr)
        self.assertEqual(self.get("/v1/health")[0], 200)     # the first serves on
        # Once the first stopped, a new one starts on it.
        self.wardd.stop()
        self.wardd.start()
        self.assertEqual(self.get("/v1/health")[0], 200)


class Issue15Item14BackupRestore(OperatorTest):
    """server/README.md's backup recipe, run while wardd serves, and its
    restore into a fresh directory: the binding made before still works."""

    def test_backup_while_running_and_restore(self):
        sqlite3_cli = shutil.which("sqlite3")
        if sqlite3_cli is None:
            self.skipTest("the sqlite3 command is not installed (scripts/deps.sh installs it)")
        self.wardd.start()
        self.ok("activate", "LOCK-0001", expect=201)
        probe_register(self.ok, self.root, "alice", PHONE)
        self.ok("upload", "t1", "alice", "LOCK-0001", PHONE, expect=201)
        self.ok("fetch", "t1", "LOCK-0001", expect=200)
        self.ok("confirm", "t1", "LOCK-0001", expect=200)
        self.ok("status", "t1", "alice", "--expect-state", "bound")

        # The recipe, as server/README.md gives it, with wardd running.
        backup = os.path.join(self.root, "wardd-backup.db")
        p = subprocess.run([sqlite3_cli, os.path.join(self.root, "wardd.db"),
                            ".backup '%s'" % backup], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.get("/v1/health")[0], 200)
        self.assertEqual(self.wardd.stop(), 0)

        fresh = os.path.join(self.root, "fresh")
        os.mkdir(fresh)
        shutil.copy(os.path.join(self.root, "factory.pub"), fresh)
        # Restore: the copy put in place while no wardd runs on it.
        restored = os.path.join(fresh, "wardd.db")
        shutil.copyfile(backup, restored)
        os.chmod(restored, 0o600)
        self.wardd = Wardd(fresh, WARDD)
        self.wardd.start()
        self.ok("status", "t1", "alice", "--expect-state", "bound")
        out = self.ok("escrow", "alice", "--task", "t1", expect=200)
        self.assertIn("escrow_ok=1", out)
        out = self.ok("clients", "LOCK-0001", "alice", expect=200)
        self.assertIn('"alice"', out)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    if len(args) < 2:
        sys.exit("usage: test_wardd_operator.py [-v] WARDD WARDD_PROBE")
    WARDD, PROBE = os.path.abspath(args[0]), os.path.abspath(args[1])
    unittest.main(argv=[sys.argv[0]] + flags + args[2:])
