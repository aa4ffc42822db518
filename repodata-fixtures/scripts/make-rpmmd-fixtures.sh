#!/bin/sh
# Makes the rpm-md test repositories under repodata-fixtures/rpmmd/ with the real tools:
# rpmbuild (tiny packages), createrepo_c --database (primary.xml + primary_db),
# modifyrepo_c (updateinfo, modules), and gzip/xz/zstd/bzip2/lz4 for the compression set.
# Needs Debian packages: rpm, createrepo-c, zstd, xz-utils, bzip2, lz4.
# Run from anywhere; rewrites repodata-fixtures/rpmmd/{tiny,tiny-zstd,compression}.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/rpmmd"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC

# --- tiny packages: one with an epoch, one x86_64, and a source package (must be skipped)
mkdir -p "$work/rpmbuild/SPECS"
spec() { # name epoch version release arch
    {
        echo "Name: $1"
        [ "$2" = 0 ] || echo "Epoch: $2"
        echo "Version: $3"
        echo "Release: $4"
        echo "Summary: test package $1 & co"
        echo "License: MIT"
        echo "BuildArch: $5"
        echo "%description"
        echo "Tiny package for patchscan's rpm-md tests."
        echo "%files"
    } > "$work/rpmbuild/SPECS/$1.spec"
}
spec hello 0 2.1 3.amzn2 noarch
spec epochal 2 1.0 1 noarch
spec tool 0 0.9 7.el8 x86_64
for s in "$work"/rpmbuild/SPECS/*.spec; do
    rpmbuild --quiet --define "_topdir $work/rpmbuild" --define "_build_id_links none" \
        --define "use_source_date_epoch_as_buildtime 1" --target "$(sed -n 's/^BuildArch: //p' "$s")" \
        -ba "$s" >/dev/null 2>&1
done

rm -rf "$out/tiny" "$out/tiny-zstd" "$out/compression"
mkdir -p "$out/tiny"
find "$work/rpmbuild/RPMS" "$work/rpmbuild/SRPMS" -name '*.rpm' -exec cp {} "$out/tiny/" \;

cat > "$work/updateinfo.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="test@example.com" status="final" type="security" version="2">
    <id>TEST-2024:0001</id>
    <title>Important: hello &amp; tool security update</title>
    <issued date="2024-01-02 03:04:05"/>
    <updated date="2024-01-05T06:07:08Z"/>
    <severity>Important</severity>
    <description>Fixes CVE-2024-0001 &lt;and more&gt;.</description>
    <references>
      <reference href="https://example.com/CVE-2024-0001" id="CVE-2024-0001" type="cve" title="CVE-2024-0001"/>
      <reference href="https://example.com/1234" id="1234" type="bugzilla" title="bug"/>
      <reference href="https://example.com/TEST-2024:0001" id="TEST-2024:0001" type="self" title="self"/>
    </references>
    <pkglist>
      <collection short="tiny">
        <name>tiny</name>
        <package name="hello" version="2.1" release="3.amzn2" epoch="0" arch="noarch" src="hello-2.1-3.amzn2.src.rpm">
          <filename>hello-2.1-3.amzn2.noarch.rpm</filename>
        </package>
      </collection>
      <collection short="tiny-module">
        <name>tiny module</name>
        <module name="toolbox" stream="1.0" version="8090020240101000000" context="abcdef12" arch="x86_64"/>
        <package name="tool" version="0.9" release="7.el8" epoch="0" arch="x86_64" src="tool-0.9-7.el8.src.rpm">
          <filename>tool-0.9-7.el8.x86_64.rpm</filename>
        </package>
      </collection>
    </pkglist>
  </update>
  <update from="test@example.com" status="final" type="bugfix" version="1">
    <id>TEST-2024:0002</id>
    <title>epochal bug fix</title>
    <issued date="2024-02-01"/>
    <severity/>
    <pkglist>
      <collection short="tiny">
        <package name="epochal" version="1.0" release="1" epoch="2" arch="noarch"/>
      </collection>
    </pkglist>
  </update>
</updates>
XML

cat > "$work/modules.yaml" <<'YAML'
---
document: modulemd
version: 2
data:
  name: toolbox
  stream: "1.0"
  version: 8090020240101000000
  context: abcdef12
  arch: x86_64
  summary: test module
  description: test module
  license:
    module: [MIT]
  artifacts:
    rpms:
    - tool-0:0.9-7.el8.x86_64
    - tool-0:0.9-7.el8.src
...
---
document: modulemd
version: 2
data:
  name: toolbox
  stream: 2
  version: 8090020240201000000
  context: 0123abcd
  arch: x86_64
  summary: test module, bare numeric stream
  description: test module
  license:
    module: [MIT]
...
---
document: modulemd-defaults
version: 1
data:
  module: toolbox
  stream: "1.0"
  profiles:
    "1.0": [default]
...
YAML

createrepo_c --quiet --database --revision 42 --set-timestamp-to-revision "$out/tiny" >/dev/null
modifyrepo_c --mdtype updateinfo "$work/updateinfo.xml" "$out/tiny/repodata" >/dev/null
modifyrepo_c --mdtype modules "$work/modules.yaml" "$out/tiny/repodata" >/dev/null
rm -f "$out"/tiny/*.rpm # the metadata is what the tests read; keep the fixture small

# --- the same repository with zstd metadata (createrepo_c refuses zstd): recompress, point
# repomd.xml at the new names and give it their checksums and sizes (patchscan checks them, as
# dnf does). The names keep createrepo_c's digest prefix of the gzip files.
cp -r "$out/tiny" "$out/tiny-zstd"
cd "$out/tiny-zstd/repodata"
for kind in primary updateinfo; do
    old=$(ls ./*"$kind".xml.* | head -n 1)
    old=${old#./}
    new=${old%.*}.zst
    "$(case "$old" in *.gz) echo zcat;; *.xz) echo xzcat;; *.bz2) echo bzcat;; *.zst) echo zstdcat;; esac)" "$old" |
        zstd -q -19 -o "$new"
    oldsum=$(sha256sum "$old" | cut -d' ' -f1)
    oldsize=$(wc -c < "$old")
    rm "$old"
    sed -i "s|$old|$new|; s|>$oldsum</checksum>|>$(sha256sum "$new" | cut -d' ' -f1)</checksum>|; s|<size>$oldsize</size>|<size>$(wc -c < "$new")</size>|" repomd.xml
done

# --- one updateinfo in every format, each under a misleading name
mkdir -p "$out/compression"
cd "$out/compression"
u="$work/updateinfo.xml"
cp "$u" plain-named.xml.xz
gzip -9n < "$u" > gzip-named.xml.zst
xz -9 < "$u" > xz-named.xml.gz
zstd -q -19 < "$u" > zstd-named.xml.bz2
bzip2 -9 < "$u" > bzip2-named.xml
lz4 -q -9 < "$u" > lz4-named.xml.gz
# gzip with two members: the file split in the middle, compressed separately.
half=$(($(wc -c < "$u") / 2))
{ head -c "$half" "$u" | gzip -9n; tail -c +"$((half + 1))" "$u" | gzip -9n; } > gzip-two-members.xml
{ head -c "$half" "$u" | lz4 -q -9; tail -c +"$((half + 1))" "$u" | lz4 -q -9; } > lz4-two-frames.xml
echo "made $out/tiny, $out/tiny-zstd, $out/compression"
