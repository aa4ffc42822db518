#!/usr/bin/env bash
# Builds the disk-image test beds from the beds' real roots (real rpmdb and dpkg status),
# without root, loop devices or mounting: mkfs.ext4 -d and mkfs.xfs -p (a protofile from
# xfs-proto.py) write file systems into plain files, sfdisk/fdisk write partition tables on a
# sparse disk file, and dd conv=notrunc,sparse puts each file system in place.
#
#   bash repodata-fixtures/scripts/make-images.sh OUTDIR
#
# OUTDIR/trees/{rpm,deb}: the trees the images hold (a bed's root, with an absolute symlink
# for the rpm database, os-release behind a relative link, and directories of 8, 40, 300 and
# 3,000 entries so every XFS directory form but B+tree appears).
# OUTDIR/images/*.raw|*.img: one per layout (see the list below); OUTDIR/parts/: the file
# systems as standalone images, for debugfs and xfs_db.
# Needs: e2fsprogs, xfsprogs, fdisk (sfdisk, fdisk), faketime, qemu-utils, python3.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
out="$1"
rm -rf "$out"
mkdir -p "$out/trees" "$out/images" "$out/parts" "$out/work"
export E2FSPROGS_FAKE_TIME=1748779200
export SOURCE_DATE_EPOCH=1748779200
# Every file of the trees is dated this (UTC), and so is every inode mkfs.xfs writes.
stamp="2025-06-01 00:00:00"

dress_tree() { # TREE: the additions every tree gets
  local t="$1"
  mkdir -p "$t/usr/lib"
  mv "$t/etc/os-release" "$t/usr/lib/os-release"
  ln -s ../usr/lib/os-release "$t/etc/os-release"
  # A real /etc holds hundreds of names: here enough that it is a multi-block directory
  # (XFS leaf form), so every lookup under etc/ reads one.
  local i n
  for i in $(seq -w 1 150); do
    echo "setting $i" >"$t/etc/filler-setting-$i.conf"
  done
  for n in 8 40 300 3000; do
    mkdir -p "$t/usr/share/entries-$n"
    python3 - "$t/usr/share/entries-$n" "$n" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, f"entry-{i:05d}-of-a-directory-with-long-names"), "w") as f:
        f.write(f"{i}\n")
PY
  done
}

# The rpm tree: host-a's root, its database moved to usr/lib/sysimage/rpm behind an absolute
# link from var/lib/rpm (an image's absolute link must land in the image).
rpm="$out/trees/rpm"
cp -a "$here/repodata-fixtures/beds/host-a/root" "$rpm"
dress_tree "$rpm"
mkdir -p "$rpm/usr/lib/sysimage"
mv "$rpm/var/lib/rpm" "$rpm/usr/lib/sysimage/rpm"
ln -s /usr/lib/sysimage/rpm "$rpm/var/lib/rpm"
# The deb tree: the debian12 apt bed's root.
deb="$out/trees/deb"
cp -a "$here/repodata-fixtures/apt-beds/debian12/root" "$deb"
dress_tree "$deb"
find "$out/trees" -exec touch -h -d "$stamp UTC" {} +

mib() { echo $(($1 * 1024 * 1024)); }

mkxfs() { # TREE FILE SIZE-MIB [mkfs.xfs options...]
  local tree="$1" file="$2" size="$3"
  shift 3
  python3 "$here/repodata-fixtures/scripts/xfs-proto.py" "$tree" >"$out/work/proto.txt"
  rm -f "$file"
  truncate -s "$(mib "$size")" "$file"
  # A protofile carries no times: mkfs.xfs stamps every inode with the clock, so the clock
  # is set to the trees' time (dpkg's install times are its info files' mtimes).
  TZ=UTC faketime -f "$stamp" mkfs.xfs -q -f "$@" -p "$out/work/proto.txt" "$file"
}

mkext4() { # TREE FILE SIZE-MIB [mkfs.ext4 options...]
  local tree="$1" file="$2" size="$3"
  shift 3
  rm -f "$file"
  mkfs.ext4 -q -F "$@" -d "$tree" "$file" "${size}M" >/dev/null
}

