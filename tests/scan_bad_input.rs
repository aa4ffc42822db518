//! Broken inputs end in a clear error naming the file (exit 2), never a panic or a clean host.

mod common;

use std::path::{Path, PathBuf};

use common::repomd::{gzip, metadata_file, replace_metadata};
use common::{root, run};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A private copy of bed host-a (root and repos) to break.
fn host_a_copy() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bed = root().join("repodata-fixtures/beds/host-a");
    copy_dir(&bed.join("root"), &dir.path().join("root"));
    copy_dir(&bed.join("repos/amazonlinux"), &dir.path().join("repo"));
    let (r, p) = (dir.path().join("root"), dir.path().join("repo"));
    (dir, r, p)
}

fn scan(root: &Path, repo: &Path) -> (i32, String) {
    let out = run(
        &[
            "scan",
            "--root",
            root.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--now",
            "2025-06-01",
            "--format",
            "json",
        ],
        None,
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn data_file(repo: &Path, kind: &str) -> PathBuf {
    std::fs::read_dir(repo.join("repodata"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().contains(kind))
        .unwrap_or_else(|| panic!("no {kind} file"))
}

fn assert_fails_naming(code: i32, stderr: &str, file: &Path, what: &str) {
    assert_eq!(code, 2, "{what}: expected exit 2, stderr: {stderr}");
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(
        stderr.contains(name.as_ref()),
        "{what}: {name} not named in: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

#[test]
fn truncated_gzip_updateinfo() {
    let (_d, root, repo) = host_a_copy();
    let f = data_file(&repo, "updateinfo");
    let bytes = std::fs::read(&f).unwrap();
    // repomd.xml describes the cut file, so what fails is reading it, not its checksum.
    let (_, open) = metadata_file(&repo, "updateinfo");
    replace_metadata(&repo, "updateinfo", &bytes[..bytes.len() / 2], &open);
    let (code, err) = scan(&root, &repo);
    assert_fails_naming(code, &err, &f, "truncated updateinfo");
    assert!(err.contains("gzip"), "{err}");
}

#[test]
fn malformed_primary_xml() {
    let (_d, root, repo) = host_a_copy();
    let f = data_file(&repo, "primary");
    let xml = b"<?xml version=\"1.0\"?><metadata><package><name>x</nam></package>";
    replace_metadata(&repo, "primary", &gzip(xml), xml);
    let (code, err) = scan(&root, &repo);
    assert_fails_naming(code, &err, &f, "malformed primary");
    assert!(err.contains("line 1, column"), "{err}");
}

#[test]
fn missing_repomd_target() {
    let (_d, root, repo) = host_a_copy();
    let f = data_file(&repo, "updateinfo");
    std::fs::remove_file(&f).unwrap();
    let (code, err) = scan(&root, &repo);
    assert_fails_naming(code, &err, &f, "missing updateinfo");
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn no_repository_metadata_is_an_error_not_a_clean_host() {
    let (_d, root, _repo) = host_a_copy();
    let out = run(
        &[
            "scan",
            "--root",
            root.to_str().unwrap(),
            "--now",
            "2025-06-01",
        ],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no repository metadata"), "{err}");
}

fn rpmdb(root: &Path) -> PathBuf {
    root.join("var/lib/rpm/rpmdb.sqlite")
}

#[test]
fn empty_rpm_database() {
    let (_d, root, repo) = host_a_copy();
    let conn = rusqlite::Connection::open(rpmdb(&root)).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM Packages;")
        .unwrap();
    drop(conn);
    let (code, err) = scan(&root, &repo);
    assert_fails_naming(code, &err, &rpmdb(&root), "empty rpmdb");
    assert!(err.contains("no packages"), "{err}");
}

#[test]
fn corrupt_header_blob() {
    let (_d, root, repo) = host_a_copy();
    let conn = rusqlite::Connection::open(rpmdb(&root)).unwrap();
    let (hnum, mut blob): (i64, Vec<u8>) = conn
        .query_row("SELECT hnum, blob FROM Packages LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    // Claim a huge index: the entry count is the first big-endian u32.
    blob[0..4].copy_from_slice(&0x00ff_ffffu32.to_be_bytes());
    conn.execute(
        "UPDATE Packages SET blob = ?1 WHERE hnum = ?2",
        rusqlite::params![blob, hnum],
    )
    .unwrap();
    drop(conn);
    let (code, err) = scan(&root, &repo);
    assert_fails_naming(code, &err, &rpmdb(&root), "corrupt header");
}

#[test]
fn unknown_distribution_names_the_flag() {
    let (_d, root, repo) = host_a_copy();
    std::fs::write(root.join("etc/os-release"), "ID=plan9\nVERSION_ID=4\n").unwrap();
    let (code, err) = scan(&root, &repo);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("plan9") && err.contains("--os"), "{err}");
    // With the overrides, the scan goes through.
    let out = run(
        &[
            "scan",
            "--root",
            root.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--now",
            "2025-06-01",
            "--os",
            "AMAZON_LINUX_2023",
            "--product",
            "AmazonLinux2023",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn host_cache_is_found_in_dnf_and_yum_layouts() {
    let bed = root().join("repodata-fixtures/beds/host-a");
    // dnf: var/cache/dnf/<repo>-<hash>/repodata/…
    let (_d, host_root, repo) = host_a_copy();
    copy_dir(
        &repo,
        &host_root.join("var/cache/dnf/amazonlinux-0123456789abcdef"),
    );
    let out = run(
        &[
            "scan",
            "--root",
            host_root.to_str().unwrap(),
            "--now",
            "2025-06-01",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dnf_layout: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // yum: var/cache/yum/<arch>/<release>/<repo>/ with repomd.xml and the data files flat.
    let (_d2, yum_root, _) = host_a_copy();
    let flat = yum_root.join("var/cache/yum/x86_64/2023/amazonlinux");
    std::fs::create_dir_all(&flat).unwrap();
    for e in std::fs::read_dir(bed.join("repos/amazonlinux/repodata")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, flat.join(p.file_name().unwrap())).unwrap();
    }
    let out = run(
        &[
            "scan",
            "--root",
            yum_root.to_str().unwrap(),
            "--now",
            "2025-06-01",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yum_layout: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dnf_layout["Patches"], yum_layout["Patches"]);
    assert!(dnf_layout["PatchState"]["MissingCount"].as_u64().unwrap() > 5);
}
