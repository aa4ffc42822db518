zypper --root @ROOT@ --non-interactive --xmlout list-patches --all
