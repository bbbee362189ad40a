#!/usr/bin/env python3
"""Turns the known-answer vector files (tests/vectors/*.txt) into one C file.

Usage: gen_vectors.py OUT.c VECTORS.txt [VECTORS.txt ...]

The format is described in tests/vectors/README.md. In short:

    # a comment line
    [suite]                 selects the suite of the cases that follow
    case = NAME             opens a case
    ref = TEXT              where the case comes from (required)
    key = VALUE             a field of the case

VALUE is hex digits (spaces allowed between them), or "ascii text" between
double quotes (no backslashes, no escapes), or either followed by "* N" to
repeat it N times. "" is the empty value.

Every suite has a schema below: which fields a case must have, which it may
have, and their lengths. A file that breaks any rule is rejected with
"file:line: message" on stderr and exit status 1, and no C is written, so a
typo in a vector can never silently drop or weaken a case.

Python 3 standard library only.
"""

import os
import re
import sys

# A field repeated to more than this many bytes stays a pattern and a count
# in the C table (the runner feeds it piecewise or expands it on demand);
# smaller ones are written out in full.
EXPAND_LIMIT = 4096
TOTAL_LIMIT = 16 * 1024 * 1024

ANY = None


def lengths(*allowed):
    return frozenset(allowed)


def span(lo, hi):
    return range(lo, hi + 1)


# suite -> field -> (required, allowed lengths or ANY)
SCHEMA = {
    'sha256': {
        'msg': (True, ANY),
        'digest': (True, lengths(32)),
    },
    'hmac_sha256': {
        'key': (True, ANY),
        'data': (True, ANY),
        'mac': (True, span(1, 32)),  # shorter than 32: a truncated MAC
    },
    'hkdf_sha256': {
        'ikm': (True, ANY),
        'salt': (True, ANY),
        'info': (True, ANY),
        'prk': (False, lengths(32)),
        'okm': (True, span(1, 255 * 32)),
    },
    'aes128_ccm': {
        'key': (True, lengths(16)),
        'nonce': (True, span(7, 13)),
        'ad': (True, ANY),
        'pt': (True, ANY),
        'ct': (True, ANY),
        'tag': (True, lengths(4, 6, 8, 10, 12, 14, 16)),
    },
    'aes128_cmac': {
        'key': (True, lengths(16)),
        'msg': (True, ANY),
        'mac': (True, lengths(16)),
    },
    'ecdsa_p256': {
        'x': (True, lengths(32)),
        'ux': (True, lengths(32)),
        'uy': (True, lengths(32)),
        'msg': (True, ANY),
        'k': (False, lengths(32)),
        'r': (True, lengths(32)),
        's': (True, lengths(32)),
    },
    'spake2p': {
        'context': (True, span(0, 255)),
        'id_prover': (True, span(0, 255)),
        'id_verifier': (True, span(0, 255)),
        'w0': (True, lengths(32)),
        'w1': (True, lengths(32)),
        'l': (True, lengths(65)),
        'm': (True, lengths(65)),
        'n': (True, lengths(65)),
        'x': (True, lengths(32)),
        'share_p': (True, lengths(65)),
        'y': (True, lengths(32)),
        'share_v': (True, lengths(65)),
        'z': (True, lengths(65)),
        'v': (True, lengths(65)),
        'tt': (True, ANY),
        'k_main': (True, lengths(32)),
        'k_confirm_p': (True, lengths(32)),
        'k_confirm_v': (True, lengths(32)),
        'confirm_p': (True, lengths(32)),
        'confirm_v': (True, lengths(32)),
        'k_shared': (True, lengths(32)),
    },
}

NAME_RE = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]*$')
KEY_RE = re.compile(r'[a-z][a-z0-9_]*$')
SUITE_RE = re.compile(r'\[([^\]]*)\]$')
FIELD_RE = re.compile(r'([^=\s]+)\s*=\s*(.*)$')
HEX_RE = re.compile(r'[0-9A-Fa-f]*$')
REPEAT_RE = re.compile(r'\*\s*([0-9]+)$')


class VectorError(Exception):
    def __init__(self, where, message):
        Exception.__init__(self, '%s: %s' % (where, message))


class Field(object):
    def __init__(self, key, pattern, repeat, line):
        self.key = key
        self.pattern = pattern
        self.repeat = repeat
        self.line = line

    def total(self):
        return len(self.pattern) * self.repeat


class Case(object):
    def __init__(self, suite, name, path, line):
        self.suite = suite
        self.name = name
        self.path = path
        self.line = line
        self.ref = None
        self.fields = []

    def get(self, key):
        for f in self.fields:
            if f.key == key:
                return f
        return None


