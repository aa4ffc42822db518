#!/usr/bin/python3
"""Helper for make-suse-beds.sh: plans the SUSE test beds from REAL SUSE updateinfo.

It reads a real updateinfo.xml.gz (copied byte-for-byte from openSUSE/libzypp, see
/work/shared/realdata/INVENTORY.tsv), and writes what the real tools then turn into a bed:
  * rpmbuild spec files for every package the updateinfo's pkglists name for the arches an
    x86_64 host can use (x86_64, noarch, i586, i686) with the real name/version/release, plus
    the extra older/newer builds the host's rpmdb needs;
  * the list of RPMs each repo carries and the list each host's rpmdb gets (rpm --justdb);
  * the host root files (etc/os-release, etc/products.d), written by this script;
  * the updateinfo.xml for modifyrepo_c: the real file decompressed, byte-identical content
    (its sha1 is checked against the open-checksum of the real repomd.xml);
  * installed-plan.tsv per host (what was installed for which name.arch and why) and the
    seeded query list (bugzilla/CVE IDs, patch names) the oracle asks zypper about.
It never builds, installs or runs anything itself.

Sub-commands:
  plan REALDIR OUTDIR WORKDIR      write everything above for all beds in BEDS
  readme REALDIR INVENTORY OUTDIR  write OUTDIR/PROVENANCE.md (rows of INVENTORY.tsv, sha256 checked)
  repomd-pin REPOMD EPOCH          set every <timestamp> to EPOCH (modifyrepo_c stamps the wall clock)

Everything is derived from the fixed inputs and a fixed seed per bed, so re-running gives
identical output.  Version comparisons use real librpm (python3-rpm's labelCompare).
"""
import functools
import gzip
import hashlib
import os
import random
import re
import sys
import xml.etree.ElementTree as ET
from collections import OrderedDict, defaultdict

import rpm  # python3-rpm (librpm 4.18): the real rpmvercmp

NS = "{http://novell.com/package/metadata/suse/updateinfo}"
HOST_ARCHES = ("x86_64", "noarch", "i686", "i586")   # what an x86_64 SUSE host can install
VENDOR = "SUSE LINUX Products GmbH, Nuernberg, Germany"   # vendor in the real primary.xml.gz

# Per bed: host dir name, the realdata source (libzypp/<source>/repodata/updateinfo.xml.gz),
# the repo alias, the seed of the installed-set choice, and the identity files.
BEDS = [
    {
        "host": "sles15sp5",
        "source": "opensuse-11.0-update",
        "repo": "opensuse-11.0-update",
        "seed": 155001,
        # state weights per name: older / equal / newer / not installed
        "weights": (24, 11, 3, 62),   # ~250 of 668 names: keeps the rpmdb < 1 MB
        # fixed states on top of the seeded draw, so that these cases exist for sure:
        # a name in 4 patch versions installed at the lowest one; kernel at the highest
        "pins": {"MozillaFirefox": "equal-lowest", "kernel-default": "equal-highest"},
        "os_release": (
            'NAME="SLES"\n'
            'VERSION="15-SP5"\n'
            'VERSION_ID="15.5"\n'
            'PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\n'
            'ID="sles"\n'
            'ID_LIKE="suse"\n'
            'ANSI_COLOR="0;32"\n'
            'CPE_NAME="cpe:/o:suse:sles:15:sp5"\n'
            'DOCUMENTATION_URL="https://documentation.suse.com/"\n'
        ),
        "product": ("SLES", "SUSE", "15.5", "cpe:/o:suse:sles:15:sp5", "sles",
                    "SUSE Linux Enterprise Server 15 SP5", "SLES15-SP5"),
    },
    {
        "host": "leap155",
        "source": "delta",
        "repo": "delta",
        "seed": 155002,
        "weights": (40, 20, 5, 35),
        # libzypp's own single-package test patches, one per verdict; kernel-default at the
        # version of kernel-4, below kernel-12
        "pins": {"update-test-security": "equal-highest", "update-test-trival": "newer",
                 "update-test-optional": "older", "update-test-reboot-needed": "older",
                 "update-test-affects-package-manager": "older", "SuSEfirewall2": "equal-highest",
                 "kernel-default": "equal-lowest"},
        "os_release": (
            'NAME="openSUSE Leap"\n'
            'VERSION="15.5"\n'
            'ID="opensuse-leap"\n'
            'ID_LIKE="suse opensuse"\n'
            'VERSION_ID="15.5"\n'
            'PRETTY_NAME="openSUSE Leap 15.5"\n'
            'ANSI_COLOR="0;32"\n'
            'CPE_NAME="cpe:/o:opensuse:leap:15.5"\n'
            'BUG_REPORT_URL="https://bugs.opensuse.org"\n'
            'HOME_URL="https://www.opensuse.org/"\n'
            'DOCUMENTATION_URL="https://en.opensuse.org/Portal:Leap"\n'
            'LOGO="distributor-logo-Leap"\n'
        ),
        "product": ("Leap", "openSUSE", "15.5", "cpe:/o:opensuse:leap:15.5", "Leap",
                    "openSUSE Leap 15.5", "openSUSE Leap"),
    },
]

