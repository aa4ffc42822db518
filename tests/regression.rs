//! One regression test per bug found, named after the case, with the input that showed it.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::beds::bed;
use common::repomd::{gzip, metadata_file, replace_metadata, sha256_hex};
use common::{root, run};

fn scan_args(bed: &Path, extra: &[&str]) -> Vec<String> {
    common::beds::scan_argv(bed, extra)
}

fn run_owned(args: &[String]) -> std::process::Output {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&argv, None)
}

/// `scan --baseline AWS-UbuntuDefaultPatchBaseline` on an Amazon Linux 2023 host reported
/// COMPLIANT and `--fail-on noncompliant` exited 0, with only a warning.
#[test]
fn baseline_for_another_os_is_an_error_not_a_pass() {
    let host = bed("host-a");
    let out = run_owned(&scan_args(
        &host,
        &[
            "--baseline",
            "AWS-UbuntuDefaultPatchBaseline",
            "--fail-on",
            "noncompliant",
        ],
    ));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("UBUNTU") && err.contains("AMAZON_LINUX_2023"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "no report for a scan that was not made"
    );
}

/// A one-element `BaselineOverride` array was applied to a host of any OS.
#[test]
fn one_element_override_for_another_os_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("override.json");
    std::fs::write(
        &file,
        r#"[{"OperatingSystem":"UBUNTU","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRIORITY","Values":["*"]}]}}]}}]"#,
    )
    .unwrap();
    let out = run_owned(&scan_args(
        &bed("host-a"),
        &["--baseline", file.to_str().unwrap()],
    ));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("AMAZON_LINUX_2023") && err.contains("UBUNTU"),
        "{err}"
    );
}

/// Every rule filtered to nothing by a misspelt product came out COMPLIANT with no word of it.
#[test]
fn misspelt_product_warns_and_fail_on_warnings_catches_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.json");
    std::fs::write(
        &file,
        r#"{"Name":"typo","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRODUCT","Values":["AmazonLinux2032"]}]},"ApproveAfterDays":0}]}}"#,
    )
    .unwrap();
    let base = scan_args(&bed("host-a"), &["--baseline", file.to_str().unwrap()]);
    let plain = run_owned(&base);
    assert_eq!(plain.status.code(), Some(0));
    // Warnings are on stderr, in every format.
    let text = String::from_utf8_lossy(&plain.stderr);
    assert!(
        text.contains(
            "no approval rule's PRODUCT values include the host's product AmazonLinux2023"
        ),
        "{text}"
    );
    let mut strict = base.clone();
    strict.extend(["--fail-on".into(), "noncompliant,warnings".into()]);
    assert_eq!(run_owned(&strict).status.code(), Some(1));
    // The same with the typo in GlobalFilters.
    std::fs::write(
        &file,
        r#"{"Name":"typo","OperatingSystem":"AMAZON_LINUX_2023","GlobalFilters":{"PatchFilters":[{"Key":"PRODUCT","Values":["AmazonLinux"]}]},"ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0}]}}"#,
    )
    .unwrap();
    let out = run_owned(&strict);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GlobalFilters' PRODUCT values"));
    // A product that matches warns of nothing of the kind, and the default baseline neither.
    std::fs::write(
        &file,
        r#"{"Name":"ok","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRODUCT","Values":["AmazonLinux2023"]}]},"ApproveAfterDays":0}]}}"#,
    )
    .unwrap();
    let out = run_owned(&base);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("PRODUCT values"));
}

