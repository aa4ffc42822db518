//! `host::rpmdb` against real databases and what real rpm lists from them.
//!
//! Every `*.rpm-qa.tsv` next to a fixture database is rpm's own output (see
//! tests/fixtures/rpmdb/README.md); our reader must produce exactly the same rows.

use std::path::{Path, PathBuf};
use std::process::Command;

use patchscan::files::rootfs::RootFs;
use patchscan::host::rpmdb::{find_rpmdb, read_rpmdb, InstalledRpm, RpmDbError, RpmDbFormat};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rpmdb")
        .join(rel)
}

/// The value rpm prints for `column` of a package, in rpm's own spelling.
fn column(rpm: &InstalledRpm, column: &str) -> Option<String> {
    let optional = |v: &Option<String>| v.clone().unwrap_or_default();
    let time = |t: Option<i64>| t.map(|t| t.to_string()).unwrap_or_default();
    Some(match column {
        "name" => rpm.nevra.name.clone(),
        "epoch" => rpm.nevra.evr.epoch.to_string(),
        "version" => rpm.nevra.evr.version.clone(),
        "release" => rpm.nevra.evr.release.clone(),
        "arch" => rpm.nevra.arch.clone(),
        "sourcerpm" => optional(&rpm.source_rpm),
        "modularitylabel" => optional(&rpm.modularity_label),
        "installtime" => time(rpm.install_time),
        "buildtime" => time(rpm.build_time),
        _ => return None,
    })
}

/// rpm's spelling normalised: no epoch is epoch 0, `(none)` is empty.
fn normalise(column: &str, value: &str) -> String {
    match (column, value) {
        ("epoch", "") => "0".to_string(),
        (_, "(none)") => String::new(),
        _ => value.to_string(),
    }
}

/// Compares a database's packages with an rpm listing (header line, tab-separated), on every
/// column both know. Rows compare as sorted lists: rpm's iteration order is not a contract.
fn assert_matches_listing(db: &Path, listing: &Path) -> usize {
    let text = std::fs::read_to_string(listing).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let probe = InstalledRpm {
        nevra: patchscan::version::Nevra::parse("a-1-1.x").unwrap(),
        install_time: None,
        build_time: None,
        modularity_label: None,
        source_rpm: None,
    };
    let known: Vec<(usize, &str)> = header
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, c)| column(&probe, c).is_some())
        .collect();
    assert!(known.len() >= 5, "{}: too few columns", listing.display());
    let mut want: Vec<Vec<String>> = lines
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(|fields| fields[0] != "gpg-pubkey")
        .map(|fields| {
            known
                .iter()
                .map(|&(i, c)| normalise(c, fields[i]))
                .collect()
        })
        .collect();
    let packages = read_rpmdb(db).unwrap_or_else(|e| panic!("{e}"));
    let mut got: Vec<Vec<String>> = packages
        .iter()
        .map(|p| {
            known
                .iter()
                .map(|&(_, c)| column(p, c).unwrap_or_default())
                .collect()
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got.len(), want.len(), "{}: package count", db.display());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{}", db.display());
    }
    got.len()
}

#[test]
fn real_databases_match_rpm() {
    let cases = [
        ("go-rpmdb-libuuid/Packages", RpmDbFormat::BerkeleyDb, 1),
        ("syft-rpm-bdb/Packages", RpmDbFormat::BerkeleyDb, 1),
        ("go-rpmdb-sle15-bci/Packages.db", RpmDbFormat::Ndb, 35),
        ("go-rpmdb-sle15-bci-pr42/Packages.db", RpmDbFormat::Ndb, 36),
        (
            "go-rpmdb-amazonlinux2023-plain/rpmdb.sqlite",
            RpmDbFormat::Sqlite,
            102, // 103 rows less one gpg-pubkey
        ),
        (
            "go-rpmdb-cbl-mariner-2.0/rpmdb.sqlite",
            RpmDbFormat::Sqlite,
            129,
        ),
    ];
    for (rel, format, count) in cases {
        let db = fixture(rel);
        assert_eq!(RpmDbFormat::detect(&db).unwrap(), format, "{rel}");
        let listing = PathBuf::from(format!("{}.rpm-qa.tsv", db.display()));
        assert_eq!(assert_matches_listing(&db, &listing), count, "{rel}");
    }
}

#[test]
fn directory_holding_a_database_is_read() {
    let packages = read_rpmdb(&fixture("go-rpmdb-libuuid")).unwrap();
    assert_eq!(
        packages[0].nevra.to_string(),
        "libuuid-2.32.1-42.el8_8.x86_64"
    );
    assert_eq!(
        packages[0].source_rpm.as_deref(),
        Some("util-linux-2.32.1-42.el8_8.src.rpm")
    );
    assert!(packages[0].install_time.is_some());
}

