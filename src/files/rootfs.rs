//! A host's root directory (a mounted or unpacked machine image) or a tar archive of one,
//! with paths resolved the way the host itself would see them.
//!
//! Symlinks in an image point into the image: `/usr/lib/sysimage/rpm` means
//! `<root>/usr/lib/sysimage/rpm`, never the scanner's own file. [`RootFs::resolve_inside`]
//! follows links one component at a time, re-rooting absolute targets and clamping `..` at the
//! root, so no path it returns lies outside the root. Directories and archives share that one
//! resolver; they differ only in how one component is looked up.
//!
//! An archive (`.tar`, `.tar.gz`, `.tar.zst`, `.tar.xz`, `.tar.bz2`; the compression is told by
//! content) is read in place and never unpacked: one pass records every member's type and link
//! target and keeps the bytes of the few files a scan reads (os-release, hostname, the package
//! databases, dnf module state); a file reached only through an unusual link is fetched by a
//! second pass. Nothing is written, so an unwritable temporary directory does not matter.
//! Member names are taken as GNU tar extracts them: a leading `/` or `./` is dropped, and a
//! member whose name contains `..` is skipped (it could only land outside the root).

use std::collections::{HashMap, VecDeque};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use std::os::unix::ffi::OsStringExt;

use super::compress;
use crate::disk::fs::{FsError, NodeKind};
use crate::disk::{DiskError, Image, Layout};

/// How many symlinks one resolution may follow, as Linux allows (`MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// The largest file a scan reads from a root: far above any real package database (the
/// rpmdb.sqlite of a 3,000-package RHEL 9 workstation is about 200 MB, a dpkg status file of
/// 5,000 packages about 8 MB). A larger file, a sparse one included, is an error naming it
/// rather than that much memory.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The largest text file (os-release, hostname, module state, apt sources) a scan reads from
/// a root; real ones are a few KB.
pub const MAX_TEXT_BYTES: u64 = 16 << 20;

/// The most bytes the first pass over an archive keeps in memory, all kept members together.
pub const MAX_KEPT_BYTES: u64 = 2 << 30;

/// Which archive members (paths inside the root) the first pass keeps in memory: the files
/// the caller will read. Others are fetched by a second pass when something leads to them.
pub type Keep = fn(&Path) -> bool;

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
    /// The path names a FIFO, a device or a socket: reading it could hang or never end.
    #[error("{}: not a regular file (a {kind}); only regular files of a root are read", .path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    /// The file is larger than the limit for its kind ([`MAX_FILE_BYTES`], [`MAX_TEXT_BYTES`]).
    #[error("{}: {size} bytes is more than the {limit}-byte limit for this file; no real host has one this large (damaged or hostile image?)", .path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// A disk image could not be opened: its container, table, file systems or root.
    #[error(transparent)]
    Disk(#[from] DiskError),
    /// A tar archive's structure is broken (or it is not a tar archive at all).
    #[error("{}: not a readable tar archive: {message}", .path.display())]
    Archive { path: PathBuf, message: String },
}

/// What one path component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Symlink,
    Other,
}

/// A host root: a directory on the scanner, a tar archive of one, or a disk image.
#[derive(Debug, Clone)]
pub struct RootFs {
    root: PathBuf,
    backend: Backend,
}

