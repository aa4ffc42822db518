zypper --root @ROOT@ --non-interactive info -t patch clamav-3
