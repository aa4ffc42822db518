//! `rpmdb.sqlite` (rpm ≥ 4.16): table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`.
//!
//! The image is never written and sqlite never opens a file of it: the database's bytes are
//! read (through the root's resolver, as a regular file of bounded size) into sqlite's
//! memory and opened there (`sqlite3_deserialize`). Opening the file by name would let
//! sqlite open `rpmdb.sqlite-wal` and `-shm` by their own paths, past the resolver (a link
//! out of the root), and a mapping of the file faults (SIGBUS) when a live host's rpm
//! shrinks it mid-read. rpm keeps the database in WAL mode, and an image copied while rpm
//! had it open carries committed rows only in `rpmdb.sqlite-wal`: then the WAL's committed
//! frames are applied to the database image first (the WAL format is sqlite's documented
//! one: salted, checksummed frames, a commit frame ending each transaction). `Packages`
//! must be a table, as rpm writes it.

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{Record, RpmDbError};

/// The WAL file's magic number; the low bit says the checksums are big-endian.
const WAL_MAGIC: u32 = 0x377f_0682;
const WAL_HEADER: usize = 32;
const FRAME_HEADER: usize = 24;

/// Hands every stored header of a database without a WAL to `sink`, in `hnum` order: the
/// `len` bytes of `file` are copied once into sqlite's memory and opened there, so sqlite
/// never opens a file of the image (nor its side files) by name, and a file that shrinks
/// while it is read is an error, not a fault in a mapping.
pub fn each_record_from_file(
    path: &Path,
    mut file: std::fs::File,
    len: u64,
    sink: &mut RecordSink<'_>,
) -> Result<(), RpmDbError> {
    use std::io::Read;
    let io_err = |source| RpmDbError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = usize::try_from(len).map_err(|_| {
        io_err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "too large for this machine's address space",
        ))
    })?;
    // The header, with a WAL-mode database marked rollback (see each_record_from_bytes).
    let mut head = vec![0u8; len.min(100)];
    file.read_exact(&mut head).map_err(io_err)?;
    mark_rollback(&mut head);
    let sql_err = sql_error(path);
    let mut conn = Connection::open_in_memory().map_err(sql_err)?;
    let mut short = None;
    let reader = ShortRead {
        inner: std::io::Cursor::new(head).chain(&mut file),
        seen: &mut short,
    };
    let loaded = conn.deserialize_read_exact(rusqlite::MAIN_DB, reader, len, true);
    if let Some(e) = short {
        return Err(io_err(std::io::Error::new(
            e.kind(),
            format!("the file changed while it was read ({len} bytes expected): {e}"),
        )));
    }
    loaded.map_err(sql_err)?;
    query(&conn, path, sink)
}

/// A reader that keeps its first error for the caller (sqlite's wrapper hides it).
struct ShortRead<'e, R> {
    inner: R,
    seen: &'e mut Option<std::io::Error>,
}

impl<R: std::io::Read> std::io::Read for ShortRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(0) if !buf.is_empty() && self.seen.is_none() => {
                *self.seen = Some(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "it ended early",
                ));
                Ok(0)
            }
            Err(e) => {
                let copy = std::io::Error::new(e.kind(), e.to_string());
                self.seen.get_or_insert(copy);
                Err(e)
            }
            ok => ok,
        }
    }
}

/// Marks a WAL-mode database image a rollback-journal one (file format bytes 18 and 19): an
/// in-memory database cannot be in WAL mode, and once any WAL is applied it is not.
fn mark_rollback(db: &mut [u8]) {
    if db.len() >= 20 && db[18] == 2 && db[19] == 2 {
        db[18] = 1;
        db[19] = 1;
    }
}

/// What the readers hand each header to.
pub type RecordSink<'s> = dyn FnMut(Record<'_>) -> Result<(), RpmDbError> + 's;

/// [`each_record_from_file`] for a database held in memory (`db`, with its `-wal` file's bytes when
/// there is one); `path` names it in messages.
pub fn each_record_from_bytes(
    path: &Path,
    mut db: Vec<u8>,
    wal: Option<&[u8]>,
    sink: &mut RecordSink<'_>,
) -> Result<(), RpmDbError> {
    if let Some(wal) = wal {
        apply_wal(&mut db, wal).map_err(|what| RpmDbError::Corrupt {
            path: sibling(path, "-wal"),
            what,
        })?;
    }
    mark_rollback(&mut db);
    let sql_err = sql_error(path);
    let conn = crate::sqlite::open_bytes(&db).map_err(sql_err)?;
    drop(db);
    query(&conn, path, sink)
}

