//! Byte sources under a file system: an image file read with positioned reads, and windows
//! (a partition, a logical volume) onto another source. Every read is bounded by its source's
//! size, so a table or a file system that points past the end is an error, never a read of
//! something else; the bytes taken from the image file are counted.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Something bytes are read from at an offset.
pub trait Blocks: Send + Sync {
    /// The size in bytes.
    fn size(&self) -> u64;
    /// Fills `buf` from `offset`; reading past the end is an `UnexpectedEof` error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
}

/// A shared byte source.
pub type Source = Arc<dyn Blocks>;

/// The error for a read past the end of a source.
fn past_end(offset: u64, len: usize, size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("a read of {len} bytes at byte {offset} goes past the end ({size} bytes): the image is truncated or its tables point outside it"),
    )
}

/// Bytes read from every image file this process opened.
static READ_IN_PROCESS: AtomicU64 = AtomicU64::new(0);

/// The bytes this process has read from image files (all of them, backing files included).
pub fn bytes_read_in_process() -> u64 {
    READ_IN_PROCESS.load(Ordering::Relaxed)
}

/// Whether `len` bytes at `offset` lie inside a source of `size` bytes (an `UnexpectedEof`
/// error saying so when not).
pub(crate) fn within(offset: u64, len: usize, size: u64) -> io::Result<()> {
    match offset.checked_add(len as u64) {
        Some(end) if end <= size => Ok(()),
        _ => Err(past_end(offset, len, size)),
    }
}

/// An image file, read in place with `pread`; counts the bytes it hands out.
pub struct ImageFile {
    file: File,
    size: u64,
    path: PathBuf,
    read: AtomicU64,
}

impl ImageFile {
    /// Opens a regular file (or a block device) read-only.
    pub fn open(path: &Path) -> io::Result<Self> {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        // O_NONBLOCK: a FIFO named as an image must not block the open; its type is refused
        // below.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)?;
        let meta = file.metadata()?;
        let t = meta.file_type();
        let size = if t.is_file() {
            meta.len()
        } else if t.is_block_device() {
            use std::io::Seek;
            (&file).seek(io::SeekFrom::End(0))?
        } else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file or a block device",
            ));
        };
        Ok(ImageFile {
            file,
            size,
            path: path.to_path_buf(),
            read: AtomicU64::new(0),
        })
    }

    /// The bytes read from the file so far.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Blocks for ImageFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        within(offset, buf.len(), self.size)?;
        self.file.read_exact_at(buf, offset)?;
        self.read.fetch_add(buf.len() as u64, Ordering::Relaxed);
        READ_IN_PROCESS.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// `len` bytes of another source from `start`: a partition or a logical volume.
pub struct Window {
    inner: Source,
    start: u64,
    len: u64,
}

impl Window {
    /// The window, which must lie inside `inner`.
    pub fn new(inner: Source, start: u64, len: u64) -> io::Result<Self> {
        if start.checked_add(len).is_none_or(|end| end > inner.size()) {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "bytes {start}..{} lie past the end of the disk ({} bytes)",
                    start.saturating_add(len),
                    inner.size()
                ),
            ));
        }
        Ok(Window { inner, start, len })
    }
}

impl Blocks for Window {
    fn size(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        within(offset, buf.len(), self.len)?;
        self.inner.read_at(self.start + offset, buf)
    }
}

/// A source as `Read + Seek`, for the partition-table crates.
pub(crate) struct Cursor<'a> {
    source: &'a dyn Blocks,
    pos: u64,
    /// Reads left before the table is judged hostile (an EBR chain of a million links).
    budget: u32,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(source: &'a dyn Blocks, budget: u32) -> Self {
        Cursor {
            source,
            pos: 0,
            budget,
        }
    }
}

impl io::Read for Cursor<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget == 0 {
            return Err(io::Error::other("too many reads for a partition table"));
        }
        self.budget -= 1;
        let left = self.source.size().saturating_sub(self.pos);
        let n = (buf.len() as u64).min(left) as usize;
        self.source.read_at(self.pos, &mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl io::Seek for Cursor<'_> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let size = self.source.size() as i128;
        let pos = match to {
            io::SeekFrom::Start(n) => n as i128,
            io::SeekFrom::End(d) => size + d as i128,
            io::SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if !(0..=u64::MAX as i128).contains(&pos) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek out of range",
            ));
        }
        self.pos = pos as u64;
        Ok(self.pos)
    }
}

/// Big-endian and little-endian integers out of a byte slice, `None` past its end.
pub(crate) mod bytes {
    pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
        Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
    }
    pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    }
    pub(crate) fn be64(b: &[u8], at: usize) -> Option<u64> {
        Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
    }
    pub(crate) fn le32(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
    }
    pub(crate) fn le64(b: &[u8], at: usize) -> Option<u64> {
        Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
    }
}
