#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_httpsig_parse into tests/fuzz/corpus/.

Each seed is a Signature-Input value, a newline, a Signature value, as
ward_httpsig_headers() writes them (and a few near misses).
Usage: gen_corpus_httpsig.py [corpus dir]
"""
import base64
import os
import sys

COMPONENTS = '("@method" "@path" "@query" "content-digest")'


def pair(created, nonce, keyid, sig):
    inp = 'ward=%s;created=%d;nonce="%s";keyid="%s";alg="ecdsa-p256-sha256"' % (
        COMPONENTS, created, nonce, keyid)
    return (inp + "\n" + "ward=:%s:" % base64.b64encode(sig).decode()).encode()


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    out = os.path.join(root, "httpsig_parse")
    os.makedirs(out, exist_ok=True)
    nonce = bytes(range(16)).hex()
    seeds = {
        "user": pair(1700000000, nonce, "user:alice", bytes(range(64))),
        "lock": pair(1700000300, "f" * 32, "lock:LOCK-0001", bytes(64)),
        "zero": pair(0, "0" * 32, "u", b"\xff" * 64),
        "long_keyid": pair(999999999999, nonce, "user:" + "x" * 64, bytes(range(64, 128))),
        "leading_zero": pair(1700000000, nonce, "user:bob", bytes(64)).replace(
            b"created=1", b"created=01"),
        "short_sig": pair(1700000000, nonce, "user:bob", bytes(63)),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
