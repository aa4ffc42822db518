//! Machine images as they are stored, read without mounting: a raw disk (what `coldsnap
//! download` or `dd` of an EBS volume gives) or a single file system image, its partition
//! table (GPT or MBR), and the ext2/3/4 and XFS file systems on it, read-only and only where
//! a scan looks.
//!
//! The root is never chosen by partition name: EFI system, BIOS boot, swap and extended
//! partitions are skipped by type, every other partition is opened by its file-system
//! signature, and the root is the one file system with `etc/os-release` (or
//! `usr/lib/os-release`). Its `etc/fstab` then attaches the file systems it mounts at `/usr`,
//! `/var` or `/var/lib` from the same disk (by `UUID=`, `LABEL=`, `PARTUUID=` or device path).
//!
//! [`Image`] serves the layers above (through [`crate::files::rootfs::RootFs`]) from a thread
//! of its own that owns the file-system readers; each request is a path already resolved by
//! the root's link rules.

pub mod block;
mod container;
mod ext4;
pub mod fs;
mod lvm;
mod table;
mod xfs;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};

use block::{Blocks, ImageFile, Source, Window};
use fs::{FileSystem, FsError, NodeKind, Stat};

/// Where in an image something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layer {
    /// The image file and its container format.
    Container,
    /// The partition table.
    Table,
    /// A partition, by the number Linux gives it.
    Partition(u32),
    /// A file system that fills the whole image (no partition table).
    WholeDisk,
    /// An LVM logical volume, `vg/lv`.
    Volume(String),
    /// Choosing the root file system.
    Root,
    /// The root's `etc/fstab`.
    Fstab,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::Container => f.write_str("container"),
            Layer::Table => f.write_str("partition table"),
            Layer::Partition(n) => write!(f, "partition {n}"),
            Layer::WholeDisk => f.write_str("file system"),
            Layer::Volume(name) => write!(f, "logical volume {name}"),
            Layer::Root => f.write_str("root file system"),
            Layer::Fstab => f.write_str("etc/fstab"),
        }
    }
}

/// Why an image could not be opened: the image, the layer and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}: {layer}: {message}", .image.display())]
pub struct DiskError {
    pub image: PathBuf,
    pub layer: Layer,
    pub message: String,
}

/// One partition as `image inspect` shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartitionInfo {
    pub number: u32,
    pub start: u64,
    pub size: u64,
    pub type_id: String,
    pub type_name: String,
    pub name: String,
    pub part_uuid: String,
    pub file_system: Option<String>,
    pub label: Option<String>,
    pub uuid: Option<String>,
    /// `root`, `mounted at /var`, `skipped (EFI System)`, `not read: …`, or empty.
    pub role: String,
}

/// An LVM logical volume as `image inspect` shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeInfo {
    /// `vg/lv`.
    pub name: String,
    /// The partition holding its physical volume (0: the whole disk).
    pub partition: u32,
    pub size: u64,
    pub file_system: Option<String>,
    pub label: Option<String>,
    pub uuid: Option<String>,
    pub role: String,
}

/// A file system fstab attached under the root.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountInfo {
    pub mount_point: String,
    pub spec: String,
    pub source: String,
}

/// What was found in an image: the first thing to look at when a scan of it fails.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Layout {
    pub image: PathBuf,
    pub container: String,
    pub size: u64,
    pub partition_table: Option<String>,
    pub sector_size: Option<u64>,
    pub partitions: Vec<PartitionInfo>,
    pub logical_volumes: Vec<VolumeInfo>,
    /// The root file system: `partition N`, or `whole disk`.
    pub root: String,
    pub root_file_system: String,
    pub mounts: Vec<MountInfo>,
    pub notes: Vec<String>,
}

/// The directories under which fstab's file systems are attached.
const ATTACHED: [&str; 3] = ["/usr", "/var", "/var/lib"];
/// The largest fstab read.
const MAX_FSTAB: u64 = 1 << 20;

/// A file system of the image and where it is mounted.
struct Mounted {
    /// Relative to the root: empty for the root itself, `var` for `/var`.
    at: PathBuf,
    name: String,
    fs: Box<dyn FileSystem>,
}

