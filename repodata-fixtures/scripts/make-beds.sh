#!/usr/bin/env bash
# Build the RPM-family test beds from the declarative TSV data with the real tools.
#
#   make-beds.sh [OUTDIR]          (default: repodata-fixtures/beds)
#
# Environment:
#   BED_DATA  directory with the TSV bed data (default: repodata-fixtures/beds-data)
#   BED_WORK  scratch directory for specs, built RPMs and metadata sources
#             (default: OUTDIR/.work, git-ignored; safe to delete)
#   BED_JOBS  parallel rpmbuild runs (default: 2)
#
# Output per host (hosts.tsv):
#   OUTDIR/<host>/root/etc/os-release                    os identity of the host
#   OUTDIR/<host>/root/etc/dnf/modules.d/<m>.module      enabled module streams (module-state.tsv)
#   OUTDIR/<host>/root/var/lib/rpm/rpmdb.sqlite          real rpm database (rpm --justdb -i)
#   OUTDIR/<host>/repos/<repo>/repodata/                 createrepo_c + modifyrepo_c metadata
#   OUTDIR/<host>/oracle-twins/<repo>/repodata/          XML twin of a sqlite-only repo (for dnf)
#   OUTDIR/NOW                                           the fixed "now" the dates are relative to
#
# Tools: rpmbuild, rpm, createrepo_c, modifyrepo_c, zstd, /usr/bin/python3 (bedgen.py helper).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fixtures="$(dirname "$here")"
OUTDIR="${1:-$fixtures/beds}"
DATA="${BED_DATA:-$fixtures/beds-data}"
mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
WORK="${BED_WORK:-$OUTDIR/.work}"
JOBS="${BED_JOBS:-2}"
PY=/usr/bin/python3          # needs nothing but the stdlib; the system python is used everywhere

for tool in rpmbuild rpm createrepo_c modifyrepo_c zstd "$PY"; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

# Fixed time + stable environment so that headers and metadata are reproducible.
export TZ=UTC LC_ALL=C
NOW_EPOCH=1748779200   # keep in sync with bedgen.py NOW (2025-06-01T12:00:00Z)

