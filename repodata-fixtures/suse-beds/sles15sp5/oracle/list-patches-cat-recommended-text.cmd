zypper --root @ROOT@ --non-interactive list-patches --category recommended
