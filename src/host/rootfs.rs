//! A host's root directory (a mounted or unpacked machine image), with paths resolved the way
//! the host itself would see them.
//!
//! Symlinks in an image point into the image: `/usr/lib/sysimage/rpm` means
//! `<root>/usr/lib/sysimage/rpm`, never the scanner's own file. [`RootFs::resolve`] follows
//! links one component at a time, re-rooting absolute targets and clamping `..` at the root,
//! so no path it returns lies outside the root.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

/// How many symlinks one resolution may follow, as Linux allows (`MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// Why a path inside a host root could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum RootFsError {
    /// A component of the path does not exist.
    #[error("{}: {rel} does not exist in this root", .root.display())]
    NotFound { root: PathBuf, rel: String },
    /// A component that must be a directory is a file.
    #[error("{}: {rel}: {} is not a directory", .root.display(), .at.display())]
    NotADirectory {
        root: PathBuf,
        rel: String,
        at: PathBuf,
    },
    /// More than 40 links followed: a loop, as the kernel would report ELOOP.
    #[error("{}: {rel}: too many levels of symbolic links", .root.display())]
    Loop { root: PathBuf, rel: String },
    /// The root or an entry in it could not be read.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A host root directory.
#[derive(Debug, Clone)]
pub struct RootFs {
    root: PathBuf,
}

impl RootFs {
    /// Opens a root directory; the path itself is canonicalized on the scanner's side.
    pub fn new(root: impl AsRef<Path>) -> Result<Self, RootFsError> {
        let root = root.as_ref();
        let io_err = |source| RootFsError::Io {
            path: root.to_path_buf(),
            source,
        };
        let root = root.canonicalize().map_err(io_err)?;
        if !root.is_dir() {
            return Err(io_err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "a host root must be a directory",
            )));
        }
        Ok(RootFs { root })
    }

    /// The root directory on the scanner's side.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The scanner-side path of `rel` (a path as the host sees it, leading `/` optional),
    /// with every symlink on the way followed inside the root. The result exists.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, RootFsError> {
        let mut pending: VecDeque<OsString> = components(Path::new(rel)).collect();
        let mut resolved: Vec<OsString> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop_front() {
            if part == ".." {
                resolved.pop();
                continue;
            }
            let here = self.join(&resolved).join(&part);
            let meta = std::fs::symlink_metadata(&here).map_err(|source| match source.kind() {
                io::ErrorKind::NotFound => RootFsError::NotFound {
                    root: self.root.clone(),
                    rel: rel.to_string(),
                },
                io::ErrorKind::NotADirectory => RootFsError::NotADirectory {
                    root: self.root.clone(),
                    rel: rel.to_string(),
                    at: self.join(&resolved),
                },
                _ => RootFsError::Io {
                    path: here.clone(),
                    source,
                },
            })?;
            if !meta.file_type().is_symlink() {
                if !pending.is_empty() && !meta.is_dir() {
                    return Err(RootFsError::NotADirectory {
                        root: self.root.clone(),
                        rel: rel.to_string(),
                        at: here,
                    });
                }
                resolved.push(part);
                continue;
            }
            links += 1;
            if links > MAX_LINKS {
                return Err(RootFsError::Loop {
                    root: self.root.clone(),
                    rel: rel.to_string(),
                });
            }
            let target = std::fs::read_link(&here).map_err(|source| RootFsError::Io {
                path: here.clone(),
                source,
            })?;
            if target.is_absolute() {
                resolved.clear();
            }
            for part in components(&target).rev() {
                pending.push_front(part);
            }
        }
        Ok(self.join(&resolved))
    }

    fn join(&self, parts: &[OsString]) -> PathBuf {
        let mut path = self.root.clone();
        path.extend(parts);
        path
    }
}

