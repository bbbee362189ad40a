#!/usr/bin/env python3
"""Writes the tiny seed corpora of the flow D harnesses (fuzz_dev_*.c):
well-formed headers with the CliID of fuzz_dev.h and plausible bodies, so
the fuzzer starts past the header checks. Run from tests/fuzz/."""
import os
import struct

CID = b"CLI"


def hdr(typ, flags, ki, seq, body, cid=CID):
    ext = bytes([1, len(cid)]) + cid if cid else b""
    return struct.pack(">BBBBIHB", 1, typ, flags, ki, seq, len(body), len(ext)) + ext + body


def tlv(tag, val):
    return bytes([tag, len(val)]) + val


def sealed(pt_len):
    return tlv(0x0E, bytes(13)) + tlv(0x0F, bytes(pt_len + 16))


seeds = {
    # From CLI, whose binding is in its PAKE (STATE), from CLI2, whose
    # binding waits for PAKE_INIT (asks again), and from an older app.
    "dev_pin_request": [hdr(0x30, 0, 0, 0, tlv(1, b"PHONE-1") + tlv(2, b"app")),
                        hdr(0x30, 0, 0, 0, tlv(1, b"U") + tlv(2, b"a"), cid=b""),
                        hdr(0x30, 0, 0, 0, tlv(1, b"U") + tlv(2, b"a"), cid=b"CLI2"),
                        # with the commitment to a PAKE_END token (0x03, 16)
                        hdr(0x30, 0, 0, 0, tlv(1, b"U") + tlv(2, b"a") + tlv(3, bytes(16)),
                            cid=b"CLI3")],
    # PAKE bodies are fixed layouts: a compressed shareP; confirmP alone,
    # named by the key index the device reserved (no CliID).
    "dev_pake_init": [hdr(0x31, 0, 0, 0, b"\x02" + bytes(32), cid=b"CLI2")],
    "dev_pake_finish": [hdr(0x32, 0, 2, 0, bytes(32), cid=b""),
                        hdr(0x32, 0, 2, 0, bytes(32))],
    # Without a token (refused: AUTH), with a wrong one, and where no
    # binding is (acknowledged).
    "dev_pake_end": [hdr(0x33, 0, 0, 0, b""),
                     hdr(0x33, 0, 0, 0, tlv(1, bytes(16)), cid=b"CLI2"),
                     hdr(0x33, 0, 0, 0, tlv(1, bytes(16)), cid=b"NOBODY")],
    # A node's messages: the bound node, and (no answer either way) an
    # unknown key index, an unknown CliID, an unknown channel.
    "dev_channel_open": [hdr(0x34, 4, 1, 0, sealed(24)),
                         hdr(0x34, 4, 9, 0, sealed(24)),
                         hdr(0x34, 4, 1, 0, sealed(24), cid=b"NOBODY")],
    "dev_command": [hdr(0x35, 4, 1, 1, tlv(1, b"\0\0\0\1") + tlv(0x0F, bytes(18))),
                    hdr(0x35, 4, 9, 1, tlv(1, b"\0\0\0\1") + tlv(0x0F, bytes(18))),
                    hdr(0x35, 4, 1, 1, tlv(1, b"\0\0\0\x4d") + tlv(0x0F, bytes(18)))],
    # ATTACH rides in a channel, as COMMAND does.
    "dev_attach": [hdr(0x37, 4, 1, 1, tlv(1, b"\0\0\0\1") + tlv(0x0F, bytes(27))),
                   hdr(0x37, 4, 9, 1, tlv(1, b"\0\0\0\1") + tlv(0x0F, bytes(27))),
                   hdr(0x37, 4, 1, 1, tlv(1, b"\0\0\0\x4d") + tlv(0x0F, bytes(27)))],
}
for name, msgs in seeds.items():
    d = os.path.join("corpus", name)
    os.makedirs(d, exist_ok=True)
    for i, m in enumerate(msgs):
        with open(os.path.join(d, "seed%d" % i), "wb") as f:
            f.write(m)
