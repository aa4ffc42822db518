//! Disk containers: what turns an image file into the bytes of a disk. Raw (a byte-for-byte
//! disk, as `coldsnap download` or `dd` gives), qcow2 (v2 and v3, zlib and zstd compressed
//! clusters, backing files resolved relative to the image; our own reader, see
//! docs/dependencies.md) and VMDK (monolithicSparse and streamOptimized, through
//! `vmdk-core`). Told by content, never by file name.

use std::collections::HashMap;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::block::bytes::{be32, be64};
use super::block::{Blocks, ImageFile, Source};

/// How deep a chain of qcow2 backing files may go (a file naming itself loops).
const MAX_BACKING_DEPTH: usize = 16;
/// The largest L1 table read, qemu's own limit (`QCOW_MAX_L1_SIZE`).
const MAX_L1_BYTES: u64 = 32 << 20;
/// Decompressed and L2-table clusters kept per image.
const CACHED_CLUSTERS: usize = 64;

const QCOW2_MAGIC: &[u8] = b"QFI\xfb";
const VMDK_MAGIC: &[u8] = b"KDMV";
const VMDK_DESCRIPTOR: &[u8] = b"# Disk DescriptorFile";

/// Whether a file starts as a qcow2 or VMDK container.
pub fn probe(head: &[u8]) -> bool {
    [QCOW2_MAGIC, VMDK_MAGIC, VMDK_DESCRIPTOR]
        .iter()
        .any(|m| head.starts_with(m))
}

/// Opens the disk an image file holds; also says which container it was.
pub fn open(file: Arc<ImageFile>) -> Result<(Source, String), String> {
    open_at(file, 0)
}

fn open_at(file: Arc<ImageFile>, depth: usize) -> Result<(Source, String), String> {
    let mut head = [0u8; 512];
    let n = head.len().min(file.size() as usize);
    file.read_at(0, &mut head[..n]).map_err(|e| e.to_string())?;
    if head.starts_with(QCOW2_MAGIC) {
        let q = Qcow2::open(file, depth)?;
        let name = format!("qcow2 v{}", q.version);
        return Ok((Arc::new(q), name));
    }
    if head.starts_with(VMDK_DESCRIPTOR) {
        return Err("a VMDK descriptor file, whose extents are other files: not read; convert the disk with `qemu-img convert -O raw`".into());
    }
    if head.starts_with(VMDK_MAGIC) {
        let v = Vmdk::open(file)?;
        return Ok((Arc::new(v), "vmdk".into()));
    }
    Ok((file, "raw".into()))
}

/// The image file as `Read + Seek`, for `vmdk-core`; the bytes it reads are counted.
struct FileCursor {
    file: Arc<ImageFile>,
    pos: u64,
}

