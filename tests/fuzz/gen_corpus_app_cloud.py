#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_app_cloud into tests/fuzz/corpus/.

Each seed is one byte choosing the parser (0 a bind task's status, 1 an
upload's answer, 2 the cloud device list, 3 a list of far-field replies)
and then an answer as wardd writes it (or one a hostile wardd could).
Usage: gen_corpus_app_cloud.py [corpus dir]
"""
import base64
import json
import os
import sys

CID = "00112233445566778899aabbccddeeff"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    out = os.path.join(root, "app_cloud")
    os.makedirs(out, exist_ok=True)
    msg = base64.b64encode(bytes(range(40))).decode()
    seeds = {
        "task_sealed": (0, {"state": "sealed"}),
        "task_bound": (0, {"state": "bound", "uid": "erin", "role": 0}),
        "task_bound_name": (0, {"state": "bound", "role": "admin"}),
        "task_bad_role": (0, {"state": "bound", "role": 1e300}),
        "task_expired": (0, {"state": "expired"}),
        "upload": (1, {"expires": 1700000600}),
        "upload_huge": (1, {"expires": 1e300}),
        "devices": (2, {"devices": [
            {"cloud_id": CID, "device": "DEV-0001", "app": "0a0b0c0d0e0f1011",
             "attached_ms": 1700000000000},
            {"cloud_id": "../x", "device": "DEV-0002"},
            {"cloud_id": CID.upper(), "device": "DEV-0003"}]}),
        "devices_empty": (2, {"devices": []}),
        "replies": (3, {"msgs": [
            {"id": 5, "cloud_id": CID, "msg": msg},
            {"id": 4, "cloud_id": CID, "msg": msg},
            {"id": 6.5, "msg": msg},
            {"id": 7, "cloud_id": "f" * 32, "msg": msg},
            {"id": 8, "msg": "not base64!"},
            {"id": 9007199254740993, "msg": msg}]}),
        "replies_empty": (3, {"msgs": []}),
    }
    for name, (kind, body) in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([kind]) + json.dumps(body).encode())
    with open(os.path.join(out, "not_a_list"), "wb") as f:
        f.write(b"\x03{\"msgs\":{}}")


if __name__ == "__main__":
    main()
