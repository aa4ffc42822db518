//! SQLite databases read from memory: the one way patchscan opens the rpm database and a
//! repository's `primary_db`. sqlite never opens a file of a root or a repository by its name
//! (a root's links, a WAL or journal beside the file, could lead out of the root), and what a
//! query reads is checked to be the table the writer makes, not a view that could compute
//! without bound.

use rusqlite::Connection;

/// Opens `db`, the bytes of a whole database file, as a read-only database in memory.
pub fn open_bytes(db: &[u8]) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    conn.deserialize_read_exact(rusqlite::MAIN_DB, db, db.len(), true)?;
    Ok(conn)
}

/// What the schema object named `name` (case-insensitively, as SQL names are) is: `table`,
/// `view`, `index` or `trigger`; `None` when there is none.
pub fn object_type(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT type FROM sqlite_master WHERE name = ?1 COLLATE NOCASE",
        [name],
        |row| row.get(0),
    )
    .map(Some)
    .or_else(|e| match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(None),
        e => Err(e),
    })
}
