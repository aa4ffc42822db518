//! BerkeleyDB hash `Packages` (rpm < 4.16: RHEL ≤ 8, Amazon Linux 2, CentOS 7), read
//! straight from its pages in either byte order.
//!
//! Page 0 is the hash meta page (magic `0x061561` at byte 12, page size at 20, type 8 at 25,
//! last page number at 32). Every page starts with a 26-byte header (next page at 16, entry
//! count at 20, bytes used at 22, type at 25). Hash pages (type 13, or 2 unsorted) hold
//! key/data item pairs addressed by u16 offsets from byte 26; an item's first byte says
//! whether its bytes follow inline (1) or live on a chain of overflow pages (3: first page at
//! 4, total length at 8). Overflow pages (type 7) carry their bytes from 26 on. rpm's key is
//! the header number; key 0 holds rpm's counter, not a package.
//!
//! Damage is found, not read past: the meta page's element count (`nelem`, byte 88) must
//! equal the key/data pairs the hash pages hold (a page whose type byte is damaged would
//! otherwise drop every package on it), and each overflow page may belong to one chain only
//! (chains that loop or share pages would cost memory quadratic in the file).

use std::borrow::Cow;

use super::Record;

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const PAGE_HASH_UNSORTED: u8 = 2;
const PAGE_OVERFLOW: u8 = 7;
const PAGE_HASH_META: u8 = 8;
const PAGE_HASH: u8 = 13;
const ITEM_KEYDATA: u8 = 1;
const ITEM_OFFPAGE: u8 = 3;
/// Meta flag: pages carry checksums (a layout rpm never writes).
const META_CHECKSUM: u8 = 0x01;

/// The byte order a BerkeleyDB file was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    /// The u32 at `at`; the caller has checked the bounds.
    fn u32(self, bytes: &[u8], at: usize) -> u32 {
        let mut word = [0u8; 4];
        word.copy_from_slice(&bytes[at..at + 4]);
        match self {
            ByteOrder::Little => u32::from_le_bytes(word),
            ByteOrder::Big => u32::from_be_bytes(word),
        }
    }

    /// The u16 at `at`; the caller has checked the bounds.
    fn u16(self, bytes: &[u8], at: usize) -> u16 {
        let word = [bytes[at], bytes[at + 1]];
        match self {
            ByteOrder::Little => u16::from_le_bytes(word),
            ByteOrder::Big => u16::from_be_bytes(word),
        }
    }
}

/// The byte order of a BerkeleyDB hash file from its first 16 bytes, `None` if it is not one.
pub fn byte_order(head: &[u8]) -> Option<ByteOrder> {
    let magic: [u8; 4] = head.get(12..16)?.try_into().ok()?;
    if u32::from_le_bytes(magic) == HASH_MAGIC {
        Some(ByteOrder::Little)
    } else if u32::from_be_bytes(magic) == HASH_MAGIC {
        Some(ByteOrder::Big)
    } else {
        None
    }
}

/// The file's pages, checked against the meta page.
struct Pages<'a> {
    file: &'a [u8],
    order: ByteOrder,
    size: usize,
    last: u32,
    /// Key/data pairs the meta page says the database holds.
    nelem: u32,
}

impl<'a> Pages<'a> {
    fn open(file: &'a [u8]) -> Result<Self, String> {
        let order = byte_order(file).ok_or("no BerkeleyDB hash magic at byte 12")?;
        if file.len() < 512 {
            return Err(format!(
                "{} bytes is shorter than one BerkeleyDB page",
                file.len()
            ));
        }
        let size = order.u32(file, 20) as usize;
        if !(512..=65536).contains(&size) || !size.is_power_of_two() {
            return Err(format!(
                "meta page: page size {size} is not a BerkeleyDB page size"
            ));
        }
        match file[25] {
            PAGE_HASH_META => {}
            other => {
                return Err(format!(
                    "meta page has type {other}, not a hash meta page (8)"
                ))
            }
        }
        if file[24] != 0 {
            return Err("meta page: the database is encrypted".to_string());
        }
        if file[26] & META_CHECKSUM != 0 {
            return Err("meta page: checksummed pages are not supported".to_string());
        }
        let last = order.u32(file, 32);
        let held = file.len() / size;
        if last as usize >= held {
            return Err(format!(
                "meta page: last page is {last} but the file holds {held} pages of {size} bytes (truncated?)"
            ));
        }
        Ok(Pages {
            file,
            order,
            size,
            last,
            nelem: order.u32(file, 88),
        })
    }

