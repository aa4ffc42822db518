//! A read-only XFS reader (v5, and v4 where it costs nothing), written from the on-disk format
//! documentation ("XFS Algorithms & Data Structures"): the superblock, inodes, extent lists and
//! B+tree extent maps, short-form, block, leaf, node and B+tree directories, and symlinks.
//!
//! Directories of every form but short-form keep their entries in data blocks below the leaf
//! offset (32 GiB into the directory); the leaf and free-index blocks above it only speed up
//! lookups, so reading the data blocks lists any directory. Every v5 metadata block's CRC32c
//! is checked, every block number is checked against the allocation group and the disk, and
//! every tree walk counts its steps: a damaged or hostile file system is an error naming the
//! inode and the block, never a read outside the partition or a walk without end.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path};
use std::rc::Rc;

use super::block::bytes::{be16, be32, be64};
use super::block::Source;
use super::fs::{uuid_text, FileSystem, FsError, NodeKind, Stat};

const SB_MAGIC: &[u8; 4] = b"XFSB";
/// Byte offset of a directory's leaf blocks: its data blocks lie below.
const DIR_LEAF_OFFSET: u64 = 32 << 30;
/// Incompatible features this reader knows: ftype, sparse inodes, meta UUID, bigtime,
/// large extent counts, exchange-range, parent pointers, metadata directory.
const KNOWN_INCOMPAT: u32 = 0x1 | 0x2 | 0x4 | 0x8 | 0x20 | 0x40 | 0x80 | 0x100;
const INCOMPAT_FTYPE: u32 = 0x1;
const INCOMPAT_NEEDSREPAIR: u32 = 0x10;
/// v4 `sb_features2` bit for a file-type byte in directory entries.
const V2_FTYPE: u32 = 0x200;
/// Inode flag (di_flags2): 64-bit extent counters.
const DIFLAG2_NREXT64: u64 = 1 << 4;
/// Inode flag (di_flags2): timestamps in nanoseconds since 1901.
const DIFLAG2_BIGTIME: u64 = 1 << 3;
/// The deepest extent tree XFS builds (its own limit is below this for every block size); a
/// deeper root is damage, and keeps the walk's recursion shallow.
const MAX_BMBT_LEVELS: u16 = 10;
/// The most extents one file's map may hold (a 1 GiB file in 4 KiB blocks, fully fragmented,
/// has 262,144).
const MAX_EXTENTS: usize = 1 << 22;
/// The most names one directory may list.
const MAX_DIR_ENTRIES: usize = 1 << 22;

/// One mapping of a file's blocks.
#[derive(Debug, Clone, Copy)]
struct Extent {
    /// First logical block.
    off: u64,
    /// First file-system block (AG-relative encoding).
    block: u64,
    count: u64,
    unwritten: bool,
}

/// Data-fork formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Local,
    Extents,
    Btree,
    Other,
}

/// The parts of an on-disk inode a reader needs.
struct Inode {
    ino: u64,
    mode: u16,
    format: Format,
    size: u64,
    nextents: u64,
    mtime: i64,
    /// The data fork's bytes.
    fork: Vec<u8>,
}

impl Inode {
    fn kind(&self) -> NodeKind {
        match self.mode & 0o170000 {
            0o040000 => NodeKind::Dir,
            0o100000 => NodeKind::File,
            0o120000 => NodeKind::Symlink,
            _ => NodeKind::Other,
        }
    }
}

/// An XFS file system on a byte source.
pub struct Xfs {
    dev: Source,
    block_size: u64,
    ag_blocks: u64,
    ag_count: u64,
    ag_blk_log: u32,
    inop_blog: u32,
    inode_size: usize,
    root_ino: u64,
    dir_block_size: u64,
    v5: bool,
    ftype: bool,
    uuid: [u8; 16],
    label: String,
    /// Directories already listed, by inode: a path's lookup reads each directory on the way
    /// once, not once per name looked up in it.
    dirs: RefCell<HashMap<u64, Listing>>,
    /// Names held in `dirs`; past [`MAX_CACHED_NAMES`] it is emptied.
    cached_names: Cell<usize>,
}

