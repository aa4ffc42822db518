rpm --root @ROOT@ --dbpath /var/lib/rpm -qa --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n' | sort
