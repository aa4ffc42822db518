zypper --root @ROOT@ --non-interactive info -t patch aufs
