"""Shared helpers of the end-to-end tests: a real wardd process.

Standard library only. Wardd(root, wardd_path, extra) starts the real
server on 127.0.0.1:0 with root/wardd.db, root/outbox and
root/factory.pub, and finds its port in its `event=listening` log line.

Every answer that wardd sends is recorded (WARDD_TEST_RECORD, see
server/record.h) in root/wardd.answers.jsonl and checked against
docs/openapi.json when the test stops wardd (openapi_check.py): an
undocumented route, status or body fails the test.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port free now (TCP by default; SOCK_DGRAM for UDP):
    nobody listens on it until the caller's process binds it."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_udp_port():
    return free_port(socket.SOCK_DGRAM)


def free_tcp_port():
    return free_port(socket.SOCK_STREAM)


class Wardd:
    """One wardd process on a directory's database and outbox."""

    def __init__(self, root, wardd, extra=(), listen="127.0.0.1"):
        self.root = root
        self.listen = listen            # another address: reachable from a netns
        self.wardd = wardd
        self.extra = list(extra)
        self.proc = None
        self.url = None
        # The first start takes any free port; restarts keep it, so the
        # lock and the app (which remember the URL) find wardd again.
        self.port = 0
        self.log_path = os.path.join(root, "wardd.log")
        self.record_path = os.path.join(root, "wardd.answers.jsonl")
        self.record_checked = 0         # bytes of the record already checked
        self.tampered_at = None         # see tampered()
        self.listened = False

    def start(self, extra=None):
        if extra is not None:
            self.extra = list(extra)
        offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        log = open(self.log_path, "ab")
        args = [self.wardd, "--listen", "%s:%d" % (self.listen, self.port),
                "--db", os.path.join(self.root, "wardd.db"),
                "--sms-outbox", os.path.join(self.root, "outbox"),
                "--factory-pub", os.path.join(self.root, "factory.pub")] + self.extra
        env = dict(os.environ, WARDD_TEST_RECORD=self.record_path)
        self.proc = subprocess.Popen(args, stderr=log, stdout=subprocess.DEVNULL, env=env)
        log.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                m = re.search(rb"event=listening addr=([0-9.]+:\d+)", f.read())
            if m:
                self.url = "http://" + m.group(1).decode()
                self.port = int(m.group(1).decode().rsplit(":", 1)[1])
                self.listened = True
                return
            if self.proc.poll() is not None:
                raise AssertionError("wardd exited: " + self.log())
            time.sleep(0.02)
        raise AssertionError("wardd did not log its address")

    def stop(self, sig=signal.SIGTERM):
        """Stops wardd, then checks the answers it sent since the last
        check against docs/openapi.json (AssertionError on any problem)."""
        if self.proc is None:
            self.check_answers()
            return None
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=20)
        self.proc = None
        self.check_answers(killed=sig == signal.SIGKILL)
        return rc

    def tampered(self):
        """The test has just altered wardd's database behind its back (a
        hostile wardd): what wardd answers from now on until it is stopped
        may be outside the document by design, and is not checked."""
        self.tampered_at = (os.path.getsize(self.record_path)
                            if os.path.exists(self.record_path) else 0)

    def check_answers(self, killed=False):
        """Every answer recorded since the last check, against the
        document; killed: wardd may have died in the middle of a line."""
        import openapi_check
        if not self.listened:
            return
        if not os.path.exists(self.record_path):
            raise AssertionError("wardd recorded no answers in %s: is WARDD_TEST_RECORD "
                                 "honoured?" % self.record_path)
        with open(self.record_path, "rb") as f:
            f.seek(self.record_checked)
            data = f.read()
        if killed and data and not data.endswith(b"\n"):
            # The next wardd appends after a line cut short: end it.
            with open(self.record_path, "ab") as f:
                f.write(b"\n")
            data += b"\n"
        self.record_checked += len(data)
        if self.tampered_at is not None:
            # A line cut at the offset is whole again after the cut.
            data = data[:max(0, self.tampered_at - (self.record_checked - len(data)))]
            data = data[:data.rfind(b"\n") + 1]
            self.tampered_at = None
        lines = data.decode("utf-8", errors="surrogateescape").split("\n")
        checker = openapi_check.load(openapi_check.default_doc())
        problems = openapi_check.check_lines(lines, checker, partial_last_ok=killed)
        if problems:
            raise AssertionError("wardd answered outside docs/openapi.json:\n  " +
                                 "\n  ".join(problems[:20]) +
                                 ("\n  (%d more)" % (len(problems) - 20)
                                  if len(problems) > 20 else ""))

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


