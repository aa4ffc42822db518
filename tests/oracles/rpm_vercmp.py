#!/usr/bin/python3
"""Oracle: rpm's own comparison (python3-rpm `rpm.labelCompare`) over `A<TAB>B` lines on stdin.

A and B are `[epoch:]version[-release]`; the release is what follows the last `-`, and a
missing epoch or release is passed as None, exactly as `patchscan vercmp rpm` reads them.
Prints `<`, `=` or `>` per line.
"""
import sys
import rpm

def evr(s):
    epoch = None
    if ':' in s:
        epoch, s = s.split(':', 1)
    if '-' in s:
        version, release = s.rsplit('-', 1)
    else:
        version, release = s, None
    return (epoch, version, release)

out = []
for line in sys.stdin:
    a, b = line.rstrip('\n').split('\t')
    c = rpm.labelCompare(evr(a), evr(b))
    out.append('<' if c < 0 else ('>' if c > 0 else '='))
sys.stdout.write('\n'.join(out) + ('\n' if out else ''))
