#!/usr/bin/env python3
"""Writes an mkfs.xfs protofile (`mkfs.xfs -p FILE`) that copies a directory tree: regular
files, directories and symlinks with their modes, owned by root. xfsprogs 6.1 (Debian 12)
takes only protofiles, not a directory, so this stands in for `mkfs.ext4 -d`.

    xfs-proto.py TREE > proto.txt
"""
import os
import stat
import sys


def mode_spec(st, kind):
    m = stat.S_IMODE(st.st_mode)
    suid = "u" if m & stat.S_ISUID else "-"
    sgid = "g" if m & stat.S_ISGID else "-"
    return f"{kind}{suid}{sgid}{m & 0o777:03o}"


def walk(path, depth, out):
    pad = " " * depth
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if any(c.isspace() for c in name) or name == "$":
            sys.exit(f"{full}: a name a protofile cannot hold")
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            out.append(f"{pad}{name} l--777 0 0 {os.readlink(full)}")
        elif stat.S_ISDIR(st.st_mode):
            out.append(f"{pad}{name} {mode_spec(st, 'd')} 0 0")
            walk(full, depth + 1, out)
            out.append(f"{pad}$")
        elif stat.S_ISREG(st.st_mode):
            out.append(f"{pad}{name} {mode_spec(st, '-')} 0 0 {os.path.abspath(full)}")


def main():
    tree = sys.argv[1]
    out = ["/dev/null", "0 0", "d--755 0 0"]
    walk(tree, 1, out)
    out.append("$")
    print("\n".join(out))


main()
