//! The installed-package list from an RPM database, with no librpm and no rpm binary.
//!
//! Three on-disk formats hold the same per-package header blobs: sqlite (`rpmdb.sqlite`,
//! rpm ≥ 4.16: Fedora 33+, RHEL 9, Amazon Linux 2023), BerkeleyDB hash (`Packages`: RHEL ≤ 8,
//! Amazon Linux 2) and NDB (`Packages.db`: SUSE). [`RpmDbFormat`] tells them apart by their
//! first bytes; each backend yields the stored blobs and `header` turns a blob into an
//! [`InstalledRpm`].

pub(crate) mod bdb;
pub(crate) mod header;
pub(crate) mod ndb;
pub(crate) mod sqlite;

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};

use crate::files::rootfs::{self, RootFs, RootFsError};
use crate::version::Nevra;

pub use header::{parse_header, HeaderError};

/// One installed package as its rpmdb header records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledRpm {
    /// Name, epoch (0 when the header has none), version, release, arch.
    pub nevra: Nevra,
    /// When rpm installed it (INSTALLTIME), unix seconds.
    pub install_time: Option<i64>,
    /// When it was built (BUILDTIME), unix seconds.
    pub build_time: Option<i64>,
    /// The module stream it came from (MODULARITYLABEL), for modular RHEL-family packages.
    pub modularity_label: Option<String>,
    /// The source package it was built from (SOURCERPM).
    pub source_rpm: Option<String>,
}

/// Why an rpm database could not be read. Every variant names the file or directory.
#[derive(Debug, thiserror::Error)]
pub enum RpmDbError {
    /// The file or directory could not be read.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file starts like none of the three rpmdb formats.
    #[error("{}: not an rpm database ({reason})", .path.display())]
    NotRpmDb { path: PathBuf, reason: String },
    /// A directory holding none of `rpmdb.sqlite`, `Packages.db`, `Packages`.
    #[error("{}: no rpm database here (looked for {})", .dir.display(), DB_FILE_NAMES.join(", "))]
    NoDatabase { dir: PathBuf },
    /// sqlite refused the file or the query.
    #[error("{}: sqlite: {source}", .path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The file's own structure (pages, slots, rows) is broken.
    #[error("{}: {what}", .path.display())]
    Corrupt { path: PathBuf, what: String },
    /// One package's header blob is broken.
    #[error("{}: package record {record}: {source}", .path.display())]
    Header {
        path: PathBuf,
        record: u32,
        #[source]
        source: HeaderError,
    },
    /// The database read cleanly but lists no packages: a wrong or wiped file, not a clean host.
    #[error("{}: the rpm database lists no packages", .path.display())]
    Empty { path: PathBuf },
    /// A host root with no rpm database in any place rpm keeps one; `links` says which of
    /// those places are symlinks (followed inside the root, never out of it).
    #[error("{}: no rpm database in {}{links}", .root.display(), RPMDB_DIRS.join(" or "))]
    NotFound { root: PathBuf, links: String },
    /// A path inside a host root could not be resolved.
    #[error(transparent)]
    RootFs(#[from] RootFsError),
}

/// File names rpm gives its package store, in the order a directory is searched: the newest
/// format first, so a leftover `Packages` next to a migrated `rpmdb.sqlite` is ignored.
pub const DB_FILE_NAMES: [&str; 3] = ["rpmdb.sqlite", "Packages.db", "Packages"];

/// Directories (relative to a host root) where rpm keeps its database, most usual first.
pub const RPMDB_DIRS: [&str; 2] = ["var/lib/rpm", "usr/lib/sysimage/rpm"];

/// One stored package header and the number the database files it under.
pub struct Record<'a> {
    /// Header number (sqlite `hnum`, BerkeleyDB key, NDB package index).
    pub id: u32,
    /// The header blob.
    pub blob: Cow<'a, [u8]>,
}

/// The three on-disk rpmdb formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpmDbFormat {
    /// `rpmdb.sqlite`: table `Packages(hnum, blob)`.
    Sqlite,
    /// BerkeleyDB hash `Packages`, either byte order.
    BerkeleyDb,
    /// rpm's own NDB `Packages.db`.
    Ndb,
}

