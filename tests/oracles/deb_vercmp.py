#!/usr/bin/python3
"""Oracle: dpkg's ordering as apt implements it (python3-apt `apt_pkg.version_compare`) over
`A<TAB>B` lines on stdin. Prints `<`, `=` or `>` per line."""
import sys
import apt_pkg

apt_pkg.init_system()
out = []
for line in sys.stdin:
    a, b = line.rstrip('\n').split('\t')
    c = apt_pkg.version_compare(a, b)
    out.append('<' if c < 0 else ('>' if c > 0 else '='))
sys.stdout.write('\n'.join(out) + ('\n' if out else ''))
