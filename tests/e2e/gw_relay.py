#!/usr/bin/env python3
"""A host between `ward app provision` and `ward gateway run` (flow C's LAN
hand-over), for test_gw_prov_e2e.py. Standard library only.

usage: gw_relay.py relay MODE UDP_PORT TCP_PORT GATEWAY_IP LOG [POP]
       gw_relay.py replay LOG GATEWAY_IP TCP_PORT OUT

relay: listens on 127.0.0.1:UDP_PORT for SEARCH and on 127.0.0.1:TCP_PORT for
the TCP link, forwards both to GATEWAY_IP (UDP 10071, TCP TCP_PORT), and
writes every datagram and frame it passed to LOG (one JSON object a line).
MODE: "pass" forwards faithfully; "swap-app" puts another public key in
SEARCH (field 0x02: the P-256 generator, a valid point whose private key
everyone knows); "drop-commit" never passes WIFI_COMMIT on (a phone that
lost the link after the join); "cut-set" passes the first WIFI_SET on but
drops its answer and the connection (a phone that left the SoftAP).

"mitm" is a real man in the middle: it ends the link on both sides with
keys of its own. To the gateway it sends the app's SEARCH with its own key
and nonce and a proof it computes from POP (hex; default 16 zero bytes: the
attacker's guess); to the app it answers as the gateway, with its own key
and the device info (the gateway's, when the gateway's answer opened under
the relay's keys, else made up) sealed under keys from ECDH and POP. On TCP
it opens each request under the app's link, logs the plaintext
("plain_request": type byte || plaintext), seals it again under the
gateway's link, and does the same to the answer ("plain_answer"). So it
holds every key a relay can hold; only a POP that is not the gateway's
stops it. Crypto: gw_mitm_crypto.py.

replay: sends the logged SEARCH again and the logged TCP requests again, each
on a new connection, and writes what came back to OUT (JSON).
"""
import json
import os
import select
import socket
import struct
import sys
import threading

import gw_mitm_crypto as mc

GX = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
GY = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
POINT = b"\x04" + bytes.fromhex(GX) + bytes.fromhex(GY)
GW_UDP = 10071
SEARCH, SEALED, REPLY, ERROR = 0x40, 0x04, 0x01, 0x02


def swap_field(msg, tag):
    """msg with the 65-byte value of TLV field tag replaced by POINT."""
    i = 11 + msg[10]
    while i + 2 <= len(msg):
        t, n = msg[i], msg[i + 1]
        if t == tag and n == 65:
            return msg[:i + 2] + POINT + msg[i + 2 + n:]
        i += 2 + n
    return msg


def read_frame(sock):
    head = b""
    while len(head) < 2:
        chunk = sock.recv(2 - len(head))
        if not chunk:
            return None
        head += chunk
    n = struct.unpack(">H", head)[0]
    body = b""
    while len(body) < n:
        chunk = sock.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return body


def frame(msg):
    return struct.pack(">H", len(msg)) + msg


class Log:
    def __init__(self, path):
        self.f = open(path, "a", encoding="ascii")
        self.mu = threading.Lock()

    def put(self, kind, data):
        with self.mu:
            self.f.write(json.dumps({"kind": kind, "hex": data.hex()}) + "\n")
            self.f.flush()


def udp_loop(mode, port, gw_ip, log):
    app_side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    app_side.bind(("127.0.0.1", port))
    gw_side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    app_addr = None
    while True:
        ready, _, _ = select.select([app_side, gw_side], [], [])
        if app_side in ready:
            data, app_addr = app_side.recvfrom(2048)
            log.put("search", data)
            if mode == "swap-app":
                data = swap_field(data, 0x02)
            gw_side.sendto(data, (gw_ip, GW_UDP))
        if gw_side in ready:
            data, _ = gw_side.recvfrom(2048)
            log.put("search_answer", data)
            if app_addr is not None:
                app_side.sendto(data, app_addr)


def fields(msg):
    """{tag: value} of a message's body (one header, no extension), and
    the offset of each field's start."""
    out, at, i = {}, {}, 11 + msg[10]
    while i + 2 <= len(msg):
        t, n, j = msg[i], msg[i + 1], i + 2
        if n == 0xFF:
            n, j = struct.unpack(">H", msg[i + 2:i + 4])[0], i + 4
        out[t], at[t] = msg[j:j + n], i
        i = j + n
    return out, at


def tlv(tag, value):
    if len(value) < 0xFF:
        return bytes([tag, len(value)]) + value
    return bytes([tag, 0xFF]) + struct.pack(">H", len(value)) + value


