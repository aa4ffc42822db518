#!/usr/bin/python3
"""Writes the demo fleet's RPM bed data (the TSV format of ../beds-data, read by bedgen.py)
into DATADIR, for make-demo.sh, which builds it with real rpmbuild, rpm, createrepo_c and
modifyrepo_c.

    demo-data.py DATADIR

Two repository sets, shaped like the real ones (package names, NEVRA and advisory id styles,
CVE references; the advisory texts say "demo"): Amazon Linux 2023 (one repo, ALAS2023
notices) and RHEL 9 (BaseOS and AppStream, RHSA/RHBA notices). Hosts install different
subsets at different patch levels. Dates are offsets from the beds' fixed NOW.
"""
import os
import sys

# name, epoch, arch, [versions oldest first: (version, release, advisory or None, age)]
# advisory: (id, type, severity, cves, title); age: buildtime/notice date, days before NOW.
AL = "amzn2023"
AL2023 = [
    ("filesystem", "-", "x86_64", [("3.14", f"5.{AL}.0.3", None, 400)]),
    ("setup", "-", "noarch", [("2.13.7", f"3.{AL}.0.2", None, 400)]),
    ("system-release", "-", "noarch", [("2023.7.20250512", f"0.{AL}", None, 20)]),
    ("bash", "-", "x86_64", [("5.2.15", f"1.{AL}.0.2", None, 300)]),
    ("glibc", "-", "x86_64", [
        ("2.34", f"117.{AL}.0.1", None, 200),
        ("2.34", f"162.{AL}", ("ALAS2023-2025-874", "security", "Important", "CVE-2025-4802", "glibc: static setuid binaries honour LD_LIBRARY_PATH (demo)"), 12),
    ]),
    ("openssl-libs", "1", "x86_64", [
        ("3.0.8", f"1.{AL}.0.18", None, 220),
        ("3.2.2", f"1.{AL}.0.1", ("ALAS2023-2025-812", "security", "Important", "CVE-2024-12797,CVE-2024-13176", "openssl: RPK authentication failure not detected (demo)"), 45),
    ]),
    ("curl", "-", "x86_64", [
        ("8.5.0", f"1.{AL}.0.4", None, 180),
        ("8.11.1", f"1.{AL}.0.1", ("ALAS2023-2025-836", "security", "Moderate", "CVE-2025-0167,CVE-2025-0665", "curl: netrc and eventfd double close (demo)"), 38),
    ]),
    ("libcurl", "-", "x86_64", [
        ("8.5.0", f"1.{AL}.0.4", None, 180),
        ("8.11.1", f"1.{AL}.0.1", ("ALAS2023-2025-836", "security", "Moderate", "CVE-2025-0167,CVE-2025-0665", "curl: netrc and eventfd double close (demo)"), 38),
    ]),
    ("sudo", "-", "x86_64", [
        ("1.9.15", f"1.p5.{AL}.0.1", None, 160),
        ("1.9.15", f"1.p5.{AL}.0.3", ("ALAS2023-2025-901", "security", "Critical", "CVE-2025-32463", "sudo: chroot option allows local privilege escalation (demo)"), 9),
    ]),
    ("openssh", "-", "x86_64", [
        ("8.7p1", f"8.{AL}.0.4", None, 150),
        ("8.7p1", f"8.{AL}.0.5", ("ALAS2023-2025-848", "security", "Important", "CVE-2025-26465", "openssh: machine-in-the-middle with VerifyHostKeyDNS (demo)"), 60),
    ]),
    ("openssh-server", "-", "x86_64", [
        ("8.7p1", f"8.{AL}.0.4", None, 150),
        ("8.7p1", f"8.{AL}.0.5", ("ALAS2023-2025-848", "security", "Important", "CVE-2025-26465", "openssh: machine-in-the-middle with VerifyHostKeyDNS (demo)"), 60),
    ]),
    ("vim-minimal", "2", "x86_64", [
        ("9.1.0", f"1.{AL}", None, 100),
        ("9.1.1164", f"1.{AL}.0.1", ("ALAS2023-2025-889", "security", "Low", "CVE-2025-29768", "vim: zip.vim path traversal (demo)"), 20),
    ]),
    ("python3", "-", "x86_64", [
        ("3.9.16", f"1.{AL}.0.12", None, 140),
        ("3.9.23", f"1.{AL}.0.1", ("ALAS2023-2025-880", "security", "Moderate", "CVE-2025-4516", "python3: use-after-free in unicode_escape decoder (demo)"), 15),
    ]),
    ("python3-libs", "-", "x86_64", [
        ("3.9.16", f"1.{AL}.0.12", None, 140),
        ("3.9.23", f"1.{AL}.0.1", ("ALAS2023-2025-880", "security", "Moderate", "CVE-2025-4516", "python3: use-after-free in unicode_escape decoder (demo)"), 15),
    ]),
    ("tzdata", "-", "noarch", [
        ("2024a", f"1.{AL}", None, 200),
        ("2025b", f"1.{AL}", ("ALAS2023-2025-860", "bugfix", "-", "-", "tzdata: 2025b rules (demo)"), 40),
    ]),
    ("kernel", "-", "x86_64", [
        ("6.1.128", f"139.222.{AL}", None, 90),
        ("6.1.134", f"152.225.{AL}", ("ALAS2023-2025-867", "security", "Important", "CVE-2025-21756,CVE-2025-21692", "kernel: vsock use-after-free and others (demo)"), 25),
    ]),
    ("nginx", "1", "x86_64", [
        ("1.24.0", f"1.{AL}.0.2", None, 210),
        ("1.26.3", f"1.{AL}.0.1", ("ALAS2023-2025-855", "security", "Moderate", "CVE-2025-23419", "nginx: TLS session resumption bypasses client certificate checks (demo)"), 50),
    ]),
    ("nginx-core", "1", "x86_64", [
        ("1.24.0", f"1.{AL}.0.2", None, 210),
        ("1.26.3", f"1.{AL}.0.1", ("ALAS2023-2025-855", "security", "Moderate", "CVE-2025-23419", "nginx: TLS session resumption bypasses client certificate checks (demo)"), 50),
    ]),
    ("amazon-ssm-agent", "-", "x86_64", [
        ("3.3.1142.0", "1.amzn2023", None, 120),
        ("3.3.1802.0", "1.amzn2023", ("ALAS2023-2025-840", "enhancement", "-", "-", "amazon-ssm-agent: new upstream release (demo)"), 30),
    ]),
]