def parse_value(text, where):
    """Returns (pattern bytes, repeat count) of a VALUE."""
    text = text.strip()
    if text.startswith('"'):
        end = text.find('"', 1)
        if end < 0:
            raise VectorError(where, 'unterminated string (no closing ")')
        body, rest = text[1:end], text[end + 1:].strip()
        for ch in body:
            if ch == '\\' or not (' ' <= ch <= '~'):
                raise VectorError(where, 'strings hold printable ASCII only, '
                                  'without backslashes (use hex for other bytes)')
        pattern = body.encode('ascii')
    else:
        star = text.find('*')
        digits, rest = (text, '') if star < 0 else (text[:star], text[star:])
        digits = ''.join(digits.split())
        if digits == '':
            raise VectorError(where, 'empty value: write "" for zero bytes')
        if not HEX_RE.match(digits):
            raise VectorError(where, 'not hex: %r (quote ASCII text)' % digits[:40])
        if len(digits) % 2 != 0:
            raise VectorError(where, 'odd number of hex digits (%d)' % len(digits))
        pattern = bytes.fromhex(digits)
    repeat = 1
    if rest:
        m = REPEAT_RE.match(rest)
        if not m:
            raise VectorError(where, 'unexpected text after the value: %r '
                              '(only "* N" may follow)' % rest[:40])
        repeat = int(m.group(1))
        if repeat < 1:
            raise VectorError(where, 'repeat count must be at least 1')
        if len(pattern) == 0:
            raise VectorError(where, 'repeating an empty value')
    if len(pattern) * repeat > TOTAL_LIMIT:
        raise VectorError(where, 'value longer than %d bytes' % TOTAL_LIMIT)
    return pattern, repeat


def parse_file(path):
    """Returns the cases of one vector file, or raises VectorError."""
    try:
        with open(path, 'rb') as fh:
            raw = fh.read()
    except OSError as e:
        raise VectorError(path, 'cannot read: %s' % e.strerror)
    try:
        text = raw.decode('ascii')
    except UnicodeDecodeError as e:
        raise VectorError('%s:%d' % (path, raw[:e.start].count(b'\n') + 1),
                          'non-ASCII byte')
    cases = []
    suite = None
    case = None
    for number, line in enumerate(text.split('\n'), 1):
        where = '%s:%d' % (path, number)
        line = line.strip()
        if line == '' or line.startswith('#'):
            continue
        m = SUITE_RE.match(line)
        if m:
            suite = m.group(1).strip()
            if suite not in SCHEMA:
                raise VectorError(where, 'unknown suite [%s] (known: %s)'
                                  % (suite, ', '.join(sorted(SCHEMA))))
            case = None
            continue
        m = FIELD_RE.match(line)
        if not m:
            raise VectorError(where, 'expected "[suite]", "key = value" or a '
                              '"#" comment, got %r' % line[:40])
        key, value = m.group(1), m.group(2).strip()
        if suite is None:
            raise VectorError(where, '"%s" before any [suite] line' % key)
        if key == 'case':
            if not NAME_RE.match(value):
                raise VectorError(where, 'bad case name %r (letters, digits, '
                                  '".", "_", "-")' % value)
            case = Case(suite, value, path, number)
            cases.append(case)
            continue
        if case is None:
            raise VectorError(where, '"%s" before any "case = NAME" line' % key)
        if key == 'ref':
            if case.ref is not None:
                raise VectorError(where, 'second "ref" in case %s' % case.name)
            if value == '':
                raise VectorError(where, 'empty ref: name the document and '
                                  'section the case comes from')
            case.ref = value
            continue
        if not KEY_RE.match(key):
            raise VectorError(where, 'bad field name %r' % key)
        if key not in SCHEMA[suite]:
            raise VectorError(where, 'field "%s" is not part of suite [%s] '
                              '(allowed: %s)' % (key, suite,
                                                 ', '.join(SCHEMA[suite])))
        if case.get(key) is not None:
            raise VectorError(where, 'field "%s" given twice in case %s'
                              % (key, case.name))
        pattern, repeat = parse_value(value, where)
        case.fields.append(Field(key, pattern, repeat, number))
    for case in cases:
        check_case(case)
    return cases


