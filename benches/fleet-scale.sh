#!/usr/bin/env bash
# The fleet scale figures of docs/performance.md: the whole synthetic fleet (10,000 inventory
# hosts + 50 real rpmdb roots, index of 5,000 packages / 2,000 advisories; made by
# repodata-fixtures/scripts/make-fleet-bench.sh), Parquet written, 3 runs each with
# --jobs 2 and --jobs 1, alternating; prints each run's wall time and peak RSS, then the
# medians and the speed-up.
#
#   benches/fleet-scale.sh BENCH_DIR [PATCHSCAN_BINARY]
set -euo pipefail
BED="${1:?usage: fleet-scale.sh BENCH_DIR [BINARY]}"
BIN="${2:-target/release/patchscan}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
declare -A times rss
for round in 1 2 3; do
  for jobs in 2 1; do
    /usr/bin/time -f '%e %M' -o "$OUT/time" "$BIN" fleet "$BED/fleet.toml" --out "$OUT/out" \
      --jobs "$jobs" --format parquet >"$OUT/stdout" 2>"$OUT/stderr" || {
        cat "$OUT/stderr" >&2; exit 1; }
    read -r secs kb < "$OUT/time"
    echo "round $round jobs $jobs: ${secs} s, peak RSS $((kb / 1024)) MiB ($(head -1 "$OUT/stdout"))"
    times[$jobs]+="$secs "
    rss[$jobs]+="$kb "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | sed -n 2p; }
t1=$(echo "${times[1]}" | median); t2=$(echo "${times[2]}" | median)
m1=$(echo "${rss[1]}" | median); m2=$(echo "${rss[2]}" | median)
echo "median: jobs 1 ${t1} s (peak RSS $((m1 / 1024)) MiB), jobs 2 ${t2} s (peak RSS $((m2 / 1024)) MiB)"
echo "speed-up 2 threads vs 1: $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", a / b }')x"
ls -l "$OUT/out"
