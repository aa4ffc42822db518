#!/usr/bin/env bash
# Record real dnf's verdicts on a test bed (the oracle our tests compare patchscan against).
#
#   run-dnf-oracle.sh BEDDIR
#
# For every host directory BEDDIR/<host>/ that has root/ and repos/, dnf is run against a
# throw-away copy of the host root (so neither the committed rpmdb nor this machine's rpmdb,
# repos, cache or logs are touched) with ONLY the bed's repositories enabled:
#   --installroot=<copy>  --config=<empty file>  --setopt=reposdir=/dev/null  --noplugins
#   --repofrompath=<id>,file://<repo> ...  --releasever=<VERSION_ID>  --nogpgcheck
# Output: BEDDIR/<host>/oracle/<command-name>.{cmd,out,err,rc}  (raw dnf output; absolute
# paths of BEDDIR and the temporary root are replaced by @BEDDIR@ / @ROOT@ and the
# "Last metadata expiration check: <wall clock>" line is dropped, so re-runs compare equal).
#
# Repos that dnf cannot load at all (the primary_db-only variant) are replaced, for the
# main commands, by their XML twin BEDDIR/<host>/oracle-twins/<id>/ (same packages, same
# updateinfo, standard primary.xml) when one exists; the run against the untouched repos
# is kept as raw-repos-*.{cmd,out,err,rc} to document the failure.
#
# Debian's rpm keeps its database in ~/.rpmdb; dnf (via librpm) is pointed at the standard
# /var/lib/rpm inside the installroot with a private HOME holding one .rpmmacros line.
set -euo pipefail

BEDDIR="$(cd "${1:?usage: run-dnf-oracle.sh BEDDIR}" && pwd)"
command -v dnf >/dev/null || { echo "dnf not found" >&2; exit 1; }
export TZ=UTC LC_ALL=C.UTF-8

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home"
printf '%%_dbpath /var/lib/rpm\n' > "$tmp/home/.rpmmacros"
: > "$tmp/dnf.conf"

# The command set.  name<TAB>dnf arguments (word-split).  The transaction commands run
# without -q because -q hides the transaction table; --assumeno makes them change nothing.
commands=(
  $'check-update\t-q check-update'
  $'check-update-security\t-q check-update --security'
  $'updateinfo-list-available\t-q updateinfo list --available'
  $'updateinfo-list-available-security\t-q updateinfo list --available --security'
  $'updateinfo-list-all\t-q updateinfo list --all'
  $'updateinfo-list-available-cve\t-q updateinfo list --available --with-cve'
  $'updateinfo-list-available-bz\t-q updateinfo list --available --with-bz'
  $'updateinfo-info-available\t-q updateinfo info --available'
  $'updateinfo-summary-available\t-q updateinfo summary --available'
  # documented approximations of the AL2023 default baseline (UG installing-patches)
  $'upgrade-minimal-crit-imp-bugfix\tupgrade-minimal --sec-severity=Critical --sec-severity=Important --bugfix --assumeno'
  $'upgrade-security\tupgrade --security --assumeno'
  $'module-list\t-q module list'
)

# run_dnf HOST OUTNAME ROOTCOPY REPOARGS... -- DNFARGS...
run_dnf() {
  local host="$1" name="$2" root="$3"; shift 3
  local repoargs=()
  while [[ "$1" != -- ]]; do repoargs+=("$1"); shift; done
  shift
  local osr="$root/etc/os-release" relver platform
  relver="$(. "$osr"; echo "$VERSION_ID")"
  platform="$(. "$osr"; echo "${PLATFORM_ID:-}")"
  local cmd=(dnf --installroot="$root" --config="$tmp/dnf.conf" --noplugins
    --setopt=reposdir=/dev/null --releasever="$relver" --nogpgcheck
    --setopt=install_weak_deps=0 --setopt=skip_if_unavailable=False
    --setopt=module_platform_id="$platform"
    "${repoargs[@]}" "$@")
  local out="$BEDDIR/$host/oracle/$name" rc=0
  HOME="$tmp/home" timeout 600 "${cmd[@]}" >"$out.out" 2>"$out.err" </dev/null || rc=$?
  echo "$rc" > "$out.rc"
  printf '%q ' HOME=@HOME@ "${cmd[@]}" | sed 's/ $/\n/' > "$out.cmd"
  # stable paths in the recorded files
  sed -i -e "s|$root|@ROOT@|g" -e "s|$BEDDIR|@BEDDIR@|g" -e "s|$tmp|@TMP@|g" "$out.cmd" "$out.out" "$out.err"
  # the only wall-clock dependent line dnf prints
  sed -i '/^Last metadata expiration check: /d' "$out.out" "$out.err"
  printf '  %-40s rc=%s lines=%s\n' "$name" "$rc" "$(wc -l < "$out.out")" >&2
}

for hostdir in "$BEDDIR"/*/; do
  hostdir="${hostdir%/}"
  host="$(basename "$hostdir")"
  [[ -d "$hostdir/root" && -d "$hostdir/repos" ]] || continue
  echo "== $host" >&2
  rm -rf "$hostdir/oracle"
  mkdir -p "$hostdir/oracle"

  raw=() main=() twins_used=0
  for repo in "$hostdir"/repos/*/; do
    id="$(basename "$repo")"
    raw+=("--repofrompath=$id,file://${repo%/}" "--repo=$id")
    if [[ -d "$hostdir/oracle-twins/$id" ]]; then
      main+=("--repofrompath=$id,file://$hostdir/oracle-twins/$id" "--repo=$id")
      twins_used=1
    else
      main+=("--repofrompath=$id,file://${repo%/}" "--repo=$id")
    fi
  done

  rootcopy="$tmp/$host"
  rm -rf "$rootcopy"
  cp -a "$hostdir/root" "$rootcopy"
  for entry in "${commands[@]}"; do
    name="${entry%%$'\t'*}"
    read -r -a args <<< "${entry#*$'\t'}"
    run_dnf "$host" "$name" "$rootcopy" "${main[@]}" -- "${args[@]}"
  done
  # dnf's own id filters, for the ids a bed lists (make-id-beds.sh): oracle/ids-index.tsv maps
  # N to kind and id, oracle/id-N.* holds `updateinfo list --available --KIND=ID`.
  if [[ -f "$hostdir/ids.tsv" ]]; then
    n=0
    : > "$hostdir/oracle/ids-index.tsv"
    while IFS=$'\t' read -r kind id; do
      [[ -z "$kind" || "$kind" == \#* ]] && continue
      n=$((n + 1))
      printf '%s\t%s\t%s\n' "$n" "$kind" "$id" >> "$hostdir/oracle/ids-index.tsv"
      run_dnf "$host" "id-$n" "$rootcopy" "${main[@]}" -- -q updateinfo list --available "--$kind=$id"
    done < "$hostdir/ids.tsv"
  fi
  if (( twins_used )); then
    for name in check-update updateinfo-list-available; do
      entry="$(printf '%s\n' "${commands[@]}" | grep "^$name"$'\t')"
      read -r -a args <<< "${entry#*$'\t'}"
      run_dnf "$host" "raw-repos-$name" "$rootcopy" "${raw[@]}" -- "${args[@]}"
    done
  fi
  # installed packages as librpm sees them (sanity check of the committed rpmdb)
  HOME="$tmp/home" rpm --root "$rootcopy" -qa --qf '%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n' \
    | sort > "$hostdir/oracle/rpm-qa.out"
  rm -rf "$rootcopy"
done
