zypper --root @ROOT@ --non-interactive refresh
