zypper --root @ROOT@ --non-interactive --xmlout list-updates
