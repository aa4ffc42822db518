zypper --root @ROOT@ --non-interactive list-patches --with-optional
