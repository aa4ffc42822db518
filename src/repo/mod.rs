//! The update index: what updates a repository set offers, with their advisory attributes.

pub mod apt;
pub mod index;
pub mod rpmmd;
pub mod set;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::files::rootfs::RootFs;

/// Where a repository's files are, which decides how a path to one of them is followed.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    /// The scanner's own files (a `--repo` directory): paths are opened as the system opens
    /// them.
    Scanner,
    /// A host root's files (its dnf, yum or zypp cache, its apt lists): every path is resolved
    /// inside the root, links included, so nothing outside the root is read.
    Root(&'a RootFs),
}

impl Place<'_> {
    /// `path` as it will be opened, if something other than a directory is there (links
    /// followed inside a root). What is not a regular file (a FIFO, a device) is found here
    /// and refused by name when it is opened, never skipped as if it were absent.
    pub fn file(self, path: &Path) -> Option<PathBuf> {
        let path = self.resolved(path)?;
        // A resolved path inside a root has no links left on it: its own type is the file's.
        let found = match self {
            Place::Scanner => std::fs::metadata(&path),
            Place::Root(_) => std::fs::symlink_metadata(&path),
        };
        found.is_ok_and(|m| !m.is_dir()).then_some(path)
    }

    /// A directory entry as it will be opened: `None` for a directory, an error when it leads
    /// nowhere (inside a root: a dangling link, or one out of the root). What is not a regular
    /// file is left for the opening to refuse by name.
    pub fn entry(self, path: &Path) -> std::io::Result<Option<PathBuf>> {
        match self.resolved(path) {
            Some(p) if p.is_dir() => Ok(None),
            Some(p) => Ok(Some(p)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "cannot read: it leads nowhere inside the host root (a dangling link, or one \
                 out of the root)",
            )),
        }
    }

    /// `path` as it will be read, if it is a directory (links followed inside a root).
    pub fn dir(self, path: &Path) -> Option<PathBuf> {
        let path = self.resolved(path)?;
        path.is_dir().then_some(path)
    }

    /// The names in the directory `dir` (resolved as by [`Place::dir`]), sorted, with the
    /// resolved directory.
    pub fn names(self, dir: &Path) -> std::io::Result<(PathBuf, Vec<OsString>)> {
        let dir = self.resolved(dir).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory")
        })?;
        let mut names: Vec<OsString> = std::fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        names.sort();
        Ok((dir, names))
    }

    fn resolved(self, path: &Path) -> Option<PathBuf> {
        match self {
            Place::Scanner => Some(path.to_path_buf()),
            Place::Root(root) => root.confine(path),
        }
    }
}
