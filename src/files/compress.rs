//! Transparent decompression of repository metadata files.
//!
//! Mirrors name files inconsistently (`primary.xml.gz` that is really zstd, `.sqlite.bz2`,
//! apt's `.lz4` lists), so the format is detected from the magic bytes at the start of the
//! file, never from its name. Unrecognised data passes through unchanged: callers decide
//! whether it is what they expected (XML readers check for `<`).

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::files::rootfs::{self, RootFsError};

/// Read buffer for the compressed side; large enough that one `fill_buf` sees every magic.
const READ_BUFFER: usize = 64 * 1024;

/// The most bytes one metadata file may decompress to (and a plain one may hold): 4 GiB, about
/// ten times the largest real file (a full-history RHEL `primary.xml` is some 400 MB, Debian's
/// largest `Packages` under 100 MB). Past it the read fails with a named error instead of
/// growing memory to the size of a decompression bomb.
pub const MAX_METADATA_BYTES: u64 = 4 << 30;

/// The environment variable that sets another limit (in bytes) than [`MAX_METADATA_BYTES`].
pub const MAX_METADATA_BYTES_VAR: &str = "PATCHSCAN_MAX_METADATA_BYTES";

/// The limit in force: [`MAX_METADATA_BYTES_VAR`] when set to a number, else
/// [`MAX_METADATA_BYTES`]. Read once per process.
pub fn metadata_limit() -> u64 {
    static LIMIT: OnceLock<u64> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var(MAX_METADATA_BYTES_VAR)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(MAX_METADATA_BYTES)
    })
}

/// A compression format, as recognised by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// No recognised compression: the bytes are passed through.
    Plain,
    /// gzip (RFC 1952), any number of concatenated members.
    Gzip,
    /// xz, any number of concatenated streams.
    Xz,
    /// Zstandard, any number of frames.
    Zstd,
    /// bzip2, any number of concatenated streams.
    Bzip2,
    /// LZ4 frame format (not the legacy format).
    Lz4,
}

impl Compression {
    /// Recognises a format from the first bytes of a file (at least 6 for xz).
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(b"BZh") {
            Compression::Bzip2
        } else if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
            Compression::Lz4
        } else {
            Compression::Plain
        }
    }

    /// Short lower-case name, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Plain => "plain",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Lz4 => "lz4",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a metadata file could not be opened for reading.
#[derive(Debug, thiserror::Error)]
pub enum CompressError {
    /// The file is not a regular file, is larger than the limit, or could not be opened.
    #[error(transparent)]
    File(#[from] RootFsError),
    /// The file's first bytes could not be read.
    #[error("{path}: cannot read: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The decoder for a recognised format refused to start (e.g. a corrupt zstd header).
    #[error("{path}: cannot start the {format} decoder: {source}")]
    Decoder {
        /// The file.
        path: PathBuf,
        /// The detected format.
        format: Compression,
        /// What the decoder said.
        #[source]
        source: io::Error,
    },
    /// A compression format we recognise but do not read (`.Z`, lzip, legacy lz4, zip, 7z).
    #[error("{path}: compressed with {format}, which is not supported")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The format's name.
        format: &'static str,
    },
}

/// Formats recognised only to give a clear error instead of feeding binary to a parser.
fn unsupported_format(head: &[u8]) -> Option<&'static str> {
    const KNOWN: &[(&[u8], &str)] = &[
        (&[0x1f, 0x9d], "Unix compress (.Z)"),
        (b"LZIP", "lzip"),
        (&[0x02, 0x21, 0x4c, 0x18], "legacy lz4"),
        (&[0x89, b'L', b'Z', b'O'], "lzop"),
        (b"PK\x03\x04", "zip"),
        (&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c], "7z"),
    ];
    KNOWN
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, name)| *name)
}

/// Opens the metadata file `path` and returns a reader of its decompressed content, which
/// fails past [`metadata_limit`] bytes.
pub fn open(path: &Path) -> Result<Box<dyn Read + Send>, CompressError> {
    open_detected(path).map(|(_, reader)| reader)
}