/// A directory's names and inode numbers, shared by the cache.
type Listing = Rc<Vec<(Vec<u8>, u64)>>;

/// The most directory names kept in memory at once.
const MAX_CACHED_NAMES: usize = 1 << 20;

fn corrupt(msg: impl Into<String>) -> FsError {
    FsError::Corrupt(msg.into())
}

/// The CRC32c XFS stores (little-endian at `at`), computed with that field zeroed.
fn crc_ok(buf: &[u8], at: usize) -> bool {
    const C: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
    let Some(stored) = buf.get(at..at + 4) else {
        return false;
    };
    let stored = u32::from_le_bytes(stored.try_into().unwrap_or([0; 4]));
    let mut d = C.digest();
    d.update(&buf[..at]);
    d.update(&[0; 4]);
    d.update(&buf[at + 4..]);
    d.finalize() == stored
}

/// Whether a source starts with an XFS superblock.
pub fn probe(head: &[u8]) -> bool {
    head.starts_with(SB_MAGIC)
}

impl Xfs {
    /// Reads and checks the superblock.
    pub fn open(dev: Source) -> Result<Self, FsError> {
        let mut sb = vec![0u8; 512];
        dev.read_at(0, &mut sb)?;
        if !probe(&sb) {
            return Err(corrupt("no XFS superblock magic"));
        }
        let g32 = |at| be32(&sb, at).unwrap_or(0);
        let block_size = u64::from(g32(4));
        let dblocks = be64(&sb, 8).unwrap_or(0);
        let root_ino = be64(&sb, 56).unwrap_or(0);
        let ag_blocks = u64::from(g32(84));
        let ag_count = u64::from(g32(88));
        let version = be16(&sb, 100).unwrap_or(0) & 0xf;
        let sect_size = u64::from(be16(&sb, 102).unwrap_or(0));
        let inode_size = usize::from(be16(&sb, 104).unwrap_or(0));
        let inop_block = u64::from(be16(&sb, 106).unwrap_or(0));
        let block_log = u32::from(sb[120]);
        let inode_log = u32::from(sb[122]);
        let inop_blog = u32::from(sb[123]);
        let ag_blk_log = u32::from(sb[124]);
        let dir_blk_log = u32::from(sb[192]);
        let features2 = g32(200);
        let incompat = g32(216);
        let v5 = version == 5;
        let bad = |what: &str| Err(corrupt(format!("superblock: {what}")));
        if version != 4 && version != 5 {
            return bad(&format!("version {version} is not XFS v4 or v5"));
        }
        if !(9..=16).contains(&block_log) || block_size != 1 << block_log {
            return bad(&format!("block size {block_size} (log {block_log})"));
        }
        if !(512..=32768).contains(&sect_size) || !sect_size.is_power_of_two() {
            return bad(&format!("sector size {sect_size}"));
        }
        if !(7..=11).contains(&inode_log) || inode_size != 1 << inode_log {
            return bad(&format!("inode size {inode_size}"));
        }
        if inop_blog > 9
            || inop_block != block_size / inode_size as u64
            || 1u64 << inop_blog != inop_block
        {
            return bad(&format!("{inop_block} inodes per block"));
        }
        if ag_blocks == 0 || ag_count == 0 || ag_blk_log > 31 || ag_blocks > 1 << ag_blk_log {
            return bad(&format!(
                "{ag_count} allocation groups of {ag_blocks} blocks"
            ));
        }
        // The groups cover the file system's blocks: all but the last are full.
        let covered = ag_count.checked_mul(ag_blocks);
        let before_last = (ag_count - 1).checked_mul(ag_blocks);
        if covered.is_none_or(|c| c < dblocks) || before_last.is_none_or(|b| b >= dblocks) {
            return bad(&format!(
                "{ag_count} allocation groups of {ag_blocks} blocks do not hold its {dblocks} blocks"
            ));
        }
        if dir_blk_log > 16 - block_log.min(16) + 6 {
            return bad(&format!("directory block log {dir_blk_log}"));
        }
        if dblocks.saturating_mul(block_size) > dev.size() {
            return bad(&format!(
                "{dblocks} blocks of {block_size} bytes is more than the partition's {} bytes (truncated image?)",
                dev.size()
            ));
        }
        if v5 {
            let mut full = vec![0u8; sect_size as usize];
            dev.read_at(0, &mut full)?;
            if !crc_ok(&full, 224) {
                return bad("checksum mismatch");
            }
            if incompat & INCOMPAT_NEEDSREPAIR != 0 {
                return bad("marked as needing repair (xfs_repair was interrupted)");
            }
            if incompat & !KNOWN_INCOMPAT != 0 {
                return bad(&format!(
                    "incompatible features {:#x} this reader does not know",
                    incompat & !KNOWN_INCOMPAT
                ));
            }
        }
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&sb[32..48]);
        let label_bytes = &sb[108..120];
        let end = label_bytes.iter().position(|&b| b == 0).unwrap_or(12);
        let fs = Xfs {
            dev,
            block_size,
            ag_blocks,
            ag_count,
            ag_blk_log,
            inop_blog,
            inode_size,
            root_ino,
            dir_block_size: block_size << dir_blk_log,
            v5,
            ftype: if v5 {
                incompat & INCOMPAT_FTYPE != 0
            } else {
                be16(&sb, 100).unwrap_or(0) & 0x8000 != 0 && features2 & V2_FTYPE != 0
            },
            uuid,
            label: String::from_utf8_lossy(&label_bytes[..end]).into_owned(),
            dirs: RefCell::new(HashMap::new()),
            cached_names: Cell::new(0),
        };
        let root = fs.inode(root_ino)?;
        if root.kind() != NodeKind::Dir {
            return Err(corrupt(format!("root inode {root_ino} is not a directory")));
        }
        Ok(fs)
    }

    /// The byte offset of a file-system block, checked against its group and the disk.
    fn block_offset(&self, fsb: u64) -> Result<u64, FsError> {
        let ag = fsb >> self.ag_blk_log;
        let agbno = fsb & ((1u64 << self.ag_blk_log) - 1);
        if ag >= self.ag_count || agbno >= self.ag_blocks {
            return Err(corrupt(format!(
                "block {fsb} (group {ag}, block {agbno}) is outside the file system"
            )));
        }
        // ag < ag_count and agbno < ag_blocks: below dblocks, whose bytes fit the partition.
        Ok((ag * self.ag_blocks + agbno) * self.block_size)
    }

    fn read_blocks(&self, fsb: u64, count: u64) -> Result<Vec<u8>, FsError> {
        let at = self.block_offset(fsb)?;
        let last = fsb
            .checked_add(count.saturating_sub(1))
            .ok_or_else(|| corrupt("block number overflow"))?;
        if count == 0 || self.block_offset(last)? != at + (count - 1) * self.block_size {
            return Err(corrupt(format!(
                "blocks {fsb}..{} cross the end of their allocation group",
                fsb.saturating_add(count)
            )));
        }
        let len = count * self.block_size;
        let mut buf = vec![0u8; len as usize];
        self.dev.read_at(at, &mut buf)?;
        Ok(buf)
    }

    fn inode(&self, ino: u64) -> Result<Inode, FsError> {
        let per_ag_bits = self.ag_blk_log + self.inop_blog;
        let ag = ino >> per_ag_bits;
        let agino = ino & ((1u64 << per_ag_bits) - 1);
        let agbno = agino >> self.inop_blog;
        let slot = agino & ((1u64 << self.inop_blog) - 1);
        if ag >= self.ag_count || agbno >= self.ag_blocks {
            return Err(corrupt(format!("inode {ino} lies outside the file system")));
        }
        let at = (ag * self.ag_blocks + agbno) * self.block_size + slot * self.inode_size as u64;
        let mut raw = vec![0u8; self.inode_size];
        self.dev.read_at(at, &mut raw)?;
        let bad = |what: &str| Err(corrupt(format!("inode {ino}: {what}")));
        if &raw[0..2] != b"IN" {
            return bad("no inode magic");
        }
        let version = raw[4];
        let core = match version {
            3 if self.v5 => 176,
            1 | 2 => 100,
            v => return bad(&format!("inode version {v}")),
        };
        if core > self.inode_size {
            return bad("an inode core larger than the inode");
        }
        if self.v5 {
            if version != 3 {
                return bad("a v5 file system with an inode older than version 3");
            }
            if !crc_ok(&raw, 100) {
                return bad("checksum mismatch");
            }
            if be64(&raw, 152) != Some(ino) {
                return bad("the inode records another number (misdirected write?)");
            }
        }
        let mode = be16(&raw, 2).unwrap_or(0);
        let format = match raw[5] {
            1 => Format::Local,
            2 => Format::Extents,
            3 => Format::Btree,
            _ => Format::Other,
        };
        let flags2 = if version == 3 {
            be64(&raw, 120).unwrap_or(0)
        } else {
            0
        };
        let nextents = if flags2 & DIFLAG2_NREXT64 != 0 {
            be64(&raw, 24).unwrap_or(0)
        } else {
            u64::from(be32(&raw, 76).unwrap_or(0))
        };
        let mtime = if flags2 & DIFLAG2_BIGTIME != 0 {
            let ns = be64(&raw, 40).unwrap_or(0);
            (ns / 1_000_000_000) as i64 - (1i64 << 31)
        } else {
            i64::from(be32(&raw, 40).unwrap_or(0) as i32)
        };
        let forkoff = usize::from(raw[82]) * 8;
        let end = if forkoff == 0 {
            self.inode_size
        } else {
            core + forkoff
        };
        if end > self.inode_size {
            return bad(&format!(
                "attribute fork offset {forkoff} lies outside the inode"
            ));
        }
        Ok(Inode {
            ino,
            mode,
            format,
            size: be64(&raw, 56).unwrap_or(0),
            nextents,
            mtime,
            fork: raw[core..end].to_vec(),
        })
    }

    /// The inode's block map, in logical order.
    fn extents(&self, inode: &Inode) -> Result<Vec<Extent>, FsError> {
        let bad = |what: String| Err(corrupt(format!("inode {}: {what}", inode.ino)));
        let mut out = Vec::new();
        match inode.format {
            Format::Extents => {
                let n = inode.nextents;
                if n.saturating_mul(16) > inode.fork.len() as u64 {
                    return bad(format!(
                        "{n} extents do not fit in its {}-byte fork",
                        inode.fork.len()
                    ));
                }
                for rec in inode.fork.chunks_exact(16).take(n as usize) {
                    out.push(unpack(rec));
                }
            }
            Format::Btree => {
                let fork = &inode.fork;
                let level = be16(fork, 0).unwrap_or(0);
                let numrecs = usize::from(be16(fork, 2).unwrap_or(0));
                let maxrecs = fork.len().saturating_sub(4) / 16;
                if level == 0 || level > MAX_BMBT_LEVELS || numrecs == 0 || numrecs > maxrecs {
                    return bad(format!(
                        "extent tree root with level {level} and {numrecs} records (at most {maxrecs})"
                    ));
                }
                let ptrs = 4 + maxrecs * 8;
                let mut seen = HashSet::new();
                for i in 0..numrecs {
                    let ptr = be64(fork, ptrs + i * 8).unwrap_or(0);
                    self.walk_bmbt(inode.ino, ptr, level - 1, &mut seen, &mut out)?;
                }
            }
            Format::Local => {}
            Format::Other => return bad("a data fork of unknown format".into()),
        }
        let mut next = 0;
        for e in &out {
            if e.off < next {
                return bad("extents overlap or are out of order".into());
            }
            next = e.off + e.count;
        }
        Ok(out)
    }

    fn walk_bmbt(
        &self,
        ino: u64,
        fsb: u64,
        level: u16,
        seen: &mut HashSet<u64>,
        out: &mut Vec<Extent>,
    ) -> Result<(), FsError> {
        let bad = |what: String| {
            Err(corrupt(format!(
                "inode {ino}: extent tree block {fsb}: {what}"
            )))
        };
        if !seen.insert(fsb) {
            return bad("reached twice (a loop in the tree)".into());
        }
        let block = self.read_blocks(fsb, 1)?;
        let (magic, hdr): (&[u8], usize) = if self.v5 {
            (b"BMA3", 72)
        } else {
            (b"BMAP", 24)
        };
        if &block[0..4] != magic {
            return bad("no extent-tree magic".into());
        }
        if self.v5 {
            if !crc_ok(&block, 64) {
                return bad("checksum mismatch".into());
            }
            if be64(&block, 56) != Some(ino) {
                return bad("belongs to another inode".into());
            }
        }
        let got_level = be16(&block, 4).unwrap_or(0);
        let numrecs = usize::from(be16(&block, 6).unwrap_or(0));
        if got_level != level {
            return bad(format!("level {got_level} where {level} was expected"));
        }
        if level == 0 {
            let max = (block.len() - hdr) / 16;
            if numrecs > max {
                return bad(format!("{numrecs} records (at most {max})"));
            }
            for rec in block[hdr..].chunks_exact(16).take(numrecs) {
                if out.len() >= MAX_EXTENTS {
                    return bad(format!("more than {MAX_EXTENTS} extents"));
                }
                out.push(unpack(rec));
            }
            return Ok(());
        }
        let maxrecs = (block.len() - hdr) / 16;
        if numrecs > maxrecs {
            return bad(format!("{numrecs} keys (at most {maxrecs})"));
        }
        let ptrs = hdr + maxrecs * 8;
        for i in 0..numrecs {
            let ptr = be64(&block, ptrs + i * 8).unwrap_or(0);
            self.walk_bmbt(ino, ptr, level - 1, seen, out)?;
        }
        Ok(())
    }

    /// `len` bytes of the inode's data from logical byte `at`, holes and unwritten extents as
    /// zeros.
    fn read_logical(&self, map: &[Extent], at: u64, len: u64) -> Result<Vec<u8>, FsError> {
        let mut buf = vec![0u8; len as usize];
        let bs = self.block_size;
        let end = at + len;
        for e in map {
            let (Some(e_start), Some(e_end)) =
                (e.off.checked_mul(bs), (e.off + e.count).checked_mul(bs))
            else {
                return Err(corrupt(format!(
                    "an extent at logical block {} lies beyond any file",
                    e.off
                )));
            };
            if e_end <= at || e_start >= end || e.unwritten {
                continue;
            }
            let from = e_start.max(at);
            let to = e_end.min(end);
            // Whole blocks of the extent cover [from, to).
            let first = (from - e_start) / bs;
            let last = (to - e_start).div_ceil(bs);
            let blocks = self.read_blocks(e.block + first, last - first)?;
            let skip = (from - (e_start + first * bs)) as usize;
            let n = (to - from) as usize;
            buf[(from - at) as usize..(from - at) as usize + n]
                .copy_from_slice(&blocks[skip..skip + n]);
        }
        Ok(buf)
    }

    fn dir_entries(&self, inode: &Inode) -> Result<Vec<(Vec<u8>, u64)>, FsError> {
        let ino = inode.ino;
        let bad = |what: String| Err(corrupt(format!("directory inode {ino}: {what}")));
        let mut out = Vec::new();
        if inode.format == Format::Local {
            let f = &inode.fork;
            let count = usize::from(*f.first().unwrap_or(&0));
            let i8count = usize::from(*f.get(1).unwrap_or(&0));
            let wide = i8count > 0;
            let ino_len = if wide { 8 } else { 4 };
            let mut pos = 2 + ino_len;
            for _ in 0..count {
                let Some(&namelen) = f.get(pos) else {
                    return bad("short-form entries run past the fork".into());
                };
                let namelen = usize::from(namelen);
                let name_at = pos + 3;
                let after = name_at + namelen + usize::from(self.ftype);
                let Some(name) = f.get(name_at..name_at + namelen) else {
                    return bad("short-form entries run past the fork".into());
                };
                let num = if wide {
                    be64(f, after)
                } else {
                    be32(f, after).map(u64::from)
                };
                let Some(num) = num else {
                    return bad("short-form entries run past the fork".into());
                };
                if namelen == 0 {
                    return bad("a short-form entry with an empty name".into());
                }
                out.push((name.to_vec(), num));
                pos = after + ino_len;
            }
            return Ok(out);
        }
        let map = self.extents(inode)?;
        let dbs = self.dir_block_size;
        let leaf_block = DIR_LEAF_OFFSET / self.block_size;
        let per_dir_block = dbs / self.block_size;
        let mut blocks: Vec<u64> = Vec::new();
        for e in &map {
            if e.off >= leaf_block {
                continue;
            }
            let end = (e.off + e.count).min(leaf_block);
            let mut b = e.off - e.off % per_dir_block;
            while b < end {
                if blocks.last() != Some(&b) {
                    blocks.push(b);
                }
                b += per_dir_block;
            }
        }
        // Data blocks lie within the directory's size; an extent map claiming more is damage
        // that would otherwise read the same blocks over and over.
        let data_blocks = inode.size.div_ceil(self.block_size).min(leaf_block);
        if blocks.last().is_some_and(|&b| b >= data_blocks) {
            return bad(format!("data blocks beyond its {}-byte size", inode.size));
        }
        for lb in blocks {
            let block = self.read_logical(&map, lb * self.block_size, dbs)?;
            let (hdr, is_block_form) = match &block[0..4] {
                b"XDB3" if self.v5 => (64, true),
                b"XDD3" if self.v5 => (64, false),
                b"XD2B" if !self.v5 => (16, true),
                b"XD2D" if !self.v5 => (16, false),
                _ => return bad(format!("directory block {lb}: no data-block magic")),
            };
            if self.v5 {
                if !crc_ok(&block, 4) {
                    return bad(format!("directory block {lb}: checksum mismatch"));
                }
                if be64(&block, 40) != Some(ino) {
                    return bad(format!("directory block {lb}: belongs to another inode"));
                }
            }
            let mut end = block.len();
            if is_block_form {
                let count = be32(&block, block.len() - 8).unwrap_or(0) as usize;
                let leaf_bytes = count.saturating_mul(8) + 8;
                if leaf_bytes > block.len() - hdr {
                    return bad(format!(
                        "directory block {lb}: {count} leaf entries do not fit"
                    ));
                }
                end = block.len() - leaf_bytes;
            }
            let mut pos = hdr;
            while pos + 8 <= end {
                if be16(&block, pos) == Some(0xffff) {
                    let len = usize::from(be16(&block, pos + 2).unwrap_or(0));
                    if len < 8 || len % 8 != 0 || pos + len > end {
                        return bad(format!(
                            "directory block {lb}: a free region of {len} bytes at {pos}"
                        ));
                    }
                    pos += len;
                    continue;
                }
                let num = be64(&block, pos).unwrap_or(0);
                let Some(&namelen) = block.get(pos + 8) else {
                    return bad(format!(
                        "directory block {lb}: an entry at {pos} runs past the block"
                    ));
                };
                let namelen = usize::from(namelen);
                let size = (8 + 1 + namelen + usize::from(self.ftype) + 2).div_ceil(8) * 8;
                if namelen == 0 || pos + size > end {
                    return bad(format!(
                        "directory block {lb}: an entry at {pos} runs past the block"
                    ));
                }
                let name = &block[pos + 9..pos + 9 + namelen];
                if name != b"." && name != b".." {
                    if out.len() >= MAX_DIR_ENTRIES {
                        return bad(format!("more than {MAX_DIR_ENTRIES} entries"));
                    }
                    out.push((name.to_vec(), num));
                }
                pos += size;
            }
        }
        Ok(out)
    }

    /// A directory's entries, from the cache when it was listed before.
    fn listing(&self, inode: &Inode) -> Result<Listing, FsError> {
        if let Some(hit) = self.dirs.borrow().get(&inode.ino) {
            return Ok(hit.clone());
        }
        let entries = Rc::new(self.dir_entries(inode)?);
        let mut dirs = self.dirs.borrow_mut();
        if self.cached_names.get() + entries.len() > MAX_CACHED_NAMES {
            dirs.clear();
            self.cached_names.set(0);
        }
        self.cached_names
            .set(self.cached_names.get() + entries.len());
        dirs.insert(inode.ino, entries.clone());
        Ok(entries)
    }

    /// The inode a path names, its last component not followed.
    fn lookup(&self, path: &Path) -> Result<Inode, FsError> {
        let mut inode = self.inode(self.root_ino)?;
        for c in path.components() {
            let name = match c {
                Component::Normal(n) => n.as_encoded_bytes(),
                Component::RootDir | Component::CurDir => continue,
                _ => return Err(corrupt(format!("unresolved path {}", path.display()))),
            };
            if inode.kind() != NodeKind::Dir {
                return Err(FsError::NotADirectory);
            }
            let entries = self.listing(&inode)?;
            let Some(&(_, num)) = entries.iter().find(|(n, _)| n == name) else {
                return Err(FsError::NotFound);
            };
            inode = self.inode(num)?;
        }
        Ok(inode)
    }
}

