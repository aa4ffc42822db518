//! Partition tables: GPT (the primary header, or the backup one at the end of the disk when
//! the primary is damaged; 512- and 4096-byte sectors) through `gptman`, and MBR with its
//! extended partition's chain of EBRs through `mbrman`.

use super::block::bytes::{le32, le64};
use super::block::{Blocks, Cursor};

/// The most partition entries a GPT may declare (real tables have 128). gptman reserves
/// memory for the declared count before it reads the entries, so a header with a valid CRC
/// and four billion entries is refused here first.
const MAX_GPT_ENTRIES: u32 = 4096;
/// Reads the MBR reader may make: a hostile chain of EBRs is cut off here.
const MBR_READ_BUDGET: u32 = 4 * 256;

/// Which kind of table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Gpt,
    Mbr,
}

impl TableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TableKind::Gpt => "gpt",
            TableKind::Mbr => "mbr",
        }
    }
}

/// One used entry of a table.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The number Linux gives it (`sda2` is 2; logical MBR partitions from 5).
    pub number: u32,
    pub start: u64,
    pub size: u64,
    /// The type: a GUID for GPT, `0x83`-style for MBR.
    pub type_id: String,
    /// What the type means, or empty.
    pub type_name: &'static str,
    /// GPT: the partition's name.
    pub name: String,
    /// GPT: the partition's unique GUID; MBR: `DISKSIG-NN`, as blkid gives PARTUUID.
    pub part_uuid: String,
    /// Whether it is never a file system (EFI system, BIOS boot, swap, extended containers).
    pub skip: bool,
    /// An LVM physical volume.
    pub lvm: bool,
}

/// A table and its entries.
#[derive(Debug, Clone)]
pub struct Table {
    pub kind: TableKind,
    pub sector_size: u64,
    pub entries: Vec<Entry>,
    /// When the primary GPT header was damaged and the backup one was read.
    pub note: Option<String>,
}

/// A GPT GUID's 16 bytes (the first three fields little-endian) as text.
pub fn guid_text(b: &[u8; 16]) -> String {
    format!(
        "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{}",
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_le_bytes([b[4], b[5]]),
        u16::from_le_bytes([b[6], b[7]]),
        b[8],
        b[9],
        b[10..16]
            .iter()
            .map(|x| format!("{x:02X}"))
            .collect::<String>()
    )
}

/// Known GPT types: (GUID, name, never a file system, LVM).
const GPT_TYPES: &[(&str, &str, bool, bool)] = &[
    (
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
        "EFI System",
        true,
        false,
    ),
    (
        "21686148-6449-6E6F-744E-656564454649",
        "BIOS boot",
        true,
        false,
    ),
    (
        "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F",
        "Linux swap",
        true,
        false,
    ),
    (
        "E6D6D379-F507-44C2-A23C-238F2A3DF928",
        "Linux LVM",
        false,
        true,
    ),
    (
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
        "Linux filesystem",
        false,
        false,
    ),
    (
        "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709",
        "Linux root (x86-64)",
        false,
        false,
    ),
    (
        "B921B045-1DF0-41C3-AF44-4C6F280D3FAE",
        "Linux root (ARM64)",
        false,
        false,
    ),
    (
        "4D21B016-B534-45C2-A9FB-5C16E091FD2D",
        "Linux /var",
        false,
        false,
    ),
    (
        "933AC7E1-2EB4-4F13-B844-0E14E2AEF915",
        "Linux /home",
        false,
        false,
    ),
    (
        "BC13C2FF-59E6-4262-A352-B275FD6F7172",
        "Linux extended boot",
        false,
        false,
    ),
    (
        "A19D880F-05FC-4D3B-A006-743F0F84911E",
        "Linux RAID",
        false,
        false,
    ),
    (
        "9E1A2D38-C612-4316-AA26-8B49521E5A8B",
        "PReP boot",
        true,
        false,
    ),
    (
        "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
        "Microsoft basic data",
        false,
        false,
    ),
];

