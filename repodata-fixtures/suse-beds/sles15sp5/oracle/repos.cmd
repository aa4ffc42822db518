zypper --root @ROOT@ --non-interactive --xmlout repos
