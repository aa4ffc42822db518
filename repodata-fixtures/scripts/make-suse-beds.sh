#!/usr/bin/env bash
# Build the SUSE test beds from REAL SUSE/openSUSE updateinfo and record real zypper's
# answers on them.
#
#   make-suse-beds.sh [OUTDIR]              build + oracle (default: repodata-fixtures/suse-beds)
#   make-suse-beds.sh --oracle-only OUTDIR  re-record zypper's answers on an existing bed
#                                           (wherever it now lives; the repo URL is made anew)
#
# Environment:
#   SUSE_REALDATA  the libzypp realdata dir (default: /work/shared/realdata/libzypp)
#   SUSE_WORK      scratch dir for specs and built RPMs (default: OUTDIR/.work, deleted at the end
#                  unless SUSE_KEEP_WORK=1; a SUSE_WORK given here is kept)
#   SUSE_JOBS      parallel rpmbuild runs (default: 2)
#
# Beds (see suse-bedgen.py BEDS):
#   OUTDIR/sles15sp5/  SLES 15 SP5-like host; repo opensuse-11.0-update carries the REAL
#                      updateinfo.xml of libzypp's zypp/tests/data/11.0-update (164 patches)
#   OUTDIR/leap155/    openSUSE Leap 15.5-like host; repo delta carries the REAL updateinfo.xml
#                      of libzypp's zypp/tests/zypp/data/Delta (14 patches)
# Per bed:
#   root/etc/os-release, root/etc/products.d/{<P>.prod,baseproduct}   host identity (written)
#   root/var/lib/rpm/rpmdb.sqlite     real sqlite rpmdb (rpm --justdb -i), WAL folded in
#   repos/<alias>/repodata/           createrepo_c primary/filelists/other + modifyrepo_c'd
#                                     real updateinfo (content byte-identical to the capture)
#   installed-plan.tsv                per name.arch: what was installed and why (older/equal/...)
#   oracle/<cmd>.{cmd,out,err,rc}     real zypper 1.14.42 / libzypp 17.25.7 outputs
#
# How each part is made (and from which real file) is in OUTDIR/README.md and PROVENANCE.md.
# Tools: rpmbuild, rpm, createrepo_c, modifyrepo_c, zypper, /usr/bin/python3 with python3-rpm.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fixtures="$(dirname "$here")"
ORACLE_ONLY=0
if [[ "${1:-}" == "--oracle-only" ]]; then ORACLE_ONLY=1; shift; fi
OUTDIR="${1:-$fixtures/suse-beds}"
REAL="${SUSE_REALDATA:-/work/shared/realdata/libzypp}"
INVENTORY="$(dirname "$REAL")/INVENTORY.tsv"
JOBS="${SUSE_JOBS:-2}"
PY=/usr/bin/python3
mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
WORK="${SUSE_WORK:-$OUTDIR/.work}"

for tool in rpmbuild rpm createrepo_c modifyrepo_c zypper "$PY"; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y --no-install-recommends zypper rpm createrepo-c python3-rpm)" >&2; exit 1; }
done
"$PY" -c 'import rpm' 2>/dev/null || { echo "missing python3-rpm" >&2; exit 1; }

export TZ=UTC LC_ALL=C
# Fixed time for the metadata of the beds: repomd <revision>/<timestamp>, file mtimes.
# 2008-11-01T00:00:00Z, after the last patch of both real sources (the data is from 2008).
FIX_EPOCH=1225497600
t_start=$(date +%s)