# ---------------------------------------------------------------- 1. plan
# Start from a clean slate for every host/repo we own (idempotent re-runs).
rm -rf "$WORK"
mkdir -p "$WORK"
while IFS=$'\t' read -r host _; do
  [[ -z "$host" || "$host" == \#* ]] && continue
  rm -rf "${OUTDIR:?}/$host/root" "${OUTDIR:?}/$host/repos" "${OUTDIR:?}/$host/oracle-twins"
done < "$DATA/hosts.tsv"
"$PY" "$here/bedgen.py" plan "$DATA" "$OUTDIR" "$WORK"

# ---------------------------------------------------------------- 2. rpmbuild
# One rpmbuild run per spec; each spec holds many payload-less sub-packages that share a
# target arch and a build time (SOURCE_DATE_EPOCH -> BUILDTIME header).
build_one() {
  local spec="$1" target="$2" sde="$3"
  SOURCE_DATE_EPOCH="$sde" rpmbuild -bb --quiet --target "$target" \
    --define "_topdir $WORK/rpmbuild/${spec%.spec}" \
    --define "_rpmdir $WORK/rpms" \
    --define "_build_id_links none" \
    --define "use_source_date_epoch_as_buildtime 1" \
    --define "clamp_mtime_to_source_date_epoch 1" \
    --define "_buildhost bed.patchscan.invalid" \
    --define "dist %{nil}" \
    "$WORK/specs/$spec" >"$WORK/rpmbuild-${spec%.spec}.log" 2>&1 \
    || { cat "$WORK/rpmbuild-${spec%.spec}.log" >&2; return 1; }
}
export -f build_one
export WORK
t0=$(date +%s)
# The shared parents exist before the parallel runs: two rpmbuilds creating them at once
# race, and the loser fails with "failed to create directory %{_topdir}: File exists".
mkdir -p "$WORK/rpmbuild" "$WORK/rpms"
# builds.tsv: spec<TAB>target<TAB>SOURCE_DATE_EPOCH
tr '\t' '\n' < "$WORK/builds.tsv" | xargs -d '\n' -n 3 -P "$JOBS" bash -c 'build_one "$@"' _
echo "rpmbuild: $(wc -l < "$WORK/builds.tsv") runs, $(find "$WORK/rpms" -name '*.rpm' | wc -l) rpms, $(( $(date +%s) - t0 ))s" >&2
rm -rf "$WORK/rpmbuild"
# createrepo_c records the file mtime (<time file=...>): pin it to the fixed NOW.
find "$WORK/rpms" -name '*.rpm' -exec touch -d "@$NOW_EPOCH" {} +

# ---------------------------------------------------------------- 3. host roots + rpmdb
# The rpm database goes to the standard /var/lib/rpm (Debian's rpm defaults to ~/.rpmdb, so
# --dbpath is explicit) in the sqlite backend, exactly as on a RHEL 9 / AL2023 host.
while IFS=$'\t' read -r host _; do
  [[ -z "$host" || "$host" == \#* ]] && continue
  root="$OUTDIR/$host/root"
  mkdir -p "$root/var/lib/rpm"
  rpmopts=(--root "$root" --dbpath /var/lib/rpm --define "_db_backend sqlite")
  rpm "${rpmopts[@]}" --initdb
  sed "s|^|$WORK/rpms/|" "$WORK/install-$host.list" | xargs -d '\n' \
    rpm "${rpmopts[@]}" -i --justdb --nodeps --noscripts --notriggers --ignoresize \
    2> >(grep -v -e 'use Alien' -e 'assuming you know' >&2)   # Debian's rpm nags about Alien
  echo "$host: $(rpm "${rpmopts[@]}" -qa | wc -l) packages in rpmdb" >&2
  # rpm leaves the sqlite db in WAL mode with -wal/-shm side files: fold the WAL into the main
  # file (the db stays in WAL mode, as on a real host) so only rpmdb.sqlite has to be kept.
  "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' \
    "$root/var/lib/rpm/rpmdb.sqlite"
  rm -f "$root/var/lib/rpm/rpmdb.sqlite-shm" "$root/var/lib/rpm/rpmdb.sqlite-wal" "$root/var/lib/rpm/.rpm.lock"
done < "$DATA/hosts.tsv"

# ---------------------------------------------------------------- 4. repositories
# RPMs stay in WORK/pkgs/<repo>; only the metadata is written to OUTDIR (createrepo_c
# --outputdir), so the committed beds carry repodata but no RPM files.
mdfix() {  # give metadata sources a fixed mtime (modifyrepo_c records it in repomd.xml)
  touch -d "@$NOW_EPOCH" "$@"
}
while IFS=$'\t' read -r repo host variant; do
  pkgdir="$WORK/pkgs/$repo"
  dest="$OUTDIR/$host/repos/$repo"
  mkdir -p "$pkgdir" "$dest"
  while read -r rel; do
    mkdir -p "$pkgdir/$(dirname "$rel")"
    ln -f "$WORK/rpms/$rel" "$pkgdir/$rel"
  done < "$WORK/repo-$repo.list"
  dbopt=--no-database
  [[ "$variant" == sqlite-only ]] && dbopt=--database
  createrepo_c --quiet "$dbopt" --revision "$NOW_EPOCH" --set-timestamp-to-revision \
    --outputdir "$dest" "$pkgdir"

  md="$WORK/md/$repo"
  mkdir -p "$md"
  if [[ -f "$WORK/updateinfo-$repo.xml" ]]; then
    cp "$WORK/updateinfo-$repo.xml" "$md/updateinfo.xml"
    mdfix "$md/updateinfo.xml"
    modifyrepo_c --mdtype updateinfo "$md/updateinfo.xml" "$dest/repodata"
  fi
  if [[ -f "$WORK/modules-$repo.yaml" ]]; then
    cp "$WORK/modules-$repo.yaml" "$md/modules.yaml"
    mdfix "$md/modules.yaml"
    modifyrepo_c --mdtype modules "$md/modules.yaml" "$dest/repodata"
  fi

  case "$variant" in
    xml) ;;
    sqlite-only)
      # Amazon Linux 2 style: repomd.xml lists only primary_db/filelists_db/other_db.
      "$PY" "$here/bedgen.py" repomd-drop "$dest/repodata/repomd.xml" primary filelists other
      # dnf 4 cannot load such a repo, so run-dnf-oracle.sh uses an XML twin with the same
      # packages and updateinfo to record dnf's verdict on its contents.
      twin="$OUTDIR/$host/oracle-twins/$repo"
      mkdir -p "$twin"
      createrepo_c --quiet --no-database --revision "$NOW_EPOCH" --set-timestamp-to-revision \
        --outputdir "$twin" "$pkgdir"
      if [[ -f "$md/updateinfo.xml" ]]; then
        modifyrepo_c --mdtype updateinfo "$md/updateinfo.xml" "$twin/repodata"
      fi
      "$PY" "$here/bedgen.py" repomd-pin "$twin/repodata/repomd.xml" "$NOW_EPOCH" ;;
    zstd-updateinfo)
      # createrepo_c/modifyrepo_c here cannot write zstd: recompress with the zstd tool and
      # point repomd.xml's updateinfo entry at it (open-checksum stays that of the XML).
      zstd -q -19 --no-progress -f "$md/updateinfo.xml" -o "$md/updateinfo.xml.zst"
      "$PY" "$here/bedgen.py" repomd-replace "$dest/repodata/repomd.xml" updateinfo "$md/updateinfo.xml.zst" ;;
    *) echo "unknown repo variant $variant" >&2; exit 1 ;;
  esac
  "$PY" "$here/bedgen.py" repomd-pin "$dest/repodata/repomd.xml" "$NOW_EPOCH"
  echo "repo $host/$repo ($variant): $(wc -l < "$WORK/repo-$repo.list") packages" >&2
done < "$WORK/repos.tsv"

echo "beds written to $OUTDIR (NOW=$(cat "$OUTDIR/NOW"))" >&2
