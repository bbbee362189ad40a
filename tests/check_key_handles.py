#!/usr/bin/env python3
"""No public call takes or holds a raw long-term private key (issue 16, item 2).

Every long-term key (lock and device identity, app client key, factory
key, SE host key) signs and does ECDH through the keystore port
(ward_keystore.h), by handle, so it can live in a token. This checks the
public headers: no function declared there has a parameter named like a
private key, and no public struct has such a field, except the crypto
suite's primitives for session and ephemeral keys (ward_suite.h,
ward_crypto.h: the port) and the software keystore's own import and
export (the one place a key file's key enters or leaves a keystore).
Before the checks it runs them on made-up headers, so a checker that
catches nothing fails too.

Usage: check_key_handles.py SOURCE_DIR
"""
import re
import sys
from pathlib import Path

# The crypto port and suite: ephemeral and session keys are theirs.
EXEMPT_HEADERS = {"ward_crypto.h", "ward_suite.h"}
# Functions allowed a private-key parameter: the software keystore's import
# and export, where the key file's key enters or leaves it.
ALLOWED_FUNCS = {"ward_keystore_soft_load", "ward_keystore_soft_export"}
# Struct fields allowed: the software keystore's slots; an ephemeral key.
ALLOWED_FIELDS = {("ward_keystore_soft", "priv")}

PRIV = re.compile(r"\b(\w*_)?priv(_\w*)?\b")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r"^\s*#[^\n]*(\\\n[^\n]*)*", " ", text, flags=re.M)


def struct_bodies(text):
    """(name, body) of each struct, the name its typedef's."""
    out = []
    for m in re.finditer(r"typedef\s+struct\s+\w*\s*\{", text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        name = re.match(r"\s*(\w+)", text[i:])
        out.append((name.group(1) if name else "?", text[m.end():i - 1]))
    return out


def breaches(name, text):
    text = strip_comments(text)
    found = []
    for sname, body in struct_bodies(text):
        for field in re.findall(r"\b(\w+)\s*(?:\[[^\]]*\])?\s*;", body):
            if PRIV.fullmatch(field) and (sname, field) not in ALLOWED_FIELDS:
                found.append(f"{name}: struct {sname} holds a private key ({field})")
    flat = re.sub(r"typedef\s+struct\s+\w*\s*\{.*?\}\s*\w+\s*;", " ", text, flags=re.S)
    for m in re.finditer(r"\b(ward_\w+)\s*\(([^;{]*?)\)\s*;", flat):
        func, params = m.group(1), m.group(2)
        if func in ALLOWED_FUNCS:
            continue
        for p in params.split(","):
            words = re.findall(r"\w+", p.split("[")[0])
            if words and PRIV.fullmatch(words[-1]):
                found.append(f"{name}: {func}() takes a raw private key ({words[-1]})")
    return found


def self_test():
    bad_func = ("ward_err ward_escrow_make(const ward_crypto *cp,\n"
                "    const uint8_t client_priv[WARD_P256_SCALAR_LEN], int x);\n")
    bad_field = ("typedef struct ward_app {\n    char user[8];\n"
                 "    uint8_t priv[WARD_P256_SCALAR_LEN];\n} ward_app;\n")
    good = ("/* client_priv in a comment */\n"
            "ward_err ward_escrow_make_by(const ward_crypto *cp, const ward_keystore *ks,\n"
            "    ward_key_id id, uint8_t out[4]);\n"
            "ward_err ward_keystore_soft_load(ward_keystore_soft *s, ward_key_id id,\n"
            "    const uint8_t priv[WARD_P256_SCALAR_LEN]);\n"
            "typedef struct ward_keystore_soft {\n    struct {\n        ward_key_id id;\n"
            "        uint8_t priv[32];\n    } keys[2];\n} ward_keystore_soft;\n"
            "typedef struct ward_x {\n    bool private_flag;\n    int privacy;\n} ward_x;\n")
    ok = True
    if len(breaches("bad_func.h", bad_func)) != 1:
        print("self-test: a function taking client_priv was not caught", file=sys.stderr)
        ok = False
    if len(breaches("bad_field.h", bad_field)) != 1:
        print("self-test: a struct holding priv was not caught", file=sys.stderr)
        ok = False
    got = breaches("good.h", good)
    if got:
        print("self-test: flagged what is allowed: " + "; ".join(got), file=sys.stderr)
        ok = False
    return ok


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    if not self_test():
        return 1
    headers = sorted(Path(sys.argv[1], "include", "ward").glob("*.h"))
    if not headers:
        print("no public headers under " + sys.argv[1], file=sys.stderr)
        return 1
    found = []
    for h in headers:
        if h.name not in EXEMPT_HEADERS:
            found += breaches(h.name, h.read_text())
    for f in found:
        print(f, file=sys.stderr)
    print(f"{len(headers)} public headers checked, {len(found)} raw private keys found")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