/// Table output panicked (`format!` width over 65,535) on a 70,000-character advisory id.
#[test]
fn table_survives_a_70000_character_advisory_id() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("host-a");
    common::apt::copy_dir(&bed("host-a"), &copy);
    std::fs::copy(
        root().join("repodata-fixtures/beds/NOW"),
        dir.path().join("NOW"),
    )
    .unwrap();
    let repo = copy.join("repos/amazonlinux");
    let xml = String::from_utf8(metadata_file(&repo, "updateinfo").1).unwrap();
    let long = "X".repeat(70_000);
    // Every notice gets the long id, so whichever is Missing shows it.
    let mut edited = String::new();
    let mut rest = xml.as_str();
    while let Some(at) = rest.find("<id>") {
        let end = rest[at..].find("</id>").unwrap() + at;
        edited.push_str(&rest[..at + 4]);
        edited.push_str(&long);
        rest = &rest[end..];
    }
    edited.push_str(rest);
    replace_metadata(
        &repo,
        "updateinfo",
        &gzip(edited.as_bytes()),
        edited.as_bytes(),
    );
    let dir_b = dir.path().join("b.json");
    std::fs::write(
        &dir_b,
        r#"{"Name":"all","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0}]}}"#,
    )
    .unwrap();
    let out = run_owned(&scan_args(
        &copy,
        &["--baseline", dir_b.to_str().unwrap(), "--explain"],
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = text
        .lines()
        .find(|l| l.starts_with("Missing") && l.contains(&long))
        .unwrap_or_else(|| panic!("no Missing row with the long id"));
    // The column is padded to the long id's width, so the reason follows it.
    assert!(
        row.contains("approved by rule 0"),
        "{}",
        &row[row.len().saturating_sub(200)..]
    );
}

fn fleet(out: &Path, extra: &[&str]) -> std::process::Output {
    let manifest = root().join("repodata-fixtures/demo/fleet.toml");
    let mut args = vec![
        "fleet".to_string(),
        manifest.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    run_owned(&args)
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// A re-run into the same `--out` with `--partition-by` kept the previous run's partitions,
/// and `report` counted both runs' hosts.
#[test]
fn a_rerun_replaces_the_previous_run_s_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for now in ["2025-06-01T12:00:00Z", "2025-06-03T12:00:00Z"] {
        let o = fleet(&out, &["--partition-by", "date", "--now", now]);
        assert_eq!(
            o.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let files = files_under(&out);
    assert!(files.iter().all(|f| !f.contains("2025-06-01")), "{files:?}");
    assert!(
        files.iter().any(|f| f.contains("ScanDate=2025-06-03")),
        "{files:?}"
    );
    let report = run(&["report", out.to_str().unwrap(), "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(v["Hosts"], 7, "{v}");
    // Nothing but the finished directory and its lock is left beside it.
    let beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside.len(), 2, "{beside:?}");
}

/// `--out` naming a directory with other files would have mixed a run into it; it is refused
/// and left as it was.
#[test]
fn an_out_directory_patchscan_did_not_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let o = fleet(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("notes.txt"));
    assert_eq!(files_under(dir.path()), ["notes.txt"]);
}

/// Two runs into one `--out` mixed their outputs; the second now fails while the first
/// holds the lock, naming it.
#[test]
fn a_concurrent_run_into_the_same_out_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let lock = dir.path().join(".out.lock");
    std::fs::write(&lock, "").unwrap();
    // util-linux flock holds the same kind of lock patchscan takes.
    let mut holder = std::process::Command::new("flock")
        .arg(&lock)
        .args(["sleep", "30"])
        .spawn()
        .expect("flock (util-linux)");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let o = fleet(&out, &[]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("another patchscan run"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.exists());
}

/// A killed run left `.NAME.tmp-PID` files and half an output forever; now it leaves only a
/// staging directory beside `--out`, which the next run clears.
#[test]
fn what_a_killed_run_leaves_is_cleared_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stale = dir.path().join(".out.staging-killed");
    std::fs::create_dir_all(stale.join("patches")).unwrap();
    std::fs::write(stale.join("patches/.part-0.parquet.tmp-1"), "half").unwrap();
    let o = fleet(&out, &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(!stale.exists());
    assert!(files_under(&out).iter().all(|f| !f.contains(".tmp-")));
}

/// `ulimit -f` killed a run with SIGXFSZ and no message; the write now fails naming the file.
#[test]
fn a_file_size_limit_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = root().join("repodata-fixtures/demo/fleet.toml");
    let o = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -f 8; exec \"$0\" fleet {} --out {} --format csv",
            manifest.display(),
            out.display()
        ))
        .arg(env!("CARGO_BIN_EXE_patchscan"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("File too large") && err.contains(".csv"),
        "{err}"
    );
    assert!(!out.exists(), "no partial output");
}

/// An Amazon Linux host scanned against another distribution's repository came out
/// COMPLIANT with no word of it (every package InstalledOther).
#[test]
fn repositories_offering_none_of_the_host_s_packages_warn() {
    let host = bed("host-a");
    let args = vec![
        "scan".to_string(),
        "--root".into(),
        host.join("root").display().to_string(),
        "--now".into(),
        "2025-06-01T12:00:00Z".into(),
        "--repo".into(),
        root()
            .join("repodata-fixtures/rpmmd/tiny")
            .display()
            .to_string(),
        "--fail-on".into(),
        "warnings".into(),
    ];
    let out = run_owned(&args);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("none of the host's 46 installed packages is offered"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
    // The host's own repositories do not warn so.
    let args = scan_args(&host, &[]);
    let text = String::from_utf8_lossy(&run_owned(&args).stderr).to_string();
    assert!(!text.contains("is offered by the repositories"), "{text}");
}

// ------------------------------------------------------------------ hostile and damaged roots

/// A private copy of a bed (root, repos, NOW) to damage.
fn bed_copy(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(name);
    common::apt::copy_dir(&bed(name), &copy);
    std::fs::copy(
        root().join("repodata-fixtures/beds/NOW"),
        dir.path().join("NOW"),
    )
    .unwrap();
    (dir, copy)
}

/// Runs patchscan, killing it after `secs` (a hang fails the test instead of stalling it).
fn run_bounded(args: &[String], secs: u64) -> std::process::Output {
    use std::process::Stdio;
    let mut child = common::patchscan()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed().as_secs() >= secs {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "patchscan {args:?} still running after {secs} s: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Asserts a scan failed (exit 2) with a message holding every one of `needles`.
fn assert_refused(out: &std::process::Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        needles.iter().all(|n| err.contains(n)),
        "{needles:?}: {err}"
    );
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

fn installed_count(out: &std::process::Output) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let s = &v["PatchState"];
    [
        "InstalledCount",
        "InstalledOtherCount",
        "MissingCount",
        "InstalledRejectedCount",
    ]
    .iter()
    .map(|k| s[k].as_u64().unwrap_or(0))
    .sum::<u64>()
        + s["InstalledPendingRebootCount"].as_u64().unwrap_or(0)
}

/// A FIFO as `etc/os-release` hung the scan forever (the open blocked for a writer).
#[test]
fn a_fifo_as_os_release_is_an_error_not_a_hang() {
    let (_dir, copy) = bed_copy("host-a");
    let os = copy.join("root/etc/os-release");
    std::fs::remove_file(&os).unwrap();
    mkfifo(&os);
    assert_refused(
        &run_bounded(&scan_args(&copy, &[]), 30),
        &["etc/os-release", "not a regular file (a FIFO)"],
    );
}

/// A character device in a root (`/dev/zero` re-rooted as the rpm database) was read without
/// bound; a socket likewise is no file to read.
#[test]
fn a_device_or_socket_as_the_rpm_database_is_an_error() {
    let (_dir, copy) = bed_copy("host-a");
    let db = copy.join("root/var/lib/rpm/rpmdb.sqlite");
    std::fs::remove_file(&db).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(&db).unwrap();
    assert_refused(&run_bounded(&scan_args(&copy, &[]), 30), &["rpmdb.sqlite"]);
    // A device node needs root to make; CI runs as root.
    if unsafe { libc::geteuid() } == 0 {
        std::fs::remove_file(&db).unwrap();
        let c = std::ffi::CString::new(db.as_os_str().as_encoded_bytes()).unwrap();
        let dev = libc::makedev(1, 5); // /dev/zero
        assert_eq!(
            unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o644, dev) },
            0
        );
        let out = run_bounded(&scan_args(&copy, &[]), 30);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("rpmdb.sqlite") && err.contains("not a regular file (a character device)"),
            "{err}"
        );
    } else {
        assert!(
            !common::oracles_required(),
            "CI must run as root to make a device node"
        );
    }
}

/// `rpmdb.sqlite-wal` was opened by sqlite by its own path, so a WAL that is a link out of
/// the root was the scanner's file (which could rewrite the image's packages).
#[test]
fn a_wal_linked_out_of_the_root_is_not_the_scanner_s_file() {
    let (dir, copy) = bed_copy("host-a");
    let clean = run_owned(&scan_args(&copy, &["--format", "json"]));
    assert_eq!(clean.status.code(), Some(0));
    let packages = installed_count(&clean);
    // A file outside the root that would fail the read if it were taken for the WAL.
    let outside = dir.path().join("outside-wal");
    let mut poison = 0x377f_0682u32.to_be_bytes().to_vec();
    poison.extend([0xee; 4092]);
    std::fs::write(&outside, &poison).unwrap();
    let wal = copy.join("root/var/lib/rpm/rpmdb.sqlite-wal");
    let depth = copy.join("root/var/lib/rpm").components().count();
    let relative = format!("{}{}", "../".repeat(depth), outside.display());
    for target in [outside.display().to_string(), relative] {
        let _ = std::fs::remove_file(&wal);
        std::os::unix::fs::symlink(&target, &wal).unwrap();
        let out = run_owned(&scan_args(&copy, &["--format", "json"]));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(installed_count(&out), packages, "{target}");
    }
    // The same poison inside the root, where the link leads, is read and refused.
    let inside = copy.join("root").join(outside.strip_prefix("/").unwrap());
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::write(&inside, &poison).unwrap();
    let out = run_owned(&scan_args(&copy, &[]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("rpmdb.sqlite-wal"), "{err}");
}

/// An rpmdb.sqlite whose `Packages` is a VIEW (here an endless recursive one) burned CPU and
/// wrote temporary files without bound.
#[test]
fn an_rpmdb_whose_packages_is_a_view_is_an_error() {
    let (_dir, copy) = bed_copy("host-a");
    let db = copy.join("root/var/lib/rpm/rpmdb.sqlite");
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", db.display()));
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=DELETE; PRAGMA foreign_keys=OFF;
         DROP TABLE Packages;
         CREATE VIEW Packages AS WITH RECURSIVE n(hnum, blob) AS
           (SELECT 1, randomblob(4096) UNION ALL SELECT hnum + 1, randomblob(4096) FROM n)
           SELECT hnum, blob FROM n;",
    )
    .unwrap();
    drop(conn);
    assert_refused(
        &run_bounded(&scan_args(&copy, &[]), 30),
        &["rpmdb.sqlite", "Packages is a view, not a table"],
    );
}

/// An rpmdb.sqlite read through a mapping died of SIGBUS (exit 135, no message) when the
/// file shrank while it was read, as a live host's rpm vacuuming it does.
#[test]
fn an_rpmdb_shrinking_while_read_is_never_a_signal() {
    let (_dir, copy) = bed_copy("host-a");
    let db = copy.join("root/var/lib/rpm/rpmdb.sqlite");
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", db.display()));
    }
    let full = std::fs::read(&db).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let (db, stop, full) = (db.clone(), stop.clone(), full.clone());
        std::thread::spawn(move || {
            let f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.set_len(4096).unwrap();
                std::thread::sleep(std::time::Duration::from_micros(300));
                use std::os::unix::fs::FileExt;
                f.write_all_at(&full, 0).unwrap();
                std::thread::sleep(std::time::Duration::from_micros(300));
            }
        })
    };
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let out = run_owned(&scan_args(&copy, &[]));
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), None, "killed by a signal");
        let code = out.status.code().unwrap();
        if code == 2 {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("rpmdb.sqlite"), "{err}");
        }
        codes.insert(code);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flipper.join().unwrap();
    assert!(codes.iter().all(|c| [0, 2].contains(c)), "{codes:?}");
}

