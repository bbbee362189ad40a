#!/usr/bin/env python3
"""Writes the seed corpora of the flow B harnesses into tests/fuzz/corpus/.

op_request and near_hello get real messages; approval and revoke get
control bytes for their harnesses, which build the valid sealed message
themselves and XOR the rest of the input over it (see fuzz_lock.h).
Usage: gen_corpus_op.py [corpus dir]
"""
import os
import struct
import sys


def hdr(body, typ, flags=0):
    return bytes([1, typ, flags, 0]) + struct.pack(">IH", 0, len(body)) \
        + b"\x00" + body


def tlv(tag, val):
    return bytes([tag, len(val)]) + val


NONCE = bytes(range(16))
EXPIRES = struct.pack(">Q", 1700000060000)


def request(op, target=None, sn=b"LOCK-0001"):
    body = tlv(1, sn) + tlv(2, NONCE) + tlv(3, bytes([op]))
    if target is not None:
        body += tlv(4, target)
    return hdr(body + tlv(5, EXPIRES), 0x20)


SEEDS = {
    "op_request": {
        "unlock": request(1),
        "add_client_target": request(4, b"bob@example.org"),
        "bad_op": request(9),
        "short": request(1)[:-3],
    },
    "near_hello": {
        "unlock": hdr(tlv(1, b"alice") + tlv(2, b"\x01"), 0x24),
        "bad_uid": hdr(tlv(1, b"al ce") + tlv(2, b"\x01"), 0x24),
        "extra_field": hdr(tlv(1, b"alice") + tlv(2, b"\x03")
                           + tlv(3, b"x"), 0x24),
    },
    # byte 0: mode (0 raw, 1 alice's allow, 2 bob's deny) | 4 add client
    # | 8 target bob; the rest is XORed over the valid message.
    "approval": {
        "raw_empty": b"\x00",
        "allow": b"\x01",
        "deny": b"\x02",
        "add_client": b"\x05",
        "target_bob": b"\x09",
        "flags_flipped": b"\x01\x00\x00\x04",
        "tag_flipped": b"\x01" + b"\x00" * 77 + b"\x01",
    },
    # byte 0 % 3: mode (0 raw, 1 owner revokes member, 2 member the owner)
    "revoke": {
        "raw_empty": b"\x00",
        "valid": b"\x01",
        "refused": b"\x02",
        "nonce_flipped": b"\x01" + b"\x00" * 22 + b"\x80",
    },
    # byte 0 % 3: mode (0 raw, 1 the lock's genuine REVOKE_RESULT patched,
    # 2 its answer to the same REVOKE delivered again, patched). The
    # genuine one: header 0..10, uid 11..17, nonce 18..32, ciphertext 33..
    "revoke_result": {
        "raw_empty": b"\x00",
        "genuine": b"\x01",
        "again": b"\x02",
        "uid_flipped": b"\x01" + b"\x00" * 13 + b"\x01",
        "nonce_flipped": b"\x01" + b"\x00" * 24 + b"\x01",
        "tag_flipped": b"\x01" + b"\x00" * 40 + b"\x80",
        "extended": b"\x01" + b"\x00" * 77 + b"\x07",
    },
}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    for name, seeds in SEEDS.items():
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        for fname, data in seeds.items():
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
