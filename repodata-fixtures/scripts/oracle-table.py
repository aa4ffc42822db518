#!/usr/bin/python3
"""Print the README case table: case -> packages -> what dnf said, read from the recorded
oracle outputs (BEDDIR/<host>/oracle/*.out) and the case list (DATADIR/cases.tsv).

  oracle-table.py BEDDIR DATADIR  > table.md

Columns: dnf check-update (offered NEVRA.arch), updateinfo list --available (notice and
dnf's severity/type label), and whether the package is in the transaction of
`upgrade-minimal --sec-severity=Critical --sec-severity=Important --bugfix` (AL2023 default
baseline approximation) and of `upgrade --security`.
"""
import os
import re
import sys


def nevra_name(nevra):
    rest = nevra.rsplit(".", 1)[0]
    return rest.rsplit("-", 2)[0], nevra.rsplit(".", 1)[1]


def load(beddir, host):
    od = os.path.join(beddir, host, "oracle")

    def lines(name):
        p = os.path.join(od, name + ".out")
        return open(p).read().splitlines() if os.path.exists(p) else []

    check = {}
    for ln in lines("check-update"):
        f = ln.split()
        if len(f) == 3 and "." in f[0]:
            n, a = f[0].rsplit(".", 1)
            check.setdefault(n, []).append(f"{f[1]}.{a}")
    uinfo = {}
    for ln in lines("updateinfo-list-available"):
        f = ln.split()
        if len(f) == 3:
            n, a = nevra_name(f[2])
            uinfo.setdefault(n, []).append(f"{f[0]} {f[1]} ({a})")

    def txn(name):
        pk = set()
        for ln in lines(name):
            m = re.match(r"^ (\S+)\s+(x86_64|i686|noarch)\s+(\S+)\s+(\S+)", ln)
            if m:
                pk.add(m.group(1))
        return pk

    return check, uinfo, txn("upgrade-minimal-crit-imp-bugfix"), txn("upgrade-security")


def main(beddir, datadir):
    cache = {}
    print("| host | case | package | dnf check-update | dnf updateinfo list --available | "
          "upgrade-minimal Crit+Imp+bugfix | upgrade --security |")
    print("|---|---|---|---|---|---|---|")
    for line in open(os.path.join(datadir, "cases.tsv")):
        if line.startswith("#") or not line.strip():
            continue
        host, case, pkgs = line.rstrip("\n").split("\t")
        if host not in cache:
            cache[host] = load(beddir, host)
        check, uinfo, umin, usec = cache[host]
        for p in pkgs.split(","):
            c = "<br>".join(check.get(p, [])) or "—"
            u = "<br>".join(uinfo.get(p, [])) or "—"
            print(f"| {host} | {case} | `{p}` | {c} | {u} | "
                  f"{'yes' if p in umin else 'no'} | {'yes' if p in usec else 'no'} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