def header(mtype, flags, seq, body_len):
    return struct.pack(">BBBBIHB", 1, mtype, flags, 0, seq, body_len, 0)


def nonce(direction, seq):
    return bytes([direction]) + bytes(8) + struct.pack(">I", seq)


def lan_keys(shared, pop, mac, a_pub, na, g_pub, ng):
    okm = mc.ward_kdf("gw lan", shared + pop, mac + a_pub + na + g_pub + ng, 32)
    return okm[:16], okm[16:]


def sealed_msg(key, direction, mtype, flags, seq, pt):
    """A TCP message: header || 0x01 AEAD(key, nonce, ad = header, pt)."""
    n = len(pt) + 16
    hdr = header(mtype, flags, seq, len(tlv(0x01, bytes(n))))
    return hdr + tlv(0x01, mc.ccm_seal(key, nonce(direction, seq), hdr, pt))


def open_msg(key, direction, msg):
    f, _ = fields(msg)
    if len(msg) < 11 or not msg[2] & SEALED or 0x01 not in f:
        return None
    return mc.ccm_open(key, nonce(direction, struct.unpack(">I", msg[4:8])[0]), msg[:11],
                       f[0x01])


class Mitm:
    """The relay's two links: app <-> relay and relay <-> gateway."""

    def __init__(self, pop, tcp_port, log):
        self.pop, self.tcp_port, self.log = pop, tcp_port, log
        self.mu = threading.Lock()
        self.answers = {}     # the app's SEARCH -> the relay's answer (retransmissions)
        self.app = self.gw = None
        self.gw_seq = 0
        self.forged = {}      # the app's request -> the request sent on (retransmissions)
        self.replies = {}     # the app's request -> the answer given back

    def search(self, data, gw_sock, gw_ip):
        """The answer to the app's SEARCH (bytes), or None."""
        if data in self.answers:
            return self.answers[data]
        f, at = fields(data)
        if data[1] != SEARCH or any(t not in f for t in (1, 2, 3, 4, 5)):
            return None
        mac, a_pub, na = f[1], f[2], f[3]
        # Towards the gateway: the app's SEARCH with the relay's key.
        m1, m1_pub = mc.keypair()
        na1 = os.urandom(16)
        body = tlv(1, mac) + tlv(2, m1_pub) + tlv(3, na1) + tlv(4, f[4])
        head = header(SEARCH, 0, 0, len(body) + 18) + body
        kp = mc.ward_kdf("gw pop", self.pop, mac, 32)
        forged = head + tlv(5, mc.hmac_sha256(kp, head)[:16])
        self.log.put("forged_search", forged)
        gw_sock.sendto(forged, (gw_ip, GW_UDP))
        info = None
        gw_sock.settimeout(1.5)
        try:
            ans, _ = gw_sock.recvfrom(2048)
        except socket.timeout:
            ans = None
        finally:
            gw_sock.settimeout(None)
        if ans is not None:
            self.log.put("search_answer", ans)
            g, gat = fields(ans)
            if ans[2] == REPLY | SEALED and all(t in g for t in (1, 2, 3)):
                k_ag, k_ga = lan_keys(mc.ecdh(m1, g[1]), self.pop, mac, m1_pub, na1, g[1], g[2])
                info = mc.ccm_open(k_ga, nonce(2, 0), ans[:gat[3]], g[3])
                if info is not None:
                    self.log.put("plain_info", info)
                    self.gw, self.gw_seq = (k_ag, k_ga), 0
        if info is None:
            # Made up: the app checks only the mac.
            info = (tlv(1, mac) + tlv(2, os.urandom(16)) + tlv(3, b"\x00") + tlv(4, bytes(32))
                    + tlv(5, b"\x00") + tlv(6, struct.pack(">H", self.tcp_port))
                    + tlv(7, b"\x00"))
        # Towards the app: the relay as the gateway.
        m2, m2_pub = mc.keypair()
        ng2 = os.urandom(16)
        self.app = lan_keys(mc.ecdh(m2, a_pub), self.pop, mac, a_pub, na, m2_pub, ng2)
        self.forged, self.replies = {}, {}
        pre = tlv(1, m2_pub) + tlv(2, ng2)
        body_len = len(pre) + len(tlv(3, bytes(len(info) + 16)))
        ad = header(SEARCH, REPLY | SEALED, 0, body_len) + pre
        out = ad + tlv(3, mc.ccm_seal(self.app[1], nonce(2, 0), ad, info))
        self.answers = {data: out}
        self.log.put("forged_answer", out)
        return out

    def request(self, req):
        """(the request to send the gateway, or None; the app's request's
        plaintext, or None)."""
        with self.mu:
            if req in self.forged:
                return self.forged[req], None
            if self.app is None:
                return None, None
            pt = open_msg(self.app[0], 1, req)
            if pt is None:
                return None, None
            self.log.put("plain_request", req[1:2] + pt)
            if self.gw is None:
                return None, pt
            self.gw_seq += 1
            out = sealed_msg(self.gw[0], 1, req[1], SEALED, self.gw_seq, pt)
            self.forged[req] = out
            return out, pt

    def answer(self, req, ans):
        """The gateway's answer to the relay's request, sealed again for
        the app."""
        with self.mu:
            if req in self.replies:
                return self.replies[req]
            pt = open_msg(self.gw[1], 2, ans)
            if pt is None:
                # An unsealed refusal: passed on under the app's seq.
                out = ans[:4] + req[4:8] + ans[8:]
            else:
                self.log.put("plain_answer", ans[1:2] + pt)
                out = sealed_msg(self.app[1], 2, ans[1], ans[2], struct.unpack(">I", req[4:8])[0],
                                 pt)
            self.replies[req] = out
            return out


