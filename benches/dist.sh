#!/usr/bin/env bash
# Builds the binary to ship: profile `dist` (no debug info, stripped), a position-independent
# executable, linked against an old glibc with cargo-zigbuild (zig from PyPI's ziglang), then
# checks it: the newest GLIBC_ symbol version it needs must be at most the target's, and it
# must be PIE. Prints the size and that version (README's install section quotes them).
# Usage: benches/dist.sh [GLIBC]   (default 2.17: Amazon Linux 2, RHEL/CentOS 7 and newer)
set -euo pipefail
for tool in objdump readelf; do
    command -v "$tool" >/dev/null || { echo "dist.sh needs $tool (binutils)" >&2; exit 1; }
done
here=$(cd "$(dirname "$0")/.." && pwd)
glibc=${1:-2.17}
cache=${PATCHSCAN_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/patchscan-ci}
venv=$cache/zig-venv
if ! "$venv/bin/python" -m ziglang version >/dev/null 2>&1; then
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "ziglang==0.14.1"
fi
command -v cargo-zigbuild >/dev/null || cargo install --locked --quiet cargo-zigbuild
export PATH="$venv/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-$here/target}
cd "$here"
PATCHSCAN_PIE=1 cargo zigbuild --locked --profile dist --bin patchscan \
    --target "x86_64-unknown-linux-gnu.$glibc"
bin=$target_dir/x86_64-unknown-linux-gnu/dist/patchscan
need=$(objdump -T "$bin" | { grep -o 'GLIBC_[0-9.]*' || true; } | sed 's/GLIBC_//' | sort -V | tail -n 1)
[[ -n "$need" ]] || { echo "$bin: no GLIBC_ symbol versions found (not a glibc binary?)" >&2; exit 1; }
type=$(readelf -h "$bin" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')
size=$(stat -c %s "$bin")
echo "$bin: $size bytes ($((size / 1048576)) MiB), type $type, needs glibc $need"
"$bin" --version
if [[ "$(printf '%s\n%s\n' "$need" "$glibc" | sort -V | tail -n 1)" != "$glibc" ]]; then
    echo "needs glibc $need, newer than $glibc" >&2
    exit 1
fi
[[ "$type" == DYN ]] || { echo "not a position-independent executable ($type)" >&2; exit 1; }