impl Read for FileCursor {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.file.size().saturating_sub(self.pos);
        let n = (buf.len() as u64).min(left) as usize;
        self.file.read_at(self.pos, &mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for FileCursor {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let base = match to {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::End(d) => self.file.size().checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos =
            base.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek out of range"))?;
        Ok(self.pos)
    }
}

/// A VMDK sparse extent (monolithicSparse or streamOptimized).
struct Vmdk {
    reader: Mutex<vmdk::VmdkReader<FileCursor>>,
    size: u64,
}

impl Vmdk {
    fn open(file: Arc<ImageFile>) -> Result<Self, String> {
        let reader = vmdk::VmdkReader::open(FileCursor { file, pos: 0 })
            .map_err(|e| format!("VMDK: {e}"))?;
        let size = reader.virtual_disk_size();
        Ok(Vmdk {
            reader: Mutex::new(reader),
            size,
        })
    }
}

impl Blocks for Vmdk {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        super::block::within(offset, buf.len(), self.size)?;
        let mut r = self
            .reader
            .lock()
            .map_err(|_| io::Error::other("VMDK reader poisoned"))?;
        r.seek(io::SeekFrom::Start(offset))?;
        r.read_exact(buf)
    }
}

/// Compression of qcow2 clusters.
#[derive(Debug, Clone, Copy)]
enum Compression {
    Zlib,
    Zstd,
}

/// A qcow2 image (v2 or v3) over its file, with its backing disk when it has one.
struct Qcow2 {
    file: Arc<ImageFile>,
    version: u32,
    cluster_bits: u32,
    size: u64,
    l1: Vec<u64>,
    backing: Option<Source>,
    compression: Compression,
    /// L2 tables and decompressed clusters by host offset.
    cache: Mutex<HashMap<ClusterKey, Arc<Vec<u8>>>>,
}

/// A cached cluster: (decompressed data rather than an L2 table, host offset).
type ClusterKey = (bool, u64);

const OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;

impl Qcow2 {
    fn open(file: Arc<ImageFile>, depth: usize) -> Result<Self, String> {
        let mut h = vec![0u8; 512.min(file.size() as usize)];
        file.read_at(0, &mut h).map_err(|e| e.to_string())?;
        let bad = |m: String| Err(format!("qcow2: {m}"));
        let version = be32(&h, 4).unwrap_or(0);
        if version != 2 && version != 3 {
            return bad(format!("version {version} (only 2 and 3 are read)"));
        }
        let backing_offset = be64(&h, 8).unwrap_or(0);
        let backing_len = be32(&h, 16).unwrap_or(0);
        let cluster_bits = be32(&h, 20).unwrap_or(0);
        let size = be64(&h, 24).unwrap_or(0);
        let crypt = be32(&h, 32).unwrap_or(0);
        let l1_size = u64::from(be32(&h, 36).unwrap_or(0));
        let l1_offset = be64(&h, 40).unwrap_or(0);
        if !(9..=21).contains(&cluster_bits) {
            return bad(format!("cluster size 2^{cluster_bits}"));
        }
        if crypt != 0 {
            return bad("an encrypted image (not read)".into());
        }
        let mut compression = Compression::Zlib;
        if version == 3 {
            let incompatible = be64(&h, 72).unwrap_or(0);
            let header_len = be32(&h, 100).unwrap_or(0);
            if incompatible & 0b10 != 0 {
                return bad("marked corrupt by qemu (run `qemu-img check`)".into());
            }
            if incompatible & 0b100 != 0 {
                return bad("data kept in an external file (not read)".into());
            }
            if incompatible & 0b1_0000 != 0 {
                return bad("extended L2 entries (subclusters; not read)".into());
            }
            if incompatible & !0b1_1111 != 0 {
                return bad(format!(
                    "incompatible features {incompatible:#x} this reader does not know"
                ));
            }
            if incompatible & 0b1000 != 0 && header_len > 104 {
                compression = match h.get(104) {
                    Some(0) => Compression::Zlib,
                    Some(1) => Compression::Zstd,
                    other => return bad(format!("compression type {other:?}")),
                };
            }
        }
        let cluster = 1u64 << cluster_bits;
        let l2_entries = cluster / 8;
        let needed = size.div_ceil(cluster).div_ceil(l2_entries);
        if l1_size < needed {
            return bad(format!(
                "an L1 table of {l1_size} entries for a {size}-byte disk (needs {needed})"
            ));
        }
        if !l1_offset.is_multiple_of(cluster)
            || l1_offset
                .checked_add(l1_size * 8)
                .is_none_or(|e| e > file.size())
        {
            return bad(format!(
                "an L1 table at byte {l1_offset} of {l1_size} entries lies outside the file"
            ));
        }
        if needed * 8 > MAX_L1_BYTES {
            return bad(format!(
                "an L1 table of {needed} entries (qemu's limit is {} MiB)",
                MAX_L1_BYTES >> 20
            ));
        }
        let mut raw = vec![0u8; (needed * 8) as usize];
        file.read_at(l1_offset, &mut raw)
            .map_err(|e| e.to_string())?;
        let l1 = raw
            .chunks_exact(8)
            .map(|c| u64::from_be_bytes(c.try_into().unwrap_or([0; 8])))
            .collect();
        let backing = if backing_offset != 0 {
            if backing_len == 0 || backing_len > 1023 {
                return bad(format!("a backing file name of {backing_len} bytes"));
            }
            if depth >= MAX_BACKING_DEPTH {
                return bad(format!(
                    "more than {MAX_BACKING_DEPTH} backing files (a loop?)"
                ));
            }
            let mut name = vec![0u8; backing_len as usize];
            file.read_at(backing_offset, &mut name)
                .map_err(|e| e.to_string())?;
            let name = PathBuf::from(String::from_utf8_lossy(&name).into_owned());
            // Only a file beside the image (or below it): an absolute name, or one climbing
            // out with `..`, could put the scanner's own disks or files in the image's place.
            let plain = name.components().all(|c| {
                matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            });
            if !plain {
                return bad(format!(
                    "backing file {}: only a name relative to the image's directory, without `..`, is followed (rebase the chain with `qemu-img rebase -u`, or convert it with `qemu-img convert`)",
                    name.display()
                ));
            }
            let path = file.path().parent().unwrap_or(Path::new(".")).join(name);
            let meta = std::fs::symlink_metadata(&path)
                .map_err(|e| format!("qcow2: backing file {}: {e}", path.display()))?;
            if !meta.is_file() {
                return bad(format!(
                    "backing file {}: not a regular file",
                    path.display()
                ));
            }
            let backing_file = Arc::new(
                ImageFile::open(&path)
                    .map_err(|e| format!("qcow2: backing file {}: {e}", path.display()))?,
            );
            let (disk, _) = open_at(backing_file, depth + 1)
                .map_err(|e| format!("backing file {}: {e}", path.display()))?;
            Some(disk)
        } else {
            None
        };
        Ok(Qcow2 {
            file,
            version,
            cluster_bits,
            size,
            l1,
            backing,
            compression,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn cached(
        &self,
        key: (bool, u64),
        make: impl FnOnce() -> io::Result<Vec<u8>>,
    ) -> io::Result<Arc<Vec<u8>>> {
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let value = Arc::new(make()?);
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= CACHED_CLUSTERS {
                c.clear();
            }
            c.insert(key, value.clone());
        }
        Ok(value)
    }

    fn corrupt(what: String) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, format!("qcow2: {what}"))
    }

