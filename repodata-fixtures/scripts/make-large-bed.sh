#!/usr/bin/env bash
# Synthetic large bed for scale tests: one RHEL-9-style host "large" with 3,000 installed
# packages (real sqlite rpmdb written by rpm), one repo with 5,000 available packages and
# 2,000 advisories (real createrepo_c + modifyrepo_c), plus dnf's oracle outputs.
#
#   make-large-bed.sh OUTDIR
#
# Environment: LARGE_INSTALLED / LARGE_AVAILABLE / LARGE_ADVISORIES override the sizes.
#
# Meant for a CI cache folder: idempotent.  If OUTDIR/STAMP matches the hash of the
# generator scripts and sizes, and the oracle exists, nothing is rebuilt.  Otherwise the
# bed is rebuilt from scratch (same data every time: bedgen.py synth is deterministic).
# Speed: all packages are payload-less sub-packages of a few specs (one rpmbuild run per
# (arch, build time) group, see bedgen.py write_specs), so ~7,400 RPMs take seconds, not
# the hours one-rpmbuild-per-package would.  Output is NOT committed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="${1:?usage: make-large-bed.sh OUTDIR}"
N_INST="${LARGE_INSTALLED:-3000}"
N_AVAIL="${LARGE_AVAILABLE:-5000}"
N_ADV="${LARGE_ADVISORIES:-2000}"
PY=/usr/bin/python3

mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
stamp="$(cat "$here/bedgen.py" "$here/make-beds.sh" "$here/run-dnf-oracle.sh" "$0" \
  | { cat; echo "$N_INST $N_AVAIL $N_ADV"; } | sha256sum | cut -d' ' -f1)"
if [[ -f "$OUTDIR/STAMP" && "$(cat "$OUTDIR/STAMP")" == "$stamp" && -f "$OUTDIR/large/oracle/check-update.rc" ]]; then
  echo "large bed in $OUTDIR is up to date (STAMP $stamp)" >&2
  exit 0
fi
rm -f "$OUTDIR/STAMP"

t0=$(date +%s)
"$PY" "$here/bedgen.py" synth "$OUTDIR/data" "$N_INST" "$N_AVAIL" "$N_ADV"
BED_DATA="$OUTDIR/data" BED_WORK="$OUTDIR/.work" "$here/make-beds.sh" "$OUTDIR"
t1=$(date +%s)
"$here/run-dnf-oracle.sh" "$OUTDIR"
t2=$(date +%s)
# the RPM files are only needed while building; the metadata is what the tests read
rm -rf "$OUTDIR/.work"
{
  echo "build_seconds=$((t1 - t0))"
  echo "oracle_seconds=$((t2 - t1))"
  echo "installed=$N_INST available=$N_AVAIL advisories=$N_ADV"
  echo "nproc=$(nproc)"
} > "$OUTDIR/BUILD-TIME"
cat "$OUTDIR/BUILD-TIME" >&2
echo "$stamp" > "$OUTDIR/STAMP"