/// Like [`open`], also saying which format was detected.
///
/// Only a regular file is opened (a FIFO or a device is an error, never a wait or an endless
/// read). Errors met while reading later (truncated or corrupt data, the size limit) come out
/// of the reader as `io::Error`s whose message names the format or the limit; the caller adds
/// the path.
pub fn open_detected(path: &Path) -> Result<(Compression, Box<dyn Read + Send>), CompressError> {
    open_capped(path, metadata_limit())
}

fn open_capped(
    path: &Path,
    limit: u64,
) -> Result<(Compression, Box<dyn Read + Send>), CompressError> {
    let (format, reader) = open_limited(path, limit)?;
    Ok((
        format,
        Box::new(Capped {
            inner: reader,
            left: limit,
            limit,
        }),
    ))
}

/// Opens a file of any size for a reader that bounds what it keeps itself (a tar archive of a
/// whole root is larger than any metadata file).
pub fn open_unbounded(path: &Path) -> Result<Box<dyn Read + Send>, CompressError> {
    open_limited(path, u64::MAX).map(|(_, reader)| reader)
}

fn open_limited(
    path: &Path,
    limit: u64,
) -> Result<(Compression, Box<dyn Read + Send>), CompressError> {
    let open_err = |source| CompressError::Open {
        path: path.to_path_buf(),
        source,
    };
    let (file, _) = rootfs::open_regular(path, limit).map_err(|e| match e {
        RootFsError::Io { path, source } => CompressError::Open { path, source },
        other => CompressError::File(other),
    })?;
    let mut input = BufReader::with_capacity(READ_BUFFER, file);
    let head = input.fill_buf().map_err(open_err)?;
    let format = Compression::detect(head);
    if format == Compression::Plain {
        if let Some(name) = unsupported_format(head) {
            return Err(CompressError::Unsupported {
                path: path.to_path_buf(),
                format: name,
            });
        }
    }
    let reader: Box<dyn Read + Send> = match format {
        Compression::Plain => Box::new(input),
        Compression::Gzip => Box::new(Decoding::new(
            flate2::bufread::MultiGzDecoder::new(input),
            format,
        )),
        Compression::Xz => Box::new(Decoding::new(
            liblzma::bufread::XzDecoder::new_multi_decoder(input),
            format,
        )),
        Compression::Zstd => {
            let decoder = zstd::stream::read::Decoder::with_buffer(input).map_err(|source| {
                CompressError::Decoder {
                    path: path.to_path_buf(),
                    format,
                    source,
                }
            })?;
            Box::new(Decoding::new(decoder, format))
        }
        Compression::Bzip2 => Box::new(Decoding::new(
            bzip2::bufread::MultiBzDecoder::new(input),
            format,
        )),
        Compression::Lz4 => Box::new(Decoding::new(
            Lz4Frames(lz4_flex::frame::FrameDecoder::new(input)),
            format,
        )),
    };
    Ok((format, reader))
}

/// lz4 frames one after another, as the `lz4` tool writes and reads them: `FrameDecoder`
/// alone stops at the end of the first frame.
struct Lz4Frames<R: BufRead>(lz4_flex::frame::FrameDecoder<R>);

impl<R: BufRead> Read for Lz4Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.0.read(buf)?;
            if n > 0 || buf.is_empty() || self.0.get_mut().fill_buf()?.is_empty() {
                return Ok(n);
            }
        }
    }
}

/// A reader that fails once more than `limit` bytes have come out of it.
struct Capped {
    inner: Box<dyn Read + Send>,
    left: u64,
    limit: u64,
}

impl Read for Capped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "more than {} bytes of content, the limit for one metadata file \
                     (a decompression bomb or a damaged file; {MAX_METADATA_BYTES_VAR} sets \
                     another limit)",
                    self.limit
                ),
            )),
        }
    }
}