    /// Reads within one guest cluster.
    fn read_in_cluster(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let cluster = 1u64 << self.cluster_bits;
        let index = offset >> self.cluster_bits;
        let within = (offset & (cluster - 1)) as usize;
        let l2_bits = self.cluster_bits - 3;
        let l1_entry = self
            .l1
            .get((index >> l2_bits) as usize)
            .copied()
            .unwrap_or(0);
        let l2_offset = l1_entry & OFFSET_MASK;
        let unallocated = |buf: &mut [u8]| match &self.backing {
            Some(b) if offset < b.size() => {
                let n = buf.len().min((b.size() - offset) as usize);
                b.read_at(offset, &mut buf[..n])?;
                buf[n..].fill(0);
                Ok(())
            }
            _ => {
                buf.fill(0);
                Ok(())
            }
        };
        if l2_offset == 0 {
            return unallocated(buf);
        }
        if !l2_offset.is_multiple_of(cluster) || l2_offset + cluster > self.file.size() {
            return Err(Self::corrupt(format!(
                "an L2 table at byte {l2_offset} lies outside the file"
            )));
        }
        let table = self.cached((false, l2_offset), || {
            let mut t = vec![0u8; cluster as usize];
            self.file.read_at(l2_offset, &mut t)?;
            Ok(t)
        })?;
        let slot = ((index & ((1 << l2_bits) - 1)) * 8) as usize;
        let entry = be64(&table, slot).unwrap_or(0);
        if entry & (1 << 62) != 0 {
            let x = 62 - (self.cluster_bits - 8);
            let host = entry & ((1u64 << x) - 1);
            let sectors = ((entry >> x) & ((1u64 << (self.cluster_bits - 8)) - 1)) + 1;
            let len = (sectors * 512 - (host & 511)).min(self.file.size().saturating_sub(host));
            let data = self.cached((true, host), || {
                let mut packed = vec![0u8; len as usize];
                self.file.read_at(host, &mut packed)?;
                let mut out = vec![0u8; cluster as usize];
                match self.compression {
                    Compression::Zlib => {
                        let mut d = flate2::Decompress::new(false);
                        d.decompress(&packed, &mut out, flate2::FlushDecompress::Finish)
                            .map_err(|e| {
                                Self::corrupt(format!("a compressed cluster at byte {host}: {e}"))
                            })?;
                        if d.total_out() != cluster {
                            return Err(Self::corrupt(format!(
                                "a compressed cluster at byte {host} holds {} bytes, not {cluster}",
                                d.total_out()
                            )));
                        }
                    }
                    Compression::Zstd => {
                        // The stored run is padded to whole sectors: read one frame's worth.
                        let mut d = zstd::stream::read::Decoder::with_buffer(&packed[..])
                            .map_err(|e| {
                                Self::corrupt(format!("a compressed cluster at byte {host}: {e}"))
                            })?
                            .single_frame();
                        // A cluster needs no window larger than itself.
                        d.window_log_max(self.cluster_bits.max(10)).map_err(|e| {
                            Self::corrupt(format!("a compressed cluster at byte {host}: {e}"))
                        })?;
                        d.read_exact(&mut out).map_err(|e| {
                            Self::corrupt(format!("a compressed cluster at byte {host}: {e}"))
                        })?;
                    }
                }
                Ok(out)
            })?;
            buf.copy_from_slice(&data[within..within + buf.len()]);
            return Ok(());
        }
        let host = entry & OFFSET_MASK;
        if self.version == 3 && entry & 1 != 0 {
            buf.fill(0);
            return Ok(());
        }
        if host == 0 {
            return unallocated(buf);
        }
        if !host.is_multiple_of(cluster) || host + cluster > self.file.size() {
            return Err(Self::corrupt(format!(
                "a data cluster at byte {host} lies outside the file"
            )));
        }
        self.file.read_at(host + within as u64, buf)
    }
}

impl Blocks for Qcow2 {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        super::block::within(offset, buf.len(), self.size)?;
        let cluster = 1u64 << self.cluster_bits;
        let mut done = 0;
        while done < buf.len() {
            let at = offset + done as u64;
            let n = ((cluster - (at & (cluster - 1))) as usize).min(buf.len() - done);
            self.read_in_cluster(at, &mut buf[done..done + n])?;
            done += n;
        }
        Ok(())
    }
}
