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
        self.record_path = os.path.join(root, "wardd.answers.jsonl")
        self.record_checked = 0         # bytes of the record already checked
        self.tampered_at = None         # see tampered()
        self.listened = False

    def start(self, extra=None):
        if extra is not None:
            self.extra = list(extra)
        offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        log = open(self.log_path, "ab")
        args = [self.wardd, "--listen", "127.0.0.1:%d" % self.port,
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
                m = re.search(rb"event=listening addr=(127\.0\.0\.1:\d+)", f.read())
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


SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


class WardCli:
    """What a TestCase that drives the `ward` CLI needs: set WardCli.binary
    (the path of `ward`) before the tests run, and self.root in setUp."""

    binary = None

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