#[test]
fn directory_without_a_database_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_rpmdb(dir.path()).unwrap_err();
    assert!(matches!(err, RpmDbError::NoDatabase { .. }), "{err}");
}

#[test]
fn find_rpmdb_follows_links_inside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("usr/lib/sysimage/rpm")).unwrap();
    std::fs::create_dir_all(root.join("var/lib")).unwrap();
    std::fs::copy(
        fixture("go-rpmdb-amazonlinux2023-plain/rpmdb.sqlite"),
        root.join("usr/lib/sysimage/rpm/rpmdb.sqlite"),
    )
    .unwrap();
    // Fedora's layout: var/lib/rpm is an absolute link to the sysimage directory.
    std::os::unix::fs::symlink("/usr/lib/sysimage/rpm", root.join("var/lib/rpm")).unwrap();
    let fs = RootFs::new(root).unwrap();
    let found = find_rpmdb(&fs).unwrap();
    assert_eq!(found, fs.path().join("usr/lib/sysimage/rpm/rpmdb.sqlite"));
    assert_eq!(read_rpmdb(&found).unwrap().len(), 102);
}

#[test]
fn find_rpmdb_prefers_var_lib_rpm_when_it_holds_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["var/lib/rpm", "usr/lib/sysimage/rpm"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::copy(
        fixture("rpm-made-sqlite/rpmdb.sqlite"),
        root.join("usr/lib/sysimage/rpm/rpmdb.sqlite"),
    )
    .unwrap();
    let fs = RootFs::new(root).unwrap();
    // An empty var/lib/rpm (as after a migration) does not hide the sysimage database.
    assert_eq!(
        find_rpmdb(&fs).unwrap(),
        fs.path().join("usr/lib/sysimage/rpm/rpmdb.sqlite")
    );
    std::fs::copy(
        fixture("syft-rpm-bdb/Packages"),
        root.join("var/lib/rpm/Packages"),
    )
    .unwrap();
    assert_eq!(
        find_rpmdb(&fs).unwrap(),
        fs.path().join("var/lib/rpm/Packages")
    );
    // var/lib/rpm as a plain file is skipped, not an error.
    std::fs::remove_dir_all(root.join("var/lib/rpm")).unwrap();
    std::fs::write(root.join("var/lib/rpm"), "").unwrap();
    assert!(find_rpmdb(&fs)
        .unwrap()
        .ends_with("usr/lib/sysimage/rpm/rpmdb.sqlite"));
}

#[test]
fn find_rpmdb_never_leaves_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("var/lib")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    // An image whose rpm directory points at /etc: the scanner's own /etc must not be read.
    std::os::unix::fs::symlink("/etc", root.join("var/lib/rpm")).unwrap();
    let fs = RootFs::new(root).unwrap();
    let err = find_rpmdb(&fs).unwrap_err();
    assert!(matches!(err, RpmDbError::NotFound { .. }), "{err}");
    // With a database in the image's etc, that one is found.
    std::fs::copy(fixture("syft-rpm-bdb/Packages"), root.join("etc/Packages")).unwrap();
    assert_eq!(find_rpmdb(&fs).unwrap(), fs.path().join("etc/Packages"));
}

/// Copies a fixture database into a fresh directory, so a test may change or break it.
fn scratch_copy(rel: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture(rel);
    let dst = dir.path().join(src.file_name().unwrap());
    std::fs::copy(&src, &dst).unwrap();
    (dir, dst)
}

#[test]
fn rpm_made_databases_match_rpm() {
    // Made by repodata-fixtures/scripts/make-rpmdb-fixtures.sh: 30 packages plus a gpg-pubkey;
    // the listings carry install and build times, source rpm and modularity label too.
    for (rel, format) in [
        ("rpm-made-sqlite/rpmdb.sqlite", RpmDbFormat::Sqlite),
        ("rpm-made-bdb-le/Packages", RpmDbFormat::BerkeleyDb),
        ("rpm-made-bdb-be/Packages", RpmDbFormat::BerkeleyDb),
    ] {
        let db = fixture(rel);
        assert_eq!(RpmDbFormat::detect(&db).unwrap(), format, "{rel}");
        let listing = PathBuf::from(format!("{}.rpm-qa.tsv", db.display()));
        assert_eq!(assert_matches_listing(&db, &listing), 30, "{rel}");
    }
    let packages = read_rpmdb(&fixture("rpm-made-sqlite")).unwrap();
    let nodejs = packages.iter().find(|p| p.nevra.name == "nodejs").unwrap();
    assert_eq!(
        nodejs.modularity_label.as_deref(),
        Some("nodejs:18:8080020230731160407:b0a6b62f")
    );
    assert_eq!(nodejs.nevra.evr.epoch, 1);
    let kernels = packages.iter().filter(|p| p.nevra.name == "kernel").count();
    assert_eq!(kernels, 2);
}