# ================================================================ build
build() {
  rm -rf "$WORK"
  mkdir -p "$WORK"
  while IFS= read -r host; do
    rm -rf "${OUTDIR:?}/$host"
  done < <("$PY" -c 'import importlib.util,sys
spec=importlib.util.spec_from_file_location("g",sys.argv[1]); g=importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
print("\n".join(b["host"] for b in g.BEDS))' "$here/suse-bedgen.py")
  "$PY" "$here/suse-bedgen.py" plan "$REAL" "$OUTDIR" "$WORK"

  # ---- rpmbuild: payload-less sub-packages, one run per (target arch, build time)
  build_one() {
    local spec="$1" target="$2" sde="$3"
    SOURCE_DATE_EPOCH="$sde" rpmbuild -bb --quiet --target "$target" \
      --define "_topdir $WORK/rpmbuild/${spec%.spec}" \
      --define "_rpmdir $WORK/rpms" \
      --define "_build_id_links none" \
      --define "use_source_date_epoch_as_buildtime 1" \
      --define "clamp_mtime_to_source_date_epoch 1" \
      --define "_buildhost build.patchscan.invalid" \
      --define "dist %{nil}" \
      "$WORK/specs/$spec" >"$WORK/rpmbuild-${spec%.spec}.log" 2>&1 \
      || { cat "$WORK/rpmbuild-${spec%.spec}.log" >&2; return 1; }
    rm -f "$WORK/rpmbuild-${spec%.spec}.log"
  }
  export -f build_one
  export WORK
  local t0; t0=$(date +%s)
  # shared parents first: parallel rpmbuilds creating them at once race ("File exists")
  mkdir -p "$WORK/rpmbuild" "$WORK/rpms"
  tr '\t' '\n' < "$WORK/builds.tsv" | xargs -d '\n' -n 3 -P "$JOBS" bash -c 'build_one "$@"' _
  echo "rpmbuild: $(wc -l < "$WORK/builds.tsv") runs, $(find "$WORK/rpms" -name '*.rpm' | wc -l) rpms, $(( $(date +%s) - t0 ))s" >&2
  rm -rf "$WORK/rpmbuild"
  find "$WORK/rpms" -name '*.rpm' -exec touch -d "@$FIX_EPOCH" {} +

  # ---- rpmdb: standard /var/lib/rpm, sqlite backend (as on SLES 15 SP5 / Leap 15.5)
  while IFS=$'\t' read -r repo host; do
    local root="$OUTDIR/$host/root"
    mkdir -p "$root/var/lib/rpm"
    local rpmopts=(--root "$root" --dbpath /var/lib/rpm --define "_db_backend sqlite")
    rpm "${rpmopts[@]}" --initdb
    # SOURCE_DATE_EPOCH: rpm 4.18 takes INSTALLTIME/INSTALLTID from it -> reproducible rpmdb
    sed "s|^|$WORK/rpms/|" "$WORK/install-$host.list" | SOURCE_DATE_EPOCH="$FIX_EPOCH" xargs -d '\n' \
      rpm "${rpmopts[@]}" -i --justdb --nodeps --noscripts --notriggers --ignoresize \
      2> >(grep -v -e 'use Alien' -e 'assuming you know' >&2)
    "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' \
      "$root/var/lib/rpm/rpmdb.sqlite"
    rm -f "$root/var/lib/rpm/rpmdb.sqlite-shm" "$root/var/lib/rpm/rpmdb.sqlite-wal" "$root/var/lib/rpm/.rpm.lock"

    # ---- repository: createrepo_c over the pkglist RPMs, then the real updateinfo
    local pkgdir="$WORK/pkgs/$repo" dest="$OUTDIR/$host/repos/$repo"
    mkdir -p "$pkgdir" "$dest"
    while read -r rel; do
      mkdir -p "$pkgdir/$(dirname "$rel")"
      ln -f "$WORK/rpms/$rel" "$pkgdir/$rel"
    done < "$WORK/repo-$repo.list"
    createrepo_c --quiet --no-database --revision "$FIX_EPOCH" --set-timestamp-to-revision \
      --outputdir "$dest" "$pkgdir"
    mkdir -p "$WORK/md/$repo"
    cp "$WORK/updateinfo-$repo.xml" "$WORK/md/$repo/updateinfo.xml"
    touch -d "@$FIX_EPOCH" "$WORK/md/$repo/updateinfo.xml"
    modifyrepo_c --mdtype updateinfo "$WORK/md/$repo/updateinfo.xml" "$dest/repodata"
    "$PY" "$here/suse-bedgen.py" repomd-pin "$dest/repodata/repomd.xml" "$FIX_EPOCH"
    echo "$host: repo $repo $(wc -l < "$WORK/repo-$repo.list") packages, rpmdb $(wc -l < "$WORK/install-$host.list") packages" >&2
  done < "$WORK/repos.tsv"
  "$PY" "$here/suse-bedgen.py" readme "$REAL" "$INVENTORY" "$OUTDIR"
}

# ================================================================ oracle
# zypper runs on a throw-away copy of the host root (it writes its cache, lock, history and
# touches the rpmdb there) with a .repo file pointing at the bed's repo as it is now.  If the
# built RPMs are still in WORK, a copy of the repo with them is used so that
# `patch/update --dry-run` can run rpm's test transaction; else those two are skipped.
oracle() {
  local host="$1" repo="$2"
  local bed="$OUTDIR/$host" tmp
  tmp="$(mktemp -d /tmp/suse-oracle.XXXXXX)"
  local root="$tmp/root" orc="$bed/oracle"
  cp -a "$bed/root" "$root"
  local repodir="$bed/repos/$repo" with_rpms=0
  if [[ -d "$WORK/pkgs/$repo" ]]; then
    repodir="$tmp/repo-$repo"
    mkdir -p "$repodir"
    cp -a "$bed/repos/$repo/repodata" "$repodir/"
    cp -al "$WORK/pkgs/$repo/." "$repodir/"
    with_rpms=1
    rm -rf "$orc"     # full run: start clean (--oracle-only keeps the dry-run outputs)
  fi
  mkdir -p "$orc"
  mkdir -p "$root/etc/zypp/repos.d"
  cat > "$root/etc/zypp/repos.d/$repo.repo" <<EOF
[$repo]
name=$repo (patchscan SUSE test bed)
enabled=1
autorefresh=0
baseurl=file://$repodir
type=rpm-md
gpgcheck=0
keeppackages=0
EOF
  sed "s|$repodir|@REPO@|g" "$root/etc/zypp/repos.d/$repo.repo" > "$orc/zypper-repo.repo"
  # rpm -qa of the bed's rpmdb as librpm reads it back (on the copy: no -shm left in the bed)
  local rpmq=(rpm --root "$root" --dbpath /var/lib/rpm -qa --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n')
  "${rpmq[@]}" 2>/dev/null | sort > "$orc/rpm-qa.out"
  echo "rpm --root @ROOT@ --dbpath /var/lib/rpm -qa --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n' | sort" > "$orc/rpm-qa.cmd"
  : > "$orc/rpm-qa.err"; echo 0 > "$orc/rpm-qa.rc"

  run() {  # run NAME ARGS...   (zypper --root ROOT --non-interactive ARGS)
    local name="$1"; shift
    local rc=0
    zypper --root "$root" --non-interactive "$@" >"$orc/$name.out" 2>"$orc/$name.err" || rc=$?
    echo "$rc" > "$orc/$name.rc"
    # placeholders for the machine-specific paths
    local f
    for f in "$orc/$name.out" "$orc/$name.err"; do
      sed -i -e "s|$repodir|@REPO@|g" -e "s|$root|@ROOT@|g" -e "s|$OUTDIR|@BEDDIR@|g" "$f"
    done
    printf '%q ' zypper --root @ROOT@ --non-interactive "$@" | sed -e 's/ $//' > "$orc/$name.cmd"
    echo >> "$orc/$name.cmd"
  }
  run refresh refresh
  run repos --xmlout repos
  run products --xmlout products
  # XML (--xmlout) for the main questions; the text table (one line per patch/package,
  # citable by line) for the rest.  zypper 1.14.42 ignores --category/--severity/--date in
  # `--xmlout list-patches` (its xml_list_patches() only looks at --all): one XML case shows
  # that (list-patches-all-cat-security.out == list-patches-all.out), the filters are text.
  run list-patches-all                 --xmlout list-patches --all
  run list-patches                     --xmlout list-patches
  run list-patches-all-cat-security    --xmlout list-patches --all --category security
  run list-patches-all-text            list-patches --all
  run list-patches-text                list-patches
  run list-patches-with-optional-text  list-patches --with-optional
  local c
  for c in security recommended optional; do
    run "list-patches-all-cat-$c-text" list-patches --all --category "$c"
    run "list-patches-cat-$c-text"     list-patches --category "$c"
  done
  # Patch Manager spells CLASSIFICATION/SEVERITY capitalised (Security, Important)
  run list-patches-all-cat-Security-text list-patches --all --category Security
  run list-patches-all-sev-Important-text list-patches --all --severity Important
  for c in important critical moderate low unspecified; do
    run "list-patches-all-sev-$c-text" list-patches --all --severity "$c"
  done
  run list-patches-sev-important-text  list-patches --severity important
  run list-patches-all-date-2008-08-01-text list-patches --all --date 2008-08-01
  run list-updates                     --xmlout list-updates
  run list-updates-text                list-updates
  run list-updates-all-text            list-updates --all
  run list-updates-best-effort-text    list-updates --best-effort
  run list-updates-patch-text          list-updates -t patch
  run patch-check                      --xmlout patch-check
  run patch-check-text                 patch-check
  run patch-check-with-optional-text   patch-check --with-optional
  run patch-check-updatestack-only-text patch-check --updatestack-only
  local kind id why
  while IFS=$'\t' read -r kind id why; do
    case "$kind" in
      bugzilla) run "list-patches-bugzilla-$id"          --xmlout list-patches --bugzilla="$id"
                run "list-patches-all-bugzilla-$id-text" list-patches --all --bugzilla="$id" ;;
      cve)      run "list-patches-cve-$id"               --xmlout list-patches --cve="$id"
                run "list-patches-all-cve-$id-text"      list-patches --all --cve="$id"
                run "list-patches-all-issue-$id-text"    list-patches --all --issue="$id" ;;
      patch)    run "info-patch-$id" info -t patch "$id"
                if (( with_rpms )); then run "install-dry-run-patch-$id" install --dry-run --details -t patch "$id"; fi ;;
    esac
  done < "$bed/queries.tsv"
  if (( with_rpms )); then
    run patch-dry-run              patch --dry-run --details
    run patch-dry-run-cat-security patch --dry-run --details --category security
    run update-dry-run             update --dry-run --details
  fi
  # does zypper need the host identity?  the same question without etc/products.d + os-release
  rm -rf "$root/etc/products.d" "$root/etc/os-release"
  run list-patches-all-text-without-products-d list-patches --all
  run products-without-products-d --xmlout products
  rm -rf "$tmp"
  echo "$host: $(ls "$orc"/*.rc | wc -l) zypper/rpm outputs recorded" >&2
}

if (( ! ORACLE_ONLY )); then
  build
fi
t_built=$(date +%s)
zypper --version > "$OUTDIR/ZYPPER-VERSION" 2>&1
dpkg-query -W -f '${Package} ${Version}\n' zypper libzypp1722 libsolv1 rpm createrepo-c 2>/dev/null >> "$OUTDIR/ZYPPER-VERSION" || true
for bed in "$OUTDIR"/*/repos/*; do
  [[ -d "$bed/repodata" ]] || continue
  repo="$(basename "$bed")"; host="$(basename "$(dirname "$(dirname "$bed")")")"
  oracle "$host" "$repo"
done
# per patch: zypper's verdict next to what is installed (the table FINDINGS.md cites)
"$PY" "$here/suse-findings.py" "$OUTDIR"
t_end=$(date +%s)
if [[ "${SUSE_KEEP_WORK:-0}" != 1 && -z "${SUSE_WORK:-}" ]]; then rm -rf "$WORK"; fi
echo "build $((t_built - t_start))s, oracle $((t_end - t_built))s; beds in $OUTDIR" >&2