/// A packed 128-bit extent record.
fn unpack(rec: &[u8]) -> Extent {
    let l0 = be64(rec, 0).unwrap_or(0);
    let l1 = be64(rec, 8).unwrap_or(0);
    Extent {
        unwritten: l0 >> 63 == 1,
        off: (l0 & ((1u64 << 63) - 1)) >> 9,
        block: ((l0 & 0x1ff) << 43) | (l1 >> 21),
        count: l1 & ((1u64 << 21) - 1),
    }
}

impl FileSystem for Xfs {
    fn kind(&self) -> &'static str {
        "xfs"
    }

    fn label(&self) -> String {
        self.label.clone()
    }

    fn uuid(&self) -> String {
        uuid_text(&self.uuid)
    }

    fn lstat(&self, path: &Path) -> Result<Stat, FsError> {
        let inode = self.lookup(path)?;
        Ok(Stat {
            kind: inode.kind(),
            size: inode.size,
            mtime: Some(inode.mtime),
        })
    }

    fn read_link(&self, path: &Path) -> Result<Vec<u8>, FsError> {
        let inode = self.lookup(path)?;
        let ino = inode.ino;
        if inode.kind() != NodeKind::Symlink {
            return Err(corrupt(format!("inode {ino} is not a symlink")));
        }
        if inode.size == 0 || inode.size > 1024 {
            return Err(corrupt(format!(
                "symlink inode {ino}: length {}",
                inode.size
            )));
        }
        let size = inode.size as usize;
        if inode.format == Format::Local {
            return inode
                .fork
                .get(..size)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| corrupt(format!("symlink inode {ino}: target runs past the fork")));
        }
        let map = self.extents(&inode)?;
        let mut target = Vec::with_capacity(size);
        for e in &map {
            for b in 0..e.count {
                let block = self.read_blocks(e.block + b, 1)?;
                let data: &[u8] = if self.v5 {
                    if &block[0..4] != b"XSLM" || !crc_ok(&block, 12) {
                        return Err(corrupt(format!(
                            "symlink inode {ino}: a damaged target block"
                        )));
                    }
                    let bytes = be32(&block, 8).unwrap_or(0) as usize;
                    block.get(56..56 + bytes).ok_or_else(|| {
                        corrupt(format!(
                            "symlink inode {ino}: a target block's length {bytes}"
                        ))
                    })?
                } else {
                    &block
                };
                target.extend_from_slice(data);
                if target.len() >= size {
                    target.truncate(size);
                    return Ok(target);
                }
            }
        }
        Err(corrupt(format!(
            "symlink inode {ino}: target shorter than {size} bytes"
        )))
    }

    fn read_dir(&self, path: &Path) -> Result<Vec<Vec<u8>>, FsError> {
        let inode = self.lookup(path)?;
        if inode.kind() != NodeKind::Dir {
            return Err(FsError::NotADirectory);
        }
        Ok(self
            .dir_entries(&inode)?
            .into_iter()
            .map(|(n, _)| n)
            .collect())
    }

    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, FsError> {
        let inode = self.lookup(path)?;
        if inode.kind() != NodeKind::File {
            return Err(corrupt(format!(
                "inode {} is not a regular file",
                inode.ino
            )));
        }
        if inode.size > limit {
            return Err(FsError::TooLarge(inode.size));
        }
        if inode.format == Format::Local {
            return inode
                .fork
                .get(..inode.size as usize)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| corrupt(format!("inode {}: data runs past the fork", inode.ino)));
        }
        let map = self.extents(&inode)?;
        self.read_logical(&map, 0, inode.size)
    }
}
