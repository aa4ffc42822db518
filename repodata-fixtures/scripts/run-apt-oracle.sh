#!/usr/bin/env bash
# Runs real apt, offline, on an apt bed (see make-apt-beds.py) and records its raw output:
#   OUT/{all,security}/apt-list-upgradable.{out,err,rc,cmd}
#   OUT/{all,security}/apt-get-s-upgrade.{…}, apt-get-s-dist-upgrade.{…}
# "all" configures every suite of BED/repos; "security" only the suites named *security*.
# The lists come from `apt-get update` over copy: URIs into a temporary state directory.
# With LISTS_DIR, the lists of the "all" run are copied there as the host would hold them:
# renamed from the copy: URIs to the http URIs of BED/archives.tsv.
# Usage: run-apt-oracle.sh BED OUT [LISTS_DIR]
set -euo pipefail
bed=$(cd "$1" && pwd)
out=$2
lists_copy=${3:-}
export LC_ALL=C
native=amd64
archs=$native
if [ -s "$bed/root/var/lib/dpkg/arch" ]; then
    archs=$(grep -v "^$native\$" "$bed/root/var/lib/dpkg/arch" | tr '\n' ' ' | sed "s/^/$native /")
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for config in all security; do
    d=$work/$config
    mkdir -p "$d/etc/apt.conf.d" "$d/etc/preferences.d" "$d/etc/sources.list.d" \
        "$d/lists/partial" "$d/cache/archives/partial" "$out/$config"
    : >"$d/etc/sources.list"
    for dists in "$bed"/repos/*/dists/*; do
        suite=$(basename "$dists")
        archive=$(basename "$(dirname "$(dirname "$dists")")")
        if [ "$config" = security ] && [[ "$suite" != *security* ]]; then
            continue
        fi
        echo "deb [trusted=yes] copy:$bed/repos/$archive $suite main" >>"$d/etc/sources.list"
    done
    opts=(-o "Dir::Etc=$d/etc" -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
        -o "Dir::State::status=$bed/root/var/lib/dpkg/status"
        -o "Dir::State::extended_states=$d/extended_states"
        -o Debug::NoLocking=1 -o "APT::Architecture=$native" -o Acquire::GzipIndexes=true
        -o Acquire::Languages=none -o Acquire::Check-Valid-Until=false
        -o Binary::apt::APT::Cmd::Disable-Script-Warning=true)
    for a in $archs; do
        opts+=(-o "APT::Architectures::=$a")
    done
    apt-get "${opts[@]}" update >"$d/update.log" 2>&1 || { cat "$d/update.log" >&2; exit 1; }
    record() {
        local name=$1
        shift
        # The command as run, with the bed and scratch paths made symbolic.
        echo "$*" | sed -e "s|$bed|\$BED|g" -e "s|$d|\$APTDIR|g" >"$out/$config/$name.cmd"
        set +e
        "$@" >"$out/$config/$name.out" 2>"$out/$config/$name.err"
        echo $? >"$out/$config/$name.rc"
        set -e
    }
    record apt-list-upgradable apt "${opts[@]}" list --upgradable
    record apt-get-s-upgrade apt-get "${opts[@]}" -s upgrade
    record apt-get-s-dist-upgrade apt-get "${opts[@]}" -s dist-upgrade
    cp "$d/etc/sources.list" "$out/$config/sources.list"
    sed -i "s|$bed|\$BED|g" "$out/$config/sources.list"
    if [ "$config" = all ] && [ -n "$lists_copy" ]; then
        mkdir -p "$lists_copy"
        while IFS=$'\t' read -r archive uri; do
            # apt's file name for copy:$bed/repos/$archive, and for the http URI.
            from=$(ls "$d/lists" | grep -m1 "_repos_${archive}_dists_" | sed "s/_dists_.*//")
            to=$(echo "$uri" | sed -e 's|^[a-z+]*://||' -e 's|/|_|g')
            for f in "$d/lists/${from}"_dists_*; do
                [ -f "$f" ] || continue
                cp "$f" "$lists_copy/${to}${f#"$d/lists/$from"}"
            done
        done <"$bed/archives.tsv"
    fi
done
