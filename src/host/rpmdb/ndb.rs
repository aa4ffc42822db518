//! rpm's NDB `Packages.db` (SUSE since SLE 15 SP3 / openSUSE), little-endian.
//!
//! The file opens with `RpmP`, a version (0), a generation and the number of 4 KiB slot pages.
//! Those pages are 16-byte slots (`Slot`, package index, block offset, block count; index 0 is
//! a free slot; the first two slots are the file header). A package's blocks (16 bytes each)
//! hold `BlbS`, package index, generation, blob length, the header blob, zero padding, and at
//! the very end an Adler-32 of everything before it, the length again and `BlbE`.
//!
//! As rpm's own reader, slots whose blocks overlap (several slots naming one blob, which
//! would list one package many times) make the database corrupt, and so does a package
//! index held by two slots.

use std::borrow::Cow;

use super::Record;

/// The first four bytes of an NDB `Packages.db`.
pub const FILE_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const TAIL_MAGIC: &[u8; 4] = b"BlbE";
const SLOT_PAGE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLOCK: usize = 16;
const BLOB_HEAD: usize = 16;
const BLOB_TAIL: usize = 12;

/// The little-endian u32 at `at`; the caller has checked the bounds.
fn le32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// Adler-32 (RFC 1950), which NDB keeps over each blob's head, data and padding.
fn adler32(bytes: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the longest run whose sums cannot overflow a u32 before reducing.
    for chunk in bytes.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// Every package header in an NDB `Packages.db`, in slot order.
///
/// Errors say which slot is wrong; they are wrapped with the file's path by the caller.
pub fn records(file: &[u8]) -> Result<Vec<Record<'_>>, String> {
    if file.len() < 2 * SLOT_SIZE || !file.starts_with(FILE_MAGIC) {
        return Err("no NDB header (RpmP)".to_string());
    }
    let version = le32(file, 4);
    if version != 0 {
        return Err(format!("NDB version {version} (only 0 exists)"));
    }
    let slot_pages = le32(file, 12) as usize;
    let slots_end = slot_pages.saturating_mul(SLOT_PAGE);
    if slot_pages == 0 || slots_end > file.len() {
        return Err(format!(
            "header: {slot_pages} slot pages do not fit in a {}-byte file",
            file.len()
        ));
    }
    let mut records = Vec::new();
    // (first block, block count, slot, package) of every used slot, for the overlap check.
    let mut extents: Vec<(usize, usize, usize, u32)> = Vec::new();
    for slot in 2..slots_end / SLOT_SIZE {
        let at = slot * SLOT_SIZE;
        if &file[at..at + 4] != SLOT_MAGIC {
            return Err(format!("slot {slot}: no Slot signature"));
        }
        let id = le32(file, at + 4);
        if id == 0 {
            continue;
        }
        let offset = le32(file, at + 8) as usize * BLOCK;
        let len = le32(file, at + 12) as usize * BLOCK;
        extents.push((offset, len, slot, id));
        let blob = blob(file, id, offset, len)
            .map_err(|what| format!("slot {slot} (package {id}): {what}"))?;
        records.push(Record {
            id,
            blob: Cow::Borrowed(blob),
        });
    }
    extents.sort_unstable();
    for pair in extents.windows(2) {
        let [(a_off, a_len, a_slot, a_id), (b_off, _, b_slot, b_id)] = pair else {
            continue;
        };
        if a_off + a_len > *b_off {
            return Err(format!(
                "slot {b_slot} (package {b_id}) overlaps the blocks of slot {a_slot} (package {a_id}) at byte {b_off}"
            ));
        }
    }
    let mut ids: Vec<u32> = records.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("package index {} is held by two slots", w[0]));
    }
    Ok(records)
}

/// The header blob of package `id` stored in `len` bytes at `offset`, checked end to end.
fn blob(file: &[u8], id: u32, offset: usize, len: usize) -> Result<&[u8], String> {
    let end = offset
        .checked_add(len)
        .filter(|&end| end <= file.len())
        .ok_or_else(|| format!("blocks at byte {offset} (+{len}) run past end of file"))?;
    if len < BLOB_HEAD + BLOB_TAIL {
        return Err(format!("{len} bytes cannot hold a blob"));
    }
    let area = &file[offset..end];
    if &area[..4] != BLOB_MAGIC || le32(area, 4) != id {
        return Err(format!("no BlbS for this package at byte {offset}"));
    }
    let blob_len = le32(area, 12) as usize;
    if blob_len > len - BLOB_HEAD - BLOB_TAIL {
        return Err(format!(
            "blob of {blob_len} bytes overruns its {len}-byte blocks"
        ));
    }
    let tail = len - BLOB_TAIL;
    if &area[tail + 8..] != TAIL_MAGIC || le32(area, tail + 4) as usize != blob_len {
        return Err("blob tail (BlbE) missing or its length disagrees".to_string());
    }
    if adler32(&area[..tail]) != le32(area, tail) {
        return Err("blob checksum (Adler-32) mismatch".to_string());
    }
    Ok(&area[BLOB_HEAD..BLOB_HEAD + blob_len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_known_values() {
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        let long = vec![0xffu8; 100_000];
        // zlib.adler32(b"\xff" * 100000)
        assert_eq!(adler32(&long), 0x149a_302c);
    }
}