# mkfs.ext4 -d writes linear directories; e2fsck -D rebuilds them as hash trees (htree), as a
# long-lived ext4 root has them. Used on the GPT ext4 images; the MBR and bare ones stay linear.
index_dirs() { # FILE
  local rc=0
  e2fsck -fyD "$1" >/dev/null 2>&1 || rc=$?
  [ "$rc" -le 1 ] || { echo "e2fsck -D $1: exit $rc" >&2; exit 1; }
}

place() { # FILESYSTEM DISK START-BYTE
  dd if="$1" of="$2" bs=1M seek=$(($3 / 1048576)) conv=notrunc,sparse status=none
}

# The start byte of partition N of a disk, as sfdisk reads it.
start_of() { # DISK N SECTOR
  sfdisk -J "$1" 2>/dev/null | python3 -c "
import json, sys
t = json.load(sys.stdin)['partitiontable']
print(t['partitions'][int(sys.argv[1]) - 1]['start'] * int(sys.argv[2]))" "$2" "$3"
}
size_of() { # DISK N SECTOR
  sfdisk -J "$1" 2>/dev/null | python3 -c "
import json, sys
t = json.load(sys.stdin)['partitiontable']
print(t['partitions'][int(sys.argv[1]) - 1]['size'] * int(sys.argv[2]))" "$2" "$3"
}

# A column (Start, Sectors) of a disk's last partition, in the 4096-byte sectors fdisk -b 4096
# wrote it with.
last_4k() { # DISK COLUMN
  fdisk -b 4096 -l -o "$2" "$1" | awk 'END {print $1}'
}

bios=21686148-6449-6E6F-744E-656564454649
efi=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
linux=0FC63DAF-8483-4772-8E79-3D69D8477DE4

gpt_disk() { # DISK SIZE-MIB: BIOS boot 1 MiB, EFI 16 MiB, Linux the rest
  rm -f "$1"
  truncate -s "$(mib "$2")" "$1"
  printf 'label: gpt\nstart=2048, size=2048, type=%s, name="BIOS"\nsize=32768, type=%s, name="EFI"\ntype=%s, name="root"\n' \
    "$bios" "$efi" "$linux" | sfdisk -q "$1" >/dev/null
}

# 1. GPT + XFS, 512-byte sectors (Amazon Linux 2, RHEL): the rpm tree.
img="$out/images/gpt-xfs.raw"
gpt_disk "$img" 480
mkxfs "$rpm" "$out/parts/gpt-xfs.p3" $(($(size_of "$img" 3 512) / 1048576)) -L root
place "$out/parts/gpt-xfs.p3" "$img" "$(start_of "$img" 3 512)"

# 2. GPT + XFS on 4096-byte sectors (Amazon Linux 2023 snapshots), by fdisk -b 4096.
img="$out/images/gpt-xfs-4k.raw"
rm -f "$img"
truncate -s "$(mib 480)" "$img"
printf 'g\nn\n1\n256\n+1M\nt\n4\nn\n2\n\n\nw\n' | fdisk -b 4096 "$img" >/dev/null 2>&1
start=$(last_4k "$img" Start)
sectors=$(last_4k "$img" Sectors)
mkxfs "$rpm" "$out/parts/gpt-xfs-4k.p2" $((sectors * 4096 / 1048576)) -s size=4096 -L root
place "$out/parts/gpt-xfs-4k.p2" "$img" $((start * 4096))

# 3. GPT + ext4: the rpm tree, and the deb tree.
for kind in rpm deb; do
  img="$out/images/gpt-ext4-$kind.raw"
  gpt_disk "$img" 96
  mkext4 "$out/trees/$kind" "$out/parts/gpt-ext4-$kind.p3" $(($(size_of "$img" 3 512) / 1048576)) -L root
  index_dirs "$out/parts/gpt-ext4-$kind.p3"
  place "$out/parts/gpt-ext4-$kind.p3" "$img" "$(start_of "$img" 3 512)"
done

# 4. MBR: swap as partition 1, an extended partition 2, the root ext4 as logical partition 5.
img="$out/images/mbr-logical.raw"
rm -f "$img"
truncate -s "$(mib 96)" "$img"
printf 'label: dos\nstart=2048, size=16384, type=82\nstart=18432, type=5\nstart=20480, type=83\n' |
  sfdisk -q "$img" >/dev/null
