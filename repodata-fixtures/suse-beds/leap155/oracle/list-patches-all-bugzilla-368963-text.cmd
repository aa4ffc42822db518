zypper --root @ROOT@ --non-interactive list-patches --all --bugzilla=368963