EL = "el9"
RHEL9_BASEOS = [
    ("filesystem", "-", "x86_64", [("3.16", f"2.{EL}", None, 400)]),
    ("redhat-release", "-", "x86_64", [("9.4", f"0.5.{EL}", None, 200)]),
    ("bash", "-", "x86_64", [("5.1.8", f"9.{EL}", None, 300)]),
    ("glibc", "-", "x86_64", [
        ("2.34", f"100.{EL}_4.2", None, 200),
        ("2.34", f"125.{EL}_5.8", ("RHSA-2025:8686", "security", "Important", "CVE-2025-4802", "glibc security update (demo)"), 14),
    ]),
    ("openssl-libs", "1", "x86_64", [
        ("3.0.7", f"27.{EL}", None, 220),
        ("3.2.2", f"6.{EL}_5.1", ("RHSA-2025:1330", "security", "Moderate", "CVE-2024-12797", "openssl security update (demo)"), 95),
    ]),
    ("sudo", "-", "x86_64", [
        ("1.9.5p2", f"10.{EL}_3", None, 180),
        ("1.9.5p2", f"10.{EL}_6.1", ("RHSA-2025:9978", "security", "Important", "CVE-2025-32462", "sudo security update (demo)"), 8),
    ]),
    ("openssh", "-", "x86_64", [
        ("8.7p1", f"38.{EL}_4.1", None, 160),
        ("8.7p1", f"43.{EL}_5.2", ("RHSA-2025:3837", "security", "Moderate", "CVE-2025-26465", "openssh security update (demo)"), 55),
    ]),
    ("kernel", "-", "x86_64", [
        ("5.14.0", f"427.13.1.{EL}_4", None, 150),
        ("5.14.0", f"503.40.1.{EL}_5", ("RHSA-2025:6966", "security", "Important", "CVE-2025-21756", "kernel security update (demo)"), 20),
    ]),
    ("tzdata", "-", "noarch", [
        ("2024a", f"1.{EL}", None, 200),
        ("2025b", f"1.{EL}", ("RHBA-2025:4470", "bugfix", "-", "-", "tzdata bug fix and enhancement update (demo)"), 30),
    ]),
    ("systemd", "-", "x86_64", [
        ("252", f"32.{EL}_4", None, 170),
        ("252", f"51.{EL}", ("RHBA-2025:3877", "bugfix", "-", "-", "systemd bug fix update (demo)"), 45),
    ]),
]
RHEL9_APPSTREAM = [
    ("postgresql", "-", "x86_64", [
        ("13.14", f"1.{EL}_3", None, 200),
        ("13.20", f"1.{EL}_5", ("RHSA-2025:1740", "security", "Important", "CVE-2025-1094", "postgresql security update (demo)"), 90),
    ]),
    ("postgresql-server", "-", "x86_64", [
        ("13.14", f"1.{EL}_3", None, 200),
        ("13.20", f"1.{EL}_5", ("RHSA-2025:1740", "security", "Important", "CVE-2025-1094", "postgresql security update (demo)"), 90),
    ]),
    ("python3.11", "-", "x86_64", [
        ("3.11.7", f"1.{EL}_4.1", None, 150),
        ("3.11.11", f"2.{EL}_5.2", ("RHSA-2025:6977", "security", "Critical", "CVE-2025-4517", "python3.11 security update (demo)"), 3),
    ]),
    ("vim-enhanced", "2", "x86_64", [
        ("8.2.2637", f"20.{EL}_1", None, 250),
        ("8.2.2637", f"21.{EL}", ("RHSA-2025:2867", "security", "Low", "CVE-2025-22134", "vim security update (demo)"), 70),
    ]),
]

