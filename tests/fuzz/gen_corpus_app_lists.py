#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_app_lists into tests/fuzz/corpus/.

Each seed is one byte choosing the parser (0 pending operations, 1 a
lock's clients, 2 the audit) and then an answer as wardd writes it.
Usage: gen_corpus_app_lists.py [corpus dir]
"""
import base64
import json
import os
import sys


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    out = os.path.join(root, "app_lists")
    os.makedirs(out, exist_ok=True)
    request = base64.b64encode(bytes([1, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 30]) +
                               bytes([1, 9]) + b"LOCK-0001" + bytes([2, 16]) +
                               bytes(range(16)) + bytes([3, 1, 1])).decode()
    seeds = {
        "ops": (0, {"ops": [{"op_id": "0a" * 16, "sn": "LOCK-0001",
                             "request": request, "expires_ms": 1700000060000}]}),
        "ops_empty": (0, {"ops": []}),
        "clients": (1, {"clients": [
            {"uid": "erin", "role": "owner", "tid": "00" * 16, "bound": 1700000000},
            {"uid": "dave", "role": "member", "tid": "11" * 16}]}),
        "audit": (2, {"events": [
            {"ts": 1700000001, "event": "op_created", "uid": None, "op": 1,
             "detail": "op 0a1b"},
            {"ts": 1700000002, "event": "op_answered", "uid": "erin", "op": "video"},
            {"event": "bind", "op": 99, "detail": "x" * 200}]}),
    }
    for name, (kind, body) in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([kind]) + json.dumps(body).encode())
    with open(os.path.join(out, "not_a_list"), "wb") as f:
        f.write(b"\x02{\"events\":[7]}")


if __name__ == "__main__":
    main()
