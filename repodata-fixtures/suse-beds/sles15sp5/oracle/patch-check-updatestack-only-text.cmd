zypper --root @ROOT@ --non-interactive patch-check --updatestack-only
