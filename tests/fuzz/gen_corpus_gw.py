#!/usr/bin/env python3
"""Writes the seed corpora of the flow C LAN harnesses (fuzz_gw_*.c):
well-formed messages and plaintexts, so the fuzzer starts past the header
and TLV checks. Run from tests/fuzz/."""
import os
import struct

MAC = bytes([0x02, 0x11, 0x22, 0xA3, 0xB4, 0xC5])
# A point on P-256 (the generator), uncompressed.
GX = bytes.fromhex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296")
GY = bytes.fromhex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
POINT = b"\x04" + GX + GY


def hdr(typ, flags, seq, body):
    return struct.pack(">BBBBIHB", 1, typ, flags, 0, seq, len(body), 0) + body


def tlv(tag, val):
    return bytes([tag, len(val)]) + val


def search(mac=MAC):
    body = tlv(1, mac) + tlv(2, POINT) + tlv(3, bytes(16)) + tlv(4, b"\x01") + tlv(5, bytes(16))
    return hdr(0x40, 0, 0, body)


def entries(*names):
    return b"".join(bytes([len(n)]) + n + b"\xd8" for n in names)


seeds = {
    "gw_search": [search(), search(bytes(6)), hdr(0x40, 0, 0, tlv(1, MAC))],
    # type offset (0..5) || seq || plaintext
    "gw_tcp": [b"\x00\x01", b"\x01\x01" + tlv(1, b"home") + tlv(2, b"password1"),
               b"\x02\x02", b"\x03\x03", b"\x04\x04" + tlv(1, b"claim"),
               b"\x05\x05" + tlv(1, b"credentials"), b"\x01\x01" + tlv(1, b"open") + tlv(2, b""),
               b"\x80" + hdr(0x42, 0x04, 1, tlv(1, bytes(20)))],
    "gw_app": [b"\x00" + tlv(1, entries(b"home", b"neighbour")),
               b"\x01" + tlv(1, b"\x01") + tlv(2, b"\x00"),
               b"\x02" + tlv(1, b"\x03") + tlv(2, b"\x02"),
               b"\x04" + tlv(1, b"registration"), b"\x05" + tlv(1, b"ack"),
               b"\x08" + tlv(1, b"\x04"),
               # a plaintext larger than any answer: refused as FORMAT, not AUTH
               b"\x00\x01\xff\x01\xd0" + entries(*[b"x" * 32] * 13) + bytes(16),
               b"\x80" + hdr(0x40, 0x05, 0, tlv(1, POINT) + tlv(2, bytes(16)) + tlv(3, bytes(80))),
               b"\x80" + hdr(0x40, 0x03, 0, tlv(1, b"\x04"))],
    "gw_qr": [b"WGW1:021122a3b4c5:42424242424242424242424242424242:ward:hub",
              b"WGW1:000000000000:00000000000000000000000000000000:a:b",
              b"WGW1:ffffffffffff:ffffffffffffffffffffffffffffffff:123456789012:abcdefghijkl"],
}

for name, items in seeds.items():
    d = os.path.join("corpus", name)
    os.makedirs(d, exist_ok=True)
    for i, item in enumerate(items):
        with open(os.path.join(d, "seed%d" % i), "wb") as f:
            f.write(item)