impl RpmDbFormat {
    /// Tells the format from the file's first bytes (never from its name).
    pub fn detect(path: &Path) -> Result<Self, RpmDbError> {
        let io_err = |source| RpmDbError::Io {
            path: path.to_path_buf(),
            source,
        };
        let (file, _) = rootfs::open_regular(path, rootfs::MAX_FILE_BYTES)?;
        let mut head = Vec::with_capacity(16);
        file.take(16).read_to_end(&mut head).map_err(io_err)?;
        Self::from_head(path, &head)
    }

    /// The format of `path` from its first bytes, or why it is none.
    fn from_head(path: &Path, head: &[u8]) -> Result<Self, RpmDbError> {
        Self::from_magic(head).ok_or_else(|| RpmDbError::NotRpmDb {
            path: path.to_path_buf(),
            reason: if head.len() < 16 {
                format!("only {} bytes long", head.len())
            } else {
                "no sqlite, BerkeleyDB hash or NDB signature".to_string()
            },
        })
    }

    /// The format whose signature `head` (the first 16 bytes) carries.
    pub fn from_magic(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"SQLite format 3\0") {
            Some(Self::Sqlite)
        } else if head.starts_with(ndb::FILE_MAGIC) {
            Some(Self::Ndb)
        } else if bdb::byte_order(head).is_some() {
            Some(Self::BerkeleyDb)
        } else {
            None
        }
    }
}

/// Reads the packages of an opened database file of `len` bytes (`wal`: the bytes of its
/// `-wal` file). An sqlite database without a WAL goes straight from the file into sqlite's
/// memory; the others are read whole first.
fn read_opened(
    path: &Path,
    mut file: File,
    len: u64,
    wal: Option<Vec<u8>>,
) -> Result<Vec<InstalledRpm>, RpmDbError> {
    let io_err = |source| RpmDbError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut head = Vec::with_capacity(16);
    (&mut file)
        .take(16)
        .read_to_end(&mut head)
        .map_err(io_err)?;
    let format = RpmDbFormat::from_head(path, &head)?;
    file.seek(io::SeekFrom::Start(0)).map_err(io_err)?;
    if format == RpmDbFormat::Sqlite && wal.is_none() {
        return sqlite_packages(path, |sink| {
            sqlite::each_record_from_file(path, file, len, sink)
        });
    }
    let bytes = rootfs::read_all(file, path, rootfs::MAX_FILE_BYTES)?;
    read_rpmdb_bytes(path, bytes, wal.as_deref())
}

/// Parses each record's header, leaving out `gpg-pubkey` entries (imported signing keys rpm
/// stores as pseudo-packages); no package at all is [`RpmDbError::Empty`].
fn packages(path: &Path, records: Vec<Record<'_>>) -> Result<Vec<InstalledRpm>, RpmDbError> {
    let mut packages = Packages::new(path, records.len());
    for record in records {
        packages.add(record)?;
    }
    packages.finish()
}

/// [`packages`] for an sqlite database, whose records are parsed as sqlite hands them over.
fn sqlite_packages(
    path: &Path,
    each: impl FnOnce(&mut sqlite::RecordSink<'_>) -> Result<(), RpmDbError>,
) -> Result<Vec<InstalledRpm>, RpmDbError> {
    let mut packages = Packages::new(path, 0);
    each(&mut |record| packages.add(record))?;
    packages.finish()
}

/// The packages of a database's records, parsed one by one.
struct Packages<'p> {
    path: &'p Path,
    list: Vec<InstalledRpm>,
}

impl<'p> Packages<'p> {
    fn new(path: &'p Path, capacity: usize) -> Self {
        Packages {
            path,
            list: Vec::with_capacity(capacity),
        }
    }