/// Known MBR types: (id, name, never a file system, LVM).
const MBR_TYPES: &[(u8, &str, bool, bool)] = &[
    (0x05, "Extended", true, false),
    (0x0f, "Extended (LBA)", true, false),
    (0x85, "Linux extended", true, false),
    (0x82, "Linux swap", true, false),
    (0x83, "Linux", false, false),
    (0x8e, "Linux LVM", false, true),
    (0xef, "EFI System", true, false),
    (0xee, "GPT protective", true, false),
    (0x0b, "FAT32", false, false),
    (0x0c, "FAT32 (LBA)", false, false),
    (0x07, "NTFS/exFAT", false, false),
    (0xfd, "Linux RAID", false, false),
];

/// The table on a disk, `None` when it has none (a bare file system). An error says what is
/// wrong with a table that is there.
pub fn read(disk: &dyn Blocks) -> Result<Option<Table>, String> {
    for sector in [512u64, 4096] {
        if let Some(t) = gpt(disk, sector)? {
            return Ok(Some(t));
        }
    }
    mbr(disk)
}

fn header_at(disk: &dyn Blocks, at: u64) -> Option<[u8; 92]> {
    let mut h = [0u8; 92];
    disk.read_at(at, &mut h).ok()?;
    (&h[0..8] == b"EFI PART").then_some(h)
}

fn gpt(disk: &dyn Blocks, sector: u64) -> Result<Option<Table>, String> {
    let size = disk.size();
    if size < sector * 3 {
        return Ok(None);
    }
    let primary = header_at(disk, sector);
    let backup = header_at(disk, (size / sector - 1) * sector);
    if primary.is_none() && backup.is_none() {
        return Ok(None);
    }
    // A protective MBR of a 512-byte-sector GPT says so; a 4096-byte GPT's header lies at
    // byte 4096, which a 512-byte reading finds only as a backup-less table.
    for h in [primary, backup].into_iter().flatten() {
        let count = le32(&h, 80).unwrap_or(0);
        let entry = le32(&h, 84).unwrap_or(0);
        if count > MAX_GPT_ENTRIES || !(128..=4096).contains(&entry) {
            return Err(format!(
                "GPT header declares {count} entries of {entry} bytes (a real table has 128 of 128)"
            ));
        }
    }
    for h in [primary, backup].into_iter().flatten() {
        let (lba, count, entry) = (
            le64(&h, 72).unwrap_or(0),
            u64::from(le32(&h, 80).unwrap_or(0)),
            u64::from(le32(&h, 84).unwrap_or(0)),
        );
        let end = lba
            .checked_mul(sector)
            .and_then(|at| at.checked_add(count * entry));
        if lba == 0 || end.is_none_or(|e| e > size) {
            return Err(format!(
                "GPT header: its partition entries (sector {lba}) lie outside the disk"
            ));
        }
        // gptman panics on a table whose every used entry starts at sector 0.
        let mut raw = vec![0u8; (count * entry) as usize];
        if disk.read_at(lba * sector, &mut raw).is_ok() {
            for (i, e) in raw.chunks_exact(entry as usize).enumerate() {
                if e[0..16] != [0; 16] && le64(e, 32) == Some(0) {
                    return Err(format!(
                        "GPT partition {} starts at sector 0, over the table",
                        i + 1
                    ));
                }
            }
        }
    }
    let mut cursor = Cursor::new(disk, 1 << 20);
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        gptman::GPT::read_from(&mut cursor, sector)
    }))
    .map_err(|_| "GPT: the table reader failed on it (a malformed table)".to_string())?;
    let table = match read {
        Ok(t) => t,
        Err(gptman::Error::InvalidSignature) => return Ok(None),
        Err(e) => return Err(format!("GPT ({sector}-byte sectors): {e}")),
    };
    let note = (!table.header.is_primary()).then(|| {
        "the primary GPT header is damaged; the backup header at the end of the disk was read"
            .to_string()
    });
    let mut entries = Vec::new();
    for (number, p) in table.iter() {
        if !p.is_used() {
            continue;
        }
        if p.ending_lba < p.starting_lba || p.ending_lba == u64::MAX {
            return Err(format!("GPT partition {number} ends before it starts"));
        }
        let start = p.starting_lba.saturating_mul(sector);
        let len = (p.ending_lba - p.starting_lba + 1).saturating_mul(sector);
        let type_id = guid_text(&p.partition_type_guid);
        let known = GPT_TYPES.iter().find(|t| t.0 == type_id);
        entries.push(Entry {
            number,
            start,
            size: len,
            type_name: known.map_or("", |t| t.1),
            skip: known.is_some_and(|t| t.2),
            lvm: known.is_some_and(|t| t.3),
            type_id,
            name: p.partition_name.as_str().to_string(),
            part_uuid: guid_text(&p.unique_partition_guid).to_lowercase(),
        });
    }
    Ok(Some(Table {
        kind: TableKind::Gpt,
        sector_size: sector,
        entries,
        note,
    }))
}