/// Where a root's files are.
#[derive(Debug, Clone)]
enum Backend {
    Dir,
    Tar(Arc<TarImage>),
    Disk(Arc<Image>),
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
        Ok(RootFs {
            root,
            backend: Backend::Dir,
        })
    }

    /// Opens a tar archive of a root (plain or compressed), reading it in place.
    pub fn from_tar(archive: impl AsRef<Path>, keep: Keep) -> Result<Self, RootFsError> {
        let path = archive.as_ref().to_path_buf();
        let image = TarImage::scan(&path, keep)?;
        Ok(RootFs {
            root: path,
            backend: Backend::Tar(Arc::new(image)),
        })
    }

    /// Opens a disk image (a raw disk or a file system image) without mounting it: its root
    /// file system, with what its fstab mounts at `/usr`, `/var` and `/var/lib`.
    pub fn from_image(image: impl AsRef<Path>) -> Result<Self, RootFsError> {
        let path = image.as_ref().to_path_buf();
        let image = Image::open(&path)?;
        Ok(RootFs {
            root: path,
            backend: Backend::Disk(Arc::new(image)),
        })
    }

    /// For a disk image, what was found in it.
    pub fn image_layout(&self) -> Option<&Layout> {
        match &self.backend {
            Backend::Disk(image) => Some(image.layout()),
            _ => None,
        }
    }

    /// For a disk image, the first damage any lookup met (a failed checksum, a block outside
    /// the disk), even one a caller took for "not there": a reader checks this before it
    /// trusts what it read, so a damaged image never passes for a smaller host.
    pub fn damage(&self) -> Result<(), RootFsError> {
        match &self.backend {
            Backend::Disk(image) => match image.damage() {
                Some(what) => Err(RootFsError::Io {
                    path: self.root.clone(),
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("damaged image: {what}"),
                    ),
                }),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// For a disk image, the bytes read from it so far and its size.
    pub fn image_bytes_read(&self) -> Option<(u64, u64)> {
        match &self.backend {
            Backend::Disk(image) => Some(image.bytes_read()),
            _ => None,
        }
    }

    /// The root directory (or the archive) on the scanner's side.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Whether this root is a tar archive or a disk image rather than a directory.
    pub fn is_archive(&self) -> bool {
        !matches!(self.backend, Backend::Dir)
    }

    /// The scanner-side path of `rel` (a path as the host sees it, leading `/` optional),
    /// with every symlink on the way followed inside the root. The result exists. For an
    /// archive it names the member as `ARCHIVE!/member`, which only [`RootFs::read`] and
    /// [`RootFs::read_dir`] can open.
    pub fn resolve(&self, rel: impl AsRef<Path>) -> Result<PathBuf, RootFsError> {
        let rel = rel.as_ref();
        let inside = self.resolve_inside(rel)?;
        Ok(self.display(&inside))
    }

    /// A scanner-side path under this directory root (as [`RootFs::resolve`] gives, or one
    /// joined onto it) resolved again inside the root: links on the way are followed in the
    /// root, never out of it. `None` when it does not exist, is not under the root, or the
    /// root is an archive.
    pub fn confine(&self, path: &Path) -> Option<PathBuf> {
        if self.is_archive() {
            return None;
        }
        let rel = path.strip_prefix(&self.root).ok()?;
        self.resolve(rel).ok()
    }

    /// `rel` with every symlink followed, as a path relative to the root.
    pub fn resolve_inside(&self, rel: impl AsRef<Path>) -> Result<PathBuf, RootFsError> {
        let rel = rel.as_ref();
        let mut pending: VecDeque<OsString> = components(rel).collect();
        let mut resolved: Vec<OsString> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop_front() {
            if part == ".." {
                resolved.pop();
                continue;
            }
            resolved.push(part);
            let here: PathBuf = resolved.iter().collect();
            let kind = self.kind(&here).map_err(|source| match source.kind() {
                io::ErrorKind::NotFound => RootFsError::NotFound {
                    root: self.root.clone(),
                    rel: rel.display().to_string(),
                },
                io::ErrorKind::NotADirectory => RootFsError::NotADirectory {
                    root: self.root.clone(),
                    rel: rel.display().to_string(),
                    at: self.display(here.parent().unwrap_or(Path::new(""))),
                },
                _ => RootFsError::Io {
                    path: self.display(&here),
                    source,
                },
            })?;
            if kind != Kind::Symlink {
                if !pending.is_empty() && kind != Kind::Dir {
                    return Err(RootFsError::NotADirectory {
                        root: self.root.clone(),
                        rel: rel.display().to_string(),
                        at: self.display(&here),
                    });
                }
                continue;
            }
            links += 1;
            if links > MAX_LINKS {
                return Err(RootFsError::Loop {
                    root: self.root.clone(),
                    rel: rel.display().to_string(),
                });
            }
            let target = self.link_target(&here)?;
            resolved.pop();
            if target.is_absolute() {
                resolved.clear();
            }
            for part in components(&target).rev() {
                pending.push_front(part);
            }
        }
        Ok(resolved.iter().collect())
    }

    /// Reads the file `rel` names, links followed inside the root; also returns the
    /// scanner-side path for messages. Only a regular file of at most [`MAX_FILE_BYTES`] is
    /// read.
    pub fn read(&self, rel: impl AsRef<Path>) -> Result<(PathBuf, Vec<u8>), RootFsError> {
        let rel = rel.as_ref();
        self.read_limited(rel, MAX_FILE_BYTES)
    }

    /// [`RootFs::read`] with a size limit of the caller's.
    pub fn read_limited(
        &self,
        rel: impl AsRef<Path>,
        limit: u64,
    ) -> Result<(PathBuf, Vec<u8>), RootFsError> {
        let rel = rel.as_ref();
        let inside = self.resolve_inside(rel)?;
        let shown = self.display(&inside);
        let bytes = match &self.backend {
            Backend::Dir => {
                let (file, _) = open_regular(&shown, limit)?;
                read_all(file, &shown, limit)?
            }
            Backend::Tar(image) => image.file(&inside, &self.root, limit)?,
            Backend::Disk(image) => match self.kind(&inside) {
                Ok(Kind::File) => image
                    .read(&inside, limit)
                    .map_err(|e| disk_error(&shown, e, limit))?,
                Ok(k) => {
                    return Err(RootFsError::NotRegular {
                        path: shown,
                        kind: match k {
                            Kind::Dir => "directory",
                            _ => "special file",
                        },
                    })
                }
                Err(source) => {
                    return Err(RootFsError::Io {
                        path: shown,
                        source,
                    })
                }
            },
        };
        Ok((shown, bytes))
    }

    /// Opens the regular file `rel` names in a root directory (`None` for an archive, whose
    /// members are only read whole), with its size, which is at most `limit`.
    pub fn open(
        &self,
        rel: impl AsRef<Path>,
        limit: u64,
    ) -> Result<Option<(PathBuf, File, u64)>, RootFsError> {
        let rel = rel.as_ref();
        if self.is_archive() {
            return Ok(None);
        }
        let shown = self.resolve(rel)?;
        let (file, size) = open_regular(&shown, limit)?;
        Ok(Some((shown, file, size)))
    }

    /// Reads `rel` as text (lossily: host files are not always UTF-8), at most
    /// [`MAX_TEXT_BYTES`] of it.
    pub fn read_to_string(&self, rel: impl AsRef<Path>) -> Result<(PathBuf, String), RootFsError> {
        let rel = rel.as_ref();
        let (path, bytes) = self.read_limited(rel, MAX_TEXT_BYTES)?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Ok((path, text))
    }

    /// The names in the directory `rel` names, sorted; also its scanner-side path.
    pub fn read_dir(&self, rel: impl AsRef<Path>) -> Result<(PathBuf, Vec<OsString>), RootFsError> {
        let rel = rel.as_ref();
        let inside = self.resolve_inside(rel)?;
        let shown = self.display(&inside);
        let mut names = match &self.backend {
            Backend::Dir => std::fs::read_dir(&shown)
                .and_then(|entries| {
                    entries
                        .map(|e| e.map(|e| e.file_name()))
                        .collect::<io::Result<Vec<_>>>()
                })
                .map_err(|source| RootFsError::Io {
                    path: shown.clone(),
                    source,
                })?,
            Backend::Tar(image) => image.children(&inside),
            Backend::Disk(image) => image
                .read_dir(&inside)
                .map_err(|e| disk_error(&shown, e, 0))?
                .into_iter()
                .map(OsString::from_vec)
                .collect(),
        };
        names.sort();
        Ok((shown, names))
    }

    /// The target of `rel` when it (its last component, its parents resolved) is a symlink.
    pub fn symlink_target(&self, rel: impl AsRef<Path>) -> Option<PathBuf> {
        let rel = rel.as_ref();
        let inside = self
            .resolve_inside(rel.parent().unwrap_or(Path::new("")))
            .ok()?;
        let here = inside.join(rel.file_name()?);
        if self.kind(&here).ok()? == Kind::Symlink {
            self.link_target(&here).ok()
        } else {
            None
        }
    }

    /// The modification time of the file `rel` names (links followed inside the root), UNIX
    /// seconds; `None` when it does not exist or has none.
    pub fn mtime(&self, rel: impl AsRef<Path>) -> Option<i64> {
        let rel = rel.as_ref();
        let inside = self.resolve_inside(rel).ok()?;
        match &self.backend {
            Backend::Dir => {
                let m = std::fs::metadata(self.root.join(&inside))
                    .ok()?
                    .modified()
                    .ok()?;
                match m.duration_since(std::time::UNIX_EPOCH) {
                    Ok(d) => i64::try_from(d.as_secs()).ok(),
                    Err(e) => i64::try_from(e.duration().as_secs()).ok().map(|s| -s),
                }
            }
            Backend::Tar(image) => image.mtime(&inside),
            Backend::Disk(image) => image.lstat(&inside).ok()?.mtime,
        }
    }

    /// Whether `rel` resolves to a regular file.
    pub fn is_file(&self, rel: impl AsRef<Path>) -> bool {
        let rel = rel.as_ref();
        self.resolve_inside(rel)
            .is_ok_and(|inside| self.kind(&inside).is_ok_and(|k| k == Kind::File))
    }

    /// Whether `rel` resolves to a directory.
    pub fn is_dir(&self, rel: impl AsRef<Path>) -> bool {
        let rel = rel.as_ref();
        self.resolve_inside(rel)
            .is_ok_and(|inside| self.kind(&inside).is_ok_and(|k| k == Kind::Dir))
    }

    /// The scanner-side name of a resolved path inside the root, for messages.
    fn display(&self, inside: &Path) -> PathBuf {
        match &self.backend {
            Backend::Dir => self.root.join(inside),
            Backend::Tar(_) | Backend::Disk(_) => {
                let mut name = self.root.clone().into_os_string();
                name.push("!/");
                name.push(inside);
                PathBuf::from(name)
            }
        }
    }

    /// What one already-resolved path is, without following a final link.
    fn kind(&self, inside: &Path) -> io::Result<Kind> {
        match &self.backend {
            Backend::Dir => {
                let meta = std::fs::symlink_metadata(self.root.join(inside))?;
                let t = meta.file_type();
                Ok(if t.is_symlink() {
                    Kind::Symlink
                } else if t.is_dir() {
                    Kind::Dir
                } else if t.is_file() {
                    Kind::File
                } else {
                    Kind::Other
                })
            }
            Backend::Tar(image) => image.kind(inside),
            Backend::Disk(image) => match image.lstat(inside) {
                Ok(st) => Ok(match st.kind {
                    NodeKind::Dir => Kind::Dir,
                    NodeKind::File => Kind::File,
                    NodeKind::Symlink => Kind::Symlink,
                    NodeKind::Other => Kind::Other,
                }),
                Err(e) => Err(disk_io(e)),
            },
        }
    }

    fn link_target(&self, inside: &Path) -> Result<PathBuf, RootFsError> {
        match &self.backend {
            Backend::Dir => {
                let here = self.root.join(inside);
                std::fs::read_link(&here).map_err(|source| RootFsError::Io { path: here, source })
            }
            Backend::Tar(image) => Ok(image.link_target(inside).unwrap_or_default()),
            Backend::Disk(image) => image
                .read_link(inside)
                .map(|t| PathBuf::from(OsString::from_vec(t)))
                .map_err(|e| disk_error(&self.display(inside), e, 0)),
        }
    }
}

/// A disk image's error as the io::Error a path lookup gives.
fn disk_io(e: FsError) -> io::Error {
    match e {
        FsError::NotFound => io::ErrorKind::NotFound.into(),
        FsError::NotADirectory => io::ErrorKind::NotADirectory.into(),
        FsError::Io(e) => e,
        FsError::TooLarge(n) => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{n} bytes is too large"),
        ),
        FsError::Corrupt(m) => io::Error::new(io::ErrorKind::InvalidData, m),
    }
}

