//! Facts about one host: who it is (os-release) and what is installed (rpmdb, dpkg), from a root
//! directory, a tar archive of one, or an inventory file (`source`).

pub mod dpkg;
pub mod facts;
pub mod os;
pub mod rpmdb;
pub mod source;

use std::path::Path;

/// Paths (inside a root) whose bytes the first pass over an archive keeps: what reading a host
/// takes, with the rpm databases of [`rpmdb::RPMDB_DIRS`]. Others (a file reached through an
/// unusual link) are fetched by a second pass.
const KEPT_PATHS: [&str; 8] = [
    "etc/os-release",
    "usr/lib/os-release",
    "etc/system-release",
    "etc/hostname",
    "etc/debian_version",
    "etc/lsb-release",
    "etc/apt/sources.list",
    "var/lib/dpkg/status",
];

/// Directories (inside the root) whose files' bytes the first pass keeps.
const KEPT_DIRS: [&str; 3] = [
    "etc/dnf/modules.d",
    "etc/apt/sources.list.d",
    "var/lib/dpkg/status.d",
];

/// Whether the first pass over a tar archive of a root keeps a member's bytes
/// ([`crate::files::rootfs::Keep`]): the files a host is read from.
pub fn kept_in_archives(name: &Path) -> bool {
    if KEPT_PATHS.iter().any(|k| name == Path::new(k)) {
        return true;
    }
    let (Some(parent), Some(base)) = (name.parent(), name.file_name()) else {
        return false;
    };
    KEPT_DIRS.iter().any(|d| parent == Path::new(d))
        || (rpmdb::RPMDB_DIRS.iter().any(|d| parent == Path::new(d))
            && (rpmdb::DB_FILE_NAMES.iter().any(|n| base == *n) || base == "rpmdb.sqlite-wal"))
}

#[cfg(test)]
mod tests {
    use super::kept_in_archives;
    use std::path::Path;

    /// Only the files a host is read from are kept from an archive: a `status` or `Packages`
    /// elsewhere (a 40 MB one under `opt/`) was kept in memory too.
    #[test]
    fn only_the_files_a_host_is_read_from_are_kept() {
        for name in [
            "etc/os-release",
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
            "var/lib/rpm/Packages",
            "var/lib/rpm/rpmdb.sqlite-wal",
            "var/lib/dpkg/status",
            "var/lib/dpkg/status.d/base",
            "etc/dnf/modules.d/nodejs.module",
            "etc/apt/sources.list.d/debian.sources",
        ] {
            assert!(kept_in_archives(Path::new(name)), "{name} kept");
        }
        for name in [
            "opt/app/status",
            "srv/mirror/Packages",
            "etc/motd",
            "var/lib/rpm/__db.001",
            "var/lib/dpkg/status-old",
        ] {
            assert!(!kept_in_archives(Path::new(name)), "{name} not kept");
        }
    }
}
