#!/usr/bin/env bash
# Beds made from REAL updateinfo files (repodata-fixtures/realdata-updateinfo, see its
# PROVENANCE.md), with real dnf's answers: the oracle for approvals by advisory, CVE and
# Bugzilla id, and for notices bound to module streams (tests/scan_ids.rs).
#
#   make-id-beds.sh OUTDIR
#
# idbeds.py plans one host per file (and module variants) in bedgen's TSV format; make-beds.sh
# builds them with rpmbuild, rpm, createrepo_c and modifyrepo_c, the real updateinfo going into
# each repository as it is; run-dnf-oracle.sh records dnf 4's outputs, including its own
# --advisory/--cve/--bz filters for the ids of OUTDIR/<host>/ids.tsv.  Idempotent: a re-run
# with unchanged scripts and files is a no-op (OUTDIR/STAMP).  Output is not committed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(dirname "$here")/realdata-updateinfo"
OUTDIR="${1:?usage: make-id-beds.sh OUTDIR}"
PY=/usr/bin/python3
mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
stamp="$(cat "$here/idbeds.py" "$here/bedgen.py" "$here/make-beds.sh" "$here/run-dnf-oracle.sh" "$0" "$src"/* \
  | sha256sum | cut -d' ' -f1)"
if [[ -f "$OUTDIR/STAMP" && "$(cat "$OUTDIR/STAMP")" == "$stamp" ]]; then
  echo "id beds in $OUTDIR are up to date (STAMP $stamp)" >&2
  exit 0
fi
rm -rf "${OUTDIR:?}"/ids-* "$OUTDIR/STAMP" "$OUTDIR/data"
"$PY" "$here/idbeds.py" plan "$src" "$OUTDIR/data"
BED_DATA="$OUTDIR/data" BED_WORK="$OUTDIR/.work" "$here/make-beds.sh" "$OUTDIR"
for f in "$OUTDIR"/data/ids-*.tsv; do
  host="$(basename "$f" .tsv)"
  cp "$f" "$OUTDIR/${host#ids-}/ids.tsv"
done
"$here/run-dnf-oracle.sh" "$OUTDIR"
rm -rf "$OUTDIR/.work"
echo "$stamp" > "$OUTDIR/STAMP"