def phone_code(root, phone, uid):
    """The code of the last SMS wardd sent to phone to verify account uid's
    phone (POST /v1/users), or None."""
    text = re.compile(r"^ward code (\d{6}): verify phone for account (\S+)\. ")
    for m in reversed(outbox_messages(root)):
        got = text.match(m["text"])
        if m["phone"] == phone and got and got.group(2) == uid:
            return got.group(1)
    return None


def bind_messages(root, phone=None):
    """The bind-code SMS in root/outbox (not the phone codes), oldest first."""
    return [m for m in outbox_messages(root)
            if " binding lock " in m["text"] and (phone is None or m["phone"] == phone)]


def app_register(run, root, d, server, uid, phone):
    """`ward app register` as a person without a terminal does it, the one
    way every test makes an app account: the first command texts a code to
    the phone and exits non-zero saying how to finish; the code read from
    root/outbox finishes it. run(args, stdin) runs `ward` and answers
    (exit code, output). Answers d."""
    rc, text = run(["app", "register", "--dir", d, "--server", server, "--user", uid,
                    "--phone", phone], "")
    if rc == 0 or ("ward app register --dir %s --code" % d) not in text:
        raise AssertionError("register should wait for the code (%d):\n%s" % (rc, text))
    code = phone_code(root, phone, uid)
    if code is None:
        raise AssertionError("no phone code for %s in the outbox" % uid)
    rc, text = run(["app", "register", "--dir", d, "--code", code], None)
    if rc != 0 or "phone verified" not in text:
        raise AssertionError("register --code failed (%d):\n%s" % (rc, text))
    return d


def probe_register(ok, root, uid, phone, expect=201):
    """An account made with a probe and its phone verified, as an app does
    it: `register UID PHONE` (wardd texts a code) then `verify UID CODE`
    with the code read from root/outbox. ok(*args, expect=) runs the probe
    and fails the test unless it succeeds."""
    ok("register", uid, phone, expect=expect)
    code = phone_code(root, phone, uid)
    if code is None:
        raise AssertionError("no phone code for %s in the outbox" % uid)
    ok("verify", uid, code, expect=200)


def bind_code(root, phone):
    """The code of the last bind-code SMS wardd sent to phone."""
    msgs = bind_messages(root, phone)
    if not msgs:
        raise AssertionError("no bind code for %s in the outbox" % phone)
    return re.search(r"\b(\d{6})\b", msgs[-1]["text"]).group(1)


# -- the setup every flow needs: wardd, a lock, an app, a binding --
#
# Functions of ok(*args), which runs `ward` and fails the test unless it
# exits 0 (answering its stdout), so a class-level setup can use them too;
# WardCli's methods of the same names call them with its own ward_ok.

def start_wardd(ok, root, wardd, extra=()):
    """The manufacturer key made in root/factory, and a wardd started on
    root that trusts it (root/factory.pub). Answers the Wardd."""
    ok("factory", "keygen", "--out", os.path.join(root, "factory"))
    shutil.copy(os.path.join(root, "factory", "factory.pub"), os.path.join(root, "factory.pub"))
    w = Wardd(root, wardd, extra)
    w.start()
    return w


def init_lock(ok, root, d, sn, server, *extra):
    """`ward lock init` of lock sn in d, activated at server with the key
    start_wardd() made. Answers d."""
    ok("lock", "init", "--dir", d, "--sn", sn, "--server", server,
       "--factory-key", os.path.join(root, "factory", "factory.key"), *extra)
    return d


def bind_first(ok, root, lock, app, phone, qr):
    """Flow A for a lock with no owner yet: the lock shows its QR code (in
    the file qr), the app scans it, the code wardd texted to phone is typed
    on the lock."""
    ok("lock", "bind-start", "--dir", lock, "--phone", phone, "--qr-out", qr)
    ok("app", "scan", "--dir", app, "--qr", qr)
    ok("lock", "bind-finish", "--dir", lock, "--code", bind_code(root, phone))


SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")

# A request `ward app pending` lists: its id, the lock and what it asks.
PENDING = re.compile(r"^([0-9a-f]{32})  lock (\S+) asks to (.+?)( - asked of \S+)? \(", re.M)
# One event of `ward lock audit`: event, who, detail.
AUDIT = re.compile(r"^\s*\d+ \S+ (\S+)\s+(\S+)\s+(\S*)$", re.M)