fn query(conn: &Connection, path: &Path, sink: &mut RecordSink<'_>) -> Result<(), RpmDbError> {
    let sql_err = sql_error(path);
    // rpm's schema: `Packages` is a table. A view (or anything else) by that name could make
    // the query below compute without bound.
    let kind = crate::sqlite::object_type(conn, "Packages").map_err(sql_err)?;
    match kind.as_deref() {
        Some("table") => {}
        Some(other) => {
            return Err(RpmDbError::Corrupt {
                path: path.to_path_buf(),
                what: format!("Packages is a {other}, not a table as rpm writes it"),
            })
        }
        None => {
            return Err(RpmDbError::Corrupt {
                path: path.to_path_buf(),
                what: "no Packages table".into(),
            })
        }
    }
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(sql_err)?;
    let mut rows = stmt.query([]).map_err(sql_err)?;
    while let Some(row) = rows.next().map_err(sql_err)? {
        let hnum: i64 = row.get(0).map_err(sql_err)?;
        let id = u32::try_from(hnum).map_err(|_| RpmDbError::Corrupt {
            path: path.to_path_buf(),
            what: format!("Packages row with hnum {hnum} out of range"),
        })?;
        let not_blob = |source: &dyn std::fmt::Display| RpmDbError::Corrupt {
            path: path.to_path_buf(),
            what: format!("Packages row {hnum}: blob column is not a blob ({source})"),
        };
        let blob = row
            .get_ref(1)
            .map_err(|e| not_blob(&e))?
            .as_blob()
            .map_err(|e| not_blob(&e))?;
        sink(Record {
            id,
            blob: Cow::Borrowed(blob),
        })?;
    }
    Ok(())
}

/// Turns an sqlite error into one that names the database file.
fn sql_error(path: &Path) -> impl Fn(rusqlite::Error) -> RpmDbError + Copy + '_ {
    move |source| RpmDbError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// sqlite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `s`.
