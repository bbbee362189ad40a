#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_store_open into tests/fuzz/corpus/store_open/.

Each seed is a raw flash image of two 512-byte banks in the layout that
core/store/store.c documents, written here from that description (not from
the C code), so a seed that opens also cross-checks the layout. Trailing
0xFF bytes are dropped: the harness pads the input with erased bytes.
Usage: gen_corpus_store_open.py [out dir]
"""
import os
import struct
import sys
import zlib

BANK = 512
MAGIC = b"WRD1"


def records(*recs):
    return b"".join(struct.pack(">HH", k, len(v)) + v for k, v in recs)


def bank(seq, recs, magic=MAGIC, used=None):
    used = len(recs) if used is None else used
    head = magic + struct.pack(">III", seq, used, zlib.crc32(recs))
    img = head + struct.pack(">I", zlib.crc32(head)) + recs
    return img + b"\xff" * (BANK - len(img))


def blank_bank():
    return b"\xff" * BANK


R1 = records((1, b"alpha"), (2, bytes(range(100))), (3, b"gamma"))
R2 = records((1, b"ALPHA"), (3, b"gamma"), (4, b"\x00\x01\x02\x03"),
             (0x1234, b"fuzz key"))

SEEDS = {
    "blank": blank_bank() * 2,
    "one_bank": blank_bank() + bank(1, R1),
    "two_banks": bank(2, R2) + bank(1, R1),
    # The newer header lost its last bytes to a power cut.
    "torn_header": bank(2, R2)[:16] + b"\xff" * (BANK - 16) + bank(1, R1),
    # The newer bank's records were cut short after its header was made.
    "torn_records": bank(2, R2)[:40] + b"\xff" * (BANK - 40) + bank(1, R1),
    "empty_image": bank(7, b"") + blank_bank(),
    "seq_last": bank(0xFFFFFFFF, R1) + bank(0xFFFFFFFE, R2),
    "full": bank(3, records((9, b"\x5a" * (BANK - 20 - 4)))) + blank_bank(),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(here, "corpus", "store_open")
    os.makedirs(out, exist_ok=True)
    for name, img in SEEDS.items():
        assert len(img) == 2 * BANK, name
        with open(os.path.join(out, name), "wb") as f:
            f.write(img.rstrip(b"\xff"))


if __name__ == "__main__":
    main()
