//! `Packages` indexes: one stanza per available binary package version. Only the fields Patch
//! Manager uses are kept (Package, Version, Architecture, Priority, Section); the rest of each
//! stanza (descriptions, dependencies, checksums: most of the bytes) is skipped by the
//! paragraph reader without decoding.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::AptError;
use crate::deb822::{self, Paragraph, Reader};
use crate::files::compress;
use crate::version::DebVersion;

/// One stanza of a `Packages` file.
#[derive(Debug, Clone)]
pub struct PackageStanza {
    pub name: Box<str>,
    pub version: DebVersion,
    pub arch: Arc<str>,
    pub priority: Option<Arc<str>>,
    pub section: Option<Arc<str>>,
}

/// What a list's decompressed content was, to hold against its Release's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListContent {
    /// Bytes of decompressed content.
    pub size: u64,
    /// SHA-256 of the decompressed content.
    pub sha256: [u8; 32],
}

impl ListContent {
    /// The size and SHA-256 of `data`.
    pub fn of(data: &[u8]) -> Self {
        use sha2::Digest;
        ListContent {
            size: data.len() as u64,
            sha256: sha2::Sha256::digest(data).into(),
        }
    }
}

/// A reader that hashes what passes through it.
struct Digesting<R> {
    inner: R,
    hasher: sha2::Sha256,
    size: u64,
}

impl<R: Read> Read for Digesting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

impl<R> Digesting<R> {
    fn new(inner: R) -> Self {
        use sha2::Digest;
        Digesting {
            inner,
            hasher: sha2::Sha256::new(),
            size: 0,
        }
    }

    fn finish(self) -> ListContent {
        use sha2::Digest;
        ListContent {
            size: self.size,
            sha256: self.hasher.finalize().into(),
        }
    }
}

/// Reads and decompresses a whole file (any format [`compress`] detects).
pub fn read_decompressed(path: &Path) -> Result<Vec<u8>, AptError> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let (format, mut reader) = compress::open_detected(path)?;
    let hint = if format == compress::Compression::Plain {
        size
    } else {
        size.saturating_mul(6)
    };
    let mut out = Vec::with_capacity(usize::try_from(hint.min(1 << 30)).unwrap_or(0));
    reader
        .read_to_end(&mut out)
        .map_err(|source| AptError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(out)
}

/// About how many stanzas a `Packages` file holds, from its size and compression (Debian's
/// average stanza is about 800 bytes), to size maps once instead of growing them.
pub fn estimated_stanzas(path: &Path) -> usize {
    let Ok((mut f, _)) = crate::files::rootfs::open_regular(path, u64::MAX) else {
        return 0;
    };
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = [0u8; 6];
    let n = std::io::Read::read(&mut f, &mut head).unwrap_or(0);
    let ratio = match compress::Compression::detect(&head[..n]) {
        compress::Compression::Plain => 1.0,
        compress::Compression::Lz4 => 2.7,
        compress::Compression::Gzip | compress::Compression::Zstd => 4.5,
        compress::Compression::Xz | compress::Compression::Bzip2 => 5.7,
    };
    (size as f64 * ratio / 800.0) as usize
}

/// Interns the few distinct Architecture/Priority/Section strings of an index. Consecutive
/// stanzas mostly repeat a field's value, so the last value of each field is compared first.
#[derive(Default)]
struct Strings<'a> {
    map: HashMap<&'a [u8], Arc<str>, foldhash::fast::RandomState>,
    last: [Option<(&'a [u8], Arc<str>)>; 3],
}

/// The fields [`Strings`] remembers a last value of.
const ARCH: usize = 0;
const PRIORITY: usize = 1;
const SECTION: usize = 2;

impl<'a> Strings<'a> {
    fn get(&mut self, field: usize, v: &'a [u8]) -> Arc<str> {
        if let Some((bytes, shared)) = &self.last[field] {
            if *bytes == v {
                return shared.clone();
            }
        }
        let shared = self
            .map
            .entry(v)
            .or_insert_with(|| Arc::from(deb822::lossy(v).as_ref()))
            .clone();
        self.last[field] = Some((v, shared.clone()));
        shared
    }
}

/// Chunks of at least this size are parsed in parallel.
const CHUNK: usize = 4 << 20;

/// Splits `data` into about `n` pieces at paragraph boundaries (`\n\n`).
fn split_paragraphs(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = data.len() * k / n;
        if target <= start {
            continue;
        }
        match memchr::memmem::find(&data[target..], b"\n\n") {
            Some(i) => {
                let cut = target + i + 2;
                out.push(&data[start..cut]);
                start = cut;
            }
            None => break,
        }
    }
    out.push(&data[start..]);
    out
}