def check_case(case):
    where = '%s:%d' % (case.path, case.line)
    if case.ref is None:
        raise VectorError(where, 'case %s has no "ref" line' % case.name)
    for key, (required, allowed) in SCHEMA[case.suite].items():
        f = case.get(key)
        if f is None:
            if required:
                raise VectorError(where, 'case %s lacks field "%s"'
                                  % (case.name, key))
            continue
        if allowed is not ANY and f.total() not in allowed:
            raise VectorError('%s:%d' % (case.path, f.line),
                              'field "%s" is %d bytes; %s allows %s'
                              % (key, f.total(), case.suite, describe(allowed)))
    if case.suite == 'aes128_ccm':
        if case.get('ct').total() != case.get('pt').total():
            raise VectorError('%s:%d' % (case.path, case.get('ct').line),
                              'ct is %d bytes but pt is %d: CCM ciphertext '
                              'has the length of the plaintext (the tag is '
                              'separate)' % (case.get('ct').total(),
                                             case.get('pt').total()))


def describe(allowed):
    if isinstance(allowed, range):
        return '%d..%d' % (allowed.start, allowed.stop - 1)
    return ', '.join(str(n) for n in sorted(allowed))


def c_string(s):
    out = []
    for ch in s:
        if ch in '"\\':
            out.append('\\' + ch)
        elif ' ' <= ch <= '~':
            out.append(ch)
        else:
            out.append('\\x%02x' % ord(ch))
    return '"' + ''.join(out) + '"'


def c_bytes(data):
    lines = []
    for i in range(0, len(data), 12):
        lines.append('    ' + ' '.join('0x%02x,' % b for b in data[i:i + 12]))
    return '\n'.join(lines)


def emit(cases, sources):
    out = []
    out.append('/* Generated by selftest/gen_vectors.py; do not edit. Edit the vector\n'
               ' * files and rebuild. Sources:')
    for s in sources:
        out.append(' *   %s' % os.path.basename(s))
    out.append(' */')
    out.append('#include "ward_kat_vectors.h"\n')
    for ci, case in enumerate(cases):
        for fi, f in enumerate(case.fields):
            if f.total() <= EXPAND_LIMIT:
                data, repeat = f.pattern * f.repeat, 1
            else:
                data, repeat = f.pattern, f.repeat
            f.c_data, f.c_repeat = data, repeat
            if data:
                out.append('static const uint8_t kat_%d_%d[%d] = {\n%s\n};'
                           % (ci, fi, len(data), c_bytes(data)))
        out.append('static const ward_kat_field kat_%d_fields[%d] = {'
                   % (ci, len(case.fields)))
        for fi, f in enumerate(case.fields):
            ptr = 'kat_%d_%d' % (ci, fi) if f.c_data else 'NULL'
            out.append('    { %s, %s, %d, %d },'
                       % (c_string(f.key), ptr, len(f.c_data), f.c_repeat))
        out.append('};\n')
    out.append('const ward_kat_case ward_kat_cases[%d] = {' % len(cases))
    for ci, case in enumerate(cases):
        out.append('    { %s, %s,\n      %s,\n      %s, %d, kat_%d_fields, %d },'
                   % (c_string(case.suite), c_string(case.name),
                      c_string(case.ref), c_string(os.path.basename(case.path)),
                      case.line, ci, len(case.fields)))
    out.append('};\n')
    out.append('const size_t ward_kat_case_count = %d;' % len(cases))
    return '\n'.join(out) + '\n'


def main(argv):
    if len(argv) < 3:
        sys.stderr.write('usage: %s OUT.c VECTORS.txt [VECTORS.txt ...]\n'
                         % os.path.basename(argv[0]))
        return 2
    out_path, sources = argv[1], argv[2:]
    cases = []
    errors = 0
    for path in sources:
        try:
            cases.extend(parse_file(path))
        except VectorError as e:
            sys.stderr.write('%s\n' % e)
            errors += 1
    if errors == 0:
        seen = {}
        for case in cases:
            key = (case.suite, case.name)
            if key in seen:
                sys.stderr.write('%s:%d: case %s [%s] already defined at %s\n'
                                 % (case.path, case.line, case.name,
                                    case.suite, seen[key]))
                errors += 1
            seen[key] = '%s:%d' % (case.path, case.line)
    if errors == 0 and not cases:
        sys.stderr.write('%s: no cases in %s\n'
                         % (os.path.basename(argv[0]), ', '.join(sources)))
        errors += 1
    if errors:
        sys.stderr.write('gen_vectors.py: %d file(s) rejected; %s not written\n'
                         % (errors, out_path))
        return 1
    # Write beside the target, then rename: a failed or interrupted run
    # never leaves a half-written table for the build to pick up.
    tmp = out_path + '.tmp'
    with open(tmp, 'w') as fh:
        fh.write(emit(cases, sources))
    os.replace(tmp, out_path)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
