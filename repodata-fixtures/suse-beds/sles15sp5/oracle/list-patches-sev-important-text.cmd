zypper --root @ROOT@ --non-interactive list-patches --severity important