# host -> (os, [(package, index of installed version)] ; missing names = not installed)
OLD, NEW = 0, 1
AL_BASE = {"filesystem": OLD, "setup": OLD, "system-release": OLD, "bash": OLD, "glibc": OLD,
           "openssl-libs": OLD, "curl": OLD, "libcurl": OLD, "sudo": OLD, "openssh": OLD,
           "openssh-server": OLD, "vim-minimal": OLD, "python3": OLD, "python3-libs": OLD,
           "tzdata": OLD, "kernel": OLD, "amazon-ssm-agent": OLD}
HOSTS = {
    # web servers: nginx; web-2 is half patched
    "al2023-web-1": ("al", {**AL_BASE, "nginx": OLD, "nginx-core": OLD}),
    "al2023-web-2": ("al", {**AL_BASE, "nginx": NEW, "nginx-core": NEW, "openssl-libs": NEW,
                            "curl": NEW, "libcurl": NEW, "kernel": NEW, "tzdata": NEW}),
    # a batch worker in no patch group (AWS's default baseline), nearly current
    "al2023-batch-1": ("al", {**{k: NEW if k not in ("filesystem", "setup", "system-release", "bash") else OLD
                                 for k in AL_BASE}, "sudo": OLD}),
    # the broken image: a real host whose rpmdb make-demo.sh then corrupts
    "broken-al2023-image": ("al", dict(AL_BASE)),
    "rhel9-db-1": ("rhel", {"filesystem": OLD, "redhat-release": OLD, "bash": OLD, "glibc": OLD,
                            "openssl-libs": OLD, "sudo": OLD, "openssh": OLD, "kernel": OLD,
                            "tzdata": OLD, "systemd": OLD, "postgresql": OLD,
                            "postgresql-server": OLD, "python3.11": OLD}),
    "rhel9-db-2": ("rhel", {"filesystem": OLD, "redhat-release": OLD, "bash": OLD, "glibc": NEW,
                            "openssl-libs": NEW, "sudo": OLD, "openssh": NEW, "kernel": NEW,
                            "tzdata": OLD, "systemd": OLD, "postgresql": NEW,
                            "postgresql-server": NEW, "vim-enhanced": OLD}),
}
OS_RELEASE = {
    "al": ("amzn", "2023", "Amazon Linux", "Amazon Linux 2023.7.20250512", "2023.7.20250512", "platform:al2023", "fedora"),
    "rhel": ("rhel", "9.4", "Red Hat Enterprise Linux", "Red Hat Enterprise Linux 9.4 (Plow)", "9", "platform:el9", "fedora"),
}
# repo -> (owning host in make-beds.sh terms, variant, packages, origin)
REPOS = {
    "al2023-core": ("al2023-web-1", "xml", AL2023),
    "rhel9-baseos": ("rhel9-db-1", "zstd-updateinfo", RHEL9_BASEOS),
    "rhel9-appstream": ("rhel9-db-1", "xml", RHEL9_APPSTREAM),
}