/// A disk image's error reading `shown` (`IMAGE!/path`).
fn disk_error(shown: &Path, e: FsError, limit: u64) -> RootFsError {
    match e {
        FsError::TooLarge(size) => RootFsError::TooLarge {
            path: shown.to_path_buf(),
            size,
            limit,
        },
        other => RootFsError::Io {
            path: shown.to_path_buf(),
            source: disk_io(other),
        },
    }
}

/// Opens a file of a root (the path already resolved inside it) for reading, only if it is a
/// regular file of at most `limit` bytes. `O_NONBLOCK` keeps a FIFO from blocking the open
/// and `O_NOFOLLOW` a link swapped in after resolution from being followed; the type is
/// checked on the opened file, so what is read is what was checked.
pub fn open_regular(path: &Path, limit: u64) -> Result<(File, u64), RootFsError> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let io_err = |source| RootFsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY)
        .open(path)
        .map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    let t = meta.file_type();
    if !t.is_file() {
        let kind = if t.is_fifo() {
            "FIFO"
        } else if t.is_char_device() {
            "character device"
        } else if t.is_block_device() {
            "block device"
        } else if t.is_socket() {
            "socket"
        } else if t.is_dir() {
            "directory"
        } else {
            "special file"
        };
        return Err(RootFsError::NotRegular {
            path: path.to_path_buf(),
            kind,
        });
    }
    if meta.len() > limit {
        return Err(RootFsError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    Ok((file, meta.len()))
}

/// Reads an opened file to its end, failing past `limit` bytes (it may grow while read).
pub fn read_all(file: File, path: &Path, limit: u64) -> Result<Vec<u8>, RootFsError> {
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| RootFsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(RootFsError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// The named and `..` components of a path; `/` and `.` carry nothing once inside a root.
fn components(path: &Path) -> impl DoubleEndedIterator<Item = OsString> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(name) => Some(name.to_os_string()),
        Component::ParentDir => Some(OsString::from("..")),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
    })
}

