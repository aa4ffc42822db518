zypper --root @ROOT@ --non-interactive info -t patch SuSEfirewall2-5