/// The root file system with fstab's attachments, deepest mount point first.
struct Mounts {
    list: Vec<Mounted>,
    /// Paths already looked up (the image does not change): resolving a path inside the
    /// root looks up each of its prefixes, and the readers above resolve the same paths
    /// again and again. `None` records a path that does not exist.
    stats: std::cell::RefCell<std::collections::HashMap<PathBuf, Option<Stat>>>,
}

/// The most lookups [`Mounts`] keeps; past it the cache is emptied.
const MAX_CACHED_STATS: usize = 1 << 18;

impl Mounts {
    fn lstat(&self, path: &Path) -> Result<Stat, FsError> {
        if let Some(hit) = self.stats.borrow().get(path) {
            return hit.ok_or(FsError::NotFound);
        }
        let found = match self.with(path, |fs, p| fs.lstat(p)) {
            Ok(st) => Some(st),
            Err(FsError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let mut stats = self.stats.borrow_mut();
        if stats.len() >= MAX_CACHED_STATS {
            stats.clear();
        }
        stats.insert(path.to_path_buf(), found);
        found.ok_or(FsError::NotFound)
    }

    fn with<T>(
        &self,
        path: &Path,
        f: impl FnOnce(&dyn FileSystem, &Path) -> Result<T, FsError>,
    ) -> Result<T, FsError> {
        for m in &self.list {
            if let Ok(rest) = path.strip_prefix(&m.at) {
                return f(m.fs.as_ref(), rest).map_err(|e| match e {
                    FsError::Corrupt(msg) => {
                        FsError::Corrupt(format!("{} ({}): {msg}", m.name, m.fs.kind()))
                    }
                    other => other,
                });
            }
        }
        Err(FsError::NotFound)
    }
}

type Job = Box<dyn FnOnce(&Mounts) + Send>;

/// An opened image: its layout, and its file systems behind a reader thread.
pub struct Image {
    layout: Layout,
    file: Arc<ImageFile>,
    jobs: mpsc::Sender<Job>,
    /// The first damage met (a failed checksum, a block outside the disk, a read error), with
    /// the path being looked up: kept even when the caller took the lookup's failure for
    /// "not there", so a damaged image can never pass for a smaller host.
    damage: std::sync::Mutex<Option<String>>,
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Image")
            .field("image", &self.layout.image)
            .finish()
    }
}

impl Image {
    /// Opens an image: container, table, file systems, root and fstab.
    pub fn open(path: &Path) -> Result<Self, DiskError> {
        let err = |layer, message: String| DiskError {
            image: path.to_path_buf(),
            layer,
            message,
        };
        let file =
            Arc::new(ImageFile::open(path).map_err(|e| err(Layer::Container, e.to_string()))?);
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let (jobs, jobs_rx) = mpsc::channel::<Job>();
        let source = file.clone();
        let image = path.to_path_buf();
        std::thread::Builder::new()
            .name("patchscan-image".into())
            .spawn(move || {
                // A reader that panics on some input (ours or a crate's) fails this image with
                // a message; the jobs below are guarded alike.
                let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    open_layout(&image, source)
                }))
                .unwrap_or_else(|_| {
                    Err(DiskError {
                        image: image.clone(),
                        layer: Layer::Container,
                        message: "the image reader failed on this image (malformed input)".into(),
                    })
                });
                let mounts = match opened {
                    Ok((layout, mounts)) => {
                        let _ = ready_tx.send(Ok(layout));
                        mounts
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = jobs_rx.recv() {
                    // A panicking job drops its reply channel: the caller sees "the image
                    // reader stopped" for that lookup, which is recorded as damage.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mounts)));
                }
            })
            .map_err(|e| {
                err(
                    Layer::Container,
                    format!("cannot start the image reader: {e}"),
                )
            })?;
        let layout = ready_rx
            .recv()
            .map_err(|_| err(Layer::Container, "the image reader stopped".into()))??;
        Ok(Image {
            layout,
            file,
            jobs,
            damage: std::sync::Mutex::new(None),
        })
    }

    /// What was found.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The first damage any lookup met, as `IMAGE!/path: what`.
    pub fn damage(&self) -> Option<String> {
        self.damage.lock().ok()?.clone()
    }

    fn note<T>(&self, path: &Path, r: Result<T, FsError>) -> Result<T, FsError> {
        if let Err(e @ (FsError::Corrupt(_) | FsError::Io(_))) = &r {
            if let Ok(mut d) = self.damage.lock() {
                d.get_or_insert_with(|| {
                    format!(
                        "{}!/{}: {}",
                        self.layout.image.display(),
                        path.display(),
                        fs_error_text(e)
                    )
                });
            }
        }
        r
    }