# Build times of the packages that exist only in a host's rpmdb (not in any pkglist).
OLD_BUILDTIME = 1212278400    # 2008-06-01T00:00:00Z, before every patch of both sources


# ---------------------------------------------------------------- version helpers
def evr_cmp(a, b):
    """a, b: (version, release); real rpmvercmp via librpm.  Epoch is always 0 here."""
    return rpm.labelCompare(("0", a[0], a[1]), ("0", b[0], b[1]))


EVR_KEY = functools.cmp_to_key(lambda a, b: evr_cmp(a, b))


def lead_int(s):
    m = re.match(r"(\d+)", s)
    return int(m.group(1)) if m else None


def older_evr(listed):
    """An EVR below every listed (version, release) of the name (same epoch 0)."""
    lo = listed[0]
    for x in listed[1:]:
        if evr_cmp(x, lo) < 0:
            lo = x
    v, r = lo
    cands = []
    n = lead_int(r)
    if n is not None and n >= 2:
        cands.append((v, f"{n - 1}.1"))          # 110.2 -> 109.1 (an earlier build of v)
    # lower the last numeric segment of the version: 2.16.19 -> 2.16.18
    m = re.match(r"^(.*?)(\d+)([^\d]*)$", v)
    if m and int(m.group(2)) > 0:
        cands.append((f"{m.group(1)}{int(m.group(2)) - 1}{m.group(3)}", "1"))
    cands.append((v, "0"))
    cands.append(("0", "0"))
    for c in cands:
        if all(evr_cmp(c, x) < 0 for x in listed):
            return c
    sys.exit(f"cannot construct an EVR below {listed}")


def newer_evr(listed):
    hi = listed[0]
    for x in listed[1:]:
        if evr_cmp(x, hi) > 0:
            hi = x
    v, r = hi
    n = lead_int(r)
    c = (v, f"{(n or 0) + 1}.1")
    if all(evr_cmp(c, x) > 0 for x in listed):
        return c
    sys.exit(f"cannot construct an EVR above {listed}")


# ---------------------------------------------------------------- updateinfo
def read_updateinfo(path):
    """-> (raw xml bytes, [patch dict]) in file order."""
    raw = gzip.open(path).read()
    root = ET.fromstring(raw)
    patches = []
    for u in root.findall(NS + "update"):
        pkgs = []
        for p in u.iter(NS + "package"):
            pkgs.append((p.get("name"), p.get("version"), p.get("release"), p.get("arch")))
        refs = [(r.get("type"), r.get("id")) for r in u.iter(NS + "reference")]
        desc = u.findtext(NS + "description") or ""
        patches.append({
            "id": u.findtext(NS + "id"),
            "version": u.get("version"),
            "type": u.get("type"),
            "severity": u.findtext(NS + "severity"),
            "issued": int(u.find(NS + "issued").get("date")),
            "refs": refs,
            "cves": sorted(set(re.findall(r"CVE-\d{4}-\d{4,}", desc))),
            "pkgs": pkgs,
        })
    return raw, patches


def sha1_hex(data):
    return hashlib.sha1(data).hexdigest()


def real_open_checksum(repomd_path, mdtype):
    text = open(repomd_path).read()
    m = re.search(r'<data type="%s">.*?<open-checksum type="sha">([0-9a-f]+)</open-checksum>' % mdtype,
                  text, re.S)
    return m.group(1) if m else None


# ---------------------------------------------------------------- spec generation
def rpm_relpath(n, v, r, a):
    return f"{a}/{n}-{v}-{r}.{a}.rpm"


