zypper --root @ROOT@ --non-interactive update --dry-run --details