/// Whether `tool` can run; with `PATCHSCAN_REQUIRE_ORACLES=1` a missing tool fails the test.
fn oracle_available(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var("PATCHSCAN_REQUIRE_ORACLES").as_deref() != Ok("1"),
            "{tool} is required (PATCHSCAN_REQUIRE_ORACLES=1) but not installed"
        );
        eprintln!("skipping: {tool} is not installed");
    }
    found
}

/// Runs real rpm on a copy of each rpm-made database now, so the committed listings cannot
/// drift from what rpm says.
#[test]
fn real_rpm_agrees_now() {
    if !oracle_available("rpm") {
        return;
    }
    for (rel, backend) in [
        ("rpm-made-sqlite/rpmdb.sqlite", "sqlite"),
        ("rpm-made-bdb-le/Packages", "bdb_ro"),
        ("rpm-made-bdb-be/Packages", "bdb_ro"),
    ] {
        let (dir, db) = scratch_copy(rel);
        let out = Command::new("rpm")
            .arg("--dbpath")
            .arg(dir.path())
            .args(["--define", &format!("_db_backend {backend}")])
            .args([
                "-qa",
                "--qf",
                "%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{INSTALLTIME}\n",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "rpm failed on {rel}");
        let mut want: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("gpg-pubkey\t"))
            .map(str::to_string)
            .collect();
        let mut got: Vec<String> = read_rpmdb(&db)
            .unwrap()
            .iter()
            .map(|p| {
                ["name", "epoch", "version", "release", "arch", "installtime"]
                    .map(|c| column(p, c).unwrap())
                    .join("\t")
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{rel}");
    }
}

/// Opens a scratch copy of an rpm-made sqlite database for changing it. rpm's index tables
/// reference `Packages` by foreign key; the tests change `Packages` alone.
fn open_for_change(db: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("PRAGMA foreign_keys=OFF;").unwrap();
    conn
}

/// Asserts `result` is an error whose message names `path`.
fn assert_error_names(result: Result<Vec<InstalledRpm>, RpmDbError>, path: &Path) -> String {
    let err = match result {
        Ok(packages) => panic!("{}: read {} packages", path.display(), packages.len()),
        Err(err) => err.to_string(),
    };
    assert!(
        err.contains(&path.display().to_string()),
        "error does not name the file: {err}"
    );
    err
}

#[test]
fn truncated_databases_are_errors() {
    for rel in [
        "rpm-made-sqlite/rpmdb.sqlite",
        "rpm-made-bdb-le/Packages",
        "rpm-made-bdb-be/Packages",
        "go-rpmdb-sle15-bci/Packages.db",
        "go-rpmdb-libuuid/Packages",
    ] {
        let (_dir, db) = scratch_copy(rel);
        let len = std::fs::metadata(&db).unwrap().len();
        for keep in [0, 10, 100, 600, len / 3, len / 2] {
            let file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
            file.set_len(keep).unwrap();
            drop(file);
            assert_error_names(read_rpmdb(&db), &db);
        }
    }
}

#[test]
fn broken_overflow_chain_names_the_page() {
    let (_dir, db) = scratch_copy("rpm-made-bdb-le/Packages");
    let mut bytes = std::fs::read(&db).unwrap();
    // Point every overflow page's next-page link far past the end of the file.
    for page in bytes
        .chunks_mut(512)
        .filter(|p| p[25] == 7 && p[16..20] != [0; 4])
    {
        page[16..20].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    }
    std::fs::write(&db, &bytes).unwrap();
    let err = assert_error_names(read_rpmdb(&db), &db);
    assert!(
        err.contains("overflow chain points past end of file"),
        "{err}"
    );
}

#[test]
fn flipped_bytes_in_a_header_blob_are_errors() {
    // sqlite: break one blob's index count.
    let (_dir, db) = scratch_copy("rpm-made-sqlite/rpmdb.sqlite");
    let conn = open_for_change(&db);
    conn.execute(
        "UPDATE Packages SET blob = CAST(x'ffffffff' || substr(blob, 5) AS BLOB) WHERE hnum = 3",
        [],
    )
    .unwrap();
    drop(conn);
    let err = assert_error_names(read_rpmdb(&db), &db);
    assert!(err.contains("package record 3"), "{err}");

    // NDB: any flipped byte inside a blob fails its checksum.
    let (_dir, db) = scratch_copy("go-rpmdb-sle15-bci/Packages.db");
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[0x1000 + 16 + 200] ^= 0x55;
    std::fs::write(&db, &bytes).unwrap();
    let err = assert_error_names(read_rpmdb(&db), &db);
    assert!(err.contains("Adler-32"), "{err}");
}

#[test]
fn databases_without_packages_are_errors() {
    // No rows at all.
    let (_dir, db) = scratch_copy("rpm-made-sqlite/rpmdb.sqlite");
    let conn = open_for_change(&db);
    conn.execute("DELETE FROM Packages", []).unwrap();
    drop(conn);
    let err = read_rpmdb(&db).unwrap_err();
    assert!(matches!(err, RpmDbError::Empty { .. }), "{err}");
    assert_error_names(Err(err), &db);

    // Only the gpg-pubkey pseudo-package.
    let (_dir, db) = scratch_copy("rpm-made-sqlite/rpmdb.sqlite");
    let conn = open_for_change(&db);
    conn.execute(
        "DELETE FROM Packages WHERE hnum NOT IN \
         (SELECT hnum FROM Packages WHERE instr(blob, x'006770672d7075626b657900') > 0)",
        [],
    )
    .unwrap();
    let left: i64 = conn
        .query_row("SELECT count(*) FROM Packages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 1, "the gpg-pubkey row");
    drop(conn);
    assert!(matches!(read_rpmdb(&db), Err(RpmDbError::Empty { .. })));

    // A sqlite file that is not an rpmdb.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("rpmdb.sqlite");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute("CREATE TABLE t(x)", [])
        .unwrap();
    let err = assert_error_names(read_rpmdb(&other), &other);
    assert!(err.contains("Packages"), "{err}");
}

#[test]
fn files_that_are_no_database_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..10_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    for (name, bytes) in [
        ("empty", &b""[..]),
        ("noise", &noise[..]),
        ("text", &b"this is not an rpm database at all\n"[..]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = read_rpmdb(&path).unwrap_err();
        assert!(matches!(err, RpmDbError::NotRpmDb { .. }), "{name}: {err}");
        assert_error_names(Err(err), &path);
    }
}

/// An image copied while rpm had its sqlite database open: committed rows live only in the
/// `-wal` file, in a directory the scanner may not write.
#[test]
fn sqlite_wal_is_read_without_writing_the_image() {
    let (live_dir, live) = scratch_copy("rpm-made-sqlite/rpmdb.sqlite");
    let conn = open_for_change(&live);
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch("PRAGMA wal_autocheckpoint=0;").unwrap();
    conn.execute(
        "DELETE FROM Packages WHERE hnum IN (SELECT hnum FROM Packages LIMIT 5)",
        [],
    )
    .unwrap();
    // Snapshot the files while the connection is open (the WAL is not checkpointed).
    let image = tempfile::tempdir().unwrap();
    for name in ["rpmdb.sqlite", "rpmdb.sqlite-wal"] {
        std::fs::copy(live_dir.path().join(name), image.path().join(name)).unwrap();
    }
    drop(conn);
    let wal = image.path().join("rpmdb.sqlite-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    let before: Vec<_> = std::fs::read_dir(image.path()).unwrap().collect();

    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(image.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let packages = read_rpmdb(image.path());
    std::fs::set_permissions(image.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // 30 packages + 1 key, 5 rows deleted in the WAL; the deleted rows may include the key.
    let count = packages.unwrap().len();
    assert!((25..=26).contains(&count), "{count}");
    let after: Vec<_> = std::fs::read_dir(image.path()).unwrap().collect();
    assert_eq!(before.len(), after.len(), "the image directory was written");
}

/// The 3,000-package databases `make-rpmdb-fixtures.sh 3000 <dir>` makes (CI keeps them in a
/// cache): set `PATCHSCAN_LARGE_RPMDB=<dir>` to check them against rpm's listings and time
/// the reads.
#[test]
fn large_databases_match_rpm() {
    let Some(dir) = std::env::var_os("PATCHSCAN_LARGE_RPMDB") else {
        eprintln!("skipping: PATCHSCAN_LARGE_RPMDB is not set");
        return;
    };
    let dir = PathBuf::from(dir);
    for rel in [
        "rpm-made-sqlite/rpmdb.sqlite",
        "rpm-made-bdb-le/Packages",
        "rpm-made-bdb-be/Packages",
    ] {
        let db = dir.join(rel);
        let start = std::time::Instant::now();
        let count = read_rpmdb(&db).unwrap().len();
        eprintln!("{rel}: {count} packages in {:?}", start.elapsed());
        let listing = PathBuf::from(format!("{}.rpm-qa.tsv", db.display()));
        assert_eq!(assert_matches_listing(&db, &listing), count);
        assert!(count >= 3000, "{rel}: {count}");
    }
}
