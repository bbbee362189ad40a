#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_fw_state into tests/fuzz/corpus/.

Each seed: len A, the boot state record 0x0A00 (docs/protocol.md "The
device: slots and boot state"), len B, a download record, a checkpoint.
The slots of the harness are 4096 bytes of 0xA5 (slot 0) and 0x5A (slot
1), so a record naming their digests boots.
Usage: gen_corpus_fw_state.py [corpus dir]
"""
import hashlib
import os
import struct
import sys


def info(counter, size, fill, version):
    d = hashlib.sha256(bytes([fill]) * size).digest()
    return struct.pack(">II", counter, size) + d + bytes([len(version)]) + \
        version.ljust(32, b"\0")


def state(running, trial, confirmed, s0, s1):
    return bytes([1, running, trial]) + struct.pack(">I", confirmed) + s0 + s1


def seed(boot, dl=b"", ck=b""):
    return bytes([len(boot)]) + boot + bytes([len(dl)]) + dl + ck


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    out = os.path.join(root, "fw_state")
    os.makedirs(out, exist_ok=True)
    f = info(0, 100, 0xA5, b"factory")
    n = info(2, 300, 0x5A, b"2.0")
    seeds = {
        "idle": seed(state(0, 0, 0, f, n)),
        "pending": seed(state(0, 1, 0, f, n)),
        "trying": seed(state(0, 2, 0, f, n)),
        "bad_digest": seed(state(1, 0, 2, f, info(2, 300, 0x00, b"2.0"))),
        "download": seed(state(0, 0, 0, f, n), bytes([1]) + bytes(130), b"\0\0\0\0"),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as fh:
            fh.write(data)


if __name__ == "__main__":
    main()
