zypper --root @ROOT@ --non-interactive --xmlout products
