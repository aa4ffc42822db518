#!/usr/bin/env python3
"""Builds the apt test beds of repodata-fixtures/apt-beds/ with the real Debian tools.

For each bed (a Debian 12 host, an Ubuntu 24.04 host):
  repos/<archive>/pool/*.deb       tiny payload-less packages made by dpkg-deb
  repos/<archive>/dists/<suite>/   Packages (+ .xz) by dpkg-scanpackages, Release by apt-ftparchive
  root/var/lib/dpkg/               a dpkg database written by real dpkg (--admindir/--instdir
                                   installs, `--set-selections` holds, `-r` for config-files)
  root/etc/apt/                    the host's sources (deb822 for Debian, one-line for Ubuntu)
  root/var/lib/apt/lists/          the lists real `apt-get update` stored (lz4, as apt stores
                                   them with Acquire::GzipIndexes), renamed from the copy: URIs
                                   used to fetch them to the host's http URIs
  oracle/                          real apt's raw output (run-apt-oracle.sh), all suites and
                                   security suite only
Usage: make-apt-beds.py [OUT_DIR]   (default: repodata-fixtures/apt-beds)
"""
import os, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "apt-beds"))

# name, version, arch, priority, section, multi-arch, suites
DEBIAN_AVAILABLE = [
    ("base-files", "12.4+deb12u5", "amd64", "required", "admin", "", ["bookworm"]),
    ("base-files", "12.4+deb12u6", "amd64", "required", "admin", "", ["bookworm-updates"]),
    # +debNuM: the security build, and a newer non-security build in -updates.
    ("libssl3", "3.0.15-1~deb12u1", "amd64", "optional", "libs", "same", ["bookworm"]),
    ("libssl3", "3.0.15-1~deb12u2", "amd64", "optional", "libs", "same", ["bookworm-security"]),
    ("libssl3", "3.0.15-1~deb12u3", "amd64", "optional", "libs", "same", ["bookworm-updates"]),
    # epoch, one build in both -updates and -security
    ("openssh-client", "1:9.2p1-2+deb12u3", "amd64", "standard", "net", "", ["bookworm"]),
    ("openssh-client", "1:9.2p1-2+deb12u5", "amd64", "standard", "net", "", ["bookworm-security", "bookworm-updates"]),
    # epoch bump (0 → 1) in a non-security suite
    ("mawk", "1.3.4.20200120-3.1", "amd64", "required", "interpreters", "", ["bookworm"]),
    ("mawk", "1:1.3.4.20200120-3.1", "amd64", "required", "interpreters", "", ["bookworm-updates"]),
    ("curl", "7.88.1-10+deb12u5", "amd64", "optional", "web", "", ["bookworm"]),
    ("curl", "7.88.1-10+deb12u8", "amd64", "optional", "web", "", ["bookworm-security"]),
    ("libcurl4", "7.88.1-10+deb12u5", "amd64", "optional", "libs", "same", ["bookworm"]),
    ("libcurl4", "7.88.1-10+deb12u8", "amd64", "optional", "libs", "same", ["bookworm-security"]),
    # ~ in the revision
    ("nodejs", "18.19.0+dfsg-6~deb12u1", "amd64", "optional", "javascript", "", ["bookworm"]),
    ("nodejs", "18.19.0+dfsg-6~deb12u2", "amd64", "optional", "javascript", "", ["bookworm-security"]),
    # ~rc before the release
    ("rust-tool", "1.0-1", "amd64", "optional", "devel", "", ["bookworm"]),
    # binNMU (+bN), non-security
    ("bash", "5.2.15-2+b7", "amd64", "required", "shells", "", ["bookworm"]),
    # held, with a security update
    ("linux-image-amd64", "6.1.129-1", "amd64", "optional", "kernel", "", ["bookworm"]),
    ("linux-image-amd64", "6.1.133-1", "amd64", "optional", "kernel", "", ["bookworm-security"]),
    # config-files only on the host (rc), a newer version available
    ("oldtool", "1.1-1", "amd64", "optional", "utils", "", ["bookworm"]),
    # older than the installed local build
    ("localpkg", "1.0-1", "amd64", "optional", "misc", "", ["bookworm"]),
    # multi-arch: installed for amd64 and i386
    ("libmulti1", "2.0-1", "amd64", "optional", "libs", "same", ["bookworm"]),
    ("libmulti1", "2.0-1", "i386", "optional", "libs", "same", ["bookworm"]),
    ("libmulti1", "2.0-1+deb12u1", "amd64", "optional", "libs", "same", ["bookworm-security"]),
    ("libmulti1", "2.0-1+deb12u1", "i386", "optional", "libs", "same", ["bookworm-security"]),
    # Architecture: all
    ("fonts-data", "1.0-1", "all", "optional", "fonts", "foreign", ["bookworm"]),
    ("fonts-data", "1.0-1+deb12u1", "all", "optional", "fonts", "foreign", ["bookworm-security"]),
    ("libextra0", "0.9-3", "amd64", "extra", "libs", "", ["bookworm"]),
    ("libextra0", "0.9-3+deb12u1", "amd64", "extra", "libs", "", ["bookworm-security"]),
    ("tzdata", "2024a-0+deb12u1", "all", "required", "localization", "foreign", ["bookworm"]),
    ("tzdata", "2025b-0+deb12u1", "all", "required", "localization", "foreign", ["bookworm-updates"]),
    ("coreutils", "9.1-1", "amd64", "required", "utils", "", ["bookworm"]),
    ("dpkg", "1.21.22", "amd64", "required", "admin", "", ["bookworm"]),
    # not installed
    ("nginx", "1.22.1-9", "amd64", "optional", "httpd", "", ["bookworm"]),
    ("nginx", "1.22.1-9+deb12u1", "amd64", "optional", "httpd", "", ["bookworm-security"]),
    ("htop", "3.2.2-2", "amd64", "optional", "utils", "", ["bookworm"]),
]
# name, version, arch, state (ii, hi, rc), multi-arch, conffile
DEBIAN_INSTALLED = [
    ("base-files", "12.4+deb12u5", "amd64", "ii", "", False),
    ("libssl3", "3.0.15-1~deb12u1", "amd64", "ii", "same", False),
    ("openssh-client", "1:9.2p1-2+deb12u3", "amd64", "ii", "", False),
    ("mawk", "1.3.4.20200120-3.1", "amd64", "ii", "", False),
    ("curl", "7.88.1-10+deb12u5", "amd64", "ii", "", False),
    ("libcurl4", "7.88.1-10+deb12u5", "amd64", "ii", "same", False),
    ("nodejs", "18.19.0+dfsg-6~deb12u1", "amd64", "ii", "", False),
    ("rust-tool", "1.0~rc1-1", "amd64", "ii", "", False),
    ("bash", "5.2.15-2+b2", "amd64", "ii", "", False),
    ("linux-image-amd64", "6.1.129-1", "amd64", "hi", "", False),
    ("oldtool", "1.0-1", "amd64", "rc", "", True),
    ("localpkg", "9.9-1", "amd64", "ii", "", False),
    ("libmulti1", "2.0-1", "amd64", "ii", "same", False),
    ("libmulti1", "2.0-1", "i386", "ii", "same", False),
    ("fonts-data", "1.0-1", "all", "ii", "foreign", False),
    ("libextra0", "0.9-3", "amd64", "ii", "", False),
    ("tzdata", "2024a-0+deb12u1", "all", "ii", "foreign", False),
    ("coreutils", "9.1-1", "amd64", "ii", "", False),
    ("dpkg", "1.21.22", "amd64", "ii", "", False),
]