mkext4 "$rpm" "$out/parts/mbr-logical.p5" $(($(size_of "$img" 3 512) / 1048576))
place "$out/parts/mbr-logical.p5" "$img" "$(start_of "$img" 3 512)"

# 4b. MBR on a disk of 4096-byte sectors (fdisk -b 4096), whose table says nothing of them.
img="$out/images/mbr-4k.raw"
rm -f "$img"
truncate -s "$(mib 96)" "$img"
printf 'o\nn\np\n1\n256\n\nw\n' | fdisk -b 4096 "$img" >/dev/null 2>&1
start=$(last_4k "$img" Start)
sectors=$(last_4k "$img" Sectors)
mkext4 "$rpm" "$out/parts/mbr-4k.p1" $((sectors * 4096 / 1048576))
place "$out/parts/mbr-4k.p1" "$img" $((start * 4096))

# 5. Bare file systems, no partition table (and an ext2 one: block maps, no extents, no journal).
mkext4 "$rpm" "$out/images/bare-ext4.img" 64
rm -f "$out/images/bare-ext2.img"
mkfs.ext2 -q -F -d "$rpm" "$out/images/bare-ext2.img" 64M >/dev/null
mkxfs "$deb" "$out/images/bare-xfs.img" 320

# 6. /var on its own partition: the root ext4 without var/, whose fstab mounts an XFS
# partition (the tree's var/) at /var by UUID; the rpm database is reached from the root
# through var/lib/rpm's absolute link back into usr/.
img="$out/images/var-split.raw"
varuuid=5b1f0b5e-8a3c-4a57-9a0e-1f2d3c4b5a69
split="$out/work/split-root"
cp -a "$rpm" "$split"
rm -rf "$split/var"
mkdir -p "$split/var"
printf '# /etc/fstab\nLABEL=root / ext4 defaults 0 1\nUUID=%s /var xfs defaults 0 0\n/dev/xvdb1 /data xfs defaults,nofail 0 0\n' "$varuuid" >"$split/etc/fstab"
touch -d "$stamp UTC" "$split/etc/fstab"
rm -f "$img"
truncate -s "$(mib 480)" "$img"
printf 'label: gpt\nstart=2048, size=2048, type=%s\nsize=131072, type=%s, name="root"\ntype=%s, name="var"\n' \
  "$bios" "$linux" "$linux" | sfdisk -q "$img" >/dev/null
mkext4 "$split" "$out/parts/var-split.p2" 64 -L root
index_dirs "$out/parts/var-split.p2"
mkxfs "$rpm/var" "$out/parts/var-split.p3" $(($(size_of "$img" 3 512) / 1048576)) -m uuid="$varuuid"
place "$out/parts/var-split.p2" "$img" "$(start_of "$img" 2 512)"
place "$out/parts/var-split.p3" "$img" "$(start_of "$img" 3 512)"
# The tree the split image is scanned against: the same, with the fstab.
cp -a "$rpm" "$out/trees/rpm-split"
cp -p "$split/etc/fstab" "$out/trees/rpm-split/etc/fstab"

