zypper --root @ROOT@ --non-interactive info -t patch kernel-12