    /// The bytes read from the image file so far, and its size.
    pub fn bytes_read(&self) -> (u64, u64) {
        (self.file.bytes_read(), self.file.size())
    }

    /// Runs `f` on the reader thread against the mounts, with the path it looks up; damage it
    /// meets is noted.
    fn on_reader<T: Send + 'static>(
        &self,
        path: &Path,
        f: impl FnOnce(&Mounts, &Path) -> Result<T, FsError> + Send + 'static,
    ) -> Result<T, FsError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let owned = path.to_path_buf();
        let job: Job = Box::new(move |mounts: &Mounts| {
            let _ = tx.send(f(mounts, &owned));
        });
        let stopped = || FsError::Corrupt("the image reader stopped".into());
        let r = self
            .jobs
            .send(job)
            .map_err(|_| stopped())
            .and_then(|()| rx.recv().map_err(|_| stopped())?);
        self.note(path, r)
    }

    /// [`Image::on_reader`] with the file system that holds the path.
    fn call<T: Send + 'static>(
        &self,
        path: &Path,
        f: impl FnOnce(&dyn FileSystem, &Path) -> Result<T, FsError> + Send + 'static,
    ) -> Result<T, FsError> {
        self.on_reader(path, move |mounts, p| mounts.with(p, f))
    }

    /// A resolved path's type, size and time, a final link not followed.
    pub fn lstat(&self, path: &Path) -> Result<Stat, FsError> {
        self.on_reader(path, |mounts, p| mounts.lstat(p))
    }

    /// A link's target.
    pub fn read_link(&self, path: &Path) -> Result<Vec<u8>, FsError> {
        self.call(path, |fs, p| fs.read_link(p))
    }

    /// A directory's names; a mount point's are those of the file system mounted there.
    pub fn read_dir(&self, path: &Path) -> Result<Vec<Vec<u8>>, FsError> {
        self.call(path, |fs, p| fs.read_dir(p))
    }

    /// A regular file's bytes, at most `limit`.
    pub fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, FsError> {
        self.call(path, move |fs, p| fs.read(p, limit))
    }
}

/// Whether a file's first bytes (8 KiB or all of a shorter file) are those of a disk image:
/// a partition table, an XFS or ext2/3/4 superblock, an LVM label, or a qcow2 or VMDK header.
pub fn looks_like_image(head: &[u8]) -> bool {
    container::probe(head)
        || xfs::probe(head)
        || ext4::probe(head)
        || head.get(510..512) == Some(&[0x55, 0xaa])
        || head.get(512..520) == Some(b"EFI PART")
        || head.get(4096..4104) == Some(b"EFI PART")
        || head.get(512..520) == Some(b"LABELONE")
}

/// What a source holds, told by its first bytes.
/// An error names the kind the signature said (`xfs`, `ext4`; empty when the source could not
/// be read at all).
fn open_fs(src: &Source) -> Result<Option<Box<dyn FileSystem>>, (&'static str, FsError)> {
    let mut head = vec![0u8; 2048.min(src.size() as usize)];
    src.read_at(0, &mut head).map_err(|e| ("", e.into()))?;
    if xfs::probe(&head) {
        return Ok(Some(Box::new(
            xfs::Xfs::open(src.clone()).map_err(|e| ("xfs", e))?,
        )));
    }
    if ext4::probe(&head) {
        return Ok(Some(Box::new(
            ext4::Ext4Fs::open(src.clone()).map_err(|e| ("ext4", e))?,
        )));
    }
    Ok(None)
}

/// A signature of something this reader does not open, for messages.
fn what_else(src: &Source) -> Option<&'static str> {
    let mut head = vec![0u8; 4096.min(src.size() as usize)];
    src.read_at(0, &mut head).ok()?;
    if head.get(512..520) == Some(b"LABELONE") {
        return Some("an LVM physical volume");
    }
    if head.get(4086..4096) == Some(b"SWAPSPACE2") {
        return Some("swap space");
    }
    if head.get(3..11) == Some(b"mkfs.fat")
        || head.get(82..87) == Some(b"FAT32")
        || head.get(54..59) == Some(b"FAT16")
    {
        return Some("a FAT file system");
    }
    let mut btrfs = [0u8; 8];
    if src.read_at(0x10040, &mut btrfs).is_ok() && &btrfs == b"_BHRfS_M" {
        return Some("a Btrfs file system (not read; see README)");
    }
    None
}