/// A decoder whose errors say which format failed, so "unexpected end of file" from deep
/// inside a parser reads as "gzip data is truncated or corrupt".
struct Decoding<R> {
    inner: R,
    format: Compression,
}

impl<R> Decoding<R> {
    fn new(inner: R, format: Compression) -> Self {
        Decoding { inner, format }
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                return e;
            }
            io::Error::new(
                e.kind(),
                format!("{} data is truncated or corrupt: {e}", self.format),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TEXT: &[u8] = b"<?xml version=\"1.0\"?>\n<updates>hello, world</updates>\n";

    fn compressed(format: Compression, data: &[u8]) -> Vec<u8> {
        match format {
            Compression::Plain => data.to_vec(),
            Compression::Gzip => {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Zstd => zstd::encode_all(data, 3).unwrap(),
            Compression::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Lz4 => {
                let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
        }
    }

    const ALL: [Compression; 6] = [
        Compression::Plain,
        Compression::Gzip,
        Compression::Xz,
        Compression::Zstd,
        Compression::Bzip2,
        Compression::Lz4,
    ];

    fn read_all(path: &Path) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        open(path)
            .map_err(io::Error::other)?
            .read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn every_format_round_trips_and_concatenated_members_are_all_read() {
        let dir = tempfile::tempdir().unwrap();
        for format in ALL {
            // A misleading name: detection must not look at it.
            let path = dir.path().join(format!("{}.xml.gz", format.name()));
            let mut bytes = compressed(format, TEXT);
            bytes.extend(compressed(format, TEXT));
            std::fs::write(&path, &bytes).unwrap();
            let (detected, _) = open_detected(&path).unwrap();
            assert_eq!(detected, format);
            assert_eq!(read_all(&path).unwrap(), [TEXT, TEXT].concat(), "{format}");
        }
    }

    #[test]
    fn truncated_data_is_an_error_naming_the_format() {
        let dir = tempfile::tempdir().unwrap();
        let long: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("<p n=\"{i}\"/>\n").into_bytes())
            .collect();
        for format in ALL.into_iter().skip(1) {
            let bytes = compressed(format, &long);
            let path = dir.path().join(format.name());
            std::fs::write(&path, &bytes[..bytes.len() * 2 / 3]).unwrap();
            let err = read_all(&path).expect_err(format.name());
            assert!(err.to_string().contains(format.name()), "{format}: {err}");
        }
    }

    #[test]
    fn content_past_the_limit_is_an_error_in_every_format() {
        let dir = tempfile::tempdir().unwrap();
        let long: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("<p n=\"{i}\"/>\n").into_bytes())
            .collect();
        let size = long.len() as u64;
        for format in ALL {
            let path = dir.path().join(format.name());
            std::fs::write(&path, compressed(format, &long)).unwrap();
            let mut out = Vec::new();
            open_capped(&path, size)
                .unwrap()
                .1
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, long, "{format}: exactly the limit is read");
            let err = match open_capped(&path, size - 1) {
                // A plain file is measured before it is read.
                Err(e) => {
                    assert_eq!(format, Compression::Plain);
                    e.to_string()
                }
                Ok((_, mut reader)) => {
                    let e = reader.read_to_end(&mut Vec::new()).unwrap_err();
                    assert_eq!(e.kind(), io::ErrorKind::FileTooLarge, "{format}");
                    e.to_string()
                }
            };
            assert!(err.contains(&(size - 1).to_string()), "{format}: {err}");
        }
    }

    #[test]
    fn unsupported_compression_is_refused_and_missing_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("updateinfo.xml");
        std::fs::write(&path, b"LZIP\x01rest").unwrap();
        let err = open(&path).err().unwrap();
        assert!(matches!(
            err,
            CompressError::Unsupported { format: "lzip", .. }
        ));
        assert!(err.to_string().contains("updateinfo.xml"));
        let missing = dir.path().join("nope.xml");
        let err = open(&missing).err().unwrap();
        assert!(err.to_string().contains("nope.xml"), "{err}");
    }
}
