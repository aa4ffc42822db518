#!/usr/bin/env bash
# Makes rpm databases with REAL rpm for patchscan's rpmdb reader tests, and records what real
# rpm lists from each one (the oracle).
#
#   make-rpmdb-fixtures.sh [COUNT] [OUTDIR]
#
# COUNT   packages to install (default 30: the curated set below; more adds bulk packages with a
#         few files each, e.g. 3000 for the timing database). OUTDIR defaults to
#         tests/fixtures/rpmdb. Writes, under OUTDIR:
#   rpm-made-sqlite/rpmdb.sqlite     what rpm 4.18 writes (`rpm --justdb -i`)
#   rpm-made-bdb-le/Packages         the same headers in a BerkeleyDB hash, little-endian
#   rpm-made-bdb-be/Packages         ... and big-endian (db_load -c db_lorder=4321)
# each with `<db>.rpm-qa.tsv`: `rpm -qa` of that database (BerkeleyDB read by rpm's bdb_ro
# backend), tab-separated with a header line, sorted. The script fails if rpm lists the
# BerkeleyDB copies differently from the sqlite original.
#
# Needs: rpm, rpmbuild (rpm 4.18), db5.3_load (db5.3-util), /usr/bin/python3 (sqlite3).
set -euo pipefail

count=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here/../../tests/fixtures/rpmdb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
pagesize=${PAGESIZE:-512}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
top=$work/rpmbuild
mkdir -p "$top"/{SPECS,RPMS,BUILD,BUILDROOT,SOURCES,SRPMS}

rpmbuild_quiet() {
  rpmbuild --quiet --define "_topdir $top" --define 'debug_package %{nil}' \
    --define '_build_id_links none' --define '__brp_strip %{nil}' "$@" >/dev/null
}

# name|epoch|version|release|arch|modularity label
curated='bash||5.2.15|1.amzn2023.0.2|x86_64|
glibc||2.34|52.amzn2023.0.8|x86_64|
glibc||2.34|52.amzn2023.0.8|i686|
dbus|1|1.12.28|1.amzn2023.0.1|x86_64|
openssl-libs|1|3.0.8|1.amzn2023.0.3|x86_64|
kernel||6.1.49|69.116.amzn2023|x86_64|
kernel||6.1.52|71.125.amzn2023|x86_64|
python3-pip||21.3.1|2.amzn2023.0.5|noarch|
tzdata||2023c|1.amzn2023.0.1|noarch|
pre-release||1.0~rc1|1|noarch|
snapshot||1.0^git20230801.abc|1|noarch|
tilde-caret||2.0~beta^post1|0.1|x86_64|
zero-epoch|0|1.0|1|noarch|
big-epoch|42|0.0.1|1|noarch|
nodejs|1|18.17.1|1.module+el8.8.0+19456+8e3d1dcb|x86_64|nodejs:18:8080020230731160407:b0a6b62f
perl-DBI||1.641|4.module+el8.3.0+6718+7f269185|x86_64|perl-DBI:1.641:8030020200716155121:3a70019f
leading-zeros||01.002|003|noarch|
long-release||1.0|1.el8_8.1.2.3.4.5.6.7.8.9|noarch|
underscore_ver||1_2_3|1|noarch|
dotted-name.lib||3.1|2|noarch|
plus++||1.0+git|1|x86_64|
libfoo||1.0|1|i686|
libfoo||1.0|1|x86_64|
compat-libstdc++||33|3.2.3.el6|i686|
emacs-filesystem|1|29.1|2.fc39|noarch|
vim-minimal|2|9.0.1712|1.amzn2023|x86_64|
grub2-common|1|2.06|61.amzn2023|noarch|
alpha-release||1.0|rc1.fc40|noarch|
many-dots||1.2.3.4.5.6.7.8|1|noarch|
ca-certificates||2023.2.60|1.0.amzn2023.0.2|noarch|'

# One spec per curated package (epoch, version, release and arch differ per package).
n=0
while IFS='|' read -r name epoch version release arch label; do
  n=$((n + 1))
  [ "$n" -le "$count" ] || break
  spec=$top/SPECS/p$n.spec
  {
    echo "Name: $name"
    [ -z "$epoch" ] || echo "Epoch: $epoch"
    echo "Version: $version"
    echo "Release: $release"
    echo "Summary: patchscan rpmdb fixture"
    echo "License: MIT"
    [ "$arch" != noarch ] || echo "BuildArch: noarch"
    echo '%description'
    echo 'A package for the rpmdb reader tests; it owns one small file.'
    echo '%install'
    echo 'mkdir -p %{buildroot}/usr/share/patchscan-fixture'
    echo 'echo %{name} > "%{buildroot}/usr/share/patchscan-fixture/%{name}-%{version}-%{release}.%{_target_cpu}"'
    echo '%files'
    echo '/usr/share/patchscan-fixture/*'
  } >"$spec"
  args=()
  [ "$arch" = noarch ] || args+=(--target "$arch")
  [ -z "$label" ] || args+=(--define "modularitylabel $label")
  rpmbuild_quiet "${args[@]}" -bb "$spec"