def write_specs(pkgs, workdir):
    """pkgs: {(n, v, r, a): buildtime}.  One rpmbuild run per (target, buildtime) group,
    each spec holding payload-less sub-packages (unique names inside one spec: a second
    version of a name goes into the next batch).  noarch is built in the x86_64 runs."""
    groups = defaultdict(list)
    for (n, v, r, a), bt in sorted(pkgs.items()):
        target = a if a in ("i586", "i686") else "x86_64"
        groups[(target, bt)].append((n, v, r, a))
    os.makedirs(os.path.join(workdir, "specs"), exist_ok=True)
    builds = []
    for (target, bt), items in sorted(groups.items()):
        batches = []
        for it in items:
            for b in batches:
                if it[0] not in b:
                    b[it[0]] = it
                    break
            else:
                batches.append(OrderedDict([(it[0], it)]))
        for i, b in enumerate(batches):
            stem = f"suse-{target}-{bt}-{i}"
            lines = [
                f"# generated by suse-bedgen.py - {len(b)} sub-packages, buildtime {bt}",
                f"Name: {stem}-batch",
                "Version: 0",
                "Release: 0",
                "Summary: patchscan SUSE test-bed package",
                "License: MIT",
                f"Vendor: {VENDOR}",
                "%description",
                "Batch container; the main package has no %files and is not written.",
                "",
            ]
            for n, v, r, a in b.values():
                lines += [f"%package -n {n}", f"Version: {v}", f"Release: {r}",
                          f"Summary: patchscan SUSE test-bed package ({n})"]
                if a == "noarch":
                    lines.append("BuildArch: noarch")
                lines += [f"%description -n {n}", f"{n} (test bed, no payload)", ""]
            for n in b:
                lines.append(f"%files -n {n}")
            with open(os.path.join(workdir, "specs", stem + ".spec"), "w") as fh:
                fh.write("\n".join(lines) + "\n")
            builds.append((stem + ".spec", target, str(bt)))
    with open(os.path.join(workdir, "builds.tsv"), "w") as fh:
        for row in builds:
            fh.write("\t".join(row) + "\n")
    return builds


def product_xml(name, vendor, version, cpe, productline, summary, short):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<product schemeversion="0">
  <vendor>{vendor}</vendor>
  <name>{name}</name>
  <version>{version}</version>
  <release>0</release>
  <endoflife></endoflife>
  <arch>x86_64</arch>
  <cpeid>{cpe}</cpeid>
  <productline>{productline}</productline>
  <register>
    <pool>
    </pool>
  </register>
  <updaterepokey>A43242DKD</updaterepokey>
  <summary>{summary}</summary>
  <shortsummary>{short}</shortsummary>
  <description>{summary} (patchscan test bed)</description>
  <linguas>
    <language>en_US</language>
  </linguas>
  <urls>
  </urls>
  <buildconfig>
    <producttheme>{name}</producttheme>
  </buildconfig>
  <installconfig>
    <defaultlang>en_US</defaultlang>
    <datadir>suse</datadir>
    <descriptiondir>suse/setup/descr</descriptiondir>
    <releasepackage name="{name.lower()}-release" flag="EQ" version="{version}" release="0"/>
    <distribution>{name}</distribution>
  </installconfig>
  <runtimeconfig/>
