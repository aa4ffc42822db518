#!/usr/bin/python3
"""Plan the ID beds: one host per REAL updateinfo file of repodata-fixtures/realdata-updateinfo,
written in bedgen.py's TSV format (make-beds.sh builds them with rpmbuild, rpm, createrepo_c and
modifyrepo_c; the real updateinfo goes into the repository verbatim).

  idbeds.py plan SRCDIR DATADIR

Per source file: every package its pkglists name with arch x86_64 or noarch is built into the
repository (buildtime NOW-400d).  Each listed name.arch is, by a stable hash of the file and the
name: installed below every listed version (60%: epoch of the lowest listed, version 0,
release 0), installed at its lowest listed version (25%), or not installed (15%).  Hosts are
RHEL 9 style except the Amazon files (Amazon Linux 2023) and Rocky (RHEL 8, el8).

Module variants (collections bound to <module name stream>): the Rocky file and libdnf's
advisories file get extra hosts whose every listed package is installed below, with
  -nometa    no modules metadata, stream enabled in etc/dnf/modules.d
  -default   modules.yaml with the stream as the module's default, no modules.d file
  -enabled   modules.yaml, modules.d state=enabled stream=<stream>
  -disabled  modules.yaml, modules.d state=disabled
  -othercontext  modules.yaml whose stream has another context than the notice's, enabled
The modules.yaml streams carry the version and context of the notice's <module>.
(the base host of each file has neither metadata nor a modules.d file).

ids.tsv per host: a stable sample of the notice, CVE and Bugzilla ids of the file, for which
run-dnf-oracle.sh records dnf's own --advisory / --cve / --bz filters.
"""
import gzip
import os
import sys
import xml.etree.ElementTree as ET
import zlib

ARCHES = ("x86_64", "noarch")
# (module, stream) -> (version, context) of the first <module> naming it
CONTEXTS = {}


