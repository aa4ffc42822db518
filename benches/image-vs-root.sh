#!/usr/bin/env bash
# Scanning a machine image as stored against scanning the same tree as a directory, on the
# large bed (3,000 installed packages, 5,000 available, 2,000 advisories; make-large-bed.sh):
# the tree is put into an 8 GiB sparse raw disk (GPT, XFS root, as an AMI snapshot that
# `coldsnap download` gives) by the same tools make-images.sh uses, then
#
#   1. `scan --root TREE` and `scan --image DISK` as alternating pairs (benches/alternate.py),
#   2. the bytes `scan --image` reads from the 8 GiB file (`-v` prints them),
#   3. `image inspect DISK`, timed the same way against `true`-cheap `--version`.
#
#   bash benches/image-vs-root.sh BINARY LARGE-BED [PAIRS]
#
# Needs: xfsprogs, fdisk, faketime, python3.
set -euo pipefail
bin="$(realpath "$1")"
bed="$(realpath "$2")/large"
pairs="${3:-21}"
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${TMPDIR:-/tmp}/patchscan-image-bench"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
img="$work/ami.raw"
truncate -s 8G "$img"
printf 'label: gpt\nstart=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649\nsize=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n' |
  sfdisk -q "$img" >/dev/null
start=$(sfdisk -J "$img" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][2]["start"] * 512)')
size=$(sfdisk -J "$img" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][2]["size"] * 512)')
python3 "$here/repodata-fixtures/scripts/xfs-proto.py" "$bed/root" >"$work/proto.txt"
truncate -s "$size" "$work/root.xfs"
mkfs.xfs -q -f -s size=4096 -p "$work/proto.txt" "$work/root.xfs"
dd if="$work/root.xfs" of="$img" bs=1M seek=$((start / 1048576)) conv=notrunc,sparse status=none
rm "$work/root.xfs"
repo="$bed/repos/large"
now=2025-06-01T12:00:00Z
"$bin" scan --root "$bed/root" --repo "$repo" --now "$now" --format json --instance-id i-bench >"$work/root.json"
"$bin" -v scan --image "$img" --repo "$repo" --now "$now" --format json --instance-id i-bench >"$work/image.json" 2>"$work/image.err"
cmp "$work/root.json" "$work/image.json" && echo "verdicts: identical JSON"
grep "read .* bytes" "$work/image.err"
python3 "$here/benches/alternate.py" --wait-idle 80 "$pairs" \
  "$bin scan --root $bed/root --repo $repo --now $now --format json" \
  "$bin scan --image $img --repo $repo --now $now --format json"
python3 "$here/benches/alternate.py" --wait-idle 80 "$pairs" \
  "$bin --version" \
  "$bin image inspect $img"