fn fs_error_text(e: &FsError) -> String {
    match e {
        FsError::NotFound => "not found".into(),
        FsError::NotADirectory => "not a directory".into(),
        FsError::TooLarge(n) => format!("{n} bytes is too large"),
        FsError::Corrupt(m) => m.clone(),
        FsError::Io(e) => e.to_string(),
    }
}

struct Candidate {
    layer: Layer,
    /// Its entry in the layout's partitions (`Ok`) or logical volumes (`Err`).
    info: Option<Result<usize, usize>>,
    part_uuid: Option<String>,
    fs: Box<dyn FileSystem>,
}

fn has_os_release(fs: &dyn FileSystem) -> bool {
    ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .any(|p| fs.lstat(Path::new(p)).is_ok())
}

fn open_layout(image: &Path, file: Arc<ImageFile>) -> Result<(Layout, Mounts), DiskError> {
    let err = |layer, message: String| DiskError {
        image: image.to_path_buf(),
        layer,
        message,
    };
    let (disk, container) = container::open(file).map_err(|m| err(Layer::Container, m))?;
    let mut layout = Layout {
        image: image.to_path_buf(),
        container,
        size: disk.size(),
        partition_table: None,
        sector_size: None,
        partitions: Vec::new(),
        logical_volumes: Vec::new(),
        root: String::new(),
        root_file_system: String::new(),
        mounts: Vec::new(),
        notes: Vec::new(),
    };
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut failures: Vec<(Layer, String)> = Vec::new();
    // A file system filling the whole image comes first: a bare ext4 image has no table, and
    // an XFS superblock at byte 0 leaves no room for one.
    match open_fs(&disk) {
        Ok(Some(fs)) => candidates.push(Candidate {
            layer: Layer::WholeDisk,
            info: None,
            part_uuid: None,
            fs,
        }),
        Ok(None) => {
            let table = table::read(disk.as_ref()).map_err(|m| err(Layer::Table, m))?;
            let Some(table) = table else {
                // A physical volume filling the disk.
                if lvm::probe(disk.as_ref()) {
                    let volumes = lvm::volumes(&disk).map_err(|m| err(Layer::WholeDisk, m))?;
                    add_volumes(&mut layout, &mut candidates, &mut failures, 0, volumes);
                    return finish(image, layout, candidates, failures);
                }
                let what = what_else(&disk).unwrap_or(
                    "no partition table and no file system this reader knows (ext2/3/4, XFS)",
                );
                return Err(err(Layer::Container, what.to_string()));
            };
            layout.partition_table = Some(table.kind.as_str().into());
            layout.sector_size = Some(table.sector_size);
            layout.notes.extend(table.note.clone());
            for e in &table.entries {
                let layer = Layer::Partition(e.number);
                let mut info = PartitionInfo {
                    number: e.number,
                    start: e.start,
                    size: e.size,
                    type_id: e.type_id.clone(),
                    type_name: e.type_name.into(),
                    name: e.name.clone(),
                    part_uuid: e.part_uuid.clone(),
                    file_system: None,
                    label: None,
                    uuid: None,
                    role: String::new(),
                };
                if e.skip {
                    info.role = format!(
                        "skipped ({})",
                        if e.type_name.is_empty() {
                            "type"
                        } else {
                            e.type_name
                        }
                    );
                    layout.partitions.push(info);
                    continue;
                }
                let src: Source = match Window::new(disk.clone(), e.start, e.size) {
                    Ok(w) => Arc::new(w),
                    Err(w) => {
                        info.role = format!("not read: {w}");
                        failures.push((layer, w.to_string()));
                        layout.partitions.push(info);
                        continue;
                    }
                };
                if lvm::probe(src.as_ref()) {
                    info.file_system = Some("LVM2_member".into());
                    match lvm::volumes(&src) {
                        Ok(volumes) => {
                            info.role =
                                format!("LVM physical volume ({} logical volumes)", volumes.len());
                            add_volumes(
                                &mut layout,
                                &mut candidates,
                                &mut failures,
                                e.number,
                                volumes,
                            );
                        }
                        Err(m) => {
                            info.role = format!("not read: {m}");
                            failures.push((layer, m));
                        }
                    }
                    layout.partitions.push(info);
                    continue;
                }
                match open_fs(&src) {
                    Ok(Some(fs)) => {
                        info.file_system = Some(fs.kind().into());
                        info.label = Some(fs.label());
                        info.uuid = Some(fs.uuid());
                        candidates.push(Candidate {
                            layer,
                            info: Some(Ok(layout.partitions.len())),
                            part_uuid: Some(e.part_uuid.clone()),
                            fs,
                        });
                    }
                    Ok(None) => {
                        let what = what_else(&src)
                            .unwrap_or("no file system this reader knows (ext2/3/4, XFS)");
                        info.role = format!("not read: {what}");
                        if !e.lvm && !what.starts_with("swap") && !what.contains("FAT") {
                            failures.push((layer, what.to_string()));
                        }
                    }
                    Err((kind, fe)) => {
                        let text = format!("{kind}: {}", fs_error_text(&fe));
                        info.file_system = Some(kind.into());
                        info.role = format!("not read: {text}");
                        failures.push((layer, text));
                    }
                }
                layout.partitions.push(info);
            }
        }
        Err((_, e)) => return Err(err(Layer::WholeDisk, fs_error_text(&e))),
    }
    finish(image, layout, candidates, failures)
}

