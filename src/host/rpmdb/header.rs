//! A bare rpmdb header blob (the value stored per package) to an [`InstalledRpm`].
//!
//! Our own parser rather than the `rpm` crate: that crate has no public entry point for a
//! bare header (it needs a fake lead and signature in front) and trusts offsets and counts, so
//! it would need the same index validation this parser does anyway. Reading the nine tags we
//! need straight from the index is a few lines and well under a microsecond per package.
//!
//! Layout (all big-endian): `il` (entries), `dl` (data bytes), `il` 16-byte entries
//! (tag, type, offset, count), then `dl` bytes of data. Every entry is checked before any data
//! is read, so a corrupt blob is an error, never a panic or a large allocation.

use crate::version::{Nevra, RpmEvr};

use super::InstalledRpm;

/// Largest index rpm itself accepts (`hdrchkTags`).
const MAX_ENTRIES: u32 = 0xffff;
/// Largest data store rpm itself accepts (`hdrchkData`).
const MAX_DATA: u32 = 0x0fff_ffff;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_BUILDTIME: u32 = 1006;
const TAG_INSTALLTIME: u32 = 1008;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TAG_MODULARITYLABEL: u32 = 5096;

const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;
/// Highest tag type rpm defines (`RPM_I18NSTRING_TYPE`).
const TYPE_MAX: u32 = TYPE_I18NSTRING;

/// What is wrong with a header blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The blob ends before the index or data store it declares.
    #[error("header is {len} bytes but declares {need}")]
    Truncated { len: usize, need: u64 },
    /// More index entries than rpm allows.
    #[error("header declares {0} index entries (rpm allows at most 65535)")]
    TooManyEntries(u32),
    /// A larger data store than rpm allows.
    #[error("header declares {0} data bytes (rpm allows at most 268435455)")]
    DataTooLarge(u32),
    /// An index entry whose type, offset or count does not fit the data store.
    #[error("index entry {index} (tag {tag}): {what}")]
    BadEntry {
        index: u32,
        tag: u32,
        what: &'static str,
    },
    /// A tag every package has (NAME, VERSION, RELEASE) is absent.
    #[error("no {0} tag")]
    MissingTag(&'static str),
}

/// One validated index entry.
#[derive(Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: usize,
}

/// A header whose index has been checked against its data store.
struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_be_bytes(word)
}

/// Size in bytes of one element of a fixed-size type, `None` for string types.
fn element_size(kind: u32) -> Option<usize> {
    match kind {
        0..=2 | 7 => Some(1),
        3 => Some(2),
        TYPE_INT32 => Some(4),
        TYPE_INT64 => Some(8),
        _ => None,
    }
}

impl<'a> Header<'a> {
    /// Checks the index (counts, types, alignment, bounds) without reading any data.
    fn parse(blob: &'a [u8]) -> Result<Self, HeaderError> {
        if blob.len() < 8 {
            return Err(HeaderError::Truncated {
                len: blob.len(),
                need: 8,
            });
        }
        let il = be32(blob, 0);
        let dl = be32(blob, 4);
        if il > MAX_ENTRIES {
            return Err(HeaderError::TooManyEntries(il));
        }
        if dl > MAX_DATA {
            return Err(HeaderError::DataTooLarge(dl));
        }
        let index_end = 8 + il as usize * 16;
        let need = index_end as u64 + u64::from(dl);
        if (blob.len() as u64) < need {
            return Err(HeaderError::Truncated {
                len: blob.len(),
                need,
            });
        }
        let data = &blob[index_end..index_end + dl as usize];
        let mut entries = Vec::with_capacity(il as usize);
        for index in 0..il {
            let at = 8 + index as usize * 16;
            let entry = Entry {
                tag: be32(blob, at),
                kind: be32(blob, at + 4),
                offset: be32(blob, at + 8) as usize,
                count: be32(blob, at + 12) as usize,
            };
            let bad = |what| HeaderError::BadEntry {
                index,
                tag: entry.tag,
                what,
            };
            if entry.kind > TYPE_MAX {
                return Err(bad("unknown type"));
            }
            if entry.offset > data.len() {
                return Err(bad("offset past the data store"));
            }
            if let Some(size) = element_size(entry.kind) {
                if !entry.offset.is_multiple_of(size) {
                    return Err(bad("misaligned offset"));
                }
                let len = entry.count.checked_mul(size);
                if len.is_none_or(|len| len > data.len() - entry.offset) {
                    return Err(bad("count runs past the data store"));
                }
            }
            entries.push(entry);
        }
        Ok(Header { entries, data })
    }