/// A sparse 3 GiB file in a root cost 3 GiB of memory to read.
#[test]
fn a_sparse_3_gib_rpm_database_is_refused_past_the_limit() {
    let (_dir, copy) = bed_copy("host-a");
    let db = copy.join("root/var/lib/rpm/rpmdb.sqlite");
    let f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    f.set_len(3 << 30).unwrap();
    drop(f);
    assert_refused(
        &run_bounded(&scan_args(&copy, &[]), 30),
        &[
            "rpmdb.sqlite",
            "3221225472 bytes is more than the 1073741824-byte limit",
        ],
    );
    // A text file has a lower limit.
    let os = copy.join("root/etc/os-release");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&os)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    let out = run_bounded(&scan_args(&copy, &[]), 30);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("os-release") && err.contains("16777216-byte limit"),
        "{err}"
    );
}

/// Hash pages (type 13 or 2) of a BerkeleyDB `Packages` with the meta page's page size.
fn bdb_pages(bytes: &[u8]) -> (usize, Vec<usize>) {
    let size = u32::from_le_bytes(bytes[20..24].try_into().unwrap()) as usize;
    let pages = (1..bytes.len() / size)
        .filter(|p| matches!(bytes[p * size + 25], 2 | 13) && bytes[p * size + 20] > 0)
        .collect();
    (size, pages)
}

/// One corrupt byte (a hash page's type) in a BerkeleyDB `Packages` dropped every package
/// on that page; the meta page's element count says how many there are.
#[test]
fn a_bdb_hash_page_with_a_damaged_type_byte_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::fixture("rpmdb/rpm-made-bdb-le/Packages");
    let mut bytes = std::fs::read(&src).unwrap();
    assert_eq!(
        patchscan::host::rpmdb::read_rpmdb(&src).unwrap().len(),
        30,
        "the fixture as rpm wrote it"
    );
    let (size, pages) = bdb_pages(&bytes);
    bytes[pages[0] * size + 25] = 0x0d ^ 0x40;
    let db = dir.path().join("Packages");
    std::fs::write(&db, &bytes).unwrap();
    let err = patchscan::host::rpmdb::read_rpmdb(&db)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&db.display().to_string()) && err.contains("meta page counts 32 entries"),
        "{err}"
    );
}

/// BerkeleyDB overflow chains that share pages (or loop) cost memory quadratic in the file:
/// each off-page item re-read the same pages.
#[test]
fn bdb_overflow_chains_sharing_pages_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(common::fixture("rpmdb/rpm-made-bdb-le/Packages")).unwrap();
    let (size, pages) = bdb_pages(&bytes);
    // Every off-page data item (type 3) on the hash pages: (byte of its first-page field).
    let mut offpage = Vec::new();
    for &p in &pages {
        let page = &bytes[p * size..(p + 1) * size];
        let n = u16::from_le_bytes([page[20], page[21]]) as usize;
        for i in (1..n).step_by(2) {
            let at = u16::from_le_bytes([page[26 + 2 * i], page[27 + 2 * i]]) as usize;
            if page[at] == 3 {
                offpage.push(p * size + at + 4);
            }
        }
    }
    assert!(offpage.len() >= 2, "the fixture has off-page headers");
    // The second item's chain now starts where the first's does.
    let first: [u8; 4] = bytes[offpage[0]..offpage[0] + 4].try_into().unwrap();
    bytes[offpage[1]..offpage[1] + 4].copy_from_slice(&first);
    let db = dir.path().join("Packages");
    std::fs::write(&db, &bytes).unwrap();
    let err = patchscan::host::rpmdb::read_rpmdb(&db)
        .unwrap_err()
        .to_string();
    assert!(err.contains("already holds"), "{err}");
}