/// Parses a decompressed `Packages` buffer; errors name `path` and the line.
pub fn parse_packages(data: &[u8], path: &Path) -> Result<Vec<PackageStanza>, AptError> {
    use rayon::prelude::*;
    let pieces = split_paragraphs(data, (data.len() / CHUNK).clamp(1, 8));
    let parsed: Vec<Result<Vec<PackageStanza>, (usize, String)>> = pieces
        .par_iter()
        .map(|p| {
            let mut out = Vec::with_capacity(p.len() / 700);
            parse_piece_into(p, &mut |s| out.push(s)).map(|_| out)
        })
        .collect();
    let mut out = Vec::new();
    for (i, r) in parsed.into_iter().enumerate() {
        match r {
            Ok(v) => {
                if out.is_empty() {
                    out = v;
                } else {
                    out.extend(v);
                }
            }
            Err((line, message)) => {
                // Line numbers are per piece: add the lines of the pieces before it.
                let before: usize = pieces[..i]
                    .iter()
                    .map(|p| memchr::memchr_iter(b'\n', p).count())
                    .sum();
                return Err(AptError::Invalid {
                    path: path.to_path_buf(),
                    line: before + line,
                    message,
                });
            }
        }
    }
    Ok(out)
}

/// Parses one piece, handing each stanza to `sink`; returns the number of lines it held.
fn parse_piece_into(
    data: &[u8],
    sink: &mut dyn FnMut(PackageStanza),
) -> Result<usize, (usize, String)> {
    let mut strings = Strings::default();
    let mut reader =
        Reader::new(data).keep_only(&["Package", "Version", "Architecture", "Priority", "Section"]);
    let mut para = Paragraph::default();
    loop {
        match reader.read_into(&mut para) {
            Ok(true) => {}
            Ok(false) => return Ok(reader.line() - 1),
            Err(e) => return Err((e.line, e.message)),
        }
        let (mut name, mut version, mut arch, mut priority, mut section) =
            (None, None, None, None, None);
        for f in para.fields() {
            let n = f.name();
            // Field names compare case-insensitively; the five we need differ in length or
            // first letter, so a length check first keeps this cheap.
            match n.len() {
                7 if n.eq_ignore_ascii_case(b"Package") => name = Some(f),
                7 if n.eq_ignore_ascii_case(b"Version") => version = Some(f),
                12 if n.eq_ignore_ascii_case(b"Architecture") => arch = Some(f),
                8 if n.eq_ignore_ascii_case(b"Priority") => priority = Some(f.value()),
                7 if n.eq_ignore_ascii_case(b"Section") => section = Some(f.value()),
                _ => {}
            }
        }
        let line = para.line();
        let Some(name) = name else {
            return Err((line, "stanza without a 'Package' field".into()));
        };
        let name_text = std::str::from_utf8(name.value())
            .ok()
            .filter(|n| !n.is_empty() && !n.contains(char::is_whitespace))
            .ok_or_else(|| {
                (
                    name.line(),
                    format!("invalid package name {:?}", deb822::lossy(name.value())),
                )
            })?;
        let Some(version) = version else {
            return Err((
                line,
                format!("package {name_text:?} has no 'Version' field"),
            ));
        };
        let version = std::str::from_utf8(version.value())
            .map_err(|_| (version.line(), "'Version' is not ASCII".to_string()))
            .and_then(|v| {
                DebVersion::parse(v)
                    .map_err(|e| (version.line(), format!("package {name_text:?}: {e}")))
            })?;
        let Some(arch) = arch else {
            return Err((
                line,
                format!("package {name_text:?} has no 'Architecture' field"),
            ));
        };
        sink(PackageStanza {
            name: name_text.into(),
            version,
            arch: strings.get(ARCH, arch.value()),
            priority: priority.map(|p| strings.get(PRIORITY, p)),
            section: section.map(|s| strings.get(SECTION, s)),
        });
    }
}

/// Compressed files larger than this are decompressed on a thread of their own while the
/// calling thread parses the paragraphs already decompressed.
const PIPELINE_ABOVE: u64 = 1 << 20;
/// Size of the pieces handed from the decompressing thread to the parsers.
const STEP: usize = 1 << 20;
/// Threads parsing pieces of one compressed file.
const PARSERS: usize = 2;