def read_updateinfo(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    root = ET.fromstring(data)
    for el in root.iter():  # openSUSE's files carry a default namespace
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    return data, root


def collections(root):
    """(notice id, [(module name, stream)], [(n, e, v, r, a)]) per collection."""
    out = []
    for upd in root.iter("update"):
        uid = (upd.findtext("id") or "").strip()
        for col in upd.iter("collection"):
            mods = [(m.get("name"), m.get("stream")) for m in col.findall("module")]
            for m in col.findall("module"):
                CONTEXTS.setdefault((m.get("name"), m.get("stream")), (m.get("version") or "1", m.get("context") or "c0ffee"))
            pkgs = [(p.get("name"), p.get("epoch") or "0", p.get("version"), p.get("release"), p.get("arch"))
                    for p in col.findall("package")]
            out.append((uid, mods, pkgs))
    return out


def ids_of(root):
    ids = []
    for upd in root.iter("update"):
        ids.append(("advisory", (upd.findtext("id") or "").strip()))
        for ref in upd.iter("reference"):
            kind, rid = ref.get("type"), ref.get("id")
            if kind in ("cve", "bugzilla") and rid:
                ids.append(("cve" if kind == "cve" else "bz", rid))
    seen, out = set(), []
    for k, i in ids:
        if i and (k, i) not in seen:
            seen.add((k, i))
            out.append((k, i))
    return out


def stable(*parts):
    return zlib.crc32("\0".join(parts).encode()) % 100


def rpmver_key(v):
    """A rough rpm ordering key, only used to pick the lowest listed version deterministically."""
    import re
    return [(0, int(x)) if x.isdigit() else (1, x) for x in re.findall(r"\d+|[A-Za-z]+", v)]


def plan(srcdir, datadir):
    os.makedirs(datadir, exist_ok=True)
    hosts, repos, installed, available, modules, modstate = [], [], [], [], [], []
    idrows = {}
    for fname in sorted(os.listdir(srcdir)):
        if not (fname.endswith(".xml") or fname.endswith(".xml.gz")):
            continue
        stem = fname.split(".xml")[0].replace("_", "-").lower()
        xml, root = read_updateinfo(os.path.join(srcdir, fname))
        cols = collections(root)
        listed = sorted({p for _, _, pkgs in cols for p in pkgs if p[4] in ARCHES})
        if stem.startswith("amazon"):
            osinfo = ("amzn", "2023", "Amazon Linux", "Amazon Linux 2023", "2023", "platform:al2023", "fedora")
        elif stem == "rocky":
            osinfo = ("rocky", "8.6", "Rocky Linux", "Rocky Linux 8.6 (Green Obsidian)", "8", "platform:el8", "rhel centos fedora")
        else:
            osinfo = ("rhel", "9.4", "Red Hat Enterprise Linux", "Red Hat Enterprise Linux 9.4 (Plow)", "9", "platform:el9", "fedora")
        module_streams = sorted({m for _, mods, _ in cols for m in mods})
        variants = [("", None)]
        if module_streams:
            variants += [(v, v) for v in ("nometa", "default", "enabled", "disabled", "othercontext")]
        by_na = {}
        for p in listed:
            by_na.setdefault((p[0], p[4]), []).append(p)
        for suffix, variant in variants:
            host = f"ids-{stem}" + (f"-{suffix}" if suffix else "")
            repo = host.replace("ids-", "r-", 1)
            hosts.append((host,) + osinfo)
            repos.append((repo, host, "xml", f"real updateinfo {fname}"))
            with open(os.path.join(datadir, f"updateinfo-{repo}.xml"), "wb") as fh:
                fh.write(xml)
            for p in listed:
                available.append((repo,) + p + ("-400d",))
            for (n, a), versions in sorted(by_na.items()):
                low = min(versions, key=lambda p: (int(p[1]), rpmver_key(p[2]), rpmver_key(p[3])))
                pick = stable(stem, n, a) if variant is None else 0
                if pick < 60:
                    installed.append((host, n, low[1], "0", "0", a))
                elif pick < 85:
                    installed.append((host,) + low)
            if variant in ("default", "enabled", "disabled", "othercontext"):
                # a package is an artifact of the first module its collection names (libdnf's
                # file also names a module "non:existing" that no metadata describes)
                for i, (mname, mstream) in enumerate(module_streams):
                    arts = sorted({f"{n}-{e}:{v}-{r}.{a}" for _, mods, pkgs in cols if mods and mods[0] == (mname, mstream)
                                   for n, e, v, r, a in pkgs if a in ARCHES})
                    version, context = CONTEXTS[(mname, mstream)]
                    if variant == "othercontext":
                        context = "0ther0ct"
                    if arts:
                        modules.append((repo, mname, mstream, version, context, "x86_64",
                                        "yes" if variant == "default" else "no", ",".join(arts)))
            if variant in ("nometa", "enabled", "othercontext"):
                for mname, mstream in module_streams:
                    modstate.append((host, mname, mstream, "enabled", ""))
            if variant == "disabled":
                for mname, mstream in module_streams:
                    modstate.append((host, mname, "", "disabled", ""))
            ids = ids_of(root)
            # every id when few, else a stable sample of 30
            if len(ids) > 30:
                ids = sorted(ids, key=lambda k: stable(stem, *k))[:30]
            idrows[host] = ids
    def w(name, header, rows):
        with open(os.path.join(datadir, name), "w", encoding="utf-8") as fh:
            fh.write(header + "\n")
            for r in rows:
                fh.write("\t".join(r) + "\n")
    w("hosts.tsv", "# host\tos_id\tversion_id\tname\tpretty_name\treleasever\tplatform_id\tid_like", hosts)
    w("repos.tsv", "# repo_id\thost\tvariant\tcomment", repos)
    w("installed.tsv", "# host\tname\tepoch\tversion\trelease\tarch", installed)
    w("available.tsv", "# repo\tname\tepoch\tversion\trelease\tarch\tbuildtime", sorted(set(available)))
    w("advisories.tsv", "# none: each repo's updateinfo is a real file (updateinfo-<repo>.xml)", [])
    w("modules.tsv", "# repo\tmodule\tstream\tversion\tcontext\tarch\tdefault\tartifacts", modules)
    w("module-state.tsv", "# host\tmodule\tstream\tstate\tprofiles", modstate)
    for host, ids in idrows.items():
        w(f"ids-{host}.tsv", "# kind\tid", ids)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "plan":
        sys.exit(__doc__)
    plan(sys.argv[2], sys.argv[3])
