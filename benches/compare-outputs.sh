#!/usr/bin/env bash
# Writes what a patchscan binary answers on every bed into OUTDIR, so two binaries (before and
# after a refactoring) can be compared byte for byte with `diff -r`:
#
#   bash benches/compare-outputs.sh OLD-BINARY /tmp/before
#   bash benches/compare-outputs.sh NEW-BINARY /tmp/after
#   diff -r /tmp/before /tmp/after && echo identical
#
# Beds: every directory under repodata-fixtures with root/ and repos/ (the rpm, apt and SUSE
# beds), the large bed and the id beds when PATCHSCAN_LARGE_BED / PATCHSCAN_ID_BEDS name them;
# each scanned with its default baseline and with an approve-everything one, in every scan
# format, and listed by `inventory`. The demo fleet is run in every fleet format (Parquet
# compared by its rows through `patchscan report`, whose text is deterministic) and `report`ed.
set -euo pipefail
bin="$(realpath "$1")"
out="$2"
here="$(cd "$(dirname "$0")/.." && pwd)"
rm -rf "$out"
mkdir -p "$out"
# A fixed scratch path: it shows in messages, which must be the same in both runs.
work="${TMPDIR:-/tmp}/patchscan-compare-work"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

beds=()
while IFS= read -r d; do beds+=("$d"); done < <(
  find "$here/repodata-fixtures" -mindepth 1 -maxdepth 3 -type d -name root -printf '%h\n' | sort
)
[[ -n "${PATCHSCAN_LARGE_BED:-}" ]] && beds+=("$PATCHSCAN_LARGE_BED/large")
if [[ -n "${PATCHSCAN_ID_BEDS:-}" ]]; then
  while IFS= read -r d; do beds+=("$d"); done < <(
    find "$PATCHSCAN_ID_BEDS" -mindepth 2 -maxdepth 2 -type d -name root -printf '%h\n' | sort
  )
fi

now_of() {
  local b="$1"
  for f in "$b/NOW" "$b/../NOW"; do
    [[ -f "$f" ]] && { tr -d '\n' < "$f"; return; }
  done
  echo 2025-06-01T12:00:00Z
}

for bed in "${beds[@]}"; do
  [[ -d "$bed/repos" ]] || continue
  name="$(realpath --relative-to="$here" "$bed" 2>/dev/null | tr '/' '_')"
  [[ "$name" == ..* || "$name" == /* ]] && name="$(basename "$(dirname "$bed")")_$(basename "$bed")"
  args=(scan --root "$bed/root" --now "$(now_of "$bed")")
  for r in "$bed"/repos/*/; do args+=(--repo "${r%/}"); done
  # The approve-everything baseline for the bed's operating system: the one a scan accepts.
  all="$work/all-$name.json"
  for os in $("$bin" baseline list | awk '{print $2}' | sort -u); do
    printf '{"Name":"all","OperatingSystem":"%s","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0}]}}' "$os" > "$all"
    rc=0
    "$bin" "${args[@]}" --baseline "$all" > /dev/null 2>&1 || rc=$?
    ((rc < 2)) && break
    rm -f "$all"
  done
  for fmt in json table aws aws-patches; do
    { "$bin" "${args[@]}" --format "$fmt" --explain; echo "rc=$?"; } > "$out/$name.default.$fmt" 2>&1 || true
    if [[ -f "$all" ]]; then
      { "$bin" "${args[@]}" --format "$fmt" --baseline "$all" --include-not-applicable; echo "rc=$?"; } \
        > "$out/$name.all.$fmt" 2>&1 || true
    fi
  done
  { "$bin" inventory --root "$bed/root" --format json; echo "rc=$?"; } > "$out/$name.inventory" 2>&1 || true
done

demo="$here/repodata-fixtures/demo/fleet.toml"
{ "$bin" fleet "$demo" --out "$work/fleet" --format parquet,csv,jsonl; echo "rc=$?"; } \
  2>&1 | sed -E 's/\([0-9.]+ m?s\)/(elapsed)/' > "$out/fleet.log" || true
if [[ -d "$work/fleet" ]]; then
  (cd "$work/fleet" && find . -type f ! -name '*.parquet' ! -name '.patchscan-run' | sort | while read -r f; do
    mkdir -p "$out/fleet/$(dirname "$f")"
    cp "$f" "$out/fleet/$f"
  done)
  { "$bin" report "$work/fleet" --format json; echo "rc=$?"; } > "$out/fleet.report.json" 2>&1 || true
  { "$bin" report "$work/fleet"; echo "rc=$?"; } > "$out/fleet.report.table" 2>&1 || true
fi
ls "$out" | wc -l