class WardCli:
    """What a TestCase that drives the `ward` CLI needs: set WardCli.binary
    (the path of `ward`) and WardCli.wardd_binary before the tests run
    (main_args() does), and self.root in setUp (make_root() does)."""

    binary = None
    wardd_binary = None

    # -- the test's directory and what it started --

    def make_root(self, prefix):
        """A fresh directory (self.root) for the test; nothing started yet."""
        self.tmp = tempfile.TemporaryDirectory(prefix=prefix)
        self.root = self.tmp.name
        self.procs = []
        self.proxy = None
        self.wardd = None

    def clean_up(self):
        """Ends what the test started, whatever it came to: the processes
        spawn() made are killed, the proxy closed, wardd stopped (its
        answers checked against docs/openapi.json, its log free of
        sanitizer reports), the directory removed."""
        try:
            for p in self.procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            if self.proxy is not None:
                self.proxy.close()
            if self.wardd is not None:
                self.wardd.stop()
                self.assert_no_sanitizer_report(self.wardd.log())
        finally:
            self.tmp.cleanup()

    def start_wardd(self, extra=()):
        """start_wardd() on self.root: self.wardd, and self.url its URL
        (the server init_lock() and register() use unless told another)."""
        self.wardd = start_wardd(self.ward_ok, self.root, WardCli.wardd_binary, extra)
        self.url = self.wardd.url
        return self.wardd

    def init_lock(self, sn, name, server=None, *extra):
        """init_lock() in self.root/name, at server (default self.url)."""
        return init_lock(self.ward_ok, self.root, self.path(name), sn, server or self.url,
                         *extra)

    def register(self, who, server=None):
        """register_app() for who = (uid, phone) in self.root/uid."""
        return self.register_app(self.path(who[0]), server or self.url, who[0], who[1])

    def code_for(self, phone):
        return bind_code(self.root, phone)

    def bind_first(self, who, app, lock):
        """bind_first() of who = (uid, phone)'s app to lock."""
        qr = self.path("qr-%s-%s.png" % (who[0], os.path.basename(lock)))
        bind_first(self.ward_ok, self.root, lock, app, who[1], qr)

    def spawn(self, *args):
        """`ward` started, not waited for (finish() waits; clean_up() kills it)."""
        p = subprocess.Popen([WardCli.binary] + list(args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def finish(self, p, timeout=90):
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err

    def wait_pending(self, app, timeout=20, lock_proc=None):
        """The first request pending for app, once `ward app pending` lists
        one: (op_id, what it asks, the lock). lock_proc: the requesting
        `ward` process, whose words go into the failure when none came."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = PENDING.search(self.ward_ok("app", "pending", "--dir", app))
            if m:
                return m.group(1), m.group(3), m.group(2)
            time.sleep(0.1)
        said = ""
        if lock_proc is not None:
            lock_proc.kill()
            said = "; the lock said: %r" % (lock_proc.communicate(),)
        self.fail("no pending request reached %s%s" % (app, said))

    def audit(self, lock):
        """The lock's audit: (event, who, detail) a line."""
        return AUDIT.findall(self.ward_ok("lock", "audit", "--dir", lock))

    def executions(self, lock):
        return [a for a in self.audit(lock) if a[0] == "executed"]

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def ward(self, *args, stdin=None, timeout=120):
        p = subprocess.run([WardCli.binary] + list(args), capture_output=True, text=True,
                           input=stdin, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def ward_ok(self, *args, stdin=None):
        rc, out, err = self.ward(*args, stdin=stdin)
        self.assertEqual(rc, 0, "ward %s failed (%d):\n%s%s" % (" ".join(args), rc, out, err))
        return out

    def ward_fails(self, *args, rc=None, expect=None, timeout=60):
        """`ward` must fail (with exit code rc when given, stderr matching
        the regex expect when given) and report no sanitizer finding."""
        got, out, err = self.ward(*args, timeout=timeout)
        self.assertNotEqual(got, 0, "ward %s should have failed:\n%s%s" %
                            (" ".join(args), out, err))
        if rc is not None:
            self.assertEqual(got, rc, "ward %s: %s%s" % (" ".join(args), out, err))
        if expect:
            self.assertRegex(err, expect)
        self.assert_no_sanitizer_report(err)
        return err

    def register_app(self, d, server, uid, phone, outbox_root=None):
        """app_register() with this test's `ward` and outbox (wardd's root,
        default self.root). Answers d."""
        def run(args, stdin):
            rc, out, err = self.ward(*args, stdin=stdin)
            return rc, out + err
        return app_register(run, outbox_root or self.root, d, server, uid, phone)

    def assert_no_sanitizer_report(self, text):
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, text)


DOWN = b'{"error": "unavailable", "message": "wardd is down"}'


class HostileProxy:
    """A man in the middle between the ward roles and wardd: the hostile
    server of the threat model. It forwards every request to wardd and
    answers with wardd's reply, unless the test installs a hook:

        proxy.on_response = lambda method, path, status, body: (status, body)
        proxy.on_request = lambda method, path, body: None or (status, body)

    on_request answers in wardd's place (without asking it) when it returns
    a (status, body) pair.

    It also records the bodies it saw, so a test can replay one later:
    proxy.seen is a list of (method, path, request_body, status,
    response_body). Standard library only; loopback only.
    """

    def __init__(self, upstream):
        import http.server
        import threading
        import urllib.request

        self.upstream = upstream
        self.on_response = None
        self.on_request = None
        self.seen = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                if proxy.on_request is not None:
                    made = proxy.on_request(self.command, self.path, body)
                    if made is not None:
                        proxy.seen.append((self.command, self.path, body) + tuple(made))
                        self.reply(*made)
                        return
                req = urllib.request.Request(proxy.upstream + self.path, data=body or None,
                                             method=self.command)
                for k, v in self.headers.items():
                    if k.lower() not in ("host", "content-length", "connection"):
                        req.add_header(k, v)
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        status, rbody = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, rbody = e.code, e.read()
                except OSError:
                    status, rbody = 502, DOWN
                proxy.seen.append((self.command, self.path, body, status, rbody))
                if proxy.on_response is not None:
                    status, rbody = proxy.on_response(self.command, self.path, status, rbody)
                self.reply(status, rbody)

            def reply(self, status, rbody):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(rbody)))
                self.end_headers()
                self.wfile.write(rbody)

            do_GET = forward
            do_POST = forward

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a peer that hangs up (wardd stopped) is part of the tests

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def bodies(self, method, pattern):
        """(request body, response body) of every exchange whose path
        matches the regular expression, oldest first."""
        return [(b, rb) for m, p, b, s, rb in self.seen
                if m == method and re.search(pattern, p)]


