#!/usr/bin/env python3
"""End to end: the flows' expiries on secure time (issue 18, item 2:
"every expiry check in every flow uses this clock"), with the real wardd
and the real `ward`.

usage: test_time_expiry_e2e.py [-v] WARD WARDD

A lock (flow A) or a device (flow D) given time keys (`ward ROLE time`)
measures its expiries on secure time, not on its host's wall clock. The
tests set that wall clock wrong with the test-only WARD_TEST_CLOCK_SKEW_MS
(the CLI's wall clock honours it), and move the true time on with a time
server that says a later time (WARDD_TEST_TIME_SKEW_MS: the minutes of a
bind task's or a pairing window's life pass in a second, while the role's
wall clock, like a stopped one, does not see them). Each test asserts the
effect: what has expired binds nothing, what has not binds, whatever the
wall clock says. Standard library only.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wardlib  # noqa: E402
from gwlib import free_udp_port  # noqa: E402
from wardlib import Wardd, WardCli  # noqa: E402

MIN_MS = 60 * 1000
DAY_MS = 24 * 60 * MIN_MS
BIND_TTL_MS = 10 * MIN_MS       # WARD_BIND_TTL_MS
WINDOW_MS = 3 * MIN_MS          # WARD_DEV_WINDOW_MS
SERVER_SKEW = "WARDD_TEST_TIME_SKEW_MS"
WALL_SKEW = "WARD_TEST_CLOCK_SKEW_MS"
ALICE = ("alice", "+15550001111")
DEV = "TIME-LAMP-1"


class Device:
    """`ward device run --time-every 1`, its wall clock wall_skew ms off,
    its output lines collected as they come."""

    def __init__(self, ward, ddir, port, server, wall_skew):
        env = dict(os.environ)
        env[WALL_SKEW] = str(wall_skew)
        self.proc = subprocess.Popen(
            [ward, "device", "run", "--dir", ddir, "--listen", "127.0.0.1:%d" % port,
             "--server", server, "--no-far", "--time-every", "1"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        self.lines, self.errs = [], []
        self.cv = threading.Condition()
        for f, into in ((self.proc.stdout, self.lines), (self.proc.stderr, self.errs)):
            threading.Thread(target=self.read, args=(f, into), daemon=True).start()

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

    def mark(self):
        with self.cv:
            return len(self.lines)

    def button(self):
        """A new pairing window (a line on standard input): its PIN."""
        at = self.mark()
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        self.wait_line(r"^pairing window open", start=at)
        return self.wait_line(r"^PIN: (\d{6})$", start=at).group(1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=20)
        self.proc.stdin.close()
        return rc


class ExpiryTest(WardCli, unittest.TestCase):
    def setUp(self):
        self.make_root("ward-time-expiry-e2e-")
        self.start_wardd()
        self.time_root = self.path("time")
        os.mkdir(self.time_root)
        shutil.copy(self.path("factory.pub"), os.path.join(self.time_root, "factory.pub"))
        self.clock = Wardd(self.time_root, WardCli.wardd_binary)
        self.time_server(None)

    def tearDown(self):
        try:
            self.clock.stop()
            self.assert_no_sanitizer_report(self.clock.log())
        finally:
            self.clean_up()

    def time_server(self, skew):
        """The time server (re)started, saying the true time moved on by
        skew ms (None: honest)."""
        if self.clock.proc is not None:
            self.clock.stop()
        env = os.environ.pop(SERVER_SKEW, None)
        if skew is not None:
            os.environ[SERVER_SKEW] = str(skew)
        try:
            self.clock.start()
        finally:
            os.environ.pop(SERVER_SKEW, None)
            if env is not None:
                os.environ[SERVER_SKEW] = env

    def time_args(self):
        return ["--time-key", os.path.join(self.time_root, "wardd.db.timepub"),
                "--time-url", self.clock.url]

    def ward_at(self, wall_skew, *args):
        """`ward` with its wall clock wall_skew ms off: (rc, out, err)."""
        env = dict(os.environ)
        env[WALL_SKEW] = str(wall_skew)
        p = subprocess.run([WardCli.binary] + list(args), capture_output=True, text=True,
                           env=env, timeout=120)
        self.assert_no_sanitizer_report(p.stderr)
        return p.returncode, p.stdout, p.stderr

    def lock_with_time(self):
        lock = self.init_lock("TIME-LOCK-1", "lock")
        self.ward_ok("lock", "time", "--dir", lock, *self.time_args())
        return lock

    def bound_uids(self, lock):
        out = self.ward_ok("lock", "clients", "--dir", lock, "--json")
        return sorted(c["uid"] for c in json.loads(out)["clients"])

    def start_binding(self, lock, app, wall_skew=0):
        qr = self.path("qr.png")
        rc, out, err = self.ward_at(wall_skew, "lock", "bind-start", "--dir", lock, "--phone",
                                    ALICE[1], "--qr-out", qr)
        self.assertEqual(rc, 0, err)
        self.ward_ok("app", "scan", "--dir", app, "--qr", qr)
        return self.code_for(ALICE[1])

    def test_expired_bind_task_refused_though_the_wall_clock_stopped(self):
        lock = self.lock_with_time()
        app = self.register(ALICE)
        code = self.start_binding(lock, app)
        # Eleven minutes pass (the task lives ten); the lock's wall clock
        # does not see them. It learns the time from its time server.
        self.time_server(BIND_TTL_MS + MIN_MS)
        self.ward_ok("lock", "time", "--dir", lock)
        rc, out, err = self.ward_at(0, "lock", "bind-finish", "--dir", lock, "--code", code)
        self.assertNotEqual(rc, 0, "an expired task bound:\n%s%s" % (out, err))
        self.assertRegex(err, "expired")
        self.assertEqual(self.bound_uids(lock), [])

    def test_genuine_binding_with_the_wall_clock_wrong(self):
        lock = self.lock_with_time()
        app = self.register(ALICE)
        # A day behind when the task starts, a day ahead when the code is
        # typed: on its wall clock the task would be refused either way.
        code = self.start_binding(lock, app, wall_skew=-DAY_MS)
        rc, out, err = self.ward_at(DAY_MS, "lock", "bind-finish", "--dir", lock, "--code", code)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.bound_uids(lock), [ALICE[0]])

    def test_no_time_no_expiry_told(self):
        """Time keys but no server answering on this boot: the lock cannot
        tell a task's age, so it starts none (fails closed)."""
        lock = self.init_lock("TIME-LOCK-2", "lock2")
        self.ward_ok("lock", "time", "--dir", lock, *self.time_args())
        os.remove(os.path.join(lock, "time.sync"))
        self.clock.stop()
        rc, out, err = self.ward_at(0, "lock", "bind-start", "--dir", lock, "--phone", ALICE[1],
                                    "--qr-out", self.path("qr2.png"))
        self.assertNotEqual(rc, 0, out)
        self.assertIn("secure time unknown", err)
        self.assertFalse(os.path.exists(self.path("qr2.png")))
        # The time server back: the lock syncs on its own and starts the task.
        self.time_server(None)
        rc, out, err = self.ward_at(0, "lock", "bind-start", "--dir", lock, "--phone", ALICE[1],
                                    "--qr-out", self.path("qr2.png"))
        self.assertEqual(rc, 0, err)


    def test_expired_pairing_window_refused_though_the_wall_clock_is_off(self):
        d = self.path("dev")
        self.ward_ok("device", "init", "--dir", d, "--id", DEV, "--server", self.url,
                     "--factory-key", self.path("factory", "factory.key"), "--name", "Lamp")
        self.ward_ok("device", "time", "--dir", d, *self.time_args())
        port = free_udp_port()
        dev = Device(WardCli.binary, d, port, self.url, -DAY_MS)
        try:
            dev.wait_line(r"near coap://")
            pin = dev.wait_line(r"^PIN: (\d{6})$").group(1)
            # Four minutes pass (the window lives three); the device's
            # wall clock, a day off, does not see them; its time keeper
            # (every second) learns them from the time server.
            self.time_server(WINDOW_MS + MIN_MS)
            # Two syncs after the restart: the second began after it.
            at = dev.mark()
            dev.wait_line(r"time synced", start=at)
            dev.wait_line(r"time synced", start=dev.mark())
            app = self.path("app1")
            rc, out, err = self.ward("app", "pair", "--dir", app, "--device", DEV, "--near",
                                     "127.0.0.1:%d" % port, "--pin", pin, "--no-attach")
            self.assertNotEqual(rc, 0, "paired in an expired window:\n%s%s" % (out, err))
            self.assertFalse(os.path.exists(os.path.join(app, "devices", DEV + ".json")))
            # A window opened now, on the device's secure time, pairs.
            pin = dev.button()
            rc, out, err = self.ward("app", "pair", "--dir", app, "--device", DEV, "--near",
                                     "127.0.0.1:%d" % port, "--pin", pin, "--no-attach")
            self.assertEqual(rc, 0, out + err)
            self.assertTrue(os.path.exists(os.path.join(app, "devices", DEV + ".json")))
        finally:
            self.assertEqual(dev.stop(), 0, "\n".join(dev.errs))
            self.assert_no_sanitizer_report("\n".join(dev.errs))


if __name__ == "__main__":
    wardlib.main_args(__doc__)
    wardlib.run_tests()
