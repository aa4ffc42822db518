//! ext2/3/4 through the `ext4-view` crate: extents and block maps, htree directories,
//! 64-bit, metadata checksums, and a journal that was not cleanly unmounted replayed in
//! memory (the crate reads the journal when it loads). This module adapts it to
//! [`FileSystem`] and the image's byte sources.

use std::path::Path;

use ext4_view::{Ext4, Ext4Error, Ext4Read};

use super::block::Source;
use super::fs::{FileSystem, FsError, NodeKind, Stat};

/// The ext2/3/4 superblock magic (0xEF53, little-endian at byte 1080).
pub fn probe(head: &[u8]) -> bool {
    head.get(1080..1082) == Some(&[0x53, 0xef])
}

struct Reader(Source);

impl Ext4Read for Reader {
    fn read(
        &mut self,
        start_byte: u64,
        dst: &mut [u8],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync + 'static>> {
        self.0.read_at(start_byte, dst).map_err(Into::into)
    }
}

/// An ext2/3/4 file system.
pub struct Ext4Fs {
    fs: Ext4,
}

fn map_err(e: Ext4Error) -> FsError {
    match e {
        Ext4Error::NotFound => FsError::NotFound,
        Ext4Error::NotADirectory => FsError::NotADirectory,
        Ext4Error::Io(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => FsError::Io(*io),
            Err(other) => FsError::Corrupt(other.to_string()),
        },
        Ext4Error::Incompatible(i) if i.to_string().contains("journal") => {
            FsError::Corrupt(format!(
                "{i}: the journal holds transactions not yet replayed, written without checksums \
             (journal_checksum_v3), which this reader does not replay; replay them on a copy \
             with `e2fsck -E journal_only` (or `debugfs -w -R jr`)"
            ))
        }
        other => FsError::Corrupt(other.to_string()),
    }
}

/// The absolute byte path ext4-view takes.
fn abs(path: &Path) -> Vec<u8> {
    let mut out = b"/".to_vec();
    out.extend_from_slice(
        path.as_os_str()
            .as_encoded_bytes()
            .strip_prefix(b"/")
            .unwrap_or(path.as_os_str().as_encoded_bytes()),
    );
    if out.len() > 1 && out.ends_with(b"/") {
        out.pop();
    }
    out
}

/// The crate's path type, without its panic on a NUL byte or an over-long component.
fn ep(p: &[u8]) -> Result<ext4_view::Path<'_>, FsError> {
    ext4_view::Path::try_from(p).map_err(|_| FsError::NotFound)
}

impl Ext4Fs {
    /// Loads the superblock, group descriptors and journal.
    pub fn open(dev: Source) -> Result<Self, FsError> {
        Ok(Ext4Fs {
            fs: Ext4::load(Box::new(Reader(dev))).map_err(map_err)?,
        })
    }
}

impl FileSystem for Ext4Fs {
    fn kind(&self) -> &'static str {
        "ext4"
    }

    fn label(&self) -> String {
        self.fs.label().to_str().unwrap_or("").to_string()
    }

    fn uuid(&self) -> String {
        self.fs.uuid().to_string()
    }

    fn lstat(&self, path: &Path) -> Result<Stat, FsError> {
        let p = abs(path);
        let meta = self.fs.symlink_metadata(ep(&p)?).map_err(map_err)?;
        let t = meta.file_type();
        let kind = if t.is_dir() {
            NodeKind::Dir
        } else if t.is_symlink() {
            NodeKind::Symlink
        } else if t.is_regular_file() {
            NodeKind::File
        } else {
            NodeKind::Other
        };
        Ok(Stat {
            kind,
            size: meta.len(),
            mtime: Some(meta.modified().seconds()),
        })
    }

    fn read_link(&self, path: &Path) -> Result<Vec<u8>, FsError> {
        let p = abs(path);
        let target = self.fs.read_link(ep(&p)?).map_err(map_err)?;
        Ok(target.as_ref().to_vec())
    }

    fn read_dir(&self, path: &Path) -> Result<Vec<Vec<u8>>, FsError> {
        let p = abs(path);
        let mut names = Vec::new();
        for entry in self.fs.read_dir(ep(&p)?).map_err(map_err)? {
            let entry = entry.map_err(map_err)?;
            let name = entry.file_name();
            let name = name.as_ref();
            if name != b"." && name != b".." {
                names.push(name.to_vec());
            }
        }
        Ok(names)
    }

    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, FsError> {
        let p = abs(path);
        let meta = self.fs.symlink_metadata(ep(&p)?).map_err(map_err)?;
        if !meta.file_type().is_regular_file() {
            return Err(FsError::Corrupt(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        if meta.len() > limit {
            return Err(FsError::TooLarge(meta.len()));
        }
        self.fs.read(ep(&p)?).map_err(map_err)
    }
}