# -- wardd's log lines (server/README.md, "Logs") --

# A field is key=value; a value is bare (printable ASCII but space, '"',
# '\' and '=') or quoted, with \" \\ and \xNN inside the quotes.
_LOG_FIELD = re.compile(rb'([a-z_][a-z0-9_]*)=(?:"((?:[ !#-\[\]-~]|\\["\\]|\\x[0-9a-f]{2})*)"'
                        rb'|([!#-<>-\[\]-~]*))')


def _log_unescape(q):
    out = bytearray()
    i = 0
    while i < len(q):
        if q[i] == 0x5C and q[i + 1] == 0x78:        # \xNN
            out.append(int(q[i + 2:i + 4], 16))
            i += 4
        elif q[i] == 0x5C:                           # \" or \\
            out.append(q[i + 1])
            i += 2
        else:
            out.append(q[i])
            i += 1
    return bytes(out)


def parse_log_line(line):
    """The fields of one wardd log line (bytes, without its newline) as a
    list of (key, value bytes), quoted values unescaped. Raises ValueError
    when the line is not exactly of the documented form, so no value can
    have been read as a field of its own."""
    fields = []
    pos = 0
    while True:
        m = _LOG_FIELD.match(line, pos)
        if m is None:
            raise ValueError("not a log field at %d: %r" % (pos, line))
        value = _log_unescape(m.group(2)) if m.group(2) is not None else m.group(3)
        fields.append((m.group(1).decode(), value))
        pos = m.end()
        if pos == len(line):
            return fields
        if line[pos:pos + 1] != b" ":
            raise ValueError("no space after a field at %d: %r" % (pos, line))
        pos += 1


def connect_from(url, source, timeout=10):
    """A raw TCP connection to wardd's http://127.0.0.1:PORT from a chosen
    source address: Linux routes all of 127/8 to lo, so 127.0.0.2, ... are
    other clients as far as wardd can tell."""
    import socket
    host, port = url[len("http://"):].rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect((host, int(port)))
    return s


def peer_closed(sock):
    """True when wardd has closed (or reset) the connection: it is readable
    with no data, or sending fails."""
    import select
    p = select.poll()                    # select() stops at descriptor 1023
    p.register(sock, select.POLLIN)
    if not p.poll(0):
        return False
    try:
        return sock.recv(1, 0x40) == b""             # MSG_DONTWAIT
    except BlockingIOError:
        return False
    except OSError:
        return True


# -- a test file's command line --

def main_args(doc):
    """WARD WARDD from a test file's command line (its usage, doc, when
    they are missing), set as WardCli.binary and WardCli.wardd_binary."""
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    if len(args) < 2:
        sys.exit(doc)
    WardCli.binary, WardCli.wardd_binary = (os.path.abspath(a) for a in args[:2])
    return WardCli.binary, WardCli.wardd_binary


def run_tests():
    """unittest on the rest of the command line (flags, test names)."""
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    unittest.main(argv=[sys.argv[0]] + flags + args[2:])
