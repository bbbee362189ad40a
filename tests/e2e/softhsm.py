"""A SoftHSM2 token for the end-to-end tests, and a look inside it.

Standard library only. Token(tmpdir) makes a token labelled "ward" (user PIN
1234) in tmpdir, with its own softhsm2.conf: set SOFTHSM2_CONF=token.conf in
a process's environment (token.env()) and that process sees this token and no
system one. token.uri(obj) is the RFC 7512 URI the ward ports take.

token.private_key(label) reads the attributes of the private key labelled
label through PKCS#11 itself (ctypes on the SoftHSM2 module, in a child
process so this one never loads it): whether it is sensitive and
extractable, whether its value can be read, and its public point; the
proof that a key made in the token never leaves it.
"""
import ctypes
import json
import os
import shutil
import subprocess
import sys

MODULES = ("/usr/lib/softhsm/libsofthsm2.so",
           "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
           "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
           "/usr/local/lib/softhsm/libsofthsm2.so")
PIN = "1234"
LABEL = "ward"


def module():
    """The SoftHSM2 module's path, or None when softhsm2 is not installed."""
    if shutil.which("softhsm2-util") is None:
        return None
    for m in MODULES:
        if os.path.exists(m):
            return m
    return None


class Token:
    def __init__(self, tmpdir):
        self.module = module()
        self.dir = os.path.join(tmpdir, "tokens")
        self.conf = os.path.join(tmpdir, "softhsm2.conf")
        self.pin_file = os.path.join(tmpdir, "token.pin")
        os.makedirs(self.dir)
        with open(self.conf, "w") as f:
            f.write("directories.tokendir = %s\nobjectstore.backend = file\n"
                    "log.level = ERROR\n" % self.dir)
        with open(self.pin_file, "w") as f:
            f.write(PIN + "\n")
        os.chmod(self.pin_file, 0o600)
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", LABEL,
                        "--pin", PIN, "--so-pin", "5678"], check=True, capture_output=True,
                       env=self.env())

    def env(self):
        return dict(os.environ, SOFTHSM2_CONF=self.conf)

    def uri(self, obj=None, pin_source=False):
        """The token's URI; obj: the labels' prefix (object=); pin_source:
        the PIN from a file (pin-source=) instead of the URI."""
        path = "token=%s" % LABEL + (";object=%s" % obj if obj else "")
        pin = "pin-source=%s" % self.pin_file if pin_source else "pin-value=%s" % PIN
        return "pkcs11:%s?module-path=%s&%s" % (path, self.module, pin)

    def take_away(self):
        """The token's files moved aside: the token is gone (put_back())."""
        shutil.move(self.dir, self.dir + ".away")
        os.mkdir(self.dir)

    def put_back(self):
        os.rmdir(self.dir)
        shutil.move(self.dir + ".away", self.dir)

    def private_key(self, label):
        """{"count", "sensitive", "extractable", "always_sensitive",
        "never_extractable", "value_readable", "value_rv", "pub"} of the
        private keys labelled label ("count" 0: none, the rest absent)."""
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "inspect", self.module,
                            LABEL, PIN, label], capture_output=True, text=True, timeout=60,
                           env=self.env())
        if p.returncode != 0:
            raise AssertionError("softhsm.py inspect: " + p.stderr)
        return json.loads(p.stdout)

    def labels(self):
        """The labels of every private key in the token."""
        return self.private_key("")["labels"]


# -- the child: PKCS#11 through ctypes (PKCS#11 2.40 numbers) --

CKF_RW_SESSION, CKF_SERIAL_SESSION = 2, 4
CKU_USER = 1
CKA_CLASS, CKA_LABEL, CKA_VALUE = 0x0, 0x3, 0x11
CKA_SENSITIVE, CKA_EXTRACTABLE = 0x103, 0x162
CKA_NEVER_EXTRACTABLE, CKA_ALWAYS_SENSITIVE = 0x164, 0x165
CKA_EC_POINT = 0x181
CKO_PUBLIC_KEY, CKO_PRIVATE_KEY = 2, 3
CKR_OK = 0


