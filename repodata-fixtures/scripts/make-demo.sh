#!/usr/bin/env bash
# Build the demo fleet of repodata-fixtures/demo with the real tools:
#
#   make-demo.sh [DEMO_DIR]          (default: repodata-fixtures/demo)
#
# RPM side: demo-data.py writes bed data (package sets shaped like Amazon Linux 2023 and
# RHEL 9, ALAS2023/RHSA/RHBA-style advisories with CVE references), make-beds.sh builds it
# with rpmbuild, rpm (sqlite rpmdb), createrepo_c and modifyrepo_c. The hosts then take the
# three source shapes a fleet has:
#   hosts/<host>/                  root directories (al2023-web-1, rhel9-db-1, rhel9-db-2)
#   images/al2023-web-2.tar.zst    an image archive (GNU tar + zstd); its rpmdb lives in
#                                  usr/lib/sysimage/rpm with var/lib/rpm a relative symlink
#   images/broken-al2023-image.tar.zst  the same kind of image with a truncated rpmdb
#   inventories/al2023-batch-1.inv an inventory file: os-release + real `rpm -qa --qf` output
# Debian side (when dpkg-deb/dpkg-scanpackages/apt-ftparchive are installed): see
# make-demo-debian.sh, called at the end.
# Committed: everything under DEMO_DIR except what .gitignore names. fleet.toml and
# baselines/ are written by hand, not by this script.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fixtures="$(dirname "$here")"
DEMO="${1:-$fixtures/demo}"
mkdir -p "$DEMO"
DEMO="$(cd "$DEMO" && pwd)"
PY=/usr/bin/python3
export TZ=UTC LC_ALL=C
for tool in rpm tar zstd "$PY"; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PY" "$here/demo-data.py" "$WORK/data"
BED_DATA="$WORK/data" BED_WORK="$WORK/build" "$here/make-beds.sh" "$WORK/beds"
NOW_EPOCH=1748779200

rm -rf "$DEMO/hosts" "$DEMO/images" "$DEMO/inventories" "$DEMO/repos/al2023" "$DEMO/repos/rhel9"
mkdir -p "$DEMO/hosts" "$DEMO/images" "$DEMO/inventories" "$DEMO/repos/al2023" "$DEMO/repos/rhel9"
cp "$WORK/beds/NOW" "$DEMO/NOW"
mv "$WORK/beds/al2023-web-1/repos/al2023-core" "$DEMO/repos/al2023/core"
mv "$WORK/beds/rhel9-db-1/repos/rhel9-baseos" "$DEMO/repos/rhel9/baseos"
mv "$WORK/beds/rhel9-db-1/repos/rhel9-appstream" "$DEMO/repos/rhel9/appstream"

for host in al2023-web-1 rhel9-db-1 rhel9-db-2; do
  mv "$WORK/beds/$host/root" "$DEMO/hosts/$host"
  echo "$host" > "$DEMO/hosts/$host/etc/hostname"
done

# An image as AL2023 ships it: the database in usr/lib/sysimage/rpm, var/lib/rpm a link.
image_tar() {  # ROOT DEST
  local root="$1" dest="$2"
  mkdir -p "$root/usr/lib/sysimage"
  mv "$root/var/lib/rpm" "$root/usr/lib/sysimage/rpm"
  ln -s ../../usr/lib/sysimage/rpm "$root/var/lib/rpm"
  tar --sort=name --mtime="@$NOW_EPOCH" --owner=0 --group=0 --numeric-owner \
    -C "$root" --zstd -cf "$dest" .
}
echo al2023-web-2 > "$WORK/beds/al2023-web-2/root/etc/hostname"
image_tar "$WORK/beds/al2023-web-2/root" "$DEMO/images/al2023-web-2.tar.zst"
# Broken on purpose: the database cut off after its first page.
db="$WORK/beds/broken-al2023-image/root/var/lib/rpm/rpmdb.sqlite"
head -c 4096 "$db" > "$db.cut" && mv "$db.cut" "$db"
image_tar "$WORK/beds/broken-al2023-image/root" "$DEMO/images/broken-al2023-image.tar.zst"

# A host scanned remotely: its os-release and rpm's own listing.
inv="$DEMO/inventories/al2023-batch-1.inv"
root="$WORK/beds/al2023-batch-1/root"
{
  echo '#patchscan-inventory 1'
  echo '@os-release'
  cat "$root/etc/os-release"
  echo '@hostname'
  echo al2023-batch-1
  echo '@rpm'
  rpm --root "$root" --dbpath /var/lib/rpm -qa \
    --qf '%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{INSTALLTIME}\t%{BUILDTIME}\t%{MODULARITYLABEL}\t%{SOURCERPM}\n' \
    | sort
  echo '@end'
} > "$inv"

if [[ -x "$here/make-demo-debian.sh" ]]; then
  "$here/make-demo-debian.sh" "$DEMO"
fi
echo "demo fleet written to $DEMO" >&2
