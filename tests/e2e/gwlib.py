"""Flow C's end-to-end scaffolding, shared by the gateway tests: the
network namespaces and veth pairs that make SEARCH a real broadcast, the
readers of the gateway's state files by their documented layouts, and a
long-running process whose output is collected.

Standard library only. GwNet(tag, gw_ip, app_ip, uplinks) makes two
namespaces (the gateway's and the app's) joined by a veth pair, the LAN;
with uplinks, each namespace also gets a veth pair of its own to the root
namespace, where wardd listens. Where namespaces cannot be made (no root,
no iproute2) up() says so and returns False: the caller falls back to
loopback.
"""
import os
import struct
import subprocess
import threading
import time
import zlib

from wardlib import free_udp_port  # noqa: F401 (the tests take it from here too)

SUFFIX = str(os.getpid())


def sh(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=20)


class GwNet:
    """The gateway's and the app's namespaces, named by tag and the pid
    (so parallel test processes do not meet)."""

    def __init__(self, tag, gw_ip, app_ip, uplinks=False):
        self.tag, self.gw_ip, self.app_ip, self.uplinks = tag, gw_ip, app_ip, uplinks
        self.ns_gw, self.ns_app = "wgw%sg%s" % (tag, SUFFIX), "wgw%sa%s" % (tag, SUFFIX)
        self.up_links = ("u%sg%s" % (tag, SUFFIX), "u%sa%s" % (tag, SUFFIX))
        self.ok = False

    def uplink_addrs(self):
        """((root side, namespace side) of the gateway's link to wardd,
        the same of the app's)."""
        n = os.getpid() % 120 * 2
        return (("10.232.%d.1" % n, "10.232.%d.2" % n),
                ("10.232.%d.1" % (n + 1), "10.232.%d.2" % (n + 1)))

    def _steps(self):
        lan_g, lan_a = "l%sg%s" % (self.tag, SUFFIX), "l%sa%s" % (self.tag, SUFFIX)
        gw, app = self.ns_gw, self.ns_app
        steps = [
            ["ip", "netns", "add", gw], ["ip", "netns", "add", app],
            # The LAN between app and gateway: SEARCH is broadcast on it.
            ["ip", "link", "add", lan_g, "type", "veth", "peer", "name", lan_a],
            ["ip", "link", "set", lan_g, "netns", gw],
            ["ip", "link", "set", lan_a, "netns", app],
            ["ip", "-n", gw, "addr", "add", self.gw_ip + "/24", "dev", lan_g],
            ["ip", "-n", app, "addr", "add", self.app_ip + "/24", "dev", lan_a],
            ["ip", "-n", gw, "link", "set", lan_g, "up"],
            ["ip", "-n", app, "link", "set", lan_a, "up"],
            ["ip", "-n", gw, "link", "set", "lo", "up"],
            ["ip", "-n", app, "link", "set", "lo", "up"],
            # 255.255.255.255 leaves by the default route: the LAN.
            ["ip", "-n", app, "route", "add", "default", "dev", lan_a],
            ["ip", "-n", gw, "route", "add", "default", "dev", lan_g],
        ]
        if self.uplinks:
            # Each side's way to wardd in the root namespace.
            for ns, root_end, (r_ip, n_ip) in zip((gw, app), self.up_links,
                                                  self.uplink_addrs()):
                peer = root_end + "p"
                steps += [
                    ["ip", "link", "add", root_end, "type", "veth", "peer", "name", peer],
                    ["ip", "link", "set", peer, "netns", ns],
                    ["ip", "addr", "add", r_ip + "/24", "dev", root_end],
                    ["ip", "-n", ns, "addr", "add", n_ip + "/24", "dev", peer],
                    ["ip", "link", "set", root_end, "up"],
                    ["ip", "-n", ns, "link", "set", peer, "up"],
                ]
        return steps

    def up(self, fallback_note=""):
        """Makes them; False (and everything undone) where it cannot."""
        for step in self._steps():
            try:
                r, why = sh(*step), ""
            except (OSError, subprocess.TimeoutExpired) as e:
                r, why = None, str(e)
            if r is None or r.returncode != 0:
                why = r.stderr.strip() if r is not None else why
                print("network namespaces cannot be made (%s): falling back to loopback%s"
                      % (why, fallback_note), flush=True)
                self.down()
                return False
        self.ok = True
        return True

    def down(self):
        for ns in (self.ns_gw, self.ns_app):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if self.uplinks:
            for link in self.up_links:
                subprocess.run(["ip", "link", "del", link], capture_output=True)
        self.ok = False


def store_records(path):
    """Every record of a store file, {key: value} of its newer valid bank
    (docs/protocol.md, "Record store layout"), or {}."""
    with open(path, "rb") as f:
        data = f.read()
    half = len(data) // 2
    best = None
    for bank in (data[:half], data[half:]):
        magic, seq, used, rcrc, hcrc = struct.unpack(">4sIIII", bank[:20])
        if (magic != b"WRD1" or seq == 0 or zlib.crc32(bank[:16]) != hcrc
                or used > half - 20 or zlib.crc32(bank[20:20 + used]) != rcrc):
            continue
        if best is None or seq > best[0]:
            best = (seq, bank[20:20 + used])
    recs, out, i = best[1] if best else b"", {}, 0
    while i + 4 <= len(recs):
        key, n = struct.unpack(">HH", recs[i:i + 4])
        out[key] = recs[i + 4:i + 4 + n]
        i += 4 + n
    return out


def stored_wifi(path):
    """The committed network of a gateway's store (record 0x0400):
    (ssid, psk), or None."""
    val = store_records(path).get(0x0400)
    if val is None:
        return None
    sl = val[0]
    return (val[1:1 + sl].decode(), val[2 + sl:2 + sl + val[1 + sl]].decode())


def cloud_state(g):
    """The gateway's kept credentials (G/cloud.bin record 0x0480) and login
    counter (0x0481): (tid hex, generation, expiry ms, counter), or None."""
    path = os.path.join(g, "cloud.bin")
    if not os.path.exists(path):
        return None
    recs = store_records(path)
    if 0x0480 not in recs:
        return None
    c = recs[0x0480]
    counter = struct.unpack(">Q", recs[0x0481])[0] if 0x0481 in recs else 0
    return (c[:16].hex(), struct.unpack(">I", c[16:20])[0], struct.unpack(">Q", c[20:28])[0],
            counter)


class Proc:
    """A long-running process whose stdout and stderr lines are collected."""

    def __init__(self, args):
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        self.lines, self.err = [], []
        self.t1 = threading.Thread(target=self._read, args=(self.p.stdout, self.lines))
        self.t2 = threading.Thread(target=self._read, args=(self.p.stderr, self.err))
        self.t1.start()
        self.t2.start()

    @staticmethod
    def _read(stream, into):
        for line in stream:
            into.append(line)

    def wait_for(self, text, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if any(text in line for line in self.lines):
                return True
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        return False

    def stop(self):
        """Ends it (TERM, then KILL after 10 s); its stderr."""
        if self.p.stdout.closed:
            return "".join(self.err)
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.t1.join()
        self.t2.join()
        self.p.stdout.close()
        self.p.stderr.close()
        return "".join(self.err)