/// The named and `..` components of a path; `/` and `.` carry nothing once inside a root.
fn components(path: &Path) -> impl DoubleEndedIterator<Item = OsString> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(name) => Some(name.to_os_string()),
        Component::ParentDir => Some(OsString::from("..")),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// A root with `etc/os-release`, `usr/lib/sysimage/rpm/rpmdb.sqlite` and a sibling dir.
    fn image() -> (tempfile::TempDir, RootFs) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::write(root.join("etc/os-release"), "ID=test\n").unwrap();
        fs::create_dir_all(root.join("usr/lib/sysimage/rpm")).unwrap();
        fs::write(root.join("usr/lib/sysimage/rpm/rpmdb.sqlite"), "x").unwrap();
        fs::create_dir_all(root.join("var/lib")).unwrap();
        let fs = RootFs::new(root).unwrap();
        (dir, fs)
    }

    #[test]
    fn plain_paths_and_leading_slash() {
        let (_dir, root) = image();
        let want = root.path().join("etc/os-release");
        assert_eq!(root.resolve("etc/os-release").unwrap(), want);
        assert_eq!(root.resolve("/etc/./os-release").unwrap(), want);
        assert_eq!(root.resolve("/").unwrap(), root.path());
    }

    #[test]
    fn absolute_link_is_rerooted() {
        let (_dir, root) = image();
        symlink("/usr/lib/sysimage/rpm", root.path().join("var/lib/rpm")).unwrap();
        assert_eq!(
            root.resolve("var/lib/rpm/rpmdb.sqlite").unwrap(),
            root.path().join("usr/lib/sysimage/rpm/rpmdb.sqlite")
        );
    }

    #[test]
    fn relative_dotdot_link() {
        let (_dir, root) = image();
        symlink(
            "../../usr/lib/sysimage/rpm",
            root.path().join("var/lib/rpm"),
        )
        .unwrap();
        assert_eq!(
            root.resolve("/var/lib/rpm").unwrap(),
            root.path().join("usr/lib/sysimage/rpm")
        );
    }

    #[test]
    fn link_in_an_intermediate_directory() {
        let (_dir, root) = image();
        // usr/lib64 -> lib, then a path through it.
        symlink("lib", root.path().join("usr/lib64")).unwrap();
        assert_eq!(
            root.resolve("usr/lib64/sysimage/rpm/rpmdb.sqlite").unwrap(),
            root.path().join("usr/lib/sysimage/rpm/rpmdb.sqlite")
        );
    }

    #[test]
    fn dotdot_never_climbs_above_the_root() {
        let (_dir, root) = image();
        symlink("../../../../../../etc", root.path().join("var/lib/rpm")).unwrap();
        assert_eq!(
            root.resolve("var/lib/rpm/os-release").unwrap(),
            root.path().join("etc/os-release")
        );
        assert_eq!(
            root.resolve("../../etc/os-release").unwrap(),
            root.path().join("etc/os-release")
        );
    }

    #[test]
    fn escape_to_host_etc_stays_inside() {
        let (_dir, root) = image();
        symlink("/etc", root.path().join("var/lib/rpm")).unwrap();
        let got = root.resolve("var/lib/rpm").unwrap();
        assert_eq!(got, root.path().join("etc"));
        // A file only the scanner's /etc has is not found through the link.
        assert!(matches!(
            root.resolve("var/lib/rpm/passwd"),
            Err(RootFsError::NotFound { .. })
        ));
    }

    #[test]
    fn loops_are_errors() {
        let (_dir, root) = image();
        symlink("b", root.path().join("var/a")).unwrap();
        symlink("/var/a", root.path().join("var/b")).unwrap();
        symlink("self", root.path().join("var/self")).unwrap();
        for rel in ["var/a", "var/self/x"] {
            assert!(
                matches!(root.resolve(rel), Err(RootFsError::Loop { .. })),
                "{rel}"
            );
        }
    }

    #[test]
    fn file_in_the_middle_is_not_a_directory() {
        let (_dir, root) = image();
        assert!(matches!(
            root.resolve("etc/os-release/x"),
            Err(RootFsError::NotADirectory { .. })
        ));
    }
}