UBUNTU_AVAILABLE = [
    ("openssl", "3.0.13-0ubuntu3", "amd64", "important", "utils", "", ["noble"]),
    ("openssl", "3.0.13-0ubuntu3.4", "amd64", "important", "utils", "", ["noble-security", "noble-updates"]),
    ("openssl", "3.0.13-0ubuntu3.5", "amd64", "important", "utils", "", ["noble-updates"]),
    ("libc6", "2.39-0ubuntu8", "amd64", "optional", "libs", "same", ["noble"]),
    ("libc6", "2.39-0ubuntu8.4", "amd64", "optional", "libs", "same", ["noble-updates"]),
    ("sudo", "1.9.15p5-3ubuntu5", "amd64", "optional", "admin", "", ["noble"]),
    ("sudo", "1.9.15p5-3ubuntu5.24.04.1", "amd64", "optional", "admin", "", ["noble-security", "noble-updates"]),
    ("vim", "2:9.1.0016-1ubuntu7", "amd64", "optional", "editors", "", ["noble"]),
    ("vim", "2:9.1.0016-1ubuntu7.8", "amd64", "optional", "editors", "", ["noble-security"]),
    ("python3.12", "3.12.3-1", "amd64", "optional", "python", "", ["noble"]),
    ("python3.12", "3.12.3-1ubuntu0.4", "amd64", "optional", "python", "", ["noble-security"]),
    ("ubuntu-pro-client", "31.2.3", "amd64", "important", "misc", "", ["noble"]),
    ("ubuntu-pro-client", "35.1~24.04", "amd64", "important", "misc", "", ["noble-updates"]),
    ("linux-image-generic", "6.8.0-31.31", "amd64", "optional", "kernel", "", ["noble"]),
    ("linux-image-generic", "6.8.0-51.52", "amd64", "optional", "kernel", "", ["noble-security"]),
    ("apport", "2.28.1-0ubuntu3", "all", "optional", "utils", "", ["noble"]),
    ("apport", "2.28.1-0ubuntu3.3", "all", "optional", "utils", "", ["noble-security"]),
    ("libgnutls30t64", "3.8.3-1.1ubuntu3", "amd64", "optional", "universe/libs", "same", ["noble"]),
    ("libgnutls30t64", "3.8.3-1.1ubuntu3.2", "amd64", "optional", "universe/libs", "same", ["noble-security"]),
    ("dpkg", "1.22.6ubuntu6", "amd64", "required", "admin", "", ["noble"]),
    ("nginx", "1.24.0-2ubuntu7", "amd64", "optional", "httpd", "", ["noble"]),
    ("nginx", "1.24.0-2ubuntu7.1", "amd64", "optional", "httpd", "", ["noble-security"]),
]
UBUNTU_INSTALLED = [
    ("openssl", "3.0.13-0ubuntu3.1", "amd64", "ii", "", False),
    ("libc6", "2.39-0ubuntu8.3", "amd64", "ii", "same", False),
    ("sudo", "1.9.15p5-3ubuntu5", "amd64", "ii", "", False),
    ("vim", "2:9.1.0016-1ubuntu7.2", "amd64", "ii", "", False),
    ("python3.12", "3.12.3-1ubuntu0.1", "amd64", "ii", "", False),
    ("ubuntu-pro-client", "34~24.04", "amd64", "ii", "", False),
    ("linux-image-generic", "6.8.0-31.31", "amd64", "hi", "", False),
    ("apport", "2.28.1-0ubuntu3", "all", "rc", "", True),
    ("libgnutls30t64", "3.8.3-1.1ubuntu3.2", "amd64", "ii", "same", False),
    ("dpkg", "1.22.6ubuntu6", "amd64", "ii", "", False),
]

