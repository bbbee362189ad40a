#!/usr/bin/env python3
"""Checks gen_vectors.py: the real vector files generate, and every kind of
malformed file is rejected with "file:line:" and a non-zero exit, writing
no C. Run by ctest as kat_gen_vectors; Python 3 standard library only.

Usage: test_gen_vectors.py VECTOR_DIR
"""

import glob
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, 'gen_vectors.py')
VECTOR_DIR = None

GOOD = """# a comment
[hmac_sha256]
case = ok-1
ref = RFC 4231 section 4.2
key = 0b * 20
data = "Hi There"
mac = b0344c61d8db38535ca8afceaf0bf12b 881dc200c9833da726e9376c2e32cff7
"""

# (what, text, line the message must name)
BAD = [
    ('unknown suite', '[sha512]\ncase = a\n', 1),
    ('field before a suite', 'case = a\n', 1),
    ('field before a case', '[sha256]\nmsg = "abc"\n', 2),
    ('line that is no field', '[sha256]\ncase = a\nthis is not a field\n', 3),
    ('bad case name', '[sha256]\ncase = two words\n', 2),
    ('odd hex', GOOD.replace('0b * 20', '0b0 * 20'), 5),
    ('non-hex digit', GOOD.replace('0b * 20', '0g * 20'), 5),
    ('empty value', GOOD.replace('0b * 20', ''), 5),
    ('unterminated string', GOOD.replace('"Hi There"', '"Hi There'), 6),
    ('backslash in string', GOOD.replace('"Hi There"', '"Hi\\x20"'), 6),
    ('text after a value', GOOD.replace('0b * 20', '0b * 20 junk'), 5),
    ('repeat of zero', GOOD.replace('0b * 20', '0b * 0'), 5),
    ('field not in suite', GOOD.replace('key = ', 'nonce = '), 5),
    ('field given twice', GOOD + 'mac = 00\n', 8),
    ('missing field', GOOD.replace('data = "Hi There"\n', ''), 3),
    ('missing ref', GOOD.replace('ref = RFC 4231 section 4.2\n', ''), 3),
    ('wrong length', GOOD.replace('881dc200c9833da726e9376c2e32cff7',
                                  '881dc200c9833da726e9376c2e32cff700'), 7),
    ('duplicate case', GOOD + GOOD.replace('[hmac_sha256]\n', ''), 9),
    ('ccm ct not the length of pt', """[aes128_ccm]
case = c
ref = x
key = 00 * 16
nonce = 00 * 13
ad = ""
pt = 0001
ct = 00
tag = 00 * 16
""", 8),
    ('non-ASCII byte', GOOD.replace('Hi There', 'Hi Th\u00e9re'), 6),
]


def run(files, out):
    return subprocess.run([sys.executable, GEN, out] + files,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)


class GenVectors(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.tmp.name, 'out.c')

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, 'w', encoding='utf-8') as fh:
            fh.write(text)
        return path

    def test_real_vectors_generate(self):
        files = sorted(glob.glob(os.path.join(VECTOR_DIR, '*.txt')))
        self.assertTrue(files)
        r = run(files, self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.out) as fh:
            text = fh.read()
        self.assertIn('const size_t ward_kat_case_count = ', text)

    def test_good_snippet_generates(self):
        r = run([self.write('good.txt', GOOD)], self.out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.out) as fh:
            self.assertIn('ward_kat_case_count = 1;', fh.read())

    def test_malformed_files_are_rejected(self):
        for what, text, line in BAD:
            with self.subTest(what):
                path = self.write('bad.txt', text)
                if os.path.exists(self.out):
                    os.remove(self.out)
                r = run([path], self.out)
                self.assertNotEqual(r.returncode, 0, what)
                self.assertIn('%s:%d:' % (path, line), r.stderr, what)
                self.assertFalse(os.path.exists(self.out), what)

    def test_one_bad_file_among_good_ones_writes_nothing(self):
        good = self.write('good.txt', GOOD)
        bad = self.write('bad.txt', '[nope]\n')
        r = run([good, bad], self.out)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(self.out))

    def test_no_cases_is_an_error(self):
        r = run([self.write('empty.txt', '# nothing\n')], self.out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('no cases', r.stderr)


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.stderr.write('usage: test_gen_vectors.py VECTOR_DIR\n')
        sys.exit(2)
    VECTOR_DIR = sys.argv.pop(1)
    unittest.main()
