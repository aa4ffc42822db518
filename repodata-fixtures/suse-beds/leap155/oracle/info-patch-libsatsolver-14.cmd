zypper --root @ROOT@ --non-interactive info -t patch libsatsolver-14