class Attr(ctypes.Structure):
    _fields_ = [("type", ctypes.c_ulong), ("pValue", ctypes.c_void_p),
                ("ulValueLen", ctypes.c_ulong)]


def _inspect(module_path, token_label, pin, label):
    lib = ctypes.CDLL(module_path)
    ul = ctypes.c_ulong

    def call(name, *args):
        rv = getattr(lib, name)(*args)
        if rv != CKR_OK:
            raise SystemExit("%s: CKR 0x%x" % (name, rv))

    call("C_Initialize", None)
    n = ul(0)
    call("C_GetSlotList", ctypes.c_ubyte(1), None, ctypes.byref(n))
    slots = (ul * n.value)()
    call("C_GetSlotList", ctypes.c_ubyte(1), slots, ctypes.byref(n))
    slot = None
    for s in slots[:n.value]:
        info = ctypes.create_string_buffer(512)     # CK_TOKEN_INFO: label first
        call("C_GetTokenInfo", ul(s), info)
        if info.raw[:32].decode().rstrip(" ") == token_label:
            slot = s
            break
    if slot is None:
        raise SystemExit("no token " + token_label)
    h = ul(0)
    call("C_OpenSession", ul(slot), ul(CKF_SERIAL_SESSION | CKF_RW_SESSION), None, None,
         ctypes.byref(h))
    call("C_Login", h, ul(CKU_USER), pin.encode(), ul(len(pin)))

    def find(cls, lab):
        c = ul(cls)
        t = [Attr(CKA_CLASS, ctypes.cast(ctypes.byref(c), ctypes.c_void_p),
                  ctypes.sizeof(c))]
        if lab is not None:
            b = ctypes.create_string_buffer(lab.encode(), len(lab))
            t.append(Attr(CKA_LABEL, ctypes.cast(b, ctypes.c_void_p), len(lab)))
        arr = (Attr * len(t))(*t)
        call("C_FindObjectsInit", h, arr, ul(len(t)))
        objs, got = (ul * 64)(), ul(0)
        call("C_FindObjects", h, objs, ul(64), ctypes.byref(got))
        call("C_FindObjectsFinal", h)
        return list(objs[:got.value])

    def attr(obj, kind, size):
        buf = ctypes.create_string_buffer(size)
        a = (Attr * 1)(Attr(kind, ctypes.cast(buf, ctypes.c_void_p), size))
        rv = lib.C_GetAttributeValue(h, ul(obj), a, ul(1))
        return rv, buf.raw[:a[0].ulValueLen] if rv == CKR_OK else None

    if label == "":
        labels = []
        for o in find(CKO_PRIVATE_KEY, None):
            rv, v = attr(o, CKA_LABEL, 256)
            labels.append(v.decode() if rv == CKR_OK else None)
        out = {"labels": sorted(labels)}
    else:
        keys = find(CKO_PRIVATE_KEY, label)
        out = {"count": len(keys)}
        if len(keys) == 1:
            k = keys[0]
            for name, kind in (("sensitive", CKA_SENSITIVE), ("extractable", CKA_EXTRACTABLE),
                               ("always_sensitive", CKA_ALWAYS_SENSITIVE),
                               ("never_extractable", CKA_NEVER_EXTRACTABLE)):
                rv, v = attr(k, kind, 1)
                out[name] = bool(v[0]) if rv == CKR_OK else None
            rv, v = attr(k, CKA_VALUE, 256)
            out["value_readable"] = rv == CKR_OK
            out["value_rv"] = rv
            pubs = find(CKO_PUBLIC_KEY, label)
            if len(pubs) == 1:
                rv, v = attr(pubs[0], CKA_EC_POINT, 128)
                # A DER OCTET STRING (04 41 || point) or the bare point.
                if rv == CKR_OK:
                    out["pub"] = (v[2:] if len(v) == 67 else v).hex()
    lib.C_Logout(h)
    lib.C_CloseSession(h)
    lib.C_Finalize(None)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] != "inspect":
        sys.exit("usage: softhsm.py inspect MODULE TOKEN_LABEL PIN KEY_LABEL")
    print(json.dumps(_inspect(*sys.argv[2:])))
