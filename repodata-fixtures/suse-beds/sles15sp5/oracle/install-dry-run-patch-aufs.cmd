zypper --root @ROOT@ --non-interactive install --dry-run --details -t patch aufs