BEDS = {
    "debian12": {
        "os_release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
        "hostname": "debian12-bed",
        # archive dir, http URI, suites: (suite, codename, label)
        "archives": [
            ("debian", "http://deb.debian.org/debian", [("bookworm", "bookworm", "Debian"), ("bookworm-updates", "bookworm-updates", "Debian")]),
            ("debian-security", "http://deb.debian.org/debian-security", [("bookworm-security", "bookworm-security", "Debian-Security")]),
        ],
        "origin": "Debian",
        "archs": ["amd64", "i386"],
        "available": DEBIAN_AVAILABLE,
        "installed": DEBIAN_INSTALLED,
        "sources_style": "deb822",
    },
    "ubuntu2404": {
        "os_release": 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION="24.04.1 LTS (Noble Numbat)"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n',
        "hostname": "ubuntu2404-bed",
        "archives": [
            ("ubuntu", "http://archive.ubuntu.com/ubuntu", [("noble", "noble", "Ubuntu"), ("noble-updates", "noble", "Ubuntu")]),
            ("ubuntu-security", "http://security.ubuntu.com/ubuntu", [("noble-security", "noble", "Ubuntu")]),
        ],
        "origin": "Ubuntu",
        "archs": ["amd64"],
        "available": UBUNTU_AVAILABLE,
        "installed": UBUNTU_INSTALLED,
        "sources_style": "one-line",
    },
}


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def make_deb(pool, name, version, arch, priority, section, multi_arch, conffile=False):
    """A payload-less .deb (a conffile when asked, so `dpkg -r` leaves config-files)."""
    fname = f"{name}_{version.replace(':', '%3a')}_{arch}.deb"
    out = os.path.join(pool, fname)
    if os.path.exists(out):
        return out
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "DEBIAN"))
        ctrl = [f"Package: {name}", f"Version: {version}", f"Architecture: {arch}",
                "Maintainer: patchscan beds <beds@patchscan.invalid>", f"Priority: {priority}",
                f"Section: {section}", "Installed-Size: 1"]
        if multi_arch:
            ctrl.append(f"Multi-Arch: {multi_arch}")
        ctrl.append(f"Description: test package {name}\n A tiny payload-less package for the patchscan apt beds.")
        with open(os.path.join(d, "DEBIAN", "control"), "w") as f:
            f.write("\n".join(ctrl) + "\n")
        if conffile:
            os.makedirs(os.path.join(d, "etc"))
            with open(os.path.join(d, "etc", f"{name}.conf"), "w") as f:
                f.write("# config\n")
            with open(os.path.join(d, "DEBIAN", "conffiles"), "w") as f:
                f.write(f"/etc/{name}.conf\n")
        run("dpkg-deb", "--root-owner-group", "-Zxz", "--build", d, out, stdout=subprocess.DEVNULL)
    return out


