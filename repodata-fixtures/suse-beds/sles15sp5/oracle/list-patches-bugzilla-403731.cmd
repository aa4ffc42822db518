zypper --root @ROOT@ --non-interactive --xmlout list-patches --bugzilla=403731
