//! `rpmdb.sqlite` (rpm ≥ 4.16): table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`.
//!
//! The image is never written. Without a `-wal` file the database is opened `immutable`
//! (no locks, no `-shm`, so a read-only directory is fine). rpm keeps the database in WAL
//! mode, and an image copied while rpm had it open carries committed rows only in
//! `rpmdb.sqlite-wal`; then the pair is copied to a private temporary directory and opened
//! there, because reading a WAL needs a writable `-shm` beside it.

use std::borrow::Cow;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::{Record, RpmDbError};

/// Every stored header, in `hnum` order.
pub fn records(path: &Path) -> Result<Vec<Record<'static>>, RpmDbError> {
    let wal = sibling(path, "-wal");
    let has_wal = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    // The private copy (directory and database) lives until the rows are read.
    let copy = if has_wal {
        Some(private_copy(path, &wal)?)
    } else {
        None
    };
    let (open_path, query) = match &copy {
        Some((_dir, db)) => (db.clone(), "mode=ro"),
        None => (path.to_path_buf(), "mode=ro&immutable=1"),
    };
    let sql_err = |source| RpmDbError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let uri = format!("file:{}?{query}", uri_path(&open_path));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri, flags).map_err(sql_err)?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(sql_err)?;
    let mut rows = stmt.query([]).map_err(sql_err)?;
    let mut records = Vec::new();
    while let Some(row) = rows.next().map_err(sql_err)? {
        let hnum: i64 = row.get(0).map_err(sql_err)?;
        let id = u32::try_from(hnum).map_err(|_| RpmDbError::Corrupt {
            path: path.to_path_buf(),
            what: format!("Packages row with hnum {hnum} out of range"),
        })?;
        let blob: Vec<u8> = row.get(1).map_err(|source| RpmDbError::Corrupt {
            path: path.to_path_buf(),
            what: format!("Packages row {hnum}: blob column is not a blob ({source})"),
        })?;
        records.push(Record {
            id,
            blob: Cow::Owned(blob),
        });
    }
    Ok(records)
}

/// Copies the database and its WAL into a new temporary directory; returns it and the copy.
fn private_copy(db: &Path, wal: &Path) -> Result<(tempfile::TempDir, PathBuf), RpmDbError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RpmDbError::Io { path, source }
    };
    let dir = tempfile::tempdir().map_err(io_err(db))?;
    let copy = dir.path().join("rpmdb.sqlite");
    std::fs::copy(db, &copy).map_err(io_err(db))?;
    std::fs::copy(wal, sibling(&copy, "-wal")).map_err(io_err(wal))?;
    Ok((dir, copy))
}

/// `path` with `suffix` appended to its file name (`rpmdb.sqlite` → `rpmdb.sqlite-wal`).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Percent-encodes a path for a `file:` URI, so `?`, `#` and `%` in names stay literal.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_specials() {
        assert_eq!(
            uri_path(Path::new("/a b/x?y#z%.sqlite")),
            "/a%20b/x%3Fy%23z%25.sqlite"
        );
    }
}
