zypper --root @ROOT@ --non-interactive info -t patch yast2-ncurses-pkg
