"""The primitives a man in the middle of flow C's LAN hand-over needs, in
pure Python (standard library only, for gw_relay.py): P-256 key pairs and
ECDH, ward_kdf (HKDF-SHA256 with the suite's labelled info), HMAC-SHA256,
AES-128-CCM (13-byte nonce, 16-byte tag). Slow and not constant time: a
test's attacker, never a protocol implementation.
"""
import hashlib
import hmac
import os

# ---- P-256 (SEC 2 / FIPS 186-4 domain parameters) ----
P = 2**256 - 2**224 + 2**192 + 2**96 - 1
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5


def _add(p1, p2):
    """Affine point addition on y^2 = x^3 - 3x + b; None is infinity."""
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2:
        if (y1 + y2) % P == 0:
            return None
        lam = (3 * x1 * x1 - 3) * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def _mul(k, pt):
    acc = None
    while k:
        if k & 1:
            acc = _add(acc, pt)
        pt = _add(pt, pt)
        k >>= 1
    return acc


def point_decode(b):
    """An uncompressed point (65 bytes) on the curve, or ValueError."""
    if len(b) != 65 or b[0] != 4:
        raise ValueError("not an uncompressed point")
    x, y = int.from_bytes(b[1:33], "big"), int.from_bytes(b[33:], "big")
    if x >= P or y >= P or (y * y - (x * x * x - 3 * x + B)) % P != 0:
        raise ValueError("not on the curve")
    return x, y


def point_encode(pt):
    return b"\x04" + pt[0].to_bytes(32, "big") + pt[1].to_bytes(32, "big")


def keypair():
    """A fresh (scalar, 65-byte public key)."""
    d = int.from_bytes(os.urandom(40), "big") % (N - 1) + 1
    return d, point_encode(_mul(d, (GX, GY)))


def ecdh(d, pub):
    """The x-coordinate (32 bytes) of d times pub."""
    return _mul(d, point_decode(pub))[0].to_bytes(32, "big")


# ---- ward_kdf: HKDF-SHA256, info = "ward/1 " || label || 0x00 || context ----
def hmac_sha256(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def ward_kdf(label, ikm, context, n, salt=b""):
    prk = hmac_sha256(salt or bytes(32), ikm)
    info = b"ward/1 " + label.encode() + b"\x00" + context
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac_sha256(prk, t + info + bytes([i]))
        out += t
        i += 1
    return out[:n]


# ---- AES-128 (FIPS 197), the forward cipher only: CCM needs no other ----
def _xtime(a):
    a <<= 1
    return (a ^ 0x11B) if a & 0x100 else a


def _gmul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a = _xtime(a)
        b >>= 1
    return r


def _make_sbox():
    """The S-box from its definition: the inverse in GF(2^8), then the
    affine map."""
    inv = [0] * 256
    for a in range(1, 256):
        for b in range(1, 256):
            if _gmul(a, b) == 1:
                inv[a] = b
                break
    box = []
    for a in range(256):
        x, s = inv[a], inv[a]
        for _ in range(4):
            x = ((x << 1) | (x >> 7)) & 0xFF
            s ^= x
        box.append(s ^ 0x63)
    return box


SBOX = _make_sbox()


def _expand(key):
    w = [list(key[i:i + 4]) for i in range(0, 16, 4)]
    rcon = 1
    for i in range(4, 44):
        t = list(w[i - 1])
        if i % 4 == 0:
            t = [SBOX[b] for b in t[1:] + t[:1]]
            t[0] ^= rcon
            rcon = _xtime(rcon)
        w.append([a ^ b for a, b in zip(w[i - 4], t)])
    return [sum(w[4 * r:4 * r + 4], []) for r in range(11)]


def aes128_encrypt_block(round_keys, block):
    s = [a ^ b for a, b in zip(block, round_keys[0])]
    for r in range(1, 11):
        s = [SBOX[b] for b in s]
        # ShiftRows: state is column-major, s[c*4 + row].
        s = [s[((c + row) % 4) * 4 + row] for c in range(4) for row in range(4)]
        if r != 10:
            mixed = []
            for c in range(4):
                a = s[4 * c:4 * c + 4]
                mixed += [_gmul(a[0], 2) ^ _gmul(a[1], 3) ^ a[2] ^ a[3],
                          a[0] ^ _gmul(a[1], 2) ^ _gmul(a[2], 3) ^ a[3],
                          a[0] ^ a[1] ^ _gmul(a[2], 2) ^ _gmul(a[3], 3),
                          _gmul(a[0], 3) ^ a[1] ^ a[2] ^ _gmul(a[3], 2)]
            s = mixed
        s = [a ^ b for a, b in zip(s, round_keys[r])]
    return bytes(s)


# ---- AES-128-CCM (NIST SP 800-38C), nonce 13 bytes (L = 2), tag 16 ----
def _ccm_mac(rk, nonce, ad, pt):
    flags = (0x40 if ad else 0) | ((16 - 2) // 2) << 3 | (2 - 1)
    blocks = bytes([flags]) + nonce + len(pt).to_bytes(2, "big")
    if ad:
        a = len(ad).to_bytes(2, "big") + ad
        blocks += a + bytes(-len(a) % 16)
    blocks += pt + bytes(-len(pt) % 16)
    x = bytes(16)
    for i in range(0, len(blocks), 16):
        x = aes128_encrypt_block(rk, bytes(a ^ b for a, b in zip(x, blocks[i:i + 16])))
    return x


def _ccm_ctr(rk, nonce, data, first=1):
    out = b""
    for i in range(0, len(data), 16):
        ks = aes128_encrypt_block(rk, b"\x01" + nonce + (first + i // 16).to_bytes(2, "big"))
        out += bytes(a ^ b for a, b in zip(data[i:i + 16], ks))
    return out


def ccm_seal(key, nonce, ad, pt):
    rk = _expand(key)
    tag = _ccm_mac(rk, nonce, ad, pt)
    return _ccm_ctr(rk, nonce, pt) + _ccm_ctr(rk, nonce, tag, first=0)


def ccm_open(key, nonce, ad, sealed):
    """The plaintext, or None when the tag does not match."""
    if len(sealed) < 16:
        return None
    rk = _expand(key)
    pt = _ccm_ctr(rk, nonce, sealed[:-16])
    tag = _ccm_ctr(rk, nonce, sealed[-16:], first=0)
    return pt if hmac.compare_digest(tag, _ccm_mac(rk, nonce, ad, pt)) else None


def self_test():
    """AES-128 against FIPS 197 appendix C.1, ECDH agreeing with itself,
    CCM opening what it sealed and refusing another AD. That CCM, ward_kdf
    and ECDH match the core's is shown by the control test, where the
    real gateway and app take this relay's messages."""
    rk = _expand(bytes(range(16)))
    ct = aes128_encrypt_block(rk, bytes.fromhex("00112233445566778899aabbccddeeff"))
    assert ct.hex() == "69c4e0d86a7b0430d8cdb78070b4c55a", ct.hex()
    d, pub = keypair()
    e, pub2 = keypair()
    assert ecdh(d, pub2) == ecdh(e, pub)
    key, nonce = os.urandom(16), os.urandom(13)
    sealed = ccm_seal(key, nonce, b"ad", b"hello")
    assert ccm_open(key, nonce, b"ad", sealed) == b"hello"
    assert ccm_open(key, nonce, b"ae", sealed) is None


if __name__ == "__main__":
    self_test()
    print("ok")
