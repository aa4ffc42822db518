zypper --root @ROOT@ --non-interactive list-patches --all --date 2008-08-01
