zypper --root @ROOT@ --non-interactive --xmlout list-patches --bugzilla=379745