/// NDB slots pointing at one blob gave the same package many times over.
#[test]
fn ndb_slots_sharing_one_blob_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::fixture("rpmdb/go-rpmdb-sle15-bci/Packages.db");
    let clean = patchscan::host::rpmdb::read_rpmdb(&src).unwrap().len();
    let mut bytes = std::fs::read(&src).unwrap();
    // Slot 2 is the first package's; copy it over every free slot of the first slot page.
    let first: [u8; 16] = bytes[32..48].try_into().unwrap();
    let mut copies = 0;
    for slot in 3..4096 / 16 {
        let at = slot * 16;
        if bytes[at + 4..at + 8] == [0; 4] && copies < 34 {
            bytes[at..at + 16].copy_from_slice(&first);
            copies += 1;
        }
    }
    assert!(copies > 0, "the fixture has free slots");
    let db = dir.path().join("Packages.db");
    std::fs::write(&db, &bytes).unwrap();
    let err = patchscan::host::rpmdb::read_rpmdb(&db)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("overlaps the blocks of slot 2"),
        "{err} ({clean} clean)"
    );
}

/// A dpkg status cut in the middle of a value (dpkg-query refuses it) read as the packages
/// before the cut, and the host as COMPLIANT.
#[test]
fn a_dpkg_status_cut_mid_value_is_an_error() {
    let src = root().join("repodata-fixtures/apt-real/debian-bookworm/dpkg-status");
    let bytes = std::fs::read(&src).unwrap();
    let cut = &bytes[..bytes.len() / 3];
    let err = patchscan::host::dpkg::parse_status(cut, Path::new("status"))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("status: line ") && err.contains("(missing final newline)"),
        "{err}"
    );
}

/// An inventory cut mid-line, with no end marker, read as a smaller host and COMPLIANT.
#[test]
fn an_inventory_cut_short_is_an_error() {
    let src = root().join("repodata-fixtures/demo/inventories/al2023-batch-1.inv");
    let text = std::fs::read_to_string(&src).unwrap();
    assert!(text.ends_with("@end\n"));
    let cut = Path::new("cut.inv");
    for len in [
        text.len() - 5,
        text.len() / 2,
        text.rfind("\nvim").unwrap() + 1,
    ] {
        let facts = patchscan::host::source::read_inventory(
            cut,
            &text.as_bytes()[..len],
            &Default::default(),
        );
        let err = facts.expect_err("a cut inventory is refused").to_string();
        assert!(
            err.contains("cut.inv: line ") && err.contains("no @end line"),
            "{err}"
        );
    }
}

/// A non-UTF-8 file name in `var/lib/dpkg/status.d` dropped that package.
#[test]
fn a_non_utf8_name_in_status_d_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("root");
    common::apt::copy_dir(&common::fixture("dpkg/distroless"), &host);
    let status_d = host.join("var/lib/dpkg/status.d");
    let name = std::ffi::OsStr::from_bytes(b"libsqlite3-0-\xff");
    std::fs::rename(status_d.join("libsqlite3-0"), status_d.join(name)).unwrap();
    let root = patchscan::files::rootfs::RootFs::new(&host).unwrap();
    let db = patchscan::host::dpkg::find(&root).unwrap();
    let got: Vec<String> = patchscan::host::dpkg::read_installed(&root, &db)
        .unwrap()
        .iter()
        .map(|p| p.qualified_name())
        .collect();
    assert_eq!(got, ["libsqlite3-0:arm64"]);
}

