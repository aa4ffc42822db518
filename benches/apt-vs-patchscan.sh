#!/usr/bin/env bash
# Side-by-side whole-process timing on the real bookworm capture: patchscan scan vs
# `apt list --upgradable`, without apt's package cache and with it warm, as alternating pairs
# (benches/alternate.py). The lists are stored as apt stores them (lz4, 64 KB linked blocks).
# Usage: benches/apt-vs-patchscan.sh [PAIRS] [PATCHSCAN]   (default 9, target/release/patchscan)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
pairs=${1:-9}
patchscan=${2:-${CARGO_TARGET_DIR:-$here/target}/release/patchscan}
cap=$here/repodata-fixtures/apt-real/debian-bookworm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/etc/apt/sources.list.d" "$root/var/lib/dpkg" "$root/var/lib/apt/lists" \
    "$work/apt/etc/apt.conf.d" "$work/apt/etc/preferences.d" "$work/apt/cache/archives/partial"
cp "$cap/os-release" "$root/etc/os-release"
cp "$cap/debian.sources" "$root/etc/apt/sources.list.d/"
cp "$cap/dpkg-status" "$root/var/lib/dpkg/status"
cp "$cap"/*_InRelease "$root/var/lib/apt/lists/"
for f in "$cap"/*_Packages.xz; do
    n=$(basename "$f" .xz)
    xz -dc "$f" | lz4 -q -B4 -BD --no-frame-crc -z - "$root/var/lib/apt/lists/$n.lz4"
done
cat >"$work/approve-all.json" <<'JSON'
{"Name":"approve-all","OperatingSystem":"DEBIAN","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRODUCT","Values":["*"]}]},"EnableNonSecurity":true}]}}
JSON
apt_opts="-o Dir::Etc=$work/apt/etc -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$root/etc/apt/sources.list.d -o Dir::State::Lists=$root/var/lib/apt/lists -o Dir::State::status=$root/var/lib/dpkg/status -o Dir::Cache=$work/apt/cache -o Debug::NoLocking=1 -o APT::Architecture=amd64"
ours="$patchscan scan --root $root --now 2026-11-22T04:56:03Z --baseline $work/approve-all.json --format json"
echo "== patchscan (approve everything) vs apt list --upgradable, no package cache"
python3 "$here/benches/alternate.py" "$pairs" "$ours" \
    "apt $apt_opts -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= list --upgradable"
echo "== patchscan (approve everything) vs apt list --upgradable, package cache warm"
apt $apt_opts -o Dir::Cache::pkgcache="$work/pkgcache.bin" -o Dir::Cache::srcpkgcache= list --upgradable >/dev/null 2>&1
python3 "$here/benches/alternate.py" "$pairs" "$ours" \
    "apt $apt_opts -o Dir::Cache::pkgcache=$work/pkgcache.bin -o Dir::Cache::srcpkgcache= list --upgradable"
echo "== patchscan, AWS-DebianDefaultPatchBaseline, alone"
python3 "$here/benches/alternate.py" "$pairs" \
    "$patchscan scan --root $root --now 2026-11-22T04:56:03Z --format json" "true"