def main(out):
    os.makedirs(out, exist_ok=True)
    rows = {k: [] for k in ("hosts", "repos", "installed", "available", "advisories")}
    for host, (fam, _) in HOSTS.items():
        rows["hosts"].append((host,) + OS_RELEASE[fam])
    notices = {}
    for repo, (owner, variant, pkgs) in REPOS.items():
        rows["repos"].append((repo, owner, variant, "demo repository"))
        for name, epoch, arch, versions in pkgs:
            for v, r, adv, age in versions:
                rows["available"].append((repo, name, epoch, v, r, arch, f"-{age}d"))
                if adv:
                    nevra = f"{name}-{'' if epoch == '-' else epoch + ':'}{v}-{r}.{arch}"
                    n = notices.setdefault((repo, adv[0]), [adv, age, []])
                    n[2].append(nevra)
    for (repo, rid), ((_, kind, sev, cves, title), age, nevras) in sorted(notices.items()):
        refs = ",".join(f"cve:{c}" for c in cves.split(",")) if cves != "-" else "-"
        rows["advisories"].append((repo, rid, kind, sev, f"dt:-{age + 1}d", f"dt:-{age}d", refs, "-",
                                   ",".join(nevras), title))
    catalogue = {}
    for repo, (_, _, pkgs) in REPOS.items():
        for name, epoch, arch, versions in pkgs:
            catalogue[(repo.split("-")[0], name)] = (epoch, arch, versions)
    for host, (fam, chosen) in HOSTS.items():
        prefix = "al2023" if fam == "al" else "rhel9"
        for name, which in sorted(chosen.items()):
            epoch, arch, versions = catalogue[(prefix, name)]
            v, r, _, _ = versions[min(which, len(versions) - 1)]
            rows["installed"].append((host, name, epoch, v, r, arch))
    headers = {
        "hosts": "# host\tos_id\tversion_id\tname\tpretty_name\treleasever\tplatform_id\tid_like",
        "repos": "# repo_id\thost\tvariant\tcomment",
        "installed": "# host\tname\tepoch\tversion\trelease\tarch",
        "available": "# repo\tname\tepoch\tversion\trelease\tarch\tbuildtime",
        "advisories": "# repo\tid\ttype\tseverity\tissued\tupdated\trefs\tmodule\tpackages\ttitle",
    }
    for name, header in headers.items():
        with open(os.path.join(out, f"{name}.tsv"), "w") as fh:
            fh.write("# generated by demo-data.py\n" + header + "\n")
            for r in rows[name]:
                fh.write("\t".join(r) + "\n")
    for name in ("modules", "module-state"):
        with open(os.path.join(out, f"{name}.tsv"), "w") as fh:
            fh.write("# none\n")


if __name__ == "__main__":
    main(sys.argv[1])