    fn find(&self, tag: u32) -> Option<(u32, &Entry)> {
        (0u32..)
            .zip(&self.entries)
            .find(|(_, entry)| entry.tag == tag)
    }

    /// The first string of a STRING, STRING_ARRAY or I18NSTRING tag.
    fn string(&self, tag: u32) -> Result<Option<String>, HeaderError> {
        let Some((index, entry)) = self.find(tag) else {
            return Ok(None);
        };
        let bad = |what| HeaderError::BadEntry { index, tag, what };
        if !matches!(
            entry.kind,
            TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING
        ) {
            return Err(bad("expected a string"));
        }
        let rest = &self.data[entry.offset..];
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| bad("string not terminated inside the data store"))?;
        Ok(Some(String::from_utf8_lossy(&rest[..end]).into_owned()))
    }

    /// The first number of an INT32 or INT64 tag.
    fn number(&self, tag: u32) -> Result<Option<u64>, HeaderError> {
        let Some((index, entry)) = self.find(tag) else {
            return Ok(None);
        };
        let bad = |what| HeaderError::BadEntry { index, tag, what };
        if entry.count == 0 {
            return Err(bad("number tag with no value"));
        }
        // Bounds and alignment were checked in `parse`.
        let at = entry.offset;
        match entry.kind {
            TYPE_INT32 => Ok(Some(u64::from(be32(self.data, at)))),
            TYPE_INT64 => {
                let mut word = [0u8; 8];
                word.copy_from_slice(&self.data[at..at + 8]);
                Ok(Some(u64::from_be_bytes(word)))
            }
            _ => Err(bad("expected a 32- or 64-bit number")),
        }
    }
}