/// Reads one `Packages` file (compressed or not).
pub fn read_packages(path: &Path) -> Result<Vec<PackageStanza>, AptError> {
    let mut out = Vec::new();
    read_packages_with(path, &mut |s| out.push(s))?;
    Ok(out)
}

/// Reads one `Packages` file, handing each stanza to `sink` in file order (a large compressed
/// file is parsed while it is still being decompressed), and says what its decompressed
/// content was (hashed as it passes, beside the parsing).
pub fn read_packages_with(
    path: &Path,
    sink: &mut dyn FnMut(PackageStanza),
) -> Result<ListContent, AptError> {
    read_packages_pipelined_above(path, PIPELINE_ABOVE, sink)
}

fn read_packages_pipelined_above(
    path: &Path,
    pipeline_above: u64,
    sink: &mut dyn FnMut(PackageStanza),
) -> Result<ListContent, AptError> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let (format, reader) = compress::open_detected(path)?;
    if format == compress::Compression::Plain || size <= pipeline_above {
        drop(reader);
        let data = read_decompressed(path)?;
        let (content, parsed) =
            rayon::join(|| ListContent::of(&data), || parse_packages(&data, path));
        parsed?.into_iter().for_each(sink);
        return Ok(content);
    }
    // Three stages on threads of their own: decompress into pieces; parse pieces (two
    // threads: parsing is the slow stage); hand the stanzas to `sink` in file order here.
    type Parsed = (usize, Result<(Vec<PackageStanza>, usize), (usize, String)>);
    std::thread::scope(|scope| {
        // A short queue: the decompressor stays a few pieces ahead, so the same few buffers
        // circulate (parsed pieces come back to be refilled: fresh buffers cost page faults).
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Vec<u8>)>(3);
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Parsed>();
        let producer = scope.spawn(move || {
            let mut reader = Digesting::new(reader);
            decompress_pieces(&mut reader, &tx, &back_rx).map(|()| reader.finish())
        });
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for _ in 0..PARSERS {
            let (rx, back_tx, done_tx) = (rx.clone(), back_tx.clone(), done_tx.clone());
            scope.spawn(move || loop {
                let next = match rx.lock() {
                    Ok(r) => r.recv(),
                    Err(_) => return,
                };
                let Ok((seq, piece)) = next else {
                    return;
                };
                let mut out = Vec::with_capacity(piece.len() / 700);
                let parsed = parse_piece_into(&piece, &mut |s| out.push(s)).map(|n| (out, n));
                let _ = back_tx.send(piece);
                if done_tx.send((seq, parsed)).is_err() {
                    return;
                }
            });
        }
        drop((rx, back_tx, done_tx));
        let mut waiting = std::collections::BTreeMap::new();
        let (mut next, mut lines_before) = (0, 0);
        let mut parse_error = None;
        'pieces: for (seq, parsed) in done_rx.iter() {
            waiting.insert(seq, parsed);
            while let Some(parsed) = waiting.remove(&next) {
                next += 1;
                match parsed {
                    Ok((stanzas, lines)) => {
                        stanzas.into_iter().for_each(&mut *sink);
                        lines_before += lines;
                    }
                    Err((line, message)) => {
                        parse_error = Some(AptError::Invalid {
                            path: path.to_path_buf(),
                            line: lines_before + line,
                            message,
                        });
                        break 'pieces;
                    }
                }
            }
        }
        // Dropping the receiver stops the parsers, and so the producer, at their next piece.
        drop(done_rx);
        let produced = producer.join();
        if let Some(e) = parse_error {
            return Err(e);
        }
        match produced {
            Ok(Ok(content)) => Ok(content),
            Ok(Err(source)) => Err(AptError::Read {
                path: path.to_path_buf(),
                source,
            }),
            Err(_) => Err(AptError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::other("the decompressing thread panicked"),
            }),
        }
    })
}