def mitm_udp_loop(mitm, port, gw_ip, log):
    app_side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    app_side.bind(("127.0.0.1", port))
    gw_side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    while True:
        data, app_addr = app_side.recvfrom(2048)
        log.put("search", data)
        with mitm.mu:
            out = mitm.search(data, gw_side, gw_ip)
        if out is not None:
            app_side.sendto(out, app_addr)


CUT = {"done": False}


def tcp_pipe(mode, mitm, app, gw_ip, tcp_port, log):
    """One connection of the app's, passed on to the gateway on one of the
    relay's: the mode, or the man in the middle, decides what passes."""
    try:
        gw = socket.create_connection((gw_ip, tcp_port), timeout=10)
    except OSError:
        app.close()
        return
    try:
        while True:
            req = read_frame(app)
            if req is None:
                break
            log.put("request", req)
            fwd = req
            if mitm is not None:
                fwd, _ = mitm.request(req)
                if fwd is None:
                    break
            elif mode == "drop-commit" and req[1] == 0x44:
                continue
            gw.sendall(frame(fwd))
            ans = read_frame(gw)
            if ans is None:
                break
            log.put("answer", ans)
            if mode == "cut-set" and req[1] == 0x42 and not CUT["done"]:
                CUT["done"] = True
                break
            app.sendall(frame(mitm.answer(req, ans) if mitm is not None else ans))
    except OSError:
        pass
    app.close()
    gw.close()


def relay(mode, udp_port, tcp_port, gw_ip, log_path, pop):
    log = Log(log_path)
    mitm = None
    if mode == "mitm":
        mc.self_test()   # the attacker's crypto is right, or its failure means nothing
        mitm = Mitm(pop, tcp_port, log)
    if mitm is not None:
        threading.Thread(target=mitm_udp_loop, args=(mitm, udp_port, gw_ip, log),
                         daemon=True).start()
    else:
        threading.Thread(target=udp_loop, args=(mode, udp_port, gw_ip, log),
                         daemon=True).start()
    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.bind(("127.0.0.1", tcp_port))
    lsn.listen(4)
    print("relay ready", flush=True)
    while True:
        app, _ = lsn.accept()
        threading.Thread(target=tcp_pipe, args=(mode, mitm, app, gw_ip, tcp_port, log),
                         daemon=True).start()


def replay(log_path, gw_ip, tcp_port, out_path):
    with open(log_path, encoding="ascii") as f:
        entries = [json.loads(line) for line in f]
    out = {"search_answers": [], "answers": []}
    for e in entries:
        if e["kind"] == "search":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            s.sendto(bytes.fromhex(e["hex"]), (gw_ip, GW_UDP))
            try:
                out["search_answers"].append(s.recvfrom(2048)[0].hex())
            except socket.timeout:
                out["search_answers"].append(None)
            s.close()
        elif e["kind"] == "request":
            c = socket.create_connection((gw_ip, tcp_port), timeout=5)
            c.sendall(frame(bytes.fromhex(e["hex"])))
            c.settimeout(1.5)
            try:
                ans = read_frame(c)
            except socket.timeout:
                ans = None
            out["answers"].append(ans.hex() if ans else None)
            c.close()
    with open(out_path, "w", encoding="ascii") as f:
        json.dump(out, f)


if __name__ == "__main__":
    if sys.argv[1] == "relay":
        relay(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6],
              bytes.fromhex(sys.argv[7]) if len(sys.argv) > 7 else bytes(16))
    else:
        replay(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
