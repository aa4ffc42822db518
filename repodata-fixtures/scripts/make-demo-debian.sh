#!/usr/bin/env bash
# The Debian 12 part of the demo fleet (called by make-demo.sh): the Debian 12 apt bed that
# make-apt-beds.py builds with real dpkg-deb, dpkg-scanpackages, apt-ftparchive, dpkg and
# apt-get — its bookworm/bookworm-updates/bookworm-security repositories and a host whose
# dpkg database real dpkg wrote — copied into the demo as repos/debian12/ and
# hosts/debian12-app-1/.
#
#   make-demo-debian.sh DEMO_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEMO="${1:?usage: make-demo-debian.sh DEMO_DIR}"
if [[ ! -f "$here/make-apt-beds.py" ]]; then
  echo "make-demo-debian.sh: no make-apt-beds.py (Debian support not in this checkout); skipped" >&2
  exit 0
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
/usr/bin/python3 "$here/make-apt-beds.py" "$WORK/apt-beds" >&2
rm -rf "$DEMO/repos/debian12" "$DEMO/hosts/debian12-app-1"
mkdir -p "$DEMO/repos/debian12"
for archive in debian debian-security; do
  mkdir -p "$DEMO/repos/debian12/$archive"
  # Only the indexes: dists/ (the .deb files in pool/ are not needed to judge the host).
  cp -a "$WORK/apt-beds/debian12/repos/$archive/dists" "$DEMO/repos/debian12/$archive/"
done
cp -a "$WORK/apt-beds/debian12/root" "$DEMO/hosts/debian12-app-1"
echo debian12-app-1 > "$DEMO/hosts/debian12-app-1/etc/hostname"
