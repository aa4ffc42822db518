zypper --root @ROOT@ --non-interactive patch --dry-run --details
