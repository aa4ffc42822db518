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