    /// Page `pgno`, which must be at most `last` (so it lies inside the file).
    fn page(&self, pgno: u32) -> &'a [u8] {
        let start = pgno as usize * self.size;
        &self.file[start..start + self.size]
    }

    /// The bytes of item `index` on hash page `pgno`: from its offset to the previous item's.
    fn item(&self, pgno: u32, index: usize) -> Result<&'a [u8], String> {
        let page = self.page(pgno);
        let offset = |i: usize| usize::from(self.order.u16(page, PAGE_HEADER + 2 * i));
        let start = offset(index);
        let end = if index == 0 {
            self.size
        } else {
            offset(index - 1)
        };
        if start < PAGE_HEADER || start >= end || end > self.size {
            return Err(format!(
                "page {pgno}: item {index} spans bytes {start}..{end} of a {}-byte page",
                self.size
            ));
        }
        Ok(&page[start..end])
    }

    /// The bytes of an off-page item: `len` bytes on the overflow chain starting at `first`.
    /// `used` marks the overflow pages already read: a page on a second chain (or twice on
    /// one) is an error.
    fn overflow(
        &self,
        from: u32,
        first: u32,
        len: usize,
        used: &mut [bool],
    ) -> Result<Vec<u8>, String> {
        if len > self.file.len() {
            return Err(format!(
                "page {from}: overflow item of {len} bytes is larger than the file"
            ));
        }
        let mut bytes = Vec::with_capacity(len);
        let (mut prev, mut pgno) = (from, first);
        for _ in 0..=self.last {
            if bytes.len() >= len {
                break;
            }
            if pgno == 0 {
                return Err(format!(
                    "page {prev}: overflow chain ends after {} of {len} bytes",
                    bytes.len()
                ));
            }
            if pgno > self.last {
                return Err(format!(
                    "page {prev}: overflow chain points past end of file (page {pgno}, last is {})",
                    self.last
                ));
            }
            if std::mem::replace(&mut used[pgno as usize], true) {
                return Err(format!(
                    "page {prev}: overflow chain leads to page {pgno}, which another chain (or this one) already holds"
                ));
            }
            let page = self.page(pgno);
            if page[25] != PAGE_OVERFLOW {
                return Err(format!(
                    "page {prev}: overflow chain leads to page {pgno} of type {}, not an overflow page",
                    page[25]
                ));
            }
            let used = usize::from(self.order.u16(page, 22));
            if PAGE_HEADER + used > self.size {
                return Err(format!("page {pgno}: overflow page claims {used} bytes"));
            }
            bytes.extend_from_slice(&page[PAGE_HEADER..PAGE_HEADER + used]);
            prev = pgno;
            pgno = self.order.u32(page, 16);
        }
        if bytes.len() != len {
            return Err(format!(
                "page {from}: overflow chain holds {} bytes, the item says {len} (or loops)",
                bytes.len()
            ));
        }
        Ok(bytes)
    }
}

/// Every package header in a BerkeleyDB hash `Packages` file, in page order.
///
/// Errors say which page is wrong; they are wrapped with the file's path by the caller.
pub fn records(file: &[u8]) -> Result<Vec<Record<'_>>, String> {
    let pages = Pages::open(file)?;
    let mut records = Vec::new();
    let mut used = vec![false; pages.last as usize + 1];
    let mut pairs: u64 = 0;
    for pgno in 1..=pages.last {
        let page = pages.page(pgno);
        if !matches!(page[25], PAGE_HASH | PAGE_HASH_UNSORTED) {
            continue;
        }
        let entries = usize::from(pages.order.u16(page, 20));
        if PAGE_HEADER + 2 * entries > pages.size || entries % 2 != 0 {
            return Err(format!(
                "page {pgno}: {entries} entries do not form key/data pairs on the page"
            ));
        }
        pairs += entries as u64 / 2;
        for pair in (0..entries).step_by(2) {
            let key = pages.item(pgno, pair)?;
            let data = pages.item(pgno, pair + 1)?;
            let id = match key {
                [ITEM_KEYDATA, a, b, c, d] => pages.order.u32(&[*a, *b, *c, *d], 0),
                _ => {
                    return Err(format!(
                        "page {pgno}: key {} is not a 4-byte header number",
                        pair / 2
                    ))
                }
            };
            if id == 0 {
                continue;
            }
            let blob = match data {
                [ITEM_KEYDATA, rest @ ..] => Cow::Borrowed(rest),
                [ITEM_OFFPAGE, _, _, _, ..] if data.len() >= 12 => {
                    let first = pages.order.u32(data, 4);
                    let len = pages.order.u32(data, 8) as usize;
                    Cow::Owned(pages.overflow(pgno, first, len, &mut used)?)
                }
                _ => {
                    return Err(format!(
                    "page {pgno}: header {id} is stored as item type {}, which rpm never writes",
                    data[0]
                ))
                }
            };
            records.push(Record { id, blob });
        }
    }
    if pairs != u64::from(pages.nelem) {
        return Err(format!(
            "meta page counts {} entries but the hash pages hold {pairs} (a damaged page?)",
            pages.nelem
        ));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rpm on a big-endian machine writes its Packages file big-endian; the byte order is
    /// told by the hash magic (the whole database is read back in tests/rpmdb.rs).
    #[test]
    fn the_byte_order_is_told_by_the_magic() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rpmdb");
        for (rel, order) in [
            ("rpm-made-bdb-be/Packages", ByteOrder::Big),
            ("rpm-made-bdb-le/Packages", ByteOrder::Little),
        ] {
            let head = std::fs::read(dir.join(rel)).unwrap();
            assert_eq!(byte_order(&head), Some(order), "{rel}");
        }
        assert_eq!(byte_order(&[0u8; 64]), None);
    }
}
