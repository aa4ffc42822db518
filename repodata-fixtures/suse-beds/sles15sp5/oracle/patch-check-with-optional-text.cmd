zypper --root @ROOT@ --non-interactive patch-check --with-optional