/// The logical volumes of one physical volume into the layout and the candidates.
fn add_volumes(
    layout: &mut Layout,
    candidates: &mut Vec<Candidate>,
    failures: &mut Vec<(Layer, String)>,
    partition: u32,
    volumes: Vec<lvm::LogicalVolume>,
) {
    for v in volumes {
        let layer = Layer::Volume(v.name.clone());
        let mut info = VolumeInfo {
            name: v.name.clone(),
            partition,
            size: v.size,
            file_system: None,
            label: None,
            uuid: None,
            role: String::new(),
        };
        match v.disk {
            Err(why) => info.role = format!("not read: {why}"),
            Ok(disk) => match open_fs(&disk) {
                Ok(Some(fs)) => {
                    info.file_system = Some(fs.kind().into());
                    info.label = Some(fs.label());
                    info.uuid = Some(fs.uuid());
                    candidates.push(Candidate {
                        layer,
                        info: Some(Err(layout.logical_volumes.len())),
                        part_uuid: None,
                        fs,
                    });
                }
                Ok(None) => {
                    let what = what_else(&disk)
                        .unwrap_or("no file system this reader knows (ext2/3/4, XFS)");
                    info.role = format!("not read: {what}");
                    if !what.starts_with("swap") {
                        failures.push((layer, what.to_string()));
                    }
                }
                Err((_, fe)) => {
                    let text = fs_error_text(&fe);
                    info.role = format!("not read: {text}");
                    failures.push((layer, text));
                }
            },
        }
        layout.logical_volumes.push(info);
    }
}

