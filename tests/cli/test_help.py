#!/usr/bin/env python3
"""Issue 15, items 2 and 10: every command's help, the man pages and the
bash completion, on the real `ward` and `wardd`.

The options each parser accepts are found independently of the help
tables: every option name written in the CLI's and wardd's sources is
tried on every command, followed by an option nobody knows, so nothing
runs; the parser knows the name when it complains about the second one
(or about the first's value), not the first. Each option a parser knows
must be in the command's --help, `ward help CMD`, and the man page.

usage: test_help.py WARD WARDD SOURCE_DIR WARD_1 [unittest arguments]
"""
import os
import re
import shutil
import subprocess
import sys
import unittest
from concurrent.futures import ThreadPoolExecutor

WARD = WARDD = SRC = WARD_1 = None
UNKNOWN = "--zz-no-such-option"


def run(*argv, stdin=subprocess.DEVNULL):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=30,
                          stdin=stdin)


def command_paths():
    """The commands `ward help` lists ("lock init", "selftest", ...)."""
    out = run(WARD, "help").stdout
    body = out.split("\ncommands:\n", 1)[1].split("\n\n", 1)[0]
    return [re.split(r"\s{2,}", line.strip())[0] for line in body.splitlines()]


def help_options(text):
    """The options a help text lists: {name: takes a value}."""
    found = {}
    for line in text.splitlines():
        m = re.match(r"^  --([a-z0-9-]+)( \S+)?", line)
        if m:
            found[m.group(1)] = m.group(2) is not None
    return found


OPTION_LITERAL = r'\{\s*"([a-z0-9-]+)",\s*(?:true|false),'


def source_option_names(paths, pattern):
    names = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            names.update(re.findall(pattern, f.read()))
    return names


def cli_candidates():
    """For each command function (cmd_lock_init, ...), the option names
    written in option tables of its source file and of the files that
    define no command (shared parsing)."""
    d = os.path.join(SRC, "cli")
    per_file, shared, where = {}, set(), {}
    for n in sorted(os.listdir(d)):
        if not n.endswith(".c"):
            continue
        with open(os.path.join(d, n), encoding="utf-8") as f:
            text = f.read()
        names = set(re.findall(OPTION_LITERAL, text))
        fns = re.findall(r"^int (cmd_[a-z_]+)\(int argc, char \*\*argv\)$", text, re.M)
        if n == "main.c" or not fns:
            shared |= names
        per_file[n] = names
        for fn in fns:
            where[fn] = n
    with open(os.path.join(d, "main.c"), encoding="utf-8") as f:
        table = re.findall(r'\{\s*"([a-z][a-z -]*)",\s*(cmd_[a-z_]+)\s*\}', f.read())
    return {path: per_file[where[fn]] | shared for path, fn in table}


def ward_probe(path, name):
    """How `ward PATH` parses --name=x: None if it does not know the
    option, else whether it takes a value (a flag refuses one)."""
    r = run(WARD, *path.split(), "--%s=x" % name, UNKNOWN)
    assert r.returncode == 2, (path, name, r.returncode, r.stderr)
    if "unknown option '--%s'" % name in r.stderr:
        return None
    return "takes no value" not in r.stderr


def wardd_knows(name):
    r = run(WARDD, "--%s=x" % name, UNKNOWN)
    assert r.returncode != 0, (name, r.stderr)
    return "unknown option --%s " % name not in r.stderr