/// A non-UTF-8 file name in `etc/dnf/modules.d` failed the scan with a wrong message (the
/// lossy name did not exist).
#[test]
fn a_non_utf8_module_file_name_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let (_dir, copy) = bed_copy("host-a");
    let modules = copy.join("root/etc/dnf/modules.d");
    std::fs::create_dir_all(&modules).unwrap();
    std::fs::write(
        modules.join(std::ffi::OsStr::from_bytes(b"nodejs-\xff.module")),
        "[nodejs]\nname=nodejs\nstream=20\nprofiles=\nstate=enabled\n",
    )
    .unwrap();
    let root = patchscan::files::rootfs::RootFs::new(copy.join("root")).unwrap();
    let (enabled, _) = patchscan::host::facts::module_state(&root).unwrap();
    assert_eq!(enabled.get("nodejs").map(String::as_str), Some("20"));
    let out = run_owned(&scan_args(&copy, &[]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A FIFO or a VIEW in one host stalled a whole fleet: a host whose reading does not finish
/// within `--host-timeout` is failed with its reason and every other host is kept. The slow
/// host here is an archive whose first member is 64 GiB (sparse, so it costs no disk) that the
/// reader must pass over; a FIFO given as a host's source is refused at once.
#[test]
fn a_host_that_stalls_is_failed_past_the_time_limit_and_the_fleet_goes_on() {
    use std::io::{Seek, SeekFrom};
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.tar");
    {
        let mut f = std::fs::File::create(&huge).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_path("opt/huge").unwrap();
        h.set_size(64 << 30);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        f.write_all(h.as_bytes()).unwrap();
        f.seek(SeekFrom::Current(64 << 30)).unwrap();
        let text = b"ID=amzn\nVERSION_ID=2023\n";
        let mut h = tar::Header::new_gnu();
        h.set_path("etc/os-release").unwrap();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        f.write_all(h.as_bytes()).unwrap();
        let mut block = text.to_vec();
        block.resize(512 * 3, 0);
        f.write_all(&block).unwrap();
    }
    let fifo = dir.path().join("fifo-host");
    mkfifo(&fifo);
    let a = bed("host-a");
    let manifest = dir.path().join("fleet.toml");
    std::fs::write(
        &manifest,
        format!(
            r#"now = "{now}"
[[repo_sets]]
id = "al2023"
repos = ["{a}/repos/amazonlinux"]
operating_systems = ["AMAZON_LINUX_2023"]
[[hosts]]
id = "good"
source = "{a}/root"
[[hosts]]
id = "slow"
source = "huge.tar"
[[hosts]]
id = "fifo"
source = "fifo-host"
"#,
            now = common::beds::now(&a),
            a = a.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let run = run_bounded(
        &[
            "fleet".to_string(),
            manifest.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--format".into(),
            "jsonl".into(),
            "--host-timeout".into(),
            "0.5".into(),
        ],
        120,
    );
    assert_eq!(
        run.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(out.join("summaries.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let row = |id: &str| rows.iter().find(|r| r["HostId"] == id).unwrap().clone();
    assert_ne!(row("good")["ComplianceStatus"], "SCAN_FAILED");
    let slow = row("slow");
    assert_eq!(slow["ComplianceStatus"], "SCAN_FAILED");
    assert!(
        slow["Error"]
            .as_str()
            .unwrap()
            .contains("did not finish within 0.5 s"),
        "{slow}"
    );
    let fifo = row("fifo");
    assert!(
        fifo["Error"]
            .as_str()
            .unwrap()
            .contains("not a regular file (a FIFO)"),
        "{fifo}"
    );
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}

// ------------------------------------------------------------------ hostile repositories

/// `open` with `pad` bytes of line feeds after the start tag of its root element: the same
/// document, `pad` bytes longer.
fn padded_xml(open: &[u8], root: &str, pad: usize) -> Vec<u8> {
    let at = memchr::memmem::find(open, format!("<{root}").as_bytes()).unwrap();
    let end = at + open[at..].iter().position(|&b| b == b'>').unwrap() + 1;
    let mut out = open[..end].to_vec();
    out.resize(end + pad, b'\n');
    out.extend_from_slice(&open[end..]);
    out
}

fn run_with_limit(args: &[String], limit: Option<u64>) -> std::process::Output {
    let mut cmd = common::patchscan();
    cmd.args(args);
    match limit {
        Some(l) => cmd.env("PATCHSCAN_MAX_METADATA_BYTES", l.to_string()),
        None => cmd.env_remove("PATCHSCAN_MAX_METADATA_BYTES"),
    };
    cmd.output().unwrap()
}

/// A decompression bomb (~360 KB of zstd inflating to 10 GB) as primary or updateinfo grew
/// memory to its decompressed size. Past the metadata limit (4 GiB; here set to 8 MiB) the
/// read fails naming the file and the limit; under it the same file reads as before.
#[test]
fn a_decompression_bomb_is_refused_past_the_metadata_limit() {
    const LIMIT: u64 = 8 << 20;
    for (kind, root_element) in [("primary", "metadata"), ("updateinfo", "updates")] {
        let (_dir, copy) = bed_copy("host-a");
        let args = scan_args(&copy, &["--format", "json"]);
        let clean = installed_count(&run_with_limit(&args, None));
        let repo = copy.join("repos/amazonlinux");
        let (path, open) = metadata_file(&repo, kind);
        let bomb = padded_xml(&open, root_element, 3 * LIMIT as usize);
        // zstd for primary, gzip for updateinfo: the limit holds whatever the format.
        let stored = if kind == "primary" {
            zstd::encode_all(&bomb[..], 3).unwrap()
        } else {
            gzip(&bomb)
        };
        assert!(stored.len() < 400_000, "{kind}: {} bytes", stored.len());
        replace_metadata(&repo, kind, &stored, &bomb);
        let name = path.file_name().unwrap().to_str().unwrap();
        let out = run_with_limit(&args, Some(LIMIT));
        assert_refused(
            &out,
            &[
                name,
                "more than 8388608 bytes",
                "PATCHSCAN_MAX_METADATA_BYTES",
            ],
        );
        let out = run_with_limit(&args, None);
        assert_eq!(out.status.code(), Some(0), "{kind}");
        assert_eq!(installed_count(&out), clean, "{kind}");
    }
}

/// A private copy of the debian12 apt bed: its `var/lib/apt/lists` and the arguments that
/// scan its root with those lists.
fn apt_host_copy() -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let bed = dir.path().join("debian12");
    common::apt::copy_dir(&common::apt::apt_bed("debian12"), &bed);
    let root = bed.join("root");
    let args = [
        "scan",
        "--root",
        root.to_str().unwrap(),
        "--now",
        &common::apt::bed_now(&bed),
    ]
    .map(String::from)
    .to_vec();
    (dir, root.join("var/lib/apt/lists"), args)
}

/// The same limit holds for an apt list (a bomb as `Packages.lz4` in `var/lib/apt/lists`).
#[test]
fn an_apt_list_bomb_is_refused_past_the_metadata_limit() {
    const LIMIT: u64 = 8 << 20;
    let (_dir, lists, args) = apt_host_copy();
    let list = lists.join("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4");
    let mut bomb = vec![b'\n'; 3 * LIMIT as usize];
    patchscan::files::compress::open(&list)
        .unwrap()
        .read_to_end(&mut bomb)
        .unwrap();
    let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
    lz4.write_all(&bomb).unwrap();
    std::fs::write(&list, lz4.finish().unwrap()).unwrap();
    assert_refused(
        &run_with_limit(&args, Some(LIMIT)),
        &[
            "bookworm_main_binary-amd64_Packages.lz4",
            "more than 8388608 bytes",
        ],
    );
}

/// A `<name>` holding an undeclared entity reference (`bash&bogus;`) was kept literally and
/// the package silently vanished from the repository. Real dnf refuses such a repository
/// (libsolv's parser fails it), and so does patchscan, naming the file and the line.
#[test]
fn an_undeclared_entity_in_primary_is_an_error_as_dnf_decides() {
    for kind in ["primary", "updateinfo"] {
        let (dir, copy) = bed_copy("host-a");
        let repo = copy.join("repos/amazonlinux");
        let (path, open) = metadata_file(&repo, kind);
        let text = String::from_utf8(open).unwrap();
        let (from, to) = match kind {
            "primary" => ("<name>bash</name>", "<name>bash&bogus;</name>"),
            _ => ("<title>", "<title>&bogus;"),
        };
        assert!(text.contains(from), "{kind}");
        let damaged = text.replacen(from, to, 1);
        let line = damaged[..damaged.find("&bogus;").unwrap()].lines().count();
        replace_metadata(&repo, kind, &gzip(damaged.as_bytes()), damaged.as_bytes());
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_refused(
            &run_owned(&scan_args(&copy, &[])),
            &[name, &format!("line {line}"), "undeclared entity &bogus;"],
        );
        if kind == "primary" && dnf_available() {
            let out = dnf_repoquery(dir.path(), &repo);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_ne!(out.status.code(), Some(0), "dnf read it: {err}");
            assert!(err.contains("Loading repository"), "{err}");
        }
    }
}

fn dnf_available() -> bool {
    common::tool_available("dnf", "dnf", &["--version"])
}

/// `dnf repoquery --available` over `repo` alone, with a private config, cache and root.
fn dnf_repoquery(scratch: &Path, repo: &Path) -> std::process::Output {
    let conf = scratch.join("dnf.conf");
    std::fs::write(&conf, "").unwrap();
    std::process::Command::new("dnf")
        .arg("-q")
        .arg(format!("--config={}", conf.display()))
        .args(["--setopt=reposdir=/dev/null", "--noplugins", "--nogpgcheck"])
        .arg(format!(
            "--installroot={}",
            scratch.join("dnf-root").display()
        ))
        .arg(format!(
            "--setopt=cachedir={}",
            scratch.join("dnf-cache").display()
        ))
        .arg(format!("--repofrompath=t,file://{}", repo.display()))
        .args(["--releasever=2023", "repoquery", "--available"])
        .output()
        .unwrap()
}

/// A host-a bed whose repositories are only in the root's dnf cache
/// (`var/cache/dnf/<id>/repodata`), scanned without `--repo`.
fn dnf_cache_bed() -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let (dir, copy) = bed_copy("host-a");
    let cache = copy.join("root/var/cache/dnf");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::rename(
        copy.join("repos/amazonlinux"),
        cache.join("amazonlinux-0123456789abcdef"),
    )
    .unwrap();
    let args: Vec<String> = [
        "scan",
        "--root",
        copy.join("root").to_str().unwrap(),
        "--now",
        &common::beds::now(&copy),
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec();
    (dir, copy, args)
}

/// The dnf cache was read with plain `std::fs` when no `--repo` was given, following links
/// out of the root: a cache directory, a repomd.xml and a metadata file linked out of the
/// root are each not the host's, and the host's own (inside the root, where the link leads)
/// is read instead or the read fails naming it.
#[test]
fn a_dnf_cache_linked_out_of_the_root_is_not_read() {
    let (dir, copy, args) = dnf_cache_bed();
    let clean = run_owned(&args);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    let packages = installed_count(&clean);
    let cached = copy.join("root/var/cache/dnf/amazonlinux-0123456789abcdef");

    // Each of these moved out of the root and linked from its place in the cache: the
    // directory or its repomd.xml is then no repository (the scan fails saying where it
    // looked), the primary an error naming it; never the outside file read.
    let (primary, _) = metadata_file(&cached, "primary");
    let primary_name = primary.file_name().unwrap().to_str().unwrap().to_string();
    for (inside, needle) in [
        (cached.clone(), "var/cache/dnf"),
        (cached.join("repodata/repomd.xml"), "var/cache/dnf"),
        (primary, primary_name.as_str()),
    ] {
        let outside = dir.path().join("outside");
        std::fs::rename(&inside, &outside).unwrap();
        std::os::unix::fs::symlink(&outside, &inside).unwrap();
        assert_refused(&run_owned(&args), &[needle]);
        std::fs::remove_file(&inside).unwrap();
        std::fs::rename(&outside, &inside).unwrap();
    }
    assert_eq!(installed_count(&run_owned(&args)), packages);
}

/// A FIFO as the cached repomd.xml, primary or updateinfo hung the scan (the open waited
/// for a writer); each is now an error naming the file.
#[test]
fn a_fifo_as_repository_metadata_is_an_error_not_a_hang() {
    for kind in ["repomd", "primary", "updateinfo"] {
        let (_dir, copy, args) = dnf_cache_bed();
        let cached = copy.join("root/var/cache/dnf/amazonlinux-0123456789abcdef");
        let path = match kind {
            "repomd" => cached.join("repodata/repomd.xml"),
            _ => metadata_file(&cached, kind).0,
        };
        std::fs::remove_file(&path).unwrap();
        mkfifo(&path);
        let out = run_bounded(&args, 30);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{kind}: {err}");
        if kind != "repomd" {
            let name = path.file_name().unwrap().to_str().unwrap();
            assert!(
                err.contains(name) && err.contains("not a regular file (a FIFO)"),
                "{kind}: {err}"
            );
        }
    }
}

/// An apt list in `var/lib/apt/lists` linked out of the root was read; now the scan fails
/// naming the list. A FIFO as a list or as its Release is an error, not a hang.
#[test]
fn an_apt_list_linked_out_of_the_root_or_a_fifo_is_an_error() {
    let name = "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4";
    for case in ["link", "fifo-list", "fifo-release"] {
        let (dir, lists, args) = apt_host_copy();
        let (damaged, needle) = match case {
            "link" => {
                let outside = dir.path().join("outside-Packages.lz4");
                std::fs::rename(lists.join(name), &outside).unwrap();
                std::os::unix::fs::symlink(&outside, lists.join(name)).unwrap();
                (name, "leads nowhere inside the host root")
            }
            "fifo-list" => {
                std::fs::remove_file(lists.join(name)).unwrap();
                mkfifo(&lists.join(name));
                (name, "not a regular file (a FIFO)")
            }
            _ => {
                let release = "deb.debian.org_debian_dists_bookworm_Release";
                std::fs::remove_file(lists.join(release)).unwrap();
                mkfifo(&lists.join(release));
                (release, "not a regular file (a FIFO)")
            }
        };
        assert_refused(&run_bounded(&args, 30), &[damaged, needle]);
    }
}

/// A primary.sqlite whose `packages` is a VIEW (an endless recursive one) would burn CPU
/// without bound, as the rpmdb one did.
#[test]
fn a_primary_db_whose_packages_is_a_view_is_an_error() {
    let (dir, copy) = bed_copy("host-a");
    let repo = copy.join("repos/extras-sqlite");
    let (path, _) = metadata_file(&repo, "primary_db");
    let db = dir.path().join("primary.sqlite");
    let mut plain = Vec::new();
    patchscan::files::compress::open(&path)
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    std::fs::write(&db, &plain).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=DELETE; PRAGMA foreign_keys=OFF;
         ALTER TABLE packages RENAME TO real_packages;
         CREATE VIEW packages AS WITH RECURSIVE n(k) AS
           (SELECT 1 UNION ALL SELECT k + 1 FROM n) SELECT real_packages.* FROM n, real_packages;",
    )
    .unwrap();
    drop(conn);
    let plain = std::fs::read(&db).unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&plain).unwrap();
    replace_metadata(&repo, "primary_db", &bz.finish().unwrap(), &plain);
    let name = path.file_name().unwrap().to_str().unwrap();
    assert_refused(
        &run_bounded(&scan_args(&copy, &[]), 30),
        &[name, "`packages` is a view, not a table"],
    );
}

/// An updateinfo swapped for another update's (a clean, empty one) while repomd.xml still
/// named the first — a mirror synced half way, or an image edited by hand — was read as a host
/// with no advisories at all. dnf refuses such a repository (librepo holds each file against
/// repomd.xml's `<checksum>`); so does patchscan, naming the file and both digests.
#[test]
fn an_rpm_md_file_that_differs_from_repomd_is_an_error_as_dnf_decides() {
    let (dir, copy) = bed_copy("host-a");
    let repo = copy.join("repos/amazonlinux");
    let (path, _) = metadata_file(&repo, "updateinfo");
    let repomd = std::fs::read_to_string(repo.join("repodata/repomd.xml")).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let listed = name.split('-').next().unwrap();
    assert!(
        repomd.contains(&format!(">{listed}</checksum>")),
        "{repomd}"
    );
    let swapped = gzip(b"<?xml version=\"1.0\"?>\n<updates>\n</updates>\n");
    std::fs::write(&path, &swapped).unwrap();
    assert_refused(
        &run_owned(&scan_args(&copy, &[])),
        &[
            name,
            "not the `updateinfo` file",
            listed,
            &sha256_hex(&swapped),
        ],
    );
    if dnf_available() {
        let out = dnf_repoquery(dir.path(), &repo);
        assert_ne!(
            out.status.code(),
            Some(0),
            "dnf read it: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// How repomd.xml's `<checksum>` of primary may be written, and whether dnf (librepo) and
/// patchscan read the repository: each case checked on real dnf. The one difference is
/// deliberate (docs/decisions.md): an upper-case digest names the same bytes.
#[test]
fn repomd_checksum_forms_are_judged_as_dnf_judges_them() {
    use sha1::Digest as _;
    fn hex(d: &[u8]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }
    // (case, the <checksum> element for the stored primary (None: no element), patchscan
    // reads it, dnf reads it)
    type Form = fn(&[u8]) -> Option<String>;
    let forms: [(&str, Form, bool, bool); 7] = [
        ("no checksum", |_| None, true, true),
        (
            "sha (SHA-1)",
            |b| {
                Some(format!(
                    "<checksum type=\"sha\">{}</checksum>",
                    hex(&sha1::Sha1::digest(b))
                ))
            },
            true,
            true,
        ),
        (
            "md5",
            |b| {
                Some(format!(
                    "<checksum type=\"md5\">{}</checksum>",
                    hex(&md5::Md5::digest(b))
                ))
            },
            true,
            true,
        ),
        (
            "sha512",
            |b| {
                Some(format!(
                    "<checksum type=\"sha512\">{}</checksum>",
                    hex(&sha2::Sha512::digest(b))
                ))
            },
            true,
            true,
        ),
        (
            "SHA256 as the type",
            |b| {
                Some(format!(
                    "<checksum type=\"SHA256\">{}</checksum>",
                    sha256_hex(b)
                ))
            },
            true,
            true,
        ),
        (
            "an unknown type",
            |b| {
                Some(format!(
                    "<checksum type=\"sha3\">{}</checksum>",
                    sha256_hex(b)
                ))
            },
            false,
            false,
        ),
        (
            "upper-case hex",
            |b| {
                Some(format!(
                    "<checksum type=\"sha256\">{}</checksum>",
                    sha256_hex(b).to_uppercase()
                ))
            },
            true,
            false,
        ),
    ];
    let dnf = dnf_available();
    for (case, form, ours, theirs) in forms {
        let (dir, copy) = bed_copy("host-a");
        let repo = copy.join("repos/amazonlinux");
        let (path, _) = metadata_file(&repo, "primary");
        let stored = std::fs::read(&path).unwrap();
        let repomd_path = repo.join("repodata/repomd.xml");
        let repomd = std::fs::read_to_string(&repomd_path).unwrap();
        let element = format!(
            "<checksum type=\"sha256\">{}</checksum>",
            sha256_hex(&stored)
        );
        assert!(repomd.contains(&element), "{case}: {repomd}");
        let edited = match form(&stored) {
            Some(new) => repomd.replacen(&element, &new, 1),
            None => repomd.replacen(&element, "", 1),
        };
        std::fs::write(&repomd_path, edited).unwrap();
        let out = run_owned(&scan_args(&copy, &[]));
        let err = String::from_utf8_lossy(&out.stderr);
        if ours {
            assert_eq!(out.status.code(), Some(0), "{case}: {err}");
        } else {
            assert_refused(&out, &["checksum type \"sha3\"", "repomd.xml"]);
        }
        if dnf {
            let out = dnf_repoquery(dir.path(), &repo);
            let listed = String::from_utf8_lossy(&out.stdout);
            let read = out.status.success() && listed.contains("bash-0:");
            assert_eq!(
                read,
                theirs,
                "{case}: dnf {}: {listed}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // A wrong <open-checksum> (of the decompressed content): dnf does not check it, nor
    // does patchscan.
    let (dir, copy) = bed_copy("host-a");
    let repo = copy.join("repos/amazonlinux");
    let repomd_path = repo.join("repodata/repomd.xml");
    let repomd = std::fs::read_to_string(&repomd_path).unwrap();
    let at = repomd.find("<data type=\"primary\">").unwrap();
    let open = at
        + repomd[at..]
            .find("<open-checksum type=\"sha256\">")
            .unwrap()
        + "<open-checksum type=\"sha256\">".len();
    let mut edited = repomd.clone();
    edited.replace_range(open..open + 64, &"0".repeat(64));
    assert_ne!(edited, repomd);
    std::fs::write(&repomd_path, edited).unwrap();
    let out = run_owned(&scan_args(&copy, &[]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if dnf {
        let out = dnf_repoquery(dir.path(), &repo);
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("bash-0:"),
            "dnf: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The first `n` stanzas of a `Packages` text (whole stanzas: a cut that parses).
fn first_stanzas(text: &[u8], n: usize) -> Vec<u8> {
    let mut end = 0;
    for _ in 0..n {
        end += memchr::memmem::find(&text[end..], b"\n\n").unwrap() + 2;
    }
    text[..end].to_vec()
}

fn decompressed(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    patchscan::files::compress::open(path)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// An emptied or truncated apt list was used, although its Release names its size and
/// SHA-256, and read as a suite with fewer packages. Held against the real Debian capture
/// (Debian's own signed InRelease files, lists as apt stored them), the apt bed's host lists
/// (lz4, as Debian's images keep them) and a repository tree given with `--repo`.
#[test]
fn an_apt_list_that_differs_from_its_release_is_an_error() {
    use patchscan::repo::apt;
    let capture = root().join("repodata-fixtures/apt-real/debian-bookworm");
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("lists");
    std::fs::create_dir(&lists).unwrap();
    for e in std::fs::read_dir(&capture).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if name.starts_with("deb.debian.org_") {
            std::fs::copy(capture.join(&name), lists.join(&name)).unwrap();
        }
    }
    let clean = apt::load_lists_dir(&lists).expect("the real capture matches its InRelease");
    let list = lists.join("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.xz");
    let text = decompressed(&list);
    for damaged in [Vec::new(), first_stanzas(&text, 1000)] {
        std::fs::write(&list, xz(&damaged)).unwrap();
        let err = apt::load_lists_dir(&lists).unwrap_err().to_string();
        assert!(
            err.contains("bookworm_main_binary-amd64_Packages.xz: not the list its Release")
                && err.contains("deb.debian.org_debian_dists_bookworm_InRelease")
                && err.contains(&format!(
                    "main/binary-amd64/Packages is listed as {} bytes",
                    text.len()
                ))
                && err.contains(&format!("the list holds {} bytes", damaged.len())),
            "{err}"
        );
    }
    // The same content compressed again is the same list.
    std::fs::write(&list, xz(&text)).unwrap();
    let again = apt::load_lists_dir(&lists).unwrap();
    assert_eq!(again.package_count(), clean.package_count());

    // The apt bed's host lists, scanned: exit 2 naming the list.
    let (_d, lists, args) = apt_host_copy();
    let list = lists.join("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4");
    let cut = first_stanzas(&decompressed(&list), 2);
    let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
    lz4.write_all(&cut).unwrap();
    std::fs::write(&list, lz4.finish().unwrap()).unwrap();
    assert_refused(
        &run_owned(&args),
        &[
            "bookworm_main_binary-amd64_Packages.lz4: not the list its Release",
            "main/binary-amd64/Packages is listed as",
        ],
    );

    // A repository tree given with --repo: its plain Packages edited.
    let tree = dir.path().join("debian");
    common::apt::copy_dir(
        &common::apt::apt_bed("debian12").join("repos/debian"),
        &tree,
    );
    let packages = tree.join("dists/bookworm/main/binary-amd64/Packages");
    let text = std::fs::read(&packages).unwrap();
    std::fs::write(&packages, first_stanzas(&text, 1)).unwrap();
    let err = apt::load_repos(std::slice::from_ref(&tree))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("binary-amd64/Packages: not the list its Release")
            && err.contains("dists/bookworm/Release"),
        "{err}"
    );
}

/// A Release listing only the compressed file (as some third-party repositories' do) is
/// held against the file as stored.
#[test]
fn a_list_whose_release_names_only_its_compressed_file_is_checked_as_stored() {
    use patchscan::repo::apt;
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("debian");
    common::apt::copy_dir(
        &common::apt::apt_bed("debian12").join("repos/debian"),
        &tree,
    );
    let suite = tree.join("dists/bookworm");
    let release = std::fs::read_to_string(suite.join("Release")).unwrap();
    let only_xz: String = release
        .lines()
        .filter(|l| !l.ends_with("/Packages"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(only_xz.contains("main/binary-amd64/Packages.xz"));
    std::fs::write(suite.join("Release"), only_xz).unwrap();
    for arch in ["amd64", "i386"] {
        std::fs::remove_file(suite.join(format!("main/binary-{arch}/Packages"))).unwrap();
    }
    let clean = apt::load_repos(std::slice::from_ref(&tree)).expect("the stored files match");
    assert!(clean.package_count() > 0);
    let xz_path = suite.join("main/binary-amd64/Packages.xz");
    let text = decompressed(&xz_path);
    std::fs::write(&xz_path, xz(&first_stanzas(&text, 1))).unwrap();
    let err = apt::load_repos(&[tree]).unwrap_err().to_string();
    assert!(
        err.contains("binary-amd64/Packages.xz: not the list its Release")
            && err.contains("main/binary-amd64/Packages.xz is listed as"),
        "{err}"
    );
}

/// `scan --root /missing` printed its cause twice ("…: No such file or directory (os error
/// 2): No such file or directory (os error 2)"): each message is said once.
#[test]
fn an_error_s_cause_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let out = run(&["scan", "--root", missing.to_str().unwrap()], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let cause = std::io::Error::from_raw_os_error(libc::ENOENT).to_string();
    assert_eq!(err.matches(&cause).count(), 1, "{err}");
    assert!(err.contains(missing.to_str().unwrap()), "{err}");
}

/// Errors named Rust's types (`ApproveAfterDays: invalid type: string "7", expected i64`;
/// `expected a sequence` for a manifest's `repos = "x"`): users' files are told in their
/// own words.
#[test]
fn type_errors_in_users_files_do_not_name_rust_types() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.json");
    std::fs::write(
        &b,
        r#"{"Name":"abc","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":"7"}]}}"#,
    )
    .unwrap();
    let out = run(&["baseline", "validate", b.to_str().unwrap()], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("ApproveAfterDays") && err.contains("expected a whole number"),
        "{err}"
    );
    assert!(!err.contains("i64"), "{err}");
    let m = dir.path().join("fleet.toml");
    std::fs::write(
        &m,
        "[[repo_sets]]\nid = \"r\"\nrepos = \"/srv/mirror\"\n[[hosts]]\nid = \"a\"\nsource = \"/x\"\n",
    )
    .unwrap();
    let out = run(
        &[
            "fleet",
            m.to_str().unwrap(),
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("expected a list") && !err.contains("sequence"),
        "{err}"
    );
}