/// Chooses the root among the candidates and attaches what its fstab mounts.
fn finish(
    image: &Path,
    mut layout: Layout,
    mut candidates: Vec<Candidate>,
    failures: Vec<(Layer, String)>,
) -> Result<(Layout, Mounts), DiskError> {
    let err = |layer, message: String| DiskError {
        image: image.to_path_buf(),
        layer,
        message,
    };
    let roots: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| has_os_release(c.fs.as_ref()))
        .map(|(i, _)| i)
        .collect();
    let root_at = match roots.as_slice() {
        [one] => *one,
        [] => {
            if let [(layer, message)] = failures.as_slice() {
                return Err(err(layer.clone(), message.clone()));
            }
            let mut message =
                "no file system on this image holds etc/os-release: no Linux root".to_string();
            for (layer, m) in &failures {
                message.push_str(&format!("; {layer}: {m}"));
            }
            if candidates.is_empty() && failures.is_empty() {
                message.push_str(" (no partition holds a file system this reader knows)");
            }
            return Err(err(Layer::Root, message));
        }
        many => {
            let names: Vec<String> = many
                .iter()
                .map(|&i| candidates[i].layer.to_string())
                .collect();
            return Err(err(
                Layer::Root,
                format!(
                    "{} file systems hold etc/os-release ({}); one image must hold one host",
                    many.len(),
                    names.join(", ")
                ),
            ));
        }
    };
    let root = candidates.remove(root_at);
    layout.root = match &root.layer {
        Layer::WholeDisk => "whole disk".into(),
        l => l.to_string(),
    };
    layout.root_file_system = root.fs.kind().into();
    set_role(&mut layout, root.info, "root".into());
    let mut list = Vec::new();
    // fstab: attach /usr, /var and /var/lib from this disk.
    let fstab = match root.fs.lstat(Path::new("etc/fstab")) {
        Ok(st) if st.kind == NodeKind::File => Some(
            root.fs
                .read(Path::new("etc/fstab"), MAX_FSTAB)
                .map_err(|e| err(Layer::Fstab, fs_error_text(&e)))?,
        ),
        _ => None,
    };
    if let Some(text) = fstab {
        let text = String::from_utf8_lossy(&text);
        // Where fstab mounts each candidate it names.
        let mut taken: Vec<Option<String>> = vec![None; candidates.len()];
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let (Some(spec), Some(point)) = (fields.next(), fields.next()) else {
                continue;
            };
            let point = point.trim_end_matches('/');
            if !ATTACHED.contains(&point) {
                continue;
            }
            let found = candidates
                .iter()
                .enumerate()
                .position(|(i, c)| taken[i].is_none() && matches_spec(spec, c));
            match found {
                Some(i) => {
                    taken[i] = Some(point.to_string());
                    let c = &candidates[i];
                    set_role(&mut layout, c.info, format!("mounted at {point}"));
                    layout.mounts.push(MountInfo {
                        mount_point: point.into(),
                        spec: spec.into(),
                        source: c.layer.to_string(),
                    });
                }
                // A file system of this image that could not be opened may be the one named:
                // reading the root's empty mount point instead would hide its packages.
                None if !failures.is_empty() => {
                    let (layer, why) = &failures[0];
                    return Err(err(
                        Layer::Fstab,
                        format!("mounts {point} from {spec}, which is no file system this reader could open ({layer}: {why})"),
                    ));
                }
                None => layout.notes.push(format!(
                    "etc/fstab mounts {point} from {spec}, which is not a file system on this image: {point} is read from the root file system"
                )),
            }
        }
        for (c, point) in candidates.into_iter().zip(taken) {
            let Some(point) = point else { continue };
            list.push(Mounted {
                at: PathBuf::from(point.trim_start_matches('/')),
                name: c.layer.to_string(),
                fs: c.fs,
            });
        }
    }
    list.push(Mounted {
        at: PathBuf::new(),
        name: match &root.layer {
            Layer::WholeDisk => "file system".into(),
            l => l.to_string(),
        },
        fs: root.fs,
    });
    list.sort_by_key(|m| std::cmp::Reverse(m.at.components().count()));
    Ok((
        layout,
        Mounts {
            list,
            stats: Default::default(),
        },
    ))
}

/// Records what a partition or logical volume is to the host.
fn set_role(layout: &mut Layout, info: Option<Result<usize, usize>>, role: String) {
    match info {
        Some(Ok(i)) => layout.partitions[i].role = role,
        Some(Err(i)) => layout.logical_volumes[i].role = role,
        None => {}
    }
}

