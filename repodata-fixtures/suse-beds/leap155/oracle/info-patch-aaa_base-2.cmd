zypper --root @ROOT@ --non-interactive info -t patch aaa_base-2