def build(name, bed):
    top = os.path.join(OUT, name)
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(top)
    suite_archive = {}
    for archive, _uri, suites in bed["archives"]:
        for suite, codename, label in suites:
            suite_archive[suite] = (archive, codename, label)
    # Repositories: one pool per archive, one Packages per suite and architecture.
    for archive, _uri, suites in bed["archives"]:
        base = os.path.join(top, "repos", archive)
        for suite, codename, label in suites:
            pool = os.path.join(base, "pool", suite)
            os.makedirs(pool, exist_ok=True)
            for (n, v, a, prio, sec, ma, in_suites) in bed["available"]:
                if suite in in_suites:
                    make_deb(pool, n, v, a, prio, sec, ma)
            for arch in bed["archs"]:
                bindir = os.path.join(base, "dists", suite, "main", f"binary-{arch}")
                os.makedirs(bindir)
                packages = subprocess.run(
                    ["dpkg-scanpackages", "--multiversion", "-a", arch, f"pool/{suite}"],
                    cwd=base, check=True, capture_output=True).stdout
                with open(os.path.join(bindir, "Packages"), "wb") as f:
                    f.write(packages)
                run("xz", "-k", "-9", os.path.join(bindir, "Packages"))
            opts = ["-o", f"APT::FTPArchive::Release::Origin={bed['origin']}",
                    "-o", f"APT::FTPArchive::Release::Label={label}",
                    "-o", f"APT::FTPArchive::Release::Suite={suite}",
                    "-o", f"APT::FTPArchive::Release::Codename={codename}",
                    "-o", f"APT::FTPArchive::Release::Architectures={' '.join(bed['archs'])}",
                    "-o", "APT::FTPArchive::Release::Components=main"]
            if "security" in suite:
                opts += ["-o", "APT::FTPArchive::Release::ValidTime=604800"]
            release = subprocess.run(["apt-ftparchive", *opts, "release", "."],
                                     cwd=os.path.join(base, "dists", suite), check=True,
                                     capture_output=True).stdout
            with open(os.path.join(base, "dists", suite, "Release"), "wb") as f:
                f.write(release)
    # The host: installed by real dpkg into its own admin dir.
    root = os.path.join(top, "root")
    admin = os.path.join(root, "var/lib/dpkg")
    for d in ["etc/apt/sources.list.d", "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/apt/lists"]:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    open(os.path.join(admin, "status"), "w").close()
    open(os.path.join(admin, "available"), "w").close()
    with open(os.path.join(root, "etc/os-release"), "w") as f:
        f.write(bed["os_release"])
    with open(os.path.join(root, "etc/hostname"), "w") as f:
        f.write(bed["hostname"] + "\n")
    dpkg = ["dpkg", f"--admindir={admin}", f"--instdir={root}", "--force-not-root",
            "--force-script-chrootless", "--force-unsafe-io", "--no-triggers"]
    for a in bed["archs"][1:]:
        run("dpkg", f"--admindir={admin}", "--add-architecture", a)
    local = os.path.join(top, "local-debs")
    os.makedirs(local)
    debs = [make_deb(local, n, v, a, "optional", "misc", ma, conf)
            for (n, v, a, _st, ma, conf) in bed["installed"]]
    run(*dpkg, "--install", *debs, stdout=subprocess.DEVNULL)
    for (n, _v, a, st, _ma, _c) in bed["installed"]:
        if st == "hi":
            run("dpkg", f"--admindir={admin}", "--set-selections", input=f"{n}:{a} hold\n".encode())
        if st == "rc":
            run(*dpkg, "--remove", f"{n}:{a}", stdout=subprocess.DEVNULL)
    shutil.rmtree(local)
    for f in ["status-old", "available-old", "diversions-old", "statoverride-old"]:
        p = os.path.join(admin, f)
        if os.path.exists(p):
            os.remove(p)
    # dpkg-query's view of what was written, next to it.
    view = subprocess.run(["dpkg-query", f"--admindir={admin}", "-W", "-f",
                           "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\t${Status}\n"],
                          check=True, capture_output=True).stdout
    with open(os.path.join(top, "dpkg-query.tsv"), "wb") as f:
        f.write(view)
    # The host's sources.
    if bed["sources_style"] == "deb822":
        text = ""
        for archive, uri, suites in bed["archives"]:
            text += (f"Types: deb\nURIs: {uri}\nSuites: {' '.join(s for s, _, _ in suites)}\n"
                     "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n")
        with open(os.path.join(root, "etc/apt/sources.list.d/debian.sources"), "w") as f:
            f.write(text.rstrip("\n") + "\n")
    else:
        lines = [f"deb {uri} {s} main" for _a, uri, suites in bed["archives"] for s, _, _ in suites]
        with open(os.path.join(root, "etc/apt/sources.list"), "w") as f:
            f.write("# the bed host's sources\n" + "\n".join(lines) + "\n")
    with open(os.path.join(top, "archives.tsv"), "w") as f:
        for archive, uri, _suites in bed["archives"]:
            f.write(f"{archive}\t{uri}\n")
    # The host's lists, as real apt stores them, and apt's verdicts.
    env = dict(os.environ, LC_ALL="C")
    run("bash", os.path.join(HERE, "run-apt-oracle.sh"), top, os.path.join(top, "oracle"),
        os.path.join(root, "var/lib/apt/lists"), env=env)
    with open(os.path.join(top, "NOW"), "w") as f:
        f.write(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, bed in BEDS.items():
        build(name, bed)
        print(f"{name}: {os.path.join(OUT, name)}")


if __name__ == "__main__":
    main()