# 8. A dirty ext4 journal, as a snapshot of a running instance has: debugfs writes one
# transaction (checksummed, journal_checksum_v3, as the kernel writes on metadata_csum file
# systems) that changes the first block of var/lib/dpkg/status — the first Version line's last
# character — and leaves it unreplayed (needs_recovery). Its replayed twin is the same file
# system after `debugfs -w -R jr`. The status file on the disk itself is unchanged.
fs="$out/parts/dirty-ext4.p3"
img="$out/images/dirty-ext4.raw"
gpt_disk "$img" 96
mkext4 "$deb" "$fs" $(($(size_of "$img" 3 512) / 1048576)) -L root
bs=$(dumpe2fs -h "$fs" 2>/dev/null | awk '/^Block size/ {print $3}')
first=$(debugfs -R "blocks /var/lib/dpkg/status" "$fs" 2>/dev/null | awk '{print $1}')
dd if="$fs" of="$out/work/block" bs="$bs" skip="$first" count=1 status=none
python3 - "$out/work/block" <<'PY'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
i = b.index(b"Version: ")
j = b.index(b"\n", i)
last = b[j - 1:j]
b = b[:j - 1] + (b"0" if last != b"0" else b"1") + b[j:]
open(p, "wb").write(b)
PY
printf 'jo -c\njw -b %s %s\njc\n' "$first" "$out/work/block" >"$out/work/journal.cmds"
debugfs -w -f "$out/work/journal.cmds" "$fs" >/dev/null 2>&1
dumpe2fs -h "$fs" 2>/dev/null | grep -q needs_recovery
place "$fs" "$img" "$(start_of "$img" 3 512)"
cp "$fs" "$out/parts/dirty-ext4-replayed.p3"
debugfs -w -R jr "$out/parts/dirty-ext4-replayed.p3" >/dev/null 2>&1
! dumpe2fs -h "$out/parts/dirty-ext4-replayed.p3" 2>/dev/null | grep -q needs_recovery
cp --sparse=always "$img" "$out/images/dirty-ext4-replayed.raw"
place "$out/parts/dirty-ext4-replayed.p3" "$out/images/dirty-ext4-replayed.raw" "$(start_of "$img" 3 512)"

# 9. LVM2 (RHEL's kickstart layout): partition 2 a physical volume whose first MiB is the
# committed head real LVM wrote (make-lvm-fixture.sh), rhel/root an XFS file system in two
# linear segments as lvm/segments.txt places them, rhel/swap between them.
img="$out/images/lvm.raw"
rm -f "$img"
truncate -s "$(mib 420)" "$img"
printf 'label: gpt\nstart=2048, size=2048, type=%s\nsize=819200, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n' "$bios" |
  sfdisk -q "$img" >/dev/null
pv=$(start_of "$img" 2 512)
gzip -dc "$here/repodata-fixtures/lvm/pv-head.bin.gz" >"$out/work/pv-head"
place "$out/work/pv-head" "$img" "$pv"
mkxfs "$rpm" "$out/parts/lvm-root.lv" 320 -L root
pe_start=$(awk 'NR == 1 {print $1}' "$here/repodata-fixtures/lvm/pv.txt")
extent=$(awk 'NR == 2 {print $1}' "$here/repodata-fixtures/lvm/pv.txt")
while read -r lv start size ranges type; do
  [ "$lv" = root ] || continue
  first=${ranges#PV:}
  first=${first%-*}
  dd if="$out/parts/lvm-root.lv" of="$img" bs=1M skip=$((start / 1048576)) count=$((size / 1048576)) \
    seek=$(((pv + pe_start + first * extent) / 1048576)) conv=notrunc,sparse status=none
done <"$here/repodata-fixtures/lvm/segments.txt"

# 7. Containers, by qemu-img from the raw disks: qcow2 v3 (plain, zlib- and zstd-compressed
# clusters), qcow2 v2 (compat=0.10), a qcow2 overlay whose backing file is named relative to
# it, and both VMDK kinds AWS VM import/export takes.
qemu-img convert -O qcow2 "$out/images/gpt-xfs.raw" "$out/images/gpt-xfs.qcow2"
qemu-img convert -O qcow2 -c "$out/images/gpt-ext4-rpm.raw" "$out/images/gpt-ext4-rpm.zlib.qcow2"
qemu-img convert -O qcow2 -c -o compression_type=zstd "$out/images/gpt-xfs.raw" "$out/images/gpt-xfs.zstd.qcow2"
qemu-img convert -O qcow2 -o compat=0.10 "$out/images/mbr-logical.raw" "$out/images/mbr-logical.v2.qcow2"
(cd "$out/images" && qemu-img create -q -f qcow2 -b gpt-xfs.raw -F raw gpt-xfs.overlay.qcow2)
qemu-img convert -O vmdk -o subformat=monolithicSparse "$out/images/gpt-xfs.raw" "$out/images/gpt-xfs.sparse.vmdk"
qemu-img convert -O vmdk -o subformat=streamOptimized "$out/images/gpt-ext4-rpm.raw" "$out/images/gpt-ext4-rpm.stream.vmdk"

rm -rf "$out/work"