/// Decompresses `reader` into pieces that end at paragraph boundaries.
fn decompress_pieces(
    reader: &mut dyn Read,
    tx: &std::sync::mpsc::SyncSender<(usize, Vec<u8>)>,
    recycled: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(2 * STEP);
    let mut seq = 0;
    loop {
        let start = buf.len();
        buf.resize(start + STEP, 0);
        let mut filled = start;
        while filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(filled);
        if filled == start {
            if !buf.is_empty() {
                let _ = tx.send((seq, buf));
            }
            return Ok(());
        }
        // Hand over everything up to the last blank line; keep the rest.
        let from = start.saturating_sub(1);
        if let Some(i) = memchr::memmem::rfind(&buf[from..], b"\n\n") {
            let cut = from + i + 2;
            let mut rest = recycled.try_recv().unwrap_or_default();
            rest.clear();
            rest.reserve(2 * STEP);
            rest.extend_from_slice(&buf[cut..]);
            buf.truncate(cut);
            if tx.send((seq, std::mem::replace(&mut buf, rest))).is_err() {
                return Ok(());
            }
            seq += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stanza(i: usize) -> String {
        format!(
            "Package: p{i}\nSource: s\nVersion: 1:{i}.0-1+deb12u1\nInstalled-Size: 1\nMaintainer: M\u{e9} <m@x>\nArchitecture: amd64\nDescription: d\n long\n\tTAB\nSection: libs\nPriority: optional\n\n"
        )
    }

    #[test]
    fn parallel_pieces_equal_one_pass_and_errors_have_global_lines() {
        let text: String = (0..60_000).map(stanza).collect();
        assert!(text.len() > 2 * CHUNK);
        let got = parse_packages(text.as_bytes(), Path::new("P")).unwrap();
        assert_eq!(got.len(), 60_000);
        assert_eq!(&*got[59_999].name, "p59999");
        assert_eq!(got[12_345].version.as_str(), "1:12345.0-1+deb12u1");
        assert_eq!(got[7].priority.as_deref(), Some("optional"));
        assert_eq!(got[7].section.as_deref(), Some("libs"));
        // Break a stanza near the end: the line number counts from the file's start.
        let stanza_lines = stanza(0).lines().count();
        let mut broken = text.clone();
        let at = broken.rfind("Installed-Size: 1").unwrap();
        broken.replace_range(at..at + 17, "Installed-Size 1");
        let err = parse_packages(broken.as_bytes(), Path::new("P"))
            .unwrap_err()
            .to_string();
        let want_line = 59_999 * stanza_lines + 4;
        assert!(err.contains(&format!("P: line {want_line}:")), "{err}");
    }

    #[test]
    fn pipelined_reading_equals_whole_reading_and_reports_errors() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let text: String = (0..30_000).map(stanza).collect();
        let gz = |t: &str| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(t.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let p = dir.path().join("Packages.gz");
        std::fs::write(&p, gz(&text)).unwrap();
        let read = |above: u64| -> Result<Vec<PackageStanza>, AptError> {
            let mut out = Vec::new();
            read_packages_pipelined_above(&p, above, &mut |s| out.push(s))?;
            Ok(out)
        };
        let piped = read(0).unwrap();
        let whole = read(u64::MAX).unwrap();
        assert_eq!(piped.len(), 30_000);
        assert!(piped
            .iter()
            .zip(&whole)
            .all(|(a, b)| a.name == b.name && a.version == b.version));
        // A broken stanza late in the file: its line, counted across pieces.
        let mut broken = text.clone();
        let at = broken.rfind("Installed-Size: 1").unwrap();
        broken.replace_range(at..at + 17, "Installed-Size 1");
        std::fs::write(&p, gz(&broken)).unwrap();
        let err = read(0).unwrap_err().to_string();
        let want = format!("line {}:", 29_999 * stanza(0).lines().count() + 4);
        assert!(err.contains("Packages.gz") && err.contains(&want), "{err}");
        // Truncated data: a read error naming the file and the format.
        let bytes = gz(&text);
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        for above in [0, u64::MAX] {
            let err = read(above).unwrap_err().to_string();
            assert!(err.contains("Packages.gz") && err.contains("gzip"), "{err}");
        }
    }

    #[test]
    fn missing_fields_are_errors() {
        for (text, what) in [
            ("Version: 1\nArchitecture: all\n", "'Package'"),
            ("Package: a\nArchitecture: all\n", "'Version'"),
            ("Package: a\nVersion: 1\n", "'Architecture'"),
            ("Package: a\nVersion: 1 2\nArchitecture: all\n", "line 2"),
        ] {
            let err = parse_packages(text.as_bytes(), Path::new("P"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(what), "{text:?}: {err}");
        }
    }
}