/// Parses a bare rpmdb header blob into the fields the scanner needs.
///
/// NAME, VERSION and RELEASE are required; a missing ARCH (rpm prints `nevra` without the
/// `.arch` then) gives an empty arch; a missing EPOCH is epoch 0, as rpm orders it.
pub fn parse_header(blob: &[u8]) -> Result<InstalledRpm, HeaderError> {
    let header = Header::parse(blob)?;
    let required = |tag, name| header.string(tag)?.ok_or(HeaderError::MissingTag(name));
    let name = required(TAG_NAME, "NAME")?;
    let version = required(TAG_VERSION, "VERSION")?;
    let release = required(TAG_RELEASE, "RELEASE")?;
    let arch = header.string(TAG_ARCH)?.unwrap_or_default();
    let epoch = header.number(TAG_EPOCH)?.unwrap_or(0);
    let time = |tag| -> Result<Option<i64>, HeaderError> {
        Ok(header.number(tag)?.and_then(|t| i64::try_from(t).ok()))
    };
    Ok(InstalledRpm {
        nevra: Nevra::new(name, RpmEvr::new(epoch, version, release), arch),
        install_time: time(TAG_INSTALLTIME)?,
        build_time: time(TAG_BUILDTIME)?,
        modularity_label: header.string(TAG_MODULARITYLABEL)?,
        source_rpm: header.string(TAG_SOURCERPM)?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, payload, count) entries, aligning payloads.
    pub(crate) fn build(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        for (tag, kind, payload, count) in entries {
            let align = element_size(*kind).unwrap_or(1);
            while !data.len().is_multiple_of(align) {
                data.push(0);
            }
            for word in [*tag, *kind, data.len() as u32, *count] {
                index.extend_from_slice(&word.to_be_bytes());
            }
            data.extend_from_slice(payload);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend_from_slice(&index);
        blob.extend_from_slice(&data);
        blob
    }

    pub(crate) fn string(tag: u32, text: &str) -> (u32, u32, Vec<u8>, u32) {
        let mut payload = text.as_bytes().to_vec();
        payload.push(0);
        (tag, TYPE_STRING, payload, 1)
    }

    pub(crate) fn int32(tag: u32, value: u32) -> (u32, u32, Vec<u8>, u32) {
        (tag, TYPE_INT32, value.to_be_bytes().to_vec(), 1)
    }

    /// A header with every tag the parser reads.
    pub(crate) fn sample() -> Vec<u8> {
        build(&[
            string(TAG_NAME, "bash"),
            string(TAG_VERSION, "5.2.15"),
            string(TAG_RELEASE, "1.amzn2023"),
            int32(TAG_EPOCH, 2),
            int32(TAG_BUILDTIME, 1_700_000_000),
            int32(TAG_INSTALLTIME, 1_700_000_100),
            string(TAG_ARCH, "x86_64"),
            string(TAG_SOURCERPM, "bash-5.2.15-1.amzn2023.src.rpm"),
            string(TAG_MODULARITYLABEL, "bash:5:1:abc"),
        ])
    }

    #[test]
    fn reads_every_field() {
        let rpm = parse_header(&sample()).unwrap();
        assert_eq!(rpm.nevra.to_string(), "bash-2:5.2.15-1.amzn2023.x86_64");
        assert_eq!(rpm.install_time, Some(1_700_000_100));
        assert_eq!(rpm.build_time, Some(1_700_000_000));
        assert_eq!(rpm.modularity_label.as_deref(), Some("bash:5:1:abc"));
        assert_eq!(
            rpm.source_rpm.as_deref(),
            Some("bash-5.2.15-1.amzn2023.src.rpm")
        );
    }

    #[test]
    fn optional_tags_may_be_absent() {
        let blob = build(&[
            string(TAG_NAME, "gpg-pubkey"),
            string(TAG_VERSION, "d4082792"),
            string(TAG_RELEASE, "5b32db75"),
        ]);
        let rpm = parse_header(&blob).unwrap();
        assert_eq!(rpm.nevra.evr.epoch, 0);
        assert_eq!(rpm.nevra.arch, "");
        assert_eq!(rpm.install_time, None);
        assert_eq!(rpm.source_rpm, None);
    }

    #[test]
    fn corrupt_indexes_are_errors() {
        let missing = build(&[string(TAG_NAME, "x"), string(TAG_VERSION, "1")]);
        assert_eq!(
            parse_header(&missing),
            Err(HeaderError::MissingTag("RELEASE"))
        );

        let mut huge = sample();
        huge[0..4].copy_from_slice(&0x0001_0000u32.to_be_bytes());
        assert_eq!(
            parse_header(&huge),
            Err(HeaderError::TooManyEntries(0x1_0000))
        );

        let mut big_data = sample();
        big_data[4..8].copy_from_slice(&0x1000_0000u32.to_be_bytes());
        assert!(matches!(
            parse_header(&big_data),
            Err(HeaderError::DataTooLarge(_))
        ));

        let blob = sample();
        assert!(matches!(
            parse_header(&blob[..blob.len() - 1]),
            Err(HeaderError::Truncated { .. })
        ));

        // Entry 3 is EPOCH (INT32): give it an unknown type, a misaligned offset, a huge count.
        let entry = 8 + 3 * 16;
        for (field, value, what) in [
            (4, 99u32, "unknown type"),
            (8, 1, "misaligned offset"),
            (12, 0x4000_0000, "count runs past the data store"),
            (8, 0x7fff_fff0, "offset past the data store"),
        ] {
            let mut bad = sample();
            bad[entry + field..entry + field + 4].copy_from_slice(&value.to_be_bytes());
            assert_eq!(
                parse_header(&bad),
                Err(HeaderError::BadEntry {
                    index: 3,
                    tag: TAG_EPOCH,
                    what
                })
            );
        }
    }

    #[test]
    fn unterminated_string_is_an_error() {
        let mut blob = build(&[
            string(TAG_NAME, "x"),
            string(TAG_VERSION, "1"),
            string(TAG_RELEASE, "1"),
        ]);
        let last = blob.len() - 1;
        blob[last] = b'z';
        assert!(matches!(
            parse_header(&blob),
            Err(HeaderError::BadEntry {
                tag: TAG_RELEASE,
                ..
            })
        ));
    }
}