done <<<"$curated"

# Bulk packages: one spec, many subpackages (one rpmbuild run instead of thousands).
bulk=$((count - n))
if [ "$bulk" -gt 0 ]; then
  spec=$top/SPECS/bulk.spec
  {
    printf 'Name: bulk\nVersion: 1.0\nRelease: 1\nSummary: bulk\nLicense: MIT\nBuildArch: noarch\n'
    printf '%%description\nbulk\n%%install\n'
    printf 'for i in $(seq -w 1 %d); do d=%%{buildroot}/usr/share/bulk/$i; mkdir -p $d;' "$bulk"
    printf ' for f in a b c d e f g h; do echo $i > $d/$f; done; done\n'
    for i in $(seq -w 1 "$bulk"); do
      printf '%%package -n bulk-%s\nSummary: bulk package %s\n' "$i" "$i"
      printf '%%description -n bulk-%s\nbulk package %s\n' "$i" "$i"
      printf '%%files -n bulk-%s\n/usr/share/bulk/%s\n' "$i" "$i"
    done
  } >"$spec"
  rpmbuild_quiet -bb "$spec"
fi

qf='%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{INSTALLTIME}\t%{BUILDTIME}\t%{SOURCERPM}\t%{MODULARITYLABEL}\n'
listing() { # dbpath [rpm options...]
  local db=$1
  shift
  printf 'name\tepoch\tversion\trelease\tarch\tinstalltime\tbuildtime\tsourcerpm\tmodularitylabel\n'
  rpm --dbpath "$db" "$@" -qa --qf "$qf" | LC_ALL=C sort
}

# Install with real rpm; Debian's rpm 4.18 writes sqlite.
sq=$work/sqlite
mkdir -p "$sq"
# (Debian's rpm prints a warning about using alien on every install: kept in a log.)
if ! find "$top/RPMS" -name '*.rpm' -print0 | xargs -0 rpm --dbpath "$sq" --justdb --nodeps \
  --noscripts --ignorearch --ignoreos --nosignature --nodigest -i 2>"$work/install.log"; then
  cat "$work/install.log" >&2
  exit 1
fi
# An imported signing key: rpm stores it as a pseudo-package `gpg-pubkey`, which the
# reader must leave out. Optional: only when gpg is installed.
if command -v gpg >/dev/null; then
  export GNUPGHOME=$work/gnupg
  mkdir -m 700 "$GNUPGHOME"
  gpg --batch --quiet --passphrase '' --quick-gen-key 'patchscan fixture <fixture@example.invalid>' \
    rsa2048 sign never 2>/dev/null
  gpg --batch --armor --export >"$work/key.asc"
  rpm --dbpath "$sq" --import "$work/key.asc"
fi
listing "$sq" >"$work/sqlite.tsv"
got=$(grep -vc '^gpg-pubkey' "$work/sqlite.tsv")
got=$((got - 1))
[ "$got" -eq "$count" ] || { echo "rpm lists $got packages, wanted $count" >&2; exit 1; }

# The same header blobs, keyed by header number (native order, as rpm wrote them), into a
# db_load dump. Key 0 is rpm's counter record, as in real BerkeleyDB rpmdbs.
/usr/bin/python3 - "$sq/rpmdb.sqlite" "$work/packages.dump" <<'EOF'
import sqlite3, struct, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = db.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
with open(sys.argv[2], "w") as out:
    out.write("VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n")
    records = [(0, struct.pack("<I", max(h for h, _ in rows) + 1))] + rows
    for hnum, blob in records:
        out.write(" " + struct.pack("<I", hnum).hex() + "\n")
        out.write(" " + bytes(blob).hex() + "\n")
    out.write("DATA=END\n")
EOF

save() { # name db-file tsv
  rm -rf "${out:?}/$1"
  mkdir -p "$out/$1"
  cp "$2" "$out/$1/"
  cp "$3" "$out/$1/$(basename "$2").rpm-qa.tsv"
}
save rpm-made-sqlite "$sq/rpmdb.sqlite" "$work/sqlite.tsv"

for order in le be; do
  lorder=1234
  [ "$order" = le ] || lorder=4321
  bdb=$work/bdb-$order
  mkdir -p "$bdb"
  db5.3_load -f "$work/packages.dump" -c "db_pagesize=$pagesize" -c "db_lorder=$lorder" "$bdb/Packages"
  # bdb_ro warns about each index file a --justdb copy lacks; only Packages matters here.
  listing "$bdb" --define '_db_backend bdb_ro' >"$work/bdb-$order.tsv" 2>"$work/bdb-$order.log"
  if ! cmp -s "$work/sqlite.tsv" "$work/bdb-$order.tsv"; then
    echo "rpm lists the $order BerkeleyDB copy differently from the sqlite original:" >&2
    diff "$work/sqlite.tsv" "$work/bdb-$order.tsv" >&2 || true
    exit 1
  fi
  save "rpm-made-bdb-$order" "$bdb/Packages" "$work/bdb-$order.tsv"
done

echo "made $count-package rpmdbs in $out: $(du -sh "$out"/rpm-made-* | tr '\n' ' ')"