/// Whether a file system or volume signature this reader knows starts at byte `at`.
fn signature_at(disk: &dyn Blocks, at: u64) -> bool {
    let mut head = [0u8; 4096];
    if disk.read_at(at, &mut head).is_err() {
        return false;
    }
    head.starts_with(b"XFSB")
        || head[1080..1082] == [0x53, 0xef]
        || &head[512..520] == b"LABELONE"
        || &head[4086..4096] == b"SWAPSPACE2"
}

/// An MBR says nothing of its sector size: 512 bytes, unless the first partition's start
/// holds a known signature only when read as 4096-byte sectors (a 4Kn disk).
fn mbr_sector_size(disk: &dyn Blocks, boot: &[u8; 512]) -> u64 {
    let first = (0..4).map(|i| &boot[446 + i * 16..462 + i * 16]).find(|e| {
        !matches!(e[4], 0 | 0x05 | 0x0f | 0x85 | 0xee) && le32(e, 8).is_some_and(|l| l > 0)
    });
    let Some(e) = first else { return 512 };
    let lba = u64::from(le32(e, 8).unwrap_or(0));
    if !signature_at(disk, lba * 512) && signature_at(disk, lba * 4096) {
        4096
    } else {
        512
    }
}

fn mbr(disk: &dyn Blocks) -> Result<Option<Table>, String> {
    let mut boot = [0u8; 512];
    if disk.read_at(0, &mut boot).is_err() || boot[510..512] != [0x55, 0xaa] {
        return Ok(None);
    }
    let sector = mbr_sector_size(disk, &boot);
    // mbrman panics on a table whose every used entry starts at sector 0.
    for i in 0..4 {
        let e = &boot[446 + i * 16..462 + i * 16];
        if e[4] != 0 && le32(e, 8) == Some(0) {
            return Err(format!(
                "MBR partition {} starts at sector 0, over the table",
                i + 1
            ));
        }
    }
    let mut cursor = Cursor::new(disk, MBR_READ_BUDGET);
    let table = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        mbrman::MBR::read_from(&mut cursor, sector as u32)
    }))
    .map_err(|_| "MBR: the table reader failed on it (a malformed table or EBR chain)".to_string())?
    .map_err(|e| format!("MBR: {e}"))?;
    if table.iter().any(|(_, p)| p.sys == 0xee) {
        return Err(
            "a protective MBR for a GPT whose primary and backup headers are both unreadable"
                .into(),
        );
    }
    let sig = u32::from_le_bytes(table.header.disk_signature);
    let mut entries = Vec::new();
    for (number, p) in table.iter() {
        if !p.is_used() {
            continue;
        }
        let known = MBR_TYPES.iter().find(|t| t.0 == p.sys);
        entries.push(Entry {
            number: number as u32,
            start: u64::from(p.starting_lba) * sector,
            size: u64::from(p.sectors) * sector,
            type_id: format!("{:#04x}", p.sys),
            type_name: known.map_or("", |t| t.1),
            skip: known.is_some_and(|t| t.2) || p.is_extended(),
            lvm: known.is_some_and(|t| t.3),
            name: String::new(),
            part_uuid: format!("{sig:08x}-{number:02x}"),
        });
    }
    Ok(Some(Table {
        kind: TableKind::Mbr,
        sector_size: sector,
        entries,
        note: None,
    }))
}
