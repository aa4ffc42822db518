//! What a file system reader gives the layers above: a path's type, size and time, a link's
//! target, a directory's names and a file's bytes. Paths are relative to the file system's
//! root and already resolved (links are followed above, by [`crate::files::rootfs`]).

use std::path::Path;

/// What one path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Dir,
    File,
    Symlink,
    Other,
}

/// A path's type, size and modification time.
#[derive(Debug, Clone, Copy)]
pub struct Stat {
    pub kind: NodeKind,
    pub size: u64,
    pub mtime: Option<i64>,
}

/// Why a path of a file system could not be read.
#[derive(Debug)]
pub enum FsError {
    /// No such entry.
    NotFound,
    /// A component that must be a directory is not one.
    NotADirectory,
    /// The file is larger than the caller's limit.
    TooLarge(u64),
    /// The file system's structures are damaged: what and where.
    Corrupt(String),
    /// The image could not be read.
    Io(std::io::Error),
}

impl From<std::io::Error> for FsError {
    fn from(e: std::io::Error) -> Self {
        FsError::Io(e)
    }
}

/// A file system read in place.
pub trait FileSystem {
    /// `xfs`, `ext4`, …
    fn kind(&self) -> &'static str;
    /// The volume label, empty when there is none.
    fn label(&self) -> String;
    /// The volume UUID in its usual text form.
    fn uuid(&self) -> String;
    /// The path without following a final link.
    fn lstat(&self, path: &Path) -> Result<Stat, FsError>;
    /// A link's target.
    fn read_link(&self, path: &Path) -> Result<Vec<u8>, FsError>;
    /// A directory's names, `.` and `..` left out.
    fn read_dir(&self, path: &Path) -> Result<Vec<Vec<u8>>, FsError>;
    /// A regular file's bytes, at most `limit` of them ([`FsError::TooLarge`] otherwise).
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, FsError>;
}

/// A UUID's 16 bytes in the usual 8-4-4-4-12 form.
pub fn uuid_text(b: &[u8; 16]) -> String {
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
