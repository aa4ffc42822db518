zypper --root @ROOT@ --non-interactive --xmlout patch-check