</product>
"""


# ---------------------------------------------------------------- plan
def plan(realdir, outdir, workdir):
    allpkgs = {}          # (n, v, r, a) -> buildtime
    repos_tsv = []
    for bed in BEDS:
        host, repo = bed["host"], bed["repo"]
        src = os.path.join(realdir, bed["source"], "repodata")
        raw, patches = read_updateinfo(os.path.join(src, "updateinfo.xml.gz"))
        want = real_open_checksum(os.path.join(src, "repomd.xml"), "updateinfo")
        if want and sha1_hex(raw) != want:
            sys.exit(f"{src}: updateinfo content sha1 {sha1_hex(raw)} != repomd open-checksum {want}")
        with open(os.path.join(workdir, f"updateinfo-{repo}.xml"), "wb") as fh:
            fh.write(raw)

        # every (n, v, r, a) of the pkglists an x86_64 host can use; buildtime = issued date
        # of the first patch (in file order) that lists it
        repo_pkgs = OrderedDict()
        listed = defaultdict(set)          # (n, a) -> {(v, r)}
        patches_of = defaultdict(list)     # (n, a) -> ["id/version"]
        for p in patches:
            for n, v, r, a in p["pkgs"]:
                if a not in HOST_ARCHES:
                    continue
                repo_pkgs.setdefault((n, v, r, a), p["issued"])
                listed[(n, a)].add((v, r))
                tag = f'{p["id"]}/{p["version"]}'
                if tag not in patches_of[(n, a)]:
                    patches_of[(n, a)].append(tag)
        for k, bt in repo_pkgs.items():
            if allpkgs.get(k, bt) != bt:
                sys.exit(f"conflicting buildtime for {k}")
            allpkgs[k] = bt
        with open(os.path.join(workdir, f"repo-{repo}.list"), "w") as fh:
            fh.write("".join(rpm_relpath(*k) + "\n" for k in sorted(repo_pkgs)))
        repos_tsv.append((repo, host))
        max_issued = max(p["issued"] for p in patches)

        # host arch of each name: x86_64 if listed, else noarch, else i686, else i586 (the
        # i586-only builds of the data, e.g. acroread, kernel-pae, as an x86_64 host sees them).
        # No name is installed in two arches: SUSE ships 32-bit libraries as x86_64 "-32bit"
        # packages, and payload-less same-name multilib pairs make zypper's solver refuse them.
        rnd = random.Random(bed["seed"])
        names = sorted({n for n, a in listed})
        arches_of = defaultdict(set)
        for n, a in listed:
            arches_of[n].add(a)
        plan_rows = []
        install = []
        states = ("older", "equal", "newer", "none")
        for n in names:
            arch = next(a for a in HOST_ARCHES if a in arches_of[n])
            state = rnd.choices(states, weights=bed["weights"])[0]
            pin = bed["pins"].get(n)
            if pin:
                state = "equal" if pin.startswith("equal") else pin
            for a in (arch,):
                evrs = sorted(listed[(n, a)], key=EVR_KEY)   # several versions: all count
                if state == "older":
                    v, r = older_evr(evrs)
                    allpkgs.setdefault((n, v, r, a), OLD_BUILDTIME)
                elif state == "newer":
                    v, r = newer_evr(evrs)
                    allpkgs.setdefault((n, v, r, a), max_issued + 86400)
                elif state == "equal":
                    v, r = rnd.choice(evrs)
                    if pin == "equal-lowest":
                        v, r = evrs[0]
                    elif pin == "equal-highest":
                        v, r = evrs[-1]
                else:
                    v = r = "-"
                if state != "none":
                    install.append(rpm_relpath(n, v, r, a))
                lst = ",".join(f"{x}-{y}" for x, y in evrs)
                inst = "-" if state == "none" else f"{v}-{r}"
                if state == "equal":
                    ordered = evrs
                    pos = ordered.index((v, r))
                    detail = ("equal-only" if len(ordered) == 1 else
                              "equal-highest" if pos == len(ordered) - 1 else "equal-lower")
                else:
                    detail = state
                plan_rows.append((n, a, detail, inst, lst, " ".join(patches_of[(n, a)])))

        # host root
        etc = os.path.join(outdir, host, "root", "etc")
        os.makedirs(os.path.join(etc, "products.d"), exist_ok=True)
        with open(os.path.join(etc, "os-release"), "w") as fh:
            fh.write(bed["os_release"])
        prod = bed["product"]
        with open(os.path.join(etc, "products.d", f"{prod[0]}.prod"), "w") as fh:
            fh.write(product_xml(*prod))
        link = os.path.join(etc, "products.d", "baseproduct")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(f"{prod[0]}.prod", link)
        with open(os.path.join(workdir, f"install-{host}.list"), "w") as fh:
            fh.write("".join(x + "\n" for x in sorted(install)))
        with open(os.path.join(outdir, host, "installed-plan.tsv"), "w") as fh:
            fh.write("# name\tarch\tstate\tinstalled_version-release\tlisted_version-releases"
                     "\tpatches(id/version)\n")
            fh.write("# state: older = below every listed version; newer = above every listed one;\n"
                     "# equal-only / equal-lower / equal-highest = equal to the only / a lower /\n"
                     "# the highest listed version; none = not installed.  Written by suse-bedgen.py plan.\n")
            for row in plan_rows:
                fh.write("\t".join(row) + "\n")

        # seeded queries for the oracle: classify patches by what is installed (only to
        # pick varied IDs; the verdict itself is zypper's)
        inst_map = {}
        for n, a, detail, inst, _l, _p in plan_rows:
            if inst != "-":
                inst_map[(n, a)] = tuple(inst.rsplit("-", 1))
        kinds = defaultdict(list)
        for p in patches:
            rel = [(n, v, r, a) for n, v, r, a in p["pkgs"] if (n, a) in inst_map]
            if not rel:
                k = "none-installed"
            elif any(evr_cmp(inst_map[(n, a)], (v, r)) < 0 for n, v, r, a in rel):
                k = "some-older"
            else:
                k = "all-current"
            kinds[k].append(p)
        queries = []
        for k in ("some-older", "all-current", "none-installed"):
            ps = kinds[k]
            bzs = sorted({i for p in ps for t, i in p["refs"] if t == "bugzilla"})
            for i in rnd.sample(bzs, min(2, len(bzs))):
                queries.append(("bugzilla", i, k))
            cves = sorted({c for p in ps for c in p["cves"]})
            for c in rnd.sample(cves, min(2, len(cves))):
                queries.append(("cve", c, k))
            ids = sorted({p["id"] for p in ps})
            for i in rnd.sample(ids, min(2, len(ids))):
                queries.append(("patch", i, k))
        # a patch id that exists in several versions (real duplicates in 11.0), if any
        count = defaultdict(int)
        for p in patches:
            count[p["id"]] += 1
        dups = sorted(i for i, c in count.items() if c > 2)
        if dups:
            queries.append(("patch", rnd.choice(dups), "several-versions"))
        seen = set()
        with open(os.path.join(outdir, host, "queries.tsv"), "w") as fh:
            for q in queries:
                if q[:2] in seen:
                    continue
                seen.add(q[:2])
                fh.write("\t".join(q) + "\n")
        print(f"{host}: {len(patches)} patches, {len(repo_pkgs)} repo packages, "
              f"{len(names)} names, {len(install)} installed "
              f"({', '.join(f'{s}={sum(1 for r in plan_rows if r[2].startswith(s))}' for s in states)})",
              file=sys.stderr)

    builds = write_specs(allpkgs, workdir)
    with open(os.path.join(workdir, "repos.tsv"), "w") as fh:
        for row in repos_tsv:
            fh.write("\t".join(row) + "\n")
    print(f"{len(allpkgs)} rpms in {len(builds)} rpmbuild runs", file=sys.stderr)


# ---------------------------------------------------------------- README provenance
def readme(realdir, inventory, outdir):
    rows = {}
    with open(inventory) as fh:
        head = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            d = dict(zip(head, line.rstrip("\n").split("\t")))
            rows[d["file"]] = d
    out = []
    for bed in BEDS:
        for f in ("updateinfo.xml.gz", "repomd.xml", "primary.xml.gz"):
            key = f"libzypp/{bed['source']}/repodata/{f}"
            d = rows.get(key)
            if not d:
                continue
            path = os.path.join(realdir, bed["source"], "repodata", f)
            ok = hashlib.sha256(open(path, "rb").read()).hexdigest() == d["sha256"]
            out.append(f"| {bed['host']} | `{key}` | {d['repo']}@{d['commit'][:12]} | `{d['path']}` | "
                       f"{d['bytes']} | `{d['sha256'][:16]}…` {'(verified)' if ok else '(MISMATCH)'} |")
    with open(os.path.join(outdir, "PROVENANCE.md"), "w") as fh:
        fh.write("# Provenance of the real inputs (generated by suse-bedgen.py readme)\n\n")
        fh.write("Rows from `/work/shared/realdata/INVENTORY.tsv`; sha256 re-checked at build time.\n\n")
        fh.write("| bed | realdata file | repo@commit | path in repo | bytes | sha256 |\n|---|---|---|---|---|---|\n")
        fh.write("\n".join(out) + "\n")


def repomd_pin(repomd, epoch):
    text = open(repomd).read()
    open(repomd, "w").write(re.sub(r"<timestamp>\d+</timestamp>", f"<timestamp>{int(epoch)}</timestamp>", text))


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    if argv[1] == "repomd-pin":
        repomd_pin(argv[2], argv[3])
    elif argv[1] == "plan":
        plan(argv[2], argv[3], argv[4])
    elif argv[1] == "readme":
        readme(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