fn wal_checksum(big_endian: bool, data: &[u8], mut s: (u32, u32)) -> (u32, u32) {
    for pair in data.chunks_exact(8) {
        let word = |w: &[u8]| {
            let b = [w[0], w[1], w[2], w[3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        s.0 = s.0.wrapping_add(word(&pair[..4])).wrapping_add(s.1);
        s.1 = s.1.wrapping_add(word(&pair[4..])).wrapping_add(s.0);
    }
    s
}

/// Applies the committed transactions of a WAL file to the database image, as sqlite does
/// when it opens the pair: frames are valid while their salts match the header and the
/// running checksum holds; the pages of each transaction up to its commit frame are copied
/// in, and the commit frame's page count sets the database size. A WAL with a bad header
/// holds nothing sqlite would read, and neither do frames after the last valid commit.
pub fn apply_wal(db: &mut Vec<u8>, wal: &[u8]) -> Result<(), String> {
    if wal.len() < WAL_HEADER {
        return Ok(());
    }
    let magic = be32(wal, 0);
    if magic & !1 != WAL_MAGIC {
        return Err(format!("not a sqlite WAL file (magic {magic:#010x})"));
    }
    let big_endian = magic & 1 == 1;
    let page_size = be32(wal, 8) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!(
            "WAL page size {page_size} is not a power of two in 512–65536"
        ));
    }
    if db.len() >= 18 {
        let stored = u16::from_be_bytes([db[16], db[17]]) as usize;
        let db_page = if stored == 1 { 65536 } else { stored };
        if db_page != page_size {
            return Err(format!(
                "WAL page size {page_size} differs from the database's {db_page}"
            ));
        }
    }
    let mut sum = wal_checksum(big_endian, &wal[..24], (0, 0));
    if sum != (be32(wal, 24), be32(wal, 28)) {
        return Ok(());
    }
    let salts = &wal[16..24];
    let mut pending: Vec<(usize, &[u8])> = Vec::new();
    let mut at = WAL_HEADER;
    while at + FRAME_HEADER + page_size <= wal.len() {
        let header = &wal[at..at + FRAME_HEADER];
        let page = &wal[at + FRAME_HEADER..at + FRAME_HEADER + page_size];
        if &header[8..16] != salts {
            break;
        }
        sum = wal_checksum(big_endian, &header[..8], sum);
        sum = wal_checksum(big_endian, page, sum);
        if sum != (be32(header, 16), be32(header, 20)) {
            break;
        }
        let page_no = be32(header, 0) as usize;
        if page_no == 0 {
            break;
        }
        pending.push((page_no, page));
        let commit_pages = be32(header, 4) as usize;
        if commit_pages != 0 {
            // Each page past the database's end must come from the WAL itself.
            if commit_pages.saturating_mul(page_size) > db.len() + wal.len() {
                return Err(format!(
                    "WAL frame at byte {at} commits {commit_pages} pages, more than the files hold"
                ));
            }
            if let Some((no, _)) = pending.iter().find(|(no, _)| *no > commit_pages) {
                return Err(format!(
                    "WAL frame for page {no} lies past its commit's {commit_pages} pages"
                ));
            }
            for (no, bytes) in pending.drain(..) {
                let start = (no - 1) * page_size;
                if db.len() < start + page_size {
                    db.resize(start + page_size, 0);
                }
                db[start..start + page_size].copy_from_slice(bytes);
            }
            db.resize(commit_pages * page_size, 0);
        }
        at += FRAME_HEADER + page_size;
    }
    Ok(())
}

/// `path` with `suffix` appended to its file name (`rpmdb.sqlite` → `rpmdb.sqlite-wal`).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_whose_blob_is_not_a_blob_is_an_error_naming_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rpmdb.sqlite");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(
            "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB);
             INSERT INTO Packages VALUES (3, x'00');
             INSERT INTO Packages VALUES (7, 'text');",
        )
        .unwrap();
        drop(c);
        let mut seen = Vec::new();
        let len = std::fs::metadata(&p).unwrap().len();
        let file = std::fs::File::open(&p).unwrap();
        let err = each_record_from_file(&p, file, len, &mut |r| {
            seen.push(r.id);
            Ok(())
        })
        .unwrap_err()
        .to_string();
        assert_eq!(seen, [3]);
        assert!(
            err.contains("rpmdb.sqlite") && err.contains("row 7") && err.contains("not a blob"),
            "{err}"
        );
    }

    #[test]
    fn wal_with_foreign_magic_is_an_error_and_short_wal_is_nothing() {
        let mut db = vec![0u8; 4096];
        assert!(apply_wal(&mut db, &[0u8; 64]).is_err());
        assert!(apply_wal(&mut db, &[1u8; 8]).is_ok());
        assert_eq!(db.len(), 4096);
    }

    /// A database in WAL mode whose WAL holds several committed transactions, snapshotted
    /// while the writer is open: applying the WAL in memory gives the rows real sqlite reads
    /// from the same pair of files, also with the WAL cut in the middle of a frame.
    #[test]
    fn wal_applied_in_memory_matches_sqlite_reading_the_pair() {
        let live = tempfile::tempdir().unwrap();
        let db = live.path().join("rpmdb.sqlite");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
             CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
        for round in 0..6 {
            let tx = conn.unchecked_transaction().unwrap();
            for i in 0..40 {
                tx.execute(
                    "INSERT INTO Packages (blob) VALUES (?1)",
                    [vec![(round * 40 + i) as u8; 700 + i * 13]],
                )
                .unwrap();
            }
            if round % 2 == 1 {
                tx.execute("DELETE FROM Packages WHERE hnum % 7 = 0", [])
                    .unwrap();
            }
            tx.commit().unwrap();
        }
        let main = std::fs::read(&db).unwrap();
        let wal = std::fs::read(sibling(&db, "-wal")).unwrap();
        assert!(wal.len() > 4096 * 4, "the WAL holds the transactions");
        let sqlite_reads = |main: &[u8], wal: &[u8]| {
            let dir = tempfile::tempdir().unwrap();
            let copy = dir.path().join("db");
            std::fs::write(&copy, main).unwrap();
            std::fs::write(sibling(&copy, "-wal"), wal).unwrap();
            let c = Connection::open(&copy).unwrap();
            let mut stmt = c
                .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
                .unwrap();
            let rows: Vec<(u32, Vec<u8>)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows
        };
        let ours = |main: &[u8], wal: &[u8]| -> Vec<(u32, Vec<u8>)> {
            let mut rows = Vec::new();
            each_record_from_bytes(Path::new("x"), main.to_vec(), Some(wal), &mut |r| {
                rows.push((r.id, r.blob.into_owned()));
                Ok(())
            })
            .unwrap();
            rows
        };
        let full = sqlite_reads(&main, &wal);
        assert!(full.len() > 150, "{}", full.len());
        assert_eq!(ours(&main, &wal), full);
        // A WAL cut inside a later transaction: both stop at the last complete commit.
        let cut = &wal[..wal.len() * 2 / 3];
        let partial = sqlite_reads(&main, cut);
        assert!(partial.len() < full.len());
        assert_eq!(ours(&main, cut), partial);
        drop(conn);
    }
}