/// One archive member as the first pass recorded it.
#[derive(Debug)]
enum Member {
    Dir,
    /// A regular file: its position among the members, and its bytes when kept.
    File {
        index: usize,
        /// The member's size from its header.
        size: u64,
        data: Option<Vec<u8>>,
        /// Modification time from the tar header, UNIX seconds.
        mtime: Option<i64>,
    },
    Symlink(PathBuf),
    /// A hard link names another member (by member name, not through symlinks).
    HardLink(PathBuf),
    Other,
}

/// The member tree of a tar archive, with the bytes of the files a scan reads.
#[derive(Debug)]
struct TarImage {
    members: HashMap<PathBuf, Member>,
    /// Names in each directory (explicit members and implied parents), sorted.
    children: HashMap<PathBuf, Vec<OsString>>,
}

/// A member name as GNU tar extracts it: leading `/` and `.` dropped; `None` when it holds
/// `..` (GNU tar refuses such members) or names the root itself.
fn member_name(raw: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in raw.components() {
        match c {
            Component::Normal(name) => out.push(name),
            Component::ParentDir => return None,
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

impl TarImage {
    fn open(path: &Path) -> Result<tar::Archive<Box<dyn Read + Send>>, RootFsError> {
        let reader = compress::open_unbounded(path).map_err(|e| match e {
            compress::CompressError::File(e) => e,
            compress::CompressError::Open { path, source } => RootFsError::Io { path, source },
            other => RootFsError::Archive {
                path: path.to_path_buf(),
                message: other.to_string(),
            },
        })?;
        Ok(tar::Archive::new(reader))
    }

    fn broken(path: &Path, e: impl std::fmt::Display) -> RootFsError {
        RootFsError::Archive {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }

    /// The first pass: every member's type and link, and the kept files' bytes.
    fn scan(path: &Path, keep: Keep) -> Result<Self, RootFsError> {
        let mut archive = Self::open(path)?;
        let mut members = HashMap::new();
        let entries = archive.entries().map_err(|e| Self::broken(path, e))?;
        let mut seen = 0usize;
        let mut kept: u64 = 0;
        for (index, entry) in entries.enumerate() {
            let mut entry = entry.map_err(|e| Self::broken(path, e))?;
            seen += 1;
            let raw = entry
                .path()
                .map_err(|e| Self::broken(path, e))?
                .into_owned();
            let Some(name) = member_name(&raw) else {
                continue;
            };
            let link = || -> Result<PathBuf, RootFsError> {
                Ok(entry
                    .link_name()
                    .map_err(|e| Self::broken(path, e))?
                    .map(|l| l.into_owned())
                    .unwrap_or_default())
            };
            let member = match entry.header().entry_type() {
                tar::EntryType::Directory => Member::Dir,
                tar::EntryType::Symlink => Member::Symlink(link()?),
                tar::EntryType::Link => match member_name(&link()?) {
                    Some(target) => Member::HardLink(target),
                    None => continue,
                },
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let size = entry.size();
                    // Too large a member is left for the second pass, which refuses it past
                    // the reader's limit.
                    let data = if keep(&name)
                        && size <= MAX_FILE_BYTES
                        && kept.saturating_add(size) <= MAX_KEPT_BYTES
                    {
                        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                        (&mut entry)
                            .take(size)
                            .read_to_end(&mut buf)
                            .map_err(|e| Self::broken(path, format!("{}: {e}", raw.display())))?;
                        kept += buf.len() as u64;
                        Some(buf)
                    } else {
                        None
                    };
                    let mtime = entry
                        .header()
                        .mtime()
                        .ok()
                        .and_then(|t| i64::try_from(t).ok());
                    Member::File {
                        index,
                        size,
                        data,
                        mtime,
                    }
                }
                _ => Member::Other,
            };
            members.insert(name, member);
        }
        if seen == 0 {
            return Err(Self::broken(path, "no members"));
        }
        // Parents implied by members, and each directory's children: each name is added to
        // its parent once, and a parent's own chain is walked only when it is first implied,
        // so this is linear in the members however many share a directory.
        let mut children: HashMap<PathBuf, Vec<OsString>> = HashMap::new();
        let names: Vec<PathBuf> = members.keys().cloned().collect();
        for name in names {
            let mut child = name;
            while let (Some(parent), Some(base)) = (child.parent(), child.file_name()) {
                let parent = parent.to_path_buf();
                children
                    .entry(parent.clone())
                    .or_default()
                    .push(base.to_os_string());
                if parent.as_os_str().is_empty() || members.contains_key(&parent) {
                    break;
                }
                members.insert(parent.clone(), Member::Dir);
                child = parent;
            }
        }
        for list in children.values_mut() {
            // A directory both named by a member and implied by another's is listed twice.
            list.sort_unstable();
            list.dedup();
        }
        Ok(TarImage { members, children })
    }

    fn kind(&self, inside: &Path) -> io::Result<Kind> {
        if inside.as_os_str().is_empty() {
            return Ok(Kind::Dir);
        }
        match self.members.get(inside) {
            Some(Member::Dir) => Ok(Kind::Dir),
            Some(Member::File { .. } | Member::HardLink(_)) => Ok(Kind::File),
            Some(Member::Symlink(_)) => Ok(Kind::Symlink),
            Some(Member::Other) => Ok(Kind::Other),
            None => {
                // A missing name under a file is "not a directory", as the kernel says.
                let parent_is_file = inside.parent().is_some_and(|p| {
                    matches!(
                        self.members.get(p),
                        Some(Member::File { .. } | Member::HardLink(_))
                    )
                });
                Err(io::Error::from(if parent_is_file {
                    io::ErrorKind::NotADirectory
                } else {
                    io::ErrorKind::NotFound
                }))
            }
        }
    }

    fn link_target(&self, inside: &Path) -> Option<PathBuf> {
        match self.members.get(inside) {
            Some(Member::Symlink(target)) => Some(target.clone()),
            _ => None,
        }
    }

    fn children(&self, inside: &Path) -> Vec<OsString> {
        self.children.get(inside).cloned().unwrap_or_default()
    }

    /// The bytes of a resolved regular file (hard links followed by member name).
    fn mtime(&self, inside: &Path) -> Option<i64> {
        let mut name = inside.to_path_buf();
        for _ in 0..MAX_LINKS {
            match self.members.get(&name)? {
                Member::File { mtime, .. } => return *mtime,
                Member::HardLink(target) => name = target.clone(),
                _ => return None,
            }
        }
        None
    }

    fn file(&self, inside: &Path, archive: &Path, limit: u64) -> Result<Vec<u8>, RootFsError> {
        let mut shown = archive.as_os_str().to_os_string();
        shown.push("!/");
        shown.push(inside);
        let shown = PathBuf::from(shown);
        let mut name = inside.to_path_buf();
        for _ in 0..MAX_LINKS {
            match self.members.get(&name) {
                Some(Member::File { size, .. }) if *size > limit => {
                    return Err(RootFsError::TooLarge {
                        path: shown,
                        size: *size,
                        limit,
                    })
                }
                Some(Member::File {
                    data: Some(data), ..
                }) => return Ok(data.clone()),
                Some(Member::File {
                    index, data: None, ..
                }) => {
                    return self.second_pass(*index, archive, &shown, limit);
                }
                Some(Member::HardLink(target)) => name = target.clone(),
                _ => break,
            }
        }
        Err(RootFsError::NotRegular {
            path: shown,
            kind: "member that is not a regular file",
        })
    }

    /// Reads member number `wanted` (whose size the caller has checked) by passing over the
    /// archive again.
    fn second_pass(
        &self,
        wanted: usize,
        archive: &Path,
        shown: &Path,
        limit: u64,
    ) -> Result<Vec<u8>, RootFsError> {
        let mut tar = Self::open(archive)?;
        let entries = tar.entries().map_err(|e| Self::broken(archive, e))?;
        for (index, entry) in entries.enumerate() {
            let mut entry = entry.map_err(|e| Self::broken(archive, e))?;
            if index == wanted {
                let mut buf = Vec::new();
                (&mut entry)
                    .take(limit.saturating_add(1))
                    .read_to_end(&mut buf)
                    .map_err(|e| Self::broken(archive, e))?;
                if buf.len() as u64 > limit {
                    return Err(RootFsError::TooLarge {
                        path: shown.to_path_buf(),
                        size: entry.size(),
                        limit,
                    });
                }
                return Ok(buf);
            }
        }
        Err(Self::broken(
            archive,
            "the archive changed while it was read",
        ))
    }
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

    /// Archives made with the `tar` crate's writer; `tests/fleet.rs` also reads
    /// archives GNU tar wrote.
    mod archive {
        use super::super::*;
        use std::io::Write;

        enum M<'a> {
            Dir(&'a str),
            File(&'a str, &'a [u8]),
            Link(&'a str, &'a str),
            Hard(&'a str, &'a str),
        }

        fn header(kind: tar::EntryType, size: u64) -> tar::Header {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(kind);
            h.set_size(size);
            h.set_mode(0o755);
            h
        }

        /// Writes members; names are written raw so `..` and `/` prefixes survive.
        fn make(members: &[M<'_>]) -> Vec<u8> {
            let mut b = tar::Builder::new(Vec::new());
            for m in members {
                match m {
                    M::Dir(name) => {
                        let mut h = header(tar::EntryType::Directory, 0);
                        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
                        h.set_cksum();
                        b.append(&h, &[][..]).unwrap();
                    }
                    M::File(name, data) => {
                        let mut h = header(tar::EntryType::Regular, data.len() as u64);
                        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
                        h.set_cksum();
                        b.append(&h, *data).unwrap();
                    }
                    M::Link(name, target) | M::Hard(name, target) => {
                        let kind = if matches!(m, M::Link(..)) {
                            tar::EntryType::Symlink
                        } else {
                            tar::EntryType::Link
                        };
                        let mut h = header(kind, 0);
                        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
                        h.set_link_name(target).unwrap();
                        h.set_cksum();
                        b.append(&h, &[][..]).unwrap();
                    }
                }
            }
            b.into_inner().unwrap()
        }

        /// What these tests' scans read, as the host layer's list says (kept in memory).
        fn kept(name: &Path) -> bool {
            let dir = name.parent().unwrap_or(Path::new(""));
            ["etc/os-release", "var/lib/dpkg/status"]
                .iter()
                .any(|k| name == Path::new(k))
                || dir == Path::new("usr/lib/sysimage/rpm")
                || dir == Path::new("etc/dnf/modules.d")
        }

        fn open(bytes: &[u8]) -> (tempfile::TempDir, RootFs) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("image.tar");
            std::fs::write(&path, bytes).unwrap();
            let root = RootFs::from_tar(&path, kept).unwrap();
            (dir, root)
        }

        fn base() -> Vec<M<'static>> {
            vec![
                M::Dir("./"),
                M::Dir("./etc/"),
                M::File("./etc/os-release", b"ID=image\n"),
                M::File("./etc/motd", b"welcome\n"),
                M::Dir("./usr/lib/sysimage/rpm/"),
                M::File("./usr/lib/sysimage/rpm/rpmdb.sqlite", b"db"),
                M::Dir("./var/lib/"),
            ]
        }

        fn text(root: &RootFs, rel: &str) -> String {
            root.read_to_string(rel).unwrap().1
        }

        #[test]
        fn absolute_link_is_rerooted() {
            let mut m = base();
            m.push(M::Link("./var/lib/rpm", "/usr/lib/sysimage/rpm"));
            let (_d, root) = open(&make(&m));
            assert_eq!(text(&root, "var/lib/rpm/rpmdb.sqlite"), "db");
            let shown = root.resolve("/var/lib/rpm/rpmdb.sqlite").unwrap();
            assert!(
                shown
                    .to_string_lossy()
                    .ends_with("image.tar!/usr/lib/sysimage/rpm/rpmdb.sqlite"),
                "{}",
                shown.display()
            );
        }

        #[test]
        fn relative_dotdot_link() {
            let mut m = base();
            m.push(M::Link("./var/lib/rpm", "../../usr/lib/sysimage/rpm"));
            let (_d, root) = open(&make(&m));
            assert_eq!(text(&root, "/var/lib/rpm/rpmdb.sqlite"), "db");
        }

        #[test]
        fn link_in_an_intermediate_directory() {
            let mut m = base();
            m.push(M::Link("./usr/lib64", "lib"));
            let (_d, root) = open(&make(&m));
            assert_eq!(text(&root, "usr/lib64/sysimage/rpm/rpmdb.sqlite"), "db");
            assert!(root.is_dir("usr/lib64/sysimage"));
        }

        #[test]
        fn escaping_links_stay_inside() {
            let mut m = base();
            m.push(M::Link("./var/lib/rpm", "/etc"));
            m.push(M::Link("./var/up", "../../../../../../etc/os-release"));
            let (_d, root) = open(&make(&m));
            // The image's /etc, never the scanner's: its passwd is not found.
            assert!(matches!(
                root.read("var/lib/rpm/passwd"),
                Err(RootFsError::NotFound { .. })
            ));
            assert_eq!(text(&root, "var/lib/rpm/os-release"), "ID=image\n");
            assert_eq!(text(&root, "var/up"), "ID=image\n");
        }

        #[test]
        fn dotdot_members_are_skipped() {
            let mut m = base();
            m.push(M::File("../../etc/shadow", b"outside"));
            m.push(M::File("etc/../../etc/os-release", b"ID=evil\n"));
            m.push(M::File("/etc/hostname", b"abs-name\n"));
            let (_d, root) = open(&make(&m));
            assert!(!root.is_file("etc/shadow"));
            assert!(!root.is_file("shadow"));
            assert_eq!(
                text(&root, "etc/os-release"),
                "ID=image\n",
                "no override via .."
            );
            assert_eq!(
                text(&root, "etc/hostname"),
                "abs-name\n",
                "leading / dropped"
            );
        }

        #[test]
        fn hard_links_unusual_names_second_pass_and_dirs() {
            let mut m = base();
            m.push(M::Hard("./etc/os-release.bak", "./etc/os-release"));
            m.push(M::Link("./etc/greeting", "motd"));
            m.push(M::Dir("./etc/dnf/modules.d/"));
            m.push(M::File("./etc/dnf/modules.d/nodejs.module", b"[nodejs]\n"));
            m.push(M::File("./etc/dnf/modules.d/README", b"x"));
            let (_d, root) = open(&make(&m));
            assert_eq!(text(&root, "etc/os-release.bak"), "ID=image\n");
            // motd is not kept by the first pass: read by a second one.
            assert_eq!(text(&root, "etc/greeting"), "welcome\n");
            let (_, names) = root.read_dir("etc/dnf/modules.d").unwrap();
            assert_eq!(
                names,
                vec![OsString::from("README"), OsString::from("nodejs.module")]
            );
            assert!(matches!(
                root.read("etc/os-release/x"),
                Err(RootFsError::NotADirectory { .. })
            ));
        }

        #[test]
        fn loops_are_errors() {
            let mut m = base();
            m.push(M::Link("./var/a", "b"));
            m.push(M::Link("./var/b", "/var/a"));
            let (_d, root) = open(&make(&m));
            assert!(matches!(root.read("var/a"), Err(RootFsError::Loop { .. })));
        }

        #[test]
        fn compressed_archives_are_read_by_content() {
            let tar = make(&base());
            let dir = tempfile::tempdir().unwrap();
            let gz = dir.path().join("image.tar.gz");
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(&tar).unwrap();
            std::fs::write(&gz, enc.finish().unwrap()).unwrap();
            let zst = dir.path().join("image.tar.zst");
            std::fs::write(&zst, zstd::encode_all(&tar[..], 3).unwrap()).unwrap();
            for path in [gz, zst] {
                let root = RootFs::from_tar(&path, kept).unwrap();
                assert_eq!(text(&root, "etc/os-release"), "ID=image\n");
            }
        }

        #[test]
        fn not_an_archive_is_an_error_naming_it() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("junk.tar");
            std::fs::write(&path, b"this is not a tar archive, just some text\n").unwrap();
            let err = RootFs::from_tar(&path, kept).unwrap_err();
            assert!(err.to_string().contains("junk.tar"), "{err}");
        }

        /// Only the files a scan reads are kept by the first pass, by their place in the
        /// root: a `status` or `Packages` elsewhere (say a 40 MB one under `opt/`) was kept in
        /// memory too. Those are still read, by a second pass, when something leads to them.
        #[test]
        fn only_the_files_the_caller_names_are_kept() {
            let big = vec![b'x'; 1 << 20];
            let mut m = base();
            m.push(M::File("./var/lib/dpkg/status", b"Package: a\n"));
            m.push(M::File("./opt/app/status", &big));
            m.push(M::File("./srv/mirror/Packages", &big));
            m.push(M::File("./etc/dnf/modules.d/nodejs.module", b"[nodejs]\n"));
            m.push(M::Link("./var/lib/status-link", "/opt/app/status"));
            let (_d, root) = open(&make(&m));
            let Backend::Tar(image) = &root.backend else {
                panic!("a tar root")
            };
            let kept = |name: &str| {
                matches!(
                    image.members.get(Path::new(name)),
                    Some(Member::File { data: Some(_), .. })
                )
            };
            for name in [
                "etc/os-release",
                "usr/lib/sysimage/rpm/rpmdb.sqlite",
                "var/lib/dpkg/status",
                "etc/dnf/modules.d/nodejs.module",
            ] {
                assert!(kept(name), "{name} kept");
            }
            for name in ["opt/app/status", "srv/mirror/Packages", "etc/motd"] {
                assert!(!kept(name), "{name} not kept");
            }
            assert_eq!(root.read("var/lib/status-link").unwrap().1.len(), 1 << 20);
            // The limit holds on the second pass too.
            let err = root.read_limited("opt/app/status", 1000).unwrap_err();
            assert!(
                matches!(
                    err,
                    RootFsError::TooLarge {
                        size: 1_048_576,
                        limit: 1000,
                        ..
                    }
                ),
                "{err}"
            );
        }

        /// Indexing N members of one directory took O(N²) (each name was looked up in a
        /// list of its siblings); 200,000 took minutes.
        #[test]
        fn many_members_in_one_directory_index_in_linear_time() {
            let mut b = tar::Builder::new(Vec::new());
            let mut h = header(tar::EntryType::Regular, 5);
            h.set_path("etc/os-release").unwrap();
            h.set_cksum();
            b.append(&h, &b"ID=x\n"[..]).unwrap();
            for i in 0..200_000 {
                let mut h = header(tar::EntryType::Regular, 0);
                h.set_path(format!("usr/share/many/f{i:06}")).unwrap();
                h.set_cksum();
                b.append(&h, &[][..]).unwrap();
            }
            let bytes = b.into_inner().unwrap();
            let started = std::time::Instant::now();
            let (_d, root) = open(&bytes);
            let (_, names) = root.read_dir("usr/share/many").unwrap();
            assert_eq!(names.len(), 200_000);
            assert_eq!(names[0], "f000000");
            assert!(
                started.elapsed().as_secs() < 60,
                "{:?} to index 200,000 members",
                started.elapsed()
            );
        }
    }
}
