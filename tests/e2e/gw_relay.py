#!/usr/bin/env python3
"""A host between `ward app provision` and `ward gateway run` (flow C's LAN
hand-over), for test_gw_prov_e2e.py. Standard library only.

usage: gw_relay.py relay MODE UDP_PORT TCP_PORT GATEWAY_IP LOG
       gw_relay.py replay LOG GATEWAY_IP TCP_PORT OUT

relay: listens on 127.0.0.1:UDP_PORT for SEARCH and on 127.0.0.1:TCP_PORT for
the TCP link, forwards both to GATEWAY_IP (UDP 10071, TCP TCP_PORT), and
writes every datagram and frame it passed to LOG (one JSON object a line).
MODE: "pass" forwards faithfully; "swap-app" puts another public key in
SEARCH (field 0x02); "swap-gw" puts another public key in the gateway's
answer (field 0x01); "drop-commit" never passes WIFI_COMMIT on (a phone
that lost the link after the join); "cut-set" passes the first WIFI_SET on
but drops its answer and the connection (a phone that left the SoftAP). The key put in is the P-256 generator, a valid point
whose private key everyone knows: what a relay would do to read the link.

replay: sends the logged SEARCH again and the logged TCP requests again, each
on a new connection, and writes what came back to OUT (JSON).
"""
import json
import select
import socket
import struct
import sys
import threading

GX = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
GY = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
POINT = b"\x04" + bytes.fromhex(GX) + bytes.fromhex(GY)
GW_UDP = 10071


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
            if mode == "swap-gw":
                data = swap_field(data, 0x01)
            if app_addr is not None:
                app_side.sendto(data, app_addr)


CUT = {"done": False}


def tcp_pipe(mode, app, gw_ip, tcp_port, log):
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
            if mode == "drop-commit" and req[1] == 0x44:
                continue
            gw.sendall(frame(req))
            ans = read_frame(gw)
            if ans is None:
                break
            log.put("answer", ans)
            if mode == "cut-set" and req[1] == 0x42 and not CUT["done"]:
                CUT["done"] = True
                break
            app.sendall(frame(ans))
    except OSError:
        pass
    app.close()
    gw.close()


def relay(mode, udp_port, tcp_port, gw_ip, log_path):
    log = Log(log_path)
    threading.Thread(target=udp_loop, args=(mode, udp_port, gw_ip, log), daemon=True).start()
    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.bind(("127.0.0.1", tcp_port))
    lsn.listen(4)
    print("relay ready", flush=True)
    while True:
        app, _ = lsn.accept()
        threading.Thread(target=tcp_pipe, args=(mode, app, gw_ip, tcp_port, log),
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
        relay(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
    else:
        replay(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
