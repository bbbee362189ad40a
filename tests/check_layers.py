#!/usr/bin/env python3
"""Who may include whom (docs/architecture.md, "Layers"), checked.

Usage: check_layers.py SOURCE_DIR

Every #include of every .c/.h file of a layer must resolve inside that
layer (its own directory tree), to a public header (include/ward/), or to
a system header; and each layer has public headers it must not use:

- the device core (core/) uses only the device-side public headers and
  <string.h> <stdint.h> <stddef.h> <stdbool.h>: nothing of the client,
  the agent, the host ports or the OS;
- every public header the core includes (transitively) includes only
  other public headers and <stdint.h> <stddef.h> <stdbool.h>, so the
  core builds for a microcontroller;
- the client does not use the agent (the agent builds on the client's
  HTTP, not the other way round), nor the server;
- the agent does not use the CLI or the server, nor the app's headers;
- the server does not use the client's or the agent's headers (it is a
  relay, not an app or a device);
- nothing but the CLI reaches into cli/, nothing but the server into
  server/.
"""
import os
import re
import sys

LAYERS = ("core", "port", "client", "agent", "net", "server", "cli", "selftest")
INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', re.M)
CORE_LIBC = {"string.h", "stdint.h", "stddef.h", "stdbool.h"}
HEADER_LIBC = {"stdint.h", "stddef.h", "stdbool.h"}
HOST_HEADERS = {
    "ward_host.h", "ward_http.h", "ward_httpsig.h", "ward_files.h", "ward_frame.h",
    "ward_app.h", "ward_app_ops.h", "ward_app_cloud.h", "ward_pair.h",
    "ward_agent.h", "ward_agent_state.h", "ward_agent_gw.h",
}
APP_HEADERS = {"ward_app.h", "ward_app_ops.h", "ward_app_cloud.h", "ward_pair.h"}
AGENT_HEADERS = {"ward_agent.h", "ward_agent_state.h", "ward_agent_gw.h"}
FORBIDDEN = {
    # ward.h gathers the device side only; the core needs none of the host's.
    "core": lambda h: h in HOST_HEADERS or h.startswith("ward_port_"),
    "client": lambda h: h in AGENT_HEADERS,
    "agent": lambda h: h in APP_HEADERS,
    "server": lambda h: h in APP_HEADERS or h in AGENT_HEADERS or h in
    {"ward_host.h", "ward_http.h", "ward_frame.h", "ward_pair.h"},
}


def sources(root):
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(d, f)


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return INCLUDE.findall(f.read())


def resolve(src, layer_root, inc_dir, name):
    """Where a quoted include lands: the file's directory, its layer's
    root, a sibling directory of the layer, or include/."""
    for base in (os.path.dirname(src), layer_root, inc_dir):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(p):
            return p
    for d, _, files in os.walk(layer_root):
        if os.path.basename(name) in files and "/" not in name:
            return os.path.join(d, name)
    return None


def core_public_headers(src_dir, inc_dir):
    """The public headers the core includes, transitively."""
    seen, todo = set(), []
    for path in sources(os.path.join(src_dir, "core")):
        todo += [n for q, n in includes(path) if q == '"' and n.startswith("ward/")]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        p = os.path.join(inc_dir, n)
        if os.path.isfile(p):
            todo += ["ward/" + m if not m.startswith("ward/") else m
                     for q, m in includes(p) if q == '"']
    return seen


def check(src_dir):
    """The problems of the tree at src_dir (an empty list: none)."""
    inc_dir = os.path.join(src_dir, "include")
    problems = []
    checked = 0
    for layer in LAYERS:
        root = os.path.join(src_dir, layer)
        if not os.path.isdir(root):
            continue
        for path in sources(root):
            rel = os.path.relpath(path, src_dir)
            for quote, name in includes(path):
                checked += 1
                header = os.path.basename(name)
                if quote == "<":
                    if layer == "core" and name not in CORE_LIBC:
                        problems.append("%s: <%s>: the core uses no system header but %s"
                                        % (rel, name, ", ".join(sorted(CORE_LIBC))))
                    if name.startswith("ward/"):
                        problems.append("%s: <%s>: ward's headers are included as \"ward/...\""
                                        % (rel, name))
                    continue
                where = resolve(path, root, inc_dir, name)
                if where is None and layer == "cli":
                    # The CLI runs the self test: selftest/ is on its path.
                    where = resolve(path, os.path.join(src_dir, "selftest"), inc_dir, name)
                    if where is not None:
                        continue
                if where is None:
                    problems.append("%s: \"%s\" not found" % (rel, name))
                    continue
                if where.startswith(os.path.join(inc_dir, "ward") + os.sep):
                    if layer in FORBIDDEN and FORBIDDEN[layer](header):
                        problems.append("%s: \"%s\": the %s layer may not use it"
                                        % (rel, name, layer))
                elif not where.startswith(root + os.sep):
                    problems.append("%s: \"%s\" reaches into %s" % (
                        rel, name, os.path.relpath(where, src_dir)))
    for name in sorted(core_public_headers(src_dir, inc_dir)):
        p = os.path.join(inc_dir, name)
        if not os.path.isfile(p):
            continue
        for quote, inc in includes(p):
            if quote == "<" and inc not in HEADER_LIBC:
                problems.append("include/%s: <%s>: the core includes this header, which "
                                "may include only %s" % (name, inc, ", ".join(sorted(HEADER_LIBC))))
    return problems, checked


def self_test():
    """The checker finds each kind of breach in a made-up tree."""
    import tempfile
    files = {
        "include/ward/ward_lock.h": '#include <stdint.h>\n#include <stdio.h>\n',
        "include/ward/ward_agent.h": "",
        "include/ward/ward_app.h": "",
        "core/proto/lock.c": '#include "ward/ward_lock.h"\n#include <stdlib.h>\n'
                             '#include "ward/ward_agent.h"\n',
        "client/app.c": '#include "ward/ward_agent.h"\n#include "../core/proto/x.h"\n',
        "core/proto/x.h": "",
        "server/h.c": '#include "ward/ward_app.h"\n',
        "agent/a.c": '#include "../cli/cli.h"\n',
        "cli/cli.h": "",
    }
    want = ["core/proto/lock.c: <stdlib.h>", "core/proto/lock.c: \"ward/ward_agent.h\"",
            "client/app.c: \"ward/ward_agent.h\"", "client/app.c: \"../core/proto/x.h\" reaches",
            "server/h.c: \"ward/ward_app.h\"", "agent/a.c: \"../cli/cli.h\" reaches",
            "include/ward/ward_lock.h: <stdio.h>"]
    with tempfile.TemporaryDirectory() as d:
        for name, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(text)
        problems, _ = check(d)
    missed = [w for w in want if not any(p.startswith(w) for p in problems)]
    return ["self-test: not caught: " + m for m in missed]


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: check_layers.py SOURCE_DIR")
    problems = self_test()
    checked = 0
    if not problems:
        problems, checked = check(os.path.abspath(argv[1]))
    for p in problems:
        print("layers: " + p)
    if problems:
        return 1
    print("layers: %d includes of %s respect docs/architecture.md (self-test passed)"
          % (checked, ", ".join(LAYERS)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
