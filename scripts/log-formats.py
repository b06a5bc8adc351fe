#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""log-formats.py: lists every message format ade-unlock can log.

Reads unlock/src/*.c, finds each log_error/log_warn/log_notice/log_info/
log_debug/log_msg call and prints its format string (adjacent C string
literals joined, escapes kept as written), one per line, sorted, unique.
With --check FILE: exits 1 and names each format that FILE does not contain
verbatim, so the operators' guide cannot fall behind the code.
"""
import glob
import re
import sys

# The call, and how many arguments stand before the format.
CALLS = [
    (re.compile(r'\blog_(error|warn|notice|info|debug)\s*\('), 1),
    (re.compile(r'\bset_reason\s*\('), 2),   # a device's final reason
]
LIT = re.compile(r'\s*"((?:[^"\\]|\\.)*)"')


def skip_arg(src, i):
    """Returns the index after the first argument (the subject) and its comma."""
    depth = 0
    while i < len(src):
        c = src[i]
        if c == '"':
            i += 1
            while src[i] != '"':
                i += 2 if src[i] == '\\' else 1
        elif c in '([':
            depth += 1
        elif c in ')]':
            depth -= 1
        elif c == ',' and depth == 0:
            return i + 1
        i += 1
    return i


def call_formats(src, call, nskip):
    """The format strings of every call of one kind in src."""
    for m in call.finditer(src):
        i = m.end()
        for _ in range(nskip):
            i = skip_arg(src, i)
        parts = []
        while True:
            lm = LIT.match(src, i)
            if not lm:
                break
            parts.append(lm.group(1))
            i = lm.end()
        if parts:
            yield ''.join(parts)


def formats(paths):
    out = set()
    for p in paths:
        src = open(p, encoding='utf-8').read()
        for call, nskip in CALLS:
            out.update(call_formats(src, call, nskip))
    return sorted(out)


def main():
    fmts = formats(sorted(glob.glob('unlock/src/*.c')))
    if len(sys.argv) == 3 and sys.argv[1] == '--check':
        doc = open(sys.argv[2], encoding='utf-8').read()
        missing = [f for f in fmts if f not in doc]
        for f in missing:
            print('not in %s: %s' % (sys.argv[2], f))
        print('%d log formats, %d missing from %s' % (len(fmts), len(missing), sys.argv[2]))
        return 1 if missing else 0
    for f in fmts:
        print(f)
    return 0


if __name__ == '__main__':
    sys.exit(main())
