#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_codec into tests/fuzz/corpus/codec/.

Small valid messages and edge cases, one file each; rerun after changing
the wire format. Usage: gen_corpus_codec.py [out dir]
"""
import os
import struct
import sys


def hdr(body, typ=1, flags=0, key=0, seq=0, ext=b"", ver=1):
    return bytes([ver, typ, flags, key]) + struct.pack(">IH", seq, len(body)) \
        + bytes([len(ext)]) + ext + body


def ext(tag, val):
    return bytes([tag, len(val)]) + val


def tlv(tag, val):
    n = len(val)
    if n < 255:
        return bytes([tag, n]) + val
    return bytes([tag, 0xFF]) + struct.pack(">H", n) + val


SEEDS = {
    "empty": b"",
    "hdr_min": hdr(b""),
    "hdr_client_id": hdr(tlv(1, b"\x07"), typ=0x10, flags=0x05, key=2,
                         seq=0x01020304, ext=ext(1, b"ab")),
    "hdr_client_id_max": hdr(tlv(1, b"\x01") + tlv(0x81, bytes(range(16))),
                             typ=0x20, seq=0xFFFFFFFF,
                             ext=ext(1, b"0123456789abcdef")),
    "hdr_unknown_ext": hdr(tlv(2, b"xyz"), ext=ext(0, b"") + ext(1, b"id")
                           + ext(0x7F, b"\xaa")),
    "hdr_ext_full": hdr(b"", ext=ext(0xFE, bytes(62))),
    "hdr_error_answer": hdr(tlv(1, b"\x05"), typ=0xFF, flags=0x07),
    "hdr_bad_flags": hdr(b"", flags=0x08),
    "hdr_bad_version": hdr(b"", ver=2),
    "hdr_trailing": hdr(b"") + b"\x00",
    "tlv_forms": tlv(1, b"\x01") + tlv(2, b"") + tlv(0x10, bytes(254))
                 + tlv(0x11, bytes(255)),
    "tlv_long_noncanonical": bytes([5, 0xFF, 0, 5]) + b"hello",
    "tlv_critical_known": tlv(1, b"\x01") + tlv(0x81, bytes(16))
                          + tlv(0x90, b""),
    "tlv_critical_unknown": tlv(1, b"\x01") + tlv(0x88, b""),
    "tlv_duplicate": tlv(1, b"\x01") + tlv(1, b"\x01"),
    "tlv_truncated": bytes([1, 5, 0]),
    "writer_script": b"\x00\x20" + bytes([1, 0, 4, 2, 0, 0, 3, 0, 20, 3, 0, 1]),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus",
                                                             "codec")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
