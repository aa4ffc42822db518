zypper --root @ROOT@ --non-interactive list-patches --all --severity critical