class WardHelp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.paths = command_paths()
        # Option names written in the parsers: { "dir", true, &dir }.
        cls.candidates = cli_candidates()

    def test_help_lists_every_command_the_dispatcher_knows(self):
        with open(os.path.join(SRC, "cli", "main.c"), encoding="utf-8") as f:
            dispatched = re.findall(r'\{\s*"([a-z][a-z -]*)",\s*cmd_', f.read())
        self.assertGreater(len(dispatched), 20)
        self.assertEqual(sorted(dispatched), sorted(self.paths))
        self.assertEqual(sorted(self.candidates), sorted(self.paths))
        self.assertGreater(len(set().union(*self.candidates.values())), 30)

    def test_every_command_answers_help_three_ways(self):
        for path in self.paths:
            with self.subTest(command=path):
                outs = []
                for argv in ([*path.split(), "--help"], [*path.split(), "-h"],
                             ["help", *path.split()]):
                    r = run(WARD, *argv)
                    self.assertEqual(r.returncode, 0, (argv, r.stderr))
                    self.assertEqual(r.stderr, "")
                    self.assertTrue(r.stdout.startswith("usage: ward %s" % path), r.stdout)
                    outs.append(r.stdout)
                self.assertEqual(outs[0], outs[1])
                self.assertEqual(outs[0], outs[2])
                # Given with other options, --help still only prints help.
                r = run(WARD, *path.split(), "--dir", "/nonexistent/x", "--help")
                self.assertEqual((r.returncode, r.stdout), (0, outs[0]))

    def test_every_option_the_parser_takes_is_in_its_help(self):
        listed_all = {p: help_options(run(WARD, *p.split(), "--help").stdout)
                      for p in self.paths}
        pairs = [(p, n) for p in self.paths for n in self.candidates[p] | set(listed_all[p])]
        # Hundreds of short runs: a few at a time.
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = dict(zip(pairs, pool.map(lambda pn: ward_probe(*pn), pairs)))
        for path in self.paths:
            with self.subTest(command=path):
                listed = listed_all[path]
                probed = {n: v for (p, n), v in results.items() if p == path}
                known = {n for n, v in probed.items() if v is not None}
                self.assertEqual(sorted(known - set(listed)), [],
                                 "options the parser takes that help does not list")
                # Help lists nothing the parser refuses, a flag as a flag
                # and an option with a value as one.
                self.assertEqual({n: probed[n] for n in listed}, listed)

    def test_the_options_once_in_no_help_are_listed(self):
        # The options the issue found in no help text.
        for path, name in (("lock init", "no-activate"), ("device init", "no-activate"),
                           ("app pair", "udidx"), ("app pair", "no-client-id"),
                           ("app pair", "no-attach"), ("app send", "channel"),
                           ("app send", "repeat"), ("device run", "no-far"),
                           ("app revoke", "from-escrow"), ("se host", "then")):
            with self.subTest(command=path, option=name):
                self.assertIn(name, help_options(run(WARD, "help", *path.split()).stdout))

    def test_groups_list_their_commands(self):
        groups = sorted({p.split()[0] for p in self.paths if " " in p})
        self.assertEqual(groups, ["app", "device", "factory", "fw", "gateway", "lock", "se",
                                  "subdevice"])
        for group in groups:
            mine = [p for p in self.paths if p.startswith(group + " ")]
            with self.subTest(group=group):
                alone = run(WARD, group)
                self.assertEqual(alone.returncode, 2)
                self.assertNotIn("unknown command", alone.stderr)
                for argv in ([group, "--help"], [group, "-h"], ["help", group]):
                    r = run(WARD, *argv)
                    self.assertEqual(r.returncode, 0, argv)
                    for text in (r.stdout, alone.stderr):
                        for p in mine:
                            self.assertIn("  %s " % p, text)
                bad = run(WARD, group, "no-such-command")
                self.assertEqual(bad.returncode, 2)
                self.assertIn("no-such-command", bad.stderr)
                self.assertIn("--help", bad.stderr)

    def test_unknown_option_exits_2_pointing_to_help(self):
        for path in ("lock init", "app pair", "selftest", "version", "se host"):
            with self.subTest(command=path):
                r = run(WARD, *path.split(), "--bogus")
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, "")
                self.assertIn("unknown option '--bogus'", r.stderr)
                self.assertIn("ward %s --help" % path, r.stderr)
        for argv in (["no-such-command"], ["help", "no-such-command"]):
            r = run(WARD, *argv)
            self.assertEqual(r.returncode, 2)
            self.assertIn("no-such-command", r.stderr)

    def test_top_level_help(self):
        for argv in (["--help"], ["-h"], ["help"]):
            r = run(WARD, *argv)
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            self.assertIn("commands:", r.stdout)
        r = run(WARD)
        self.assertEqual(r.returncode, 2)
        self.assertIn("commands:", r.stderr)


