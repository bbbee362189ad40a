"""Shared helpers of the end-to-end tests: a real wardd process.

Standard library only. Wardd(root, wardd_path, extra) starts the real
server on 127.0.0.1:0 with root/wardd.db, root/outbox and
root/factory.pub, and finds its port in its `event=listening` log line.
"""
import os
import re
import signal
import subprocess
import time


class Wardd:
    """One wardd process on a directory's database and outbox."""

    def __init__(self, root, wardd, extra=()):
        self.root = root
        self.wardd = wardd
        self.extra = list(extra)
        self.proc = None
        self.url = None
        # The first start takes any free port; restarts keep it, so the
        # lock and the app (which remember the URL) find wardd again.
        self.port = 0
        self.log_path = os.path.join(root, "wardd.log")

    def start(self, extra=None):
        if extra is not None:
            self.extra = list(extra)
        offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        log = open(self.log_path, "ab")
        args = [self.wardd, "--listen", "127.0.0.1:%d" % self.port,
                "--db", os.path.join(self.root, "wardd.db"),
                "--sms-outbox", os.path.join(self.root, "outbox"),
                "--factory-pub", os.path.join(self.root, "factory.pub")] + self.extra
        self.proc = subprocess.Popen(args, stderr=log, stdout=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                m = re.search(rb"event=listening addr=(127\.0\.0\.1:\d+)", f.read())
            if m:
                self.url = "http://" + m.group(1).decode()
                self.port = int(m.group(1).decode().rsplit(":", 1)[1])
                return
            if self.proc.poll() is not None:
                raise AssertionError("wardd exited: " + self.log())
            time.sleep(0.02)
        raise AssertionError("wardd did not log its address")

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=20)
        self.proc = None
        return rc

    def log(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()




def outbox_messages(root):
    """Every SMS wardd wrote to root/outbox, oldest first."""
    import json
    d = os.path.join(root, "outbox")
    if not os.path.isdir(d):
        return []
    msgs = []
    for n in sorted(n for n in os.listdir(d) if not n.startswith(".")):
        with open(os.path.join(d, n)) as f:
            msgs.append(json.load(f))
    return msgs


SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")
