zypper --root @ROOT@ --non-interactive list-updates --best-effort