class ManPages(unittest.TestCase):
    def read(self, path):
        with open(path, encoding="utf-8") as f:
            return f.read()

    def test_ward_1_has_every_command_and_option(self):
        page = self.read(WARD_1)
        for path in command_paths():
            with self.subTest(command=path):
                head = '.SS "%s"' % path.replace("-", "\\-")
                self.assertTrue(head in page, head)
                section = page.split(head, 1)[1].split(".SS ", 1)[0]
                for name in help_options(run(WARD, *path.split(), "--help").stdout):
                    roff = "\\fB\\-\\-%s\\fR" % name.replace("-", "\\-")
                    self.assertTrue(roff in section, (path, roff))

    def test_wardd_8_has_every_option_wardd_takes(self):
        page = self.read(os.path.join(SRC, "docs", "man", "wardd.8"))
        r = run(WARDD, "--help")
        self.assertEqual(r.returncode, 0)
        listed = set(re.findall(r"^  --([a-z0-9-]+)", r.stdout, re.M))
        candidates = source_option_names([os.path.join(SRC, "server", "config.c")],
                                         r'\{\s*"([a-z0-9-]+)",')
        known = {n for n in candidates if wardd_knows(n)} | {"config"}
        self.assertGreater(len(known), 10)
        self.assertEqual(sorted(known - listed), [], "wardd options not in wardd --help")
        for name in sorted(listed | known):
            with self.subTest(option=name):
                roff = "\\-\\-" + name.replace("-", "\\-")
                self.assertTrue(roff in page, roff)

    def test_man_pages_lint_clean(self):
        if shutil.which("groff") is None:
            self.skipTest("groff is not installed (Debian groff-base): man pages not linted")
        for page in (WARD_1, os.path.join(SRC, "docs", "man", "wardd.8")):
            with self.subTest(page=page):
                r = run("groff", "-man", "-ww", "-z", page)
                self.assertEqual((r.returncode, r.stderr), (0, ""))


class Completion(unittest.TestCase):
    def complete(self, script, *words):
        """COMPREPLY for the command line `words` (the last one being typed)."""
        if shutil.which("bash") is None:
            self.skipTest("bash is not installed")
        fn = "_wardd" if words[0] == "wardd" else "_ward"
        prog = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); %s; '
                'printf "%%s\\n" "${COMPREPLY[@]}"' % fn)
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([os.path.dirname(WARD), os.path.dirname(WARDD),
                                       env.get("PATH", "")])
        r = subprocess.run(["bash", "-c", prog, "bash",
                            os.path.join(SRC, "contrib", "bash-completion", script), *words],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [w for w in r.stdout.splitlines() if w]

    def test_ward_commands_groups_and_options(self):
        self.assertEqual(self.complete("ward", "ward", "lo"), ["lock"])
        lock = [p.split()[1] for p in command_paths() if p.startswith("lock ")]
        self.assertEqual(sorted(self.complete("ward", "ward", "lock", "")), sorted(lock))
        opts = ["--" + n for n in help_options(run(WARD, "lock", "init", "--help").stdout)]
        opts.append("--help")
        self.assertIn("--no-activate", opts)
        self.assertEqual(sorted(self.complete("ward", "ward", "lock", "init", "--")),
                         sorted(opts))
        self.assertEqual(self.complete("ward", "ward", "app", "pair", "--ud"), ["--udidx"])
        self.assertEqual(sorted(self.complete("ward", "ward", "selftest", "--backend", "")),
                         ["all", "mbedtls", "openssl"])
        self.assertEqual(self.complete("ward", "ward", "help", "fac"), ["factory"])

    def test_wardd_options(self):
        listed = set(re.findall(r"^  (--[a-z0-9-]+)", run(WARDD, "--help").stdout, re.M))
        self.assertEqual(set(self.complete("wardd", "wardd", "--")), listed)
        self.assertEqual(self.complete("wardd", "wardd", "--max-per"), ["--max-per-addr"])


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    WARD, WARDD, SRC, WARD_1 = (os.path.abspath(a) for a in sys.argv[1:5])
    unittest.main(argv=[sys.argv[0]] + sys.argv[5:])
