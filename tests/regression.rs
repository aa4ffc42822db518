//! One regression test per bug found, named after the case, with the input that showed it.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::beds::bed;
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
    let text = String::from_utf8_lossy(&plain.stdout);
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
    assert!(String::from_utf8_lossy(&out.stdout).contains("GlobalFilters' PRODUCT values"));
    // A product that matches warns of nothing of the kind, and the default baseline neither.
    std::fs::write(
        &file,
        r#"{"Name":"ok","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRODUCT","Values":["AmazonLinux2023"]}]},"ApproveAfterDays":0}]}}"#,
    )
    .unwrap();
    let out = run_owned(&base);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("PRODUCT values"));
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
    let repodata = copy.join("repos/amazonlinux/repodata");
    let ui = std::fs::read_dir(&repodata)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("updateinfo.xml.gz"))
        .unwrap();
    let mut xml = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&ui).unwrap())
        .read_to_string(&mut xml)
        .unwrap();
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
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(edited.as_bytes()).unwrap();
    std::fs::write(&ui, gz.finish().unwrap()).unwrap();
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
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("none of the host's 46 installed packages is offered"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
    // The host's own repositories do not warn so.
    let args = scan_args(&host, &[]);
    let text = String::from_utf8_lossy(&run_owned(&args).stdout).to_string();
    assert!(!text.contains("is offered by the repositories"), "{text}");
}
