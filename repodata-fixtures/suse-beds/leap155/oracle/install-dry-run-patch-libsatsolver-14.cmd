zypper --root @ROOT@ --non-interactive install --dry-run --details -t patch libsatsolver-14
