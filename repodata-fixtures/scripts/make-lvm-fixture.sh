#!/usr/bin/env bash
# Makes the committed LVM2 fixture (repodata-fixtures/lvm/) once, with the real LVM tools on
# a loop device: it needs root, losetup and lvm2, which CI need not have, so CI uses what it
# wrote. A 400 MiB physical volume holds volume group `rhel`, as RHEL's kickstart lays it
# out, with `rhel/root` in two linear segments (created, then `swap` after it, then extended:
# the second segment lies after swap) and `rhel/swap`. No volume is activated or zeroed
# (`-an -Zn`: no device-mapper needed).
#
#   sudo bash repodata-fixtures/scripts/make-lvm-fixture.sh
#
# Writes lvm/pv-head.bin.gz: the PV's first MiB (label and metadata area; data starts at
# pe_start, 1 MiB), lvm/segments.txt: `lvs --segments` as LVM reports each segment (bytes;
# PV extents), and lvm/pv.txt: pe_start and dev_size, then the extent size. make-images.sh
# puts a file system into rhel/root by segments.txt; tests/images.rs holds the reader to it.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
out="$here/repodata-fixtures/lvm"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
truncate -s 400M "$work/pv.img"
dev=$(losetup -f --show "$work/pv.img")
trap 'losetup -d "$dev"; rm -rf "$work"' EXIT
# --driverloaded n: create the volumes' metadata without a device-mapper driver.
pvcreate -q "$dev"
vgcreate -q -s 4M rhel "$dev"
lvcreate --driverloaded n -q -an -Zn -y -L 160M -n root rhel
lvcreate --driverloaded n -q -an -Zn -y -L 16M -n swap rhel
lvextend --driverloaded n -q -L 320M rhel/root
head -c 1048576 "$work/pv.img" | gzip -9n >"$out/pv-head.bin.gz"
lvs --segments --noheadings --units b --nosuffix -o lv_name,seg_start,seg_size,seg_pe_ranges,segtype rhel |
  sed "s|$dev|PV|" >"$out/segments.txt"
pvs --noheadings --units b --nosuffix -o pe_start,dev_size "$dev" >"$out/pv.txt"
vgs --noheadings --units b --nosuffix -o vg_extent_size rhel >>"$out/pv.txt"
vgremove --driverloaded n -q -ff -y rhel >/dev/null
pvremove -q -ff -y "$dev" >/dev/null