/// Whether an fstab source names this file system.
fn matches_spec(spec: &str, c: &Candidate) -> bool {
    let spec = spec.trim_matches('"');
    let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let by = |prefix: &str| spec.strip_prefix(prefix);
    if let Some(u) = by("UUID=").or_else(|| by("/dev/disk/by-uuid/")) {
        return eq(u.trim_matches('"'), &c.fs.uuid());
    }
    if let Some(l) = by("LABEL=").or_else(|| by("/dev/disk/by-label/")) {
        return l.trim_matches('"') == c.fs.label();
    }
    if let Some(p) = by("PARTUUID=").or_else(|| by("/dev/disk/by-partuuid/")) {
        return c
            .part_uuid
            .as_deref()
            .is_some_and(|u| eq(p.trim_matches('"'), u));
    }
    // A device path of the same disk: /dev/sda3, /dev/xvda3, /dev/vda3, /dev/nvme0n1p3.
    // An LV by its device-mapper names: /dev/mapper/rhel-root, /dev/rhel/root.
    if let Layer::Volume(name) = &c.layer {
        let (vg, lv) = name.split_once('/').unwrap_or((name, ""));
        let mapper = format!(
            "/dev/mapper/{}-{}",
            vg.replace('-', "--"),
            lv.replace('-', "--")
        );
        return spec == mapper || spec == format!("/dev/{vg}/{lv}");
    }
    if let (Some(dev), &Layer::Partition(n)) = (spec.strip_prefix("/dev/"), &c.layer) {
        let digits: String = dev
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let stem = &dev[..dev.len() - digits.len()];
        // The image is the instance's first disk: sda, xvda, vda, hda, nvme0n1 (a /dev/sdb3 is
        // another volume, not on this image).
        let disk_like = ["sda", "xvda", "vda", "hda", "nvme0n1p"].contains(&stem);
        return disk_like && digits.parse::<u32>().ok() == Some(n);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file system as fstab matching sees it: only a label and a UUID.
    struct Named(&'static str, &'static str);

    impl FileSystem for Named {
        fn kind(&self) -> &'static str {
            "xfs"
        }
        fn label(&self) -> String {
            self.0.into()
        }
        fn uuid(&self) -> String {
            self.1.into()
        }
        fn lstat(&self, _: &Path) -> Result<Stat, FsError> {
            Err(FsError::NotFound)
        }
        fn read_link(&self, _: &Path) -> Result<Vec<u8>, FsError> {
            Err(FsError::NotFound)
        }
        fn read_dir(&self, _: &Path) -> Result<Vec<Vec<u8>>, FsError> {
            Err(FsError::NotFound)
        }
        fn read(&self, _: &Path, _: u64) -> Result<Vec<u8>, FsError> {
            Err(FsError::NotFound)
        }
    }

    fn candidate(layer: Layer, part_uuid: Option<&str>) -> Candidate {
        Candidate {
            layer,
            info: None,
            part_uuid: part_uuid.map(String::from),
            fs: Box::new(Named("var", "5b1f0b5e-8a3c-4a57-9a0e-1f2d3c4b5a69")),
        }
    }

    /// Every way an fstab line names a file system of the same disk, as mount(8) reads it
    /// (UUIDs and PARTUUIDs in either case, quoted values), and the near misses. (Regression:
    /// `/dev/sdb3`, a partition of a second volume, was taken for partition 3 of the image.)
    #[test]
    fn fstab_sources_name_file_systems_as_mount_does() {
        let p3 = candidate(
            Layer::Partition(3),
            Some("0fc63daf-8483-4772-8e79-3d69d8477de4"),
        );
        for spec in [
            "UUID=5b1f0b5e-8a3c-4a57-9a0e-1f2d3c4b5a69",
            "UUID=5B1F0B5E-8A3C-4A57-9A0E-1F2D3C4B5A69",
            "UUID=\"5b1f0b5e-8a3c-4a57-9a0e-1f2d3c4b5a69\"",
            "/dev/disk/by-uuid/5b1f0b5e-8a3c-4a57-9a0e-1f2d3c4b5a69",
            "LABEL=var",
            "/dev/disk/by-label/var",
            "PARTUUID=0FC63DAF-8483-4772-8E79-3D69D8477DE4",
            "/dev/disk/by-partuuid/0fc63daf-8483-4772-8e79-3d69d8477de4",
            "/dev/sda3",
            "/dev/xvda3",
            "/dev/vda3",
            "/dev/nvme0n1p3",
        ] {
            assert!(matches_spec(spec, &p3), "{spec}");
        }
        for spec in [
            "UUID=5b1f0b5e-8a3c-4a57-9a0e-1f2d3c4b5a6a",
            "LABEL=VAR",
            "/dev/sda2",
            "/dev/sdb3",
            "/dev/nvme0n1p33",
            "/dev/xvda",
            "/dev/mapper/rhel-var",
            "tmpfs",
        ] {
            assert!(!matches_spec(spec, &p3), "{spec}");
        }
        let lv = candidate(Layer::Volume("rhel/var".into()), None);
        assert!(matches_spec("/dev/mapper/rhel-var", &lv));
        assert!(matches_spec("/dev/rhel/var", &lv));
        assert!(!matches_spec("/dev/sda3", &lv));
        let dashed = candidate(Layer::Volume("vg-data/lv-var".into()), None);
        assert!(matches_spec("/dev/mapper/vg--data-lv--var", &dashed));
    }
}
