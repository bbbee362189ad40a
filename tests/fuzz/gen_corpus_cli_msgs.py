#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_cli_msgs into tests/fuzz/corpus/.

Each seed is a message list as wardd answers GET /v1/device/inbox (with
cloud ids) or GET /v1/dev/{id}/replies (without), the lock's inbox (GET
/v1/lock/inbox) or an op's answers (GET /v1/ops/{id}/answer), and a few
near misses.
Usage: gen_corpus_cli_msgs.py [corpus dir]
"""
import base64
import json
import os
import sys


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    out = os.path.join(root, "cli_msgs")
    os.makedirs(out, exist_ok=True)
    msg = base64.b64encode(bytes(range(40))).decode()
    seeds = {
        "inbox": {"msgs": [{"id": 6, "cloud_id": "ab" * 8, "msg": msg, "created_ms": 1},
                           {"id": 9, "cloud_id": "cd" * 8, "msg": msg}]},
        "replies": {"msgs": [{"id": 7, "msg": msg}, {"id": 8, "msg": ""}]},
        "empty": {"msgs": []},
        "big_id": {"msgs": [{"id": 1e300, "msg": msg}, {"id": -3, "msg": msg},
                            {"id": 9007199254740993, "msg": msg}]},
        "not_b64": {"msgs": [{"id": 10, "msg": "%%%"}, {"id": "11", "msg": 12}]},
        "too_long": {"msgs": [{"id": 12, "msg": base64.b64encode(bytes(5000)).decode()}]},
        "lock_inbox": {"revokes": [{"id": 4, "revoke": msg}, {"id": 9, "revoke": msg},
                                   {"id": 9, "revoke": msg}, {"id": 2.5, "revoke": msg}]},
        "lock_inbox_bad": {"revokes": [{"id": "7", "revoke": msg}, {"id": 8, "revoke": "%"},
                                       {"id": 1e300}], "more": True},
        "answers": {"answers": [{"n": 4, "uid": "alice", "approval": msg},
                                {"n": 5, "uid": 7, "approval": msg}],
                    "approval": msg, "uid": "alice"},
        "answers_legacy": {"approval": msg, "uid": "alice"},
        # Ids at or below the cursor, repeated or going back: not handed on.
        "msgs_repeat": {"msgs": [{"id": 9, "msg": msg}, {"id": 9, "msg": msg},
                                 {"id": 7, "cloud_id": "ab" * 8, "msg": msg},
                                 {"id": 11.5, "msg": msg}, {"id": 12, "msg": msg}]},
    }
    for name, body in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(json.dumps(body).encode())
    with open(os.path.join(out, "not_json"), "wb") as f:
        f.write(b"{\"msgs\":[{\"id\":")


if __name__ == "__main__":
    main()
