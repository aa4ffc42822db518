//! Repository sets: the rpm-md repositories or apt lists a host is held against, read once
//! into an index that every host using them shares — from `--repo` directories, or from a
//! host root's own package-manager cache or apt lists, read through the root.

use std::path::{Path, PathBuf};

use crate::files::rootfs::RootFs;
use crate::repo::apt::{self, AptIndex};
use crate::repo::index::UpdateIndex;
use crate::repo::Place;
use crate::vocab::os::OsFamily;

/// Why a repository set could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RepoSetError {
    #[error(transparent)]
    Apt(#[from] apt::AptError),
    #[error(transparent)]
    RpmMd(#[from] crate::repo::rpmmd::RpmMdError),
    #[error("{root}: no apt lists: none given with --repo and {looked} is missing or holds no *_Packages files (a host whose lists were cleaned must not look compliant; run `apt-get update` on it or pass --repo)")]
    NoAptLists { root: PathBuf, looked: String },
    #[error("{root}: no repository metadata: none given with --repo and no cache under {looked} (a host whose cache was cleaned must not look compliant; run `dnf makecache` on it or pass --repo)")]
    NoRepositories { root: PathBuf, looked: String },
    #[error("package family {0:?} has no repository reader yet")]
    UnsupportedFamily(OsFamily),
}

/// A repository set's parsed metadata: read once, then shared read-only (it is `Send + Sync`)
/// by every host evaluated against it.
#[derive(Debug)]
pub enum RepoIndex {
    /// rpm-md repositories (dnf, yum, zypper).
    Rpm(UpdateIndex),
    /// apt lists (Debian, Ubuntu, Raspberry Pi OS).
    Apt(AptIndex),
}

/// The repository directories of the host's own package-manager cache, each resolved inside
/// the root (a link out of the root is not followed), and what was looked for.
pub fn cached_repositories(root: &RootFs) -> (Vec<PathBuf>, String) {
    let place = Place::Root(root);
    let mut found: Vec<PathBuf> = Vec::new();
    let mut add = |dir: PathBuf| {
        if !found.contains(&dir) {
            found.push(dir);
        }
    };
    let looked = "var/cache/dnf/*/, var/cache/yum/**/, var/cache/zypp/raw/*/".to_string();
    let subdirs = |dir: &Path| -> Vec<PathBuf> {
        place.names(dir).map_or_else(
            |_| Vec::new(),
            |(dir, names)| {
                names
                    .iter()
                    .filter_map(|n| place.dir(&dir.join(n)))
                    .collect()
            },
        )
    };
    for base in ["var/cache/dnf", "var/cache/zypp/raw"] {
        if let Ok(dir) = root.resolve(base) {
            for d in subdirs(&dir) {
                if place.file(&d.join("repodata/repomd.xml")).is_some() {
                    add(d);
                }
            }
        }
    }
    // yum: var/cache/yum/<basearch>/<releasever>/<repo>/repomd.xml (no repodata/ level).
    if let Ok(dir) = root.resolve("var/cache/yum") {
        let mut stack = vec![(dir, 0)];
        while let Some((d, depth)) = stack.pop() {
            if place.file(&d.join("repomd.xml")).is_some()
                || place.file(&d.join("repodata/repomd.xml")).is_some()
            {
                add(d);
                continue;
            }
            if depth < 4 {
                stack.extend(subdirs(&d).into_iter().map(|s| (s, depth + 1)));
            }
        }
    }
    (found, looked)
}

/// Reads an RPM-family host root's own repository cache (dnf, yum, zypp), through the root.
pub fn load_cached_repositories(root: &RootFs) -> Result<RepoIndex, RepoSetError> {
    let (found, looked) = cached_repositories(root);
    if found.is_empty() {
        return Err(RepoSetError::NoRepositories {
            root: root.path().to_path_buf(),
            looked,
        });
    }
    Ok(RepoIndex::Rpm(load_index_in(&found, Place::Root(root))?))
}

/// Reads a repository set for hosts of one package family.
pub fn load_repo_set(family: OsFamily, dirs: &[PathBuf]) -> Result<RepoIndex, RepoSetError> {
    match family {
        OsFamily::Rpm | OsFamily::Suse => Ok(RepoIndex::Rpm(load_index(dirs)?)),
        OsFamily::Apt => Ok(RepoIndex::Apt(apt::load_repos(dirs)?)),
        _ => Err(RepoSetError::UnsupportedFamily(family)),
    }
}

/// Reads a Debian/Ubuntu root's own lists (`var/lib/apt/lists`); which of them count is
/// decided per host by its sources (see [`AptIndex::host_lists`]).
pub fn load_host_apt_lists(root: &RootFs) -> Result<RepoIndex, RepoSetError> {
    let looked = "var/lib/apt/lists".to_string();
    let no_lists = || RepoSetError::NoAptLists {
        root: root.path().to_path_buf(),
        looked: looked.clone(),
    };
    let dir = apt::root_lists_dir(root).ok_or_else(no_lists)?;
    match apt::load_lists_dir_in(&dir, Place::Root(root)) {
        Ok(mut index) => {
            index.host_lists = true;
            Ok(RepoIndex::Apt(index))
        }
        Err(apt::AptError::NoLists { .. }) => Err(no_lists()),
        Err(e) => Err(e.into()),
    }
}

/// Reads repository directories into one update index.
pub fn load_index(dirs: &[PathBuf]) -> Result<UpdateIndex, RepoSetError> {
    load_index_in(dirs, Place::Scanner)
}

/// [`load_index`] for directories in `place` (a host root's cache).
pub fn load_index_in(dirs: &[PathBuf], place: Place<'_>) -> Result<UpdateIndex, RepoSetError> {
    use rayon::prelude::*;
    let repos: Vec<_> = dirs
        .par_iter()
        .map(|dir| crate::repo::rpmmd::read_repository_in(dir, place))
        .collect::<Result<_, _>>()?;
    let mut index = UpdateIndex::default();
    for meta in repos {
        index.add_rpm_repository(meta);
    }
    Ok(index)
}