    fn add(&mut self, record: Record<'_>) -> Result<(), RpmDbError> {
        let rpm = parse_header(&record.blob).map_err(|source| RpmDbError::Header {
            path: self.path.to_path_buf(),
            record: record.id,
            source,
        })?;
        if rpm.nevra.name != "gpg-pubkey" {
            self.list.push(rpm);
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<InstalledRpm>, RpmDbError> {
        if self.list.is_empty() {
            return Err(RpmDbError::Empty {
                path: self.path.to_path_buf(),
            });
        }
        Ok(self.list)
    }
}

/// The database file `path` names: itself, or for a directory the first of
/// [`DB_FILE_NAMES`] it holds.
pub fn database_file(path: &Path) -> Result<PathBuf, RpmDbError> {
    let meta = std::fs::metadata(path).map_err(|source| RpmDbError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(path.to_path_buf());
    }
    DB_FILE_NAMES
        .iter()
        .map(|name| path.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| RpmDbError::NoDatabase {
            dir: path.to_path_buf(),
        })
}

/// Reads the installed packages (without `gpg-pubkey` keys) from an rpm database file, or a
/// directory holding one, in the database's own order.
pub fn read_rpmdb(path: &Path) -> Result<Vec<InstalledRpm>, RpmDbError> {
    let db = database_file(path)?;
    let (file, len) = rootfs::open_regular(&db, rootfs::MAX_FILE_BYTES)?;
    let wal_path = sqlite::sibling(&db, "-wal");
    let wal = match rootfs::open_regular(&wal_path, rootfs::MAX_FILE_BYTES) {
        Ok((wal, _)) => Some(rootfs::read_all(wal, &wal_path, rootfs::MAX_FILE_BYTES)?),
        Err(RootFsError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    read_opened(&db, file, len, wal.filter(|w| !w.is_empty()))
}

/// The rpm database file of a host root: the first of [`RPMDB_DIRS`] that holds one of
/// [`DB_FILE_NAMES`], every symlink resolved inside the root. For an archive the path names
/// the member (`ARCHIVE!/var/lib/rpm/rpmdb.sqlite`); read it with [`read_host_rpmdb`].
pub fn find_rpmdb(root: &RootFs) -> Result<PathBuf, RpmDbError> {
    find_in_root(root).map(|(_, path)| path)
}

/// The database's path as the host sees it, and on the scanner's side.
fn find_in_root(root: &RootFs) -> Result<(String, PathBuf), RpmDbError> {
    for dir in RPMDB_DIRS {
        for name in DB_FILE_NAMES {
            let rel = format!("{dir}/{name}");
            match root.resolve(&rel) {
                // Anything but a directory is taken: a FIFO or device there is an error naming
                // it when read, not "no database".
                Ok(path) if !root.is_dir(&rel) => return Ok((rel, path)),
                Ok(_) | Err(RootFsError::NotFound { .. } | RootFsError::NotADirectory { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
    }
    let links: Vec<String> = RPMDB_DIRS
        .iter()
        .filter_map(|dir| {
            let target = root.symlink_target(dir)?;
            let inside = root.resolve(dir).ok();
            Some(match inside {
                Some(p) => format!(
                    "{dir} is a link to {} (followed inside the root: {})",
                    target.display(),
                    p.display()
                ),
                None => format!(
                    "{dir} is a link to {}, which does not exist inside the root",
                    target.display()
                ),
            })
        })
        .collect();
    Err(RpmDbError::NotFound {
        root: root.path().to_path_buf(),
        links: if links.is_empty() {
            String::new()
        } else {
            format!("; {}", links.join("; "))
        },
    })
}

/// Reads the installed packages (without `gpg-pubkey` keys) of a host root, a directory or an
/// archive; an archive's database is read from memory, with its `-wal` file when it has one.
pub fn read_host_rpmdb(root: &RootFs) -> Result<Vec<InstalledRpm>, RpmDbError> {
    let (rel, path) = find_in_root(root)?;
    // The WAL through the resolver too: a link out of the root is followed inside it, and
    // a FIFO or device there is an error, not a hang.
    let wal_rel = format!("{rel}-wal");
    let wal = match root.read(&wal_rel) {
        Ok((_, bytes)) => Some(bytes).filter(|b| !b.is_empty()),
        Err(RootFsError::NotFound { .. } | RootFsError::NotADirectory { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    match root.open(&rel, rootfs::MAX_FILE_BYTES)? {
        Some((shown, file, len)) => read_opened(&shown, file, len, wal),
        None => {
            let (_, bytes) = root.read(&rel)?;
            read_rpmdb_bytes(&path, bytes, wal.as_deref())
        }
    }
}

/// Each header blob a database file stores, in its order, unparsed (`gpg-pubkey` entries
/// included): for tools that time or inspect header parsing apart from the storage format.
pub fn stored_headers(path: &Path) -> Result<Vec<Vec<u8>>, RpmDbError> {
    let (file, _) = rootfs::open_regular(path, rootfs::MAX_FILE_BYTES)?;
    let bytes = rootfs::read_all(file, path, rootfs::MAX_FILE_BYTES)?;
    let corrupt = |what| RpmDbError::Corrupt {
        path: path.to_path_buf(),
        what,
    };
    let owned =
        |records: Vec<Record<'_>>| records.into_iter().map(|r| r.blob.into_owned()).collect();
    let head = &bytes[..bytes.len().min(16)];
    Ok(match RpmDbFormat::from_head(path, head)? {
        RpmDbFormat::Sqlite => {
            let mut blobs = Vec::new();
            sqlite::each_record_from_bytes(path, bytes, None, &mut |r| {
                blobs.push(r.blob.into_owned());
                Ok(())
            })?;
            blobs
        }
        RpmDbFormat::BerkeleyDb => owned(bdb::records(&bytes).map_err(corrupt)?),
        RpmDbFormat::Ndb => owned(ndb::records(&bytes).map_err(corrupt)?),
    })
}

/// Reads the installed packages from a database file held in memory (`wal`: the bytes of a
/// sqlite database's `-wal` file); `path` names it in messages.
pub fn read_rpmdb_bytes(
    path: &Path,
    bytes: Vec<u8>,
    wal: Option<&[u8]>,
) -> Result<Vec<InstalledRpm>, RpmDbError> {
    let corrupt = |what| RpmDbError::Corrupt {
        path: path.to_path_buf(),
        what,
    };
    let head = &bytes[..bytes.len().min(16)];
    match RpmDbFormat::from_head(path, head)? {
        RpmDbFormat::Sqlite => sqlite_packages(path, |sink| {
            sqlite::each_record_from_bytes(path, bytes, wal, sink)
        }),
        RpmDbFormat::BerkeleyDb => packages(path, bdb::records(&bytes).map_err(corrupt)?),
        RpmDbFormat::Ndb => packages(path, ndb::records(&bytes).map_err(corrupt)?),
    }
}

#[cfg(test)]
mod mutation_tests {
    use super::{bdb, ndb, parse_header};

    fn fixture_path(rel: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rpmdb")
            .join(rel)
    }

    /// Thousands of random byte flips and truncations of real header blobs and database files:
    /// every outcome is a value or an error, never a panic.
    #[test]
    fn mutated_inputs_never_panic() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let bdb_file = std::fs::read(fixture_path("rpm-made-bdb-be/Packages")).unwrap();
        let blobs: Vec<Vec<u8>> = bdb::records(&bdb_file)
            .unwrap()
            .into_iter()
            .map(|r| r.blob.into_owned())
            .collect();
        let mut errors = 0;
        for round in 0..3000 {
            let mut blob = blobs[round % blobs.len()].clone();
            // Aim most flips at the index, where a wrong number does the most harm.
            for _ in 0..1 + next() % 4 {
                let span = if next() % 4 == 0 {
                    blob.len()
                } else {
                    (8 + 16 * 8).min(blob.len())
                };
                let at = (next() as usize) % span;
                blob[at] ^= 1 << (next() % 8);
            }
            if next() % 5 == 0 {
                blob.truncate((next() as usize) % blob.len());
            }
            errors += usize::from(parse_header(&blob).is_err());
        }
        assert!(errors > 500, "only {errors} of 3000 mutations were noticed");

        let ndb_file = std::fs::read(fixture_path("go-rpmdb-sle15-bci/Packages.db")).unwrap();
        for (file, structural) in [(&bdb_file, bdb_file.len()), (&ndb_file, 4096)] {
            for _ in 0..500 {
                let mut bytes = file.clone();
                for _ in 0..1 + next() % 8 {
                    let at = (next() as usize) % structural;
                    bytes[at] = next() as u8;
                }
                if next() % 4 == 0 {
                    bytes.truncate((next() as usize) % bytes.len());
                }
                for records in [bdb::records(&bytes), ndb::records(&bytes)]
                    .into_iter()
                    .flatten()
                {
                    for record in records {
                        let _ = parse_header(&record.blob);
                    }
                }
            }
        }
    }
}
